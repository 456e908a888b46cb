// binary_cross_entropy_with_logits — as torch.nn.functional.binary_cross_entropy_with_logits.
//
// With p = pos_weight (1 if absent) and softplus(z) = log(1 + e^z):
//   loss = w·[(1 - y)·softplus(x) + p·y·softplus(-x)]
//        = w·[(1 - y)·x - (1 + (p - 1)·y)·log σ(x)]      (PyTorch's form, the same value)
//   grad = w·[(1 - y)·σ(x) - p·y·σ(-x)]                  (= w·(σ(x) - y) without pos_weight)
// softplus(±x) = max(±x, 0) + log1p(exp(-|x|)) and σ(±x) never overflow, so
// logits of any magnitude give finite values (x = 1e4, y = 0 gives 1e4 in
// float32). Unlike PyTorch's form, both terms are non-negative for y in [0, 1]:
// nothing cancels, and a tiny loss far in the tails (x = -20, y = 0) keeps its
// relative accuracy. exp and log1p are lossx::vexp_nonpos_fast / vlog1p_unit_fast, which
// vectorise; without weights, exp(-|x|) is shared by the loss and its gradient.
// `weight` and `pos_weight` are broadcast (NumPy rules) to the target's shape:
// a (C,) pos_weight runs along the last (class) dim.
#include <cmath>

#include "core/check.hpp"
#include "lossx/classification.hpp"
#include "core/elementwise.hpp"
#include "core/elementwise_shared.hpp"

namespace lossx {
namespace {

template <class T>
struct BceWithLogits {
  // a = pos_weight at this element (the weighted path of detail::elementwise). Written with the
  // lossx::vexp_nonpos_fast / vlog1p_unit_fast helpers so that the driver's loops vectorise
  // (std::log1p and std::exp would be a libm call per element).
  LOSSX_INLINE T value(T x, T y, T a) const {
    const T l = vlog1p_unit_fast(vexp_nonpos_fast(-std::fabs(x)));
    const T sp_pos = (x > T(0) ? x : T(0)) + l;   // softplus(x)  = -log(1 - σ(x))
    const T sp_neg = (x < T(0) ? -x : T(0)) + l;  // softplus(-x) = -log σ(x)
    return (T(1) - y) * sp_pos + a * y * sp_neg;
  }
  LOSSX_INLINE T grad(T x, T y, T a) const {
    const T e = vexp_nonpos_fast(-std::fabs(x));
    const T r = T(1) / (T(1) + e);
    const T sig_pos = (x >= T(0) ? T(1) : e) * r;  // σ(x)
    const T sig_neg = (x >= T(0) ? e : T(1)) * r;  // σ(-x) = 1 - σ(x), without cancellation
    return (T(1) - y) * sig_pos - a * y * sig_neg;
  }
};

// Without weight and pos_weight (detail::elementwise_shared): e = exp(-|x|) once per element for
// the loss and its gradient. The loss (1 - y)·max(x, 0) + y·max(-x, 0) + log1p(e) is the value
// above with a = 1 regrouped (both weighted terms still non-negative for y in [0, 1]; the same
// infinities and NaN), two operations shorter.
template <class T>
struct BceWithLogitsShared {
  LOSSX_INLINE T shared(T x, T) const { return vexp_nonpos_fast(-std::fabs(x)); }
  LOSSX_INLINE T value(T x, T y, T e) const {
    const T pos = x > T(0) ? x : T(0);
    const T neg = x < T(0) ? -x : T(0);
    return ((T(1) - y) * pos + y * neg) + vlog1p_unit_fast(e);
  }
  LOSSX_INLINE T grad(T x, T y, T e) const {
    const T r = T(1) / (T(1) + e);
    const T sig_pos = (x >= T(0) ? T(1) : e) * r;  // σ(x)
    const T sig_neg = (x >= T(0) ? e : T(1)) * r;  // σ(-x)
    return (T(1) - y) * sig_pos - y * sig_neg;
  }
};

}  // namespace

template <class T>
Shape binary_cross_entropy_with_logits_shape(View<const T> input, View<const T> target,
                                             const BinaryCrossEntropyWithLogitsOptions<T>& opt) {
  const Check ck{"binary_cross_entropy_with_logits"};
  ck.contiguous("weight", opt.weight);
  ck.contiguous("pos_weight", opt.pos_weight);
  detail::check_elementwise(ck, input, target, opt.reduction);
  if (opt.weight.present()) ck.broadcast_strides("weight", opt.weight.shape, "target", target.shape);
  if (opt.pos_weight.present()) ck.broadcast_strides("pos_weight", opt.pos_weight.shape, "target", target.shape);
  return input.shape;
}

template <class T>
void binary_cross_entropy_with_logits_run(View<const T> input, View<const T> target,
                                          const BinaryCrossEntropyWithLogitsOptions<T>& opt,
                                          const Request<T>& request) {
  const Check ck{"binary_cross_entropy_with_logits"};
  const Shape shape = binary_cross_entropy_with_logits_shape(input, target, opt);
  if (!opt.weight.present() && !opt.pos_weight.present()) {
    detail::elementwise_shared(ck, BceWithLogitsShared<T>{}, shape, input, target, opt.reduction, request);
    return;
  }
  detail::elementwise(ck, BceWithLogits<T>{}, shape, input, target,
                      detail::broadcast(ck, "weight", opt.weight, "target", shape),
                      detail::broadcast(ck, "pos_weight", opt.pos_weight, "target", shape),
                      {opt.reduction, detail::MeanBy::Count}, request);
}

#define INSTANTIATE(T)                                                                                    \
  template Shape binary_cross_entropy_with_logits_shape<T>(View<const T>, View<const T>,                   \
                                                           const BinaryCrossEntropyWithLogitsOptions<T>&); \
  template void binary_cross_entropy_with_logits_run<T>(View<const T>, View<const T>,                      \
                                                        const BinaryCrossEntropyWithLogitsOptions<T>&,     \
                                                        const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
