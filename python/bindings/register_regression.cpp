// Bindings of cpp/src/regression/: conversion, dtype dispatch, GIL release.
#include "common.hpp"

namespace lossx::binding {

namespace {

/// Binds an elementwise (input, target) loss whose options are built by
/// `make_opt(T{})` and whose kernel is `kernel(x, y, opt, g, loss, grad)`.
template <class MakeOpt, class Shaper, class Kernel>
py::object elementwise(const char* fn, int mode, const py::object& grad_output, const py::array& input,
                       const py::array& target, MakeOpt&& make_opt, Shaper&& shaper, Kernel&& kernel) {
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const auto opt = make_opt(tag);
    const View<const T> x = view<T>(input, "input"), y = view<T>(target, "target");
    return run<T>(mode, grad_output, shaper(x, y, opt), opt.reduction, {x.shape},
                  [&](View<const T> g, T* loss, const std::vector<T*>& grads) { kernel(x, y, opt, g, loss, grads[0]); });
  });
}

// Generic lambdas forwarding to the templated kernels (so that T is deduced per dtype).
#define LOSSX_SHAPER(NAME) [](const auto& x, const auto& y, const auto& opt) { return NAME##_shape(x, y, opt); }
#define LOSSX_KERNEL(NAME) \
  [](const auto& x, const auto& y, const auto& opt, const auto& g, auto* loss, auto* grad) { \
    NAME##_with_grad(x, y, opt, g, loss, grad);                                              \
  }

py::object mse_loss(int mode, const py::object& grad_output, const py::array& input, const py::array& target,
                    const std::string& reduction, const py::object& weight) {
  const char* fn = "mse_loss";
  return elementwise(
      fn, mode, grad_output, input, target,
      [&](auto tag) {
        using T = decltype(tag);
        return WeightedOptions<T>{parse_reduction(reduction, fn), optional_view<T>(weight, "weight")};
      },
      LOSSX_SHAPER(mse_loss), LOSSX_KERNEL(mse_loss));
}

py::object l1_loss(int mode, const py::object& grad_output, const py::array& input, const py::array& target,
                   const std::string& reduction, const py::object& weight) {
  const char* fn = "l1_loss";
  return elementwise(
      fn, mode, grad_output, input, target,
      [&](auto tag) {
        using T = decltype(tag);
        return WeightedOptions<T>{parse_reduction(reduction, fn), optional_view<T>(weight, "weight")};
      },
      LOSSX_SHAPER(l1_loss), LOSSX_KERNEL(l1_loss));
}

py::object smooth_l1_loss(int mode, const py::object& grad_output, const py::array& input, const py::array& target,
                          const std::string& reduction, double beta) {
  const char* fn = "smooth_l1_loss";
  return elementwise(
      fn, mode, grad_output, input, target,
      [&](auto tag) { return SmoothL1Options<decltype(tag)>{parse_reduction(reduction, fn), beta}; },
      LOSSX_SHAPER(smooth_l1_loss), LOSSX_KERNEL(smooth_l1_loss));
}

py::object huber_loss(int mode, const py::object& grad_output, const py::array& input, const py::array& target,
                      const std::string& reduction, double delta, const py::object& weight) {
  const char* fn = "huber_loss";
  return elementwise(
      fn, mode, grad_output, input, target,
      [&](auto tag) {
        using T = decltype(tag);
        return HuberOptions<T>{parse_reduction(reduction, fn), delta, optional_view<T>(weight, "weight")};
      },
      LOSSX_SHAPER(huber_loss), LOSSX_KERNEL(huber_loss));
}

py::object poisson_nll_loss(int mode, const py::object& grad_output, const py::array& input, const py::array& target,
                            bool log_input, bool full, double eps, const std::string& reduction) {
  const char* fn = "poisson_nll_loss";
  return elementwise(
      fn, mode, grad_output, input, target,
      [&](auto tag) { return PoissonNllOptions<decltype(tag)>{log_input, full, eps, parse_reduction(reduction, fn)}; },
      LOSSX_SHAPER(poisson_nll_loss), LOSSX_KERNEL(poisson_nll_loss));
}

#undef LOSSX_SHAPER
#undef LOSSX_KERNEL

py::object gaussian_nll_loss(int mode, const py::object& grad_output, const py::array& input, const py::array& target,
                             const py::array& var, bool scalar_var, bool full, double eps,
                             const std::string& reduction) {
  const char* fn = "gaussian_nll_loss";
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const GaussianNllOptions<T> opt{full, eps, parse_reduction(reduction, fn), scalar_var};
    const View<const T> x = view<T>(input, "input"), y = view<T>(target, "target"), v = view<T>(var, "var");
    return run<T>(mode, grad_output, gaussian_nll_loss_shape(x, y, v, opt), opt.reduction, {x.shape, v.shape},
                  [&](View<const T> g, T* loss, const std::vector<T*>& grads) {
                    gaussian_nll_loss_with_grad<T>(x, y, v, opt, g, loss, grads[0], grads[1]);
                  });
  });
}

}  // namespace

void register_regression(py::module_& m) {
  m.def("l1_loss", &l1_loss);
  m.def("mse_loss", &mse_loss);
  m.def("smooth_l1_loss", &smooth_l1_loss);
  m.def("huber_loss", &huber_loss);
  m.def("poisson_nll_loss", &poisson_nll_loss);
  m.def("gaussian_nll_loss", &gaussian_nll_loss);
}

}  // namespace lossx::binding
