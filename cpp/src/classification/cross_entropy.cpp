// cross_entropy — softmax cross-entropy, as torch.nn.functional.cross_entropy.
//
// Class-index target y for a row x of C logits, lse = log Σ_c exp(x_c):
//   nll    = lse - x_y
//   smooth = Σ_c w_c (lse - x_c) = W·lse - Σ_c w_c x_c           (W = Σ_c w_c; w ≡ 1 without weight)
//   loss   = (1-ls)·w_y·nll + (ls/C)·smooth                      (ls = label_smoothing; 0 if ignored)
//   'mean' divides the sum by Σ w_y over the rows not ignored (their count without weight),
//   for both terms, as PyTorch does; all rows ignored gives nan. Partial sums: (Σ loss, Σ w_y).
//   d loss / d x_c = (1-ls)·w_y·(p_c - [c=y]) + (ls/C)·(W·p_c - w_c),  p = softmax(x).
// Probability target t (input's shape), t' = (1-ls)·t + ls/C:
//   loss = Σ_c w_c t'_c (lse - x_c);  d/dx_c = (Σ_k w_k t'_k)·p_c - w_c t'_c;  'mean' divides by the row count
//   (partial sums: (Σ loss, rows)).
//   As in PyTorch, t'_c = 0 with x_c = -inf gives nan (0·inf).
// One fused pass per row: max, then exp(x - max) (written straight into the
// gradient row when it is wanted), then the gradient from that buffer. No
// N×C intermediate. Row sums are accumulated in double (wide float rows on AVX-512: float
// partial sums of 8 values per lane first, see row_sumexp16 in core/rows.hpp; with probability
// targets the target sums ride along in the same pass, row_sumexp16_soft; in the class-index forward
// the next row's max does, row_sumexp16_next_max). Wide contiguous rows
// run row by row (loops over classes); K-dim inputs and narrow rows run in
// lane-major tiles of up to 64 rows (loops over rows), so both vectorise; the
// max / Σ exp helpers are the shared ones of core/rows.hpp. The reduction ('none',
// 'sum', 'mean', partial sums, the grad_output coefficient) is the Reducer's.
// The 16-lane helpers (core/math.hpp) are always inlined; GCC still notes that a 64-byte vector
// would be passed differently without AVX-512 (no such call is made).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/check.hpp"
#include "lossx/classification.hpp"
#include "core/math.hpp"
#include "core/parallel.hpp"
#include "core/reduce.hpp"
#include "core/rows.hpp"
#include "class_targets.hpp"


namespace lossx {
namespace {

using detail::kLanes;
using detail::lanes_add_exp;
using detail::lanes_max;
using detail::row_max;
using detail::row_sumexp;
using detail::RowLayout;

template <class T>
struct CeRows {
  const T* x;
  const T* weight;     // (C,) or nullptr
  double W;            // Σ_c w_c (C without weight)
  double ls;           // label smoothing
  RowLayout l;
  T* loss_rows;        // 'none' output or nullptr
  T* grad;             // gradient or nullptr
  const T* g;          // per-row grad_output ('none') or nullptr
  double gs;           // the Reducer's grad_scale() (reduced): grad_output / denominator, or the partial scale
};

// The per-row scalars both layouts share. Class-index loss from lse, x_y, w_y
// and Σ_c w_c x_c (used only when ls > 0, so that a -inf logit is harmless then).
template <class T>
LOSSX_INLINE double ce_index_loss(const CeRows<T>& a, double lse, double xy, double wy, double wx) {
  double loss = (1.0 - a.ls) * wy * (lse - xy);
  if (a.ls > 0.0) loss += a.ls / static_cast<double>(a.l.classes) * (a.W * lse - wx);
  return loss;
}

// Gradient coefficients: grad_c = A·e_c - B·w_c (w ≡ 1 without weight), then
// grad_y -= corr, where e_c = exp(x_c - max) and sum = Σ e_c.
template <class T>
struct CeCoef {
  T A, B, corr;
};
template <class T>
LOSSX_INLINE CeCoef<T> ce_index_coef(const CeRows<T>& a, double gsc, double wy, double sum) {
  const double C = static_cast<double>(a.l.classes);
  return {static_cast<T>(gsc * ((1.0 - a.ls) * wy + a.ls * a.W / C) / sum), static_cast<T>(gsc * a.ls / C),
          static_cast<T>(gsc * (1.0 - a.ls) * wy)};
}

// Row-major rows for wide, contiguous rows (>= 16 values: the 16-lane helpers need them);
// lane-major tiles otherwise.
constexpr index_t kRowMajorMinClasses = 64;

// Whether float rows take the 16-lane helpers (LOSSX_VEC16: table exp, float partial sums). Only
// the x86-64-v4 (AVX-512) clone compiles them to vector code: for AVX2 and SSE, GCC 12 lowers their
// 64-byte selects (max16, the exp's range test) and the 16-entry table permute to scalar code with
// spills (under valgrind, which runs the AVX2 clone: 20-26 instructions per value against 5-8 for
// the plain loops), so on a CPU without x86-64-v4 the clones keep the plain helpers. Read once per
// block (one answer per process: results stay bitwise across thread counts and calls).
LOSSX_INLINE bool ce_vec16() {
#if LOSSX_VEC16
  return detail::vec16_fast();
#else
  return false;
#endif
}

// max and Σ exp(x - max) of a contiguous class-index row: float rows take the 16-lane helpers
// when `v16` (see ce_vec16; ~1.7x faster, the whole cost of a 'none' forward), double rows and
// compilers without GCC vector extensions the plain ones. The forward and the fused gradient
// pass both come here, so their losses agree bit for bit.
template <class T>
LOSSX_INLINE T ce_row_max(const T* x, index_t C, detail::Unit s, bool v16) {
#if LOSSX_VEC16
  if constexpr (std::is_same_v<T, float>)
    if (v16) return detail::row_max16(x, C);
#endif
  (void)v16;
  return row_max(x, C, s);
}
template <class T>
LOSSX_INLINE double ce_row_sumexp(const T* x, index_t C, detail::Unit s, T m, T* e, bool v16) {
#if LOSSX_VEC16
  if constexpr (std::is_same_v<T, float>)
    if (v16) return detail::row_sumexp16(x, C, m, e);
#endif
  (void)v16;
  return row_sumexp(x, C, s, m, e);
}
// ce_row_sumexp of the row x and, for float rows when `v16`, the max of the next row xn into *mn
// in the same loop (row_sumexp16_next_max: the next row's max is then ready when its own exp pass
// starts); sets *has_next to false when it did not (double rows, no v16). The max is bitwise
// ce_row_max's (up to the sign of a zero maximum, which no result sees).
template <class T>
LOSSX_INLINE double ce_row_sumexp_next(const T* x, index_t C, detail::Unit s, T m, T* e, bool v16, const T* xn,
                                       T* mn, bool* has_next) {
#if LOSSX_VEC16
  if constexpr (std::is_same_v<T, float>) {
    if (v16) {
      *has_next = true;
      return detail::row_sumexp16_next_max(x, C, m, e, xn, mn);
    }
  }
#endif
  (void)xn;
  (void)mn;
  *has_next = false;
  return ce_row_sumexp(x, C, s, m, e, v16);
}

// Rows [r, r + count) with contiguous values (C >= kRowMajorMinClasses): x and gr point at the first row.
template <class T, class I>
LOSSX_SIMD_CLONES double ce_index_rows(const CeRows<T>& a, const I* target, index_t ignore_index, index_t r0, index_t count,
                            const T* xrows, T* grows) {
  const index_t C = a.l.classes;
  const double ls = a.ls;
  const detail::Unit s{};
  const bool v16 = std::is_same_v<T, float> && ce_vec16();  // see ce_vec16
  double total = 0.0;
  T next_max = T(0);     // max of row i, when the previous row's exp pass computed it
  bool has_max = false;
  for (index_t i = 0; i < count; ++i) {
    const index_t r = r0 + i;
    const T* x = xrows + i * C;
    T* gr = grows ? grows + i * C : nullptr;
    const index_t y = static_cast<index_t>(target[r]);
    if (y == ignore_index) {
      if (a.loss_rows) a.loss_rows[r] = T(0);
      if (gr)
        for (index_t c = 0; c < C; ++c) gr[c] = T(0);
      has_max = false;
      continue;
    }
    const T m = has_max ? next_max : ce_row_max(x, C, s, v16);
    // Forward only: the next row's max rides along in this row's exp pass. With the gradient the
    // plain order is faster (measured: the pass also stores the exps, and the gradient loop follows).
    const double sum = !gr && i + 1 < count ? ce_row_sumexp_next(x, C, s, m, gr, v16, x + C, &next_max, &has_max)
                                            : ce_row_sumexp(x, C, s, m, gr, v16);
    const double lse = static_cast<double>(m) + std::log(sum);
    const double wy = a.weight ? static_cast<double>(a.weight[y]) : 1.0;
    double wx = 0.0;
    if (ls > 0.0) {
      if (a.weight) {
#pragma omp simd reduction(+ : wx)
        for (index_t c = 0; c < C; ++c) wx += static_cast<double>(a.weight[c]) * static_cast<double>(x[c]);
      } else {
#pragma omp simd reduction(+ : wx)
        for (index_t c = 0; c < C; ++c) wx += static_cast<double>(x[c]);
      }
    }
    const double loss = ce_index_loss(a, lse, static_cast<double>(x[y]), wy, wx);
    if (a.loss_rows) a.loss_rows[r] = static_cast<T>(loss);
    total += loss;
    if (gr) {
      const CeCoef<T> k = ce_index_coef(a, a.g ? static_cast<double>(a.g[r]) : a.gs, wy, sum);
      if (a.weight && ls > 0.0) {
#pragma omp simd
        for (index_t c = 0; c < C; ++c) gr[c] = k.A * gr[c] - k.B * a.weight[c];
      } else {
#pragma omp simd
        for (index_t c = 0; c < C; ++c) gr[c] = k.A * gr[c] - k.B;
      }
      gr[y] -= k.corr;
    }
  }
  return total;
}

// The same loss for a lane-major tile of L rows (value of class c in row k at
// x[c·cs + k]): every loop runs over the tile's rows, so it vectorises for any C.
template <class T, class I>
LOSSX_SIMD_CLONES double ce_index_lanes(const CeRows<T>& a, const I* target, index_t ignore_index, index_t r0,
                                        index_t L, const T* x, T* gr, index_t cs) {
  const index_t C = a.l.classes;
  alignas(64) T m[kLanes];
  alignas(64) double s[kLanes], wx[kLanes];
  alignas(64) T A[kLanes], B[kLanes], corr[kLanes];
  for (index_t k = 0; k < L; ++k) {
    m[k] = -std::numeric_limits<T>::infinity();
    s[k] = 0.0;
    wx[k] = 0.0;
  }
  lanes_max(x, C, cs, L, m);
  for (index_t c = 0; c < C; ++c) {
    const T* xc = x + c * cs;
    lanes_add_exp(xc, m, L, gr ? gr + c * cs : nullptr, s);
    if (a.ls > 0.0) {
      const double w = a.weight ? static_cast<double>(a.weight[c]) : 1.0;
#pragma omp simd
      for (index_t k = 0; k < L; ++k) wx[k] += w * static_cast<double>(xc[k]);
    }
  }
  double total = 0.0;
  bool any_ignored = false;
  for (index_t k = 0; k < L; ++k) {
    const index_t r = r0 + k;
    const index_t y = static_cast<index_t>(target[r]);
    if (y == ignore_index) {
      any_ignored = true;
      if (a.loss_rows) a.loss_rows[r] = T(0);
      A[k] = B[k] = corr[k] = T(0);
      continue;
    }
    const double lse = static_cast<double>(m[k]) + std::log(s[k]);
    const double wy = a.weight ? static_cast<double>(a.weight[y]) : 1.0;
    const double loss = ce_index_loss(a, lse, static_cast<double>(x[y * cs + k]), wy, wx[k]);
    if (a.loss_rows) a.loss_rows[r] = static_cast<T>(loss);
    total += loss;
    if (gr) {
      const CeCoef<T> q = ce_index_coef(a, a.g ? static_cast<double>(a.g[r]) : a.gs, wy, s[k]);
      A[k] = q.A;
      B[k] = q.B;
      corr[k] = q.corr;
    }
  }
  if (gr) {
    for (index_t c = 0; c < C; ++c) {
      T* gc = gr + c * cs;
      const T w = a.weight && a.ls > 0.0 ? a.weight[c] : T(1);
#pragma omp simd
      for (index_t k = 0; k < L; ++k) gc[k] = A[k] * gc[k] - B[k] * w;
    }
    for (index_t k = 0; k < L; ++k) {
      const index_t y = static_cast<index_t>(target[r0 + k]);
      if (y != ignore_index) {
        gr[y * cs + k] -= corr[k];
      } else if (any_ignored) {  // ignored rows get an exactly zero gradient, whatever their logits
        for (index_t c = 0; c < C; ++c) gr[c * cs + k] = T(0);
      }
    }
  }
  return total;
}


template <class T, class I>
double ce_index_block(const CeRows<T>& a, const I* target, index_t ignore_index, index_t r0, index_t r1) {
  const index_t C = a.l.classes;
  if (a.l.inner == 1 && C >= kRowMajorMinClasses)
    return ce_index_rows(a, target, ignore_index, r0, r1 - r0, a.x + r0 * C, a.grad ? a.grad + r0 * C : nullptr);
  double total = 0.0;
  detail::for_lane_tiles<T>(a.l, r0, r1, a.x, nullptr, a.grad,
                            [&](index_t r, index_t L, const T* xt, const T*, T* gt, index_t cs) {
                              total += ce_index_lanes(a, target, ignore_index, r, L, xt, gt, cs);
                            });
  return total;
}

template <class T>
LOSSX_SIMD_CLONES double ce_prob_rows(const CeRows<T>& a, index_t r0, index_t count, const T* xrows, const T* trows,
                           T* grows) {
  const index_t C = a.l.classes;
  const double ls = a.ls;
  const double u = ls / static_cast<double>(C);
  const detail::Unit s{};
  const bool v16 = std::is_same_v<T, float> && ce_vec16();  // see ce_vec16
  double total = 0.0;
  for (index_t k = 0; k < count; ++k) {
    const index_t r = r0 + k;
    const T* x = xrows + k * C;
    const T* t = trows + k * C;
    T* gr = grows ? grows + k * C : nullptr;
    double sum = 0.0, wt = 0.0, loss = 0.0;
    bool wide = false;
#if LOSSX_VEC16
    if constexpr (std::is_same_v<T, float>) {
      if (v16) {
        // One read of x for the max, one of x and t for Σ exp (stored into the gradient row),
        // Wt = Σ w_c t'_c and Σ w_c t'_c (x_c - m), then loss = Wt·log Σ exp - Σ w t' (x - m):
        // a sum of terms >= 0 (t' >= 0), so no cancellation against a large Σ w t' x.
        const float m = detail::row_max16(x, C);
        const detail::SoftRowSums q = detail::row_sumexp16_soft(
            x, t, a.weight, C, m, static_cast<float>(1.0 - ls), static_cast<float>(u), gr);
        sum = q.sum;
        wt = q.tw;
        loss = wt * std::log(sum) - q.td;
        wide = true;
      }
    }
#endif
    if (!wide) {
      const T m = row_max(x, C, s);
      sum = row_sumexp(x, C, s, m, gr);
      const double lse = static_cast<double>(m) + std::log(sum);
      // Wt = Σ w_c t'_c and Σ w_c t'_c x_c, so that loss = Wt·lse - Σ w t' x.
      double wtx = 0.0;
      wt = 0.0;
      if (a.weight) {
#pragma omp simd reduction(+ : wt, wtx)
        for (index_t c = 0; c < C; ++c) {
          const double wtc = static_cast<double>(a.weight[c]) * ((1.0 - ls) * static_cast<double>(t[c]) + u);
          wt += wtc;
          wtx += wtc * static_cast<double>(x[c]);
        }
      } else {
#pragma omp simd reduction(+ : wt, wtx)
        for (index_t c = 0; c < C; ++c) {
          const double tc = (1.0 - ls) * static_cast<double>(t[c]) + u;
          wt += tc;
          wtx += tc * static_cast<double>(x[c]);
        }
      }
      loss = wt * lse - wtx;
    }
    if (a.loss_rows) a.loss_rows[r] = static_cast<T>(loss);
    total += loss;
    if (gr) {
      const double gsc = a.g ? static_cast<double>(a.g[r]) : a.gs;
      const T A = static_cast<T>(gsc * wt / sum);
      const T B = static_cast<T>(gsc * (1.0 - ls)), U = static_cast<T>(gsc * u);
      if (a.weight) {
#pragma omp simd
        for (index_t c = 0; c < C; ++c) gr[c] = A * gr[c] - a.weight[c] * (B * t[c] + U);
      } else {
#pragma omp simd
        for (index_t c = 0; c < C; ++c) gr[c] = A * gr[c] - (B * t[c] + U);
      }
    }
  }
  return total;
}

template <class T>
LOSSX_SIMD_CLONES double ce_prob_lanes(const CeRows<T>& a, index_t r0, index_t L, const T* x, const T* t, T* gr,
                                       index_t cs) {
  const index_t C = a.l.classes;
  const double ls = a.ls, u = ls / static_cast<double>(C);
  alignas(64) T m[kLanes];
  alignas(64) double s[kLanes], wt[kLanes], wtx[kLanes];
  alignas(64) T A[kLanes], B[kLanes], U[kLanes];
  for (index_t k = 0; k < L; ++k) {
    m[k] = -std::numeric_limits<T>::infinity();
    s[k] = wt[k] = wtx[k] = 0.0;
  }
  lanes_max(x, C, cs, L, m);
  for (index_t c = 0; c < C; ++c) {
    const T* xc = x + c * cs;
    const T* tc = t + c * cs;
    const double w = a.weight ? static_cast<double>(a.weight[c]) : 1.0;
    lanes_add_exp(xc, m, L, gr ? gr + c * cs : nullptr, s);
#pragma omp simd
    for (index_t k = 0; k < L; ++k) {
      const double wtc = w * ((1.0 - ls) * static_cast<double>(tc[k]) + u);
      wt[k] += wtc;
      wtx[k] += wtc * static_cast<double>(xc[k]);
    }
  }
  double total = 0.0;
  for (index_t k = 0; k < L; ++k) {
    const index_t r = r0 + k;
    const double lse = static_cast<double>(m[k]) + std::log(s[k]);
    const double loss = wt[k] * lse - wtx[k];
    if (a.loss_rows) a.loss_rows[r] = static_cast<T>(loss);
    total += loss;
    const double gsc = a.g ? static_cast<double>(a.g[r]) : a.gs;
    A[k] = static_cast<T>(gsc * wt[k] / s[k]);
    B[k] = static_cast<T>(gsc * (1.0 - ls));
    U[k] = static_cast<T>(gsc * u);
  }
  if (gr) {
    for (index_t c = 0; c < C; ++c) {
      T* gc = gr + c * cs;
      const T* tc = t + c * cs;
      const T w = a.weight ? a.weight[c] : T(1);
#pragma omp simd
      for (index_t k = 0; k < L; ++k) gc[k] = A[k] * gc[k] - w * (B[k] * tc[k] + U[k]);
    }
  }
  return total;
}

template <class T>
double ce_prob_block(const CeRows<T>& a, const T* target, index_t r0, index_t r1) {
  const index_t C = a.l.classes;
  if (a.l.inner == 1 && C >= kRowMajorMinClasses)
    return ce_prob_rows(a, r0, r1 - r0, a.x + r0 * C, target + r0 * C, a.grad ? a.grad + r0 * C : nullptr);
  double total = 0.0;
  detail::for_lane_tiles<T>(a.l, r0, r1, a.x, target, a.grad,
                            [&](index_t r, index_t L, const T* xt, const T* tt, T* gt, index_t cs) {
                              total += ce_prob_lanes(a, r, L, xt, tt, gt, cs);
                            });
  return total;
}

template <class T>
void check_common(const Check& ck, const CrossEntropyOptions<T>& opt, index_t classes) {
  detail::check_class_weight(ck, opt.weight, classes);
  ck.param(opt.label_smoothing >= 0.0 && opt.label_smoothing <= 1.0, "label_smoothing", "lie in [0, 1]",
           opt.label_smoothing);
  ck.param(opt.reduction != Reduction::BatchMean, "reduction", "be one of 'none', 'mean', 'sum'", "'batchmean'");
}

// W = Σ_c w_c of the smoothing term (C without weight).
template <class T>
double class_weight_sum(const CrossEntropyOptions<T>& opt, index_t classes) {
  if (!opt.weight.present()) return static_cast<double>(classes);
  double W = 0.0;
  for (index_t c = 0; c < classes; ++c) W += static_cast<double>(opt.weight.data[c]);
  return W;
}

// One pass of `block(rows, b, e)` over fixed row blocks, writing what the Reducer asks for;
// returns the summed loss of the rows (for red.finish).
template <class T, class Block>
double run_rows(const RowLayout& l, const detail::Reducer<T>& red, CeRows<T>& a, Block&& block) {
  a.loss_rows = red.term_values();
  a.grad = red.grad();
  a.g = red.term_grad_output();
  a.gs = red.grad_scale();
  return block_sum(l.rows(), l.grain(), [&](index_t b, index_t e) { return block(a, b, e); });
}

}  // namespace

template <class T, class I>
Shape cross_entropy_shape(View<const T> input, View<const I> target, const CrossEntropyOptions<T>& opt) {
  const Check ck{"cross_entropy"};
  ck.contiguous("input", input);
  ck.contiguous("target", target);
  ck.contiguous("weight", opt.weight);
  const RowLayout l = detail::class_index_layout(ck, input.shape, target.shape);
  check_common(ck, opt, l.classes);
  return target.shape;
}

template <class T, class I>
void cross_entropy_run(View<const T> input, View<const I> target, const CrossEntropyOptions<T>& opt,
                       const Request<T>& request) {
  const Check ck{"cross_entropy"};
  const Shape none_shape = cross_entropy_shape(input, target, opt);
  const RowLayout l = detail::class_index_layout(ck, input.shape, target.shape);
  // The range pre-pass gives the 'mean' denominator too: Σ w_y over the targets not ignored.
  const double total_weight =
      detail::check_targets_and_total(ck, l, target.data, opt.weight.data, opt.ignore_index);
  const detail::Reducer<T> red(ck, opt.reduction, none_shape, request, total_weight);
  CeRows<T> a{input.data, opt.weight.data, class_weight_sum(opt, l.classes), opt.label_smoothing, l,
              nullptr, nullptr, nullptr, 0.0};
  const auto block = [&](const CeRows<T>& rows, index_t b, index_t e) {
    return ce_index_block<T, I>(rows, target.data, opt.ignore_index, b, e);
  };
  const double total = run_rows(l, red, a, block);
  if (a.ls > 0.0 && red.is_mean() && red.denominator() == 0.0 && request.loss && !request.partial) {
    // A 'mean' loss with a zero total weight: PyTorch divides the two parts separately,
    // (1-ls)·(A/Σw) + (ls/C)·(B/Σw), so the nll part A = 0 makes 0/0 = nan whatever B/0 is,
    // where dividing their sum would give ±inf. The nll part is recomputed (a rare, degenerate
    // case; partial sums keep the plain total).
    CeRows<T> nll_only = a;
    nll_only.ls = 0.0;
    nll_only.loss_rows = nullptr;
    nll_only.grad = nullptr;
    const double nll_part =
        (1.0 - a.ls) * block_sum(l.rows(), l.grain(), [&](index_t b, index_t e) { return block(nll_only, b, e); });
    red.finish_two_parts(nll_part, total - nll_part);
    return;
  }
  red.finish(total);
}

template <class T>
Shape cross_entropy_probs_shape(View<const T> input, View<const T> target, const CrossEntropyOptions<T>& opt) {
  const Check ck{"cross_entropy"};
  ck.contiguous("input", input);
  ck.contiguous("target", target);
  ck.contiguous("weight", opt.weight);
  ck.ndim_between("input", input.shape, 1, 1 << 20);
  ck.same_shape("target", target.shape, "input", input.shape);
  const RowLayout l = detail::row_layout(input.shape, input.shape.size() == 1 ? 0 : 1);
  check_common(ck, opt, l.classes);
  ck.param(opt.ignore_index < 0, "ignore_index", "be negative with probability targets (it is not supported there)",
           opt.ignore_index);
  Shape none = input.shape;
  none.erase(none.begin() + (input.shape.size() == 1 ? 0 : 1));
  return none;
}

template <class T>
void cross_entropy_probs_run(View<const T> input, View<const T> target, const CrossEntropyOptions<T>& opt,
                             const Request<T>& request) {
  const Check ck{"cross_entropy"};
  const Shape none_shape = cross_entropy_probs_shape(input, target, opt);
  const RowLayout l = detail::row_layout(input.shape, input.shape.size() == 1 ? 0 : 1);
  const detail::Reducer<T> red(ck, opt.reduction, none_shape, request, static_cast<double>(l.rows()));
  CeRows<T> a{input.data, opt.weight.data, class_weight_sum(opt, l.classes), opt.label_smoothing, l,
              nullptr, nullptr, nullptr, 0.0};
  red.finish(run_rows(l, red, a, [&](const CeRows<T>& rows, index_t b, index_t e) {
    return ce_prob_block<T>(rows, target.data, b, e);
  }));
}

#define INSTANTIATE(T, I)                                                                                  \
  template Shape cross_entropy_shape<T, I>(View<const T>, View<const I>, const CrossEntropyOptions<T>&);   \
  template void cross_entropy_run<T, I>(View<const T>, View<const I>, const CrossEntropyOptions<T>&,       \
                                        const Request<T>&);
LOSSX_FOR_EACH_FLOAT_AND_INDEX(INSTANTIATE)
#undef INSTANTIATE

#define INSTANTIATE(T)                                                                                     \
  template Shape cross_entropy_probs_shape<T>(View<const T>, View<const T>, const CrossEntropyOptions<T>&); \
  template void cross_entropy_probs_run<T>(View<const T>, View<const T>, const CrossEntropyOptions<T>&,    \
                                           const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
