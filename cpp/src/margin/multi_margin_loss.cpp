// multi_margin_loss — the multi-class hinge loss, as torch.nn.functional.multi_margin_loss.
//
// A row x of C scores with class y (and optional class weights w):
//   z_i  = (margin - x_y) + x_i                       (in T, in PyTorch's order, so that exact
//                                                      inputs land on the same side of the kink)
//   loss = (1/C)·Σ_{i≠y} w_y·[z_i > 0]·z_i^p          p ∈ {1, 2}; the weight comes after the power
//   d/dx_i = (w_y/C)·[z_i > 0]·p·z_i^(p-1)  (i ≠ y),   d/dx_y = -Σ_{i≠y} d/dx_i
// The strict z > 0 is PyTorch's loop test: the gradient at the kink z == 0 is 0, and a nan z
// (a nan score) adds nothing. 'mean' averages the rows. An empty batch gives nan ('mean') and
// 0 ('sum'); PyTorch returns uninitialised memory there (LossMultiMargin.cpp resizes an
// at::empty output and returns early).
// Shapes are PyTorch's: (N, C) with target (N,), or one row (C) or () with target () or (1,);
// the 'none' output has the target's shape.
#include <vector>

#include "core/math.hpp"
#include "core/rows.hpp"
#include "margin_common.hpp"

namespace lossx {
namespace {

template <class T, class I>
struct MultiMarginArgs {
  const T* x;
  const I* target;
  const T* weight;  // (C,) or nullptr
  T margin;
  detail::RowLayout l;  // one row per target entry, inner == 1
  T* grad;              // or nullptr
};

// z^p as the loss term and p·z^(p-1) as its derivative, for z > 0.
template <int P>
LOSSX_INLINE double power_term(double z) {
  return P == 1 ? z : z * z;
}
template <int P>
LOSSX_INLINE double power_slope(double z) {
  return P == 1 ? 1.0 : 2.0 * z;
}

// The loss and the gradient in one pass over the row (the gradient's scale does not depend on
// the loss): writes scale·[z_i > 0]·p·z_i^(p-1) into gr[i] for i ≠ y and 0 at y, adds the
// loss terms to *sum and returns Σ_{i ≠ y} [z_i > 0]·p·z_i^(p-1).
template <int P, class T>
LOSSX_INLINE double hinge_sum_grad(const T* x, T base, index_t y, index_t C, double scale, T* gr, double* sum) {
  double s = 0.0, slopes = 0.0;
#pragma omp simd reduction(+ : s, slopes)
  for (index_t i = 0; i < C; ++i) {
    const T z = base + x[i];
    const bool active = z > T(0) && i != y;
    const double zd = static_cast<double>(z);
    s += active ? power_term<P>(zd) : 0.0;
    const double h = active ? power_slope<P>(zd) : 0.0;
    gr[i] = static_cast<T>(scale * h);
    slopes += h;
  }
  *sum = s;
  return slopes;
}

template <int P, class T, class I>
LOSSX_INLINE double multi_margin_rows(const MultiMarginArgs<T, I>& a, index_t r0, index_t r1, T* loss_rows,
                                      detail::RowGrad<T> rg) {
  const index_t C = a.l.classes;
  thread_local std::vector<T> scratch_row;  // the loss alone: its unused gradient row (only grows)
  T* scratch = nullptr;
  if (!a.grad) {
    if (scratch_row.size() < static_cast<size_t>(C)) scratch_row.resize(static_cast<size_t>(C));
    scratch = scratch_row.data();
  }
  double total = 0.0;
  for (index_t r = r0; r < r1; ++r) {
    const T* x = a.x + a.l.base(r);
    const index_t y = static_cast<index_t>(a.target[r]);
    const T base = a.margin - x[y];
    const double wy_c = (a.weight ? static_cast<double>(a.weight[y]) : 1.0) / static_cast<double>(C);
    double sum;
    if (a.grad) {
      T* gr = a.grad + a.l.base(r);
      const double scale = rg.at(r) * wy_c;
      const double slopes = hinge_sum_grad<P>(x, base, y, C, scale, gr, &sum);
      gr[y] = static_cast<T>(0.0 - scale * slopes);  // 0 - (..) keeps +0 with no active term
    } else {
      // The loss alone runs the same loop (its gradient into a scratch row), so that it is
      // bitwise the loss of the fused call: two loops may contract z·z + s into an FMA differently.
      hinge_sum_grad<P>(x, base, y, C, 0.0, scratch, &sum);
    }
    const double row = sum * wy_c;
    if (loss_rows) loss_rows[r] = static_cast<T>(row);
    total += row;
  }
  return total;
}

template <class T, class I>
LOSSX_SIMD_CLONES double multi_margin_block(const MultiMarginArgs<T, I>& a, int p, index_t r0, index_t r1,
                                            T* loss_rows, detail::RowGrad<T> rg) {
  return p == 1 ? multi_margin_rows<1>(a, r0, r1, loss_rows, rg) : multi_margin_rows<2>(a, r0, r1, loss_rows, rg);
}

}  // namespace

template <class T, class I>
Shape multi_margin_loss_shape(View<const T> input, View<const I> target, const MultiMarginLossOptions<T>& opt) {
  const Check ck{"multi_margin_loss"};
  ck.contiguous("input", input);
  ck.contiguous("target", target);
  ck.contiguous("weight", opt.weight);
  ck.ndim_between("input", input.shape, 0, 2);
  const detail::RowLayout l = detail::margin_row_layout(input.shape);
  if (l.classes < 1) ck.fail("input", "have at least one class (C >= 1)", cat("shape ", shape_str(input.shape)));
  if (target.ndim() > 1 || target.numel() != l.rows())
    ck.fail("target", cat("have shape ", input.ndim() == 2 ? shape_str({l.rows()}) : "()",
                          ", one class index per row, to match 'input' ", shape_str(input.shape)),
            shape_str(target.shape));
  ck.param(opt.p == 1 || opt.p == 2, "p", "be 1 or 2", opt.p);
  if (opt.weight.present()) ck.class_vector("weight", opt.weight.shape, l.classes);
  detail::check_reduction(ck, opt.reduction);
  return target.shape;
}

template <class T, class I>
void multi_margin_loss_run(View<const T> input, View<const I> target, const MultiMarginLossOptions<T>& opt,
                           const Request<T>& request) {
  const Check ck{"multi_margin_loss"};
  const Shape none_shape = multi_margin_loss_shape(input, target, opt);
  const detail::RowLayout l = detail::margin_row_layout(input.shape);
  for (index_t r = 0; r < l.rows(); ++r) {  // range pre-pass: the first bad position is reported
    const index_t v = static_cast<index_t>(target.data[r]);
    if (v < 0 || v >= l.classes)
      ck.fail("target", cat("hold class indices in [0, ", l.classes, ")"), cat(v, " at position ", r));
  }
  const detail::Reducer<T> red(ck, opt.reduction, none_shape, request, static_cast<double>(l.rows()));  // rows
  const MultiMarginArgs<T, I> a{input.data, target.data, opt.weight.data, static_cast<T>(opt.margin), l, red.grad()};
  detail::row_loss(red, l, [&](index_t b, index_t e, T* loss_rows, detail::RowGrad<T> rg) {
    return multi_margin_block<T, I>(a, opt.p, b, e, loss_rows, rg);
  });
}

#define INSTANTIATE(T, I)                                                                                       \
  template Shape multi_margin_loss_shape<T, I>(View<const T>, View<const I>, const MultiMarginLossOptions<T>&); \
  template void multi_margin_loss_run<T, I>(View<const T>, View<const I>, const MultiMarginLossOptions<T>&,    \
                                            const Request<T>&);
LOSSX_FOR_EACH_FLOAT_AND_INDEX(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
