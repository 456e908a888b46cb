// lossx/classification.hpp — softmax, cross-entropy and the other
// classification losses, with PyTorch's semantics (torch.nn.functional).
//
// Every loss NAME has the same entry points (T is float or double; I, the integer
// type of class indices, is int32_t or int64_t):
//   NAME_shape(...)             validates the arguments (not the data); returns the 'none' shape.
//   NAME_run(..., request)      the one kernel: computes what the Request asks (core/request.hpp).
//   NAME(..., loss)             the loss: one value if reduced, else the 'none' shape.
//   NAME_backward(grad_output, ..., grad_input)
//                               the gradient of sum(grad_output · NAME(...)) w.r.t. the input.
//   NAME_with_grad(..., grad_output, loss, grad_input)
//                               both in one pass (nullptr for an output you do not need).
//                               grad_output: shape () if reduced, else the 'none' shape or shape ()
//                               (uniform: one value for every term, e.g. 1 without an array of ones;
//                               the same gradient bitwise; see core/request.hpp).
//   NAME_partial(...)           the partial sums (total, denominator) of the reduction: over any
//                               split of a batch, 'mean' is Σ total / Σ denominator, 'sum' Σ total.
//   NAME_partial_backward(scale, ..., grad_input)
//                               the gradient of scale · total.
// softmax / log_softmax have no reduction, hence no NAME_partial. Inputs are contiguous
// row-major Views. Errors: lossx::ValueError / TypeError.
#pragma once

#include <cstdint>

#include "lossx/core/error.hpp"
#include "lossx/core/request.hpp"
#include "lossx/core/view.hpp"

namespace lossx {

// ---------------------------------------------------------------- softmax / log_softmax
// Along one dimension of an input of any shape (a 0-d input is one row of one value).
// The output and the gradient have the input's shape. The backward takes the same
// `input` as the forward (not the forward's output), so that every `_backward` in
// lossx composes the same way. A Request for partial sums is a ValueError (no reduction).

/// Shape checks for softmax/log_softmax; returns `dim` normalised to [0, max(ndim, 1)).
/// A negative `dim` counts from the end, as in PyTorch.
index_t softmax_dim(const char* fn, const Shape& input, index_t dim);

/// log_softmax: out = x - max - log Σ exp(x - max) along `dim`; gradient
/// grad_output - softmax(x) · Σ grad_output (along `dim`). request.loss receives the output.
template <class T>
void log_softmax_run(View<const T> input, index_t dim, const Request<T>& request);

/// out = log_softmax(input) along `dim` (negative counts from the end); out has the input's shape.
template <class T>
void log_softmax(View<const T> input, index_t dim, T* out) {
  log_softmax_run(input, dim, Request<T>::value({}, out, nullptr));
}
/// grad_input = grad_output - softmax(input) · sum(grad_output) along `dim`.
template <class T>
void log_softmax_backward(View<const T> grad_output, View<const T> input, index_t dim, T* grad_input) {
  log_softmax_run(input, dim, Request<T>::value(grad_output, nullptr, grad_input));
}
/// Both in one pass (nullptr for an output you do not need; grad_output has the input's shape,
/// or shape () for one value for every element).
template <class T>
void log_softmax_with_grad(View<const T> input, index_t dim, View<const T> grad_output, T* out, T* grad_input) {
  log_softmax_run(input, dim, Request<T>::value(grad_output, out, grad_input));
}

/// softmax: out = exp(x - max) / Σ exp(x - max) along `dim`; gradient
/// s · (grad_output - Σ grad_output · s), s = softmax(x). request.loss receives the output.
template <class T>
void softmax_run(View<const T> input, index_t dim, const Request<T>& request);

/// out = softmax(input) along `dim`; out has the input's shape.
template <class T>
void softmax(View<const T> input, index_t dim, T* out) {
  softmax_run(input, dim, Request<T>::value({}, out, nullptr));
}
/// grad_input = s · (grad_output - sum(grad_output · s)), s = softmax(input).
template <class T>
void softmax_backward(View<const T> grad_output, View<const T> input, index_t dim, T* grad_input) {
  softmax_run(input, dim, Request<T>::value(grad_output, nullptr, grad_input));
}
/// Both in one pass (nullptr for an output you do not need; grad_output has the input's shape,
/// or shape () for one value for every element).
template <class T>
void softmax_with_grad(View<const T> input, index_t dim, View<const T> grad_output, T* out, T* grad_input) {
  softmax_run(input, dim, Request<T>::value(grad_output, out, grad_input));
}

// ---------------------------------------------------------------- cross_entropy
/// Options of cross_entropy (both target kinds).
template <class T>
struct CrossEntropyOptions {
  View<const T> weight{};                 ///< optional per-class weight, shape (C,)
  index_t ignore_index = -100;            ///< class-index targets equal to it add nothing (negative with probabilities)
  double label_smoothing = 0.0;           ///< in [0, 1]: targets mixed with the uniform distribution
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' or 'sum'
};

/// Softmax cross-entropy with class-index targets: for a row of logits x, lse = log Σ exp(x),
/// loss = (1-ls)·w[y]·(lse - x[y]) + (ls/C)·Σ_c w[c]·(lse - x[c]) (0 where y == ignore_index).
/// Shapes: input (C) with target (), (N, C) with (N), or (N, C, d1..dk) with (N, d1..dk).
/// 'mean' divides by Σ w[y] over the targets not ignored (their count without weight); partial
/// sums are (Σ loss, Σ w[y]). Returns the 'none' shape (the target's shape).
template <class T, class I>
Shape cross_entropy_shape(View<const T> input, View<const I> target, const CrossEntropyOptions<T>& opt);
template <class T, class I>
void cross_entropy_run(View<const T> input, View<const I> target, const CrossEntropyOptions<T>& opt,
                       const Request<T>& request);

template <class T, class I>
void cross_entropy(View<const T> input, View<const I> target, const CrossEntropyOptions<T>& opt, T* loss) {
  cross_entropy_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T, class I>
void cross_entropy_backward(View<const T> grad_output, View<const T> input, View<const I> target,
                            const CrossEntropyOptions<T>& opt, T* grad_input) {
  cross_entropy_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T, class I>
void cross_entropy_with_grad(View<const T> input, View<const I> target, const CrossEntropyOptions<T>& opt,
                             View<const T> grad_output, T* loss, T* grad_input) {
  cross_entropy_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T, class I>
Partial cross_entropy_partial(View<const T> input, View<const I> target, const CrossEntropyOptions<T>& opt) {
  Partial p;
  cross_entropy_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T, class I>
void cross_entropy_partial_backward(double scale, View<const T> input, View<const I> target,
                                    const CrossEntropyOptions<T>& opt, T* grad_input) {
  cross_entropy_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}

/// Softmax cross-entropy with probability targets t of the input's shape (rows need not sum to 1):
/// loss = Σ_c w[c]·t'[c]·(lse - x[c]) with t' = (1-ls)·t + ls/C. 'mean' divides by the row count;
/// partial sums are (Σ loss, rows). `ignore_index` must stay negative (PyTorch rejects it here).
/// Returns the 'none' shape (the input's shape without the class dim).
template <class T>
Shape cross_entropy_probs_shape(View<const T> input, View<const T> target, const CrossEntropyOptions<T>& opt);
template <class T>
void cross_entropy_probs_run(View<const T> input, View<const T> target, const CrossEntropyOptions<T>& opt,
                             const Request<T>& request);

template <class T>
void cross_entropy_probs(View<const T> input, View<const T> target, const CrossEntropyOptions<T>& opt, T* loss) {
  cross_entropy_probs_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T>
void cross_entropy_probs_backward(View<const T> grad_output, View<const T> input, View<const T> target,
                                  const CrossEntropyOptions<T>& opt, T* grad_input) {
  cross_entropy_probs_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T>
void cross_entropy_probs_with_grad(View<const T> input, View<const T> target, const CrossEntropyOptions<T>& opt,
                                   View<const T> grad_output, T* loss, T* grad_input) {
  cross_entropy_probs_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T>
Partial cross_entropy_probs_partial(View<const T> input, View<const T> target, const CrossEntropyOptions<T>& opt) {
  Partial p;
  cross_entropy_probs_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void cross_entropy_probs_partial_backward(double scale, View<const T> input, View<const T> target,
                                          const CrossEntropyOptions<T>& opt, T* grad_input) {
  cross_entropy_probs_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}

// ---------------------------------------------------------------- nll_loss
/// Options of nll_loss.
template <class T>
struct NllLossOptions {
  View<const T> weight{};                 ///< optional per-class weight, shape (C,)
  index_t ignore_index = -100;            ///< targets equal to it add nothing (may be a valid class)
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' (Σ loss / Σ w[y] over the rows not ignored) or 'sum'
};

/// Negative log-likelihood -w[y]·input[y] per row (0 where y == ignore_index). `input` holds
/// log-probabilities (not checked: any values are accepted, as in PyTorch); shapes as for
/// cross_entropy with class indices. Partial sums are (Σ loss, Σ w[y]); the result is bitwise
/// the same for int32 and int64 targets. Returns the 'none' shape (the target's shape).
template <class T, class I>
Shape nll_loss_shape(View<const T> input, View<const I> target, const NllLossOptions<T>& opt);
template <class T, class I>
void nll_loss_run(View<const T> input, View<const I> target, const NllLossOptions<T>& opt, const Request<T>& request);

template <class T, class I>
void nll_loss(View<const T> input, View<const I> target, const NllLossOptions<T>& opt, T* loss) {
  nll_loss_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T, class I>
void nll_loss_backward(View<const T> grad_output, View<const T> input, View<const I> target,
                       const NllLossOptions<T>& opt, T* grad_input) {
  nll_loss_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T, class I>
void nll_loss_with_grad(View<const T> input, View<const I> target, const NllLossOptions<T>& opt,
                        View<const T> grad_output, T* loss, T* grad_input) {
  nll_loss_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T, class I>
Partial nll_loss_partial(View<const T> input, View<const I> target, const NllLossOptions<T>& opt) {
  Partial p;
  nll_loss_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T, class I>
void nll_loss_partial_backward(double scale, View<const T> input, View<const I> target, const NllLossOptions<T>& opt,
                               T* grad_input) {
  nll_loss_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}

// ---------------------------------------------------------------- elementwise losses
// binary_cross_entropy, binary_cross_entropy_with_logits and kl_div take an
// input and a float target of the same shape, and return the 'none' shape from
// NAME_shape. NAME_with_grad gives the loss and/or the gradient w.r.t. input.

/// Options of binary_cross_entropy.
template <class T>
struct BinaryCrossEntropyOptions {
  View<const T> weight{};                 ///< optional, broadcast (NumPy rules) to the target's shape
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' or 'sum'
};

/// -w·[y·max(log x, -100) + (1-y)·max(log(1-x), -100)], x and y in [0, 1]
/// (checked in a pre-pass; NaN is rejected too). The gradient is PyTorch's
/// w·(x - y) / max(x(1-x), ε) with ε = float(1e-12) in both precisions, which is not
/// the derivative of the clamped loss near 0 and 1 (there it is about ±1e12).
template <class T>
Shape binary_cross_entropy_shape(View<const T> input, View<const T> target, const BinaryCrossEntropyOptions<T>& opt);
template <class T>
void binary_cross_entropy_run(View<const T> input, View<const T> target, const BinaryCrossEntropyOptions<T>& opt,
                              const Request<T>& request);

template <class T>
void binary_cross_entropy(View<const T> input, View<const T> target, const BinaryCrossEntropyOptions<T>& opt, T* loss) {
  binary_cross_entropy_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T>
void binary_cross_entropy_backward(View<const T> grad_output, View<const T> input, View<const T> target,
                                   const BinaryCrossEntropyOptions<T>& opt, T* grad_input) {
  binary_cross_entropy_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T>
void binary_cross_entropy_with_grad(View<const T> input, View<const T> target, const BinaryCrossEntropyOptions<T>& opt,
                                    View<const T> grad_output, T* loss, T* grad_input) {
  binary_cross_entropy_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T>
Partial binary_cross_entropy_partial(View<const T> input, View<const T> target,
                                     const BinaryCrossEntropyOptions<T>& opt) {
  Partial p;
  binary_cross_entropy_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void binary_cross_entropy_partial_backward(double scale, View<const T> input, View<const T> target,
                                           const BinaryCrossEntropyOptions<T>& opt, T* grad_input) {
  binary_cross_entropy_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}


/// Options of binary_cross_entropy_with_logits.
template <class T>
struct BinaryCrossEntropyWithLogitsOptions {
  View<const T> weight{};                 ///< optional, broadcast (NumPy rules) to the target's shape
  View<const T> pos_weight{};             ///< optional weight of the positive term, broadcast likewise
                                          ///< (a (C,) vector runs along the last dim)
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' or 'sum'
};

/// w·[(1-y)·x - (1 + (p-1)·y)·log σ(x)] with p = pos_weight (1 if absent);
/// stable for any |x|. Gradient w·[(1 + (p-1)·y)·σ(x) - p·y].
template <class T>
Shape binary_cross_entropy_with_logits_shape(View<const T> input, View<const T> target,
                                             const BinaryCrossEntropyWithLogitsOptions<T>& opt);
template <class T>
void binary_cross_entropy_with_logits_run(View<const T> input, View<const T> target,
                                          const BinaryCrossEntropyWithLogitsOptions<T>& opt, const Request<T>& request);

template <class T>
void binary_cross_entropy_with_logits(View<const T> input, View<const T> target,
                                      const BinaryCrossEntropyWithLogitsOptions<T>& opt, T* loss) {
  binary_cross_entropy_with_logits_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T>
void binary_cross_entropy_with_logits_backward(View<const T> grad_output, View<const T> input, View<const T> target,
                                               const BinaryCrossEntropyWithLogitsOptions<T>& opt, T* grad_input) {
  binary_cross_entropy_with_logits_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T>
void binary_cross_entropy_with_logits_with_grad(View<const T> input, View<const T> target,
                                                const BinaryCrossEntropyWithLogitsOptions<T>& opt,
                                                View<const T> grad_output, T* loss, T* grad_input) {
  binary_cross_entropy_with_logits_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T>
Partial binary_cross_entropy_with_logits_partial(View<const T> input, View<const T> target,
                                                 const BinaryCrossEntropyWithLogitsOptions<T>& opt) {
  Partial p;
  binary_cross_entropy_with_logits_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void binary_cross_entropy_with_logits_partial_backward(double scale, View<const T> input, View<const T> target,
                                                       const BinaryCrossEntropyWithLogitsOptions<T>& opt,
                                                       T* grad_input) {
  binary_cross_entropy_with_logits_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}

/// Options of kl_div.
template <class T>
struct KlDivOptions {
  bool log_target = false;                ///< the target holds log-probabilities
  Reduction reduction = Reduction::Mean;  ///< also BatchMean: sum / input.shape[0] (sum for a 0-d input)
};

/// Pointwise KL term with `input` in log space: t·log t - t·x (0 where t = 0,
/// nan where t < 0 or where t = 0 and x = -inf), or exp(t)·(t - x) with
/// log_target. 'mean' divides by the element count (as PyTorch does);
/// 'batchmean' is the KL divergence per sample. Gradient -t (or -exp(t)).
template <class T>
Shape kl_div_shape(View<const T> input, View<const T> target, const KlDivOptions<T>& opt);
template <class T>
void kl_div_run(View<const T> input, View<const T> target, const KlDivOptions<T>& opt, const Request<T>& request);

template <class T>
void kl_div(View<const T> input, View<const T> target, const KlDivOptions<T>& opt, T* loss) {
  kl_div_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T>
void kl_div_backward(View<const T> grad_output, View<const T> input, View<const T> target, const KlDivOptions<T>& opt,
                     T* grad_input) {
  kl_div_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T>
void kl_div_with_grad(View<const T> input, View<const T> target, const KlDivOptions<T>& opt, View<const T> grad_output,
                      T* loss, T* grad_input) {
  kl_div_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T>
Partial kl_div_partial(View<const T> input, View<const T> target, const KlDivOptions<T>& opt) {
  Partial p;
  kl_div_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void kl_div_partial_backward(double scale, View<const T> input, View<const T> target, const KlDivOptions<T>& opt,
                             T* grad_input) {
  kl_div_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}


}  // namespace lossx
