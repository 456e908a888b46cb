// smooth_l1_loss — as torch.nn.functional.smooth_l1_loss, d = x - y:
//   l = 0.5·d²/β   if |d| < β,        d/dx = d/β
//   l = |d| − 0.5β otherwise,         d/dx = sign(d)
// The gradient is written as PyTorch's backward writes it (d < −β ? −1 : d > β ? 1 : d/β),
// so |d| == β gives ±1, nan gives nan and −0 gives −0.
// β == 0 runs l1_loss's functor through the same driver (PyTorch dispatches to
// l1_loss there too), so the two are bitwise equal; β < 0 is a ValueError.
#include "elementwise_loss.hpp"

namespace lossx {
namespace {
template <class T>
struct SmoothL1 {
  T beta;
  LOSSX_INLINE T value(T x, T y, T) const {
    const T z = std::fabs(x - y);
    return z < beta ? T(0.5) * z * z / beta : z - T(0.5) * beta;
  }
  LOSSX_INLINE T grad(T x, T y, T) const {
    const T d = x - y;
    return d < -beta ? T(-1) : d > beta ? T(1) : d / beta;
  }
};
}  // namespace

template <class T>
Shape smooth_l1_loss_shape(View<const T> input, View<const T> target, const SmoothL1LossOptions<T>& opt) {
  const Check ck{"smooth_l1_loss"};
  detail::check_elementwise(ck, input, target, opt.reduction);
  ck.param(opt.beta >= 0.0, "beta", "be >= 0", opt.beta);
  return input.shape;
}

template <class T>
void smooth_l1_loss_run(View<const T> input, View<const T> target, const SmoothL1LossOptions<T>& opt, const Request<T>& request) {
  const Check ck{"smooth_l1_loss"};
  const Shape shape = smooth_l1_loss_shape(input, target, opt);
  const detail::ElementwiseSpec spec{opt.reduction};
  const Request<T>& out = request;
  if (opt.beta == 0.0) {
    detail::elementwise(ck, detail::AbsError<T>{}, shape, input, target, {}, {}, spec, out);
  } else {
    detail::elementwise(ck, SmoothL1<T>{static_cast<T>(opt.beta)}, shape, input, target, {}, {}, spec,
                        out);
  }
}

#define INSTANTIATE(T)                                                                                        \
  template Shape smooth_l1_loss_shape<T>(View<const T>, View<const T>, const SmoothL1LossOptions<T>&);                              \
  template void smooth_l1_loss_run<T>(View<const T>, View<const T>, const SmoothL1LossOptions<T>&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
