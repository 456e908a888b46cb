// lossx/classification.hpp — softmax, cross-entropy and the other
// classification losses, with PyTorch's semantics (torch.nn.functional).
//
// Every loss comes as three entry points sharing one kernel:
//   NAME(...)            the loss;
//   NAME_backward(...)   the gradient of sum(grad_output * NAME(...)) w.r.t. the prediction input;
//   NAME_with_grad(...)  both in one pass (pass nullptr for the output you do not need).
// A `*_shape` function validates the arguments and returns the shape of the
// unreduced ('none') loss; a reduced loss is one value (shape ()).
// Inputs are contiguous row-major Views; `I` is the integer type of class
// indices (int32_t or int64_t).
#pragma once

#include <cstdint>

#include "lossx/core/error.hpp"
#include "lossx/core/view.hpp"

namespace lossx {

// ---------------------------------------------------------------- softmax
/// Shape checks for softmax/log_softmax; returns `dim` normalised to [0, ndim).
index_t softmax_dim(const char* fn, const Shape& input, index_t dim);

/// out = log_softmax(input) along `dim` (negative counts from the end); out has input's shape.
template <class T>
void log_softmax(View<const T> input, index_t dim, T* out);
/// grad_input = grad_output - softmax(input) * sum(grad_output) along `dim`.
template <class T>
void log_softmax_backward(View<const T> grad_output, View<const T> input, index_t dim, T* grad_input);
/// out = softmax(input) along `dim`.
template <class T>
void softmax(View<const T> input, index_t dim, T* out);
/// grad_input = s * (grad_output - sum(grad_output * s)), s = softmax(input).
template <class T>
void softmax_backward(View<const T> grad_output, View<const T> input, index_t dim, T* grad_input);

// ---------------------------------------------------------------- cross_entropy
template <class T>
struct CrossEntropyOptions {
  View<const T> weight{};          ///< optional per-class weight, shape (C,)
  index_t ignore_index = -100;     ///< class-index targets equal to it add nothing
  Reduction reduction = Reduction::Mean;
  double label_smoothing = 0.0;    ///< in [0, 1]
};

/// Class-index targets: input (C), (N, C) or (N, C, d1..dk); target (), (N) or (N, d1..dk).
/// Returns the 'none' shape (the target's shape).
template <class T, class I>
Shape cross_entropy_shape(View<const T> input, View<const I> target, const CrossEntropyOptions<T>& opt);

/// Loss and/or gradient (w.r.t. input) in one pass; `grad_output` is required with `grad_input`.
template <class T, class I>
void cross_entropy_with_grad(View<const T> input, View<const I> target, const CrossEntropyOptions<T>& opt,
                             View<const T> grad_output, T* loss, T* grad_input);

/// Probability targets: target has the input's shape (rows need not sum to 1).
/// `ignore_index` must stay negative (PyTorch rejects it for probabilities).
template <class T>
Shape cross_entropy_probs_shape(View<const T> input, View<const T> target, const CrossEntropyOptions<T>& opt);

template <class T>
void cross_entropy_probs_with_grad(View<const T> input, View<const T> target, const CrossEntropyOptions<T>& opt,
                                   View<const T> grad_output, T* loss, T* grad_input);

template <class T, class I>
void cross_entropy(View<const T> input, View<const I> target, const CrossEntropyOptions<T>& opt, T* loss) {
  cross_entropy_with_grad<T, I>(input, target, opt, {}, loss, nullptr);
}
template <class T, class I>
void cross_entropy_backward(View<const T> grad_output, View<const T> input, View<const I> target,
                            const CrossEntropyOptions<T>& opt, T* grad_input) {
  cross_entropy_with_grad<T, I>(input, target, opt, grad_output, nullptr, grad_input);
}

// ---------------------------------------------------------------- nll_loss
template <class T>
struct NllLossOptions {
  View<const T> weight{};       ///< optional per-class weight, shape (C,)
  index_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
};

/// input holds log-probabilities (not checked), shapes as for cross_entropy.
template <class T, class I>
Shape nll_loss_shape(View<const T> input, View<const I> target, const NllLossOptions<T>& opt);

template <class T, class I>
void nll_loss_with_grad(View<const T> input, View<const I> target, const NllLossOptions<T>& opt,
                        View<const T> grad_output, T* loss, T* grad_input);

template <class T, class I>
void nll_loss(View<const T> input, View<const I> target, const NllLossOptions<T>& opt, T* loss) {
  nll_loss_with_grad<T, I>(input, target, opt, {}, loss, nullptr);
}
template <class T, class I>
void nll_loss_backward(View<const T> grad_output, View<const T> input, View<const I> target,
                       const NllLossOptions<T>& opt, T* grad_input) {
  nll_loss_with_grad<T, I>(input, target, opt, grad_output, nullptr, grad_input);
}

}  // namespace lossx
