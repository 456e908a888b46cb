// Shared pieces of the libFuzzer targets (cpp/fuzz/fuzz_<family>.cpp): a reader of the fuzz
// input, hostile shapes, strides, labels and float values, and the rules every call must obey:
//   - a call either returns or throws lossx::ValueError / lossx::TypeError (anything else aborts);
//   - a shape whose element count overflows int64, or a negative dimension, is a ValueError;
//   - a strided (non-contiguous) View is read in place by the elementwise losses and is a
//     ValueError everywhere else;
//   - the data behind every View is real memory of exactly the extent its shape and strides
//     claim (ASan catches a read outside it); when that extent is large, a small buffer is passed
//     and the call must fail validation before reading it (otherwise ASan reports the read).
// The replay driver (replay_main.cpp) runs the same LLVMFuzzerTestOneInput under GCC in ctest.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <tuple>
#include <type_traits>
#include <vector>

#include "lossx/lossx.hpp"

namespace lossx_fuzz {

using lossx::index_t;
using lossx::Shape;

// Stop the run with a message: a broken rule is a finding.
[[noreturn]] inline void finding(const char* what) {
  std::fprintf(stderr, "lossx fuzz finding: %s\n", what);
  std::abort();
}

class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
  bool empty() const { return p_ >= end_; }
  std::uint8_t byte() { return p_ < end_ ? *p_++ : 0; }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) v = (v << 8) | byte();
    return v;
  }
  std::uint64_t u64() { return (std::uint64_t(u32()) << 32) | u32(); }
  bool flag() { return byte() & 1; }
  int pick(int n) { return n <= 1 ? 0 : byte() % n; }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

// A float: mostly small ordinary values, sometimes one of the values that break kernels.
template <class T>
T any_float(Reader& r) {
  const std::uint8_t k = r.byte();
  using lim = std::numeric_limits<T>;
  switch (k % 16) {
    case 0: return lim::quiet_NaN();
    case 1: return lim::infinity();
    case 2: return -lim::infinity();
    case 3: return T(0);
    case 4: return -T(0);
    case 5: return lim::denorm_min();
    case 6: return lim::max();
    case 7: return lim::lowest();
    case 8: return T(1e4) * (k & 0x80 ? -1 : 1);
    case 9: return T(1) - lim::epsilon() / 2;
    default: return static_cast<T>(static_cast<int>(r.byte()) - 128) / T(32);
  }
}

// A value in [0, 1] (BCE inputs, probabilities), boundaries often.
template <class T>
T unit_float(Reader& r) {
  const std::uint8_t k = r.byte();
  switch (k % 8) {
    case 0: return T(0);
    case 1: return T(1);
    case 2: return std::numeric_limits<T>::denorm_min();
    case 3: return T(1) - std::numeric_limits<T>::epsilon() / 2;
    default: return static_cast<T>(r.byte()) / T(255);
  }
}

// An integer label for a class axis of size c: every boundary, and sometimes anything.
inline std::int64_t any_label(Reader& r, index_t c, index_t ignore_index) {
  switch (r.byte() % 12) {
    case 0: return -1;
    case 1: return c;
    case 2: return c - 1;
    case 3: return ignore_index;
    case 4: return std::numeric_limits<std::int64_t>::min();
    case 5: return std::numeric_limits<std::int64_t>::max();
    case 6: return -100;
    case 7: return static_cast<std::int64_t>(r.u64());
    default: return c > 0 ? static_cast<std::int64_t>(r.byte() % c) : 0;
  }
}

// Dimensions that are negative or multiply past INT64_MAX (docs/RELIABILITY.md, D1, fixed:
// Check::dims refuses them with a ValueError before any read), always generated now.
inline bool hostile_dims() { return true; }
// Whether to give strides to an argument that must be contiguous (a ValueError is expected; D2,
// fixed on main in 40d37f2).
template <class R>
bool strided_rows(R& r) {
  return r.byte() % 8 == 0;
}

// A dimension: usually small, sometimes large (2^31, 2^62: valid, but more than we can back with
// memory, so the call must fail on another argument or is skipped), and with hostile_dims()
// negative or overflowing in a product.
inline index_t any_dim(Reader& r, index_t small = 6) {
  const std::uint8_t k = r.byte();
  if (k < 232) return static_cast<index_t>(k % (small + 1));
  if (!hostile_dims()) return (k & 1) ? index_t(1) << 15 : index_t(1) << 13;  // 4 dims: < 2^63
  switch (k % 8) {
    case 0: return -1;
    case 1: return index_t(1) << 31;
    case 2: return index_t(1) << 62;
    case 3: return std::numeric_limits<index_t>::max();
    case 4: return std::numeric_limits<index_t>::min();
    case 5: return (index_t(1) << 32) + 1;
    case 6: return 3037000500;  // its square overflows int64
    default: return 0;
  }
}

// Element count of a shape, or -1 if a dimension is negative or the product overflows int64.
inline index_t checked_numel(const Shape& s) {
  index_t n = 1;
  bool zero = false;
  for (index_t d : s) {
    if (d < 0) return -1;
    if (d == 0) zero = true;
  }
  if (zero) return 0;
  for (index_t d : s)
    if (__builtin_mul_overflow(n, d, &n)) return -1;
  return n;
}

constexpr index_t kMaxElements = 1 << 14;  // bigger claims get a small buffer and must be refused

// A buffer of T behind a View of `shape` (and optionally `strides`), filled by `fill`.
// When the claimed extent is hostile or large, `huge` is set and the buffer is small.
template <class T>
struct Array {
  std::unique_ptr<T[]> buf;
  lossx::View<const T> view;
  bool huge = false;        // the shape claims more than kMaxElements (or overflows)
  bool strided = false;     // strides that are not the contiguous ones
  index_t extent = 0;       // elements allocated
};

// Random strides for `shape` (0, negative, gaps); returns false (contiguous) sometimes.
inline bool any_strides(Reader& r, const Shape& shape, Shape& strides) {
  if (!r.flag()) return false;
  strides.assign(shape.size(), 0);
  for (std::size_t k = 0; k < shape.size(); ++k) {
    const int s = static_cast<int>(r.byte() % 7) - 3;  // -3..3 elements
    strides[k] = s;
  }
  return true;
}

template <class T, class Fill>
Array<T> make_array(Reader& r, Shape shape, bool allow_strides, Fill fill) {
  Array<T> a;
  Shape strides;
  const bool with_strides = allow_strides && any_strides(r, shape, strides);
  const index_t n = checked_numel(shape);
  // Work is bounded too: an empty array with large other dims, such as (1, 0, 2^15, 2^15) logits,
  // is 2^30 empty rows, valid and slow (a libFuzzer timeout, not a defect): treated as huge.
  Shape nonzero = shape;
  for (index_t& d : nonzero) d = d == 0 ? 1 : d;
  const index_t work = checked_numel(nonzero);
  a.huge = n < 0 || n > kMaxElements || (n == 0 && (work < 0 || work > kMaxElements));
  if (a.huge) {
    a.extent = 16;  // whatever the View claims, only this much is real
  } else if (with_strides && n > 0) {
    index_t lo = 0, hi = 0;
    for (std::size_t k = 0; k < shape.size(); ++k) {
      const index_t span = (shape[k] - 1) * strides[k];
      (span < 0 ? lo : hi) += span;
    }
    a.extent = hi - lo + 1;
    a.buf.reset(new T[static_cast<std::size_t>(a.extent)]);
    for (index_t i = 0; i < a.extent; ++i) a.buf[static_cast<std::size_t>(i)] = fill(r);
    a.view = lossx::View<const T>{a.buf.get() - lo, shape, strides};
    lossx::View<const T> probe{nullptr, shape, strides};
    a.strided = !probe.contiguous();  // (n > 0 here: an empty array is contiguous whatever its strides)
    return a;
  } else {
    a.extent = n;
  }
  a.buf.reset(new T[static_cast<std::size_t>(a.extent > 0 ? a.extent : 1)]);
  for (index_t i = 0; i < a.extent; ++i) a.buf[static_cast<std::size_t>(i)] = fill(r);
  a.view = lossx::View<const T>{a.buf.get(), shape, with_strides ? strides : Shape{}};
  if (with_strides && n != 0) {  // an empty array is contiguous whatever its strides (as in NumPy)
    lossx::View<const T> probe{nullptr, shape, strides};
    a.strided = !probe.contiguous();
  }
  return a;
}

inline void debug(const char* what, const Shape& s, bool flag = false) {
  if (!std::getenv("LOSSX_FUZZ_VERBOSE")) return;
  std::fprintf(stderr, "  %s %s%s\n", what, lossx::shape_str(s).c_str(), flag ? " (flag)" : "");
}

inline Shape any_shape(Reader& r, int max_ndim = 4, index_t small = 6) {
  Shape s(static_cast<std::size_t>(r.pick(max_ndim + 1)));
  for (index_t& d : s) d = any_dim(r, small);
  return s;
}

// A reduction; `bad` is set when it is not one this loss accepts (ValueError expected).
inline lossx::Reduction any_reduction(Reader& r, bool& bad, bool batchmean_ok = false) {
  switch (r.byte() % 8) {
    case 0: return lossx::Reduction::None;
    case 1: return lossx::Reduction::Sum;
    case 2: bad = bad || !batchmean_ok; return lossx::Reduction::BatchMean;
    case 3: return static_cast<lossx::Reduction>(7);  // not a Reduction at all: accepted today (see
                                                      // docs/RELIABILITY.md), so only "no crash" is asked
    default: return lossx::Reduction::Mean;
  }
}

// What a call wants: the loss, the gradient or both, with a grad_output of the right shape
// (mostly) for the 'none' shape the loss reports.
enum class Mode { Loss, Grad, Both };

// Runs `call` and enforces the rules: only lossx::ValueError / TypeError may escape, and a call
// whose arguments the harness knows to be invalid (`must_fail`) must throw.
template <class F>
void expect(F&& call, bool must_fail, const char* what) {
  bool threw = false;
  try {
    call();
  } catch (const lossx::ValueError&) {
    threw = true;
  } catch (const lossx::TypeError&) {
    threw = true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: unexpected exception: %s\n", what, e.what());
    finding("an exception that is not lossx::ValueError / TypeError");
  }
  if (must_fail && !threw) {
    std::fprintf(stderr, "%s: returned normally\n", what);
    finding("invalid arguments accepted (huge/overflowing shape, strided view or bad option)");
  }
}

// The options type of a loss, taken from its wrapper `NAME(inputs..., const Options&, T* loss)`,
// so that the harness does not depend on the options' type names (being renamed).
template <class F>
struct options_of;
template <class R, class... A>
struct options_of<R (*)(A...)> {
  using type = std::decay_t<std::tuple_element_t<sizeof...(A) - 2, std::tuple<A...>>>;
};
template <auto F>
using Options = typename options_of<decltype(F)>::type;


// One fuzzed call of a loss. `arrays` are the extents of every input (numel, -1 if it
// overflows); `known_bad` says the harness knows the call is invalid (a mismatch it built on
// purpose, a strided View where none is allowed, a bad option). shape_fn() is NAME_shape;
// run(grad_output, loss, g1, g2, g3) the kernel. grad_sizes: the elements of each gradient.
template <class T, class ShapeFn, class RunFn>
void drive(Reader& r, const char* name, std::initializer_list<index_t> arrays, bool huge_somewhere, bool known_bad,
           lossx::Reduction reduction, ShapeFn&& shape_fn, std::initializer_list<index_t> grad_sizes, RunFn&& run) {
  bool overflow = false;
  for (index_t n : arrays) overflow = overflow || n < 0;
  if (std::getenv("LOSSX_FUZZ_VERBOSE")) {
    std::fprintf(stderr, "%s: numels", name);
    for (index_t n : arrays) std::fprintf(stderr, " %lld", static_cast<long long>(n));
    std::fprintf(stderr, " huge=%d known_bad=%d reduction=%d\n", huge_somewhere, known_bad, static_cast<int>(reduction));
  }
  bool must_fail = known_bad || overflow;
  Shape none;
  bool shape_ok = true;
  try {
    none = shape_fn();
  } catch (const lossx::ValueError&) {
    shape_ok = false;
  } catch (const lossx::TypeError&) {
    shape_ok = false;
  }
  if (shape_ok && overflow) {  // a negative or overflowing shape: NAME_shape must refuse it too
    std::fprintf(stderr, "%s: NAME_shape accepted a negative or overflowing shape\n", name);
    finding("invalid shape accepted by the shape function");
  }
  if (!shape_ok) must_fail = true;
  if (huge_somewhere && !must_fail) return;  // valid but too large to back with real memory
  const bool reduced = reduction != lossx::Reduction::None;
  Shape out_shape = shape_ok && !reduced ? none : Shape{};
  index_t out_n = checked_numel(out_shape);
  if (out_n < 0) finding("the shape function returned an overflowing 'none' shape");
  if (out_n > kMaxElements) {
    if (!must_fail) return;  // an empty input with a large 'none' shape, e.g. (2^15, 2^13, 0) rows: valid
    out_n = 16;
  }
  const int mode = r.pick(3);  // 0 loss, 1 gradient, 2 both
  std::vector<T> loss(static_cast<std::size_t>(out_n > 0 ? out_n : 1));
  std::vector<std::vector<T>> grads;
  for (index_t g : grad_sizes) grads.emplace_back(static_cast<std::size_t>(g > 0 && g <= kMaxElements ? g : 16));
  std::vector<T> go_buf(static_cast<std::size_t>(out_n > 0 ? out_n : 1));
  for (T& v : go_buf) v = any_float<T>(r);
  lossx::View<const T> grad_output{};
  if (mode != 0) {
    grad_output = lossx::View<const T>{go_buf.data(), out_shape};
    if (r.byte() % 16 == 0) {  // a grad_output of the wrong shape
      grad_output.shape = Shape{out_n + 1};
      go_buf.resize(static_cast<std::size_t>(out_n + 1));
      grad_output.data = go_buf.data();
      must_fail = true;
    }
  }
  T* g[3] = {nullptr, nullptr, nullptr};
  if (mode != 0)
    for (std::size_t k = 0; k < grads.size() && k < 3; ++k) g[k] = grads[k].data();
  expect([&] { run(grad_output, mode != 1 ? loss.data() : nullptr, g[0], g[1], g[2]); }, must_fail, name);
}

// An (input, target of the same shape, options) loss: l1, mse, smooth_l1, huber, poisson_nll,
// bce, bce_with_logits, kl_div, hinge_embedding, soft_margin, multilabel_soft_margin.
// `strides_ok`: whether the loss reads strided input/target in place. `prepare(opt, shape)` may
// set options (a weight View) and returns whether they are invalid on purpose.
template <class T, class Opt, class ShapeF, class RunF, class FillX, class FillY, class Prepare>
void pair_loss(Reader& r, const char* name, bool strides_ok, bool batchmean_ok, FillX fill_x, FillY fill_y,
               Prepare prepare, ShapeF shape_fn, RunF run_fn) {
  Shape shape = any_shape(r);
  Shape tshape = r.byte() % 8 == 0 ? any_shape(r) : shape;
  Array<T> x = make_array<T>(r, shape, strides_ok || strided_rows(r), fill_x);
  Array<T> y = make_array<T>(r, tshape, strides_ok || strided_rows(r), fill_y);
  Opt opt;
  bool bad = tshape != shape;
  opt.reduction = any_reduction(r, bad, batchmean_ok);
  std::vector<T> extra;
  bad = prepare(r, opt, shape, extra) || bad;
  if (!strides_ok && (x.strided || y.strided)) bad = true;
  const index_t nx = checked_numel(shape);
  drive<T>(r, name, {nx, checked_numel(tshape)}, x.huge || y.huge, bad, opt.reduction,
           [&] { return shape_fn(x.view, y.view, opt); }, {nx},
           [&](lossx::View<const T> go, T* loss, T* g1, T*, T*) { run_fn(x.view, y.view, opt, go, loss, g1); });
}

template <class T>
T small_float(Reader& r) { return static_cast<T>(static_cast<int>(r.byte()) - 128) / T(16); }

}  // namespace lossx_fuzz
