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
// The clones are named by x86-64 ISA level (v4: AVX-512, v3: AVX2+FMA) where GCC supports it
// (12+), so that the loader picks them by CPU features. An "arch=<cpu name>" clone is picked
// only when the CPU is that model (__builtin_cpu_is): on a VM reporting a generic "Intel
// Xeon Processor" with AVX-512, only the baseline ran.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(LOSSX_NO_CLONES) && __GNUC__ >= 12
#define LOSSX_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#elif defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(LOSSX_NO_CLONES)
#define LOSSX_SIMD_CLONES __attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
#else
#define LOSSX_SIMD_CLONES
#endif

// LOSSX_INLINE forces the inlining of the small helpers that hot loops call. Without it
// GCC may leave a call to vexp (or to detail::bits inside it) in a LOSSX_SIMD_CLONES clone:
// it does not inline a plain inline function across -march targets once the clones exist,
// and a call in a loop stops the vectoriser ("control flow in loop").
#if defined(__GNUC__)
#define LOSSX_INLINE inline __attribute__((always_inline))
#else
#define LOSSX_INLINE inline
#endif

namespace lossx {

/// The type a sum over values of T is accumulated in (double for float).
template <class T>
using acc_t = double;

namespace detail {
template <class To, class From>
LOSSX_INLINE To bits(From f) {
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
LOSSX_INLINE float exp_poly(float r) {
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  return p * r * r + r + 1.0f;
}

LOSSX_INLINE double exp_poly(double r) {
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
LOSSX_INLINE T vexp(T x) {
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
