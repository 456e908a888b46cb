// lossx/core/declare.hpp — the declaration pattern shared by every elementwise
// (input, target) loss of the public headers.
#pragma once

#include "lossx/core/view.hpp"

namespace lossx {

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

}  // namespace lossx
