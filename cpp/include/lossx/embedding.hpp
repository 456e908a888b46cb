// lossx/embedding.hpp — losses on pairs and triplets of embeddings: cosine
// embedding and triplet margin (PyTorch's semantics), and the batch-hard
// triplet loss (beyond PyTorch).
//
// Every loss NAME has the same entry points (T is float or double):
//   NAME_shape(...)             validates the arguments (not the data); returns the 'none' shape.
//   NAME_run(..., request)      the one kernel: computes what the Request asks (core/request.hpp).
//   NAME(..., loss)             the loss: one value if reduced, else the 'none' shape.
//   NAME_backward(grad_output, ..., grads...)
//                               the gradient of sum(grad_output · NAME(...)) w.r.t. the prediction
//                               inputs (nullptr for a gradient you do not need).
//   NAME_with_grad(..., grad_output, loss, grads...)
//                               both in one pass (nullptr for an output you do not need).
//                               grad_output: shape () if reduced, else the 'none' shape or shape ()
//                               (uniform: one value for every term, e.g. 1 without an array of ones;
//                               the same gradient bitwise; see core/request.hpp).
//   NAME_partial(...)           the partial sums (total, denominator) of the reduction: over any
//                               split of a batch, 'mean' is Σ total / Σ denominator, 'sum' Σ total.
//   NAME_partial_backward(scale, ..., grads...)
//                               the gradient of scale · total.
// Arrays are contiguous row-major Views; gradients have the shapes of the inputs they belong
// to. Errors: lossx::ValueError / TypeError.
#pragma once

#include <cstdint>

#include "lossx/core/error.hpp"
#include "lossx/core/request.hpp"
#include "lossx/core/view.hpp"

namespace lossx {

// ---------------------------------------------------------------- cosine_embedding_loss
/// Options of cosine_embedding_loss.
struct CosineEmbeddingLossOptions {
  double margin = 0.0;                    ///< subtracted from cos for target -1 (any value)
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' (over the rows) or 'sum'
};

/// input1, input2: (N, D) with target (N,), or (D) with target (); all of one shape,
/// no broadcasting. Returns the 'none' shape: (N,) or ().
template <class T>
Shape cosine_embedding_loss_shape(View<const T> input1, View<const T> input2, View<const T> target,
                                  const CosineEmbeddingLossOptions& opt);
/// cos = Σ x1·x2 / sqrt((Σ x1² + ε)(Σ x2² + ε)), ε = float(1e-12) as in PyTorch;
/// target 1: 1 - cos; target -1: max(0, cos - margin); any other target: 0.
/// Gradients: request.grad w.r.t. input1, request.grad2 w.r.t. input2, from one pass per row pair.
template <class T>
void cosine_embedding_loss_run(View<const T> input1, View<const T> input2, View<const T> target,
                               const CosineEmbeddingLossOptions& opt, const Request<T>& request);

template <class T>
void cosine_embedding_loss(View<const T> input1, View<const T> input2, View<const T> target,
                           const CosineEmbeddingLossOptions& opt, T* loss) {
  cosine_embedding_loss_run(input1, input2, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T>
void cosine_embedding_loss_backward(View<const T> grad_output, View<const T> input1, View<const T> input2,
                                    View<const T> target, const CosineEmbeddingLossOptions& opt, T* grad_input1,
                                    T* grad_input2) {
  cosine_embedding_loss_run(input1, input2, target, opt,
                            Request<T>::value(grad_output, nullptr, grad_input1, grad_input2));
}
template <class T>
void cosine_embedding_loss_with_grad(View<const T> input1, View<const T> input2, View<const T> target,
                                     const CosineEmbeddingLossOptions& opt, View<const T> grad_output, T* loss,
                                     T* grad_input1, T* grad_input2) {
  cosine_embedding_loss_run(input1, input2, target, opt,
                            Request<T>::value(grad_output, loss, grad_input1, grad_input2));
}
/// (Σ loss over the rows, N).
template <class T>
Partial cosine_embedding_loss_partial(View<const T> input1, View<const T> input2, View<const T> target,
                                      const CosineEmbeddingLossOptions& opt) {
  Partial p;
  cosine_embedding_loss_run(input1, input2, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void cosine_embedding_loss_partial_backward(double scale, View<const T> input1, View<const T> input2,
                                            View<const T> target, const CosineEmbeddingLossOptions& opt,
                                            T* grad_input1, T* grad_input2) {
  cosine_embedding_loss_run(input1, input2, target, opt,
                            Request<T>::partial_backward(scale, grad_input1, grad_input2));
}

// ---------------------------------------------------------------- triplet_margin_loss
/// Options of triplet_margin_loss.
struct TripletMarginLossOptions {
  double margin = 1.0;                    ///< must be > 0 (as PyTorch requires)
  double p = 2.0;                         ///< norm degree: any p > 0, including fractions and infinity
  double eps = 1e-6;                      ///< added to every component of each difference
  bool swap = false;                      ///< use min(d(a,n), d(p,n)) as the negative distance
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' (over the triplets) or 'sum'
};

/// anchor, positive, negative: all (N, D) or all (D); no broadcasting.
/// Returns the 'none' shape: (N,) or ().
template <class T>
Shape triplet_margin_loss_shape(View<const T> anchor, View<const T> positive, View<const T> negative,
                                const TripletMarginLossOptions& opt);
/// d(x, y) = ||x - y + eps||_p; loss max(0, margin + d(a,p) - d_an) with d_an = d(a,n), or
/// min(d(a,n), d(p,n)) with swap. Gradients: request.grad w.r.t. the anchor, request.grad2 w.r.t.
/// the positive, request.grad3 w.r.t. the negative (any of them may be nullptr).
template <class T>
void triplet_margin_loss_run(View<const T> anchor, View<const T> positive, View<const T> negative,
                             const TripletMarginLossOptions& opt, const Request<T>& request);

template <class T>
void triplet_margin_loss(View<const T> anchor, View<const T> positive, View<const T> negative,
                         const TripletMarginLossOptions& opt, T* loss) {
  triplet_margin_loss_run(anchor, positive, negative, opt, Request<T>::value({}, loss, nullptr));
}
template <class T>
void triplet_margin_loss_backward(View<const T> grad_output, View<const T> anchor, View<const T> positive,
                                  View<const T> negative, const TripletMarginLossOptions& opt, T* grad_anchor,
                                  T* grad_positive, T* grad_negative) {
  triplet_margin_loss_run(anchor, positive, negative, opt,
                          Request<T>::value(grad_output, nullptr, grad_anchor, grad_positive, grad_negative));
}
template <class T>
void triplet_margin_loss_with_grad(View<const T> anchor, View<const T> positive, View<const T> negative,
                                   const TripletMarginLossOptions& opt, View<const T> grad_output, T* loss,
                                   T* grad_anchor, T* grad_positive, T* grad_negative) {
  triplet_margin_loss_run(anchor, positive, negative, opt,
                          Request<T>::value(grad_output, loss, grad_anchor, grad_positive, grad_negative));
}
/// (Σ loss over the triplets, N).
template <class T>
Partial triplet_margin_loss_partial(View<const T> anchor, View<const T> positive, View<const T> negative,
                                    const TripletMarginLossOptions& opt) {
  Partial p;
  triplet_margin_loss_run(anchor, positive, negative, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void triplet_margin_loss_partial_backward(double scale, View<const T> anchor, View<const T> positive,
                                          View<const T> negative, const TripletMarginLossOptions& opt,
                                          T* grad_anchor, T* grad_positive, T* grad_negative) {
  triplet_margin_loss_run(anchor, positive, negative, opt,
                          Request<T>::partial_backward(scale, grad_anchor, grad_positive, grad_negative));
}

// ---------------------------------------------------------------- batch_hard_triplet_loss
/// Options of batch_hard_triplet_loss.
struct BatchHardTripletLossOptions {
  double margin = 1.0;                    ///< must be >= 0
  double p = 2.0;                         ///< norm degree: any p > 0, including fractions and infinity
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' (over the kept anchors) or 'sum'
};

/// embeddings (N, D), labels (N,) of integer type I (int32_t or int64_t).
/// Returns the 'none' shape (N,).
template <class T, class I>
Shape batch_hard_triplet_loss_shape(View<const T> embeddings, View<const I> labels,
                                    const BatchHardTripletLossOptions& opt);
/// d(x, y) = ||x - y||_p (no eps). For anchor i: hardest positive = farthest j != i with
/// labels[j] == labels[i], hardest negative = nearest j with labels[j] != labels[i] (ties: lowest
/// index); loss max(0, d_ap - d_an + margin). Anchors without a positive or a negative are left
/// out ('none': 0; 'mean' divides by the kept count K, nan if K = 0). Gradient: request.grad
/// w.r.t. the embeddings. Distances are computed in tiles of anchors × candidates; memory beyond
/// the inputs and outputs is O(N + tile), never N × N.
template <class T, class I>
void batch_hard_triplet_loss_run(View<const T> embeddings, View<const I> labels,
                                 const BatchHardTripletLossOptions& opt, const Request<T>& request);

template <class T, class I>
void batch_hard_triplet_loss(View<const T> embeddings, View<const I> labels, const BatchHardTripletLossOptions& opt,
                             T* loss) {
  batch_hard_triplet_loss_run(embeddings, labels, opt, Request<T>::value({}, loss, nullptr));
}
template <class T, class I>
void batch_hard_triplet_loss_backward(View<const T> grad_output, View<const T> embeddings, View<const I> labels,
                                      const BatchHardTripletLossOptions& opt, T* grad_embeddings) {
  batch_hard_triplet_loss_run(embeddings, labels, opt, Request<T>::value(grad_output, nullptr, grad_embeddings));
}
template <class T, class I>
void batch_hard_triplet_loss_with_grad(View<const T> embeddings, View<const I> labels,
                                       const BatchHardTripletLossOptions& opt, View<const T> grad_output, T* loss,
                                       T* grad_embeddings) {
  batch_hard_triplet_loss_run(embeddings, labels, opt, Request<T>::value(grad_output, loss, grad_embeddings));
}
/// (Σ loss over the kept anchors, K). Anchors are mined within the call's batch: the partial
/// sums of separate chunks describe separate batches, not a split of one.
template <class T, class I>
Partial batch_hard_triplet_loss_partial(View<const T> embeddings, View<const I> labels,
                                        const BatchHardTripletLossOptions& opt) {
  Partial p;
  batch_hard_triplet_loss_run(embeddings, labels, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T, class I>
void batch_hard_triplet_loss_partial_backward(double scale, View<const T> embeddings, View<const I> labels,
                                              const BatchHardTripletLossOptions& opt, T* grad_embeddings) {
  batch_hard_triplet_loss_run(embeddings, labels, opt, Request<T>::partial_backward(scale, grad_embeddings));
}

}  // namespace lossx
