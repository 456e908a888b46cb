// Internal: what cross_entropy and nll_loss share about class-index targets —
// the shape rules, the range pre-pass, and the 'mean' denominator.
#pragma once

#include "lossx/core/error.hpp"
#include "lossx/core/parallel.hpp"
#include "../core/rows.hpp"

namespace lossx::detail {

/// Input (C) with target (), or input (N, C, d1..dk) with target (N, d1..dk).
inline RowLayout class_index_layout(const Check& ck, const Shape& input, const Shape& target) {
  ck.ndim_between("input", input, 1, 1 << 20);
  if (input.size() == 1) {
    ck.shape_is("target", target, Shape{}, "input", input);
  } else {
    Shape want = input;
    want.erase(want.begin() + 1);
    ck.shape_is("target", target, want, "input", input);
  }
  return row_layout(input, input.size() == 1 ? 0 : 1);
}

/// The optional per-class weight must be (C,).
template <class T>
void check_class_weight(const Check& ck, View<const T> weight, index_t classes) {
  if (weight.present()) ck.class_vector("weight", weight.shape, classes);
}

/// 'mean' divides by the total weight of the targets that are not ignored
/// (their count without weights); summed over fixed blocks of rows.
template <class T, class I>
double class_weight_total(const RowLayout& l, const I* target, const T* weight, index_t ignore_index) {
  return block_sum(l.rows(), 4096, [&](index_t b, index_t e) {
    double s = 0.0;
    for (index_t r = b; r < e; ++r) {
      const index_t y = static_cast<index_t>(target[r]);
      if (y == ignore_index) continue;
      s += weight ? static_cast<double>(weight[y]) : 1.0;
    }
    return s;
  });
}

}  // namespace lossx::detail
