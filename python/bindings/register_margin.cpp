// Bindings of cpp/src/margin/: conversion, dtype dispatch, GIL release.
#include "common.hpp"

namespace lossx::binding {

namespace {

py::object margin_ranking_loss(int mode, const py::object& grad_output, const py::object& out,
                               const py::object& grad_out, const py::array& input1, const py::array& input2,
                               const py::array& target, double margin, const std::string& reduction) {
  const char* fn = "margin_ranking_loss";
  return with_float(input1, fn, "input1", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const MarginRankingLossOptions<T> opt{margin, parse_reduction(reduction, fn)};
    const View<const T> x1 = view<T>(input1, "input1"), x2 = view<T>(input2, "input2"), y = view<T>(target, "target");
    return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, margin_ranking_loss_shape(x1, x2, y, opt),
                  opt.reduction, {x1.shape, x2.shape},
                  [&](const Request<T>& req) { margin_ranking_loss_run<T>(x1, x2, y, opt, req); });
  });
}

py::object hinge_embedding_loss(int mode, const py::object& grad_output, const py::object& out,
                                const py::object& grad_out, const py::array& input, const py::array& target,
                                double margin, const std::string& reduction) {
  const char* fn = "hinge_embedding_loss";
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const HingeEmbeddingLossOptions<T> opt{margin, parse_reduction(reduction, fn)};
    const View<const T> x = strided_view<T>(input, "input"), y = strided_view<T>(target, "target");
    return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, hinge_embedding_loss_shape(x, y, opt), opt.reduction,
                  {x.shape}, [&](const Request<T>& req) { hinge_embedding_loss_run<T>(x, y, opt, req); });
  });
}

py::object soft_margin_loss(int mode, const py::object& grad_output, const py::object& out, const py::object& grad_out,
                            const py::array& input, const py::array& target, const std::string& reduction) {
  const char* fn = "soft_margin_loss";
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const SoftMarginLossOptions<T> opt{parse_reduction(reduction, fn)};
    const View<const T> x = strided_view<T>(input, "input"), y = strided_view<T>(target, "target");
    return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, soft_margin_loss_shape(x, y, opt), opt.reduction,
                  {x.shape}, [&](const Request<T>& req) { soft_margin_loss_run<T>(x, y, opt, req); });
  });
}

py::object multilabel_soft_margin_loss(int mode, const py::object& grad_output, const py::object& out,
                                       const py::object& grad_out, const py::array& input, const py::array& target,
                                       const py::object& weight, const std::string& reduction) {
  const char* fn = "multilabel_soft_margin_loss";
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const MultilabelSoftMarginLossOptions<T> opt{optional_view<T>(weight, "weight"), parse_reduction(reduction, fn)};
    const View<const T> x = view<T>(input, "input"), y = view<T>(target, "target");
    return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, multilabel_soft_margin_loss_shape(x, y, opt),
                  opt.reduction, {x.shape},
                  [&](const Request<T>& req) { multilabel_soft_margin_loss_run<T>(x, y, opt, req); });
  });
}

py::object multi_margin_loss(int mode, const py::object& grad_output, const py::object& out, const py::object& grad_out,
                             const py::array& input, const py::array& target, int p, double margin,
                             const py::object& weight, const std::string& reduction) {
  const char* fn = "multi_margin_loss";
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const MultiMarginLossOptions<T> opt{p, margin, optional_view<T>(weight, "weight"), parse_reduction(reduction, fn)};
    const View<const T> x = view<T>(input, "input");
    return with_index(target, fn, "target", [&](auto itag) -> py::object {
      using I = decltype(itag);
      const View<const I> t = view<I>(target, "target");
      return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, multi_margin_loss_shape(x, t, opt), opt.reduction,
                    {x.shape}, [&](const Request<T>& req) { multi_margin_loss_run<T, I>(x, t, opt, req); });
    });
  });
}

py::object multilabel_margin_loss(int mode, const py::object& grad_output, const py::object& out,
                                  const py::object& grad_out, const py::array& input, const py::array& target,
                                  const std::string& reduction) {
  const char* fn = "multilabel_margin_loss";
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const MultilabelMarginLossOptions<T> opt{parse_reduction(reduction, fn)};
    const View<const T> x = view<T>(input, "input");
    return with_index(target, fn, "target", [&](auto itag) -> py::object {
      using I = decltype(itag);
      const View<const I> t = view<I>(target, "target");
      return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, multilabel_margin_loss_shape(x, t, opt),
                    opt.reduction, {x.shape},
                    [&](const Request<T>& req) { multilabel_margin_loss_run<T, I>(x, t, opt, req); });
    });
  });
}

}  // namespace

void register_margin(py::module_& m) {
  m.def("margin_ranking_loss", &margin_ranking_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"),
        py::arg("grad_out"), py::arg("input1"), py::arg("input2"), py::arg("target"), py::arg("margin"),
        py::arg("reduction"));
  m.def("hinge_embedding_loss", &hinge_embedding_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"),
        py::arg("grad_out"), py::arg("input"), py::arg("target"), py::arg("margin"), py::arg("reduction"));
  m.def("soft_margin_loss", &soft_margin_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"),
        py::arg("grad_out"), py::arg("input"), py::arg("target"), py::arg("reduction"));
  m.def("multilabel_soft_margin_loss", &multilabel_soft_margin_loss, py::arg("mode"), py::arg("grad_output"),
        py::arg("out"), py::arg("grad_out"), py::arg("input"), py::arg("target"), py::arg("weight"),
        py::arg("reduction"));
  m.def("multi_margin_loss", &multi_margin_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"),
        py::arg("grad_out"), py::arg("input"), py::arg("target"), py::arg("p"), py::arg("margin"), py::arg("weight"),
        py::arg("reduction"));
  m.def("multilabel_margin_loss", &multilabel_margin_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"),
        py::arg("grad_out"), py::arg("input"), py::arg("target"), py::arg("reduction"));
}

}  // namespace lossx::binding
