// Bindings of cpp/src/regression/: dtype dispatch, views, GIL release. No arithmetic.
// Every binding takes (mode, grad_output, out, grad_out, <the loss's arguments by name>); see common.hpp.
#include "common.hpp"

namespace lossx::binding {

namespace {

/// Binds an elementwise (input, target) loss: `make_opt(T{})` builds its options and
/// `kernel(x, y, opt, request)` is its NAME_run; input and target are read in place in any layout.
template <class MakeOpt, class Shaper, class Kernel>
py::object elementwise(const char* fn, int mode, const py::object& grad_output, const py::object& out,
                       const py::object& grad_out, const py::array& input, const py::array& target, MakeOpt&& make_opt,
                       Shaper&& shaper, Kernel&& kernel) {
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const auto opt = make_opt(tag);
    const View<const T> x = strided_view<T>(input, "input"), y = strided_view<T>(target, "target");
    return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, shaper(x, y, opt), opt.reduction, {x.shape},
                  [&](const Request<T>& req) { kernel(x, y, opt, req); });
  });
}

py::object l1_loss(int mode, const py::object& grad_output, const py::object& out, const py::object& grad_out,
                   const py::array& input, const py::array& target, const py::object& weight,
                   const std::string& reduction) {
  const char* fn = "l1_loss";
  return elementwise(
      fn, mode, grad_output, out, grad_out, input, target,
      [&](auto tag) {
        using T = decltype(tag);
        return L1LossOptions<T>{optional_view<T>(weight, "weight"), parse_reduction(reduction, fn)};
      },
      [](const auto& x, const auto& y, const auto& opt) { return l1_loss_shape(x, y, opt); },
      [](const auto& x, const auto& y, const auto& opt, const auto& req) { l1_loss_run(x, y, opt, req); });
}

py::object mse_loss(int mode, const py::object& grad_output, const py::object& out, const py::object& grad_out,
                    const py::array& input, const py::array& target, const py::object& weight,
                    const std::string& reduction) {
  const char* fn = "mse_loss";
  return elementwise(
      fn, mode, grad_output, out, grad_out, input, target,
      [&](auto tag) {
        using T = decltype(tag);
        return MseLossOptions<T>{optional_view<T>(weight, "weight"), parse_reduction(reduction, fn)};
      },
      [](const auto& x, const auto& y, const auto& opt) { return mse_loss_shape(x, y, opt); },
      [](const auto& x, const auto& y, const auto& opt, const auto& req) { mse_loss_run(x, y, opt, req); });
}

py::object smooth_l1_loss(int mode, const py::object& grad_output, const py::object& out, const py::object& grad_out,
                          const py::array& input, const py::array& target, double beta, const std::string& reduction) {
  const char* fn = "smooth_l1_loss";
  return elementwise(
      fn, mode, grad_output, out, grad_out, input, target,
      [&](auto tag) { return SmoothL1LossOptions<decltype(tag)>{beta, parse_reduction(reduction, fn)}; },
      [](const auto& x, const auto& y, const auto& opt) { return smooth_l1_loss_shape(x, y, opt); },
      [](const auto& x, const auto& y, const auto& opt, const auto& req) { smooth_l1_loss_run(x, y, opt, req); });
}

py::object huber_loss(int mode, const py::object& grad_output, const py::object& out, const py::object& grad_out,
                      const py::array& input, const py::array& target, double delta, const py::object& weight,
                      const std::string& reduction) {
  const char* fn = "huber_loss";
  return elementwise(
      fn, mode, grad_output, out, grad_out, input, target,
      [&](auto tag) {
        using T = decltype(tag);
        return HuberLossOptions<T>{delta, optional_view<T>(weight, "weight"), parse_reduction(reduction, fn)};
      },
      [](const auto& x, const auto& y, const auto& opt) { return huber_loss_shape(x, y, opt); },
      [](const auto& x, const auto& y, const auto& opt, const auto& req) { huber_loss_run(x, y, opt, req); });
}

py::object poisson_nll_loss(int mode, const py::object& grad_output, const py::object& out, const py::object& grad_out,
                            const py::array& input, const py::array& target, bool log_input, bool full, double eps,
                            const std::string& reduction) {
  const char* fn = "poisson_nll_loss";
  return elementwise(
      fn, mode, grad_output, out, grad_out, input, target,
      [&](auto tag) {
        return PoissonNllLossOptions<decltype(tag)>{log_input, full, eps, parse_reduction(reduction, fn)};
      },
      [](const auto& x, const auto& y, const auto& opt) { return poisson_nll_loss_shape(x, y, opt); },
      [](const auto& x, const auto& y, const auto& opt, const auto& req) { poisson_nll_loss_run(x, y, opt, req); });
}

py::object gaussian_nll_loss(int mode, const py::object& grad_output, const py::object& out, const py::object& grad_out,
                             const py::array& input, const py::array& target, const py::array& var, bool scalar_var,
                             bool full, double eps, const std::string& reduction) {
  const char* fn = "gaussian_nll_loss";
  return with_float(input, fn, "input", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const GaussianNllLossOptions<T> opt{full, eps, scalar_var, parse_reduction(reduction, fn)};
    const View<const T> x = view<T>(input, "input"), y = view<T>(target, "target"), v = view<T>(var, "var");
    return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, gaussian_nll_loss_shape(x, y, v, opt), opt.reduction,
                  {x.shape, v.shape}, [&](const Request<T>& req) { gaussian_nll_loss_run<T>(x, y, v, opt, req); });
  });
}

}  // namespace

void register_regression(py::module_& m) {
  m.def("l1_loss", &l1_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"), py::arg("grad_out"),
        py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("reduction"));
  m.def("mse_loss", &mse_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"), py::arg("grad_out"),
        py::arg("input"), py::arg("target"), py::arg("weight"), py::arg("reduction"));
  m.def("smooth_l1_loss", &smooth_l1_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"), py::arg("grad_out"),
        py::arg("input"), py::arg("target"), py::arg("beta"), py::arg("reduction"));
  m.def("huber_loss", &huber_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"), py::arg("grad_out"),
        py::arg("input"), py::arg("target"), py::arg("delta"), py::arg("weight"), py::arg("reduction"));
  m.def("poisson_nll_loss", &poisson_nll_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"),
        py::arg("grad_out"), py::arg("input"), py::arg("target"), py::arg("log_input"), py::arg("full"), py::arg("eps"),
        py::arg("reduction"));
  m.def("gaussian_nll_loss", &gaussian_nll_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"),
        py::arg("grad_out"), py::arg("input"), py::arg("target"), py::arg("var"), py::arg("scalar_var"),
        py::arg("full"), py::arg("eps"), py::arg("reduction"));
}

}  // namespace lossx::binding
