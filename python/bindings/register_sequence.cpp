// Bindings of cpp/src/sequence/: conversion, dtype dispatch, GIL release.
#include "common.hpp"

namespace lossx::binding {

namespace {

// python/lossx/sequence.py has made targets int32/int64 and both length arrays one
// dtype (int32 or int64), so the dispatch is float type x targets type x lengths type.
py::object ctc_loss(int mode, const py::object& grad_output, const py::array& log_probs, const py::array& targets,
                    const py::array& input_lengths, const py::array& target_lengths, index_t blank,
                    const std::string& reduction, bool zero_infinity) {
  const char* fn = "ctc_loss";
  const CtcOptions opt{blank, parse_reduction(reduction, fn), zero_infinity};
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
        return run<T>(mode, grad_output, ctc_loss_shape(lp, tg, il, tl, opt), opt.reduction, {lp.shape},
                      [&](const Request<T>& req) {
                    const auto [g, loss, grads] = legacy_outputs(req);
                        ctc_loss_with_grad<T, I, L>(lp, tg, il, tl, opt, g, loss, grads[0]);
                      });
      });
    });
  });
}

}  // namespace

void register_sequence(py::module_& m) {
  m.def("ctc_loss", &ctc_loss);
}

}  // namespace lossx::binding
