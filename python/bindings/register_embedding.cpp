// Bindings of cpp/src/embedding/: dtype dispatch, views, GIL release. No arithmetic.
// Every binding takes (mode, grad_output, out, grad_out, <the loss's arguments by name>); see common.hpp.
#include "common.hpp"

namespace lossx::binding {

namespace {

py::object cosine_embedding_loss(int mode, const py::object& grad_output, const py::object& out,
                                 const py::object& grad_out, const py::array& input1, const py::array& input2,
                                 const py::array& target, double margin, const std::string& reduction) {
  const char* fn = "cosine_embedding_loss";
  return with_float(input1, fn, "input1", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const CosineEmbeddingLossOptions opt{margin, parse_reduction(reduction, fn)};
    const View<const T> x1 = view<T>(input1, "input1"), x2 = view<T>(input2, "input2"), y = view<T>(target, "target");
    return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, cosine_embedding_loss_shape(x1, x2, y, opt),
                  opt.reduction, {x1.shape, x2.shape},
                  [&](const Request<T>& req) { cosine_embedding_loss_run<T>(x1, x2, y, opt, req); });
  });
}

py::object triplet_margin_loss(int mode, const py::object& grad_output, const py::object& out,
                               const py::object& grad_out, const py::array& anchor, const py::array& positive,
                               const py::array& negative, double margin, double p, double eps, bool swap,
                               const std::string& reduction) {
  const char* fn = "triplet_margin_loss";
  return with_float(anchor, fn, "anchor", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const TripletMarginLossOptions opt{margin, p, eps, swap, parse_reduction(reduction, fn)};
    const View<const T> a = view<T>(anchor, "anchor"), pp = view<T>(positive, "positive"),
                        n = view<T>(negative, "negative");
    return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, triplet_margin_loss_shape(a, pp, n, opt),
                  opt.reduction, {a.shape, pp.shape, n.shape},
                  [&](const Request<T>& req) { triplet_margin_loss_run<T>(a, pp, n, opt, req); });
  });
}

py::object batch_hard_triplet_loss(int mode, const py::object& grad_output, const py::object& out,
                                   const py::object& grad_out, const py::array& embeddings, const py::array& labels,
                                   double margin, double p, const std::string& reduction) {
  const char* fn = "batch_hard_triplet_loss";
  return with_float(embeddings, fn, "embeddings", [&](auto tag) -> py::object {
    using T = decltype(tag);
    const BatchHardTripletLossOptions opt{margin, p, parse_reduction(reduction, fn)};
    const View<const T> e = view<T>(embeddings, "embeddings");
    return with_index(labels, fn, "labels", [&](auto itag) -> py::object {
      using I = decltype(itag);
      const View<const I> y = view<I>(labels, "labels");
      return run<T>(Outputs{fn, out, grad_out}, mode, grad_output, batch_hard_triplet_loss_shape(e, y, opt),
                    opt.reduction, {e.shape},
                    [&](const Request<T>& req) { batch_hard_triplet_loss_run<T, I>(e, y, opt, req); });
    });
  });
}

}  // namespace

void register_embedding(py::module_& m) {
  m.def("cosine_embedding_loss", &cosine_embedding_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"),
        py::arg("grad_out"), py::arg("input1"), py::arg("input2"), py::arg("target"), py::arg("margin"),
        py::arg("reduction"));
  m.def("triplet_margin_loss", &triplet_margin_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"),
        py::arg("grad_out"), py::arg("anchor"), py::arg("positive"), py::arg("negative"), py::arg("margin"),
        py::arg("p"), py::arg("eps"), py::arg("swap"), py::arg("reduction"));
  m.def("batch_hard_triplet_loss", &batch_hard_triplet_loss, py::arg("mode"), py::arg("grad_output"), py::arg("out"),
        py::arg("grad_out"), py::arg("embeddings"), py::arg("labels"), py::arg("margin"), py::arg("p"),
        py::arg("reduction"));
}

}  // namespace lossx::binding
