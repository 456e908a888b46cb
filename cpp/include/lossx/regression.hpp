// lossx/regression.hpp — elementwise regression losses with PyTorch's semantics
// (torch.nn.functional.l1_loss, mse_loss, smooth_l1_loss, huber_loss,
// poisson_nll_loss, gaussian_nll_loss).
//
// Every loss NAME has the same entry points (T is float or double):
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
// Arrays are contiguous row-major Views. Input and target always have the same shape
// (a mismatch is a ValueError: no broadcasting); gradients are taken with respect to
// the input only, plus `var` for gaussian_nll_loss. Errors: lossx::ValueError / TypeError.
#pragma once

#include "lossx/core/error.hpp"
#include "lossx/core/request.hpp"
#include "lossx/core/view.hpp"

namespace lossx {

// ---------------------------------------------------------------- l1_loss
/// Options of l1_loss.
template <class T>
struct L1LossOptions {
  View<const T> weight{};                 ///< optional, the input's shape; 'mean' is then Σ w·l / Σ w (PyTorch 2.x)
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' or 'sum'
};

/// |input - target|; gradient sign(input - target) with sign(0) = 0 (and 0 for nan, as PyTorch).
template <class T>
Shape l1_loss_shape(View<const T> input, View<const T> target, const L1LossOptions<T>& opt);
template <class T>
void l1_loss_run(View<const T> input, View<const T> target, const L1LossOptions<T>& opt, const Request<T>& request);

template <class T>
void l1_loss(View<const T> input, View<const T> target, const L1LossOptions<T>& opt, T* loss) {
  l1_loss_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T>
void l1_loss_backward(View<const T> grad_output, View<const T> input, View<const T> target,
                      const L1LossOptions<T>& opt, T* grad_input) {
  l1_loss_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T>
void l1_loss_with_grad(View<const T> input, View<const T> target, const L1LossOptions<T>& opt,
                       View<const T> grad_output, T* loss, T* grad_input) {
  l1_loss_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T>
Partial l1_loss_partial(View<const T> input, View<const T> target, const L1LossOptions<T>& opt) {
  Partial p;
  l1_loss_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void l1_loss_partial_backward(double scale, View<const T> input, View<const T> target, const L1LossOptions<T>& opt,
                              T* grad_input) {
  l1_loss_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}

// ---------------------------------------------------------------- mse_loss
/// Options of mse_loss.
template <class T>
struct MseLossOptions {
  View<const T> weight{};                 ///< optional, the input's shape; 'mean' is then Σ w·l / Σ w (PyTorch 2.x)
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' or 'sum'
};

/// (input - target)²; gradient 2·(input - target).
template <class T>
Shape mse_loss_shape(View<const T> input, View<const T> target, const MseLossOptions<T>& opt);
template <class T>
void mse_loss_run(View<const T> input, View<const T> target, const MseLossOptions<T>& opt, const Request<T>& request);

template <class T>
void mse_loss(View<const T> input, View<const T> target, const MseLossOptions<T>& opt, T* loss) {
  mse_loss_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T>
void mse_loss_backward(View<const T> grad_output, View<const T> input, View<const T> target,
                       const MseLossOptions<T>& opt, T* grad_input) {
  mse_loss_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T>
void mse_loss_with_grad(View<const T> input, View<const T> target, const MseLossOptions<T>& opt,
                        View<const T> grad_output, T* loss, T* grad_input) {
  mse_loss_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T>
Partial mse_loss_partial(View<const T> input, View<const T> target, const MseLossOptions<T>& opt) {
  Partial p;
  mse_loss_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void mse_loss_partial_backward(double scale, View<const T> input, View<const T> target, const MseLossOptions<T>& opt,
                               T* grad_input) {
  mse_loss_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}

// ---------------------------------------------------------------- smooth_l1_loss
/// Options of smooth_l1_loss.
template <class T>
struct SmoothL1LossOptions {
  double beta = 1.0;                      ///< >= 0; the quadratic zone is |d| < beta; 0 gives l1_loss exactly
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' or 'sum'
};

/// d = input - target: 0.5·d²/beta if |d| < beta, else |d| − 0.5·beta; gradient d/beta inside,
/// sign(d) outside and at |d| == beta. beta == 0 is l1_loss (bitwise); beta < 0 is a ValueError.
template <class T>
Shape smooth_l1_loss_shape(View<const T> input, View<const T> target, const SmoothL1LossOptions<T>& opt);
template <class T>
void smooth_l1_loss_run(View<const T> input, View<const T> target, const SmoothL1LossOptions<T>& opt,
                        const Request<T>& request);

template <class T>
void smooth_l1_loss(View<const T> input, View<const T> target, const SmoothL1LossOptions<T>& opt, T* loss) {
  smooth_l1_loss_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T>
void smooth_l1_loss_backward(View<const T> grad_output, View<const T> input, View<const T> target,
                             const SmoothL1LossOptions<T>& opt, T* grad_input) {
  smooth_l1_loss_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T>
void smooth_l1_loss_with_grad(View<const T> input, View<const T> target, const SmoothL1LossOptions<T>& opt,
                              View<const T> grad_output, T* loss, T* grad_input) {
  smooth_l1_loss_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T>
Partial smooth_l1_loss_partial(View<const T> input, View<const T> target, const SmoothL1LossOptions<T>& opt) {
  Partial p;
  smooth_l1_loss_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void smooth_l1_loss_partial_backward(double scale, View<const T> input, View<const T> target,
                                     const SmoothL1LossOptions<T>& opt, T* grad_input) {
  smooth_l1_loss_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}

// ---------------------------------------------------------------- huber_loss
/// Options of huber_loss.
template <class T>
struct HuberLossOptions {
  double delta = 1.0;                     ///< > 0; the quadratic zone is |d| < delta
  View<const T> weight{};                 ///< optional, the input's shape; 'mean' is mean(w·l) (divides by the count)
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' or 'sum'
};

/// d = input - target: 0.5·d² if |d| < delta, else delta·(|d| − 0.5·delta); gradient d inside,
/// delta·sign(d) outside and at |d| == delta. delta <= 0 is a ValueError.
template <class T>
Shape huber_loss_shape(View<const T> input, View<const T> target, const HuberLossOptions<T>& opt);
template <class T>
void huber_loss_run(View<const T> input, View<const T> target, const HuberLossOptions<T>& opt,
                    const Request<T>& request);

template <class T>
void huber_loss(View<const T> input, View<const T> target, const HuberLossOptions<T>& opt, T* loss) {
  huber_loss_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T>
void huber_loss_backward(View<const T> grad_output, View<const T> input, View<const T> target,
                         const HuberLossOptions<T>& opt, T* grad_input) {
  huber_loss_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T>
void huber_loss_with_grad(View<const T> input, View<const T> target, const HuberLossOptions<T>& opt,
                          View<const T> grad_output, T* loss, T* grad_input) {
  huber_loss_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T>
Partial huber_loss_partial(View<const T> input, View<const T> target, const HuberLossOptions<T>& opt) {
  Partial p;
  huber_loss_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void huber_loss_partial_backward(double scale, View<const T> input, View<const T> target,
                                 const HuberLossOptions<T>& opt, T* grad_input) {
  huber_loss_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}

// ---------------------------------------------------------------- poisson_nll_loss
/// Options of poisson_nll_loss.
template <class T>
struct PoissonNllLossOptions {
  bool log_input = true;                  ///< input is log(rate) (true) or the rate itself (false)
  bool full = false;                      ///< add Stirling's term y·log y − y + ½·log(2πy) where y > 1
  double eps = 1e-8;                      ///< log(input + eps) when log_input is false
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' or 'sum'
};

/// Poisson negative log-likelihood of target y given input x: exp(x) − y·x (log_input) or
/// x − y·log(x + eps); gradient w.r.t. x only.
template <class T>
Shape poisson_nll_loss_shape(View<const T> input, View<const T> target, const PoissonNllLossOptions<T>& opt);
template <class T>
void poisson_nll_loss_run(View<const T> input, View<const T> target, const PoissonNllLossOptions<T>& opt,
                          const Request<T>& request);

template <class T>
void poisson_nll_loss(View<const T> input, View<const T> target, const PoissonNllLossOptions<T>& opt, T* loss) {
  poisson_nll_loss_run(input, target, opt, Request<T>::value({}, loss, nullptr));
}
template <class T>
void poisson_nll_loss_backward(View<const T> grad_output, View<const T> input, View<const T> target,
                               const PoissonNllLossOptions<T>& opt, T* grad_input) {
  poisson_nll_loss_run(input, target, opt, Request<T>::value(grad_output, nullptr, grad_input));
}
template <class T>
void poisson_nll_loss_with_grad(View<const T> input, View<const T> target, const PoissonNllLossOptions<T>& opt,
                                View<const T> grad_output, T* loss, T* grad_input) {
  poisson_nll_loss_run(input, target, opt, Request<T>::value(grad_output, loss, grad_input));
}
template <class T>
Partial poisson_nll_loss_partial(View<const T> input, View<const T> target, const PoissonNllLossOptions<T>& opt) {
  Partial p;
  poisson_nll_loss_run(input, target, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void poisson_nll_loss_partial_backward(double scale, View<const T> input, View<const T> target,
                                       const PoissonNllLossOptions<T>& opt, T* grad_input) {
  poisson_nll_loss_run(input, target, opt, Request<T>::partial_backward(scale, grad_input));
}

// ---------------------------------------------------------------- gaussian_nll_loss
/// Options of gaussian_nll_loss.
template <class T>
struct GaussianNllLossOptions {
  bool full = false;                      ///< add 0.5·log(2π) to every element
  double eps = 1e-6;                      ///< var is clamped below at eps (see gaussian_nll_loss_run)
  /// `var` is one number for every element (a Python float in PyTorch); its View must then hold
  /// exactly one value. Otherwise `var` follows PyTorch's shape rules (gaussian_nll_loss_shape).
  bool scalar_var = false;
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' or 'sum'
};

/// Validates input, target and var and returns the 'none' shape (the input's). var may have: the
/// input's shape; the input's shape without its last dim (one variance per row); or the input's
/// ndim with exactly one dim that differs, where var has size 1. Anything else is a ValueError.
template <class T>
Shape gaussian_nll_loss_shape(View<const T> input, View<const T> target, View<const T> var,
                              const GaussianNllLossOptions<T>& opt);
/// 0.5·(log v + (input − target)²/v) (+ 0.5·log(2π) if full), v = max(var, eps) broadcast onto the
/// input. Any var < 0 is a ValueError. Gradients: request.grad w.r.t. the input (its shape) and
/// request.grad2 w.r.t. var (var's own shape, summed over the broadcast elements); as in PyTorch,
/// the clamp passes the var gradient through unchanged, so below eps it is 0.5·(1/eps − d²/eps²).
template <class T>
void gaussian_nll_loss_run(View<const T> input, View<const T> target, View<const T> var,
                           const GaussianNllLossOptions<T>& opt, const Request<T>& request);

template <class T>
void gaussian_nll_loss(View<const T> input, View<const T> target, View<const T> var,
                       const GaussianNllLossOptions<T>& opt, T* loss) {
  gaussian_nll_loss_run(input, target, var, opt, Request<T>::value({}, loss, nullptr));
}
/// Writes the gradients w.r.t. input and var (either pointer may be null).
template <class T>
void gaussian_nll_loss_backward(View<const T> grad_output, View<const T> input, View<const T> target,
                                View<const T> var, const GaussianNllLossOptions<T>& opt, T* grad_input, T* grad_var) {
  gaussian_nll_loss_run(input, target, var, opt, Request<T>::value(grad_output, nullptr, grad_input, grad_var));
}
template <class T>
void gaussian_nll_loss_with_grad(View<const T> input, View<const T> target, View<const T> var,
                                 const GaussianNllLossOptions<T>& opt, View<const T> grad_output, T* loss,
                                 T* grad_input, T* grad_var) {
  gaussian_nll_loss_run(input, target, var, opt, Request<T>::value(grad_output, loss, grad_input, grad_var));
}
template <class T>
Partial gaussian_nll_loss_partial(View<const T> input, View<const T> target, View<const T> var,
                                  const GaussianNllLossOptions<T>& opt) {
  Partial p;
  gaussian_nll_loss_run(input, target, var, opt, Request<T>::partial_sums(&p));
  return p;
}
template <class T>
void gaussian_nll_loss_partial_backward(double scale, View<const T> input, View<const T> target, View<const T> var,
                                        const GaussianNllLossOptions<T>& opt, T* grad_input, T* grad_var) {
  gaussian_nll_loss_run(input, target, var, opt, Request<T>::partial_backward(scale, grad_input, grad_var));
}

}  // namespace lossx
