// Internal: the (outer, C, inner) view of class-dim losses and softmax.
//
// An input (N, C, d1..dk) is N·d1·..·dk rows of C values each; row r starts at
// (r / inner)·C·inner + r % inner and its values are `inner` apart. A 2-D input
// has inner == 1 and contiguous rows, and gets a specialised stride of 1.
#pragma once

#include <algorithm>
#include <type_traits>
#include <vector>

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

namespace lossx::detail {

/// Calls `fn(r, count, xrows, trows, grows)` for the rows [r0, r1) in pieces whose
/// C values are contiguous, row after row (`count` × C). Contiguous layouts
/// (inner == 1) pass pointers straight through; K-dim layouts gather a tile of
/// up to `kTile` rows of one sample into a buffer (and scatter the gradient back),
/// so that the row kernel keeps a unit stride and vectorises. `t` (a second input
/// with x's layout, e.g. probabilities) and `grad` may be nullptr.
template <class T, class F>
void for_contiguous_rows(const RowLayout& l, index_t r0, index_t r1, const T* x, const T* t, T* grad, F&& fn) {
  const index_t C = l.classes;
  if (l.inner == 1) {
    fn(r0, r1 - r0, x + r0 * C, t ? t + r0 * C : nullptr, grad ? grad + r0 * C : nullptr);
    return;
  }
  const index_t tile = std::max<index_t>(8, 4096 / std::max<index_t>(C, 1));
  std::vector<T> buf(static_cast<size_t>(tile * C * (1 + (t != nullptr) + (grad != nullptr))));
  T* xb = buf.data();
  T* tb = t ? xb + tile * C : nullptr;
  T* gb = grad ? xb + tile * C * (t ? 2 : 1) : nullptr;
  for (index_t r = r0; r < r1;) {
    const index_t n = r / l.inner, j = r % l.inner;
    const index_t len = std::min({tile, l.inner - j, r1 - r});
    const index_t base = n * C * l.inner + j;
    for (index_t c = 0; c < C; ++c) {
      const T* src = x + base + c * l.inner;
      for (index_t k = 0; k < len; ++k) xb[k * C + c] = src[k];
      if (tb) {
        const T* ts = t + base + c * l.inner;
        for (index_t k = 0; k < len; ++k) tb[k * C + c] = ts[k];
      }
    }
    fn(r, len, xb, tb, gb);
    if (gb) {
      for (index_t c = 0; c < C; ++c) {
        T* dst = grad + base + c * l.inner;
        for (index_t k = 0; k < len; ++k) dst[k] = gb[k * C + c];
      }
    }
    r += len;
  }
}

}  // namespace lossx::detail
