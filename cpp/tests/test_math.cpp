// The vectorising float helpers of cpp/src/core/math.hpp against double libm: the maximum error
// in ulp over a dense sweep of their domains (every 127th float), and their special values. Each
// sweep runs as compiled for the test binary's target (no FMA on plain x86-64) and, where the CPU
// has them, for x86-64-v3 and x86-64-v4 (FMA contraction, as in the library's clones).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "check.hpp"
#include "core/math.hpp"

namespace {

// |got - ref| in units of the float ulp at ref (subnormal spacing below FLT_MIN).
double ulp_error(float got, double ref) {
  if (std::isnan(got) && std::isnan(ref)) return 0.0;
  if (static_cast<double>(got) == ref) return 0.0;
  int ex = 0;
  std::frexp(std::fabs(ref), &ex);
  const double ulp = std::ldexp(1.0, std::max(ex - 24, -149));
  return std::fabs(static_cast<double>(got) - ref) / ulp;
}

float from_bits(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

using Batch = void (*)(const float*, float*, long);

#define LOSSX_BATCH(name, attr, helper)                              \
  attr void name(const float* x, float* y, long n) {                 \
    for (long i = 0; i < n; ++i) y[i] = lossx::helper<float>(x[i]); \
  }
#define LOSSX_BATCHES(helper)                                                    \
  LOSSX_BATCH(helper##_base, , helper)                                           \
  LOSSX_BATCH(helper##_v3, LOSSX_TEST_TARGET("arch=x86-64-v3"), helper)          \
  LOSSX_BATCH(helper##_v4, LOSSX_TEST_TARGET("arch=x86-64-v4"), helper)

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && defined(__x86_64__)
#define LOSSX_TEST_ISAS 1
#define LOSSX_TEST_TARGET(t) __attribute__((target(t)))
#else
#define LOSSX_TEST_TARGET(t)
#endif

LOSSX_BATCHES(vexp_nonpos_fast)
LOSSX_BATCHES(vlog1p_unit_fast)
LOSSX_BATCHES(vlog_fast)

// The batch functions to run: the baseline one, plus each ISA variant the CPU supports.
std::vector<std::pair<std::string, Batch>> variants(Batch base, Batch v3, Batch v4) {
  std::vector<std::pair<std::string, Batch>> out{{"baseline", base}};
#ifdef LOSSX_TEST_ISAS
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v3")) out.push_back({"x86-64-v3", v3});
  if (__builtin_cpu_supports("x86-64-v4")) out.push_back({"x86-64-v4", v4});
#else
  (void)v3;
  (void)v4;
#endif
  return out;
}

// Max ulp error of f over the floats with bit patterns first, first + step, ... <= last
// (sign-magnitude order: for negative floats the patterns grow as the values fall).
double sweep(Batch f, double (*ref)(double), std::uint32_t first, std::uint32_t last, std::uint32_t step) {
  const long chunk = 4096;
  std::vector<float> x(chunk), y(chunk);
  double worst = 0.0;
  std::uint64_t b = first;
  while (b <= last) {
    long m = 0;
    for (; m < chunk && b <= last; ++m, b += step) x[static_cast<size_t>(m)] = from_bits(static_cast<std::uint32_t>(b));
    f(x.data(), y.data(), m);
    for (long i = 0; i < m; ++i) {
      const double e = ulp_error(y[static_cast<size_t>(i)], ref(static_cast<double>(x[static_cast<size_t>(i)])));
      if (e > worst) worst = e;
    }
  }
  return worst;
}

std::uint32_t bits_of(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

double ref_exp(double x) { return std::exp(x); }
double ref_log1p(double x) { return std::log1p(x); }
double ref_log(double x) { return std::log(x); }

float one(Batch f, float x) {
  float y;
  f(&x, &y, 1);
  return y;
}

constexpr std::uint32_t kStep = 127;  // every 127th float: ~9M points per helper and variant

}  // namespace

LOSSX_TEST(vexp_nonpos_fast_within_1_5_ulp_on_its_domain) {
  // [ln FLT_MIN, -0]: patterns from -0 (0x80000000) up to ln FLT_MIN's.
  const std::uint32_t lo = bits_of(lossx::detail::ExpConst<float>::lo);
  for (const auto& [isa, f] : variants(vexp_nonpos_fast_base, vexp_nonpos_fast_v3, vexp_nonpos_fast_v4)) {
    const double worst = sweep(f, ref_exp, 0x80000000u, lo, kStep);
    CHECK(worst <= 1.5);
    if (worst > 1.5) std::fprintf(stderr, "vexp_nonpos_fast %s: %.3f ulp\n", isa.c_str(), worst);
    CHECK(one(f, 0.0f) == 1.0f);
    CHECK(one(f, -0.0f) == 1.0f);
    CHECK(one(f, -100.0f) == 0.0f);  // below ln FLT_MIN: 0, as vexp_nonpos
    CHECK(one(f, -std::numeric_limits<float>::infinity()) == 0.0f);
    CHECK(std::isnan(one(f, std::numeric_limits<float>::quiet_NaN())));
  }
}

LOSSX_TEST(vlog1p_unit_fast_within_2_ulp_on_0_1) {
  for (const auto& [isa, f] : variants(vlog1p_unit_fast_base, vlog1p_unit_fast_v3, vlog1p_unit_fast_v4)) {
    const double worst = sweep(f, ref_log1p, 0u, bits_of(1.0f), kStep);
    CHECK(worst <= 2.0);
    if (worst > 2.0) std::fprintf(stderr, "vlog1p_unit_fast %s: %.3f ulp\n", isa.c_str(), worst);
    CHECK(one(f, 0.0f) == 0.0f);
    CHECK(one(f, 1e-30f) == 1e-30f);  // exact for tiny e
    CHECK(ulp_error(one(f, 1.0f), std::log1p(1.0)) <= 1.0);
    CHECK(std::isnan(one(f, std::numeric_limits<float>::quiet_NaN())));
  }
}

LOSSX_TEST(vlog_fast_within_1_5_ulp_on_positive_floats) {
  const float inf = std::numeric_limits<float>::infinity();
  for (const auto& [isa, f] : variants(vlog_fast_base, vlog_fast_v3, vlog_fast_v4)) {
    const double worst = sweep(f, ref_log, 1u, bits_of(inf) - 1u, kStep);  // subnormals included
    CHECK(worst <= 1.5);
    if (worst > 1.5) std::fprintf(stderr, "vlog_fast %s: %.3f ulp\n", isa.c_str(), worst);
    CHECK(one(f, 1.0f) == 0.0f);
    CHECK(one(f, 0.0f) == -inf);
    CHECK(one(f, -0.0f) == -inf);
    CHECK(one(f, inf) == inf);
    CHECK(std::isnan(one(f, -1.0f)));
    CHECK(std::isnan(one(f, -inf)));
    CHECK(std::isnan(one(f, std::numeric_limits<float>::quiet_NaN())));
    CHECK(ulp_error(one(f, 1e-45f), std::log(static_cast<double>(1e-45f))) <= 1.5);  // smallest subnormal
  }
}

// ---------------------------------------------------------------- vlog1p_exp_neg16, vsigmoid_neg16 (16 lanes)
#ifdef LOSSX_VEC16
// The batch functions pass 64-byte vectors between always-inlined helpers only: the psABI note
// about their passing with and without AVX-512 concerns calls that never happen. GCC emits it when
// it finishes the translation unit, so the pragma stays in force to the end of the file (no pop).
#pragma GCC diagnostic ignored "-Wpsabi"
namespace {
// The 16-lane helper over a batch: whole vectors, the last one padded with zeros.
#define LOSSX_BATCH16(name, attr, helper)                                                 \
  attr void name(const float* x, float* y, long n) {                                      \
    for (long i = 0; i < n; i += 16) {                                                    \
      float in[16] = {}, out[16];                                                         \
      const long m = n - i < 16 ? n - i : 16;                                             \
      std::memcpy(in, x + i, static_cast<size_t>(m) * sizeof(float));                     \
      lossx::detail::store16(out, lossx::helper(lossx::detail::load16(in)));              \
      std::memcpy(y + i, out, static_cast<size_t>(m) * sizeof(float));                    \
    }                                                                                     \
  }
LOSSX_BATCH16(log1p_exp_neg16_base, , vlog1p_exp_neg16)
LOSSX_BATCH16(log1p_exp_neg16_v3, LOSSX_TEST_TARGET("arch=x86-64-v3"), vlog1p_exp_neg16)
LOSSX_BATCH16(log1p_exp_neg16_v4, LOSSX_TEST_TARGET("arch=x86-64-v4"), vlog1p_exp_neg16)
LOSSX_BATCH16(sigmoid_neg16_base, , vsigmoid_neg16)
LOSSX_BATCH16(sigmoid_neg16_v3, LOSSX_TEST_TARGET("arch=x86-64-v3"), vsigmoid_neg16)
LOSSX_BATCH16(sigmoid_neg16_v4, LOSSX_TEST_TARGET("arch=x86-64-v4"), vsigmoid_neg16)

double ref_log1p_exp_neg(double t) { return std::log1p(std::exp(-t)); }
double ref_sigmoid_neg(double t) { return 1.0 / (1.0 + std::exp(t)); }
}  // namespace

LOSSX_TEST(vlog1p_exp_neg16_within_1_5_ulp_on_its_domain) {
  const float inf = std::numeric_limits<float>::infinity();
  const float cut = lossx::detail::kLog1pExpNegCut;
  const std::uint32_t hi = bits_of(-lossx::detail::ExpConst<float>::lo);  // -ln FLT_MIN
  for (const auto& [isa, f] : variants(log1p_exp_neg16_base, log1p_exp_neg16_v3, log1p_exp_neg16_v4)) {
    const double worst = sweep(f, ref_log1p_exp_neg, 0u, hi, kStep);
    // Every float of the last table interval and of the start of the tail (the cut's neighbourhood).
    const double near_cut = sweep(f, ref_log1p_exp_neg, bits_of(15.25f), bits_of(16.5f), 1u);
    std::fprintf(stderr, "vlog1p_exp_neg16 %s: %.3f ulp (every 127th float), %.3f ulp near the cut\n",
                 isa.c_str(), worst, near_cut);
    CHECK(worst <= 1.5);
    CHECK(near_cut <= 1.5);
    CHECK(ulp_error(one(f, 0.0f), std::log(2.0)) <= 0.5);
    CHECK(one(f, 100.0f) == 0.0f);  // e^-100 is below FLT_MIN: 0, as vexp_nonpos_fast
    CHECK(one(f, inf) == 0.0f);
    CHECK(std::isnan(one(f, std::numeric_limits<float>::quiet_NaN())));
    // A lane in the tail does not change its neighbours' values (the table result is kept there).
    float in[16], out[16];
    for (int i = 0; i < 16; ++i) in[i] = 0.37f * static_cast<float>(i);
    f(in, out, 16);
    const float first = out[1];
    in[0] = cut + 3.0f;
    f(in, out, 16);
    CHECK(out[1] == first);
    CHECK(ulp_error(out[0], ref_log1p_exp_neg(static_cast<double>(in[0]))) <= 1.5);
  }
}

LOSSX_TEST(vsigmoid_neg16_within_1_5_ulp_on_its_domain) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::uint32_t hi = bits_of(-lossx::detail::ExpConst<float>::lo);
  for (const auto& [isa, f] : variants(sigmoid_neg16_base, sigmoid_neg16_v3, sigmoid_neg16_v4)) {
    const double worst = sweep(f, ref_sigmoid_neg, 0u, hi, kStep);
    const double near_cut = sweep(f, ref_sigmoid_neg, bits_of(15.25f), bits_of(16.5f), 1u);
    std::fprintf(stderr, "vsigmoid_neg16 %s: %.3f ulp (every 127th float), %.3f ulp near the cut\n", isa.c_str(),
                 worst, near_cut);
    CHECK(worst <= 1.5);
    CHECK(near_cut <= 1.5);
    CHECK(one(f, 0.0f) == 0.5f);
    CHECK(one(f, 100.0f) == 0.0f);
    CHECK(one(f, inf) == 0.0f);
    CHECK(std::isnan(one(f, std::numeric_limits<float>::quiet_NaN())));
  }
}
#endif
