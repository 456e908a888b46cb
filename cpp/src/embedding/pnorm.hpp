// Internal: the p-norm distances of triplet_margin_loss and batch_hard_triplet_loss.
//
// A norm is a small policy type, chosen once per call by `with_norm(p, fn)`:
//   NormL2 (p = 2) and NormL1 (p = 1): the fast paths, plain vectorisable loops;
//   NormInf (p = ∞): max |δ_k|;
//   NormP (any other p > 0): (Σ |δ_k|^p)^(1/p) through std::pow.
// Each gives
//   term(δ)      the per-component contribution (|δ|^p, or |δ| for NormInf, which
//                combines terms by max instead of +);
//   root(s)      the distance from the combined terms;
//   scale(d)     a per-distance factor and
//   unit(δ, d)   a per-component factor, such that ∂d/∂δ_k = scale(d) · unit(δ_k, d).
// The derivative follows PyTorch's norm backward (torch.linalg.vector_norm):
//   p = 2:      δ_k / d, and 0 when d = 0;
//   p = 1:      sign(δ_k) (sign(0) = 0);
//   p = ∞:      sign(δ_k) / m on the m components with |δ_k| = d (ties share it equally);
//   other p:    sign(δ_k) |δ_k|^(p-1) · d^(1-p), with 0 where δ_k = 0 or d = 0
//               (the true derivative for p > 1; PyTorch's choice for p < 1).
// NaN components propagate: every distance and derivative they touch is NaN.
#pragma once

#include <cmath>
#include <limits>

#include "core/math.hpp"
#include "lossx/core/view.hpp"

namespace lossx::detail {

/// sign(x) with sign(±0) = ±0 and sign(NaN) = NaN.
template <class A>
LOSSX_INLINE A sgn(A x) {
  return x > A(0) ? A(1) : (x < A(0) ? A(-1) : x);
}

struct NormL2 {
  static constexpr bool is_max = false;
  template <class A>
  LOSSX_INLINE A term(A d) const { return d * d; }
  LOSSX_INLINE double root(double s) const { return std::sqrt(s); }
  LOSSX_INLINE double scale(double d) const { return d == 0.0 ? 0.0 : 1.0 / d; }
  template <class A>
  LOSSX_INLINE A unit(A delta, A) const { return delta; }
};

struct NormL1 {
  static constexpr bool is_max = false;
  template <class A>
  LOSSX_INLINE A term(A d) const { return std::fabs(d); }
  LOSSX_INLINE double root(double s) const { return s; }
  LOSSX_INLINE double scale(double) const { return 1.0; }
  template <class A>
  LOSSX_INLINE A unit(A delta, A) const { return sgn(delta); }
};

struct NormInf {
  static constexpr bool is_max = true;
  template <class A>
  LOSSX_INLINE A term(A d) const { return std::fabs(d); }
  LOSSX_INLINE double root(double s) const { return s; }
  /// Multiplied by 1/m (the number of maximal components) by the caller; see tie_count.
  LOSSX_INLINE double scale(double) const { return 1.0; }
  template <class A>
  LOSSX_INLINE A unit(A delta, A d) const {
    return (std::fabs(delta) == d || delta != delta) ? sgn(delta) : A(0);
  }
};

struct NormP {
  static constexpr bool is_max = false;
  double p;
  template <class A>
  LOSSX_INLINE A term(A d) const { return static_cast<A>(std::pow(std::fabs(d), static_cast<A>(p))); }
  LOSSX_INLINE double root(double s) const { return std::pow(s, 1.0 / p); }
  LOSSX_INLINE double scale(double d) const { return d == 0.0 ? 0.0 : std::pow(d, 1.0 - p); }
  template <class A>
  LOSSX_INLINE A unit(A delta, A) const {
    return delta == A(0) ? A(0) : static_cast<A>(std::copysign(std::pow(std::fabs(delta), static_cast<A>(p - 1)), delta));
  }
};

/// Calls fn(norm) with the policy for p (p > 0 is checked by the caller).
template <class F>
decltype(auto) with_norm(double p, F&& fn) {
  if (p == 2.0) return fn(NormL2{});
  if (p == 1.0) return fn(NormL1{});
  if (std::isinf(p)) return fn(NormInf{});
  return fn(NormP{p});
}

/// NormInf combines terms by max. NaN must win (max would drop it), so the
/// terms are also summed: the sum is NaN exactly when some term is NaN.
LOSSX_INLINE double max_or_nan(double max, double sum) { return sum != sum ? sum : max; }

/// min(a, b) as torch.min of two tensors: NaN if either is NaN.
LOSSX_INLINE double nan_min(double a, double b) {
  if (a != a) return a;
  if (b != b) return b;
  return b < a ? b : a;
}

/// The factors torch.min's backward gives its two arguments: (1, 0) if a < b,
/// (0, 1) if b < a, (1/2, 1/2) on a tie.
LOSSX_INLINE void min_split(double a, double b, double& wa, double& wb) {
  wa = a > b ? 0.0 : (a == b ? 0.5 : 1.0);
  wb = a < b ? 0.0 : (a == b ? 0.5 : 1.0);
}

}  // namespace lossx::detail
