// multilabel_soft_margin_loss — as torch.nn.functional.multilabel_soft_margin_loss.
//
// A row x of C logits (the last dim) with targets y and optional class weights w:
//   loss = (1/C)·Σ_c w_c·[y_c·softplus(-x_c) + (1 - y_c)·softplus(x_c)]
//        = (1/C)·Σ_c w_c·[y_c·max(-x_c, 0) + (1 - y_c)·max(x_c, 0) + log1p(exp(-|x_c|))]
//   d/dx_c = (w_c / C)·(sigmoid(x_c) - y_c)
// PyTorch writes it with logsigmoid, which is stable too; both agree to rounding. The loops
// use the vectorisable exp/log1p of core/math.hpp (for float the division-free vexp_nonpos_fast /
// vlog1p_unit_fast since session 5: float32 values moved by about 1 ulp; float64 unchanged), one
// exp per element shared by the loss and the gradient, in one loop per row. 'mean' averages the rows (the loss is per row).
#include <cmath>

#include "core/math.hpp"
#include "core/rows.hpp"
#include "margin_common.hpp"

namespace lossx {
namespace {

template <class T>
struct MlsmArgs {
  const T* x;
  const T* y;
  const T* weight;  // (C,) or nullptr
  detail::RowLayout l;  // classes along the last dim: inner == 1
  T* grad;          // or nullptr
};

// One element's loss and the d loss / d x factor sigmoid(x) - y, from one exp.
template <class T>
LOSSX_INLINE T mlsm_value(T x, T y, T e) {
  return y * (x < T(0) ? -x : T(0)) + (T(1) - y) * (x > T(0) ? x : T(0)) + vlog1p_unit_fast(e);
}

// The loss terms of a row's columns, summed in double, with the gradient from the same e in the
// same loop when Grad (one pass: the gradient's stores overlap the exp/log1p arithmetic). The sum
// is the same simd reduction with and without Grad, so fused and separate calls give the same bits.
template <class T, bool Grad>
LOSSX_INLINE double mlsm_row(const T* x, const T* y, const T* w, index_t C, T* gr, T scale) {
  double s = 0.0;
  if (w) {
#pragma omp simd reduction(+ : s)
    for (index_t c = 0; c < C; ++c) {
      const T e = vexp_nonpos_fast(-std::fabs(x[c]));
      s += static_cast<double>(w[c]) * static_cast<double>(mlsm_value(x[c], y[c], e));
      if constexpr (Grad) gr[c] = scale * w[c] * (sigmoid_from(x[c], e) - y[c]);
    }
  } else {
#pragma omp simd reduction(+ : s)
    for (index_t c = 0; c < C; ++c) {
      const T e = vexp_nonpos_fast(-std::fabs(x[c]));
      s += static_cast<double>(mlsm_value(x[c], y[c], e));
      if constexpr (Grad) gr[c] = scale * (sigmoid_from(x[c], e) - y[c]);
    }
  }
  return s;
}

template <class T>
LOSSX_SIMD_CLONES double mlsm_block(const MlsmArgs<T>& a, index_t r0, index_t r1, T* loss_rows,
                                    detail::RowGrad<T> rg) {
  const index_t C = a.l.classes;
  double total = 0.0;
  for (index_t r = r0; r < r1; ++r) {
    const index_t base = a.l.base(r);
    const double s =
        a.grad ? mlsm_row<T, true>(a.x + base, a.y + base, a.weight, C, a.grad + base,
                                   static_cast<T>(rg.at(r) / static_cast<double>(C)))
               : mlsm_row<T, false>(a.x + base, a.y + base, a.weight, C, nullptr, T(0));
    const double row = s / static_cast<double>(C);
    if (loss_rows) loss_rows[r] = static_cast<T>(row);
    total += row;
  }
  return total;
}

}  // namespace

template <class T>
Shape multilabel_soft_margin_loss_shape(View<const T> input, View<const T> target,
                                        const MultilabelSoftMarginLossOptions<T>& opt) {
  const Check ck{"multilabel_soft_margin_loss"};
  ck.contiguous("input", input);
  ck.contiguous("target", target);
  ck.contiguous("weight", opt.weight);
  ck.ndim_between("input", input.shape, 1, 1 << 20);
  ck.same_shape("target", target.shape, "input", input.shape);
  if (opt.weight.present()) ck.class_vector("weight", opt.weight.shape, input.shape.back());
  detail::check_reduction(ck, opt.reduction);
  return Shape(input.shape.begin(), input.shape.end() - 1);
}

template <class T>
void multilabel_soft_margin_loss_run(View<const T> input, View<const T> target,
                                     const MultilabelSoftMarginLossOptions<T>& opt, const Request<T>& request) {
  const Check ck{"multilabel_soft_margin_loss"};
  const Shape none_shape = multilabel_soft_margin_loss_shape(input, target, opt);
  const detail::RowLayout l = detail::row_layout(input.shape, input.ndim() - 1);
  const detail::Reducer<T> red(ck, opt.reduction, none_shape, request, static_cast<double>(l.rows()));  // rows
  const MlsmArgs<T> a{input.data, target.data, opt.weight.data, l, red.grad()};
  detail::row_loss(red, l, [&](index_t b, index_t e, T* loss_rows, detail::RowGrad<T> rg) {
    return mlsm_block<T>(a, b, e, loss_rows, rg);
  });
}

#define INSTANTIATE(T)                                                                                   \
  template Shape multilabel_soft_margin_loss_shape<T>(View<const T>, View<const T>,                     \
                                                      const MultilabelSoftMarginLossOptions<T>&);       \
  template void multilabel_soft_margin_loss_run<T>(View<const T>, View<const T>,                        \
                                                   const MultilabelSoftMarginLossOptions<T>&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
