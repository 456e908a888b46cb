// lossx/margin.hpp — the margin losses with PyTorch's semantics (torch.nn.functional):
// margin_ranking_loss, hinge_embedding_loss, soft_margin_loss,
// multilabel_soft_margin_loss, multi_margin_loss and multilabel_margin_loss.
//
// Every loss NAME has the same entry points (T is float or double; `I`, the integer type of
// class-index targets, is int32_t or int64_t):
//   NAME_shape(...)             validates the arguments (not the data); returns the 'none' shape.
//   NAME_run(..., request)      the one kernel: computes what the Request asks (core/request.hpp).
//   NAME(..., loss)             the loss: one value if reduced, else the 'none' shape.
//   NAME_backward(grad_output, ..., grad_input)
//                               the gradient of sum(grad_output · NAME(...)) w.r.t. the input
//                               (w.r.t. input1 and input2 for margin_ranking_loss).
//   NAME_with_grad(..., grad_output, loss, grad_input)
//                               both in one pass (nullptr for an output you do not need).
//                               grad_output: shape () if reduced, else the 'none' shape or shape ()
//                               (uniform: one value for every term, e.g. 1 without an array of ones;
//                               the same gradient bitwise; see core/request.hpp).
//   NAME_partial(...)           the partial sums (total, denominator) of the reduction: over any
//                               split of a batch, 'mean' is Σ total / Σ denominator, 'sum' Σ total.
//                               The denominator counts elements (margin_ranking, hinge_embedding,
//                               soft_margin) or rows (the three per-row losses below them).
//   NAME_partial_backward(scale, ..., grad_input)
//                               the gradient of scale · total.
// Arrays are contiguous row-major Views. Errors: lossx::ValueError / TypeError.
//
// Subgradients at kinks follow PyTorch: the clamp-based losses (margin_ranking,
// hinge_embedding) let the gradient through where the clamped value is exactly
// 0; the loop-based ones (multi_margin, multilabel_margin) use a strict z > 0
// test, so their gradient there is 0.
#pragma once

#include <cstdint>

#include "lossx/core/error.hpp"
#include "lossx/core/request.hpp"
#include "lossx/core/view.hpp"

namespace lossx {

// ---------------------------------------------------------------- margin_ranking_loss
/// Options of margin_ranking_loss.
template <class T>
struct MarginRankingLossOptions {
  double margin = 0.0;                    ///< m in max(0, -y·(x1 - x2) + m); any real value
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' (over the elements) or 'sum'
};

/// max(0, -y·(x1 - x2) + m); gradients -y·[v >= 0] w.r.t. input1 (request.grad) and y·[v >= 0]
/// w.r.t. input2 (request.grad2), passed through at the kink v == 0 as PyTorch's clamp_min does.
/// input1, input2 and target share one shape (any, incl. ()), which is also the 'none' shape;
/// target holds the ranking labels y (usually ±1; any value is accepted, as in PyTorch).
template <class T>
Shape margin_ranking_loss_shape(View<const T> input1, View<const T> input2, View<const T> target,
                                const MarginRankingLossOptions<T>& opt);
template <class T>
void margin_ranking_loss_run(View<const T> input1, View<const T> input2, View<const T> target,
                             const MarginRankingLossOptions<T>& opt, const Request<T>& request);

template <class T>
void margin_ranking_loss(View<const T> input1, View<const T> input2, View<const T> target,
                         const MarginRankingLossOptions<T>& opt, T* loss) {
  margin_ranking_loss_run(input1, input2, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T>
void margin_ranking_loss_backward(View<const T> grad_output, View<const T> input1, View<const T> input2,
                                  View<const T> target, const MarginRankingLossOptions<T>& opt, T* grad_input1,
                                  T* grad_input2) {
  margin_ranking_loss_run(input1, input2, target, opt,
                          Request<T>::value(grad_output, nullptr, grad_input1, grad_input2));
}
template <class T>
void margin_ranking_loss_with_grad(View<const T> input1, View<const T> input2, View<const T> target,
                                   const MarginRankingLossOptions<T>& opt, View<const T> grad_output, T* loss,
                                   T* grad_input1, T* grad_input2) {
  margin_ranking_loss_run(input1, input2, target, opt, Request<T>::value(grad_output, loss, grad_input1, grad_input2));
}
template <class T>
Partial margin_ranking_loss_partial(View<const T> input1, View<const T> input2, View<const T> target,
                                    const MarginRankingLossOptions<T>& opt) {
  Partial p;
  margin_ranking_loss_run(input1, input2, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void margin_ranking_loss_partial_backward(double scale, View<const T> input1, View<const T> input2,
                                          View<const T> target, const MarginRankingLossOptions<T>& opt,
                                          T* grad_input1, T* grad_input2) {
  margin_ranking_loss_run(input1, input2, target, opt, Request<T>::partial_backward(scale, grad_input1, grad_input2));
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
/// Options of multilabel_soft_margin_loss.
template <class T>
struct MultilabelSoftMarginLossOptions {
  View<const T> weight{};                 ///< optional per-class weight, shape (C,)
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' (over the rows) or 'sum'
};

/// Per row: (1/C)·Σ_c w_c·[y_c·softplus(-x_c) + (1 - y_c)·softplus(x_c)]; gradient (w_c/C)·(sigmoid(x_c) - y_c).
/// input (C), (N, C) or (N, d1.., C): classes along the last dim; target of the input's shape
/// (0/1 labels, any real value accepted). The 'none' shape is the input's without its last dim.
template <class T>
Shape multilabel_soft_margin_loss_shape(View<const T> input, View<const T> target,
                                        const MultilabelSoftMarginLossOptions<T>& opt);
template <class T>
void multilabel_soft_margin_loss_run(View<const T> input, View<const T> target,
                                     const MultilabelSoftMarginLossOptions<T>& opt, const Request<T>& request);

template <class T>
void multilabel_soft_margin_loss(View<const T> input, View<const T> target,
                                 const MultilabelSoftMarginLossOptions<T>& opt, T* loss) {
  multilabel_soft_margin_loss_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T>
void multilabel_soft_margin_loss_backward(View<const T> grad_output, View<const T> input, View<const T> target,
                                          const MultilabelSoftMarginLossOptions<T>& opt, T* grad_input) {
  multilabel_soft_margin_loss_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T>
void multilabel_soft_margin_loss_with_grad(View<const T> input, View<const T> target,
                                           const MultilabelSoftMarginLossOptions<T>& opt, View<const T> grad_output,
                                           T* loss, T* grad_input) {
  multilabel_soft_margin_loss_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T>
Partial multilabel_soft_margin_loss_partial(View<const T> input, View<const T> target,
                                            const MultilabelSoftMarginLossOptions<T>& opt) {
  Partial p;
  multilabel_soft_margin_loss_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void multilabel_soft_margin_loss_partial_backward(double scale, View<const T> input, View<const T> target,
                                                  const MultilabelSoftMarginLossOptions<T>& opt, T* grad_input) {
  multilabel_soft_margin_loss_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}

// ---------------------------------------------------------------- multi_margin_loss
/// Options of multi_margin_loss.
template <class T>
struct MultiMarginLossOptions {
  int p = 1;                              ///< the power: 1 or 2
  double margin = 1.0;                    ///< the margin in max(0, margin - x_y + x_i)
  View<const T> weight{};                 ///< optional per-class weight, shape (C,), applied after the power
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' (over the rows) or 'sum'
};

/// Per row: (1/C)·Σ_{i≠y} w_y·max(0, margin - x_y + x_i)^p, with PyTorch's strict z > 0 test
/// (gradient 0 at a kink). PyTorch's shapes: input (N, C) with target (N,) — or input (C) or ()
/// with target () or (1,). The target holds one class index in [0, C) per row. The 'none' shape
/// is the target's. C must be at least 1 (N may be 0). On an empty batch 'mean' is nan and
/// 'sum' 0 (PyTorch returns uninitialised memory there).
template <class T, class I>
Shape multi_margin_loss_shape(View<const T> input, View<const I> target, const MultiMarginLossOptions<T>& opt);
template <class T, class I>
void multi_margin_loss_run(View<const T> input, View<const I> target, const MultiMarginLossOptions<T>& opt,
                           const Request<T>& request);

template <class T, class I>
void multi_margin_loss(View<const T> input, View<const I> target, const MultiMarginLossOptions<T>& opt, T* loss) {
  multi_margin_loss_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T, class I>
void multi_margin_loss_backward(View<const T> grad_output, View<const T> input, View<const I> target,
                                const MultiMarginLossOptions<T>& opt, T* grad_input) {
  multi_margin_loss_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T, class I>
void multi_margin_loss_with_grad(View<const T> input, View<const I> target, const MultiMarginLossOptions<T>& opt,
                                 View<const T> grad_output, T* loss, T* grad_input) {
  multi_margin_loss_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T, class I>
Partial multi_margin_loss_partial(View<const T> input, View<const I> target, const MultiMarginLossOptions<T>& opt) {
  Partial p;
  multi_margin_loss_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T, class I>
void multi_margin_loss_partial_backward(double scale, View<const T> input, View<const I> target,
                                        const MultiMarginLossOptions<T>& opt, T* grad_input) {
  multi_margin_loss_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}

// ---------------------------------------------------------------- multilabel_margin_loss
/// Options of multilabel_margin_loss.
template <class T>
struct MultilabelMarginLossOptions {
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' (over the rows) or 'sum'
};

/// Per row: (1/C)·Σ_{j in labels} Σ_{i not a label} max(0, 1 - x_{y_j} + x_i); a label listed
/// twice counts twice; PyTorch's strict z > 0 test (gradient 0 at a kink).
/// input (N, C), (C) or (), target of the same shape holding labels in [-1, C): each row's
/// labels are the prefix before its first -1 (the rest is ignored, but range-checked).
/// The 'none' shape is (N,) for a 2-D input, else (). C must be at least 1 (N may be 0).
/// On an empty batch 'mean' is nan and 'sum' 0.
template <class T, class I>
Shape multilabel_margin_loss_shape(View<const T> input, View<const I> target,
                                   const MultilabelMarginLossOptions<T>& opt);
template <class T, class I>
void multilabel_margin_loss_run(View<const T> input, View<const I> target, const MultilabelMarginLossOptions<T>& opt,
                                const Request<T>& request);

template <class T, class I>
void multilabel_margin_loss(View<const T> input, View<const I> target, const MultilabelMarginLossOptions<T>& opt,
                            T* loss) {
  multilabel_margin_loss_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T, class I>
void multilabel_margin_loss_backward(View<const T> grad_output, View<const T> input, View<const I> target,
                                     const MultilabelMarginLossOptions<T>& opt, T* grad_input) {
  multilabel_margin_loss_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T, class I>
void multilabel_margin_loss_with_grad(View<const T> input, View<const I> target,
                                      const MultilabelMarginLossOptions<T>& opt, View<const T> grad_output, T* loss,
                                      T* grad_input) {
  multilabel_margin_loss_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T, class I>
Partial multilabel_margin_loss_partial(View<const T> input, View<const I> target,
                                       const MultilabelMarginLossOptions<T>& opt) {
  Partial p;
  multilabel_margin_loss_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T, class I>
void multilabel_margin_loss_partial_backward(double scale, View<const T> input, View<const I> target,
                                             const MultilabelMarginLossOptions<T>& opt, T* grad_input) {
  multilabel_margin_loss_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}

}  // namespace lossx
