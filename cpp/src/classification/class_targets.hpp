// Internal: what cross_entropy and nll_loss share about class-index targets —
// the shape rules, the range pre-pass, and the 'mean' denominator.
#pragma once

#include <vector>

#include "core/check.hpp"
#include "core/parallel.hpp"
#include "core/rows.hpp"

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

/// One parallel pass over the class-index targets that (1) checks every index
/// lies in [0, C) or equals `ignore_index` — reporting the first bad position, as
/// a serial scan would — and (2) returns the 'mean' denominator: the total weight
/// of the targets not ignored (their count without weight), summed over fixed
/// blocks so that it does not depend on the thread count.
template <class T, class I>
double check_targets_and_total(const Check& ck, const RowLayout& l, const I* target, const T* weight,
                               index_t ignore_index) {
  const index_t n = l.rows(), C = l.classes;
  constexpr index_t grain = 1 << 15;
  std::vector<index_t> first_bad(static_cast<size_t>(n / grain + 1), -1);
  const double total = block_sum(n, grain, [&](index_t b, index_t e) {
    double s = 0.0;
    for (index_t r = b; r < e; ++r) {
      const index_t y = static_cast<index_t>(target[r]);
      if (y == ignore_index) continue;
      if (y < 0 || y >= C) {
        first_bad[static_cast<size_t>(b / grain)] = r;
        return 0.0;
      }
      s += weight ? static_cast<double>(weight[y]) : 1.0;
    }
    return s;
  });
  for (index_t r : first_bad)
    if (r >= 0)
      ck.fail("target", cat("hold class indices in [0, ", C, ") or ignore_index=", ignore_index),
              cat(static_cast<index_t>(target[r]), " at flat position ", r));
  return total;
}

}  // namespace lossx::detail
