// lossx/regression.hpp — elementwise regression losses with PyTorch's semantics.
//
// Same three entry points per loss as classification.hpp: NAME, NAME_backward
// and NAME_with_grad (one kernel; pass nullptr for an output you do not need),
// plus NAME_shape, which validates and returns the 'none' shape.
#pragma once

#include "lossx/core/error.hpp"
#include "lossx/core/view.hpp"

namespace lossx {

/// Options of l1_loss and mse_loss. With `weight` (the input's shape), 'mean' is
/// Σ w·l / Σ w, as PyTorch 2.x defines it for these two losses.
template <class T>
struct WeightedOptions {
  Reduction reduction = Reduction::Mean;
  View<const T> weight{};
};

/// Declares NAME_shape, NAME_with_grad, NAME and NAME_backward for an
/// elementwise loss of (input, target) with options type OPTS.
#define LOSSX_DECLARE_ELEMENTWISE(NAME, OPTS)                                                            \
  template <class T>                                                                                     \
  Shape NAME##_shape(View<const T> input, View<const T> target, const OPTS<T>& opt);                     \
  template <class T>                                                                                     \
  void NAME##_with_grad(View<const T> input, View<const T> target, const OPTS<T>& opt,                   \
                        View<const T> grad_output, T* loss, T* grad_input);                              \
  template <class T>                                                                                     \
  void NAME(View<const T> input, View<const T> target, const OPTS<T>& opt, T* loss) {                    \
    NAME##_with_grad<T>(input, target, opt, {}, loss, nullptr);                                          \
  }                                                                                                      \
  template <class T>                                                                                     \
  void NAME##_backward(View<const T> grad_output, View<const T> input, View<const T> target,             \
                       const OPTS<T>& opt, T* grad_input) {                                              \
    NAME##_with_grad<T>(input, target, opt, grad_output, nullptr, grad_input);                           \
  }

/// |input - target|; gradient sign(input - target) with sign(0) = 0.
LOSSX_DECLARE_ELEMENTWISE(l1_loss, WeightedOptions)
/// (input - target)^2.
LOSSX_DECLARE_ELEMENTWISE(mse_loss, WeightedOptions)

}  // namespace lossx
