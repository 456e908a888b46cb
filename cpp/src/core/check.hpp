// Internal: the validation vocabulary. Every check in lossx goes through a `Check`,
// so that all messages share one template:
//   "<loss>: '<argument>' must <expectation>; got <actual>".
#pragma once

#include <sstream>
#include <string>

#include "lossx/core/error.hpp"
#include "lossx/core/view.hpp"

namespace lossx {

namespace detail {
inline void cat_into(std::ostringstream&) {}
template <class A, class... Rest>
void cat_into(std::ostringstream& os, const A& a, const Rest&... rest) {
  os << a;
  cat_into(os, rest...);
}
}  // namespace detail

/// Concatenates its arguments with `operator<<`.
template <class... A>
std::string cat(const A&... a) {
  std::ostringstream os;
  os.precision(17);
  detail::cat_into(os, a...);
  return os.str();
}

/// The validation vocabulary, bound to the name of the loss being checked.
struct Check {
  const char* loss;

  [[noreturn]] void fail(const std::string& arg, const std::string& expected, const std::string& got) const;
  [[noreturn]] void fail_type(const std::string& arg, const std::string& expected, const std::string& got) const;

  /// `arg` must have the shape of `other`.
  void same_shape(const char* arg, const Shape& got, const char* other, const Shape& other_shape) const {
    shape_is(arg, got, other_shape, other, other_shape);
  }
  /// `arg` must have shape `want`, derived from `other`'s shape (named in the message).
  void shape_is(const char* arg, const Shape& got, const Shape& want, const char* other,
                const Shape& other_shape) const;
  /// ndim of `arg` must lie in [lo, hi].
  void ndim_between(const char* arg, const Shape& got, index_t lo, index_t hi) const;
  /// `cond` must hold for parameter `arg`; `expected` says what was wanted.
  template <class V>
  void param(bool cond, const char* arg, const std::string& expected, const V& got) const {
    if (!cond) fail(arg, expected, cat(got));
  }
  /// Every dimension of `shape` is >= 0 and the element count (and its size in bytes) fits in
  /// int64: a shape that overflows cannot describe real memory, and counting it would wrap around.
  void dims(const char* arg, const Shape& shape) const;
  /// `v` must be a valid contiguous array (only the elementwise losses read strided views).
  template <class T>
  void contiguous(const char* arg, const View<T>& v) const {
    dims(arg, v.shape);
    if (!v.contiguous()) fail(arg, "be a contiguous (row-major) array for this loss", "a strided view");
  }
  /// A possibly strided array: valid dimensions and one stride per dimension (or none).
  template <class T>
  void strides(const char* arg, const View<T>& v) const {
    dims(arg, v.shape);
    if (!v.strides.empty() && v.strides.size() != v.shape.size())
      fail(arg, cat("have one stride per dimension (", v.shape.size(), ")"), cat(v.strides.size(), " strides"));
  }
  /// Shape of a 1-D per-class vector: (C,).
  void class_vector(const char* arg, const Shape& got, index_t classes) const;
  /// Strides (in elements, 0 where broadcast) that map `from` onto `to` by
  /// NumPy broadcasting without changing `to`; ValueError otherwise.
  Shape broadcast_strides(const char* arg, const Shape& from, const char* other, const Shape& to) const;
  /// The grad_output given to a backward must have shape () if reduced; for 'none', the 'none'
  /// shape or shape () (uniform: one value for every term, see Request::grad_output).
  void grad_output(const Shape& got, Reduction r, const Shape& none_shape) const;
  /// The same for the View itself, which must also be given (data != nullptr).
  template <class T>
  void grad_output(const View<const T>& g, Reduction r, const Shape& none_shape) const {
    if (!g.data) fail("grad_output", "be given when a gradient is requested", "no data (nullptr)");
    grad_output(g.shape, r, none_shape);
  }
};

}  // namespace lossx
