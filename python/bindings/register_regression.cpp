// Bindings of cpp/src/regression/: conversion, dtype dispatch, GIL release.
#include "common.hpp"

namespace lossx::binding {

namespace {


py::object mse_loss(int mode, const py::object& grad_output, const py::array& input, const py::array& target,
                    const std::string& reduction, const py::object& weight) {
  const char* fn = "mse_loss";
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const WeightedOptions<T> opt{parse_reduction(reduction, fn), optional_view<T>(weight, "weight")};
    const View<const T> x = view<T>(input, "input"), y = view<T>(target, "target");
    return run<T>(mode, grad_output, mse_loss_shape(x, y, opt), opt.reduction, {x.shape},
                  [&](View<const T> g, T* loss, const std::vector<T*>& grads) {
                    mse_loss_with_grad<T>(x, y, opt, g, loss, grads[0]);
                  });
  });
}

}  // namespace

void register_regression(py::module_& m) {
  m.def("mse_loss", &mse_loss);
}

}  // namespace lossx::binding
