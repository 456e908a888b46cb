// Bindings of cpp/src/classification/: conversion, dtype dispatch, GIL release.
#include "common.hpp"

namespace lossx::binding {

namespace {

py::object cross_entropy(int mode, const py::object& grad_output, const py::array& input, const py::array& target,
                         const py::object& weight, index_t ignore_index, const std::string& reduction,
                         double label_smoothing) {
  const char* fn = "cross_entropy";
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const CrossEntropyOptions<T> opt{optional_view<T>(weight, "weight"), ignore_index, parse_reduction(reduction, fn),
                                     label_smoothing};
    const View<const T> x = view<T>(input, "input");
    if (is_float(target)) {
      const View<const T> t = view<T>(target, "target");
      return run<T>(mode, grad_output, cross_entropy_probs_shape(x, t, opt), opt.reduction, {x.shape},
                    [&](View<const T> g, T* loss, const std::vector<T*>& grads) {
                      cross_entropy_probs_with_grad<T>(x, t, opt, g, loss, grads[0]);
                    });
    }
    return with_index(target, fn, "target", [&](auto itag) -> py::object {
      using I = decltype(itag);
      const View<const I> t = view<I>(target, "target");
      return run<T>(mode, grad_output, cross_entropy_shape(x, t, opt), opt.reduction, {x.shape},
                    [&](View<const T> g, T* loss, const std::vector<T*>& grads) {
                      cross_entropy_with_grad<T, I>(x, t, opt, g, loss, grads[0]);
                    });
    });
  });
}

}  // namespace

void register_classification(py::module_& m) {
  m.def("cross_entropy", &cross_entropy);
}

}  // namespace lossx::binding
