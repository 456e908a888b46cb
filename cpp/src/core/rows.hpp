// Internal: the (outer, C, inner) view of class-dim losses and softmax.
//
// An input (N, C, d1..dk) is N·d1·..·dk rows of C values each; row r starts at
// (r / inner)·C·inner + r % inner and its values are `inner` apart. A 2-D input
// has inner == 1 and contiguous rows, and gets a specialised stride of 1.
//
// The row helpers below (row_max, row_sumexp and their lane-major versions
// lanes_max, lanes_add_exp) are the max / Σ exp(x - max) of a log-sum-exp that
// cross_entropy, softmax / log_softmax (and the margin losses) share. They are
// LOSSX_INLINE: they run inside the callers' LOSSX_SIMD_CLONES bodies.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/math.hpp"
#include "lossx/core/view.hpp"

namespace lossx::detail {

struct RowLayout {
  index_t outer = 0;
  index_t classes = 0;
  index_t inner = 1;

  index_t rows() const { return outer * inner; }
  index_t base(index_t r) const { return (r / inner) * classes * inner + r % inner; }
  /// Rows per reduction block: about 32K values, never thread-dependent.
  index_t grain() const { return std::max<index_t>(1, 32768 / std::max<index_t>(classes, 1)); }
};

/// Layout of `shape` with the class (softmax) axis at `dim`.
inline RowLayout row_layout(const Shape& shape, index_t dim) {
  RowLayout l;
  l.outer = 1;
  for (index_t k = 0; k < dim; ++k) l.outer *= shape[static_cast<size_t>(k)];
  l.classes = shape.empty() ? 1 : shape[static_cast<size_t>(dim)];
  for (size_t k = static_cast<size_t>(dim) + 1; k < shape.size(); ++k) l.inner *= shape[k];
  return l;
}

/// A compile-time stride of 1, so that row loops over contiguous values specialise.
using Unit = std::integral_constant<index_t, 1>;

/// max_c x[c·s] of a row of C values (-inf for C == 0); NaN propagates through a later exp.
template <class T, class S>
LOSSX_INLINE T row_max(const T* x, index_t C, S s) {
  T m = -std::numeric_limits<T>::infinity();
#pragma omp simd reduction(max : m)
  for (index_t c = 0; c < C; ++c) m = x[c * s] > m ? x[c * s] : m;
  return m;
}

/// Σ_c exp(x[c·s] - m) in double, storing each exp in e[c·s] when e is given (e must not overlap x).
template <class T, class S>
LOSSX_INLINE double row_sumexp(const T* x, index_t C, S s, T m, T* e) {
  double sum = 0.0;
  if (e) {
#pragma omp simd reduction(+ : sum)
    for (index_t c = 0; c < C; ++c) {
      const T v = vexp_nonpos(x[c * s] - m);
      e[c * s] = v;
      sum += static_cast<double>(v);
    }
  } else {
#pragma omp simd reduction(+ : sum)
    for (index_t c = 0; c < C; ++c) sum += static_cast<double>(vexp_nonpos(x[c * s] - m));
  }
  return sum;
}

#if LOSSX_VEC16
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"  // see math.hpp
/// Whether the 16-lane row helpers are the fast path on this CPU: GCC 12 compiles the 16-lane
/// vector code of the AVX2 and baseline clones into scalar code with stack spills (under
/// valgrind, which runs the AVX2 clone: 20-26 instructions per value against 5-8 for the plain
/// loops), so without x86-64-v4 (AVX-512) the callers keep their plain loops. One answer per
/// process: results stay bitwise the same across thread counts and calls.
LOSSX_INLINE bool vec16_fast() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool v4 = __builtin_cpu_supports("x86-64-v4");
  return v4;
#else
  return true;
#endif
}

/// lo += lanes 0..7 of f, hi += lanes 8..15, in double. Written as one conversion of all 16 lanes
/// (a 128-byte vector, split by memcpy): GCC 12 then emits one extract and two 8-lane
/// conversions (vcvtps2pd ymm -> zmm), where converting each half on its own (a shufflevector to 8
/// lanes) takes four 4-lane conversions, two inserts and a shuffle. The same values either way.
typedef double f64x16 __attribute__((vector_size(128)));
LOSSX_INLINE void add_to_double_lanes(f32x16 f, f64x8& lo, f64x8& hi) {
  const f64x16 w = __builtin_convertvector(f, f64x16);
  f64x8 a, b;
  std::memcpy(&a, &w, sizeof a);
  std::memcpy(&b, reinterpret_cast<const char*>(&w) + sizeof a, sizeof b);
  lo += a;
  hi += b;
}

/// The largest of the 16 lanes of v (a shuffle tree; see max16 for NaN).
LOSSX_INLINE float hmax16(f32x16 v) {
  v = max16(v, __builtin_shuffle(v, i32x16{8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7}));
  v = max16(v, __builtin_shuffle(v, i32x16{4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11}));
  v = max16(v, __builtin_shuffle(v, i32x16{2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13}));
  v = max16(v, __builtin_shuffle(v, i32x16{1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14}));
  return v[0];
}

/// row_max of a contiguous float row of C >= 16 values, 16 lanes at a time with four
/// independent maxima (the order of a max does not matter: NaN is skipped as in row_max; at
/// worst the sign of a zero maximum differs, which no x - max, exp or max + log(...) sees).
LOSSX_INLINE float row_max16(const float* x, index_t C) {
  const index_t nv = C / 16;
  f32x16 m0 = splat16(-std::numeric_limits<float>::infinity()), m1 = m0, m2 = m0, m3 = m0;
  index_t v = 0;
  for (; v + 4 <= nv; v += 4) {
    m0 = max16(load16(x + 16 * v), m0);
    m1 = max16(load16(x + 16 * v + 16), m1);
    m2 = max16(load16(x + 16 * v + 32), m2);
    m3 = max16(load16(x + 16 * v + 48), m3);
  }
  for (; v < nv; ++v) m0 = max16(load16(x + 16 * v), m0);
  if (C % 16) m1 = max16(load16(x + C - 16), m1);  // the last 16 values, overlapping the previous ones
  return hmax16(max16(max16(m0, m1), max16(m2, m3)));
}

/// Σ_c exp(x_c - m) of a contiguous float row of C >= 16 values with m >= every x_c (or NaN
/// around), storing each exp in e[c] when e is given (e must not overlap x). The exp is
/// vexp16_nonpos32 (core/math.hpp); the sum runs in 16 float lanes over fixed blocks of 8 vectors (128 values:
/// at most 8 float additions per lane, relative error < 5e-7), each block's lanes added to 16
/// double lanes, then the lanes summed in a fixed tree: the same order for every call, thread
/// count and e. The last C % 16 values come from the overlapping vector x[C-16, C) with the
/// lanes already counted zeroed (its stored exps rewrite the same values).
/// With NextMax, the same loop also takes row_max16 of the next row xn (C values too) into
/// *mn: the next row's loads and maxima fill the issue slots this row's exp leaves free, and
/// its maximum is ready when its own exp pass starts (rather than after a max pass and a
/// reduction tree that the exp pass must wait for). The max is the same value as row_max16's.
template <bool Fused, bool NextMax = false>
LOSSX_INLINE double row_sumexp16_with(const float* x, index_t C, float m, float* e, const float* xn = nullptr,
                                      float* mn = nullptr) {
  const index_t nv = C / 16;
  const f32x16 mv = splat16(m);
  f32x16 nmax = splat16(-std::numeric_limits<float>::infinity());
  f64x8 dlo = {}, dhi = {};
  const auto add_block = [&](f32x16 f) LOSSX_INLINE_LAMBDA {
    add_to_double_lanes(f, dlo, dhi);
  };
  for (index_t v = 0; v < nv;) {
    const index_t end = std::min(nv, v + 8);
    f32x16 f = {};
    for (; v < end; ++v) {
      const f32x16 ex = vexp16_nonpos32<Fused>(load16(x + 16 * v) - mv);
      if constexpr (NextMax) nmax = max16(load16(xn + 16 * v), nmax);
      if (e) store16(e + 16 * v, ex);
      f += ex;
    }
    add_block(f);
  }
  if (const index_t rem = C % 16) {
    const f32x16 ex = vexp16_nonpos32<Fused>(load16(x + C - 16) - mv);
    if constexpr (NextMax) nmax = max16(load16(xn + C - 16), nmax);
    if (e) store16(e + C - 16, ex);
    const i32x16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    add_block(lane >= static_cast<std::int32_t>(16 - rem) ? ex : f32x16{});
  }
  if constexpr (NextMax) *mn = hmax16(nmax);
  const f64x8 d = dlo + dhi;
  return ((d[0] + d[4]) + (d[2] + d[6])) + ((d[1] + d[5]) + (d[3] + d[7]));
}
LOSSX_INLINE double row_sumexp16(const float* x, index_t C, float m, float* e) {
  return fma_fuses() ? row_sumexp16_with<true>(x, C, m, e) : row_sumexp16_with<false>(x, C, m, e);
}
/// row_sumexp16 of the row x, and row_max16 of the next row xn (the same C) into *mn, in one loop
/// (see row_sumexp16_with): a loop over rows calls row_max16 for its first row, then this.
LOSSX_INLINE double row_sumexp16_next_max(const float* x, index_t C, float m, float* e, const float* xn, float* mn) {
  return fma_fuses() ? row_sumexp16_with<true, true>(x, C, m, e, xn, mn)
                     : row_sumexp16_with<false, true>(x, C, m, e, xn, mn);
}

/// What row_sumexp16_soft returns: Σ e_c, Σ t'_c and Σ t'_c·(x_c - m), summed in double.
struct SoftRowSums {
  double sum;  // Σ_c exp(x_c - m)
  double tw;   // Σ_c t'_c
  double td;   // Σ_c t'_c·(x_c - m)   (<= 0 for t' >= 0)
};

/// row_sumexp16 of a contiguous float row of C >= 16 values together with the two sums of a
/// soft (probability) target row t of the same length, in one read of x and t: with
/// t'_c = w_c·(a·t_c + b) (Weighted; otherwise a·t_c + b), Σ t'_c and Σ t'_c·(x_c - m), where
/// x_c - m is the exp's own argument. The exps, e and Σ exp are computed as in row_sumexp16 (the
/// same operations in the same order); the two target sums are float products summed in the same fixed
/// blocks (8 vectors of 16 float lanes, then 16 double lanes, then the same tree), so their
/// order depends only on C. a = 1, b = 0 gives t' = t exactly. A t'_c = 0 where x_c = -inf
/// gives NaN (0·inf), as in PyTorch.
template <bool Fused, bool Weighted>
LOSSX_INLINE SoftRowSums row_sumexp16_soft_with(const float* x, const float* t, const float* w, index_t C, float m,
                                                float a, float b, float* e) {
  struct Terms {
    f32x16 ex, tc, td;
  };
  const f32x16 mv = splat16(m), av = splat16(a), bv = splat16(b);
  const auto terms = [&](index_t c) LOSSX_INLINE_LAMBDA {
    const f32x16 d = load16(x + c) - mv;
    const f32x16 ex = vexp16_nonpos32<Fused>(d);
    if (e) store16(e + c, ex);
    f32x16 tc = av * load16(t + c) + bv;
    if constexpr (Weighted) tc *= load16(w + c);
    return Terms{ex, tc, tc * d};
  };
  f64x8 s[6] = {};  // (low, high) double lanes of Σ e, Σ t', Σ t'·d
  const auto add_block = [&](const Terms& f) LOSSX_INLINE_LAMBDA {
    const f32x16 v[3] = {f.ex, f.tc, f.td};
    for (int k = 0; k < 3; ++k) add_to_double_lanes(v[k], s[2 * k], s[2 * k + 1]);
  };
  const index_t nv = C / 16;
  for (index_t v = 0; v < nv;) {
    const index_t end = std::min(nv, v + 8);
    Terms f{{}, {}, {}};
    for (; v < end; ++v) {
      const Terms g = terms(16 * v);
      f.ex += g.ex;
      f.tc += g.tc;
      f.td += g.td;
    }
    add_block(f);
  }
  if (const index_t rem = C % 16) {
    // The last 16 values, overlapping the previous ones: the lanes already counted are zeroed.
    const i32x16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const i32x16 keep = lane >= static_cast<std::int32_t>(16 - rem);
    const Terms g = terms(C - 16);
    add_block(Terms{keep ? g.ex : f32x16{}, keep ? g.tc : f32x16{}, keep ? g.td : f32x16{}});
  }
  const auto tree = [](f64x8 lo, f64x8 hi) LOSSX_INLINE_LAMBDA {
    const f64x8 d = lo + hi;
    return ((d[0] + d[4]) + (d[2] + d[6])) + ((d[1] + d[5]) + (d[3] + d[7]));
  };
  return {tree(s[0], s[1]), tree(s[2], s[3]), tree(s[4], s[5])};
}
/// row_sumexp16_soft_with for the code it is inlined into (see row_sumexp16); w may be nullptr.
LOSSX_INLINE SoftRowSums row_sumexp16_soft(const float* x, const float* t, const float* w, index_t C, float m,
                                           float a, float b, float* e) {
  if (w)
    return fma_fuses() ? row_sumexp16_soft_with<true, true>(x, t, w, C, m, a, b, e)
                       : row_sumexp16_soft_with<false, true>(x, t, w, C, m, a, b, e);
  return fma_fuses() ? row_sumexp16_soft_with<true, false>(x, t, w, C, m, a, b, e)
                     : row_sumexp16_soft_with<false, false>(x, t, w, C, m, a, b, e);
}
#pragma GCC diagnostic pop
#endif

}  // namespace lossx::detail

namespace lossx::detail {

/// Rows per lane-major tile (see for_lane_tiles).
constexpr index_t kLanes = 64;

/// Lane-major row_max over L rows whose class c values lie at x[c·cs + k], k < L:
/// m[k] = max(m[k], max_c x[c·cs + k]) (start m at -inf).
template <class T>
LOSSX_INLINE void lanes_max(const T* x, index_t C, index_t cs, index_t L, T* m) {
  for (index_t c = 0; c < C; ++c) {
    const T* xc = x + c * cs;
#pragma omp simd
    for (index_t k = 0; k < L; ++k) m[k] = xc[k] > m[k] ? xc[k] : m[k];
  }
}

/// Lane-major step of row_sumexp for one class row xc of L lanes: s[k] += exp(xc[k] - m[k]),
/// storing each exp in e[k] when e is given.
template <class T>
LOSSX_INLINE void lanes_add_exp(const T* xc, const T* m, index_t L, T* e, double* s) {
  if (e) {
#pragma omp simd
    for (index_t k = 0; k < L; ++k) {
      const T v = vexp_nonpos(xc[k] - m[k]);
      e[k] = v;
      s[k] += static_cast<double>(v);
    }
  } else {
#pragma omp simd
    for (index_t k = 0; k < L; ++k) s[k] += static_cast<double>(vexp_nonpos(xc[k] - m[k]));
  }
}

/// Calls `fn(r, L, xt, tt, gt, cs)` for the rows [r0, r1) in lane-major tiles of
/// L <= kLanes rows: the value of class c in the tile's row k is xt[c·cs + k], so
/// that loops over a tile's rows have unit stride and vectorise even when C is
/// small. K-dim layouts are lane-major already (a tile is L consecutive positions
/// of one sample; no copy); 2-D layouts are transposed through a buffer, and the
/// gradient written into it is transposed back. `t` (a second input with x's
/// layout, e.g. probabilities) and `grad` may be nullptr.
template <class T, class F>
void for_lane_tiles(const RowLayout& l, index_t r0, index_t r1, const T* x, const T* t, T* grad, F&& fn) {
  const index_t C = l.classes;
  if (l.inner > 1) {
    for (index_t r = r0; r < r1;) {
      const index_t n = r / l.inner, j = r % l.inner;
      const index_t len = std::min({kLanes, l.inner - j, r1 - r});
      const index_t base = n * C * l.inner + j;
      fn(r, len, x + base, t ? t + base : nullptr, grad ? grad + base : nullptr, l.inner);
      r += len;
    }
    return;
  }
  // The transpose buffer is kept per thread and only grows (at most kLanes · 63 · 3 values: C < 64
  // here): a fresh zeroed vector per call cost a malloc, a 2.5 KB memset and a free, a good part
  // of a tiny call such as cross_entropy on (8, 10).
  thread_local std::vector<T> buf;
  const auto need = static_cast<size_t>(kLanes * C * (1 + (t != nullptr) + (grad != nullptr)));
  if (buf.size() < need) buf.resize(need);
  T* xb = buf.data();
  T* tb = t ? xb + kLanes * C : nullptr;
  T* gb = grad ? xb + kLanes * C * (t ? 2 : 1) : nullptr;
  for (index_t r = r0; r < r1; r += kLanes) {
    const index_t len = std::min(kLanes, r1 - r);
    for (index_t k = 0; k < len; ++k)
      for (index_t c = 0; c < C; ++c) xb[c * len + k] = x[(r + k) * C + c];
    if (tb)
      for (index_t k = 0; k < len; ++k)
        for (index_t c = 0; c < C; ++c) tb[c * len + k] = t[(r + k) * C + c];
    fn(r, len, xb, tb, gb, len);
    if (gb)
      for (index_t k = 0; k < len; ++k)
        for (index_t c = 0; c < C; ++c) grad[(r + k) * C + c] = gb[c * len + k];
  }
}

}  // namespace lossx::detail
