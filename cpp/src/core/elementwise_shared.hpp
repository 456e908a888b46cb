// Internal: the elementwise driver for a loss whose value and gradient share an expensive
// intermediate (exp(-|x|) of a softplus and of the matching sigmoid, exp(x) of a Poisson term).
//
// detail::elementwise (core/elementwise.hpp) evaluates `value` in the loss/sum loop and `grad`
// in the gradient loop, so a forward+backward computes such an intermediate twice. Here the
// point functor splits it out:
//   T shared(T x, T y)          the intermediate s of element (x, y)
//   T value(T x, T y, T s)      the loss term
//   T grad(T x, T y, T s)       d term / d x
// and each sub-chunk of kFuseChunk elements computes s once, in the value loop, keeps it in an
// L1 buffer and hands it to the gradient loop. The value loop is the same loop whether or not a
// gradient follows (it always fills the buffer), so a fused call gives the bits of the separate
// forward and backward calls; a backward alone fills the buffer in its own loop.
// Only the unweighted case (no weight, no broadcast parameter, 'mean' over the element count)
// runs here; a loss sends weighted calls to detail::elementwise. Input and target may be strided:
// a strided block is gathered whole and runs the same body as a contiguous one, so that every bit
// is independent of the layout and (fixed blocks, sums in double added in order) of the threads.
#pragma once

#include <vector>

#include "core/elementwise.hpp"

namespace lossx::detail {

template <class T, class Op>
LOSSX_SIMD_CLONES void elementwise_shared_block(const Op& op, const T* x, const T* y, index_t b, index_t e,
                                                T* loss, T* grad, const T* g, T gs, double* sum) {
  double total = 0.0;
  T sb[kFuseChunk];  // the shared intermediate of the current sub-chunk
  for (index_t c0 = b; c0 < e; c0 += kFuseChunk) {
    const index_t m = e - c0 > kFuseChunk ? kFuseChunk : e - c0;
    const T* xc = x + c0;
    const T* yc = y + c0;
    bool have_s = true;
    if (loss) {
      T* lc = loss + c0;
#pragma omp simd
      for (index_t i = 0; i < m; ++i) {
        const T s = op.shared(xc[i], yc[i]);
        sb[i] = s;
        lc[i] = op.value(xc[i], yc[i], s);
      }
    } else if (sum) {
      double t = 0.0;
#pragma omp simd reduction(+ : t)
      for (index_t i = 0; i < m; ++i) {
        const T s = op.shared(xc[i], yc[i]);
        sb[i] = s;
        t += static_cast<double>(op.value(xc[i], yc[i], s));
      }
      total += t;
    } else {
      have_s = false;
    }
    if (grad) {
      if (!have_s) {
#pragma omp simd
        for (index_t i = 0; i < m; ++i) sb[i] = op.shared(xc[i], yc[i]);
      }
      T* gc = grad + c0;
      if (g) {
        const T* go = g + c0;
#pragma omp simd
        for (index_t i = 0; i < m; ++i) gc[i] = go[i] * op.grad(xc[i], yc[i], sb[i]);
      } else {
#pragma omp simd
        for (index_t i = 0; i < m; ++i) gc[i] = gs * op.grad(xc[i], yc[i], sb[i]);
      }
    }
  }
  if (sum) *sum = total;
}

/// The pass of an unweighted elementwise loss: the Reducer ('mean' over the n elements), fixed
/// blocks summed in order, and `block(x, y, b, e, loss, grad, g, gs, sum)` run on each block's
/// values: in place when input and target are contiguous, else on a gathered copy of the block
/// (the same body, so strided inputs give the contiguous result's bits). `block` is
/// elementwise_shared_block or a loss's own body of the same form (binary_cross_entropy).
/// `mean_denominator` (>= 0) replaces the element count as the 'mean'/'batchmean' denominator.
template <class T, class Block>
void unweighted_pass(const Check& ck, const Shape& shape, const View<const T>& x, const View<const T>& y,
                     Reduction reduction, const Request<T>& out, Block&& block, double mean_denominator = -1.0) {
  const index_t n = numel(shape);
  Reducer<T> red(ck, reduction, shape, out, mean_denominator >= 0.0 ? mean_denominator : static_cast<double>(n));
  const T* g = red.term_grad_output();
  const T gs = static_cast<T>(red.grad_scale());
  T* loss = red.term_values();
  T* grad = red.grad();
  const bool want_sum = red.wants_total();
  const bool dense = x.contiguous() && y.contiguous();
  const double total = block_sum(n, kElementGrain, [&](index_t b, index_t e) {
    double s = 0.0;
    if (dense) {
      block(x.data, y.data, b, e, loss, grad, g, gs, want_sum ? &s : nullptr);
      return s;
    }
    std::vector<T> xb(static_cast<size_t>(e - b)), yb(static_cast<size_t>(e - b));
    gather(x, b, e - b, xb.data());
    gather(y, b, e - b, yb.data());
    block(xb.data(), yb.data(), 0, e - b, loss ? loss + b : nullptr, grad ? grad + b : nullptr, g ? g + b : nullptr,
          gs, want_sum ? &s : nullptr);
    return s;
  });
  red.finish(total);
}

/// Runs an unweighted elementwise loss with a shared intermediate (see the file comment):
/// 'mean' divides by the element count. `shape` is the (already checked) shape of x and y.
template <class T, class Op>
void elementwise_shared(const Check& ck, const Op& op, const Shape& shape, const View<const T>& x,
                        const View<const T>& y, Reduction reduction, const Request<T>& out) {
  ck.strides("input", x);
  ck.strides("target", y);
  unweighted_pass<T>(ck, shape, x, y, reduction, out,
                     [&](const T* xs, const T* ys, index_t b, index_t e, T* loss, T* grad, const T* g, T gs,
                         double* sum) { elementwise_shared_block<T, Op>(op, xs, ys, b, e, loss, grad, g, gs, sum); });
}

// One sub-chunk of m elements in ONE loop: the loss term into `lc` (or its double sum into *sum)
// and, with Grad, the gradient gc[i] = (go ? go[i] : gs)·grad from the same shared s. Reading the
// inputs, computing and writing the gradient in one pass keeps the memory streams and the
// arithmetic overlapped (elementwise_shared_block's loop per phase leaves the write stream idle
// while the transcendental runs: poisson_nll_loss 4M fwd+bwd, 1 thread, 2.34 -> 1.84 ms). The loss
// and sum expressions are the same with and without Grad (the same simd reduction over the same
// sub-chunks), so a fused call gives the bits of the separate forward and backward calls.
template <class T, class Op, bool Grad>
LOSSX_INLINE void fused_chunk(const Op& op, const T* xc, const T* yc, index_t m, T* lc, double* sum, T* gc,
                              const T* go, T gs) {
  if (lc) {
    if constexpr (!Grad) {
#pragma omp simd
      for (index_t i = 0; i < m; ++i) lc[i] = op.value(xc[i], yc[i], op.shared(xc[i], yc[i]));
    } else if (go) {
#pragma omp simd
      for (index_t i = 0; i < m; ++i) {
        const T s = op.shared(xc[i], yc[i]);
        lc[i] = op.value(xc[i], yc[i], s);
        gc[i] = go[i] * op.grad(xc[i], yc[i], s);
      }
    } else {
#pragma omp simd
      for (index_t i = 0; i < m; ++i) {
        const T s = op.shared(xc[i], yc[i]);
        lc[i] = op.value(xc[i], yc[i], s);
        gc[i] = gs * op.grad(xc[i], yc[i], s);
      }
    }
  } else if (sum) {
    double t = 0.0;
    if constexpr (!Grad) {
#pragma omp simd reduction(+ : t)
      for (index_t i = 0; i < m; ++i) t += static_cast<double>(op.value(xc[i], yc[i], op.shared(xc[i], yc[i])));
    } else if (go) {
#pragma omp simd reduction(+ : t)
      for (index_t i = 0; i < m; ++i) {
        const T s = op.shared(xc[i], yc[i]);
        t += static_cast<double>(op.value(xc[i], yc[i], s));
        gc[i] = go[i] * op.grad(xc[i], yc[i], s);
      }
    } else {
#pragma omp simd reduction(+ : t)
      for (index_t i = 0; i < m; ++i) {
        const T s = op.shared(xc[i], yc[i]);
        t += static_cast<double>(op.value(xc[i], yc[i], s));
        gc[i] = gs * op.grad(xc[i], yc[i], s);
      }
    }
    *sum += t;
  } else if constexpr (Grad) {  // the gradient only
    if (go) {
#pragma omp simd
      for (index_t i = 0; i < m; ++i) gc[i] = go[i] * op.grad(xc[i], yc[i], op.shared(xc[i], yc[i]));
    } else {
#pragma omp simd
      for (index_t i = 0; i < m; ++i) gc[i] = gs * op.grad(xc[i], yc[i], op.shared(xc[i], yc[i]));
    }
  }
}

/// The block of unweighted_pass for a functor of the elementwise_shared form, one loop per
/// sub-chunk of kFuseChunk elements (fused_chunk; the sub-chunk sums added in order).
template <class T, class Op>
LOSSX_SIMD_CLONES void elementwise_fused_block(const Op& op, const T* x, const T* y, index_t b, index_t e, T* loss,
                                               T* grad, const T* g, T gs, double* sum) {
  double total = 0.0;
  for (index_t c0 = b; c0 < e; c0 += kFuseChunk) {
    const index_t m = e - c0 > kFuseChunk ? kFuseChunk : e - c0;
    T* lc = loss ? loss + c0 : nullptr;
    if (grad)
      fused_chunk<T, Op, true>(op, x + c0, y + c0, m, lc, sum ? &total : nullptr, grad + c0, g ? g + c0 : nullptr, gs);
    else
      fused_chunk<T, Op, false>(op, x + c0, y + c0, m, lc, sum ? &total : nullptr, nullptr, nullptr, gs);
  }
  if (sum) *sum = total;
}

/// elementwise_shared with the loss, its sum and the gradient in one loop (elementwise_fused_block):
/// for a functor whose value and gradient are cheap once s is known. `mean_denominator` as in
/// unweighted_pass (kl_div's 'batchmean': the batch size).
template <class T, class Op>
void elementwise_fused(const Check& ck, const Op& op, const Shape& shape, const View<const T>& x,
                       const View<const T>& y, Reduction reduction, const Request<T>& out,
                       double mean_denominator = -1.0) {
  ck.strides("input", x);
  ck.strides("target", y);
  unweighted_pass<T>(
      ck, shape, x, y, reduction, out,
      [&](const T* xs, const T* ys, index_t b, index_t e, T* loss, T* grad, const T* g, T gs, double* sum) {
        elementwise_fused_block<T, Op>(op, xs, ys, b, e, loss, grad, g, gs, sum);
      },
      mean_denominator);
}

}  // namespace lossx::detail
