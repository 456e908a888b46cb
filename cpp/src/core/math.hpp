// Internal: scalar helpers that vectorise.
//
// The build has no -ffast-math (it would break NaN/Inf semantics), so GCC will
// not vectorise calls to std::exp. `vexp` is a branch-free exp that the
// compiler turns into SIMD code inside `#pragma omp simd` loops: Cody-Waite
// range reduction x = n·ln2 + r with |r| <= ln2/2, a minimax-style polynomial
// for e^r, and 2^n built in the exponent bits (split in two factors so that
// n = 128 / 1024 still scales correctly). Accuracy: < 2 ulp over the range.
// Results that would be subnormal (x < ln of the smallest normal number) are
// returned as 0: subnormal arithmetic costs x86 cores ~100 cycles per operand,
// and such terms are below 1e-37 (float) / 1e-307 (double) of any sum they enter.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

// LOSSX_SIMD_CLONES marks a hot kernel function that GCC compiles three times,
// for the portable baseline, AVX2+FMA and AVX-512, picking one at load time.
// One body, the instruction set chosen outside it (no intrinsics per ISA).
// The clones are the psABI levels x86-64-v3/v4, which the loader picks by CPU
// *features*; clones named after a CPU model (arch=haswell, ...) are picked by
// __builtin_cpu_is, i.e. never on AMD or on a VM reporting a generic model.
// GCC before 12 cannot dispatch on the psABI levels: baseline only there.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && defined(__x86_64__) && defined(__linux__) && \
    !defined(LOSSX_NO_CLONES)
#define LOSSX_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LOSSX_SIMD_CLONES
#endif

// LOSSX_INLINE marks a helper called from a LOSSX_SIMD_CLONES function. GCC
// does not inline a function compiled for the default target into a clone built
// for another -march unless it is always_inline; the helper would then run as
// baseline code and the clone would gain nothing. Every helper on the hot path
// of a clone (vexp, a row body, ...) carries this mark; LOSSX_INLINE_LAMBDA does
// the same for a lambda.
#if defined(__GNUC__)
#define LOSSX_INLINE inline __attribute__((always_inline))
#define LOSSX_INLINE_LAMBDA __attribute__((always_inline))
#else
#define LOSSX_INLINE inline
#define LOSSX_INLINE_LAMBDA
#endif

namespace lossx {

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
  static constexpr float lo = -87.33654475f;        // ln(FLT_MIN): below, 0 (see vexp)
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
  static constexpr double lo = -708.3964185322641;  // ln(DBL_MIN): below, 0 (see vexp)
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
  // out-of-range and NaN cases are patched with selects at the end. Each
  // comparison is written so that NaN fails it and selects the bound: a NaN that
  // reached the integer part would shift garbage (undefined behaviour).
  T xc = x > C::lo ? x : C::lo;
  xc = xc < C::hi ? xc : C::hi;
  const T t = xc * C::log2e + C::round;
  const T n = t - C::round;  // round(x / ln2)
  const I ni = detail::bits<I>(t) - detail::bits<I>(C::round);
  const T r = (xc - n * C::ln2_hi) - n * C::ln2_lo;
  const T p = detail::exp_poly(r);
  // 2^n as two factors 2^(n/2) · 2^(n - n/2): each stays a normal number.
  const I n1 = ni >> 1;
  const I n2 = ni - n1;
  // The biased exponents lie in [1, 2·bias] here; the shift is done unsigned (no signed overflow).
  using U = std::make_unsigned_t<I>;
  const T s1 = detail::bits<T>(static_cast<I>(static_cast<U>(n1 + C::bias) << C::mant));
  const T s2 = detail::bits<T>(static_cast<I>(static_cast<U>(n2 + C::bias) << C::mant));
  T y = p * s1 * s2;
  y = x > C::hi ? std::numeric_limits<T>::infinity() : y;
  y = x < C::lo ? T(0) : y;
  y = x != x ? x : y;
  return y;
}

/// exp(x) for x <= 0 or NaN only (x - max of a row, -|x|, ...): bitwise the value vexp gives
/// there, with about half the work. In [ln FLT_MIN, 0] the power 2^n (n in [-126, 0] for float,
/// [-1022, 0] for double) is a normal number, so one scale factor builds it; below, 0 (as vexp);
/// a NaN propagates through the arithmetic (same payload; a signalling NaN comes back quieted,
/// where vexp returns it as is) and the integer part is done unsigned, so that its garbage
/// exponent bits are defined behaviour. Checked bitwise against vexp on every float <= 0 and on
/// random doubles <= 0 (bench/results_kernels.md). Undefined result for x > 0.
template <class T>
LOSSX_INLINE T vexp_nonpos(T x) {
  using C = detail::ExpConst<T>;
  using U = std::make_unsigned_t<typename C::I>;
  const T xc = x < C::lo ? C::lo : x;  // NaN stays NaN
  const T t = xc * C::log2e + C::round;
  const T n = t - C::round;  // round(x / ln2)
  const T r = (xc - n * C::ln2_hi) - n * C::ln2_lo;
  const T p = detail::exp_poly(r);
  const U e = detail::bits<U>(t) - detail::bits<U>(C::round) + static_cast<U>(C::bias);  // biased exponent of 2^n
  const T y = p * detail::bits<T>(static_cast<U>(e << C::mant));
  return x < C::lo ? T(0) : y;
}

// 16 float lanes as a GCC vector type (GCC >= 12: the shuffles below need __builtin_shufflevector):
// one body that each LOSSX_SIMD_CLONES clone compiles to its own registers (one zmm on
// x86-64-v4, two ymm on v3, four xmm on the baseline). Used where a row loop needs what
// `#pragma omp simd` cannot express: a 16-entry table lookup as one permute (vexp16_nonpos).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#define LOSSX_VEC16 1
// These helpers are always inlined into one clone: the psABI note that a 64-byte vector is
// passed differently with and without AVX-512 concerns calls that never happen.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
namespace detail {
typedef float f32x16 __attribute__((vector_size(64)));
typedef std::int32_t i32x16 __attribute__((vector_size(64)));
typedef std::uint32_t u32x16 __attribute__((vector_size(64)));
typedef double f64x8 __attribute__((vector_size(64)));

LOSSX_INLINE f32x16 splat16(float v) { return f32x16{v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v}; }
LOSSX_INLINE f32x16 load16(const float* p) {
  f32x16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
LOSSX_INLINE void store16(float* p, f32x16 v) { std::memcpy(p, &v, sizeof v); }
/// load16, read from memory once: every later use takes the register. Without it GCC folds each
/// use of a loaded vector into a memory operand of its own (an input used three times is read
/// three times). Where the kernel's two inputs lie at the same offset modulo 4 KiB (two large
/// NumPy arrays do: both start 16 bytes into a page) those extra reads cost the 16M
/// binary_cross_entropy_with_logits forward ~8 % (bench/results_kernels.md, session 6). The empty
/// asm's "v" (a vector register) applies in the AVX-512 clone, "m" in the others (where 64 bytes
/// fill no register and these kernels do not run).
LOSSX_INLINE f32x16 load16_once(const float* p) {
  f32x16 v = load16(p);
  asm("" : "+v,m"(v));
  return v;
}
/// Whether the code this is inlined into fuses a*b - c into one FMA (GCC does in the clones and
/// builds whose target has FMA, unless -ffp-contract=off): 1 + 2^-12 squared is 1 + 2^-11 + 2^-24,
/// whose last term only a fused a*a - fl(a*a) keeps. Volatile loads keep it from being folded.
LOSSX_INLINE bool fma_fuses() {
  static volatile float one_plus = 1.000244140625f;
  const float p = one_plus * one_plus;
  return one_plus * one_plus - p != 0.0f;
}
/// Lane-wise `a > b ? a : b` (a NaN `a` gives b: the max of row_max, which skips NaN).
LOSSX_INLINE f32x16 max16(f32x16 a, f32x16 b) { return a > b ? a : b; }
}  // namespace detail

/// exp(x) of 16 floats with x <= 0 or NaN (x - max of a row): 0 below ln FLT_MIN (as vexp), a NaN
/// propagates, exp(0) = 1 exactly. Table method, cheaper than vexp_nonpos (6 multiply-adds
/// instead of 11): x = (16n + j)·ln2/16 + r with |r| <= ln2/32, e^x = 2^n · 2^(j/16) · e^r, the
/// 16 values 2^(j/16) one permute (`__builtin_shuffle` uses the index's low 4 bits: j), 2^n added
/// to their exponent bits (2^(n + j/16) >= 2^-126 stays normal for x >= ln FLT_MIN), and
/// e^r - 1 = r + c2·r² + c3·r³ (c2, c3 fitted for least maximum relative error on |r| <= ln2/32:
/// 1.6e-9). Error against double exp, checked on every float in [ln FLT_MIN, 0]: Fused (see
/// below) <= 1.6 ulp for x >= -20, <= 4.5 ulp below; not fused <= 1 ulp. Not bitwise vexp_nonpos.
/// Undefined result for x > 0.
template <bool Fused>
LOSSX_INLINE detail::f32x16 vexp16_nonpos(detail::f32x16 x) {
  using detail::f32x16;
  using detail::i32x16;
  using detail::u32x16;
  // The bits of 2^(j/16) (rounded) minus j << 19: adding t_bits << 19 = (k >> 4) << 23 + (j << 19)
  // then gives 2^(k >> 4) · 2^(j/16) in one integer add (the j bits cancel).
  const u32x16 tab = {0x3f800000u, 0x3f7daac3u, 0x3f7b95c2u, 0x3f79c3d3u,
                      0x3f7837f0u, 0x3f76f532u, 0x3f75fed7u, 0x3f75583fu,
                      0x3f7504f3u, 0x3f7508a4u, 0x3f75672au, 0x3f76248cu,
                      0x3f7744fdu, 0x3f78ccdfu, 0x3f7ac0c7u, 0x3f7d257du};
  // Range reduction r = x - k·ln2/16. Fused (the code fuses a*b - c into one FMA: the AVX2 and
  // AVX-512 clones, aarch64; see detail::fma_fuses): one constant, float(ln2/16), which is off by
  // 1.2e-10 (2.7e-9 relative), so r is off by |k|·1.2e-10 <= 2.4e-7 at x = ln FLT_MIN: <= 1.6 ulp
  // for x >= -20 (values >= 2e-9 of the row's maximum term), <= 4.5 ulp below. Not fused (the
  // baseline x86-64 clone, a build without FMA): a 12-bit high part, whose product with k (< 2^11)
  // is exact, and a low part (Cody-Waite): <= 1 ulp everywhere, one more operation.
  const f32x16 t = x * 23.08312f + detail::ExpConst<float>::round;  // 16/ln2; t's low bits: k = 16n + j
  const f32x16 k = t - detail::ExpConst<float>::round;
  f32x16 r;
  if constexpr (Fused) {
    r = x - k * 0.0433217f;
  } else {
    r = (x - k * 0.0433197021484375f) - k * 1.9966365e-06f;  // 2839 / 2^16, ln2/16 - 2839 / 2^16
  }
  const u32x16 tb = reinterpret_cast<u32x16>(t);
  // 2^(k >> 4) · 2^(j/16): unsigned, so that the garbage bits of a NaN or -inf x are defined
  // behaviour (such lanes come out NaN / are selected to 0 below).
  const f32x16 s = reinterpret_cast<f32x16>(__builtin_shuffle(tab, reinterpret_cast<i32x16>(tb)) + (tb << 19));
  const f32x16 q = (r * 0.16666721f + 0.50001615f) * (r * r) + r;  // e^r - 1
  const f32x16 y = s * q + s;
  return x < detail::ExpConst<float>::lo ? f32x16{} : y;
}

/// exp(x) of 16 floats with x <= 0 or NaN, as vexp16_nonpos (0 below ln FLT_MIN, NaN
/// propagates, exp(0) = 1 exactly) with one multiply-add fewer: a 32-entry table (a two-source
/// permute) halves the reduced argument, x = (32n + j)·ln2/32 + r with |r| <= ln2/64, so that a
/// degree-2 polynomial suffices: e^r - 1 = r·(c1 + c2·r), c1, c2 the float minimax fit of least
/// maximum relative error on |r| <= ln2/64 (5.3e-8). Error against double exp, checked on every
/// float in [ln FLT_MIN, 0] (cpp/tests/test_math.cpp): Fused <= 2.6 ulp for x >= -20, <= 5.5 ulp
/// below (the one-constant reduction, as in vexp16_nonpos); not fused <= 1.9 ulp. The row sums
/// of cross_entropy (row_sumexp16, row_sumexp16_soft) use it: the terms that matter (x >= -20)
/// are off by < 3.1e-7 relative, so log Σ is off by < 3.1e-7 absolute from them (one ulp of a loss
/// near log 1000 is 4.8e-7). Undefined result for x > 0.
template <bool Fused>
LOSSX_INLINE detail::f32x16 vexp16_nonpos32(detail::f32x16 x) {
  using detail::f32x16;
  using detail::i32x16;
  using detail::u32x16;
  // The bits of 2^(j/32) (rounded) minus j << 18, j = 0..15 and 16..31: adding t_bits << 18 =
  // (k >> 5) << 23 + (j << 18) gives 2^(k >> 5) · 2^(j/32) in one integer add (see vexp16_nonpos).
  const u32x16 lo = {0x3f800000u, 0x3f7ecd87u, 0x3f7daac3u, 0x3f7c980fu, 0x3f7b95c2u, 0x3f7aa43au,
                     0x3f79c3d3u, 0x3f78f4f0u, 0x3f7837f0u, 0x3f778d3au, 0x3f76f532u, 0x3f767043u,
                     0x3f75fed7u, 0x3f75a15bu, 0x3f75583fu, 0x3f7523f6u};
  const u32x16 hi = {0x3f7504f3u, 0x3f74fbafu, 0x3f7508a4u, 0x3f752c4du, 0x3f75672au, 0x3f75b9beu,
                     0x3f76248cu, 0x3f76a81eu, 0x3f7744fdu, 0x3f77fbb8u, 0x3f78ccdfu, 0x3f79b907u,
                     0x3f7ac0c7u, 0x3f7be4bau, 0x3f7d257du, 0x3f7e83b3u};
  const f32x16 t = x * 46.16624f + detail::ExpConst<float>::round;  // 32/ln2; t's low bits: k = 32n + j
  const f32x16 k = t - detail::ExpConst<float>::round;
  f32x16 r;
  if constexpr (Fused) {
    r = x - k * 0.02166085f;  // float(ln2/32), off by 6e-11: see vexp16_nonpos
  } else {
    r = (x - k * 0.02165985107421875f) - k * 9.98318e-07f;  // 2839 / 2^17 (exact product, |k| < 2^12), the rest
  }
  const u32x16 tb = reinterpret_cast<u32x16>(t);
  // Two-source shuffle: the index's low 5 bits (j) pick from lo (0..15) and hi (16..31).
  const f32x16 s = reinterpret_cast<f32x16>(__builtin_shuffle(lo, hi, reinterpret_cast<i32x16>(tb)) + (tb << 18));
  const f32x16 q = (r * 0.5000001f + 1.0000147f) * r;  // e^r - 1
  const f32x16 y = s * q + s;
  return x < detail::ExpConst<float>::lo ? f32x16{} : y;
}
#pragma GCC diagnostic pop
#endif

namespace detail {
// 2·atanh(s) = 2·(s + s³/3 + s⁵/5 + ...) = log((1 + s) / (1 - s)), Horner in s²,
// with K terms after s. The first omitted term, relative to 2s, is below
// s^(2K+2) / (2K+3): for |s| <= 1/3 (log1p on [0, 1]) K = 7 gives < 1.5e-8 and
// K = 16 < 1.7e-17; for |s| <= 0.1716 (log of a mantissa in [√½, √2)) K = 5
// gives < 2e-9 and K = 10 < 2.3e-17 — below half an ulp of float / double.
template <int K, class T>
LOSSX_INLINE T two_atanh(T s) {
  const T s2 = s * s;
  T p = T(0);
  for (int k = K; k >= 1; --k) p = p * s2 + T(1) / T(2 * k + 1);
  return T(2) * (s + s * s2 * p);
}

template <class T>
struct LogConst;
template <>
struct LogConst<float> {
  static constexpr int unit_terms = 7, mant_terms = 5;
  static constexpr float min_normal = 1.17549435e-38f;
  static constexpr float sub_scale = 16777216.0f;  // 2^24: lifts a subnormal into the normal range
  static constexpr float sub_exp = 24.0f;
  static constexpr std::int32_t exp_mask = 0xff, mant_mask = 0x7fffff;
};
template <>
struct LogConst<double> {
  static constexpr int unit_terms = 16, mant_terms = 10;
  static constexpr double min_normal = 2.2250738585072014e-308;
  static constexpr double sub_scale = 18014398509481984.0;  // 2^54
  static constexpr double sub_exp = 54.0;
  static constexpr std::int64_t exp_mask = 0x7ff, mant_mask = 0xfffffffffffffLL;
};
}  // namespace detail

/// log(1 + e) for e in [0, 1] (e.g. e = exp(-|x|)), vectorisable, relative error
/// of a few ulp, exact for tiny e: log(1 + e) = 2·atanh(e / (2 + e)).
/// Outside [0, 1] the result is not accurate; nan gives nan.
template <class T>
LOSSX_INLINE T vlog1p_unit(T e) {
  return detail::two_atanh<detail::LogConst<T>::unit_terms>(e / (T(2) + e));
}

/// log(x) for float or double, vectorisable (branch-free), a few ulp:
/// x = 2^k·m with m in [√½, √2), log x = k·ln2 + 2·atanh((m-1)/(m+1)).
/// log(0) = -inf, log(+inf) = +inf, log(x < 0) = nan, nan stays nan; subnormals are handled.
template <class T>
LOSSX_INLINE T vlog(T x) {
  using C = detail::ExpConst<T>;
  using L = detail::LogConst<T>;
  using I = typename C::I;
  const bool sub = x < L::min_normal;
  const T xs = sub ? x * L::sub_scale : x;
  const I b = detail::bits<I>(xs);
  const I k = ((b >> C::mant) & L::exp_mask) - C::bias;
  T m = detail::bits<T>(static_cast<I>((b & L::mant_mask) | (static_cast<I>(C::bias) << C::mant)));  // [1, 2)
  const bool high = m > T(1.4142135623730951);
  m = high ? m * T(0.5) : m;
  // k as a float without an int->float conversion (which AVX2 lacks for int64):
  // the bits of 1.5·2^mant plus k are the float 1.5·2^mant + k.
  const T kf = detail::bits<T>(static_cast<I>(detail::bits<I>(C::round) + k)) - C::round + (high ? T(1) : T(0)) -
               (sub ? L::sub_exp : T(0));
  const T s = (m - T(1)) / (m + T(1));
  T r = kf * C::ln2_hi + (detail::two_atanh<L::mant_terms>(s) + kf * C::ln2_lo);
  r = x == T(0) ? -std::numeric_limits<T>::infinity() : r;
  r = x < T(0) ? std::numeric_limits<T>::quiet_NaN() : r;
  r = x == std::numeric_limits<T>::infinity() ? x : r;
  r = x != x ? x : r;
  return r;
}

namespace detail {
// log1p(f) for f = m - 1, m in [√½, √2) (float): f - f²/2 + f³·R(f) with R of degree 7 fitted
// (Lawson's iteration, least maximum relative error of the whole: 5.8e-9 before rounding).
LOSSX_INLINE float log1p_mant_poly(float f) {
  float r = -7.63449818e-02f;
  r = r * f + 1.27615750e-01f;
  r = r * f + -1.31601810e-01f;
  r = r * f + 1.42017588e-01f;
  r = r * f + -1.66233569e-01f;
  r = r * f + 2.00012267e-01f;
  r = r * f + -2.50008196e-01f;
  r = r * f + 3.33333313e-01f;
  const float f2 = f * f;
  return (f2 * f) * r + (f2 * -0.5f + f);
}
}  // namespace detail

/// log(x) as vlog (same special values: log 0 = -inf, log(x < 0) = nan, log inf = inf, nan stays
/// nan, subnormals handled), without a division for float: x = 2^k·m with m in [√½, √2) split off
/// in the integer bits, log m = log1p(m − 1) by detail::log1p_mant_poly (m − 1 is exact). Error
/// against double log on every positive float (cpp/tests/test_math.cpp checks a dense sweep):
/// <= 1.3 ulp with and without FMA contraction. Not bitwise vlog. For double it is vlog.
template <class T>
LOSSX_INLINE T vlog_fast(T x) {
  if constexpr (std::is_same_v<T, float>) {
    using I = std::int32_t;
    using U = std::uint32_t;
    using L = detail::LogConst<float>;
    const bool sub = x < L::min_normal;
    const float xs = sub ? x * L::sub_scale : x;
    const I b = detail::bits<I>(xs);
    // 0x3f3504f3 = √½: k puts m = xs / 2^k in [√½, √2). Unsigned subtraction (x < 0 or nan gives
    // garbage bits, defined behaviour, replaced by the selects below), arithmetic shift.
    const I k = static_cast<I>(static_cast<U>(b) - 0x3f3504f3u) >> 23;
    const float m = detail::bits<float>(static_cast<U>(static_cast<U>(b) - (static_cast<U>(k) << 23)));
    const float kf = static_cast<float>(k) - (sub ? L::sub_exp : 0.0f);
    using C = detail::ExpConst<float>;
    float r = kf * C::ln2_hi + (detail::log1p_mant_poly(m - 1.0f) + kf * C::ln2_lo);
    r = x == 0.0f ? -std::numeric_limits<float>::infinity() : r;
    r = x < 0.0f ? std::numeric_limits<float>::quiet_NaN() : r;
    r = x == std::numeric_limits<float>::infinity() ? x : r;
    r = x != x ? x : r;
    return r;
  } else {
    return vlog(x);
  }
}

/// log(1 + v) for v >= -1, vectorisable and accurate for tiny v (Goldberg's
/// trick: with u = 1 + v rounded, log1p(v) = log(u)·v / (u - 1), or v if u == 1).
template <class T>
LOSSX_INLINE T vlog1p(T v) {
  const T u = T(1) + v;
  const T d = u - T(1);
  T r = vlog(u) * (v / (d == T(0) ? T(1) : d));
  r = d == T(0) ? v : r;
  r = v == std::numeric_limits<T>::infinity() ? v : r;
  return r;
}

/// log(1 + exp(x)) without overflow, vectorisable: max(x, 0) + log1p(exp(-|x|)).
template <class T>
LOSSX_INLINE T softplus(T x) {
  return (x > T(0) ? x : T(0)) + vlog1p_unit(vexp_nonpos(-std::fabs(x)));
}

/// sigmoid(t) = 1 / (1 + exp(-t)) from e = exp(-|t|), without overflow (callers that
/// already have e for a softplus reuse it).
template <class T>
LOSSX_INLINE T sigmoid_from(T t, T e) {
  return (t >= T(0) ? T(1) : e) / (T(1) + e);
}

/// sigmoid(x) without overflow, vectorisable.
template <class T>
LOSSX_INLINE T sigmoid(T x) {
  return sigmoid_from(x, vexp_nonpos(-std::fabs(x)));
}

namespace detail {
// e^r for |r| <= ln2/2 (float): 1 + r + r²·Q(r) with Q of degree 4, fitted (Lawson's iteration
// to the least maximum relative error of the whole) on that interval: 2.7e-9 before rounding,
// one multiply-add fewer than exp_poly's Taylor-like degree-7 form.
LOSSX_INLINE float exp_poly_fast(float r) {
  float q = 1.3814600e-3f;
  q = q * r + 8.3687082e-3f;
  q = q * r + 4.1668389e-2f;
  q = q * r + 1.6666521e-1f;
  q = q * r + 4.9999994e-1f;
  return (q * (r * r) + r) + 1.0f;
}
}  // namespace detail

/// exp(x) for every float, with fewer operations than vexp and no division: the range reduction
/// of vexp, detail::exp_poly_fast for e^r, and 2^n added to the exponent bits of e^r (an integer
/// add, exact, where vexp multiplies by two scale factors: e^r in [0.70, 1.42] keeps every biased
/// exponent 126 + n or 127 + n inside [1, 254] for x in [ln FLT_MIN, ln FLT_MAX], n in [-126, 128],
/// and at n = -126 an e^r just below 1 lands on the right subnormal). Special values as vexp:
/// +inf above ln FLT_MAX (and at the float nearest it, C::hi, whose exp overflows), 0 below
/// ln FLT_MIN (and at -inf), a NaN comes back as is. One input differs: x = C::lo, the float just
/// below ln FLT_MIN, gives 0 (vexp's documented rule for subnormal results) where vexp returns the
/// subnormal 1.1754907e-38 (the exponent add would give a wrong subnormal there). No clamp is needed: outside the range the integer part
/// only makes garbage bits (unsigned, defined behaviour) that the selects replace, and no float
/// operation ever sees a subnormal. Not bitwise vexp. Error against double exp on every 127th
/// float in (C::lo, C::hi): 1.01 ulp with FMA contraction (x86-64-v3/v4), 0.95 ulp without
/// (cpp/tests/test_math.cpp checks <= 1.5 ulp). For double it is vexp.
template <class T>
LOSSX_INLINE T vexp_fast(T x) {
  if constexpr (std::is_same_v<T, float>) {
    using C = detail::ExpConst<float>;
    using U = std::uint32_t;
    const float t = x * C::log2e + C::round;
    const float n = t - C::round;  // round(x / ln2)
    const float r = (x - n * C::ln2_hi) - n * C::ln2_lo;
    const float p = detail::exp_poly_fast(r);
    // n << 23 is bits(t) << 23: the bits of C::round shifted by 23 wrap to 0 (mod 2^32).
    float y = detail::bits<float>(static_cast<U>(detail::bits<U>(p) + (detail::bits<U>(t) << C::mant)));
    y = x >= C::hi ? std::numeric_limits<float>::infinity() : y;
    y = x <= C::lo ? 0.0f : y;
    y = x != x ? x : y;
    return y;
  } else {
    return vexp(x);
  }
}

/// x·log x with xlogy's special values (0 at x = 0, nan for x < 0 or nan, inf at inf), vectorisable.
/// For float: bitwise x·vlog_fast(x) on every positive finite x (the same steps, written so that
/// GCC keeps one integer path: the subnormal scale is a multiply by 1 or 2^24), the special values
/// from two selects instead of five (vlog_fast's four and the caller's x = 0); error against
/// double x·log x on every 127th float of (0, 1e36]: 2.24 ulp with and without FMA contraction
/// (vlog_fast's 1.3 ulp and the product's rounding; cpp/tests/test_math.cpp checks <= 2.5 ulp).
/// For double it is x == 0 ? 0 : x·vlog(x).
template <class T>
LOSSX_INLINE T vxlogx_fast(T x) {
  if constexpr (std::is_same_v<T, float>) {
    using I = std::int32_t;
    using U = std::uint32_t;
    using L = detail::LogConst<float>;
    using C = detail::ExpConst<float>;
    constexpr float inf = std::numeric_limits<float>::infinity();
    const bool sub = x < L::min_normal;
    const float xs = x * (sub ? L::sub_scale : 1.0f);
    const I b = detail::bits<I>(xs);
    const I k = static_cast<I>(static_cast<U>(b) - 0x3f3504f3u) >> 23;  // as vlog_fast
    const float m = detail::bits<float>(static_cast<U>(static_cast<U>(b) - (static_cast<U>(k) << 23)));
    const float kf = static_cast<float>(k) - (sub ? L::sub_exp : 0.0f);
    const float r = kf * C::ln2_hi + (detail::log1p_mant_poly(m - 1.0f) + kf * C::ln2_lo);
    // outside (0, inf): x·x gives 0 at ±0, inf at inf, nan at nan; x < 0 gives nan
    const float special = x < 0.0f ? std::numeric_limits<float>::quiet_NaN() : x * x;
    return x > 0.0f && x < inf ? x * r : special;
  } else {
    return x == T(0) ? T(0) : x * vlog(x);
  }
}

/// exp(x) for x <= 0 or NaN, with fewer operations than vexp_nonpos for float (its polynomial is
/// detail::exp_poly_fast; the range reduction, the 2^n scale, 0 below ln FLT_MIN and NaN
/// propagation are vexp_nonpos's). Not bitwise vexp_nonpos. Error against double exp on every
/// float in [ln FLT_MIN, 0]: 1.01 ulp with FMA contraction (x86-64-v4 build), 0.99 ulp without
/// (cpp/tests/test_math.cpp checks <= 1.5 ulp on a dense sweep). For double it is vexp_nonpos.
/// Undefined result for x > 0.
template <class T>
LOSSX_INLINE T vexp_nonpos_fast(T x) {
  if constexpr (std::is_same_v<T, float>) {
    using C = detail::ExpConst<float>;
    using U = std::uint32_t;
    const float xc = x < C::lo ? C::lo : x;  // NaN stays NaN
    const float t = xc * C::log2e + C::round;
    const float n = t - C::round;
    const float r = (xc - n * C::ln2_hi) - n * C::ln2_lo;
    const float p = detail::exp_poly_fast(r);
    const U e = detail::bits<U>(t) - detail::bits<U>(C::round) + static_cast<U>(C::bias);
    const float y = p * detail::bits<float>(static_cast<U>(e << C::mant));
    return x < C::lo ? 0.0f : y;
  } else {
    return vexp_nonpos(x);
  }
}

/// log(1 + e) for e in [0, 1] without a division, for float: e·P(e) with P of degree 9 fitted
/// (Lawson's iteration, least maximum relative error: 4.7e-9 before rounding) on [0, 1]; exact
/// for tiny e (P(0) = 1), log1p(1) within 1 ulp. Error against double log1p on every float in
/// [0, 1]: 1.43 ulp with FMA contraction, 1.77 ulp without (cpp/tests/test_math.cpp checks <= 2 ulp
/// on a dense sweep). Outside [0, 1] not accurate;
/// NaN gives NaN. For double it is vlog1p_unit (a polynomial would need degree ~20).
template <class T>
LOSSX_INLINE T vlog1p_unit_fast(T e) {
  if constexpr (std::is_same_v<T, float>) {
    float p = -3.2440273e-3f;
    p = p * e + 1.9851476e-2f;
    p = p * e + -5.6959566e-2f;
    p = p * e + 1.0603659e-1f;
    p = p * e + -1.5305597e-1f;
    p = p * e + 1.9675940e-1f;
    p = p * e + -2.4954134e-1f;
    p = p * e + 3.3329964e-1f;
    p = p * e + -4.9999902e-1f;
    return (p * e) * e + e;
  } else {
    return vlog1p_unit(e);
  }
}

#ifdef LOSSX_VEC16
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
namespace detail {
/// log1p_exp_neg16_table is valid for t < this (2t then rounds to an interval index <= 31).
constexpr float kLog1pExpNegCut = 15.75f;

/// The piecewise polynomial of log1p_exp_neg16_table and sigmoid_neg16_table at 16 floats t in
/// [0, kLog1pExpNegCut): interval k = round(2t) and u = t - k/2 in [-1/4, 1/4], from one add of
/// 1.5·2^22 (floats in [2^22, 2^23) are the multiples of 1/2, so tt = t + 1.5·2^22 is t rounded to
/// a half, ties to even, and the low 5 bits of tt's bits are k), one subtract giving k/2 and one
/// giving u (exact: Sterbenz); the two 16-float tables cja (k < 16) and cjb (k >= 16) of each
/// coefficient c_j give it in one two-table permute; then five multiply-adds (Horner in u). Three
/// adds for the index and the reduction, none on the multiply-add ports, the loop's busiest.
LOSSX_INLINE f32x16 table32_poly5(f32x16 t, f32x16 c0a, f32x16 c0b, f32x16 c1a, f32x16 c1b, f32x16 c2a,
                                  f32x16 c2b, f32x16 c3a, f32x16 c3b, f32x16 c4a, f32x16 c4b, f32x16 c5a,
                                  f32x16 c5b) {
  constexpr float half_round = 6291456.0f;  // 1.5·2^22
  const f32x16 tt = t + half_round;
  const f32x16 u = t - (tt - half_round);
  const i32x16 k = reinterpret_cast<i32x16>(tt);
  f32x16 p = __builtin_shuffle(c5a, c5b, k);
  p = p * u + __builtin_shuffle(c4a, c4b, k);
  p = p * u + __builtin_shuffle(c3a, c3b, k);
  p = p * u + __builtin_shuffle(c2a, c2b, k);
  p = p * u + __builtin_shuffle(c1a, c1b, k);
  return p * u + __builtin_shuffle(c0a, c0b, k);
}

// log1p(exp(-t)) for 16 floats t in [0, kLog1pExpNegCut) (or NaN, which propagates), in one step
// instead of an exp and a log1p: 32 intervals of width 1/2 centred at k/2, k = round(2t) (the low 5
// bits of t + 1.5·2^22, one two-table permute per coefficient: `__builtin_shuffle` of two 16-float
// vectors by an index uses its low 5 bits), u = t - k/2 in [-1/4, 1/4] and a degree-5 polynomial
// sum c_j·u^j per interval. Coefficients: a fit to the least maximum *relative* error on each
// interval (Lawson's iteration, 1.1e-8 before rounding), then rounded to float one coefficient at a
// time from c0 up, refitting the rest: g is ~e^-t here, so relative accuracy holds down to 1e-7 at
// the cut. Index and reduction: table32_poly5. Garbage (defined) for t >= the cut or t < 0.
LOSSX_INLINE f32x16 log1p_exp_neg16_table(f32x16 t) {
  // c0: intervals 0-15 (a), 16-31 (b)
  const f32x16 c0a = {6.931471825e-01f, 4.740769863e-01f, 3.132616878e-01f, 2.014132738e-01f,
                       1.269280165e-01f, 7.888973504e-02f, 4.858735204e-02f, 2.975041792e-02f,
                       1.814992726e-02f, 1.104774512e-02f, 6.715348456e-03f, 4.078443162e-03f,
                       2.475685207e-03f, 1.502310159e-03f, 9.114664863e-04f, 5.529315094e-04f};
  const f32x16 c0b = {3.354063665e-04f, 2.034476784e-04f, 1.234021911e-04f, 7.484902744e-05f,
                       4.539890142e-05f, 2.753607077e-05f, 1.670156234e-05f, 1.013004203e-05f,
                       6.144193321e-06f, 3.726646355e-06f, 2.260326937e-06f, 1.370958216e-06f,
                       8.315283822e-07f, 5.043475539e-07f, 3.059022902e-07f, 1.855391218e-07f};
  // c1: intervals 0-15 (a), 16-31 (b)
  const f32x16 c1a = {-5.000001192e-01f, -3.775406778e-01f, -2.689414322e-01f, -1.824255288e-01f,
                       -1.192029342e-01f, -7.585818321e-02f, -4.742587358e-02f, -2.931222878e-02f,
                       -1.798620820e-02f, -1.098694280e-02f, -6.692850497e-03f, -4.070137162e-03f,
                       -2.472623251e-03f, -1.501182211e-03f, -9.110511746e-04f, -5.527786561e-04f};
  const f32x16 c1b = {-3.353501088e-04f, -2.034269710e-04f, -1.233945659e-04f, -7.484621892e-05f,
                       -4.539786823e-05f, -2.753569061e-05f, -1.670142228e-05f, -1.012999019e-05f,
                       -6.144173767e-06f, -3.726639306e-06f, -2.260324209e-06f, -1.370957193e-06f,
                       -8.315279842e-07f, -5.043473834e-07f, -3.059022333e-07f, -1.855390934e-07f};
  // c2: intervals 0-15 (a), 16-31 (b)
  const f32x16 c2a = {1.250021309e-01f, 1.175014004e-01f, 9.830606729e-02f, 7.457377762e-02f,
                       5.249664187e-02f, 3.505189344e-02f, 2.258831263e-02f, 1.422651857e-02f,
                       8.831375279e-03f, 5.433079321e-03f, 3.324017860e-03f, 2.026784467e-03f,
                       1.233244780e-03f, 7.494610618e-04f, 4.551064048e-04f, 2.762330405e-04f};
  const f32x16 c2b = {1.676184766e-04f, 1.016919196e-04f, 6.168929394e-05f, 3.742021363e-05f,
                       2.269765537e-05f, 1.376736691e-05f, 8.350465578e-06f, 5.064937341e-06f,
                       3.072064146e-06f, 1.863295779e-06f, 1.130148803e-06f, 6.854699564e-07f,
                       4.157611500e-07f, 2.521711906e-07f, 1.529492835e-07f, 9.276891433e-08f};
  // c3: intervals 0-15 (a), 16-31 (b)
  const f32x16 c3a = {-1.378180696e-05f, -9.592243470e-03f, -1.514223870e-02f, -1.578810997e-02f,
                       -1.332629565e-02f, -9.911124595e-03f, -6.815243047e-03f, -4.464283120e-03f,
                       -2.838005079e-03f, -1.771232230e-03f, -1.093204017e-03f, -6.701289094e-04f,
                       -4.090467119e-04f, -2.490745974e-04f, -1.514277828e-04f, -9.197546751e-05f};
  const f32x16 c3b = {-5.583693928e-05f, -3.388412006e-05f, -2.055869118e-05f, -1.247207911e-05f,
                       -7.565274245e-06f, -4.588931006e-06f, -2.783390983e-06f, -1.688333441e-06f,
                       -1.024060225e-06f, -6.210973993e-07f, -3.767217720e-07f, -2.284916292e-07f,
                       -1.385901101e-07f, -8.405883278e-08f, -5.098307909e-08f, -3.092362277e-08f};
  // c4: intervals 0-15 (a), 16-31 (b)
  const f32x16 c4a = {-5.191595759e-03f, -3.996710293e-03f, -1.477765152e-03f, 6.353016943e-04f,
                       1.612872351e-03f, 1.688631251e-03f, 1.371885184e-03f, 9.836902609e-04f,
                       6.584779476e-04f, 4.243782605e-04f, 2.665748762e-04f, 1.651330676e-04f,
                       1.015850212e-04f, 6.206617400e-05f, 3.785311128e-05f, 2.303786277e-05f};
  const f32x16 c4b = {1.397488450e-05f, 8.493737369e-06f, 5.153096481e-06f, 3.125025842e-06f,
                       1.898292794e-06f, 1.150879029e-06f, 6.986927019e-07f, 4.230613513e-07f,
                       2.566096100e-07f, 1.558288005e-07f, 9.452302407e-08f, 5.734636943e-08f,
                       3.475478039e-08f, 2.109096364e-08f, 1.279665707e-08f, 7.755637910e-09f};
  // c5: intervals 0-15 (a), 16-31 (b)
  const f32x16 c5a = {1.320111041e-04f, 8.616260020e-04f, 1.016729511e-03f, 6.203870871e-04f,
                       1.642516436e-04f, -7.992029714e-05f, -1.557969517e-04f, -1.453740260e-04f,
                       -1.103305767e-04f, -7.719374116e-05f, -5.001715181e-05f, -3.149734766e-05f,
                       -1.993345541e-05f, -1.220238846e-05f, -7.492902569e-06f, -4.596470262e-06f};
  const f32x16 c5b = {-2.764959163e-06f, -1.689072292e-06f, -1.021404501e-06f, -6.175621365e-07f,
                       -3.788515244e-07f, -2.293381698e-07f, -1.399064615e-07f, -8.382754402e-08f,
                       -5.064407205e-08f, -3.112770486e-08f, -1.882594169e-08f, -1.145002315e-08f,
                       -6.909012473e-09f, -4.197841630e-09f, -2.560928358e-09f, -1.542836414e-09f};
  return table32_poly5(t, c0a, c0b, c1a, c1b, c2a, c2b, c3a, c3b, c4a, c4b, c5a, c5b);
}

// log1p(exp(-t)) for t >= kLog1pExpNegCut (or +inf): e - e²/2 with e = e^-t <= 1.5e-7 (the next
// term, e³/3, is below 1e-14 of it), e from vexp16_nonpos's two-constant (Cody-Waite) reduction,
// <= 1 ulp at any t; 0 for t > -ln FLT_MIN (as vexp_nonpos_fast) and for +inf.
LOSSX_INLINE f32x16 log1p_exp_neg16_tail(f32x16 t) {
  const f32x16 e = vexp16_nonpos<false>(-t);
  return (e * -0.5f) * e + e;
}

// sigmoid(-t) = 1 / (1 + e^t) for 16 floats t in [0, kLog1pExpNegCut) (or NaN): the method and the
// intervals of log1p_exp_neg16_table (the same k and u, which the compiler computes once where both
// are used), coefficients fitted the same way (1.1e-8 relative before rounding). No division.
LOSSX_INLINE f32x16 sigmoid_neg16_table(f32x16 t) {
  // c0: intervals 0-15 (a), 16-31 (b)
  const f32x16 c0a = {5.000000000e-01f, 3.775406778e-01f, 2.689414322e-01f, 1.824255288e-01f,
                       1.192029193e-01f, 7.585817575e-02f, 4.742587358e-02f, 2.931223065e-02f,
                       1.798621006e-02f, 1.098694280e-02f, 6.692850962e-03f, 4.070137627e-03f,
                       2.472623251e-03f, 1.501182327e-03f, 9.110511746e-04f, 5.527786561e-04f};
  const f32x16 c0b = {3.353501379e-04f, 2.034269855e-04f, 1.233945804e-04f, 7.484622620e-05f,
                       4.539786823e-05f, 2.753569061e-05f, 1.670142228e-05f, 1.012999110e-05f,
                       6.144174677e-06f, 3.726639306e-06f, 2.260324209e-06f, 1.370957193e-06f,
                       8.315280411e-07f, 5.043474403e-07f, 3.059022333e-07f, 1.855391076e-07f};
  // c1: intervals 0-15 (a), 16-31 (b)
  const f32x16 c1a = {-2.500000000e-01f, -2.350037098e-01f, -1.966119409e-01f, -1.491464674e-01f,
                       -1.049935892e-01f, -7.010371238e-02f, -4.517666250e-02f, -2.845302410e-02f,
                       -1.766270585e-02f, -1.086622942e-02f, -6.648056675e-03f, -4.053571261e-03f,
                       -2.466509352e-03f, -1.498928759e-03f, -9.102210752e-04f, -5.524730659e-04f};
  const f32x16 c1b = {-3.352376516e-04f, -2.033855999e-04f, -1.233793446e-04f, -7.484061643e-05f,
                       -4.539580550e-05f, -2.753493027e-05f, -1.670114216e-05f, -1.012988832e-05f,
                       -6.144136478e-06f, -3.726625209e-06f, -2.260318752e-06f, -1.370955260e-06f,
                       -8.315273021e-07f, -5.043471560e-07f, -3.059021196e-07f, -1.855390650e-07f};
  // c2: intervals 0-15 (a), 16-31 (b)
  const f32x16 c2a = {-9.020227765e-08f, 2.877690643e-02f, 4.542750865e-02f, 4.736477137e-02f,
                       3.998167440e-02f, 2.973439358e-02f, 2.044585533e-02f, 1.339252386e-02f,
                       8.513659239e-03f, 5.313707516e-03f, 3.279522061e-03f, 2.010285854e-03f,
                       1.227144850e-03f, 7.472064462e-04f, 4.542805837e-04f, 2.759286435e-04f};
  const f32x16 c2b = {1.675051608e-04f, 1.016504684e-04f, 6.167387619e-05f, 3.741462206e-05f,
                       2.269576726e-05f, 1.376667660e-05f, 8.350225471e-06f, 5.064810466e-06f,
                       3.072011395e-06f, 1.863288617e-06f, 1.130154942e-06f, 6.854734806e-07f,
                       4.157601552e-07f, 2.521700537e-07f, 1.529498377e-07f, 9.276868695e-08f};
  // c3: intervals 0-15 (a), 16-31 (b)
  const f32x16 c3a = {2.083571814e-02f, 1.605913043e-02f, 5.888218060e-03f, -2.612023382e-03f,
                       -6.475036032e-03f, -6.769695785e-03f, -5.488356575e-03f, -3.932592925e-03f,
                       -2.631834475e-03f, -1.692978665e-03f, -1.063815085e-03f, -6.591904094e-04f,
                       -4.049970303e-04f, -2.475710935e-04f, -1.508813584e-04f, -9.177377069e-05f};
  const f32x16 c3b = {-5.576152762e-05f, -3.385593300e-05f, -2.054822289e-05f, -1.246837837e-05f,
                       -7.564059160e-06f, -4.588559932e-06f, -2.783281843e-06f, -1.688217253e-06f,
                       -1.024005542e-06f, -6.211013783e-07f, -3.767405587e-07f, -2.284952529e-07f,
                       -1.385890585e-07f, -8.405692853e-08f, -5.098429412e-08f, -3.092321776e-08f};
  // c4: intervals 0-15 (a), 16-31 (b)
  const f32x16 c4a = {-2.068989306e-05f, -4.310419783e-03f, -5.102878436e-03f, -3.112354316e-03f,
                       -8.810722502e-04f, 3.794973891e-04f, 7.756365812e-04f, 7.335325354e-04f,
                       5.592892412e-04f, 3.857135889e-04f, 2.520106500e-04f, 1.596711663e-04f,
                       9.956882423e-05f, 6.137115997e-05f, 3.753105193e-05f, 2.292247154e-05f};
  const f32x16 c4b = {1.394867559e-05f, 8.480822544e-06f, 5.150441211e-06f, 3.123006763e-06f,
                       1.895377750e-06f, 1.149752620e-06f, 6.980964145e-07f, 4.233383777e-07f,
                       2.567903152e-07f, 1.557378226e-07f, 9.437657411e-08f, 5.727615005e-08f,
                       3.475846100e-08f, 2.110228614e-08f, 1.278830286e-08f, 7.758102605e-09f};
  // c5: intervals 0-15 (a), 16-31 (b)
  const f32x16 c5a = {-2.019900130e-03f, -1.121743117e-03f, 4.104211694e-04f, 9.819327388e-04f,
                       7.199250394e-04f, 3.044803161e-04f, 4.054689271e-05f, -5.730215344e-05f,
                       -7.429923426e-05f, -6.211944856e-05f, -4.461901699e-05f, -2.942806714e-05f,
                       -1.912296830e-05f, -1.199388225e-05f, -7.308868589e-06f, -4.533158517e-06f};
  const f32x16 c5b = {-2.758219807e-06f, -1.690721888e-06f, -1.023502364e-06f, -6.163906505e-07f,
                       -3.762920926e-07f, -2.275244668e-07f, -1.388810063e-07f, -8.442317068e-08f,
                       -5.101680145e-08f, -3.095721013e-08f, -1.854151321e-08f, -1.137921313e-08f,
                       -6.916452744e-09f, -4.220058081e-09f, -2.544612299e-09f, -1.547710626e-09f};
  return table32_poly5(t, c0a, c0b, c1a, c1b, c2a, c2b, c3a, c3b, c4a, c4b, c5a, c5b);
}

// sigmoid(-t) for t >= kLog1pExpNegCut (or +inf): e - e² with e = e^-t (e / (1 + e) to float
// precision: the next term is e³), e as in log1p_exp_neg16_tail.
LOSSX_INLINE f32x16 sigmoid_neg16_tail(f32x16 t) {
  const f32x16 e = vexp16_nonpos<false>(-t);
  return e - e * e;
}

/// Whether any lane of a 16-lane mask (or integer vector) is non-zero: an OR tree of halves.
LOSSX_INLINE bool any16(i32x16 m) {
  typedef std::int32_t i32x8 __attribute__((vector_size(32)));
  typedef std::int32_t i32x4 __attribute__((vector_size(16)));
  const i32x8 a = __builtin_shufflevector(m, m, 0, 1, 2, 3, 4, 5, 6, 7) |
                  __builtin_shufflevector(m, m, 8, 9, 10, 11, 12, 13, 14, 15);
  const i32x4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) | __builtin_shufflevector(a, a, 4, 5, 6, 7);
  return ((b[0] | b[1]) | (b[2] | b[3])) != 0;
}
}  // namespace detail

/// log1p(exp(-t)) = softplus(-t) for 16 floats t >= 0 (t = |x| of a softplus), in one step instead of
/// vexp_nonpos_fast then vlog1p_unit_fast: detail::log1p_exp_neg16_table (a piecewise polynomial
/// from two-table permutes) for t < 15.75, and, only when a lane lies at or above that, e - e²/2 for
/// those lanes (detail::log1p_exp_neg16_tail). Relative accuracy everywhere, tiny values included:
/// error against double log1p(exp(-t)) on every 127th float in [0, -ln FLT_MIN] and every float of
/// [15.25, 16.5] (cpp/tests/test_math.cpp checks <= 1.5 ulp): 1.36 ulp with FMA contraction, 1.39
/// without (1.21 in the table part). 0 beyond -ln FLT_MIN and at +inf, ln 2 at 0, NaN propagates.
/// Fast only where detail::vec16_fast() (AVX-512).
LOSSX_INLINE detail::f32x16 vlog1p_exp_neg16(detail::f32x16 t) {
  using detail::f32x16;
  using detail::i32x16;
  const f32x16 g = detail::log1p_exp_neg16_table(t);
  const i32x16 tail = t >= detail::kLog1pExpNegCut;
  return detail::any16(tail) ? (tail ? detail::log1p_exp_neg16_tail(t) : g) : g;  // rarely taken on typical logits
}

/// sigmoid(-t) = 1 / (1 + e^t) for 16 floats t >= 0 (t = |x|: sigmoid(x) is 1 minus it for x >= 0),
/// without exp or division: detail::sigmoid_neg16_table for t < 15.75, e - e² above (only when a lane
/// lies there). Relative accuracy everywhere; error against double on the sweep of vlog1p_exp_neg16
/// (cpp/tests/test_math.cpp checks <= 1.5 ulp): 1.35 ulp with and without FMA contraction. 0 beyond
/// -ln FLT_MIN and at +inf, 1/2 at 0, NaN propagates. Fast only where detail::vec16_fast() (AVX-512).
LOSSX_INLINE detail::f32x16 vsigmoid_neg16(detail::f32x16 t) {
  using detail::f32x16;
  using detail::i32x16;
  const f32x16 s = detail::sigmoid_neg16_table(t);
  const i32x16 tail = t >= detail::kLog1pExpNegCut;
  return detail::any16(tail) ? (tail ? detail::sigmoid_neg16_tail(t) : s) : s;  // rarely taken on typical logits
}
#pragma GCC diagnostic pop
#endif

namespace detail {
// Below this, exp(d) added to 1 changes nothing: e^-40 < 2^-57 (double), e^-20 < 2^-28
// (float). Clamping there keeps vexp's intermediate results normal: at -inf it would form
// a subnormal product before selecting 0, and every subnormal costs a microcode assist of
// ~100 cycles per lane on x86, which would dominate log-space recursions such as CTC's
// (most of their states are -inf).
template <class T>
constexpr T lae_floor = sizeof(T) == 4 ? T(-20) : T(-40);
}  // namespace detail

/// log(exp(a) + exp(b)), vectorisable: max + log1p(exp(min - max)), for float with the
/// division-free vexp_nonpos_fast / vlog1p_unit_fast (double: vexp_nonpos / vlog1p_unit).
/// Exact at -inf (both -inf gives -inf); a NaN argument gives NaN. Error: about 1 ulp of
/// max(|result|, 1).
template <class T>
LOSSX_INLINE T log_add_exp(T a, T b) {
  constexpr T ninf = -std::numeric_limits<T>::infinity();
  const T m = a > b ? a : b;  // a NaN `a` lands in lo, a NaN `b` in m: both propagate
  const T lo = a > b ? b : a;
  const bool none = m == ninf;  // both -inf (or lo NaN): shift by 0, give lo's -inf / NaN
  const T ms = none ? T(0) : m;
  const T d = lo - ms;
  const T r = ms + vlog1p_unit_fast(vexp_nonpos_fast(d < detail::lae_floor<T> ? detail::lae_floor<T> : d));  // NaN d stays NaN
  return none ? (lo == lo ? m : lo) : r;
}

}  // namespace lossx
