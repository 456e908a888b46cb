// triplet_margin_loss — as torch.nn.functional.triplet_margin_loss.
//
// For a triplet of rows (a, p, n) of D values:
//   d(x, y) = ||x - y + eps||_p        (torch.pairwise_distance: eps is added to every
//                                        component of the difference, before the norm)
//   d_an    = d(a, n), or min(d(a, n), d(p, n)) with swap (Balntas et al., 2016)
//   loss    = max(0, margin + d(a, p) - d_an)
// So d(a, a) = eps·D^(1/p), and pairwise_distance(0, 1e-6) = 0.
// Gradient, with c = grad_output·[margin + d(a,p) - d_an >= 0] (clamp_min passes the
// gradient at exactly 0, as in PyTorch) and ∂d/∂δ from pnorm.hpp:
//   ∂/∂a = c (∂d(a,p)/∂δ - w1 ∂d(a,n)/∂δ)
//   ∂/∂p = c (-∂d(a,p)/∂δ - w2 ∂d(p,n)/∂δ)
//   ∂/∂n = c (w1 ∂d(a,n)/∂δ + w2 ∂d(p,n)/∂δ)
// where (w1, w2) = (1, 0) without swap, and with swap the split torch.min's
// backward makes: all to the smaller distance, half each on a tie.
// One fused kernel: each row's two or three distances come from one pass over
// the three rows (differences in the input's dtype as PyTorch computes them,
// sums in double), the gradients from a second pass over the same rows while
// they are in cache. Rows run in parallel in fixed blocks; no N×D temporaries.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "core/math.hpp"
#include "core/parallel.hpp"
#include "core/reduce.hpp"
#include "lossx/embedding.hpp"
#include "pnorm.hpp"

namespace lossx {
namespace {

using detail::NormInf;

template <class T>
struct TripletRows {
  const T* a;
  const T* p;
  const T* n;
  index_t D;
  T eps;
  double margin;
  T* loss_rows;  // 'none' output or nullptr
  T* ga;         // gradients or nullptr
  T* gp;
  T* gn;
  const T* g;    // per-row grad_output ('none') or nullptr
  double gs;     // the gradient coefficient of a reduced call (Reducer::grad_scale)
};

// The number of components where |x - y + eps| reaches the max-norm d (or is NaN):
// p = ∞ shares the gradient among them, as PyTorch does.
template <class T>
LOSSX_INLINE double tie_count(const T* x, const T* y, T eps, index_t D, T d) {
  index_t c = 0;
  for (index_t k = 0; k < D; ++k) {
    const T v = (x[k] - y[k]) + eps;
    c += (std::fabs(v) == d || v != v) ? 1 : 0;
  }
  return static_cast<double>(c);
}

template <class T, class Norm, bool Swap>
LOSSX_SIMD_CLONES double triplet_block(const TripletRows<T>& t, const Norm norm, index_t r0, index_t r1) {
  const index_t D = t.D;
  const T eps = t.eps;
  const bool want_grad = t.ga || t.gp || t.gn;
  double total = 0.0;
  for (index_t r = r0; r < r1; ++r) {
    const T* __restrict a = t.a + r * D;
    const T* __restrict p = t.p + r * D;
    const T* __restrict n = t.n + r * D;
    // The distances: one pass over the three rows.
    double sap = 0.0, san = 0.0, ssw = 0.0;
    if constexpr (Norm::is_max) {
      double map = 0.0, man = 0.0, msw = 0.0;
#pragma omp simd reduction(+ : sap, san, ssw) reduction(max : map, man, msw)
      for (index_t k = 0; k < D; ++k) {
        const double ta = norm.term(static_cast<double>((a[k] - p[k]) + eps));
        const double tn = norm.term(static_cast<double>((a[k] - n[k]) + eps));
        sap += ta;
        san += tn;
        map = ta > map ? ta : map;
        man = tn > man ? tn : man;
        if constexpr (Swap) {
          const double ts = norm.term(static_cast<double>((p[k] - n[k]) + eps));
          ssw += ts;
          msw = ts > msw ? ts : msw;
        }
      }
      sap = detail::max_or_nan(map, sap);
      san = detail::max_or_nan(man, san);
      ssw = detail::max_or_nan(msw, ssw);
    } else {
#pragma omp simd reduction(+ : sap, san, ssw)
      for (index_t k = 0; k < D; ++k) {
        sap += norm.term(static_cast<double>((a[k] - p[k]) + eps));
        san += norm.term(static_cast<double>((a[k] - n[k]) + eps));
        if constexpr (Swap) ssw += norm.term(static_cast<double>((p[k] - n[k]) + eps));
      }
    }
    const double dap = norm.root(sap), dan0 = norm.root(san), dsw = Swap ? norm.root(ssw) : 0.0;
    const double dan = Swap ? detail::nan_min(dan0, dsw) : dan0;
    const double z = t.margin + dap - dan;
    const double loss = z < 0.0 ? 0.0 : z;  // NaN stays NaN
    if (t.loss_rows) t.loss_rows[r] = static_cast<T>(loss);
    total += loss;
    if (!want_grad) continue;

    // The gradients: a second pass over the same rows.
    const double c = (t.g ? static_cast<double>(t.g[r]) : t.gs) * (z >= 0.0 ? 1.0 : 0.0);
    double w1 = 1.0, w2 = 0.0;
    if constexpr (Swap) detail::min_split(dan0, dsw, w1, w2);
    const T dapT = static_cast<T>(dap), danT = static_cast<T>(dan0), dswT = static_cast<T>(dsw);
    double sa = norm.scale(dap), sn = norm.scale(dan0), ss = Swap ? norm.scale(dsw) : 0.0;
    if constexpr (std::is_same_v<Norm, NormInf>) {
      sa /= tie_count(a, p, eps, D, dapT);
      sn /= tie_count(a, n, eps, D, danT);
      if constexpr (Swap) ss /= tie_count(p, n, eps, D, dswT);
    }
    const T ka = static_cast<T>(c * sa), kn = static_cast<T>(c * w1 * sn), ks = static_cast<T>(c * w2 * ss);
    if (t.ga) {
      T* __restrict o = t.ga + r * D;
#pragma omp simd
      for (index_t k = 0; k < D; ++k)
        o[k] = ka * norm.unit((a[k] - p[k]) + eps, dapT) - kn * norm.unit((a[k] - n[k]) + eps, danT);
    }
    if (t.gp) {
      T* __restrict o = t.gp + r * D;
      if constexpr (Swap) {
#pragma omp simd
        for (index_t k = 0; k < D; ++k)
          o[k] = -ka * norm.unit((a[k] - p[k]) + eps, dapT) - ks * norm.unit((p[k] - n[k]) + eps, dswT);
      } else {
#pragma omp simd
        for (index_t k = 0; k < D; ++k) o[k] = -ka * norm.unit((a[k] - p[k]) + eps, dapT);
      }
    }
    if (t.gn) {
      T* __restrict o = t.gn + r * D;
      if constexpr (Swap) {
#pragma omp simd
        for (index_t k = 0; k < D; ++k)
          o[k] = kn * norm.unit((a[k] - n[k]) + eps, danT) + ks * norm.unit((p[k] - n[k]) + eps, dswT);
      } else {
#pragma omp simd
        for (index_t k = 0; k < D; ++k) o[k] = kn * norm.unit((a[k] - n[k]) + eps, danT);
      }
    }
  }
  return total;
}

}  // namespace

template <class T>
Shape triplet_margin_loss_shape(View<const T> anchor, View<const T> positive, View<const T> negative,
                                const TripletMarginLossOptions& opt) {
  const Check ck{"triplet_margin_loss"};
  ck.contiguous("anchor", anchor);
  ck.contiguous("positive", positive);
  ck.contiguous("negative", negative);
  ck.ndim_between("anchor", anchor.shape, 1, 2);
  ck.same_shape("positive", positive.shape, "anchor", anchor.shape);
  ck.same_shape("negative", negative.shape, "anchor", anchor.shape);
  ck.param(opt.margin > 0.0, "margin", "be greater than 0", opt.margin);
  ck.param(opt.p > 0.0, "p", "be greater than 0 (lossx rejects the p <= 0 that PyTorch silently accepts)", opt.p);
  ck.param(opt.reduction != Reduction::BatchMean, "reduction", "be one of 'none', 'mean', 'sum'", "'batchmean'");
  return anchor.shape.size() == 2 ? Shape{anchor.shape[0]} : Shape{};
}

template <class T>
void triplet_margin_loss_run(View<const T> anchor, View<const T> positive, View<const T> negative,
                             const TripletMarginLossOptions& opt, const Request<T>& request) {
  const Check ck{"triplet_margin_loss"};
  const Shape none = triplet_margin_loss_shape(anchor, positive, negative, opt);
  const index_t N = numel(none);
  const index_t D = anchor.shape.back();
  const detail::Reducer<T> red(ck, opt.reduction, none, request, static_cast<double>(N));
  const TripletRows<T> t{anchor.data, positive.data, negative.data, D, static_cast<T>(opt.eps), opt.margin,
                         red.term_values(), red.grad(), red.grad2(), red.grad3(), red.term_grad_output(),
                         red.grad_scale()};
  const index_t grain = std::max<index_t>(1, 16384 / std::max<index_t>(D, 1));
  const double total = detail::with_norm(opt.p, [&](auto norm) {
    using Norm = decltype(norm);
    return block_sum(N, grain, [&](index_t b, index_t e) {
      return opt.swap ? triplet_block<T, Norm, true>(t, norm, b, e) : triplet_block<T, Norm, false>(t, norm, b, e);
    });
  });
  red.finish(total);
}

#define INSTANTIATE(T)                                                                                        \
  template Shape triplet_margin_loss_shape<T>(View<const T>, View<const T>, View<const T>,                    \
                                              const TripletMarginLossOptions&);                               \
  template void triplet_margin_loss_run<T>(View<const T>, View<const T>, View<const T>,                       \
                                           const TripletMarginLossOptions&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
