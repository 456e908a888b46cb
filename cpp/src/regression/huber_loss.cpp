// huber_loss — as torch.nn.functional.huber_loss, d = x - y:
//   l = 0.5·d²            if |d| < δ,   d/dx = d
//   l = δ·(|d| − 0.5δ)    otherwise,    d/dx = δ·sign(d)
// (= δ · smooth_l1_loss(β=δ)). The gradient follows PyTorch's backward
// (d < −δ ? −δ : d > δ ? δ : d), so |d| == δ gives ±δ. δ <= 0 is a ValueError.
// With weight= (input's shape), 'mean' is mean(w·l) — it divides by the element
// count, unlike l1/mse whose weighted 'mean' divides by Σ w (PyTorch 2.x).
#include "elementwise_loss.hpp"

namespace lossx {
namespace {
template <class T>
struct Huber {
  T delta;
  LOSSX_INLINE T value(T x, T y, T) const {
    const T z = std::fabs(x - y);
    return z < delta ? T(0.5) * z * z : delta * (z - T(0.5) * delta);
  }
  LOSSX_INLINE T grad(T x, T y, T) const {
    const T d = x - y;
    return d < -delta ? -delta : d > delta ? delta : d;
  }
};
}  // namespace

template <class T>
Shape huber_loss_shape(View<const T> input, View<const T> target, const HuberLossOptions<T>& opt) {
  const Check ck{"huber_loss"};
  ck.contiguous("weight", opt.weight);
  detail::check_elementwise(ck, input, target, opt.reduction);
  ck.param(opt.delta > 0.0, "delta", "be > 0", opt.delta);
  if (opt.weight.present()) ck.same_shape("weight", opt.weight.shape, "input", input.shape);
  return input.shape;
}

template <class T>
void huber_loss_run(View<const T> input, View<const T> target, const HuberLossOptions<T>& opt, const Request<T>& request) {
  const Check ck{"huber_loss"};
  const Shape shape = huber_loss_shape(input, target, opt);
  detail::elementwise(ck, Huber<T>{static_cast<T>(opt.delta)}, shape, input, target,
                      detail::broadcast(ck, "weight", opt.weight, "input", shape), detail::Bcast<T>{},
                      {opt.reduction, detail::MeanBy::Count}, request);
}

#define INSTANTIATE(T)                                                                                        \
  template Shape huber_loss_shape<T>(View<const T>, View<const T>, const HuberLossOptions<T>&);                              \
  template void huber_loss_run<T>(View<const T>, View<const T>, const HuberLossOptions<T>&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
