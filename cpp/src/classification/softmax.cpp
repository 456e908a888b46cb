// softmax / log_softmax — as torch.softmax / torch.log_softmax along one dimension.
//
// For a row x of C values, m = max_c x_c, e_c = exp(x_c - m), S = Σ_c e_c, s = e / S:
//   softmax_c     = e_c / S
//   log_softmax_c = (x_c - m) - log S
//   softmax backward:     grad_c = s_c·(g_c - Σ_k g_k s_k)
//   log_softmax backward: grad_c = g_c - s_c·Σ_k g_k
// Subtracting m keeps every exp in range (logits of magnitude 1e4 are fine in
// float32) and S in [1, C]. S and the Σ over g are accumulated in double.
// As in PyTorch, a row holding +inf or NaN, or only -inf values, gives nan
// everywhere (inf - inf); a -inf among finite values gives softmax 0 and
// log_softmax -inf, with a finite gradient.
//
// The backward takes the forward's input (not its output) and recomputes s,
// so that log_softmax_backward composes with every other lossx `_backward`.
// grad_output is one value per element, or a uniform one (0-d: the same value
// everywhere, Request::grad_output; NAME_with_grad's default of ones): the
// bodies are templated on that (kUniform) and read g_c through one accessor,
// so both kinds give bitwise the same gradient for equal values.
//
// softmax and log_softmax share one templated body (kLog picks the formulas),
// written in two loop orders, softmax_row and softmax_tile below:
//   * dim is the last axis (inner == 1): rows are contiguous; the loops run
//     along the C values of a row.
//   * otherwise the values of one row are `inner` apart while `inner`
//     neighbouring rows lie side by side in memory: a tile of up to kLanes such
//     rows is processed together, with the loops running across the rows
//     (contiguous, vectorised) and stepping along C. This is what makes a
//     softmax over dim 1 of an (N, C, H, W) input as fast as a last-dim one.
// No output depends on another row, so the result is the same for any thread count.
// The row bodies are LOSSX_INLINE so that they (and vexp) are compiled
// into each LOSSX_SIMD_CLONES clone of softmax_block. The max and Σ exp loops
// are the row helpers of core/rows.hpp that cross_entropy uses too: for contiguous
// float rows of >= 64 values the 16-lane ones (row_max16 and softmax_row16 below,
// table exp; their summation order depends only on C), everywhere else the plain ones.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/check.hpp"
#include "lossx/classification.hpp"
#include "core/math.hpp"
#include "core/parallel.hpp"
#include "core/reduce.hpp"
#include "core/rows.hpp"
#include "core/stream.hpp"

namespace lossx {
namespace {

using detail::kLanes;  // neighbouring rows handled together when dim is not the last axis
using detail::RowLayout;
/// About this many values per parallel block (a constant: never thread-dependent).
constexpr index_t kBlockValues = 32768;
/// Contiguous float rows of at least this many values take the 16-lane exp (row_max16 /
/// row_sumexp16 need C >= 16; below 64 the plain loops are as fast).
constexpr index_t kWideRowClasses = 64;

template <class T>
struct SoftmaxArgs {
  const T* x;
  const T* g;  // grad_output per element, or nullptr (uniform: gu; or no gradient)
  T gu;        // the uniform grad_output (when g is nullptr)
  T* out;      // forward output or nullptr
  T* grad;     // gradient or nullptr
  RowLayout l;
  // With both outputs, large: stream the one that pass 3 of softmax_row16 writes first and last
  // (log_softmax: out; softmax: grad; the other holds e from pass 2).
  bool stream_late = false;
};

/// grad_output of element i (from `base`): g[i], or the uniform value for every element.
template <class T, bool kUniform>
struct GradOut {
  const T* __restrict g;
  T gu;
  LOSSX_INLINE T operator[](index_t i) const {
    if constexpr (kUniform)
      return gu;
    else
      return g[i];
  }
};

#if LOSSX_VEC16
// The -Wpsabi note of core/math.hpp is ignored to the end of the file, with no pop: GCC
// reports it for the templates below at the very end of the translation unit.
#pragma GCC diagnostic ignored "-Wpsabi"
/// v in all 16 lanes. As splat16, but as a shuffle of lane 0: in the large bodies below GCC
/// expands the 16-value initialiser of splat16 lane by lane (16 masked broadcasts per splat,
/// some per row), the shuffle as one broadcast.
LOSSX_INLINE detail::f32x16 bcast16(float v) {
  detail::f32x16 t = {};
  t[0] = v;
  return __builtin_shufflevector(t, t, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

/// grad_output of a 16-lane row: g[c, c + 16), or the uniform value, broadcast once outside
/// the loops.
template <bool kUniform>
struct GradOut16 {
  const float* g;
  detail::f32x16 gu;
  LOSSX_INLINE detail::f32x16 at(index_t c) const {
    if constexpr (kUniform)
      return gu;
    else
      return detail::load16(g + c);
  }
  /// The vector's term of the gradient's sum: g (log_softmax) or g·e (softmax).
  template <bool kLog>
  LOSSX_INLINE detail::f32x16 term(index_t c, detail::f32x16 ex) const {
    if constexpr (kLog)
      return at(c);
    else
      return at(c) * ex;
  }
};

/// A contiguous float row of C >= 64 values in three passes (the row stays in L1 after the
/// first): (1) m = row_max16; (2) e = exp(x - m) in 16-lane vectors (table exp; stored where
/// softmax_row says), S = Σ e and, with a gradient, Σ g (log_softmax) or Σ g·e (softmax:
/// Σ g·s = Σ g·e / S) in the same loop; (3) the output and the gradient together. The sums run as row_sumexp16's: 16 float lanes
/// over fixed blocks of 8 vectors, each block's lanes added to 16 double lanes, the lanes in a
/// fixed tree; the last C % 16 values come from the overlapping vector [C-16, C) with the lanes
/// already counted zeroed. The order depends only on C.
template <bool Fused, bool kLog, bool kUniform>
LOSSX_INLINE void softmax_row16(const float* __restrict x, GradOut<float, kUniform> g1, float* out, float* grad,
                                index_t C, bool stream_late) {
  using detail::f32x16;
  using detail::f64x8;
  using detail::load16;
  using detail::store16;
  const index_t nv = C / 16, rem = C % 16;
  float* e = kLog ? grad : (out ? out : grad);
  const float m = detail::row_max16(x, C);
  const f32x16 mv = bcast16(m);
  const GradOut16<kUniform> g{g1.g, bcast16(g1.gu)};
  // (2) S and the gradient's sum, in double lanes.
  f64x8 slo = {}, shi = {}, glo = {}, ghi = {};
  const auto add_block = [](f32x16 f, f64x8& lo, f64x8& hi) LOSSX_INLINE_LAMBDA {
    detail::add_to_double_lanes(f, lo, hi);
  };
  const auto lanes_sum = [](f64x8 lo, f64x8 hi) LOSSX_INLINE_LAMBDA {
    const f64x8 d = lo + hi;
    return ((d[0] + d[4]) + (d[2] + d[6])) + ((d[1] + d[5]) + (d[3] + d[7]));
  };
  for (index_t v = 0; v < nv;) {
    const index_t end = std::min(nv, v + 8);
    f32x16 f = {}, fg = {};
    for (; v < end; ++v) {
      const f32x16 ex = vexp16_nonpos<Fused>(load16(x + 16 * v) - mv);
      if (e) store16(e + 16 * v, ex);
      f += ex;
      if (grad) fg += g.template term<kLog>(16 * v, ex);
    }
    add_block(f, slo, shi);
    if (grad) add_block(fg, glo, ghi);
  }
  if (rem) {
    const f32x16 ex = vexp16_nonpos<Fused>(load16(x + C - 16) - mv);
    if (e) store16(e + C - 16, ex);
    const detail::i32x16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const auto fresh = lane >= static_cast<std::int32_t>(16 - rem);
    add_block(fresh ? ex : f32x16{}, slo, shi);
    if (grad) add_block(fresh ? g.template term<kLog>(C - 16, ex) : f32x16{}, glo, ghi);
  }
  const double S = lanes_sum(slo, shi);
  const double G = grad ? lanes_sum(glo, ghi) : 0.0;

  // (3) out and grad, over e where it was stored (log_softmax: grad; softmax: out, else grad):
  // plain loops, which each clone vectorises with its own width (a 16-lane store is a copy
  // through the stack on AVX2), one loop per combination of outputs.
  const GradOut<float, kUniform> gs = g1;  // per element, for the plain loops
  const auto pass3 = [&](auto out_wanted, auto grad_wanted) LOSSX_INLINE_LAMBDA {
    constexpr bool kOut = decltype(out_wanted)::value, kGrad = decltype(grad_wanted)::value;
    if constexpr (kLog) {
      const float logS = static_cast<float>(std::log(S));
      const float k = static_cast<float>(G / S);  // s_c·Σg = e_c·(Σg / S)
      const auto out_c = [&](index_t c) LOSSX_INLINE_LAMBDA { return (x[c] - m) - logS; };
      const auto grad_c = [&](index_t c) LOSSX_INLINE_LAMBDA { return gs[c] - grad[c] * k; };  // grad holds e
      if constexpr (kOut && kGrad) {
        // A large output next to a gradient: the output is written only here, so its lines
        // can be streamed (detail::stream_values: no write-allocate read of them); the gradient
        // lines, written in pass 2 already, stay plain. Same expressions: the same bits.
        if (stream_late) {
#pragma omp simd
          for (index_t c = 0; c < C; ++c) grad[c] = grad_c(c);
          detail::stream_values(out, 0, C, out_c);
          return;
        }
      }
#pragma omp simd
      for (index_t c = 0; c < C; ++c) {
        if constexpr (kOut) out[c] = out_c(c);
        if constexpr (kGrad) grad[c] = grad_c(c);
      }
    } else {
      const float inv = static_cast<float>(1.0 / S);
      const float D = static_cast<float>(G / S);  // Σ g·s
      if constexpr (kOut && kGrad) {
        // As for log_softmax above, with the roles swapped: out holds e from pass 2, the gradient
        // is written only here and is streamed. grad reads s_c back from out: the same bits.
        if (stream_late) {
#pragma omp simd
          for (index_t c = 0; c < C; ++c) out[c] = e[c] * inv;
          detail::stream_values(grad, 0, C, [&](index_t c) LOSSX_INLINE_LAMBDA { return out[c] * (gs[c] - D); });
          return;
        }
      }
#pragma omp simd
      for (index_t c = 0; c < C; ++c) {
        const float sc = e[c] * inv;
        if constexpr (kOut) out[c] = sc;
        if constexpr (kGrad) grad[c] = sc * (gs[c] - D);
      }
    }
  };
  using Yes = std::true_type;
  using No = std::false_type;
  if (out && grad)
    pass3(Yes{}, Yes{});
  else if (out)
    pass3(Yes{}, No{});
  else
    pass3(No{}, Yes{});
}
#endif

// One contiguous row of C values starting at offset `base`.
template <class T, bool kLog, bool kUniform>
LOSSX_INLINE void softmax_row(const SoftmaxArgs<T>& a, index_t base) {
  const index_t C = a.l.classes;
  const T* __restrict x = a.x + base;
  T* out = a.out ? a.out + base : nullptr;  // not restrict: e below may alias either
  T* grad = a.grad ? a.grad + base : nullptr;
  const GradOut<T, kUniform> g{a.g ? a.g + base : nullptr, a.gu};
#if LOSSX_VEC16
  // Wide float rows: the 16-lane body (table exp, float partial sums over fixed blocks; the
  // summation order depends only on C), as cross_entropy's class-index rows use them.
  // e never overlaps x: out and grad are buffers of their own. Only where the 16-lane code
  // compiles to real vectors (AVX-512; see detail::vec16_fast).
  if constexpr (std::is_same_v<T, float>) {
    if (C >= kWideRowClasses && detail::vec16_fast()) {
      if (detail::fma_fuses())
        softmax_row16<true, kLog, kUniform>(x, g, out, grad, C, a.stream_late);
      else
        softmax_row16<false, kLog, kUniform>(x, g, out, grad, C, a.stream_late);
      return;
    }
  }
#endif

  // e_c = exp(x_c - m) goes where it is needed next: the gradient buffer for
  // log_softmax (its output does not need e), the output or else the gradient
  // buffer for softmax. Pure log_softmax forward keeps nothing.
  T* e = kLog ? grad : (out ? out : grad);
  const T m = detail::row_max(x, C, detail::Unit{});
  const double S = detail::row_sumexp(x, C, detail::Unit{}, m, e);

  if constexpr (kLog) {
    if (out) {
      const T logS = static_cast<T>(std::log(S));
#pragma omp simd
      for (index_t c = 0; c < C; ++c) out[c] = (x[c] - m) - logS;
    }
    if (grad) {
      double G = 0.0;
#pragma omp simd reduction(+ : G)
      for (index_t c = 0; c < C; ++c) G += static_cast<double>(g[c]);
      const T k = static_cast<T>(G / S);  // s_c·Σg = e_c·(Σg / S)
#pragma omp simd
      for (index_t c = 0; c < C; ++c) grad[c] = g[c] - grad[c] * k;  // grad holds e
    }
  } else {
    const T inv = static_cast<T>(1.0 / S);
#pragma omp simd
    for (index_t c = 0; c < C; ++c) e[c] *= inv;  // e now holds s
    if (grad) {
      double D = 0.0;
#pragma omp simd reduction(+ : D)
      for (index_t c = 0; c < C; ++c) D += static_cast<double>(g[c]) * static_cast<double>(e[c]);
      const T Dt = static_cast<T>(D);
#pragma omp simd
      for (index_t c = 0; c < C; ++c) grad[c] = e[c] * (g[c] - Dt);
    }
  }
}

// A tile of w <= kLanes neighbouring rows starting at offset `base`: value c of
// lane j sits at base + c·inner + j. Same formulas as softmax_row, per lane.
template <class T, bool kLog, bool kUniform>
LOSSX_INLINE void softmax_tile(const SoftmaxArgs<T>& a, index_t base, index_t w) {
  const index_t C = a.l.classes, s = a.l.inner;
  T m[kLanes];
  double S[kLanes];
  T k[kLanes];
  for (index_t j = 0; j < w; ++j) {
    m[j] = -std::numeric_limits<T>::infinity();
    S[j] = 0.0;
  }
  const T* xb = a.x + base;
  detail::lanes_max(xb, C, s, w, m);
  T* e = kLog ? a.grad : (a.out ? a.out : a.grad);
  if (e) {
    T* eb = e + base;
    for (index_t c = 0; c < C; ++c) detail::lanes_add_exp(xb + c * s, m, w, eb + c * s, S);
  } else {
    for (index_t c = 0; c < C; ++c) detail::lanes_add_exp<T>(xb + c * s, m, w, nullptr, S);
  }
  // grad_output of class c in the tile's lanes
  const auto gc = [&](index_t c) LOSSX_INLINE_LAMBDA {
    return GradOut<T, kUniform>{a.g ? a.g + base + c * s : nullptr, a.gu};
  };

  if constexpr (kLog) {
    if (a.out) {
      for (index_t j = 0; j < w; ++j) k[j] = static_cast<T>(std::log(S[j]));
      for (index_t c = 0; c < C; ++c) {
        const T* __restrict x = a.x + base + c * s;
        T* __restrict o = a.out + base + c * s;
#pragma omp simd
        for (index_t j = 0; j < w; ++j) o[j] = (x[j] - m[j]) - k[j];
      }
    }
    if (a.grad) {
      double G[kLanes];
      for (index_t j = 0; j < w; ++j) G[j] = 0.0;
      for (index_t c = 0; c < C; ++c) {
        const GradOut<T, kUniform> g = gc(c);
#pragma omp simd
        for (index_t j = 0; j < w; ++j) G[j] += static_cast<double>(g[j]);
      }
      for (index_t j = 0; j < w; ++j) k[j] = static_cast<T>(G[j] / S[j]);
      for (index_t c = 0; c < C; ++c) {
        const GradOut<T, kUniform> g = gc(c);
        T* __restrict gr = a.grad + base + c * s;
#pragma omp simd
        for (index_t j = 0; j < w; ++j) gr[j] = g[j] - gr[j] * k[j];
      }
    }
  } else {
    for (index_t j = 0; j < w; ++j) k[j] = static_cast<T>(1.0 / S[j]);
    for (index_t c = 0; c < C; ++c) {
      T* __restrict ec = e + base + c * s;
#pragma omp simd
      for (index_t j = 0; j < w; ++j) ec[j] *= k[j];
    }
    if (a.grad) {
      double D[kLanes];
      for (index_t j = 0; j < w; ++j) D[j] = 0.0;
      for (index_t c = 0; c < C; ++c) {
        const GradOut<T, kUniform> g = gc(c);
        const T* __restrict p = e + base + c * s;
#pragma omp simd
        for (index_t j = 0; j < w; ++j) D[j] += static_cast<double>(g[j]) * static_cast<double>(p[j]);
      }
      for (index_t j = 0; j < w; ++j) k[j] = static_cast<T>(D[j]);
      for (index_t c = 0; c < C; ++c) {
        const GradOut<T, kUniform> g = gc(c);
        const T* p = e + base + c * s;  // may be gr itself (backward only): not restrict
        T* gr = a.grad + base + c * s;
#pragma omp simd
        for (index_t j = 0; j < w; ++j) gr[j] = p[j] * (g[j] - k[j]);
      }
    }
  }
}

// Work items [b, e): rows when inner == 1, else tiles of kLanes neighbouring rows.
template <class T, bool kLog, bool kUniform>
LOSSX_SIMD_CLONES void softmax_block(const SoftmaxArgs<T>& a, index_t b, index_t e) {
  const RowLayout& l = a.l;
  if (l.inner == 1) {
    for (index_t r = b; r < e; ++r) softmax_row<T, kLog, kUniform>(a, r * l.classes);
    if (a.stream_late) detail::stream_fence();
    return;
  }
  const index_t tiles_per_outer = (l.inner + kLanes - 1) / kLanes;
  for (index_t t = b; t < e; ++t) {
    const index_t o = t / tiles_per_outer, j0 = (t % tiles_per_outer) * kLanes;
    softmax_tile<T, kLog, kUniform>(a, o * l.classes * l.inner + j0, std::min(kLanes, l.inner - j0));
  }
}

template <class T, bool kLog, bool kUniform>
void run_blocks(const SoftmaxArgs<T>& a) {
  const RowLayout& l = a.l;
  const index_t C = std::max<index_t>(l.classes, 1);
  if (l.inner == 1) {
    parallel_for(l.rows(), std::max<index_t>(1, kBlockValues / C),
                 [&](index_t b, index_t e) { softmax_block<T, kLog, kUniform>(a, b, e); });
  } else {
    const index_t tiles = l.outer * ((l.inner + kLanes - 1) / kLanes);
    parallel_for(tiles, std::max<index_t>(1, kBlockValues / (C * kLanes)),
                 [&](index_t b, index_t e) { softmax_block<T, kLog, kUniform>(a, b, e); });
  }
}

template <class T, bool kLog>
void run_softmax(const char* fn, View<const T> input, index_t dim, const Request<T>& request) {
  const Check ck{fn};
  ck.contiguous("input", input);
  const index_t d = softmax_dim(fn, input.shape, dim);
  ck.param(!request.partial && !request.partial_grad, "request",
           "ask for the output and/or the gradient (there is no reduction to take partial sums of)",
           "a partial request");
  const detail::Reducer<T> red(ck, Reduction::None, input.shape, request);  // checks grad_output
  const RowLayout l = detail::row_layout(input.shape, d);
  T* out = red.term_values();
  T* grad = red.grad();
  if (!out && !grad) return;
  if (input.numel() == 0) return;
  SoftmaxArgs<T> a{input.data, red.term_grad_output(), static_cast<T>(red.grad_scale()), out, grad, l};
  a.stream_late = out && grad && detail::stream_wanted(static_cast<size_t>(input.numel()) * sizeof(T));
  if (grad && !a.g)
    run_blocks<T, kLog, true>(a);  // a uniform grad_output
  else
    run_blocks<T, kLog, false>(a);
}

}  // namespace

index_t softmax_dim(const char* fn, const Shape& input, index_t dim) {
  Check{fn}.dims("input", input);
  const index_t nd = std::max<index_t>(static_cast<index_t>(input.size()), 1);  // a 0-d input has one axis here
  if (dim < -nd || dim >= nd)
    Check{fn}.fail("dim", cat("lie in [", -nd, ", ", nd - 1, "] for an input of shape ", shape_str(input)),
                   cat(dim));
  return dim < 0 ? dim + nd : dim;
}

template <class T>
void log_softmax_run(View<const T> input, index_t dim, const Request<T>& request) {
  run_softmax<T, true>("log_softmax", input, dim, request);
}

template <class T>
void softmax_run(View<const T> input, index_t dim, const Request<T>& request) {
  run_softmax<T, false>("softmax", input, dim, request);
}

#define INSTANTIATE(T)                                                               \
  template void log_softmax_run<T>(View<const T>, index_t, const Request<T>&);       \
  template void softmax_run<T>(View<const T>, index_t, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
