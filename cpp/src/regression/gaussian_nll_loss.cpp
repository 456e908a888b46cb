// gaussian_nll_loss — as torch.nn.functional.gaussian_nll_loss, input x, target y, variance var:
//   v = max(var, eps)                       (broadcast onto x by PyTorch's shape rules)
//   l = 0.5·(log v + (x − y)²/v)  [+ 0.5·log(2π) if full]
//   d l/d x   = (x − y)/v
//   d l/d var = 0.5·(1/v − (x − y)²/v²)     evaluated at the clamped v, also below eps:
//     PyTorch clamps a clone of var in place under no_grad, so autograd sees the
//     clamp as the identity (var = 1e-8, eps = 1e-6 gives −4.999995e11, not 0). SPEC keeps this.
// Any var < 0 is a ValueError (a pre-pass over var); nan passes through, as in PyTorch.
//
// Broadcast layout. Every accepted var shape is the input's shape (outer, M, inner)
// with the middle dim M collapsed to 1: the same shape (M = 1), the shape without
// the last dim (inner = 1), one mismatched dim of var size 1, or a single value
// (a Python float: outer = inner = 1). So var element r owns the "row" of M input
// elements base(r) + m·inner, and its gradient is the sum over that row.
// Rows are cut into chunks of at most kElementGrain elements; each (row, chunk)
// item sums in double in a fixed order, and a row's chunk partials are added in
// chunk order: the var gradient is computed without atomics or scatter-adds and is
// bitwise independent of the thread count, even for a single var value.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "elementwise_loss.hpp"

namespace lossx {
namespace {

struct VarLayout {
  index_t outer = 1, middle = 1, inner = 1;  // input = (outer, middle, inner); var = (outer, inner)
  index_t rows() const { return outer * inner; }
  index_t base(index_t r) const { return (r / inner) * middle * inner + r % inner; }
};

index_t prod(const Shape& s, size_t begin, size_t end) {
  index_t p = 1;
  for (size_t k = begin; k < end; ++k) p *= s[k];
  return p;
}

// PyTorch's accepted var shapes (F.gaussian_nll_loss), as a layout; ValueError otherwise.
VarLayout var_layout(const Check& ck, const Shape& x, const Shape& v, bool scalar_var) {
  VarLayout l;
  if (scalar_var) {
    ck.param(numel(v) == 1, "var", "hold exactly one value when given as a number", cat("shape ", shape_str(v)));
    l.middle = numel(x);
    return l;
  }
  if (v == x) {
    l.outer = numel(x);
    return l;
  }
  const size_t n = x.size();
  if (n >= 1 && v == Shape(x.begin(), x.end() - 1)) {  // one variance per row: unsqueezed to (..., 1)
    l.outer = numel(v);
    l.middle = x[n - 1];
    return l;
  }
  if (v.size() == n) {
    size_t mismatched = 0, at = 0;
    for (size_t k = 0; k < n; ++k)
      if (v[k] != x[k]) ++mismatched, at = k;
    if (mismatched == 1 && v[at] == 1) {
      l.outer = prod(x, 0, at);
      l.middle = x[at];
      l.inner = prod(x, at + 1, n);
      return l;
    }
  }
  ck.fail("var",
          cat("have the input's shape ", shape_str(x), ", the input's shape without its last dim",
              n >= 1 ? cat(" ", shape_str(Shape(x.begin(), x.end() - 1))) : std::string(),
              ", or the input's ndim with exactly one differing dim where var has size 1"),
          shape_str(v));
}

// The count of negative var values in [b, e): a clone, so that it runs with the widest vectors
// (a count in T is exact: a block has < 2^24 values).
template <class T>
LOSSX_SIMD_CLONES T count_negative(const T* v, index_t b, index_t e) {
  T c = 0;
#pragma omp simd reduction(+ : c)
  for (index_t i = b; i < e; ++i) c += v[i] < T(0) ? T(1) : T(0);
  return c;
}

// log v of one var value of the broadcast path: lossx::vlog_fast in a clone, so that it gives the
// bits of the dense path's (the same code for the same instruction set), for one var per element
// or one per row alike.
template <class T>
LOSSX_SIMD_CLONES T log_var(T v) {
  return vlog_fast(v);
}

// Pre-pass: every var value >= 0 (nan passes, as in PyTorch). The count is a
// parallel pass; only when it finds something is the first position looked up.
template <class T>
void check_var_non_negative(const Check& ck, View<const T> var) {
  const index_t n = var.numel();
  const T* v = var.data;
  const double bad = block_sum(n, detail::kElementGrain,
                               [&](index_t b, index_t e) { return static_cast<double>(count_negative(v, b, e)); });
  if (bad == 0.0) return;
  for (index_t i = 0; i < n; ++i)
    if (v[i] < T(0)) ck.fail("var", "be >= 0 everywhere", cat(v[i], " at flat position ", i));
}

// Dense var (the input's shape, the common case): one var value per element, so the general
// row/chunk walk degenerates; these plain loops vectorise instead (lossx::vlog_fast for the log). Each
// sub-chunk of kFuseChunk elements runs its loss (or sum) loop and its gradient loops back to back
// while x, y, var are in L1. The loss keeps d²/v (a division: a product there would be fused
// into a multiply-add in the FMA clones, and the loss must stay bitwise the broadcast path's); the
// gradients divide 1/v once per element (in float for float), kept in an L1 buffer: d l/d x is
// g·(d·(1/v)), as in the broadcast path. d l/d var = 0.5·(v − d²)·(1/v)²: v − d² is formed in double
// (d = x − y is exact there and, for float, so is d²: the cancellation where d² ≈ v costs
// nothing), the rest in T (a few ulp; no double division); 0 at v = inf, as 1/v − d²/v² gives.
template <class T>
LOSSX_SIMD_CLONES double gaussian_dense_block(const T* x, const T* y, const T* v, index_t b, index_t e, T eps,
                                              T add, T* loss_elems, bool want_sum, const T* g, T gs, T* gin,
                                              T* gvar) {
  double s = 0.0;
  T ib[detail::kFuseChunk];  // 1 / max(var, eps) of the current sub-chunk
  for (index_t c0 = b; c0 < e; c0 += detail::kFuseChunk) {
    const index_t m = e - c0 > detail::kFuseChunk ? detail::kFuseChunk : e - c0;
    const T *xc = x + c0, *yc = y + c0, *vp = v + c0;
    if (loss_elems) {
      T* lc = loss_elems + c0;
#pragma omp simd
      for (index_t i = 0; i < m; ++i) {
        const T vc = vp[i] < eps ? eps : vp[i];
        const T d = xc[i] - yc[i];
        lc[i] = T(0.5) * (vlog_fast(vc) + d * d / vc) + add;
      }
    } else if (want_sum) {
      double t = 0.0;
#pragma omp simd reduction(+ : t)
      for (index_t i = 0; i < m; ++i) {
        const T vc = vp[i] < eps ? eps : vp[i];
        const T d = xc[i] - yc[i];
        t += static_cast<double>(T(0.5) * (vlog_fast(vc) + d * d / vc) + add);
      }
      s += t;
    }
    if (!gin && !gvar) continue;
#pragma omp simd
    for (index_t i = 0; i < m; ++i) ib[i] = T(1) / (vp[i] < eps ? eps : vp[i]);
    // grad_output per element ('none') or one scalar: two loops, no load behind a branch.
    auto grads = [&](auto gi_of) LOSSX_INLINE_LAMBDA {
      if (gin) {
        T* gc = gin + c0;
#pragma omp simd
        for (index_t i = 0; i < m; ++i) gc[i] = gi_of(c0 + i) * ((xc[i] - yc[i]) * ib[i]);
      }
      if (gvar) {
        T* gc = gvar + c0;
#pragma omp simd
        for (index_t i = 0; i < m; ++i) {
          const T vc = vp[i] < eps ? eps : vp[i];
          const double d = static_cast<double>(xc[i]) - static_cast<double>(yc[i]);
          const T w = static_cast<T>(static_cast<double>(vc) - d * d);  // v − d², cancellation in double
          const T gv = T(0.5) * w * (ib[i] * ib[i]);
          gc[i] = gi_of(c0 + i) * (vc == std::numeric_limits<T>::infinity() ? T(0) : gv);
        }
      }
    };
    if (g)
      grads([&](index_t i) LOSSX_INLINE_LAMBDA { return g[i]; });
    else
      grads([&](index_t) LOSSX_INLINE_LAMBDA { return gs; });
  }
  return s;
}

}  // namespace

template <class T>
Shape gaussian_nll_loss_shape(View<const T> input, View<const T> target, View<const T> var,
                              const GaussianNllLossOptions<T>& opt) {
  const Check ck{"gaussian_nll_loss"};
  ck.contiguous("input", input);
  ck.contiguous("target", target);
  ck.contiguous("var", var);
  detail::check_elementwise(ck, input, target, opt.reduction);
  var_layout(ck, input.shape, var.shape, opt.scalar_var);
  return input.shape;
}

template <class T>
void gaussian_nll_loss_run(View<const T> input, View<const T> target, View<const T> var,
                           const GaussianNllLossOptions<T>& opt, const Request<T>& request) {
  const Check ck{"gaussian_nll_loss"};
  const Shape shape = gaussian_nll_loss_shape(input, target, var, opt);
  const VarLayout lay = var_layout(ck, input.shape, var.shape, opt.scalar_var);
  const index_t n = numel(shape);
  detail::Reducer<T> red(ck, opt.reduction, shape, request, static_cast<double>(n));
  check_var_non_negative(ck, var);

  T* grad_input = red.grad();
  T* grad_var = red.grad2();
  const bool want_grad = red.wants_grad();
  const T* g = red.term_grad_output();
  const T gs = static_cast<T>(red.grad_scale());
  T* loss_elems = red.term_values();
  const bool want_sum = red.wants_total();

  const T eps = static_cast<T>(opt.eps);
  const T half_log_2pi = static_cast<T>(0.5 * std::log(2.0 * 3.14159265358979323846));
  const T* x = input.data;
  const T* y = target.data;

  if (lay.middle == 1 && !opt.scalar_var) {
    const T add = opt.full ? half_log_2pi : T(0);
    const double total = block_sum(n, detail::kElementGrain, [&](index_t b, index_t e) {
      return gaussian_dense_block<T>(x, y, var.data, b, e, eps, add, loss_elems, want_sum, g, gs, grad_input,
                                     grad_var);
    });
    red.finish(total);
    return;
  }

  // Items are (row, chunk) pairs; see the header comment.
  const index_t chunk = detail::kElementGrain;
  const index_t chunks = lay.middle > chunk ? (lay.middle + chunk - 1) / chunk : 1;
  const index_t items = lay.rows() * chunks;
  const index_t per_item = std::max<index_t>(1, std::min(lay.middle, chunk));
  const index_t grain = std::max<index_t>(1, detail::kElementGrain / per_item);
  std::vector<double> partial(grad_var && chunks > 1 ? static_cast<size_t>(items) : 0);

  const double total = block_sum(items, grain, [&](index_t b, index_t e) {
    double s = 0.0;
    for (index_t it = b; it < e; ++it) {
      const index_t r = it / chunks, c = it % chunks;
      const index_t m0 = c * chunk, m1 = std::min(lay.middle, m0 + chunk);
      const index_t base = lay.base(r);
      const T v = var.data[opt.scalar_var ? 0 : r];
      const T vc = v < eps ? eps : v;  // the clamp; nan stays nan
      const T lv = log_var(vc);
      const T iv = T(1) / vc;  // d l/d x = g·(d·(1/v)), as the dense path: the same bits
      const double vd = static_cast<double>(vc);
      double gv = 0.0;
      for (index_t m = m0; m < m1; ++m) {
        const index_t i = base + m * lay.inner;
        const T d = x[i] - y[i];
        if (loss_elems || want_sum) {
          T l = T(0.5) * (lv + d * d / vc);
          if (opt.full) l += half_log_2pi;
          if (loss_elems) loss_elems[i] = l;
          s += static_cast<double>(l);
        }
        if (want_grad) {
          const T gi = g ? g[i] : gs;
          if (grad_input) grad_input[i] = gi * (d * iv);
          if (grad_var) {
            const double dd = static_cast<double>(d) * static_cast<double>(d);
            gv += static_cast<double>(gi) * (0.5 * (1.0 / vd - dd / (vd * vd)));
          }
        }
      }
      if (grad_var) {
        if (chunks == 1)
          grad_var[r] = static_cast<T>(gv);
        else
          partial[static_cast<size_t>(it)] = gv;
      }
    }
    return s;
  });
  if (grad_var && chunks > 1) {
    parallel_for(lay.rows(), std::max<index_t>(1, detail::kElementGrain / chunks), [&](index_t b, index_t e) {
      for (index_t r = b; r < e; ++r) {
        double gv = 0.0;
        for (index_t c = 0; c < chunks; ++c) gv += partial[static_cast<size_t>(r * chunks + c)];
        grad_var[r] = static_cast<T>(gv);
      }
    });
  }
  red.finish(total);
}

#define INSTANTIATE(T)                                                                              \
  template Shape gaussian_nll_loss_shape<T>(View<const T>, View<const T>, View<const T>,                     \
                                            const GaussianNllLossOptions<T>&);                               \
  template void gaussian_nll_loss_run<T>(View<const T>, View<const T>, View<const T>,                        \
                                         const GaussianNllLossOptions<T>&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
