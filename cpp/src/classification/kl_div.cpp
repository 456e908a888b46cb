// kl_div — pointwise Kullback-Leibler divergence, as torch.nn.functional.kl_div.
//
// The input x holds log-probabilities; the target t holds probabilities, or
// log-probabilities with log_target:
//   loss = xlogy(t, t) - t·x         grad = -t          (log_target=False)
//   loss = exp(t)·(t - x)            grad = -exp(t)     (log_target=True)
// xlogy(t, t) is 0 at t = 0 (so the term is 0 there, but 0·(-inf) = nan when
// x = -inf too) and nan for t < 0 or t = nan, as in PyTorch.
// Reductions: 'sum'; 'mean' divides by the element count (PyTorch's 'mean',
// which is not the KL divergence per sample); 'batchmean' divides by
// input.shape[0] (by 1 for a 0-d input), which is the mathematically correct
// per-sample KL. lossx does not warn about 'mean' (PyTorch does on every call).
// log and exp are lossx::vxlogx_fast (t·vlog_fast(t)) / vexp_fast (vectorising; for float without a division:
// since session 5 a float32 result may differ from the earlier vlog / vexp by about 1 ulp of the
// term; float64 is unchanged). The loss (or its sum) and the gradient are formed in one loop
// (detail::elementwise_fused); with log_target exp(t) is computed once for both.
#include <cmath>

#include "core/check.hpp"
#include "lossx/classification.hpp"
#include "core/elementwise_shared.hpp"

namespace lossx {
namespace {

// Functors of detail::elementwise_fused (shared / value / grad: the loss, its sum and the gradient
// in one loop). lossx::vxlogx_fast / vexp_fast vectorise (std::log / std::exp would be a libm call
// per element).
template <class T>
struct KlDiv {
  LOSSX_INLINE T shared(T, T) const { return T(0); }  // nothing to share: the gradient is -t
  LOSSX_INLINE T value(T x, T t, T) const {
    return vxlogx_fast(t) - t * x;  // xlogy(t, t): 0 at t = 0, nan for t < 0 or nan
  }
  LOSSX_INLINE T grad(T, T t, T) const { return -t; }
};

template <class T>
struct KlDivLogTarget {
  LOSSX_INLINE T shared(T, T t) const { return vexp_fast(t); }  // exp(t), once for the loss and gradient
  LOSSX_INLINE T value(T x, T t, T e) const { return e * (t - x); }
  LOSSX_INLINE T grad(T, T, T e) const { return -e; }
};

}  // namespace

template <class T>
Shape kl_div_shape(View<const T> input, View<const T> target, const KlDivOptions<T>&) {
  const Check ck{"kl_div"};
  ck.strides("input", input);
  ck.strides("target", target);
  ck.same_shape("target", target.shape, "input", input.shape);
  return input.shape;
}

template <class T>
void kl_div_run(View<const T> input, View<const T> target, const KlDivOptions<T>& opt, const Request<T>& request) {
  const Check ck{"kl_div"};
  const Shape shape = kl_div_shape(input, target, opt);
  // 'mean' divides by the element count (the default), 'batchmean' by input.shape[0] (1 for 0-d)
  const double denominator =
      opt.reduction == Reduction::BatchMean ? (shape.empty() ? 1.0 : static_cast<double>(shape[0])) : -1.0;
  if (opt.log_target)
    detail::elementwise_fused(ck, KlDivLogTarget<T>{}, shape, input, target, opt.reduction, request, denominator);
  else
    detail::elementwise_fused(ck, KlDiv<T>{}, shape, input, target, opt.reduction, request, denominator);
}

#define INSTANTIATE(T)                                                                                        \
  template Shape kl_div_shape<T>(View<const T>, View<const T>, const KlDivOptions<T>&);                              \
  template void kl_div_run<T>(View<const T>, View<const T>, const KlDivOptions<T>&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
