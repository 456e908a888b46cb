// Bindings of cpp/src/imbalance/: conversion, dtype dispatch, GIL release.
#include "common.hpp"

namespace lossx::binding {

namespace {

py::object class_weights(const py::array& target, index_t num_classes, const std::string& scheme,
                         index_t ignore_index, double beta, const py::dtype& dtype) {
  const WeightScheme s = parse_weight_scheme(scheme);
  return with_index(target, "class_weights", "target", [&](auto itag) -> py::object {
    using I = decltype(itag);
    const View<const I> t = view<I>(target, "target");
    std::vector<index_t> counts;
    {
      py::gil_scoped_release nogil;
      counts = class_counts<I>(t, num_classes, ignore_index);
    }
    const Shape shape{static_cast<index_t>(counts.size())};
    if (dtype.equal(py::dtype::of<float>())) {
      auto out = new_array<float>(shape);
      class_weights_from_counts<float>(counts, s, beta, out.mutable_data());
      return std::move(out);
    }
    auto out = new_array<double>(shape);
    class_weights_from_counts<double>(counts, s, beta, out.mutable_data());
    return std::move(out);
  });
}

py::object pos_weight_from(const py::array& target) {
  return with_float(target, "pos_weight_from", "target", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const View<const T> t = view<T>(target, "target");
    auto out = new_array<T>(lossx::pos_weight_from_shape<T>(t));
    T* o = out.mutable_data();
    {
      py::gil_scoped_release nogil;
      lossx::pos_weight_from<T>(t, o);
    }
    return std::move(out);
  });
}

}  // namespace

void register_imbalance(py::module_& m) {
  m.def("class_weights", &class_weights, py::arg("target"), py::arg("num_classes"), py::arg("scheme"),
        py::arg("ignore_index"), py::arg("beta"), py::arg("dtype"));
  m.def("pos_weight_from", &pos_weight_from, py::arg("target"));
}

}  // namespace lossx::binding
