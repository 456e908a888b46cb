// lossx/embedding.hpp — losses on pairs and triplets of embeddings: cosine
// embedding and triplet margin (PyTorch's semantics), and the batch-hard
// triplet loss (beyond PyTorch).
//
// Same conventions as classification.hpp: NAME (the loss), NAME_backward (the
// gradient of sum(grad_output * NAME(...)) w.r.t. the prediction inputs) and
// NAME_with_grad (both from one kernel; nullptr for an output not wanted),
// plus NAME_shape, which validates everything that does not need the data and
// returns the shape of the unreduced ('none') loss. Gradients have the shapes
// of the inputs they belong to.
#pragma once

#include <cstdint>

#include "lossx/core/error.hpp"
#include "lossx/core/view.hpp"

namespace lossx {

// ---------------------------------------------------------------- cosine_embedding_loss
/// Options of cosine_embedding_loss.
struct CosineEmbeddingOptions {
  double margin = 0.0;                    ///< subtracted from cos for target -1 (any value)
  Reduction reduction = Reduction::Mean;  ///< 'none' | 'mean' | 'sum'
};

/// input1, input2: (N, D) with target (N,), or (D) with target (); all of one shape,
/// no broadcasting. Returns the 'none' shape: (N,) or ().
template <class T>
Shape cosine_embedding_loss_shape(View<const T> input1, View<const T> input2, View<const T> target,
                                  const CosineEmbeddingOptions& opt);

/// Loss and/or gradients w.r.t. input1 and input2 in one pass over each row pair.
/// cos = Σ x1·x2 / sqrt((Σ x1² + ε)(Σ x2² + ε)), ε = float(1e-12) as in PyTorch;
/// target 1: 1 - cos; target -1: max(0, cos - margin); any other target: 0.
/// `grad_output` is required when either gradient is wanted.
template <class T>
void cosine_embedding_loss_with_grad(View<const T> input1, View<const T> input2, View<const T> target,
                                     const CosineEmbeddingOptions& opt, View<const T> grad_output, T* loss,
                                     T* grad_input1, T* grad_input2);

template <class T>
void cosine_embedding_loss(View<const T> input1, View<const T> input2, View<const T> target,
                           const CosineEmbeddingOptions& opt, T* loss) {
  cosine_embedding_loss_with_grad<T>(input1, input2, target, opt, {}, loss, nullptr, nullptr);
}
template <class T>
void cosine_embedding_loss_backward(View<const T> grad_output, View<const T> input1, View<const T> input2,
                                    View<const T> target, const CosineEmbeddingOptions& opt, T* grad_input1,
                                    T* grad_input2) {
  cosine_embedding_loss_with_grad<T>(input1, input2, target, opt, grad_output, nullptr, grad_input1, grad_input2);
}

// ---------------------------------------------------------------- triplet_margin_loss
/// Options of triplet_margin_loss.
struct TripletMarginOptions {
  double margin = 1.0;                    ///< must be > 0 (as PyTorch requires)
  double p = 2.0;                         ///< norm degree: any p > 0, including fractions and infinity
  double eps = 1e-6;                      ///< added to every component of each difference
  bool swap = false;                      ///< use min(d(a,n), d(p,n)) as the negative distance
  Reduction reduction = Reduction::Mean;  ///< 'none' | 'mean' | 'sum'
};

/// anchor, positive, negative: all (N, D) or all (D); no broadcasting.
/// Returns the 'none' shape: (N,) or ().
template <class T>
Shape triplet_margin_loss_shape(View<const T> anchor, View<const T> positive, View<const T> negative,
                                const TripletMarginOptions& opt);

/// Loss and/or gradients w.r.t. anchor, positive and negative (any of the three
/// may be nullptr). d(x, y) = ||x - y + eps||_p; loss max(0, margin + d(a,p) - d_an)
/// with d_an = d(a,n), or min(d(a,n), d(p,n)) with swap. `grad_output` is
/// required when a gradient is wanted.
template <class T>
void triplet_margin_loss_with_grad(View<const T> anchor, View<const T> positive, View<const T> negative,
                                   const TripletMarginOptions& opt, View<const T> grad_output, T* loss,
                                   T* grad_anchor, T* grad_positive, T* grad_negative);

template <class T>
void triplet_margin_loss(View<const T> anchor, View<const T> positive, View<const T> negative,
                         const TripletMarginOptions& opt, T* loss) {
  triplet_margin_loss_with_grad<T>(anchor, positive, negative, opt, {}, loss, nullptr, nullptr, nullptr);
}
template <class T>
void triplet_margin_loss_backward(View<const T> grad_output, View<const T> anchor, View<const T> positive,
                                  View<const T> negative, const TripletMarginOptions& opt, T* grad_anchor,
                                  T* grad_positive, T* grad_negative) {
  triplet_margin_loss_with_grad<T>(anchor, positive, negative, opt, grad_output, nullptr, grad_anchor,
                                   grad_positive, grad_negative);
}

// ---------------------------------------------------------------- batch_hard_triplet_loss
/// Options of batch_hard_triplet_loss.
struct BatchHardTripletOptions {
  double margin = 1.0;                    ///< must be >= 0
  double p = 2.0;                         ///< norm degree: any p > 0, including fractions and infinity
  Reduction reduction = Reduction::Mean;  ///< 'none' | 'mean' (over kept anchors) | 'sum'
};

/// embeddings (N, D), labels (N,) of integer type I (int32_t or int64_t).
/// Returns the 'none' shape (N,).
template <class T, class I>
Shape batch_hard_triplet_loss_shape(View<const T> embeddings, View<const I> labels,
                                    const BatchHardTripletOptions& opt);

/// Loss and/or gradient w.r.t. the embeddings. d(x, y) = ||x - y||_p (no eps).
/// For anchor i: hardest positive = farthest j != i with labels[j] == labels[i],
/// hardest negative = nearest j with labels[j] != labels[i] (ties: lowest index);
/// loss max(0, d_ap - d_an + margin). Anchors without a positive or a negative
/// are left out ('none': 0; 'mean' divides by the kept count, nan if none).
/// Distances are computed in tiles of anchors × candidates; memory beyond the
/// inputs and outputs is O(N + tile), never N × N.
template <class T, class I>
void batch_hard_triplet_loss_with_grad(View<const T> embeddings, View<const I> labels,
                                       const BatchHardTripletOptions& opt, View<const T> grad_output, T* loss,
                                       T* grad_embeddings);

template <class T, class I>
void batch_hard_triplet_loss(View<const T> embeddings, View<const I> labels, const BatchHardTripletOptions& opt,
                             T* loss) {
  batch_hard_triplet_loss_with_grad<T, I>(embeddings, labels, opt, {}, loss, nullptr);
}
template <class T, class I>
void batch_hard_triplet_loss_backward(View<const T> grad_output, View<const T> embeddings, View<const I> labels,
                                      const BatchHardTripletOptions& opt, T* grad_embeddings) {
  batch_hard_triplet_loss_with_grad<T, I>(embeddings, labels, opt, grad_output, nullptr, grad_embeddings);
}

}  // namespace lossx
