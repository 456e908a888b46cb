// Error formatting and the shape checks shared by every loss.
#include "core/check.hpp"

#include <algorithm>
#include <limits>

namespace lossx {

index_t numel(const Shape& shape) {
  // Checked: a negative dimension or a product past int64 is an error, never a wrapped count
  // (kernels validate their arguments with Check::dims first, which names the argument).
  for (index_t d : shape)
    if (d == 0) return 0;
  index_t n = 1;
  for (index_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n))
      throw ValueError(cat("lossx: the shape ", shape_str(shape), " has no valid element count"));
  }
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

Reduction parse_reduction(const std::string& text, const char* loss, bool allow_batchmean) {
  if (text == "none") return Reduction::None;
  if (text == "mean") return Reduction::Mean;
  if (text == "sum") return Reduction::Sum;
  if (text == "batchmean" && allow_batchmean) return Reduction::BatchMean;
  Check{loss}.fail("reduction", allow_batchmean ? "be one of 'none', 'batchmean', 'sum', 'mean'"
                                                : "be one of 'none', 'mean', 'sum'",
                   "'" + text + "'");
}

const char* reduction_str(Reduction r) {
  switch (r) {
    case Reduction::None: return "none";
    case Reduction::Mean: return "mean";
    case Reduction::Sum: return "sum";
    case Reduction::BatchMean: return "batchmean";
  }
  return "?";
}

void Check::fail(const std::string& arg, const std::string& expected, const std::string& got) const {
  throw ValueError(cat(loss, ": '", arg, "' must ", expected, "; got ", got));
}

void Check::fail_type(const std::string& arg, const std::string& expected, const std::string& got) const {
  throw TypeError(cat(loss, ": '", arg, "' must ", expected, "; got ", got));
}

void Check::dims(const char* arg, const Shape& shape) const {
  // Byte sizes of up to 16-byte elements must fit as well. As in NumPy, the product of the
  // non-zero dimensions must fit even when another dimension is 0: the kernels multiply
  // sub-products of a shape (rows x inner size, the 'none' shape, ...), which must not overflow.
  constexpr index_t kMaxElements = std::numeric_limits<index_t>::max() / 16;
  index_t n = 1;
  bool overflow = false;
  for (index_t d : shape) {
    if (d < 0) fail(arg, "have dimensions >= 0", cat("shape ", shape_str(shape)));
    if (!overflow && d != 0) overflow = __builtin_mul_overflow(n, d, &n) || n > kMaxElements;
  }
  if (overflow)
    fail(arg, cat("have at most ", kMaxElements, " elements (counting the non-zero dimensions)"),
         cat("shape ", shape_str(shape)));
}

void Check::shape_is(const char* arg, const Shape& got, const Shape& want, const char* other,
                     const Shape& other_shape) const {
  if (got != want)
    fail(arg, cat("have shape ", shape_str(want), " to match '", other, "' ", shape_str(other_shape)),
         shape_str(got));
}

void Check::ndim_between(const char* arg, const Shape& got, index_t lo, index_t hi) const {
  const auto nd = static_cast<index_t>(got.size());
  if (nd < lo || nd > hi) {
    const std::string want = lo == hi ? cat("be ", lo, "-D")
                             : hi > 64 ? cat("have at least ", lo, " dimensions")
                                       : cat("have between ", lo, " and ", hi, " dimensions");
    fail(arg, want, cat(nd, "-D array of shape ", shape_str(got)));
  }
}

void Check::class_vector(const char* arg, const Shape& got, index_t classes) const {
  if (got.size() != 1 || got[0] != classes)
    fail(arg, cat("be a 1-D array of shape (", classes, ",), one value per class"), cat("shape ", shape_str(got)));
}

Shape Check::broadcast_strides(const char* arg, const Shape& from, const char* other, const Shape& to) const {
  if (from.size() > to.size())
    fail(arg, cat("be broadcastable to the shape of '", other, "' ", shape_str(to)), shape_str(from));
  Shape strides(to.size(), 0);
  index_t stride = 1;
  const size_t off = to.size() - from.size();
  for (size_t k = from.size(); k-- > 0;) {
    const index_t f = from[k], t = to[k + off];
    if (f != t && f != 1)
      fail(arg, cat("be broadcastable to the shape of '", other, "' ", shape_str(to)), shape_str(from));
    strides[k + off] = f == 1 ? 0 : stride;
    stride *= f;
  }
  return strides;
}

void Check::grad_output(const Shape& got, Reduction r, const Shape& none_shape) const {
  if (r == Reduction::None) {
    // Shape () is a uniform grad_output (one value for every term; see Request::grad_output).
    if (got != none_shape && !got.empty())
      fail("grad_output",
           cat("have the shape of the unreduced loss ", shape_str(none_shape), " (or shape () for one value for every term)"),
           shape_str(got));
  } else if (!got.empty()) {
    fail("grad_output", cat("be a scalar (shape ()) for reduction='", reduction_str(r), "'"), shape_str(got));
  }
}

}  // namespace lossx
