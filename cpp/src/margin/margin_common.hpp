// Internal: what the margin losses share — a vectorisable softplus and sigmoid, the
// shape and reduction checks, the row driver of the per-row losses, and the instantiations.
#pragma once

#include "lossx/core/error.hpp"
#include "lossx/core/math.hpp"
#include "lossx/core/parallel.hpp"
#include "lossx/margin.hpp"
#include "../core/rows.hpp"

namespace lossx::detail {

// ---------------------------------------------------------------- vectorisable softplus
// std::log1p and std::exp are library calls that GCC does not vectorise without
// -ffast-math; these versions compile to SIMD code inside `#pragma omp simd` loops.
// They are LOSSX_INLINE (forced inline, see core/math.hpp): a call left in a SIMD
// clone stops the vectoriser.

// Σ_k s2^k / (2k+1), truncated where the next term is below half an ulp of 1
// for |s| <= 0.1716 (s2 <= 0.0295): 11 terms for double, 6 for float.
LOSSX_INLINE double atanh_series(double s2) {
  double p = 1.0 / 21;
  p = p * s2 + 1.0 / 19;
  p = p * s2 + 1.0 / 17;
  p = p * s2 + 1.0 / 15;
  p = p * s2 + 1.0 / 13;
  p = p * s2 + 1.0 / 11;
  p = p * s2 + 1.0 / 9;
  p = p * s2 + 1.0 / 7;
  p = p * s2 + 1.0 / 5;
  p = p * s2 + 1.0 / 3;
  return p * s2 + 1.0;
}
LOSSX_INLINE float atanh_series(float s2) {
  float p = 1.0f / 11;
  p = p * s2 + 1.0f / 9;
  p = p * s2 + 1.0f / 7;
  p = p * s2 + 1.0f / 5;
  p = p * s2 + 1.0f / 3;
  return p * s2 + 1.0f;
}

/// log(1 + e) for e in [0, 1] (nan propagates), branch-free: log(u) = 2·atanh((u-1)/(u+1)),
/// after halving u = 1 + e above sqrt(2) (adding ln 2), so that |s| <= 3 - 2·sqrt(2).
/// s = e / (2 + e) keeps full relative precision for tiny e.
template <class T>
LOSSX_INLINE T log1p_unit(T e) {
  const bool high = e > T(0.41421356237309503);
  const T s = (high ? e - T(1) : e) / (high ? e + T(3) : e + T(2));
  const T r = T(2) * s * atanh_series(s * s);
  return high ? r + T(0.69314718055994531) : r;
}

/// softplus(t) = log(1 + exp(t)) = max(t, 0) + log1p(exp(-|t|)): no overflow, nan propagates.
template <class T>
LOSSX_INLINE T softplus_v(T t) {
  return (t > T(0) ? t : T(0)) + log1p_unit(vexp(-std::fabs(t)));
}

/// sigmoid(t) = 1 / (1 + exp(-t)) from e = exp(-|t|) (no overflow).
template <class T>
LOSSX_INLINE T sigmoid_from(T t, T e) {
  return (t >= T(0) ? T(1) : e) / (T(1) + e);
}

/// 'batchmean' belongs to kl_div only.
inline void check_reduction(const Check& ck, Reduction r) {
  ck.param(r != Reduction::BatchMean, "reduction", "be one of 'none', 'mean', 'sum'", "'batchmean'");
}

/// An elementwise (input, target) loss: one shape for both (no broadcasting).
inline void check_pair(const Check& ck, const Shape& input, const Shape& target, Reduction r) {
  ck.same_shape("target", target, "input", input);
  check_reduction(ck, r);
}

/// The gradient factor of row r: grad_output[r] ('none'), or the scalar
/// grad_output divided by the row count ('mean') or not ('sum').
template <class T>
struct RowGrad {
  const T* g = nullptr;
  double gs = 0.0;
  double at(index_t r) const { return g ? static_cast<double>(g[r]) : gs; }
};

/// Runs a per-row loss over the rows of `l` in fixed blocks of `l.grain()` rows.
/// `block(r0, r1, loss_rows, row_grad)` handles rows [r0, r1): it writes each
/// row's loss into `loss_rows[r]` when that is not null, writes the gradient
/// when the caller asked for one (using `row_grad.at(r)`), and returns the sum
/// of its rows' losses in double. 'mean' divides by the row count (nan for 0 rows).
template <class T, class Block>
void row_loss(const Check& ck, const RowLayout& l, const Shape& none_shape, Reduction red,
              View<const T> grad_output, T* loss, bool want_grad, Block&& block) {
  const index_t rows = l.rows();
  const bool reduced = red != Reduction::None;
  RowGrad<T> rg;
  if (want_grad) {
    ck.grad_output(grad_output.shape, red, none_shape);
    if (reduced)
      rg.gs = static_cast<double>(grad_output.data[0]) / (red == Reduction::Mean ? static_cast<double>(rows) : 1.0);
    else
      rg.g = grad_output.data;
  }
  T* loss_rows = reduced ? nullptr : loss;
  const double total = block_sum(rows, l.grain(), [&](index_t b, index_t e) { return block(b, e, loss_rows, rg); });
  if (reduced && loss)
    loss[0] = static_cast<T>(red == Reduction::Mean ? total / static_cast<double>(rows) : total);
}

}  // namespace lossx::detail

/// Instantiates NAME_shape and NAME_with_grad of an (input, float target) loss for float and double.
#define LOSSX_INSTANTIATE_MARGIN(NAME, OPTS)                                                                 \
  template Shape NAME##_shape<float>(View<const float>, View<const float>, const OPTS<float>&);             \
  template Shape NAME##_shape<double>(View<const double>, View<const double>, const OPTS<double>&);         \
  template void NAME##_with_grad<float>(View<const float>, View<const float>, const OPTS<float>&,            \
                                        View<const float>, float*, float*);                                 \
  template void NAME##_with_grad<double>(View<const double>, View<const double>, const OPTS<double>&,       \
                                         View<const double>, double*, double*);

/// Instantiates NAME_shape and NAME_with_grad of an (input, class-index target) loss for float/double × int32/int64.
#define LOSSX_INSTANTIATE_MARGIN_INDEX_1(NAME, OPTS, T, I)                                                   \
  template Shape NAME##_shape<T, I>(View<const T>, View<const I>, const OPTS<T>&);                          \
  template void NAME##_with_grad<T, I>(View<const T>, View<const I>, const OPTS<T>&, View<const T>, T*, T*);
#define LOSSX_INSTANTIATE_MARGIN_INDEX(NAME, OPTS)                       \
  LOSSX_INSTANTIATE_MARGIN_INDEX_1(NAME, OPTS, float, std::int32_t)      \
  LOSSX_INSTANTIATE_MARGIN_INDEX_1(NAME, OPTS, float, std::int64_t)      \
  LOSSX_INSTANTIATE_MARGIN_INDEX_1(NAME, OPTS, double, std::int32_t)     \
  LOSSX_INSTANTIATE_MARGIN_INDEX_1(NAME, OPTS, double, std::int64_t)
