// PYBIND11_MODULE for lossx._core: exceptions, threads, and one register_<family>() call per family.
#include "common.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "lossx's compiled core. Use the functions of the lossx package, not this module.";

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const lossx::TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const lossx::ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });

  m.def("set_num_threads", &lossx::set_num_threads, py::arg("n"));
  m.def("get_num_threads", &lossx::get_num_threads);
  m.def("max_num_threads", &lossx::max_num_threads);
  m.attr("openmp") = lossx::has_openmp();

  lossx::binding::register_classification(m);
  lossx::binding::register_regression(m);
  lossx::binding::register_margin(m);
  lossx::binding::register_embedding(m);
  lossx::binding::register_sequence(m);
  lossx::binding::register_imbalance(m);
}
