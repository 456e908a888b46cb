// lossx/core/math.hpp — scalar helpers that vectorise.
//
// The build has no -ffast-math (it would break NaN/Inf semantics), so GCC will
// not vectorise calls to std::exp. `vexp` is a branch-free exp that the
// compiler turns into SIMD code inside `#pragma omp simd` loops: Cody-Waite
// range reduction x = n·ln2 + r with |r| <= ln2/2, a minimax-style polynomial
// for e^r, and 2^n built in the exponent bits (split in two factors so that
// n = 128 / 1024 still scales correctly). Accuracy: < 2 ulp over the range.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

// LOSSX_SIMD_CLONES marks a hot kernel function that GCC compiles twice, for
// the portable baseline and for AVX2+FMA, picking one at load time. One body,
// the instruction set chosen outside it (no intrinsics per ISA).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(LOSSX_NO_CLONES)
#define LOSSX_SIMD_CLONES __attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
#else
#define LOSSX_SIMD_CLONES
#endif

namespace lossx {

/// The type a sum over values of T is accumulated in (double for float).
template <class T>
using acc_t = double;

namespace detail {
template <class To, class From>
inline To bits(From f) {
  static_assert(sizeof(To) == sizeof(From), "bit cast between equal sizes");
  return __builtin_bit_cast(To, f);
}

template <class T>
struct ExpConst;

template <>
struct ExpConst<float> {
  using I = std::int32_t;
  static constexpr float hi = 88.72283905206835f;   // ln(FLT_MAX)
  static constexpr float lo = -103.97208f;          // below: result rounds to 0
  static constexpr float round = 12582912.0f;       // 1.5·2^23: adding it rounds to an integer
  static constexpr float log2e = 1.44269504088896341f;
  static constexpr float ln2_hi = 0.693359375f;
  static constexpr float ln2_lo = -2.12194440e-4f;
  static constexpr int mant = 23;
  static constexpr I bias = 127;
};

template <>
struct ExpConst<double> {
  using I = std::int64_t;
  static constexpr double hi = 709.782712893384;    // ln(DBL_MAX)
  static constexpr double lo = -745.1332191019412;  // below: result rounds to 0
  static constexpr double round = 6755399441055744.0;  // 1.5·2^52
  static constexpr double log2e = 1.4426950408889634074;
  static constexpr double ln2_hi = 6.93145751953125E-1;
  static constexpr double ln2_lo = 1.42860682030941723212E-6;
  static constexpr int mant = 52;
  static constexpr I bias = 1023;
};

// e^r for |r| <= ln2/2, Taylor/Horner to the order each type needs.
inline float exp_poly(float r) {
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  return p * r * r + r + 1.0f;
}

inline double exp_poly(double r) {
  // Horner form of sum_{k=0}^{12} r^k / k!; the truncation error is < 1e-17 for |r| <= 0.347.
  double p = 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  return p * r * r + r + 1.0;
}
}  // namespace detail

/// exp(x) for float or double, vectorisable; exp(-inf) = 0, exp(+inf) = inf, exp(nan) = nan.
template <class T>
inline T vexp(T x) {
  using C = detail::ExpConst<T>;
  using I = typename C::I;
  // Clamp first so that the integer arithmetic below never overflows; the
  // out-of-range and NaN cases are patched with selects at the end.
  T xc = x < C::lo ? C::lo : x;
  xc = xc > C::hi ? C::hi : xc;
  const T t = xc * C::log2e + C::round;
  const T n = t - C::round;  // round(x / ln2)
  const I ni = detail::bits<I>(t) - detail::bits<I>(C::round);
  const T r = (xc - n * C::ln2_hi) - n * C::ln2_lo;
  const T p = detail::exp_poly(r);
  // 2^n as two factors 2^(n/2) · 2^(n - n/2): each stays a normal number.
  const I n1 = ni >> 1;
  const I n2 = ni - n1;
  const T s1 = detail::bits<T>(static_cast<I>((n1 + C::bias) << C::mant));
  const T s2 = detail::bits<T>(static_cast<I>((n2 + C::bias) << C::mant));
  T y = p * s1 * s2;
  y = x > C::hi ? std::numeric_limits<T>::infinity() : y;
  y = x < C::lo ? T(0) : y;
  y = x != x ? x : y;
  return y;
}

// LOSSX_ALWAYS_INLINE: helpers called inside the SIMD loops of LOSSX_SIMD_CLONES kernels.
// GCC inlines a function built for the default target into a clone built for another
// -march only if it is always_inline; otherwise the call stays in the loop and the loop
// does not vectorise.
#ifndef LOSSX_ALWAYS_INLINE
#if defined(__GNUC__)
#define LOSSX_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define LOSSX_ALWAYS_INLINE inline
#endif
#endif

namespace detail {
template <class T>
struct LogConst;

template <>
struct LogConst<float> {
  using U = std::uint32_t;
  static constexpr U mant_mask = 0x007FFFFFu;
  static constexpr U one_bits = 0x3F800000u;       // 1.0f
  static constexpr U magic_bits = 0x4B000000u;     // 2^23: OR-ing a small integer into its mantissa gives 2^23 + n
  static constexpr float magic = 8388608.0f;       // 2^23
  static constexpr int mant = 23;
  static constexpr float bias = 127.0f;
  static constexpr float min_normal = 1.17549435e-38f;
  static constexpr float denorm_scale = 33554432.0f;  // 2^25
  static constexpr float denorm_shift = 25.0f;
  static constexpr float sqrt2 = 1.41421356237309505f;
  static constexpr float ln2_hi = 0.693359375f;
  static constexpr float ln2_lo = -2.12194440e-4f;
};

template <>
struct LogConst<double> {
  using U = std::uint64_t;
  static constexpr U mant_mask = 0x000FFFFFFFFFFFFFull;
  static constexpr U one_bits = 0x3FF0000000000000ull;    // 1.0
  static constexpr U magic_bits = 0x4330000000000000ull;  // 2^52
  static constexpr double magic = 4503599627370496.0;     // 2^52
  static constexpr int mant = 52;
  static constexpr double bias = 1023.0;
  static constexpr double min_normal = 2.2250738585072014e-308;
  static constexpr double denorm_scale = 18014398509481984.0;  // 2^54
  static constexpr double denorm_shift = 54.0;
  static constexpr double sqrt2 = 1.41421356237309505;
  static constexpr double ln2_hi = 6.93145751953125E-1;
  static constexpr double ln2_lo = 1.42860682030941723212E-6;
};

// log(m) for m in [1/sqrt2, sqrt2): with f = (m-1)/(m+1), log m = 2·atanh(f)
// = 2f·Σ_k f^(2k)/(2k+1). |f| <= 0.1716, so f² <= 0.0295 and the series,
// cut where its tail drops below half an ulp, needs 6 terms (float) / 11 (double).
LOSSX_ALWAYS_INLINE float log_mant(float m) {
  const float f = (m - 1.0f) / (m + 1.0f);
  const float s = f * f;
  float p = 1.0f / 11.0f;
  p = p * s + 1.0f / 9.0f;
  p = p * s + 1.0f / 7.0f;
  p = p * s + 1.0f / 5.0f;
  p = p * s + 1.0f / 3.0f;
  return 2.0f * f + 2.0f * f * s * p;
}

LOSSX_ALWAYS_INLINE double log_mant(double m) {
  const double f = (m - 1.0) / (m + 1.0);
  const double s = f * f;
  double p = 1.0 / 21.0;
  p = p * s + 1.0 / 19.0;
  p = p * s + 1.0 / 17.0;
  p = p * s + 1.0 / 15.0;
  p = p * s + 1.0 / 13.0;
  p = p * s + 1.0 / 11.0;
  p = p * s + 1.0 / 9.0;
  p = p * s + 1.0 / 7.0;
  p = p * s + 1.0 / 5.0;
  p = p * s + 1.0 / 3.0;
  return 2.0 * f + 2.0 * f * s * p;
}
}  // namespace detail

/// log(x) for float or double, vectorisable (the companion of vexp): x = 2^e·m with
/// m in [1/sqrt2, sqrt2), log x = e·ln2 + log m. Subnormals are scaled up first.
/// log(0) = -inf, log(x<0) = nan, log(inf) = inf, log(nan) = nan. Accuracy: within 2 ulp.
template <class T>
LOSSX_ALWAYS_INLINE T vlog(T x) {
  using C = detail::LogConst<T>;
  using U = typename C::U;
  const bool tiny = x < C::min_normal;
  const T xs = tiny ? x * C::denorm_scale : x;
  const U u = detail::bits<U>(xs);
  // The biased exponent as a float without an int->float conversion (AVX2 has
  // none for 64-bit lanes): OR it into the mantissa of 2^mant and subtract 2^mant.
  const T biased = detail::bits<T>(static_cast<U>((u >> C::mant) | C::magic_bits)) - C::magic;
  T e = biased - C::bias - (tiny ? C::denorm_shift : T(0));
  T m = detail::bits<T>(static_cast<U>((u & C::mant_mask) | C::one_bits));  // in [1, 2)
  const bool big = m > C::sqrt2;
  m = big ? m * T(0.5) : m;
  e = big ? e + T(1) : e;
  T y = e * C::ln2_hi + (detail::log_mant(m) + e * C::ln2_lo);
  y = x == std::numeric_limits<T>::infinity() ? x : y;
  y = x == T(0) ? -std::numeric_limits<T>::infinity() : y;
  y = x < T(0) ? std::numeric_limits<T>::quiet_NaN() : y;
  y = x != x ? x : y;
  return y;
}

namespace detail {
// Below this, exp(d) added to 1 (or to the two terms of 1 + e1 + e2) changes nothing: e^-40 < 2^-57
// (double), e^-20 < 2^-28 (float). Clamping there keeps vexp's intermediate results normal: at
// -inf it would form a subnormal product before selecting 0, and every subnormal costs a
// microcode assist of ~100 cycles per lane on x86, which would dominate the log-space CTC
// recursions (most of their states are -inf).
template <class T>
constexpr T lae_floor = sizeof(T) == 4 ? T(-20) : T(-40);
template <class T>
LOSSX_ALWAYS_INLINE T lae_term(T d) {
  return vexp(d < lae_floor<T> ? lae_floor<T> : d);  // a NaN d stays NaN
}
}  // namespace detail

/// log(exp(a) + exp(b)), vectorisable: max + log(1 + exp(min - max)).
/// Exact at -inf (both -inf gives -inf); a NaN argument gives NaN. Error: about 1 ulp of
/// max(|result|, 1).
template <class T>
LOSSX_ALWAYS_INLINE T log_add_exp(T a, T b) {
  constexpr T ninf = -std::numeric_limits<T>::infinity();
  const T m = a > b ? a : b;  // a NaN `a` lands in lo, a NaN `b` in m: both propagate
  const T lo = a > b ? b : a;
  // Both -inf (or lo NaN): shift by 0 and drop every term, so that the log sees 0 (or NaN).
  const T one = m == ninf ? T(0) : T(1);
  const T ms = m == ninf ? T(0) : m;
  return ms + vlog(one + one * detail::lae_term(lo - ms));
}

/// log(exp(a) + exp(b) + exp(c)), vectorisable: max + log(1 + Σ exp(other - max)).
template <class T>
LOSSX_ALWAYS_INLINE T log_add_exp(T a, T b, T c) {
  constexpr T ninf = -std::numeric_limits<T>::infinity();
  const T hi = a > b ? a : b;
  const T lo1 = a > b ? b : a;
  const T m = hi > c ? hi : c;
  const T lo2 = hi > c ? c : hi;
  const T one = m == ninf ? T(0) : T(1);
  const T ms = m == ninf ? T(0) : m;
  return ms + vlog(one + one * (detail::lae_term(lo1 - ms) + detail::lae_term(lo2 - ms)));
}

/// log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)).
template <class T>
inline T softplus(T x) {
  return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::fabs(x)));
}

/// log(sigmoid(x)) = -softplus(-x), stable for large |x|.
template <class T>
inline T log_sigmoid(T x) {
  return (x < T(0) ? x : T(0)) - std::log1p(std::exp(-std::fabs(x)));
}

/// sigmoid(x) without overflow.
template <class T>
inline T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

}  // namespace lossx
