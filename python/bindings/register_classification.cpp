// Bindings of cpp/src/classification/: conversion, dtype dispatch, GIL release.
#include "common.hpp"

namespace lossx::binding {

namespace {

/// Class-index targets (an int32 / int64 array) or probabilities (a float array of the input's dtype).
py::object cross_entropy(int mode, const py::object& grad_output, const py::object& out, const py::object& grad_out,
                         const py::array& input, const py::array& target, const py::object& weight,
                         index_t ignore_index, double label_smoothing, const std::string& reduction) {
  const char* fn = "cross_entropy";
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const CrossEntropyOptions<T> opt{optional_view<T>(weight, "weight"), ignore_index, label_smoothing,
                                     parse_reduction(reduction, fn)};
    const View<const T> x = view<T>(input, "input");
    if (is_float(target)) {
      const View<const T> t = view<T>(target, "target");
      return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, cross_entropy_probs_shape(x, t, opt), opt.reduction,
                    {x.shape}, [&](const Request<T>& req) { cross_entropy_probs_run<T>(x, t, opt, req); });
    }
    return with_index(target, fn, "target", [&](auto itag) -> py::object {
      using I = decltype(itag);
      const View<const I> t = view<I>(target, "target");
      return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, cross_entropy_shape(x, t, opt), opt.reduction,
                    {x.shape}, [&](const Request<T>& req) { cross_entropy_run<T, I>(x, t, opt, req); });
    });
  });
}

/// log_softmax / softmax: no reduction; the output and the gradient have the input's shape.
template <bool kLog>
py::object softmax_like(int mode, const py::object& grad_output, const py::object& out, const py::object& grad_out,
                        const py::array& input, index_t dim) {
  const char* fn = kLog ? "log_softmax" : "softmax";
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const View<const T> x = view<T>(input, "input");
    softmax_dim(fn, x.shape, dim);
    return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, x.shape, Reduction::None, {x.shape},
                  [&](const Request<T>& req) {
                    if constexpr (kLog)
                      log_softmax_run<T>(x, dim, req);
                    else
                      softmax_run<T>(x, dim, req);
                  });
  });
}

py::object nll_loss(int mode, const py::object& grad_output, const py::object& out, const py::object& grad_out,
                    const py::array& input, const py::array& target, const py::object& weight, index_t ignore_index,
                    const std::string& reduction) {
  const char* fn = "nll_loss";
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const NllLossOptions<T> opt{optional_view<T>(weight, "weight"), ignore_index, parse_reduction(reduction, fn)};
    const View<const T> x = view<T>(input, "input");
    return with_index(target, fn, "target", [&](auto itag) -> py::object {
      using I = decltype(itag);
      const View<const I> t = view<I>(target, "target");
      return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, nll_loss_shape(x, t, opt), opt.reduction, {x.shape},
                    [&](const Request<T>& req) { nll_loss_run<T, I>(x, t, opt, req); });
    });
  });
}

py::object binary_cross_entropy(int mode, const py::object& grad_output, const py::object& out,
                                const py::object& grad_out, const py::array& input, const py::array& target,
                                const py::object& weight, const std::string& reduction) {
  const char* fn = "binary_cross_entropy";
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const BinaryCrossEntropyOptions<T> opt{optional_view<T>(weight, "weight"), parse_reduction(reduction, fn)};
    const View<const T> x = strided_view<T>(input, "input"), y = strided_view<T>(target, "target");
    return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, binary_cross_entropy_shape(x, y, opt), opt.reduction,
                  {x.shape}, [&](const Request<T>& req) { binary_cross_entropy_run<T>(x, y, opt, req); });
  });
}

py::object binary_cross_entropy_with_logits(int mode, const py::object& grad_output, const py::object& out,
                                            const py::object& grad_out, const py::array& input, const py::array& target,
                                            const py::object& weight, const py::object& pos_weight,
                                            const std::string& reduction) {
  const char* fn = "binary_cross_entropy_with_logits";
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const BinaryCrossEntropyWithLogitsOptions<T> opt{
        optional_view<T>(weight, "weight"), optional_view<T>(pos_weight, "pos_weight"), parse_reduction(reduction, fn)};
    const View<const T> x = strided_view<T>(input, "input"), y = strided_view<T>(target, "target");
    return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, binary_cross_entropy_with_logits_shape(x, y, opt),
                  opt.reduction, {x.shape},
                  [&](const Request<T>& req) { binary_cross_entropy_with_logits_run<T>(x, y, opt, req); });
  });
}

py::object kl_div(int mode, const py::object& grad_output, const py::object& out, const py::object& grad_out,
                  const py::array& input, const py::array& target, bool log_target, const std::string& reduction) {
  const char* fn = "kl_div";
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const KlDivOptions<T> opt{log_target, parse_reduction(reduction, fn, /*allow_batchmean=*/true)};
    const View<const T> x = strided_view<T>(input, "input"), y = strided_view<T>(target, "target");
    return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, kl_div_shape(x, y, opt), opt.reduction, {x.shape},
                  [&](const Request<T>& req) { kl_div_run<T>(x, y, opt, req); });
  });
}

}  // namespace

void register_classification(py::module_& m) {
  m.def("cross_entropy", &cross_entropy, py::arg("mode"), py::arg("grad_output"), py::arg("out"), py::arg("grad_out"),
        py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("ignore_index"), py::arg("label_smoothing"),
        py::arg("reduction"));
  m.def("log_softmax", &softmax_like<true>, py::arg("mode"), py::arg("grad_output"), py::arg("out"),
        py::arg("grad_out"), py::arg("input"), py::arg("dim"));
  m.def("softmax", &softmax_like<false>, py::arg("mode"), py::arg("grad_output"), py::arg("out"), py::arg("grad_out"),
        py::arg("input"), py::arg("dim"));
  m.def("nll_loss", &nll_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"), py::arg("grad_out"),
        py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("ignore_index"), py::arg("reduction"));
  m.def("binary_cross_entropy", &binary_cross_entropy, py::arg("mode"), py::arg("grad_output"), py::arg("out"),
        py::arg("grad_out"), py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("reduction"));
  m.def("binary_cross_entropy_with_logits", &binary_cross_entropy_with_logits, py::arg("mode"), py::arg("grad_output"),
        py::arg("out"), py::arg("grad_out"), py::arg("input"), py::arg("target"), py::arg("weight"),
        py::arg("pos_weight"), py::arg("reduction"));
  m.def("kl_div", &kl_div, py::arg("mode"), py::arg("grad_output"), py::arg("out"), py::arg("grad_out"),
        py::arg("input"), py::arg("target"), py::arg("log_target"), py::arg("reduction"));
}

}  // namespace lossx::binding
