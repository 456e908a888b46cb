// mse_loss — (x - y)^2, as torch.nn.functional.mse_loss.
//   d/dx = 2 (x - y).  With weight= (input's shape): 'mean' is Σ w·l / Σ w (PyTorch 2.x).
#include "elementwise_loss.hpp"

namespace lossx {
namespace {
template <class T>
struct Mse {
  LOSSX_INLINE T value(T x, T y, T) const { return (x - y) * (x - y); }
  LOSSX_INLINE T grad(T x, T y, T) const { return T(2) * (x - y); }
};
}  // namespace

template <class T>
Shape mse_loss_shape(View<const T> input, View<const T> target, const MseLossOptions<T>& opt) {
  const Check ck{"mse_loss"};
  ck.contiguous("weight", opt.weight);
  detail::check_elementwise(ck, input, target, opt.reduction);
  if (opt.weight.present()) ck.same_shape("weight", opt.weight.shape, "input", input.shape);
  return input.shape;
}

template <class T>
void mse_loss_run(View<const T> input, View<const T> target, const MseLossOptions<T>& opt, const Request<T>& request) {
  const Check ck{"mse_loss"};
  const Shape shape = mse_loss_shape(input, target, opt);
  detail::elementwise(ck, Mse<T>{}, shape, input, target, detail::broadcast(ck, "weight", opt.weight, "input", shape),
                      detail::Bcast<T>{}, {opt.reduction, detail::MeanBy::WeightSum},
                      request);
}

#define INSTANTIATE(T)                                                                                        \
  template Shape mse_loss_shape<T>(View<const T>, View<const T>, const MseLossOptions<T>&);                              \
  template void mse_loss_run<T>(View<const T>, View<const T>, const MseLossOptions<T>&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
