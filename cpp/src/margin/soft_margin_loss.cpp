// soft_margin_loss — log(1 + exp(-y·x)), as torch.nn.functional.soft_margin_loss.
//
//   loss = softplus(-y·x) = max(-y·x, 0) + log1p(exp(-|y·x|))
//   d/dx = -y·sigmoid(-y·x)
// PyTorch evaluates log1p(exp(-y·x)) literally, which overflows to inf (and its gradient to nan)
// once -y·x exceeds ~88 in float32 (~709 in float64). The stable softplus above gives the finite
// value instead: a deliberate difference, documented in the Python docstring.
#include <cmath>

#include "core/math.hpp"
#include "core/elementwise.hpp"
#include "margin_common.hpp"

namespace lossx {
namespace {
template <class T>
struct SoftMargin {
  LOSSX_INLINE T value(T x, T y, T) const { return softplus(-y * x); }
  LOSSX_INLINE T grad(T x, T y, T) const {
    const T t = -y * x;
    return -y * sigmoid_from(t, vexp_nonpos(-std::fabs(t)));
  }
};
}  // namespace

template <class T>
Shape soft_margin_loss_shape(View<const T> input, View<const T> target, const SoftMarginLossOptions<T>& opt) {
  detail::check_elementwise(Check{"soft_margin_loss"}, input, target, opt.reduction);
  return input.shape;
}

template <class T>
void soft_margin_loss_run(View<const T> input, View<const T> target, const SoftMarginLossOptions<T>& opt, const Request<T>& request) {
  const Check ck{"soft_margin_loss"};
  const Shape shape = soft_margin_loss_shape(input, target, opt);
  detail::elementwise(ck, SoftMargin<T>{}, shape, input, target, detail::Bcast<T>{}, detail::Bcast<T>{},
                      {opt.reduction}, request);
}

#define INSTANTIATE(T)                                                                              \
  template Shape soft_margin_loss_shape<T>(View<const T>, View<const T>, const SoftMarginLossOptions<T>&);                      \
  template void soft_margin_loss_run<T>(View<const T>, View<const T>, const SoftMarginLossOptions<T>&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
