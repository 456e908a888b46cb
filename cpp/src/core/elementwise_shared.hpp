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
template <class T, class Block>
void unweighted_pass(const Check& ck, const Shape& shape, const View<const T>& x, const View<const T>& y,
                     Reduction reduction, const Request<T>& out, Block&& block) {
  const index_t n = numel(shape);
  Reducer<T> red(ck, reduction, shape, out, static_cast<double>(n));
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

}  // namespace lossx::detail
