// Bindings of cpp/src/sequence/: dtype dispatch, views, GIL release. No arithmetic.
// Every binding takes (mode, grad_output, out, grad_out, <the loss's arguments by name>); see common.hpp.
#include "common.hpp"

namespace lossx::binding {

namespace {

// python/lossx/sequence.py has made targets int32/int64 and both length arrays one
// dtype (int32 or int64), so the dispatch is float type x targets type x lengths type.
py::object ctc_loss(int mode, const py::object& grad_output, const py::object& out, const py::object& grad_out,
                    const py::array& log_probs, const py::array& targets, const py::array& input_lengths,
                    const py::array& target_lengths, index_t blank, bool zero_infinity, const std::string& reduction) {
  const char* fn = "ctc_loss";
  const CtcLossOptions opt{blank, zero_infinity, parse_reduction(reduction, fn)};
  return with_float(log_probs, fn, "log_probs", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const View<const T> lp = view<T>(log_probs, "log_probs");
    return with_index(targets, fn, "targets", [&](auto itag) -> py::object {
      using I = decltype(itag);
      const View<const I> tg = view<I>(targets, "targets");
      return with_index(input_lengths, fn, "input_lengths", [&](auto ltag) -> py::object {
        using L = decltype(ltag);
        const View<const L> il = view<L>(input_lengths, "input_lengths");
        const View<const L> tl = view<L>(target_lengths, "target_lengths");
        return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, ctc_loss_shape(lp, tg, il, tl, opt), opt.reduction,
                      {lp.shape}, [&](const Request<T>& req) { ctc_loss_run<T, I, L>(lp, tg, il, tl, opt, req); });
      });
    });
  });
}

}  // namespace

void register_sequence(py::module_& m) {
  m.def("ctc_loss", &ctc_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"), py::arg("grad_out"),
        py::arg("log_probs"), py::arg("targets"), py::arg("input_lengths"), py::arg("target_lengths"), py::arg("blank"),
        py::arg("zero_infinity"), py::arg("reduction"));
}

}  // namespace lossx::binding
