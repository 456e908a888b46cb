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

#include <algorithm>
#include <string>
#include <vector>

#include "alloc.hpp"
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
    throw TypeError("lossx: internal: '" + std::string(name) + "' reached the binding as " +
                    std::string(py::str(a.dtype())) + " / non-contiguous");
  return View<const T>{static_cast<const T*>(a.data()), shape_of(a)};
}

/// A View of an array of exactly T in any layout (strided, reversed, zero strides of a
/// broadcast), read in place: for the arguments that the elementwise kernels accept strided.
/// The Python layer has made it native-endian and aligned.
template <class T>
View<const T> strided_view(const py::array& a, const char* name) {
  constexpr int kAligned = py::detail::npy_api::NPY_ARRAY_ALIGNED_;
  if (!a.dtype().equal(py::dtype::of<T>()) || !(a.flags() & kAligned))
    throw TypeError("lossx: internal: '" + std::string(name) + "' reached the binding as " +
                    std::string(py::str(a.dtype())) + " / unaligned");
  View<const T> v{static_cast<const T*>(a.data()), shape_of(a)};
  if (a.flags() & py::array::c_style) return v;
  v.strides.resize(static_cast<size_t>(a.ndim()));
  for (py::ssize_t k = 0; k < a.ndim(); ++k) {
    if (a.strides(k) % static_cast<py::ssize_t>(sizeof(T)) != 0)
      throw TypeError("lossx: internal: '" + std::string(name) + "' has strides that are not whole elements");
    v.strides[static_cast<size_t>(k)] = a.strides(k) / static_cast<py::ssize_t>(sizeof(T));
  }
  return v;
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
  throw TypeError(std::string(loss) + ": '" + name + "' must be a float32 or float64 array; got " +
                  std::string(py::str(a.dtype())));
}

/// Calls f(I{}) for an int32 or int64 array.
template <class F>
py::object with_index(const py::array& a, const char* loss, const char* name, F&& f) {
  if (a.dtype().equal(py::dtype::of<std::int32_t>())) return f(std::int32_t{});
  if (a.dtype().equal(py::dtype::of<std::int64_t>())) return f(std::int64_t{});
  throw TypeError(std::string(loss) + ": '" + name + "' must be an integer array of class indices; got " +
                  std::string(py::str(a.dtype())));
}

/// A new result array (uninitialised; large ones 2 MiB-aligned and recycled: alloc.hpp).
template <class T>
py::array_t<T> new_array(const Shape& shape) {
  return alloc_array<T>(shape);
}

/// What a call asks for: the loss, the gradient(s), both, the partial sums, or the
/// gradient(s) of scale · total. The Python layer (_api.py) passes the same numbers.
enum Mode : int { kLoss = 0, kGrad = 1, kBoth = 2, kPartial = 3, kPartialGrad = 4 };

/// Runs `kernel(request)` for `mode` and returns what the mode asks for: the loss; the
/// gradient (a tuple if there are several); (loss, gradient); the partial sums as a tuple of
/// two Python floats (total, denominator); or the gradient of scale · total.
/// `none_shape` is the unreduced loss's shape and `grad_shapes` one shape per differentiable
/// input. `grad_output`: None (ones) or an array of the prediction's dtype for kGrad / kBoth;
/// the Python float `scale` for kPartialGrad; unused otherwise. Outputs are allocated with the
/// GIL held; the kernel runs without it.
template <class T, class K>
py::object run(int mode, const py::object& grad_output, const Shape& none_shape, Reduction r,
               const std::vector<Shape>& grad_shapes, K&& kernel) {
  if (mode < kLoss || mode > kPartialGrad) throw ValueError("lossx: internal: unknown mode " + std::to_string(mode));
  const bool want_loss = mode == kLoss || mode == kBoth;
  const bool want_grad = mode == kGrad || mode == kBoth || mode == kPartialGrad;
  const Shape loss_shape = r == Reduction::None ? none_shape : Shape{};
  py::array_t<T> loss;
  if (want_loss) loss = new_array<T>(loss_shape);
  std::vector<py::array_t<T>> grads;
  T* g_ptr[3] = {nullptr, nullptr, nullptr};
  if (want_grad) {
    for (size_t k = 0; k < grad_shapes.size(); ++k) {
      grads.push_back(new_array<T>(grad_shapes[k]));
      g_ptr[k] = grads.back().mutable_data();
    }
  }
  Request<T> req;
  Partial partial;
  py::array g_arr;
  if (mode == kPartial) {
    req = Request<T>::partial_sums(&partial);
  } else if (mode == kPartialGrad) {
    req = Request<T>::partial_backward(py::cast<double>(grad_output), g_ptr[0], g_ptr[1], g_ptr[2]);
  } else {
    View<const T> g;
    if (want_grad) {
      if (grad_output.is_none()) {
        py::array_t<T> ones = new_array<T>(loss_shape);
        T* o = ones.mutable_data();
        const auto n = static_cast<size_t>(ones.size());
        {
          py::gil_scoped_release nogil;  // a large 'none' loss: fill without the GIL
          std::fill(o, o + n, T(1));
        }
        g_arr = ones;
      } else {
        g_arr = py::cast<py::array>(grad_output);
      }
      g = view<T>(g_arr, "grad_output");
    }
    req = Request<T>::value(g, want_loss ? loss.mutable_data() : nullptr, g_ptr[0], g_ptr[1], g_ptr[2]);
  }
  {
    py::gil_scoped_release nogil;
    kernel(req);
  }
  if (mode == kPartial) return py::make_tuple(partial.total, partial.denominator);
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
  if (mode == kBoth) return py::make_tuple(loss, grad_result);
  return grad_result;
}

void register_classification(py::module_& m);
void register_regression(py::module_& m);
void register_margin(py::module_& m);
void register_embedding(py::module_& m);
void register_sequence(py::module_& m);
void register_imbalance(py::module_& m);

}  // namespace lossx::binding
