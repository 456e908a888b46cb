// Internal: what the margin losses share — the reduction check and the row driver of the per-row losses.
#pragma once

#include "core/check.hpp"
#include "core/math.hpp"
#include "core/parallel.hpp"
#include "core/reduce.hpp"
#include "core/rows.hpp"
#include "lossx/margin.hpp"

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

/// The gradient coefficient of row r, from the Reducer: grad_output[r] ('none'), or
/// one scalar for every row (grad_output / rows for 'mean', grad_output for 'sum', or
/// the partial scale).
template <class T>
struct RowGrad {
  const T* g = nullptr;
  double gs = 0.0;
  double at(index_t r) const { return g ? static_cast<double>(g[r]) : gs; }
};

/// Runs a per-row loss over the rows of `l` in fixed blocks of `l.grain()` rows; `red`
/// (constructed with the row count as the denominator of 'mean') owns the reduction.
/// `block(r0, r1, loss_rows, row_grad)` handles rows [r0, r1): it writes each row's
/// loss into `loss_rows[r]` when that is not null, writes the gradient into
/// `red.grad()` when that is not null (using `row_grad.at(r)`), and returns the sum of
/// its rows' losses in double.
template <class T, class Block>
void row_loss(const Reducer<T>& red, const RowLayout& l, Block&& block) {
  const RowGrad<T> rg{red.term_grad_output(), red.grad_scale()};
  T* loss_rows = red.term_values();
  red.finish(block_sum(l.rows(), l.grain(), [&](index_t b, index_t e) { return block(b, e, loss_rows, rg); }));
}

}  // namespace lossx::detail
