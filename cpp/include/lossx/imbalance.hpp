// lossx/imbalance.hpp — class-imbalance helpers (beyond PyTorch): per-class
// weights for cross_entropy / nll_loss and pos_weight for
// binary_cross_entropy_with_logits, computed from the targets in one counting pass.
#pragma once

#include <vector>

#include "lossx/core/error.hpp"
#include "lossx/core/view.hpp"

namespace lossx {

/// How class_weights turns the counts n_c (n counted targets, K classes) into weights.
enum class WeightScheme {
  Balanced,   ///< n / (K · n_c), scikit-learn's 'balanced'
  Inverse,    ///< 1 / n_c, scaled so that the mean over present classes is 1
  Effective,  ///< (1 - β) / (1 - β^n_c) (Cui et al., 2019), scaled so that the sum over present classes is their number
};

/// Parses 'balanced' | 'inverse' | 'effective'; ValueError otherwise.
WeightScheme parse_weight_scheme(const std::string& text);

/// Counts of each class among the targets not equal to `ignore_index`. K is
/// `num_classes` if it is >= 0, else max(target) + 1 (0 if nothing is counted).
/// Targets outside [0, K) other than `ignore_index` raise ValueError.
template <class I>
std::vector<index_t> class_counts(View<const I> target, index_t num_classes, index_t ignore_index);

/// Per-class weights (K values, written to `out`) from counts; classes that never
/// occur get weight 0. `beta` is used by Effective only and must lie in [0, 1).
template <class T>
void class_weights_from_counts(const std::vector<index_t>& counts, WeightScheme scheme, double beta, T* out);

/// Validates `target` for pos_weight_from (at least 1-D) and returns the result's shape (C,).
template <class T>
Shape pos_weight_from_shape(View<const T> target);

/// pos_weight for binary_cross_entropy_with_logits: per class (last dim of
/// `target`, values in [0, 1]) Σ(1 - t) / Σt over all other dims. A class with
/// no positive (Σt = 0) raises ValueError naming it. `out` has `target.shape.back()` values.
template <class T>
void pos_weight_from(View<const T> target, T* out);

}  // namespace lossx
