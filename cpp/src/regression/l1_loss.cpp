// l1_loss — |x - y|, as torch.nn.functional.l1_loss.
//   d/dx = sign(x - y), with sign(0) = 0 (PyTorch's choice at the kink; nan also gives 0, as in PyTorch).
//   With weight= (input's shape): 'mean' is Σ w·l / Σ w (PyTorch 2.x).
#include "elementwise_loss.hpp"

namespace lossx {

template <class T>
Shape l1_loss_shape(View<const T> input, View<const T> target, const L1LossOptions<T>& opt) {
  const Check ck{"l1_loss"};
  ck.contiguous("weight", opt.weight);
  detail::check_elementwise(ck, input, target, opt.reduction);
  if (opt.weight.present()) ck.same_shape("weight", opt.weight.shape, "input", input.shape);
  return input.shape;
}

template <class T>
void l1_loss_run(View<const T> input, View<const T> target, const L1LossOptions<T>& opt, const Request<T>& request) {
  const Check ck{"l1_loss"};
  const Shape shape = l1_loss_shape(input, target, opt);
  detail::elementwise(ck, detail::AbsError<T>{}, shape, input, target,
                      detail::broadcast(ck, "weight", opt.weight, "input", shape), detail::Bcast<T>{},
                      {opt.reduction, detail::MeanBy::WeightSum}, request);
}

#define INSTANTIATE(T)                                                                                        \
  template Shape l1_loss_shape<T>(View<const T>, View<const T>, const L1LossOptions<T>&);                              \
  template void l1_loss_run<T>(View<const T>, View<const T>, const L1LossOptions<T>&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
