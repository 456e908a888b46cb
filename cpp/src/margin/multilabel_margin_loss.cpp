// multilabel_margin_loss — the multi-label hinge loss, as torch.nn.functional.multilabel_margin_loss.
//
// A row x of C scores; its target row (same length) lists the row's labels before the first -1
// (what follows is ignored). With J the listed labels (a repeated label is listed, and counts,
// twice) and L their set:
//   z_ji = (1 - x_j) + x_i                           (in T, in PyTorch's order)
//   loss = (1/C)·Σ_{j∈J} Σ_{i∉L} [z_ji > 0]·z_ji
//   d/dx_i = (1/C)·#{j : z_ji > 0}  (i ∉ L),    d/dx_j -= (1/C)·#{i : z_ji > 0} for each listed j
// The strict z > 0 is PyTorch's loop test: the gradient at the kink is 0, and a nan z adds
// nothing. Every target entry, also after the first -1, must lie in [-1, C) (PyTorch checks the
// same). The gradient is built from exact per-class counts, then scaled once. An empty batch gives nan ('mean') and 0 ('sum'),
// where PyTorch returns uninitialised memory.
#include <algorithm>
#include <limits>
#include <vector>

#include "core/math.hpp"
#include "core/rows.hpp"
#include "margin_common.hpp"

namespace lossx {
namespace {

template <class T, class I>
struct MultilabelMarginArgs {
  const T* x;
  const I* target;      // the input's shape
  detail::RowLayout l;  // inner == 1
  T* grad;              // or nullptr
};

template <class T, class I>
LOSSX_SIMD_CLONES double multilabel_margin_block(const MultilabelMarginArgs<T, I>& a, index_t r0, index_t r1,
                                                 T* loss_rows, detail::RowGrad<T> rg) {
  const index_t C = a.l.classes;
  // Per-block workspace: the row with its labels' scores replaced by -inf, so that
  // z = (1 - x_j) + xm_i is never > 0 at a label i and the loops need no label test
  // (nan and inf scores of non-labels give the same z as in PyTorch's loop); and the
  // per-class gradient counts of a row.
  std::vector<T> masked(static_cast<size_t>(C));
  std::vector<double> count(a.grad ? static_cast<size_t>(C) : 0);
  T* xm = masked.data();
  double* cnt = count.data();
  double total = 0.0;
  for (index_t r = r0; r < r1; ++r) {
    const index_t base = a.l.base(r);
    const T* x = a.x + base;
    const I* t = a.target + base;
    std::copy(x, x + C, xm);
    index_t listed = 0;
    while (listed < C && t[listed] >= 0) xm[static_cast<index_t>(t[listed++])] = -std::numeric_limits<T>::infinity();
    if (a.grad) std::fill(count.begin(), count.end(), 0.0);
    double s = 0.0;
    for (index_t k = 0; k < listed; ++k) {
      const index_t j = static_cast<index_t>(t[k]);
      const T b = T(1) - x[j];
      double sj = 0.0, active = 0.0;
      if (a.grad) {
#pragma omp simd reduction(+ : sj, active)
        for (index_t i = 0; i < C; ++i) {
          const T z = b + xm[i];
          const bool on = z > T(0);
          sj += on ? static_cast<double>(z) : 0.0;
          cnt[i] += on ? 1.0 : 0.0;
          active += on ? 1.0 : 0.0;
        }
        cnt[j] -= active;
      } else {
#pragma omp simd reduction(+ : sj)
        for (index_t i = 0; i < C; ++i) {
          const T z = b + xm[i];
          sj += z > T(0) ? static_cast<double>(z) : 0.0;
        }
      }
      s += sj;
    }
    const double row = s / static_cast<double>(C);
    if (loss_rows) loss_rows[r] = static_cast<T>(row);
    total += row;
    if (a.grad) {
      T* gr = a.grad + base;
      const double scale = rg.at(r) / static_cast<double>(C);
#pragma omp simd
      for (index_t i = 0; i < C; ++i) gr[i] = static_cast<T>(scale * cnt[i]);
    }
  }
  return total;
}

}  // namespace

template <class T, class I>
Shape multilabel_margin_loss_shape(View<const T> input, View<const I> target, const MultilabelMarginLossOptions<T>& opt) {
  const Check ck{"multilabel_margin_loss"};
  ck.contiguous("input", input);
  ck.contiguous("target", target);
  ck.ndim_between("input", input.shape, 0, 2);
  const detail::RowLayout l = detail::margin_row_layout(input.shape);
  if (l.classes < 1) ck.fail("input", "have at least one class (C >= 1)", cat("shape ", shape_str(input.shape)));
  ck.same_shape("target", target.shape, "input", input.shape);
  detail::check_reduction(ck, opt.reduction);
  return input.ndim() == 2 ? Shape{l.rows()} : Shape{};
}

template <class T, class I>
void multilabel_margin_loss_run(View<const T> input, View<const I> target, const MultilabelMarginLossOptions<T>& opt,
                                const Request<T>& request) {
  const Check ck{"multilabel_margin_loss"};
  const Shape none_shape = multilabel_margin_loss_shape(input, target, opt);
  const detail::RowLayout l = detail::margin_row_layout(input.shape);
  const index_t n = target.numel();
  for (index_t k = 0; k < n; ++k) {  // range pre-pass: the first bad position is reported
    const index_t v = static_cast<index_t>(target.data[k]);
    if (v < -1 || v >= l.classes)
      ck.fail("target", cat("hold labels in [0, ", l.classes, ") or -1 (the end of a row's labels)"),
              cat(v, " at flat position ", k));
  }
  const detail::Reducer<T> red(ck, opt.reduction, none_shape, request, static_cast<double>(l.rows()));  // rows
  const MultilabelMarginArgs<T, I> a{input.data, target.data, l, red.grad()};
  detail::row_loss(red, l, [&](index_t b, index_t e, T* loss_rows, detail::RowGrad<T> rg) {
    return multilabel_margin_block<T, I>(a, b, e, loss_rows, rg);
  });
}

#define INSTANTIATE(T, I)                                                                                  \
  template Shape multilabel_margin_loss_shape<T, I>(View<const T>, View<const I>,                         \
                                                    const MultilabelMarginLossOptions<T>&);               \
  template void multilabel_margin_loss_run<T, I>(View<const T>, View<const I>,                            \
                                                 const MultilabelMarginLossOptions<T>&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT_AND_INDEX(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
