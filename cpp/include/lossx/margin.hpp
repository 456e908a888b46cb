// lossx/margin.hpp — the margin losses with PyTorch's semantics (torch.nn.functional):
// margin_ranking_loss, hinge_embedding_loss, soft_margin_loss,
// multilabel_soft_margin_loss, multi_margin_loss and multilabel_margin_loss.
//
// Same three entry points per loss as classification.hpp: NAME (the loss),
// NAME_backward (the gradient of sum(grad_output * NAME(...)) w.r.t. the
// prediction input(s)) and NAME_with_grad (both from one kernel; pass nullptr
// for an output you do not need), plus NAME_shape, which validates everything
// that does not need the data and returns the shape of the unreduced ('none')
// loss. Inputs are contiguous row-major Views; `I` is the integer type of
// class-index targets (int32_t or int64_t).
//
// Subgradients at kinks follow PyTorch: the clamp-based losses (margin_ranking,
// hinge_embedding) let the gradient through where the clamped value is exactly
// 0; the loop-based ones (multi_margin, multilabel_margin) use a strict z > 0
// test, so their gradient there is 0.
#pragma once

#include <cstdint>

#include "lossx/core/declare.hpp"
#include "lossx/core/error.hpp"
#include "lossx/core/request.hpp"
#include "lossx/core/view.hpp"

namespace lossx {

// ---------------------------------------------------------------- margin_ranking_loss
template <class T>
struct MarginRankingOptions {
  double margin = 0.0;  ///< m in max(0, -y·(x1 - x2) + m); any real value
  Reduction reduction = Reduction::Mean;
};

/// input1, input2 and target share one shape (any, incl. ()); the 'none' shape is that shape.
/// target holds the ranking labels y (usually ±1; any value is accepted, as in PyTorch).
template <class T>
Shape margin_ranking_loss_shape(View<const T> input1, View<const T> input2, View<const T> target,
                                const MarginRankingOptions<T>& opt);

/// max(0, -y·(x1 - x2) + m) and/or its gradients w.r.t. input1 and input2 (each of their shape).
template <class T>
void margin_ranking_loss_with_grad(View<const T> input1, View<const T> input2, View<const T> target,
                                   const MarginRankingOptions<T>& opt, View<const T> grad_output, T* loss,
                                   T* grad_input1, T* grad_input2);

template <class T>
void margin_ranking_loss(View<const T> input1, View<const T> input2, View<const T> target,
                         const MarginRankingOptions<T>& opt, T* loss) {
  margin_ranking_loss_with_grad<T>(input1, input2, target, opt, {}, loss, nullptr, nullptr);
}
template <class T>
void margin_ranking_loss_backward(View<const T> grad_output, View<const T> input1, View<const T> input2,
                                  View<const T> target, const MarginRankingOptions<T>& opt, T* grad_input1,
                                  T* grad_input2) {
  margin_ranking_loss_with_grad<T>(input1, input2, target, opt, grad_output, nullptr, grad_input1, grad_input2);
}

// ---------------------------------------------------------------- hinge_embedding_loss
/// Options of hinge_embedding_loss.
template <class T>
struct HingeEmbeddingLossOptions {
  double margin = 1.0;                    ///< m in max(0, m - x)
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' or 'sum'
};

/// [y ≠ 1]·max(0, m - x) + [y ≠ -1]·x (so y = 0 incurs both terms, as in PyTorch).
/// input and target share one shape, which is also the 'none' shape.
template <class T>
Shape hinge_embedding_loss_shape(View<const T> input, View<const T> target, const HingeEmbeddingLossOptions<T>& opt);
template <class T>
void hinge_embedding_loss_run(View<const T> input, View<const T> target, const HingeEmbeddingLossOptions<T>& opt,
                              const Request<T>& request);

template <class T>
void hinge_embedding_loss(View<const T> input, View<const T> target, const HingeEmbeddingLossOptions<T>& opt, T* loss) {
  hinge_embedding_loss_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T>
void hinge_embedding_loss_backward(View<const T> grad_output, View<const T> input, View<const T> target,
                                   const HingeEmbeddingLossOptions<T>& opt, T* grad_input) {
  hinge_embedding_loss_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T>
void hinge_embedding_loss_with_grad(View<const T> input, View<const T> target, const HingeEmbeddingLossOptions<T>& opt,
                                    View<const T> grad_output, T* loss, T* grad_input) {
  hinge_embedding_loss_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T>
Partial hinge_embedding_loss_partial(View<const T> input, View<const T> target,
                                     const HingeEmbeddingLossOptions<T>& opt) {
  Partial p;
  hinge_embedding_loss_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void hinge_embedding_loss_partial_backward(double scale, View<const T> input, View<const T> target,
                                           const HingeEmbeddingLossOptions<T>& opt, T* grad_input) {
  hinge_embedding_loss_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}

// ---------------------------------------------------------------- soft_margin_loss
/// Options of soft_margin_loss.
template <class T>
struct SoftMarginLossOptions {
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' or 'sum'
};

/// log(1 + exp(-y·x)), computed as a stable softplus (finite where PyTorch's literal formula overflows).
/// input and target share one shape, which is also the 'none' shape.
template <class T>
Shape soft_margin_loss_shape(View<const T> input, View<const T> target, const SoftMarginLossOptions<T>& opt);
template <class T>
void soft_margin_loss_run(View<const T> input, View<const T> target, const SoftMarginLossOptions<T>& opt,
                          const Request<T>& request);

template <class T>
void soft_margin_loss(View<const T> input, View<const T> target, const SoftMarginLossOptions<T>& opt, T* loss) {
  soft_margin_loss_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T>
void soft_margin_loss_backward(View<const T> grad_output, View<const T> input, View<const T> target,
                               const SoftMarginLossOptions<T>& opt, T* grad_input) {
  soft_margin_loss_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T>
void soft_margin_loss_with_grad(View<const T> input, View<const T> target, const SoftMarginLossOptions<T>& opt,
                                View<const T> grad_output, T* loss, T* grad_input) {
  soft_margin_loss_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T>
Partial soft_margin_loss_partial(View<const T> input, View<const T> target, const SoftMarginLossOptions<T>& opt) {
  Partial p;
  soft_margin_loss_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void soft_margin_loss_partial_backward(double scale, View<const T> input, View<const T> target,
                                       const SoftMarginLossOptions<T>& opt, T* grad_input) {
  soft_margin_loss_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}

// ---------------------------------------------------------------- multilabel_soft_margin_loss
template <class T>
struct MultilabelSoftMarginOptions {
  View<const T> weight{};  ///< optional per-class weight, shape (C,)
  Reduction reduction = Reduction::Mean;
};

/// input (C), (N, C) or (N, d1.., C): classes along the last dim; target of the input's shape
/// (0/1 labels, any real value accepted). The 'none' shape is the input's without its last dim.
/// Per row: (1/C)·Σ_c w_c·[y_c·softplus(-x_c) + (1 - y_c)·softplus(x_c)]; 'mean' averages the rows.
LOSSX_DECLARE_ELEMENTWISE(multilabel_soft_margin_loss, MultilabelSoftMarginOptions)

// ---------------------------------------------------------------- multi_margin_loss
template <class T>
struct MultiMarginOptions {
  int p = 1;               ///< 1 or 2
  double margin = 1.0;
  View<const T> weight{};  ///< optional per-class weight, shape (C,), applied after the power
  Reduction reduction = Reduction::Mean;
};

/// PyTorch's shapes: input (N, C) with target (N,) — or input (C) or () with target () or (1,).
/// The target holds one class index in [0, C) per row. The 'none' shape is (N,) if the
/// target is 1-D, else (). C must be at least 1 (N may be 0).
/// Per row: (1/C)·Σ_{i≠y} w_y·max(0, margin - x_y + x_i)^p. On an empty batch 'mean' is nan and
/// 'sum' 0 (PyTorch returns uninitialised memory there).
LOSSX_DECLARE_INDEXED(multi_margin_loss, MultiMarginOptions)

// ---------------------------------------------------------------- multilabel_margin_loss
template <class T>
struct MultilabelMarginOptions {
  Reduction reduction = Reduction::Mean;
};

/// input (N, C), (C) or (), target of the same shape holding labels in [-1, C): each row's
/// labels are the prefix before its first -1 (the rest is ignored, but range-checked).
/// The 'none' shape is (N,) for a 2-D input, else (). C must be at least 1 (N may be 0).
/// Per row: (1/C)·Σ_{j in labels} Σ_{i not a label} max(0, 1 - x_{y_j} + x_i); a label listed
/// twice counts twice. On an empty batch 'mean' is nan and 'sum' 0.
LOSSX_DECLARE_INDEXED(multilabel_margin_loss, MultilabelMarginOptions)

}  // namespace lossx
