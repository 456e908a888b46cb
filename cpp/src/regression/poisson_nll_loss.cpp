// poisson_nll_loss — as torch.nn.functional.poisson_nll_loss, input x, target y:
//   log_input:   l = exp(x) − y·x,            d/dx = exp(x) − y
//   otherwise:   l = x − y·log(x + eps),      d/dx = 1 − y/(x + eps)
//   full adds Stirling's approximation of log(y!), y·log y − y + ½·log(2πy),
//   only where y > 1 (PyTorch masks y <= 1 to 0); it does not depend on x.
// The gradient is w.r.t. x only (SPEC). At x = 0 without log_input the
// gradient is 1 − y/eps, a huge but finite number, as in PyTorch.
// exp(x) is lossx::vexp_fast (vectorising, no division; for float32 it may differ from the
// vexp used before session 5 by about 1 ulp, with the same overflow to inf above ln FLT_MAX and
// 0 below ln FLT_MIN, now also at the one float just below it, whose exp is subnormal; float64
// is unchanged). The loss (or its sum) and the gradient come from one loop (elementwise_fused).
#include "core/elementwise_shared.hpp"
#include "elementwise_loss.hpp"

namespace lossx {
namespace {
// y·log y − y + ½·log(2πy) = (y + ½)·log y − y + ½·log 2π: one vectorising lossx::vlog_fast.
template <class T>
LOSSX_INLINE T stirling(T y) {
  const T s = (y + T(0.5)) * vlog_fast(y) - y + T(0.91893853320467274178);  // ½·log(2π)
  return y > T(1) ? s : T(0);  // a select: the masked nan/-inf of y <= 0 never leaks
}

// The shared intermediate (detail::elementwise_fused): exp(x) with log_input, computed once
// for the loss and its gradient, in one loop that also writes the gradient; x + eps otherwise.
template <class T, bool LogInput, bool Full>
struct PoissonNll {
  T eps;
  LOSSX_INLINE T shared(T x, T) const { return LogInput ? vexp_fast(x) : x + eps; }
  LOSSX_INLINE T value(T x, T y, T s) const {
    const T l = LogInput ? s - y * x : x - y * vlog_fast(s);
    return Full ? l + stirling(y) : l;
  }
  LOSSX_INLINE T grad(T, T y, T s) const { return LogInput ? s - y : T(1) - y / s; }
};

template <class T, bool LogInput, bool Full>
void run(const Check& ck, const Shape& shape, View<const T> input, View<const T> target,
         const PoissonNllLossOptions<T>& opt, const Request<T>& out) {
  detail::elementwise_fused(ck, PoissonNll<T, LogInput, Full>{static_cast<T>(opt.eps)}, shape, input, target,
                            opt.reduction, out);
}
}  // namespace

template <class T>
Shape poisson_nll_loss_shape(View<const T> input, View<const T> target, const PoissonNllLossOptions<T>& opt) {
  detail::check_elementwise(Check{"poisson_nll_loss"}, input, target, opt.reduction);
  return input.shape;
}

template <class T>
void poisson_nll_loss_run(View<const T> input, View<const T> target, const PoissonNllLossOptions<T>& opt, const Request<T>& request) {
  const Check ck{"poisson_nll_loss"};
  const Shape shape = poisson_nll_loss_shape(input, target, opt);
  const Request<T>& out = request;
  if (opt.log_input)
    opt.full ? run<T, true, true>(ck, shape, input, target, opt, out) : run<T, true, false>(ck, shape, input, target, opt, out);
  else
    opt.full ? run<T, false, true>(ck, shape, input, target, opt, out) : run<T, false, false>(ck, shape, input, target, opt, out);
}

#define INSTANTIATE(T)                                                                                        \
  template Shape poisson_nll_loss_shape<T>(View<const T>, View<const T>, const PoissonNllLossOptions<T>&);                              \
  template void poisson_nll_loss_run<T>(View<const T>, View<const T>, const PoissonNllLossOptions<T>&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
