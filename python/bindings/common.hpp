// The binding's shared helpers: dtype dispatch, zero-copy views, and `run`,
// which allocates outputs with the GIL held and runs a kernel without it.
// No arithmetic here: every number is computed in cpp/.
//
// The Python layer (python/lossx/_convert.py) has already applied lossx's
// dtype rules and made every array native-endian and C-contiguous (copying
// only when it was not), so these helpers only verify and wrap. On its lean
// path (python/lossx/_api.py) it passes the caller's arrays unconverted: any
// mismatch raises here, and the Python layer then takes its general path.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "alloc.hpp"
#include "lossx/lossx.hpp"

namespace lossx::binding {

namespace py = pybind11;

inline Shape shape_of(const py::array& a) {
  return Shape(a.shape(), a.shape() + a.ndim());
}

/// Whether `a` holds exactly T (float32/float64: kind 'f', int32/int64: kind 'i', of T's size)
/// in native byte order. Read from the dtype's fields: dtype::equal goes through NumPy's casting
/// tables, which costs a small call several times over.
template <class T>
bool has_dtype(const py::array& a) {
  static_assert(std::is_floating_point_v<T> || std::is_integral_v<T>, "a float or an integer type");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  constexpr char kSwapped = '<';
#else
  constexpr char kSwapped = '>';
#endif
  const py::dtype d = a.dtype();
  return d.kind() == (std::is_floating_point_v<T> ? 'f' : 'i') && d.itemsize() == static_cast<py::ssize_t>(sizeof(T)) &&
         d.byteorder() != kSwapped;
}

inline bool is_float(const py::array& a) { return has_dtype<float>(a) || has_dtype<double>(a); }

/// A View of a C-contiguous array of exactly T (no conversion, no copy).
template <class T>
View<const T> view(const py::array& a, const char* name) {
  if (!has_dtype<T>(a) || !(a.flags() & py::array::c_style))
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
  if (!has_dtype<T>(a) || !(a.flags() & kAligned))
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
  if (has_dtype<float>(a)) return f(float{});
  if (has_dtype<double>(a)) return f(double{});
  throw TypeError(std::string(loss) + ": '" + name + "' must be a float32 or float64 array; got " +
                  std::string(py::str(a.dtype())));
}

/// Calls f(I{}) for an int32 or int64 array.
template <class F>
py::object with_index(const py::array& a, const char* loss, const char* name, F&& f) {
  if (has_dtype<std::int32_t>(a)) return f(std::int32_t{});
  if (has_dtype<std::int64_t>(a)) return f(std::int64_t{});
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

/// Where a call's results go (SPEC "Output buffers"): `out` is the loss buffer (kLoss, kBoth)
/// or the gradient buffer(s) (kGrad), `grad_out` the gradient buffer(s) of kBoth; None means a
/// fresh array. `fn` names the loss in error messages.
struct Outputs {
  const char* fn;
  const py::object& out;
  const py::object& grad_out;
};

inline std::string shape_str(const Shape& s) {
  std::string r = "(";
  for (size_t k = 0; k < s.size(); ++k)
    r += std::to_string(s[k]) + (s.size() == 1 ? "," : k + 1 < s.size() ? ", " : "");
  return r + ")";
}

/// The caller's output buffer `buf` for a result of `shape`, checked (a C-contiguous, aligned,
/// writeable NumPy array of exactly T and that shape), or a fresh array when `buf` is None.
/// The returned array is `buf` itself, so the caller gets back the object it passed.
template <class T>
py::array_t<T> output(const char* fn, const std::string& name, py::handle buf, const Shape& shape) {
  if (buf.is_none()) return new_array<T>(shape);
  const std::string what = std::string(fn) + ": '" + name + "' must be ";
  if (!py::isinstance<py::array>(buf))
    throw TypeError(what + "a NumPy array; got " + std::string(py::str(py::type::handle_of(buf).attr("__name__"))));
  auto a = py::reinterpret_borrow<py::array>(buf);
  if (!has_dtype<T>(a))
    throw TypeError(what + "a native-endian array of the result's dtype " + std::string(py::str(py::dtype::of<T>())) +
                    "; got dtype " + std::string(py::str(a.dtype())));
  if (shape_of(a) != shape)
    throw ValueError(what + "an array of the result's shape " + shape_str(shape) + "; got " + shape_str(shape_of(a)));
  constexpr int kAligned = py::detail::npy_api::NPY_ARRAY_ALIGNED_;
  if (!(a.flags() & py::array::c_style) || !(a.flags() & kAligned))
    throw ValueError(what + "C-contiguous and aligned; got a non-contiguous or unaligned array");
  if (!a.writeable()) throw ValueError(what + "writeable; got a read-only array");
  return py::reinterpret_borrow<py::array_t<T>>(a);
}

/// The gradient buffers for `shapes` from `buf`: one array for one gradient, a tuple (or list)
/// of arrays, one per gradient, for several.
template <class T>
std::vector<py::array_t<T>> grad_outputs(const char* fn, const char* name, py::handle buf,
                                         const std::vector<Shape>& shapes) {
  std::vector<py::array_t<T>> grads;
  if (shapes.size() == 1 || buf.is_none()) {
    for (const Shape& s : shapes) grads.push_back(output<T>(fn, name, buf, s));
    return grads;
  }
  if (!py::isinstance<py::tuple>(buf) && !py::isinstance<py::list>(buf))
    throw TypeError(std::string(fn) + ": '" + name + "' must be a tuple of " + std::to_string(shapes.size()) +
                    " arrays (one per gradient); got " +
                    std::string(py::str(py::type::handle_of(buf).attr("__name__"))));
  auto seq = py::reinterpret_borrow<py::sequence>(buf);
  if (seq.size() != shapes.size())
    throw ValueError(std::string(fn) + ": '" + name + "' must be a tuple of " + std::to_string(shapes.size()) +
                     " arrays (one per gradient); got " + std::to_string(seq.size()));
  for (size_t k = 0; k < shapes.size(); ++k)
    grads.push_back(output<T>(fn, std::string(name) + "[" + std::to_string(k) + "]", seq[k], shapes[k]));
  return grads;
}

/// Runs `kernel(request)` for `mode` and returns what the mode asks for: the loss; the
/// gradient (a tuple if there are several); (loss, gradient); the partial sums as a tuple of
/// two Python floats (total, denominator); or the gradient of scale · total.
/// `none_shape` is the unreduced loss's shape and `grad_shapes` one shape per differentiable
/// input. `grad_output`: None (ones), a Python float, or an array of the prediction's dtype
/// for kGrad / kBoth; the Python float `scale` for kPartialGrad; unused otherwise. Results go
/// to `outs` (checked) or to fresh arrays allocated with the GIL held; the kernel runs without it.
template <class T, class K>
py::object run(const Outputs& outs, int mode, const py::object& grad_output, const Shape& none_shape, Reduction r,
               const std::vector<Shape>& grad_shapes, K&& kernel) {
  if (mode < kLoss || mode > kPartialGrad) throw ValueError("lossx: internal: unknown mode " + std::to_string(mode));
  const bool want_loss = mode == kLoss || mode == kBoth;
  const bool want_grad = mode == kGrad || mode == kBoth || mode == kPartialGrad;
  const Shape loss_shape = r == Reduction::None ? none_shape : Shape{};
  py::array_t<T> loss;
  if (want_loss) loss = output<T>(outs.fn, "out", outs.out, loss_shape);
  std::vector<py::array_t<T>> grads;
  T* g_ptr[3] = {nullptr, nullptr, nullptr};
  if (want_grad) {
    const bool fused = mode == kBoth;
    grads = grad_outputs<T>(outs.fn, fused ? "grad_out" : "out", fused ? outs.grad_out : outs.out, grad_shapes);
    for (size_t k = 0; k < grads.size(); ++k) g_ptr[k] = grads[k].mutable_data();
  }
  Request<T> req;
  Partial partial;
  py::array g_arr;
  T g_scalar = T(1);  // a 0-d grad_output: None (1) or a Python float
  if (mode == kPartial) {
    req = Request<T>::partial_sums(&partial);
  } else if (mode == kPartialGrad) {
    req = Request<T>::partial_backward(py::cast<double>(grad_output), g_ptr[0], g_ptr[1], g_ptr[2]);
  } else {
    View<const T> g;
    if (want_grad) {
      if (grad_output.is_none()) {
        // Ones: for 'none' the kernel's uniform grad_output (Request::grad_output), a 0-d 1
        // that every term's gradient uses, bitwise as an array of ones would, without one.
        g = View<const T>{&g_scalar, Shape{}};
      } else {
        if (PyFloat_CheckExact(grad_output.ptr())) {
          // As NumPy's cast of the float64 value to T (round to nearest) in _convert.grad_output.
          g_scalar = static_cast<T>(PyFloat_AS_DOUBLE(grad_output.ptr()));
          g = View<const T>{&g_scalar, Shape{}};
        } else {
          g_arr = py::cast<py::array>(grad_output);
          g = view<T>(g_arr, "grad_output");
        }
        // The kernels take a 0-d grad_output for 'none' too (uniform); the Python API does
        // not: a caller's grad_output of a 'none' loss has the loss's shape.
        if (r == Reduction::None && g.shape.empty() && !loss_shape.empty())
          throw ValueError(std::string(outs.fn) + ": 'grad_output' must have the shape of the unreduced loss " +
                           shape_str(loss_shape) + "; got ()");
      }
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
