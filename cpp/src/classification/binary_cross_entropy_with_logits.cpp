// binary_cross_entropy_with_logits — as torch.nn.functional.binary_cross_entropy_with_logits.
//
// With p = pos_weight (1 if absent) and q = 1 + (p - 1)·y, the weight of the positive term:
//   loss = w·[(1 - y)·x - q·log σ(x)]
//   grad = w·[q·σ(x) - p·y]             (= w·(σ(x) - y) without pos_weight)
// log σ(x) = min(x, 0) - log1p(exp(-|x|)) never overflows, so logits of any
// magnitude give finite values (x = 1e4, y = 0 gives 1e4 in float32); it and
// σ(x) are computed with lossx::vexp / vlog1p_unit, which vectorise.
// `weight` and `pos_weight` are broadcast (NumPy rules) to the target's shape:
// a (C,) pos_weight runs along the last (class) dim.
#include <cmath>

#include "lossx/classification.hpp"
#include "../regression/elementwise_loss.hpp"

namespace lossx {
namespace {

template <class T>
struct BceWithLogits {
  // a = pos_weight at this element. vexp-based helpers so that the driver's
  // dense loop vectorises (std::log1p/std::exp would be a libm call per element).
  LOSSX_ALWAYS_INLINE T value(T x, T y, T a) const {
    const T q = T(1) + (a - T(1)) * y;
    return (T(1) - y) * x - q * vlog_sigmoid(x);
  }
  LOSSX_ALWAYS_INLINE T grad(T x, T y, T a) const {
    const T q = T(1) + (a - T(1)) * y;
    return q * vsigmoid(x) - a * y;
  }
};

}  // namespace

template <class T>
Shape binary_cross_entropy_with_logits_shape(View<const T> input, View<const T> target,
                                             const BceWithLogitsOptions<T>& opt) {
  const Check ck{"binary_cross_entropy_with_logits"};
  detail::check_elementwise(ck, input.shape, target.shape, opt.reduction);
  if (opt.weight.present()) ck.broadcast_strides("weight", opt.weight.shape, "target", target.shape);
  if (opt.pos_weight.present()) ck.broadcast_strides("pos_weight", opt.pos_weight.shape, "target", target.shape);
  return input.shape;
}

template <class T>
void binary_cross_entropy_with_logits_with_grad(View<const T> input, View<const T> target,
                                                const BceWithLogitsOptions<T>& opt, View<const T> grad_output,
                                                T* loss, T* grad_input) {
  const Check ck{"binary_cross_entropy_with_logits"};
  const Shape shape = binary_cross_entropy_with_logits_shape(input, target, opt);
  detail::elementwise(ck, BceWithLogits<T>{}, shape, input.data, target.data,
                      detail::broadcast(ck, "weight", opt.weight, "target", shape),
                      detail::broadcast(ck, "pos_weight", opt.pos_weight, "target", shape),
                      {opt.reduction, detail::MeanBy::Count}, Outputs<T>{loss, grad_input, grad_output});
}

LOSSX_INSTANTIATE_ELEMENTWISE(binary_cross_entropy_with_logits, BceWithLogitsOptions)

}  // namespace lossx
