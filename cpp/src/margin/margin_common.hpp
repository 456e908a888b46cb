// Internal: what the margin losses share — the reduction check, the row driver of the per-row losses, and the instantiations.
#pragma once

#include "core/check.hpp"
#include "core/math.hpp"
#include "core/parallel.hpp"
#include "lossx/margin.hpp"
#include "core/elementwise.hpp"
#include "core/rows.hpp"

namespace lossx::detail {

/// The rows and classes of the multi-class margin losses' layouts: (N, C), (C) or () (one class).
inline RowLayout margin_row_layout(const Shape& input) {
  RowLayout l;
  l.outer = input.size() == 2 ? input[0] : 1;
  l.classes = input.empty() ? 1 : input.back();
  return l;
}

/// 'batchmean' belongs to kl_div only.
inline void check_reduction(const Check& ck, Reduction r) {
  ck.param(r != Reduction::BatchMean, "reduction", "be one of 'none', 'mean', 'sum'", "'batchmean'");
}


/// The gradient factor of row r: grad_output[r] ('none'), or the scalar
/// grad_output divided by the row count ('mean') or not ('sum').
template <class T>
struct RowGrad {
  const T* g = nullptr;
  double gs = 0.0;
  double at(index_t r) const { return g ? static_cast<double>(g[r]) : gs; }
};

/// Runs a per-row loss over the rows of `l` in fixed blocks of `l.grain()` rows.
/// `block(r0, r1, loss_rows, row_grad)` handles rows [r0, r1): it writes each
/// row's loss into `loss_rows[r]` when that is not null, writes the gradient
/// when the caller asked for one (using `row_grad.at(r)`), and returns the sum
/// of its rows' losses in double. 'mean' divides by the row count (nan for 0 rows).
template <class T, class Block>
void row_loss(const Check& ck, const RowLayout& l, const Shape& none_shape, Reduction red,
              View<const T> grad_output, T* loss, bool want_grad, Block&& block) {
  const index_t rows = l.rows();
  const bool reduced = red != Reduction::None;
  RowGrad<T> rg;
  if (want_grad) {
    ck.grad_output(grad_output, red, none_shape);
    if (reduced)
      rg.gs = static_cast<double>(grad_output.data[0]) / (red == Reduction::Mean ? static_cast<double>(rows) : 1.0);
    else
      rg.g = grad_output.data;
  }
  T* loss_rows = reduced ? nullptr : loss;
  const double total = block_sum(rows, l.grain(), [&](index_t b, index_t e) { return block(b, e, loss_rows, rg); });
  if (reduced && loss)
    loss[0] = static_cast<T>(red == Reduction::Mean ? total / static_cast<double>(rows) : total);
}

}  // namespace lossx::detail

/// Instantiates NAME_shape and NAME_with_grad of an (input, float target) loss for float and double.
#define LOSSX_INSTANTIATE_MARGIN(NAME, OPTS)                                                                 \
  template Shape NAME##_shape<float>(View<const float>, View<const float>, const OPTS<float>&);             \
  template Shape NAME##_shape<double>(View<const double>, View<const double>, const OPTS<double>&);         \
  template void NAME##_with_grad<float>(View<const float>, View<const float>, const OPTS<float>&,            \
                                        View<const float>, float*, float*);                                 \
  template void NAME##_with_grad<double>(View<const double>, View<const double>, const OPTS<double>&,       \
                                         View<const double>, double*, double*);

/// Instantiates NAME_shape and NAME_with_grad of an (input, class-index target) loss for float/double × int32/int64.
#define LOSSX_INSTANTIATE_MARGIN_INDEX_1(NAME, OPTS, T, I)                                                   \
  template Shape NAME##_shape<T, I>(View<const T>, View<const I>, const OPTS<T>&);                          \
  template void NAME##_with_grad<T, I>(View<const T>, View<const I>, const OPTS<T>&, View<const T>, T*, T*);
#define LOSSX_INSTANTIATE_MARGIN_INDEX(NAME, OPTS)                       \
  LOSSX_INSTANTIATE_MARGIN_INDEX_1(NAME, OPTS, float, std::int32_t)      \
  LOSSX_INSTANTIATE_MARGIN_INDEX_1(NAME, OPTS, float, std::int64_t)      \
  LOSSX_INSTANTIATE_MARGIN_INDEX_1(NAME, OPTS, double, std::int32_t)     \
  LOSSX_INSTANTIATE_MARGIN_INDEX_1(NAME, OPTS, double, std::int64_t)
