// Internal: the driver shared by every elementwise loss.
//
// A loss supplies a point functor with `value(x, y, a)` and `grad(x, y, a)`
// (a is an optional per-element parameter such as pos_weight, 1 when absent);
// the driver owns the loops, threads, the optional broadcast `weight`, and the
// reductions. The loss, the gradient, or both are produced in one pass.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/check.hpp"
#include "core/math.hpp"
#include "core/parallel.hpp"
#include "core/reduce.hpp"
#include "core/stream.hpp"

namespace lossx::detail {

/// Input and target of an elementwise loss share one shape; no 'batchmean'.
/// Input and target may be strided (see View); their dimensions must be valid.
template <class T>
void check_elementwise(const Check& ck, const View<const T>& input, const View<const T>& target, Reduction r) {
  ck.strides("input", input);
  ck.strides("target", target);
  ck.same_shape("target", target.shape, "input", input.shape);
  ck.param(r != Reduction::BatchMean, "reduction", "be one of 'none', 'mean', 'sum'", "'batchmean'");
}

/// Elements per block of the fixed-block reductions (never thread-dependent).
constexpr index_t kElementGrain = 16384;

/// A parameter array broadcast (NumPy rules) onto the loss's element shape.
template <class T>
struct Bcast {
  const T* data = nullptr;
  Shape strides;       // in elements over the full shape; 0 along broadcast dims
  bool dense = false;  // same shape as the elements: index directly

  bool present() const { return data != nullptr; }
};

template <class T>
Bcast<T> broadcast(const Check& ck, const char* arg, View<const T> v, const char* other, const Shape& shape) {
  Bcast<T> b;
  if (!v.present()) return b;
  b.data = v.data;
  b.dense = v.shape == shape;
  if (!b.dense) b.strides = ck.broadcast_strides(arg, v.shape, other, shape);
  return b;
}

/// Walks the offsets of a broadcast parameter along consecutive flat indices.
/// An inactive walker (dense or absent parameter) does nothing.
struct OffsetWalker {
  const Shape& shape;
  const Shape& strides;
  Shape idx;
  index_t off = 0;
  bool active;

  OffsetWalker(const Shape& shp, const Shape& str, index_t flat, bool on = true)
      : shape(shp), strides(str), idx(on ? shp.size() : 0, 0), active(on) {
    if (!active) return;
    for (size_t k = shape.size(); k-- > 0;) {
      idx[k] = flat % shape[k];
      flat /= shape[k];
      off += idx[k] * strides[k];
    }
  }
  void next() {
    if (!active) return;
    for (size_t k = shape.size(); k-- > 0;) {
      off += strides[k];
      if (++idx[k] < shape[k]) return;
      off -= strides[k] * idx[k];
      idx[k] = 0;
    }
  }
};

/// How 'mean' divides: by the element count, by the sum of the weights
/// (l1/mse with weight=), or by a fixed divisor (kl_div's 'batchmean').
enum class MeanBy { Count, WeightSum, Divisor };

struct ElementwiseSpec {
  Reduction reduction = Reduction::Mean;
  MeanBy mean_by = MeanBy::Count;
  double divisor = 1.0;  // used with MeanBy::Divisor
};

/// Σ of a broadcast weight over `shape`'s elements, in fixed blocks (thread-independent).
template <class T>
double weight_total(const Bcast<T>& weight, const Shape& shape) {
  const index_t n = numel(shape);
  return block_sum(n, kElementGrain, [&](index_t b, index_t e) {
    double s = 0.0;
    if (weight.dense) {
      for (index_t i = b; i < e; ++i) s += static_cast<double>(weight.data[i]);
    } else {
      OffsetWalker w(shape, weight.strides, b);
      for (index_t i = b; i < e; ++i, w.next()) s += static_cast<double>(weight.data[w.off]);
    }
    return s;
  });
}

/// The denominator policy of an elementwise loss (see MeanBy).
template <class T>
double elementwise_denominator(const ElementwiseSpec& spec, const Bcast<T>& weight, const Shape& shape) {
  if (spec.mean_by == MeanBy::Divisor) return spec.divisor;
  if (spec.mean_by == MeanBy::WeightSum && weight.present()) return weight_total(weight, shape);
  return static_cast<double>(numel(shape));
}

/// Elements per sub-chunk of a block (a constant, a divisor of kElementGrain): the loss values,
/// their sum and the gradient of a sub-chunk are computed back to back while its 2 x 4 KiB
/// (float) of input are in L1, instead of one pass over the whole block per output, which
/// re-read the block from L2 (mse_loss forward+backward on 16M floats: 34 -> 21 ms in a C++
/// micro-benchmark, the speed of a NumPy np.add(a, b, out=c) over the same arrays).
constexpr index_t kFuseChunk = 1024;
static_assert(kElementGrain % kFuseChunk == 0, "sub-chunks tile a block");

// `stream`: the gradient is written with non-temporal stores (core/stream.hpp; same values).
template <class T, class Op>
LOSSX_SIMD_CLONES void elementwise_block(const Op& op, const T* x, const T* y, index_t b, index_t e,
                                         T* loss, T* grad, const T* g, T gs, double* sum, bool stream = false) {
  // Dense fast path (no weight, no parameter): plain loops the compiler vectorises.
  // The sum is a fixed-order SIMD reduction per sub-chunk (it depends on the clone, never
  // on threads), the sub-chunk sums added in order; a forward alone sums the same way.
  double total = 0.0;
  for (index_t c0 = b; c0 < e; c0 += kFuseChunk) {
    const index_t c1 = e - c0 > kFuseChunk ? c0 + kFuseChunk : e;
    if (loss) {
#pragma omp simd
      for (index_t i = c0; i < c1; ++i) loss[i] = op.value(x[i], y[i], T(1));
    }
    if (sum) {
      double s = 0.0;
#pragma omp simd reduction(+ : s)
      for (index_t i = c0; i < c1; ++i) s += static_cast<double>(op.value(x[i], y[i], T(1)));
      total += s;
    }
    if (grad && stream) {
      if (g)
        stream_values(grad, c0, c1, [&](index_t i) LOSSX_INLINE_LAMBDA { return g[i] * op.grad(x[i], y[i], T(1)); });
      else
        stream_values(grad, c0, c1, [&](index_t i) LOSSX_INLINE_LAMBDA { return gs * op.grad(x[i], y[i], T(1)); });
    } else if (grad) {
      if (g) {
#pragma omp simd
        for (index_t i = c0; i < c1; ++i) grad[i] = g[i] * op.grad(x[i], y[i], T(1));
      } else {
#pragma omp simd
        for (index_t i = c0; i < c1; ++i) grad[i] = gs * op.grad(x[i], y[i], T(1));
      }
    }
  }
  if (sum) *sum = total;
}

/// Elements per gather chunk of the weighted / broadcast path (a constant).
constexpr index_t kGatherChunk = 256;

/// The weighted path on n consecutive elements, with their weight w[j] and
/// parameter a[j] already gathered: loss w·value(x, y, a), gradient g·w·grad(x, y, a).
template <class T, class Op>
LOSSX_SIMD_CLONES void elementwise_chunk(const Op& op, const T* x, const T* y, const T* w, const T* a, index_t n,
                                         T* loss, T* grad, const T* g, T gs, double* sum) {
  if (loss) {
#pragma omp simd
    for (index_t i = 0; i < n; ++i) loss[i] = w[i] * op.value(x[i], y[i], a[i]);
  }
  if (sum) {
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (index_t i = 0; i < n; ++i) s += static_cast<double>(w[i] * op.value(x[i], y[i], a[i]));
    *sum = s;
  }
  if (grad) {
    if (g) {
#pragma omp simd
      for (index_t i = 0; i < n; ++i) grad[i] = g[i] * w[i] * op.grad(x[i], y[i], a[i]);
    } else {
#pragma omp simd
      for (index_t i = 0; i < n; ++i) grad[i] = gs * w[i] * op.grad(x[i], y[i], a[i]);
    }
  }
}

/// Copies v's elements [start, start + m) in row-major order into buf (v may be strided).
template <class T>
void gather(const View<const T>& v, index_t start, index_t m, T* buf) {
  if (v.contiguous()) {
    std::copy(v.data + start, v.data + start + m, buf);
    return;
  }
  OffsetWalker w(v.shape, v.strides, start);
  for (index_t j = 0; j < m; ++j, w.next()) buf[j] = v.data[w.off];
}

/// Runs an elementwise loss. `shape` is the shape of input x and target y (already
/// checked equal); each may be strided (read in place: see View). `weight` multiplies
/// each element's loss; `param` is passed to the functor as its third argument.
template <class T, class Op>
void elementwise(const Check& ck, const Op& op, const Shape& shape, const View<const T>& x, const View<const T>& y,
                 const Bcast<T>& weight, const Bcast<T>& param, const ElementwiseSpec& spec, const Request<T>& out) {
  ck.strides("input", x);
  ck.strides("target", y);
  const index_t n = numel(shape);
  Reducer<T> red(ck, spec.reduction, shape, out);
  if (red.needs_denominator()) red.set_denominator(elementwise_denominator(spec, weight, shape));
  const T* g = red.term_grad_output();
  const T gs = static_cast<T>(red.grad_scale());
  T* loss_elems = red.term_values();
  T* grad = red.grad();
  const bool want_sum = red.wants_total();

  const bool dense_xy = x.contiguous() && y.contiguous();
  const bool simple = !weight.present() && !param.present();
  // A large gradient of the dense path is streamed (core/stream.hpp): written without first
  // reading its lines, in the pass that reads x and y.
  const bool stream = grad && simple && dense_xy && stream_wanted(static_cast<size_t>(n) * sizeof(T));
  const double total = block_sum(n, kElementGrain, [&](index_t b, index_t e) {
    double s = 0.0;
    if (simple && dense_xy) {
      elementwise_block<T, Op>(op, x.data, y.data, b, e, loss_elems, grad, g, gs, want_sum ? &s : nullptr, stream);
      if (stream) stream_fence();
      return s;
    }
    if (simple) {
      // Strided input/target: the block is gathered whole and runs the same body as a
      // contiguous one, so that the sum (and every bit) does not depend on the layout.
      std::vector<T> xb(static_cast<size_t>(e - b)), yb(static_cast<size_t>(e - b));
      gather(x, b, e - b, xb.data());
      gather(y, b, e - b, yb.data());
      elementwise_block<T, Op>(op, xb.data(), yb.data(), 0, e - b, loss_elems ? loss_elems + b : nullptr,
                               grad ? grad + b : nullptr, g ? g + b : nullptr, gs, want_sum ? &s : nullptr);
      return s;
    }
    // Weight / parameter present or strided input/target: gather their values chunk by
    // chunk into small buffers, then run the SIMD body on the chunk. Chunks start at
    // fixed offsets from the block start, so sums stay thread-independent.
    OffsetWalker ww(shape, weight.strides, b, weight.present() && !weight.dense);
    OffsetWalker pw(shape, param.strides, b, param.present() && !param.dense);
    T wbuf[kGatherChunk], abuf[kGatherChunk], xbuf[kGatherChunk], ybuf[kGatherChunk];
    for (index_t c0 = b; c0 < e; c0 += kGatherChunk) {
      const index_t m = std::min(kGatherChunk, e - c0);
      for (index_t j = 0; j < m; ++j) {
        const index_t i = c0 + j;
        wbuf[j] = !weight.present() ? T(1) : weight.dense ? weight.data[i] : weight.data[ww.off];
        abuf[j] = !param.present() ? T(1) : param.dense ? param.data[i] : param.data[pw.off];
        ww.next();
        pw.next();
      }
      const T* xc = x.data + c0;
      const T* yc = y.data + c0;
      if (!dense_xy) {
        gather(x, c0, m, xbuf);
        gather(y, c0, m, ybuf);
        xc = xbuf;
        yc = ybuf;
      }
      double cs = 0.0;
      elementwise_chunk<T, Op>(op, xc, yc, wbuf, abuf, m, loss_elems ? loss_elems + c0 : nullptr,
                               grad ? grad + c0 : nullptr, g ? g + c0 : nullptr, gs, want_sum ? &cs : nullptr);
      s += cs;
    }
    return s;
  });
  red.finish(total);
}

}  // namespace lossx::detail
