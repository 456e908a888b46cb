// binary_cross_entropy — as torch.nn.functional.binary_cross_entropy.
//
//   loss = -w·[y·max(log x, -100) + (1-y)·max(log(1-x), -100)]
//   grad = w·(x - y) / max(x(1-x), ε)   ε = float(1e-12)     (PyTorch's backward)
// x and y must lie in [0, 1] (NaN is rejected too): a pre-pass checks both.
// The logs are clamped at -100 as in PyTorch, so x = 0 or 1 gives a finite loss
// (100 per unit of mismatched target). The gradient is PyTorch's on purpose,
// and it is NOT the derivative of the clamped loss: where the clamp is active
// (x < e^-100 or 1-x < e^-100) the loss is flat in x but the gradient is about
// ±1/1e-12 (-1e12 at x = 0, y = 1). Everywhere else the two agree.
// `weight` is broadcast (NumPy rules) to the target's shape.
#include <algorithm>
#include <cmath>

#include "core/check.hpp"
#include "lossx/classification.hpp"
#include "core/elementwise.hpp"
#include "core/elementwise_shared.hpp"

namespace lossx {
namespace {

// PyTorch clamps x(1-x) at EPSILON = 1e-12 declared as a float, i.e. 9.99999996e-13 in
// double: float64 matches PyTorch only with that value (an exact 1e-12 differs by 4e-9
// relative where the clamp is active).
constexpr double kBceEpsilon = static_cast<double>(1e-12f);

template <class T>
struct Bce {
  // lossx::vlog_fast vectorises (std::log would be a libm call per element) and, for float, has
  // no division. log(1 - x): u = 1 - x rounded and its rounding error c = (1 - u) - x (exact:
  // Fast2Sum, 1 >= x), so 1 - x = u + c and log(1 - x) = log u + c/u + O(c²), with
  // 1/u = 1 + x + x² + O(x³) (c != 0 only for x < 1/2): accurate for tiny x as log1p(-x) is,
  // without its division.
  LOSSX_INLINE T value(T x, T y, T) const {
    const T lx = std::max(vlog_fast(x), T(-100));
    const T u = T(1) - x;
    const T c = (T(1) - u) - x;
    const T l1x = std::max(vlog_fast(u) + c * (T(1) + x * (T(1) + x)), T(-100));
    return (y - T(1)) * l1x - y * lx;
  }
  LOSSX_INLINE T grad(T x, T y, T) const { return (x - y) / std::max((T(1) - x) * x, T(kBceEpsilon)); }
  // value() for y = 0 or 1 with one log instead of two: the log of x (y = 1) or of 1 - x (y = 0),
  // each formed as in value(), so the result is value()'s bit for bit, up to the sign of a zero.
  LOSSX_INLINE T value_binary(T x, T y) const {
    const T u = T(1) - x;
    const bool one = y == T(1);
    const T c = one ? T(0) : (T(1) - u) - x;
    return -std::max(vlog_fast(one ? x : u) + c * (T(1) + x * (T(1) + x)), T(-100));
  }
};

// Unweighted calls (the common case): the driver's sub-chunk structure (see core/elementwise.hpp),
// plus a test per 1024-element sub-chunk whether all its targets are 0 or 1 (hard labels, the
// usual use): then the loss loop takes one log per element (value_binary) instead of two.
template <class T>
LOSSX_SIMD_CLONES void bce_block(const T* x, const T* y, index_t b, index_t e, T* loss, T* grad, const T* g, T gs,
                                 double* sum) {
  const Bce<T> op;
  double total = 0.0;
  for (index_t c0 = b; c0 < e; c0 += detail::kFuseChunk) {
    const index_t m = e - c0 > detail::kFuseChunk ? detail::kFuseChunk : e - c0;
    const T* xc = x + c0;
    const T* yc = y + c0;
    if (loss || sum) {
      T soft = 0;  // targets of the sub-chunk other than 0 and 1
#pragma omp simd reduction(+ : soft)
      for (index_t i = 0; i < m; ++i) soft += (yc[i] == T(0) || yc[i] == T(1)) ? T(0) : T(1);
      if (loss) {
        T* lc = loss + c0;
        if (soft == T(0)) {
#pragma omp simd
          for (index_t i = 0; i < m; ++i) lc[i] = op.value_binary(xc[i], yc[i]);
        } else {
#pragma omp simd
          for (index_t i = 0; i < m; ++i) lc[i] = op.value(xc[i], yc[i], T(1));
        }
      } else {
        double t = 0.0;
        if (soft == T(0)) {
#pragma omp simd reduction(+ : t)
          for (index_t i = 0; i < m; ++i) t += static_cast<double>(op.value_binary(xc[i], yc[i]));
        } else {
#pragma omp simd reduction(+ : t)
          for (index_t i = 0; i < m; ++i) t += static_cast<double>(op.value(xc[i], yc[i], T(1)));
        }
        total += t;
      }
    }
    if (grad) {
      T* gc = grad + c0;
      if (g) {
        const T* go = g + c0;
#pragma omp simd
        for (index_t i = 0; i < m; ++i) gc[i] = go[i] * op.grad(xc[i], yc[i], T(1));
      } else {
#pragma omp simd
        for (index_t i = 0; i < m; ++i) gc[i] = gs * op.grad(xc[i], yc[i], T(1));
      }
    }
  }
  if (sum) *sum = total;
}

template <class T>
void bce_unweighted(const Check& ck, const Shape& shape, const View<const T>& x, const View<const T>& y,
                    Reduction reduction, const Request<T>& out) {
  detail::unweighted_pass<T>(ck, shape, x, y, reduction, out,
                             [](const T* xs, const T* ys, index_t b, index_t e, T* loss, T* grad, const T* g, T gs,
                                double* sum) { bce_block<T>(xs, ys, b, e, loss, grad, g, gs, sum); });
}

// The count of values of v[b, e) outside [0, 1] (NaN included): a clone, so that it runs with the
// widest vectors (a count in T is exact: a block has < 2^24 values).
template <class T>
LOSSX_SIMD_CLONES T count_outside_unit(const T* p, index_t b, index_t e) {
  T k = 0;
#pragma omp simd reduction(+ : k)
  for (index_t i = b; i < e; ++i) k += (p[i] >= T(0) && p[i] <= T(1)) ? T(0) : T(1);
  return k;
}

/// Every value of `arg` must lie in [0, 1]: a parallel count of the values
/// outside (NaN included), then, only if there are some, a serial scan for the
/// first one so that the message names it.
template <class T>
void check_unit_interval(const Check& ck, const char* arg, const View<const T>& v) {
  const index_t n = v.numel();
  const bool dense = v.contiguous();
  const double bad = block_sum(n, detail::kElementGrain, [&](index_t b, index_t e) {
    index_t k = 0;
    if (dense) {
      return static_cast<double>(count_outside_unit(v.data, b, e));
    } else {
      T buf[detail::kGatherChunk];
      for (index_t c = b; c < e; c += detail::kGatherChunk) {
        const index_t m = std::min(detail::kGatherChunk, e - c);
        detail::gather(v, c, m, buf);
        for (index_t j = 0; j < m; ++j) k += (buf[j] >= T(0) && buf[j] <= T(1)) ? 0 : 1;
      }
    }
    return static_cast<double>(k);
  });
  if (bad == 0.0) return;
  for (index_t i = 0; i < n; ++i) {
    T x;
    detail::gather(v, i, 1, &x);
    if (!(x >= T(0) && x <= T(1))) ck.fail(arg, "hold probabilities in [0, 1]", cat(x, " at flat position ", i));
  }
}

}  // namespace

template <class T>
Shape binary_cross_entropy_shape(View<const T> input, View<const T> target, const BinaryCrossEntropyOptions<T>& opt) {
  const Check ck{"binary_cross_entropy"};
  ck.contiguous("weight", opt.weight);
  detail::check_elementwise(ck, input, target, opt.reduction);
  if (opt.weight.present()) ck.broadcast_strides("weight", opt.weight.shape, "target", target.shape);
  return input.shape;
}

template <class T>
void binary_cross_entropy_run(View<const T> input, View<const T> target, const BinaryCrossEntropyOptions<T>& opt, const Request<T>& request) {
  const Check ck{"binary_cross_entropy"};
  const Shape shape = binary_cross_entropy_shape(input, target, opt);
  check_unit_interval(ck, "input", input);
  check_unit_interval(ck, "target", target);
  if (!opt.weight.present()) {
    bce_unweighted(ck, shape, input, target, opt.reduction, request);
    return;
  }
  detail::elementwise(ck, Bce<T>{}, shape, input, target,
                      detail::broadcast(ck, "weight", opt.weight, "target", shape), detail::Bcast<T>{},
                      {opt.reduction, detail::MeanBy::Count}, request);
}

#define INSTANTIATE(T)                                                                                        \
  template Shape binary_cross_entropy_shape<T>(View<const T>, View<const T>, const BinaryCrossEntropyOptions<T>&);                              \
  template void binary_cross_entropy_run<T>(View<const T>, View<const T>, const BinaryCrossEntropyOptions<T>&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
