// lossx/core/view.hpp — shapes, array views, reductions and partial sums shared by every loss.
//
// A View is a pointer to a C-contiguous (row-major) block of memory plus its
// shape. Kernels only ever see contiguous memory; the Python binding makes a
// contiguous copy of a strided input only when it is not contiguous already.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lossx {

using index_t = std::int64_t;
using Shape = std::vector<index_t>;

/// Number of elements of a shape (1 for the 0-d shape `()`).
index_t numel(const Shape& shape);

/// Python-style text of a shape: `()`, `(4,)`, `(4, 10)`.
std::string shape_str(const Shape& shape);

/// An array: `data` points at its first element and `shape` gives its dimensions. By
/// default it is contiguous and row-major (`strides` empty). `strides` may give the step
/// of each dimension in elements instead — negative, or 0 for a broadcast dimension (NumPy's
/// np.broadcast_to) — and then only the elementwise losses read it in place (the input and
/// target of l1, mse, smooth_l1, huber, poisson_nll, binary_cross_entropy(_with_logits),
/// kl_div, hinge_embedding and soft_margin); every other argument of every loss must be
/// contiguous (ValueError otherwise).
/// An optional argument (a `weight`, say) is an empty View: `data == nullptr`.
template <class T>
struct View {
  T* data = nullptr;
  Shape shape;
  Shape strides{};  ///< element strides, one per dimension; empty: C-contiguous

  index_t numel() const { return lossx::numel(shape); }
  index_t ndim() const { return static_cast<index_t>(shape.size()); }
  bool present() const { return data != nullptr; }
  /// Whether the elements lie contiguously in row-major order (no strides, or the row-major ones).
  bool contiguous() const {
    if (strides.empty()) return true;
    index_t step = 1;
    for (size_t k = shape.size(); k-- > 0;) {
      if (shape[k] != 1 && strides[k] != step) return false;
      step *= shape[k];
    }
    return true;
  }
};

template <class T>
View<const T> cview(const T* data, Shape shape) {
  return View<const T>{data, std::move(shape)};
}

/// How a loss turns per-element values into its result.
/// `BatchMean` exists for `kl_div` only (sum divided by the input's dim 0).
enum class Reduction { None, Mean, Sum, BatchMean };

/// Parses 'none' | 'mean' | 'sum' (| 'batchmean' when allowed); ValueError otherwise.
Reduction parse_reduction(const std::string& text, const char* loss, bool allow_batchmean = false);

/// The text form of a reduction, as PyTorch spells it.
const char* reduction_str(Reduction r);

/// The two float64 sums of a partial reduction (NAME_partial): over any split of a batch into
/// chunks, 'mean' (and 'batchmean') is Σ total / Σ denominator and 'sum' is Σ total.
struct Partial {
  double total = 0.0;        ///< the sum that 'sum' returns and that 'mean' divides
  double denominator = 0.0;  ///< what 'mean' divides by: count, Σ weights, batch size, ...
};

}  // namespace lossx
