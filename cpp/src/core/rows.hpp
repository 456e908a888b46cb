// Internal: the (outer, C, inner) view of class-dim losses and softmax.
//
// An input (N, C, d1..dk) is N·d1·..·dk rows of C values each; row r starts at
// (r / inner)·C·inner + r % inner and its values are `inner` apart. A 2-D input
// has inner == 1 and contiguous rows, and gets a specialised stride of 1.
#pragma once

#include <algorithm>
#include <type_traits>

#include "lossx/core/view.hpp"

namespace lossx::detail {

struct RowLayout {
  index_t outer = 0;
  index_t classes = 0;
  index_t inner = 1;

  index_t rows() const { return outer * inner; }
  index_t base(index_t r) const { return (r / inner) * classes * inner + r % inner; }
  /// Rows per reduction block: about 32K values, never thread-dependent.
  index_t grain() const { return std::max<index_t>(1, 32768 / std::max<index_t>(classes, 1)); }
};

/// Layout of `shape` with the class (softmax) axis at `dim`.
inline RowLayout row_layout(const Shape& shape, index_t dim) {
  RowLayout l;
  l.outer = 1;
  for (index_t k = 0; k < dim; ++k) l.outer *= shape[static_cast<size_t>(k)];
  l.classes = shape.empty() ? 1 : shape[static_cast<size_t>(dim)];
  for (size_t k = static_cast<size_t>(dim) + 1; k < shape.size(); ++k) l.inner *= shape[k];
  return l;
}

using Unit = std::integral_constant<index_t, 1>;

/// Calls `fn(stride)` with a compile-time 1 for contiguous rows, else the runtime stride.
template <class F>
decltype(auto) with_stride(index_t inner, F&& fn) {
  if (inner == 1) return fn(Unit{});
  return fn(inner);
}

}  // namespace lossx::detail
