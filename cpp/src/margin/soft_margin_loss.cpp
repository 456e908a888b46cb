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
#include "core/elementwise_shared.hpp"
#include "margin_common.hpp"

namespace lossx {
namespace {
// e = exp(-|y·x|) is computed once per element for the loss and its gradient
// (detail::elementwise_shared), with the division-free float helpers of core/math.hpp.
template <class T>
struct SoftMargin {
  LOSSX_INLINE T shared(T x, T y) const { return vexp_nonpos_fast(-std::fabs(y * x)); }
  LOSSX_INLINE T value(T x, T y, T e) const {
    const T t = -y * x;
    return (t > T(0) ? t : T(0)) + vlog1p_unit_fast(e);
  }
  LOSSX_INLINE T grad(T x, T y, T e) const { return -y * sigmoid_from(-y * x, e); }
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
  detail::elementwise_shared(ck, SoftMargin<T>{}, shape, input, target, opt.reduction, request);
}

#define INSTANTIATE(T)                                                                              \
  template Shape soft_margin_loss_shape<T>(View<const T>, View<const T>, const SoftMarginLossOptions<T>&);                      \
  template void soft_margin_loss_run<T>(View<const T>, View<const T>, const SoftMarginLossOptions<T>&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
