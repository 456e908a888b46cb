// margin_ranking_loss — max(0, -y·(x1 - x2) + m), as torch.nn.functional.margin_ranking_loss.
//
//   v = -y·(x1 - x2) + m,   loss = max(0, v),   d/dx1 = -y·[v >= 0],   d/dx2 = y·[v >= 0].
// PyTorch builds it on clamp_min, whose backward passes the gradient where v >= 0: at the kink
// v == 0 the gradients are (-y, +y), and where v is nan they are 0 (the value stays nan).
// y may be any real number (y = 0 gives max(0, m)). v is evaluated in T in PyTorch's order, so
// that exact inputs land on the same side of the kink.
// Two prediction inputs and two gradients, so this loss has its own small kernel instead of the
// (input, target) elementwise driver; it keeps the driver's fixed blocks and double sums.
#include "core/math.hpp"
#include "core/elementwise.hpp"
#include "margin_common.hpp"

namespace lossx {
namespace {

template <class T>
struct RankingArgs {
  const T* x1;
  const T* x2;
  const T* y;
  T margin;
  T* loss;        // 'none' output or nullptr
  T* grad1;       // or nullptr
  T* grad2;       // or nullptr
  const T* g;     // per-element grad_output ('none') or nullptr
  T gs;           // the Reducer's scalar gradient coefficient otherwise
};

template <class T>
LOSSX_INLINE T ranking_v(T x1, T x2, T y, T m) {
  return -y * (x1 - x2) + m;
}

// max(0, v) that keeps nan, as clamp_min does.
template <class T>
LOSSX_INLINE T clamp0(T v) {
  return v < T(0) ? T(0) : v;
}

// d loss / d x2 = g·y·[v >= 0] and d loss / d x1 = its negative, for the gradients asked for.
// Templated on the grad_output kind and on "both", so that the loops hold no branch.
template <bool PerElement, bool Both, class T>
LOSSX_INLINE void ranking_grad_loop(const RankingArgs<T>& a, index_t b, index_t e, T* grad1, T* grad2) {
  const T *x1 = a.x1, *x2 = a.x2, *y = a.y, *g = a.g;
  const T m = a.margin, gs = a.gs;
  T* out = Both || grad2 ? grad2 : grad1;        // the one output when only one is asked for
  const T sign = Both || grad2 ? T(1) : T(-1);
#pragma omp simd
  for (index_t i = b; i < e; ++i) {
    const T d = ranking_v(x1[i], x2[i], y[i], m) >= T(0) ? (PerElement ? g[i] : gs) * y[i] : T(0);
    if (Both) grad1[i] = -d;
    out[i] = sign * d;
  }
}

// One block, in sub-chunks of kFuseChunk elements: the loss (or sum) loop and the gradient loop of
// a sub-chunk run back to back while its x1, x2, y are in L1 (one pass over the block per output
// re-read them from L2).
template <class T>
LOSSX_SIMD_CLONES double ranking_block(const RankingArgs<T>& a, index_t b, index_t e, bool want_sum) {
  const T *x1 = a.x1, *x2 = a.x2, *y = a.y;
  const T m = a.margin;
  double s = 0.0;
  for (index_t c0 = b; c0 < e; c0 += detail::kFuseChunk) {
    const index_t c1 = e - c0 > detail::kFuseChunk ? c0 + detail::kFuseChunk : e;
    if (a.loss) {
#pragma omp simd
      for (index_t i = c0; i < c1; ++i) a.loss[i] = clamp0(ranking_v(x1[i], x2[i], y[i], m));
    }
    if (want_sum) {
      double t = 0.0;
#pragma omp simd reduction(+ : t)
      for (index_t i = c0; i < c1; ++i) t += static_cast<double>(clamp0(ranking_v(x1[i], x2[i], y[i], m)));
      s += t;
    }
    if (a.grad1 && a.grad2) {
      if (a.g) ranking_grad_loop<true, true>(a, c0, c1, a.grad1, a.grad2);
      else ranking_grad_loop<false, true>(a, c0, c1, a.grad1, a.grad2);
    } else if (a.grad1 || a.grad2) {
      if (a.g) ranking_grad_loop<true, false>(a, c0, c1, a.grad1, a.grad2);
      else ranking_grad_loop<false, false>(a, c0, c1, a.grad1, a.grad2);
    }
  }
  return s;
}

}  // namespace

template <class T>
Shape margin_ranking_loss_shape(View<const T> input1, View<const T> input2, View<const T> target,
                                const MarginRankingLossOptions<T>& opt) {
  const Check ck{"margin_ranking_loss"};
  ck.contiguous("input1", input1);
  ck.contiguous("input2", input2);
  ck.contiguous("target", target);
  ck.same_shape("input2", input2.shape, "input1", input1.shape);
  ck.same_shape("target", target.shape, "input1", input1.shape);
  detail::check_reduction(ck, opt.reduction);
  return input1.shape;
}

template <class T>
void margin_ranking_loss_run(View<const T> input1, View<const T> input2, View<const T> target,
                             const MarginRankingLossOptions<T>& opt, const Request<T>& request) {
  const Check ck{"margin_ranking_loss"};
  const Shape shape = margin_ranking_loss_shape(input1, input2, target, opt);
  const index_t n = numel(shape);
  detail::Reducer<T> red(ck, opt.reduction, shape, request, static_cast<double>(n));  // 'mean' averages elements
  const RankingArgs<T> a{input1.data, input2.data, target.data, static_cast<T>(opt.margin), red.term_values(),
                         red.grad(), red.grad2(), red.term_grad_output(), static_cast<T>(red.grad_scale())};
  const bool want_sum = red.wants_total();
  red.finish(block_sum(n, detail::kElementGrain,
                       [&](index_t b, index_t e) { return ranking_block<T>(a, b, e, want_sum); }));
}

#define INSTANTIATE(T)                                                                                         \
  template Shape margin_ranking_loss_shape<T>(View<const T>, View<const T>, View<const T>,                    \
                                              const MarginRankingLossOptions<T>&);                            \
  template void margin_ranking_loss_run<T>(View<const T>, View<const T>, View<const T>,                       \
                                           const MarginRankingLossOptions<T>&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
