// The binding's shared helpers: dtype dispatch, zero-copy views, and `run`,
// which allocates outputs with the GIL held and runs a kernel without it.
// No arithmetic here: every number is computed in cpp/.
//
// The Python layer (python/lossx/_convert.py) has already applied lossx's
// dtype rules and made every array native-endian and C-contiguous (copying
// only when it was not), so these helpers only verify and wrap.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "lossx/lossx.hpp"

namespace lossx::binding {

namespace py = pybind11;

inline Shape shape_of(const py::array& a) {
  return Shape(a.shape(), a.shape() + a.ndim());
}

inline bool is_float(const py::array& a) {
  return a.dtype().equal(py::dtype::of<float>()) || a.dtype().equal(py::dtype::of<double>());
}

/// A View of a C-contiguous array of exactly T (no conversion, no copy).
template <class T>
View<const T> view(const py::array& a, const char* name) {
  if (!a.dtype().equal(py::dtype::of<T>()) || !(a.flags() & py::array::c_style))
    throw TypeError(cat("lossx: internal: '", name, "' reached the binding as ",
                        std::string(py::str(a.dtype())), " / non-contiguous"));
  return View<const T>{static_cast<const T*>(a.data()), shape_of(a)};
}

/// As view(), with None giving an absent View.
template <class T>
View<const T> optional_view(const py::object& o, const char* name) {
  if (o.is_none()) return {};
  return view<T>(py::cast<py::array>(o), name);
}

/// Calls f(T{}) for a float32 or float64 array.
template <class F>
py::object with_float(const py::array& a, const char* loss, const char* name, F&& f) {
  if (a.dtype().equal(py::dtype::of<float>())) return f(float{});
  if (a.dtype().equal(py::dtype::of<double>())) return f(double{});
  throw TypeError(cat(loss, ": '", name, "' must be a float32 or float64 array; got ", std::string(py::str(a.dtype()))));
}

/// Calls f(I{}) for an int32 or int64 array.
template <class F>
py::object with_index(const py::array& a, const char* loss, const char* name, F&& f) {
  if (a.dtype().equal(py::dtype::of<std::int32_t>())) return f(std::int32_t{});
  if (a.dtype().equal(py::dtype::of<std::int64_t>())) return f(std::int64_t{});
  throw TypeError(cat(loss, ": '", name, "' must be an integer array of class indices; got ",
                      std::string(py::str(a.dtype()))));
}

template <class T>
py::array_t<T> new_array(const Shape& shape) {
  return py::array_t<T>(std::vector<py::ssize_t>(shape.begin(), shape.end()));
}

/// What a call asks for: 0 the loss, 1 the gradient(s), 2 both.
enum Mode : int { kLoss = 0, kGrad = 1, kBoth = 2 };

/// Runs `kernel(grad_output_view, loss_ptr, grad_ptrs)` for `mode`.
/// `none_shape` is the unreduced loss's shape; `grad_shapes` one shape per
/// differentiable input. grad_output None means ones. Returns the loss, the
/// gradient (a tuple if there are several), or (loss, gradient).
template <class T, class K>
py::object run(int mode, const py::object& grad_output, const Shape& none_shape, Reduction r,
               const std::vector<Shape>& grad_shapes, K&& kernel) {
  const bool want_loss = mode != kGrad, want_grad = mode != kLoss;
  const Shape loss_shape = r == Reduction::None ? none_shape : Shape{};
  py::array_t<T> loss;
  if (want_loss) loss = new_array<T>(loss_shape);
  std::vector<py::array_t<T>> grads;
  std::vector<T*> grad_ptrs;
  View<const T> g;
  py::array g_arr;
  if (want_grad) {
    for (const Shape& s : grad_shapes) {
      grads.push_back(new_array<T>(s));
      grad_ptrs.push_back(grads.back().mutable_data());
    }
    if (grad_output.is_none()) {
      py::array_t<T> ones = new_array<T>(loss_shape);
      T* o = ones.mutable_data();
      const index_t n = static_cast<index_t>(ones.size());
      {
        py::gil_scoped_release nogil;  // a large 'none' loss: fill in parallel, without the GIL
        parallel_for(n, 1 << 16, [o](index_t b, index_t e) { std::fill(o + b, o + e, T(1)); });
      }
      g_arr = ones;
    } else {
      g_arr = py::cast<py::array>(grad_output);
    }
    g = view<T>(g_arr, "grad_output");
  } else {
    grad_ptrs.assign(grad_shapes.size(), nullptr);
  }
  {
    py::gil_scoped_release nogil;
    kernel(g, want_loss ? loss.mutable_data() : nullptr, grad_ptrs);
  }
  py::object grad_result;
  if (want_grad) {
    if (grads.size() == 1) {
      grad_result = grads[0];
    } else {
      py::tuple t(grads.size());
      for (size_t k = 0; k < grads.size(); ++k) t[k] = grads[k];
      grad_result = t;
    }
  }
  if (mode == kLoss) return std::move(loss);
  if (mode == kGrad) return grad_result;
  return py::make_tuple(loss, grad_result);
}

void register_classification(py::module_& m);
void register_regression(py::module_& m);
void register_margin(py::module_& m);
void register_embedding(py::module_& m);
void register_sequence(py::module_& m);
void register_imbalance(py::module_& m);

}  // namespace lossx::binding
