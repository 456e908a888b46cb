// lossx/regression.hpp — elementwise regression losses with PyTorch's semantics.
//
// Same three entry points per loss as classification.hpp: NAME, NAME_backward
// and NAME_with_grad (one kernel; pass nullptr for an output you do not need),
// plus NAME_shape, which validates and returns the 'none' shape.
// Input and target always have the same shape (no broadcasting: a mismatch is
// a ValueError); gradients are taken with respect to the input only, plus
// `var` for gaussian_nll_loss.
#pragma once

#include "lossx/core/declare.hpp"
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

/// Options of smooth_l1_loss.
template <class T>
struct SmoothL1Options {
  Reduction reduction = Reduction::Mean;
  double beta = 1.0;  ///< >= 0; the quadratic zone is |d| < beta; 0 gives l1_loss exactly
};

/// Options of huber_loss. With `weight` (the input's shape), 'mean' is
/// mean(w·l): it divides by the element count, not by Σ w (PyTorch 2.x).
template <class T>
struct HuberOptions {
  Reduction reduction = Reduction::Mean;
  double delta = 1.0;  ///< > 0; the quadratic zone is |d| < delta
  View<const T> weight{};
};

/// Options of poisson_nll_loss.
template <class T>
struct PoissonNllOptions {
  bool log_input = true;  ///< input is log(rate) (true) or the rate itself (false)
  bool full = false;      ///< add Stirling's term y·log y − y + ½·log(2πy) where y > 1
  double eps = 1e-8;      ///< log(input + eps) when log_input is false
  Reduction reduction = Reduction::Mean;
};


/// |input - target|; gradient sign(input - target) with sign(0) = 0 (and 0 for nan, as PyTorch).
LOSSX_DECLARE_ELEMENTWISE(l1_loss, WeightedOptions)
/// (input - target)^2.
LOSSX_DECLARE_ELEMENTWISE(mse_loss, WeightedOptions)
/// d = input - target: 0.5·d²/beta if |d| < beta, else |d| − 0.5·beta; gradient
/// d/beta inside, sign(d) outside and at |d| == beta. beta == 0 is l1_loss
/// (bitwise); beta < 0 is a ValueError.
LOSSX_DECLARE_ELEMENTWISE(smooth_l1_loss, SmoothL1Options)
/// d = input - target: 0.5·d² if |d| < delta, else delta·(|d| − 0.5·delta);
/// gradient d inside, delta·sign(d) outside and at |d| == delta. delta <= 0 is a ValueError.
LOSSX_DECLARE_ELEMENTWISE(huber_loss, HuberOptions)
/// Poisson negative log-likelihood of target y given input x:
/// exp(x) − y·x (log_input) or x − y·log(x + eps); gradient w.r.t. x only.
LOSSX_DECLARE_ELEMENTWISE(poisson_nll_loss, PoissonNllOptions)

// ---------------------------------------------------------------- gaussian_nll_loss
/// Options of gaussian_nll_loss.
template <class T>
struct GaussianNllOptions {
  bool full = false;   ///< add 0.5·log(2π) to every element
  double eps = 1e-6;   ///< var is clamped below at eps (see gaussian_nll_loss_with_grad)
  Reduction reduction = Reduction::Mean;
  /// `var` is one number for every element (a Python float in PyTorch); its View
  /// must then hold exactly one value. Otherwise `var` follows PyTorch's shape rules.
  bool scalar_var = false;
};

/// Validates input, target and var and returns the 'none' shape (the input's).
/// var may have: the input's shape; the input's shape without its last dim (one
/// variance per row); or the input's ndim with exactly one dim that differs,
/// where var has size 1. Anything else is a ValueError naming 'var'.
template <class T>
Shape gaussian_nll_loss_shape(View<const T> input, View<const T> target, View<const T> var,
                              const GaussianNllOptions<T>& opt);

/// 0.5·(log v + (input − target)²/v) (+ 0.5·log(2π) if full), v = max(var, eps)
/// broadcast onto the input. Any var < 0 is a ValueError. Gradients: grad_input
/// (the input's shape) and grad_var (var's own shape, summed over the broadcast
/// elements); as in PyTorch, the clamp passes the var gradient through unchanged,
/// so below eps it is 0.5·(1/eps − d²/eps²), not 0. Either pointer may be null.
template <class T>
void gaussian_nll_loss_with_grad(View<const T> input, View<const T> target, View<const T> var,
                                 const GaussianNllOptions<T>& opt, View<const T> grad_output, T* loss, T* grad_input,
                                 T* grad_var);

template <class T>
void gaussian_nll_loss(View<const T> input, View<const T> target, View<const T> var, const GaussianNllOptions<T>& opt,
                       T* loss) {
  gaussian_nll_loss_with_grad<T>(input, target, var, opt, {}, loss, nullptr, nullptr);
}
/// Writes the gradients w.r.t. input and var (either pointer may be null).
template <class T>
void gaussian_nll_loss_backward(View<const T> grad_output, View<const T> input, View<const T> target,
                                View<const T> var, const GaussianNllOptions<T>& opt, T* grad_input, T* grad_var) {
  gaussian_nll_loss_with_grad<T>(input, target, var, opt, grad_output, nullptr, grad_input, grad_var);
}

}  // namespace lossx
