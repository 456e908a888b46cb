// cross_entropy — softmax cross-entropy, as torch.nn.functional.cross_entropy.
//
// Class-index target y for a row x of C logits, lse = log Σ_c exp(x_c):
//   nll    = lse - x_y
//   smooth = Σ_c w_c (lse - x_c) = W·lse - Σ_c w_c x_c           (W = Σ_c w_c; w ≡ 1 without weight)
//   loss   = (1-ls)·w_y·nll + (ls/C)·smooth                      (ls = label_smoothing; 0 if ignored)
//   'mean' divides the sum by Σ w_y over the rows not ignored (their count without weight),
//   for both terms, as PyTorch does; all rows ignored gives nan.
//   d loss / d x_c = (1-ls)·w_y·(p_c - [c=y]) + (ls/C)·(W·p_c - w_c),  p = softmax(x).
// Probability target t (input's shape), t' = (1-ls)·t + ls/C:
//   loss = Σ_c w_c t'_c (lse - x_c);  d/dx_c = (Σ_k w_k t'_k)·p_c - w_c t'_c;  'mean' divides by the row count.
//   As in PyTorch, t'_c = 0 with x_c = -inf gives nan (0·inf).
// One fused pass per row: max, then exp(x - max) (written straight into the
// gradient row when it is wanted), then the gradient from that buffer. No
// N×C intermediate. Row sums are accumulated in double.
#include <cmath>
#include <limits>

#include "lossx/classification.hpp"
#include "lossx/core/math.hpp"
#include "lossx/core/parallel.hpp"
#include "../core/rows.hpp"
#include "class_targets.hpp"

namespace lossx {
namespace {

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
  double gs;           // scalar grad_output / denominator (reduced)
};

// Max of a row; NaN propagates through the later exp.
template <class T, class S>
LOSSX_ALWAYS_INLINE T row_max(const T* x, index_t C, S s) {
  T m = -std::numeric_limits<T>::infinity();
#pragma omp simd reduction(max : m)
  for (index_t c = 0; c < C; ++c) m = x[c * s] > m ? x[c * s] : m;
  return m;
}

// Σ exp(x_c - m), optionally storing each exp in e (same stride as x).
template <class T, class S>
LOSSX_ALWAYS_INLINE double row_sumexp(const T* x, index_t C, S s, T m, T* e) {
  double sum = 0.0;
  if (e) {
#pragma omp simd reduction(+ : sum)
    for (index_t c = 0; c < C; ++c) {
      const T v = vexp(x[c * s] - m);
      e[c * s] = v;
      sum += static_cast<double>(v);
    }
  } else {
#pragma omp simd reduction(+ : sum)
    for (index_t c = 0; c < C; ++c) sum += static_cast<double>(vexp(x[c * s] - m));
  }
  return sum;
}

template <class T, class I, class S>
LOSSX_ALWAYS_INLINE double ce_index_rows(const CeRows<T>& a, const I* target, index_t ignore_index, index_t r0, index_t r1,
                            S s) {
  const index_t C = a.l.classes;
  const double ls = a.ls;
  double total = 0.0;
  for (index_t r = r0; r < r1; ++r) {
    const index_t base = a.l.base(r);
    const T* x = a.x + base;
    T* gr = a.grad ? a.grad + base : nullptr;
    const index_t y = static_cast<index_t>(target[r]);
    if (y == ignore_index) {
      if (a.loss_rows) a.loss_rows[r] = T(0);
      if (gr)
        for (index_t c = 0; c < C; ++c) gr[c * s] = T(0);
      continue;
    }
    const T m = row_max(x, C, s);
    const double sum = row_sumexp(x, C, s, m, gr);
    const double lse = static_cast<double>(m) + std::log(sum);
    const double wy = a.weight ? static_cast<double>(a.weight[y]) : 1.0;
    double loss = (1.0 - ls) * wy * (lse - static_cast<double>(x[y * s]));
    if (ls > 0.0) {
      double wx = 0.0;
      if (a.weight) {
#pragma omp simd reduction(+ : wx)
        for (index_t c = 0; c < C; ++c) wx += static_cast<double>(a.weight[c]) * static_cast<double>(x[c * s]);
      } else {
#pragma omp simd reduction(+ : wx)
        for (index_t c = 0; c < C; ++c) wx += static_cast<double>(x[c * s]);
      }
      loss += ls / static_cast<double>(C) * (a.W * lse - wx);
    }
    if (a.loss_rows) a.loss_rows[r] = static_cast<T>(loss);
    total += loss;
    if (gr) {
      const double gsc = a.g ? static_cast<double>(a.g[r]) : a.gs;
      // grad_c = A·e_c - B·w_c, then grad_y -= (1-ls)·w_y·gsc   (e_c = exp(x_c - m), p_c = e_c / sum)
      const T A = static_cast<T>(gsc * ((1.0 - ls) * wy + ls * a.W / static_cast<double>(C)) / sum);
      const T B = static_cast<T>(gsc * ls / static_cast<double>(C));
      if (a.weight && ls > 0.0) {
#pragma omp simd
        for (index_t c = 0; c < C; ++c) gr[c * s] = A * gr[c * s] - B * a.weight[c];
      } else {
#pragma omp simd
        for (index_t c = 0; c < C; ++c) gr[c * s] = A * gr[c * s] - B;
      }
      gr[y * s] -= static_cast<T>(gsc * (1.0 - ls) * wy);
    }
  }
  return total;
}

template <class T, class I>
LOSSX_SIMD_CLONES double ce_index_block(const CeRows<T>& a, const I* target, index_t ignore_index, index_t r0,
                                        index_t r1) {
  // Both strides spelled out here (not through with_stride's lambda) so that the
  // row body is inlined into each SIMD clone.
  if (a.l.inner == 1) return ce_index_rows(a, target, ignore_index, r0, r1, detail::Unit{});
  return ce_index_rows(a, target, ignore_index, r0, r1, a.l.inner);
}

template <class T, class S>
LOSSX_ALWAYS_INLINE double ce_prob_rows(const CeRows<T>& a, const T* target, index_t r0, index_t r1, S s) {
  const index_t C = a.l.classes;
  const double ls = a.ls;
  const double u = ls / static_cast<double>(C);
  double total = 0.0;
  for (index_t r = r0; r < r1; ++r) {
    const index_t base = a.l.base(r);
    const T* x = a.x + base;
    const T* t = target + base;
    T* gr = a.grad ? a.grad + base : nullptr;
    const T m = row_max(x, C, s);
    const double sum = row_sumexp(x, C, s, m, gr);
    const double lse = static_cast<double>(m) + std::log(sum);
    // Wt = Σ w_c t'_c and Σ w_c t'_c x_c, so that loss = Wt·lse - Σ w t' x.
    double wt = 0.0, wtx = 0.0;
    for (index_t c = 0; c < C; ++c) {
      const double tc = (1.0 - ls) * static_cast<double>(t[c * s]) + u;
      const double w = a.weight ? static_cast<double>(a.weight[c]) : 1.0;
      wt += w * tc;
      wtx += w * tc * static_cast<double>(x[c * s]);
    }
    const double loss = wt * lse - wtx;
    if (a.loss_rows) a.loss_rows[r] = static_cast<T>(loss);
    total += loss;
    if (gr) {
      const double gsc = a.g ? static_cast<double>(a.g[r]) : a.gs;
      const double A = gsc * wt / sum;
      for (index_t c = 0; c < C; ++c) {
        const double tc = (1.0 - ls) * static_cast<double>(t[c * s]) + u;
        const double w = a.weight ? static_cast<double>(a.weight[c]) : 1.0;
        gr[c * s] = static_cast<T>(A * static_cast<double>(gr[c * s]) - gsc * w * tc);
      }
    }
  }
  return total;
}

template <class T>
LOSSX_SIMD_CLONES double ce_prob_block(const CeRows<T>& a, const T* target, index_t r0, index_t r1) {
  if (a.l.inner == 1) return ce_prob_rows(a, target, r0, r1, detail::Unit{});
  return ce_prob_rows(a, target, r0, r1, a.l.inner);
}

template <class T>
void check_common(const Check& ck, const CrossEntropyOptions<T>& opt, index_t classes) {
  detail::check_class_weight(ck, opt.weight, classes);
  ck.param(opt.label_smoothing >= 0.0 && opt.label_smoothing <= 1.0, "label_smoothing", "lie in [0, 1]",
           opt.label_smoothing);
  ck.param(opt.reduction != Reduction::BatchMean, "reduction", "be one of 'none', 'mean', 'sum'", "'batchmean'");
}

template <class T>
double weight_total(const CrossEntropyOptions<T>& opt, index_t classes) {
  if (!opt.weight.present()) return static_cast<double>(classes);
  double W = 0.0;
  for (index_t c = 0; c < classes; ++c) W += static_cast<double>(opt.weight.data[c]);
  return W;
}

// Fills in the outputs common to both target kinds and runs `block` over fixed row blocks.
template <class T, class Block>
void run_rows(const Check& ck, const RowLayout& l, const Shape& none_shape, Reduction red, double denom,
              CeRows<T>& a, View<const T> grad_output, T* loss, T* grad, Block&& block) {
  const bool reduced = red != Reduction::None;
  a.loss_rows = reduced ? nullptr : loss;
  a.grad = grad;
  if (grad) {
    ck.grad_output(grad_output.shape, red, none_shape);
    if (reduced) a.gs = static_cast<double>(grad_output.data[0]) / (red == Reduction::Mean ? denom : 1.0);
    else a.g = grad_output.data;
  }
  const double total = block_sum(l.rows(), l.grain(), block);
  if (reduced && loss) loss[0] = static_cast<T>(red == Reduction::Mean ? total / denom : total);
}

}  // namespace

template <class T, class I>
Shape cross_entropy_shape(View<const T> input, View<const I> target, const CrossEntropyOptions<T>& opt) {
  const Check ck{"cross_entropy"};
  const RowLayout l = detail::class_index_layout(ck, input.shape, target.shape);
  check_common(ck, opt, l.classes);
  return target.shape;
}

template <class T, class I>
void cross_entropy_with_grad(View<const T> input, View<const I> target, const CrossEntropyOptions<T>& opt,
                             View<const T> grad_output, T* loss, T* grad_input) {
  const Check ck{"cross_entropy"};
  const Shape none_shape = cross_entropy_shape(input, target, opt);
  const RowLayout l = detail::class_index_layout(ck, input.shape, target.shape);
  ck.class_range("target", target.data, l.rows(), l.classes, opt.ignore_index);
  const double denom = opt.reduction == Reduction::Mean
                           ? detail::class_weight_total(l, target.data, opt.weight.data, opt.ignore_index)
                           : 1.0;
  CeRows<T> a{input.data, opt.weight.data, weight_total(opt, l.classes), opt.label_smoothing, l,
              nullptr, nullptr, nullptr, 0.0};
  run_rows(ck, l, none_shape, opt.reduction, denom, a, grad_output, loss, grad_input, [&](index_t b, index_t e) {
    return ce_index_block<T, I>(a, target.data, opt.ignore_index, b, e);
  });
}

template <class T>
Shape cross_entropy_probs_shape(View<const T> input, View<const T> target, const CrossEntropyOptions<T>& opt) {
  const Check ck{"cross_entropy"};
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
void cross_entropy_probs_with_grad(View<const T> input, View<const T> target, const CrossEntropyOptions<T>& opt,
                                   View<const T> grad_output, T* loss, T* grad_input) {
  const Check ck{"cross_entropy"};
  const Shape none_shape = cross_entropy_probs_shape(input, target, opt);
  const RowLayout l = detail::row_layout(input.shape, input.shape.size() == 1 ? 0 : 1);
  const double denom = static_cast<double>(l.rows());
  CeRows<T> a{input.data, opt.weight.data, weight_total(opt, l.classes), opt.label_smoothing, l,
              nullptr, nullptr, nullptr, 0.0};
  run_rows(ck, l, none_shape, opt.reduction, denom, a, grad_output, loss, grad_input,
           [&](index_t b, index_t e) { return ce_prob_block<T>(a, target.data, b, e); });
}

#define LOSSX_INSTANTIATE_CE(T, I)                                                                           \
  template Shape cross_entropy_shape<T, I>(View<const T>, View<const I>, const CrossEntropyOptions<T>&);     \
  template void cross_entropy_with_grad<T, I>(View<const T>, View<const I>, const CrossEntropyOptions<T>&, \
                                              View<const T>, T*, T*);
LOSSX_INSTANTIATE_CE(float, std::int32_t)
LOSSX_INSTANTIATE_CE(float, std::int64_t)
LOSSX_INSTANTIATE_CE(double, std::int32_t)
LOSSX_INSTANTIATE_CE(double, std::int64_t)
#undef LOSSX_INSTANTIATE_CE

template Shape cross_entropy_probs_shape<float>(View<const float>, View<const float>,
                                                const CrossEntropyOptions<float>&);
template Shape cross_entropy_probs_shape<double>(View<const double>, View<const double>,
                                                 const CrossEntropyOptions<double>&);
template void cross_entropy_probs_with_grad<float>(View<const float>, View<const float>,
                                                   const CrossEntropyOptions<float>&, View<const float>, float*,
                                                   float*);
template void cross_entropy_probs_with_grad<double>(View<const double>, View<const double>,
                                                    const CrossEntropyOptions<double>&, View<const double>,
                                                    double*, double*);

}  // namespace lossx
