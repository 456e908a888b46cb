// lossx/core/declare.hpp — the declaration pattern shared by every loss of the
// public headers that takes (input, float target, options).
#pragma once

#include "lossx/core/view.hpp"

namespace lossx {

/// Declares NAME_shape, NAME_with_grad, NAME and NAME_backward for a loss of
/// (input, float target of the input's dtype) with options type OPTS<T>.
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

/// The same for a loss of (input, integer class-index target of type I) with options OPTS<T>.
#define LOSSX_DECLARE_INDEXED(NAME, OPTS)                                                                \
  template <class T, class I>                                                                            \
  Shape NAME##_shape(View<const T> input, View<const I> target, const OPTS<T>& opt);                     \
  template <class T, class I>                                                                            \
  void NAME##_with_grad(View<const T> input, View<const I> target, const OPTS<T>& opt,                   \
                        View<const T> grad_output, T* loss, T* grad_input);                              \
  template <class T, class I>                                                                            \
  void NAME(View<const T> input, View<const I> target, const OPTS<T>& opt, T* loss) {                    \
    NAME##_with_grad<T, I>(input, target, opt, {}, loss, nullptr);                                       \
  }                                                                                                      \
  template <class T, class I>                                                                            \
  void NAME##_backward(View<const T> grad_output, View<const T> input, View<const I> target,             \
                       const OPTS<T>& opt, T* grad_input) {                                              \
    NAME##_with_grad<T, I>(input, target, opt, grad_output, nullptr, grad_input);                        \
  }

}  // namespace lossx
