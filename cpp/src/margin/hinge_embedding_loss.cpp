// hinge_embedding_loss — as torch.nn.functional.hinge_embedding_loss.
//
//   loss = [y ≠ 1]·max(0, m - x) + [y ≠ -1]·x
//   d/dx = -[y ≠ 1]·[m - x >= 0] + [y ≠ -1]
// The two brackets are PyTorch's `where`s: y = 1 keeps x, y = -1 keeps the hinge, and any other
// y (0 included) incurs both terms (x = .3, y = 0, m = 1 gives 1.0). The hinge is a clamp_min:
// its gradient passes at the kink x == m (-1 for y = -1) and its value keeps nan while the
// gradient there is 0. The `where`s select, so a nan x does not leak into a term that is off.
#include "core/elementwise.hpp"
#include "margin_common.hpp"

namespace lossx {
namespace {
template <class T>
struct Hinge {
  T margin;
  LOSSX_INLINE T value(T x, T y, T) const {
    const T h = margin - x;
    const T hinge = y != T(1) ? (h < T(0) ? T(0) : h) : T(0);
    const T self = y != T(-1) ? x : T(0);
    return hinge + self;
  }
  LOSSX_INLINE T grad(T x, T y, T) const {  // selects only (no &&), so that the driver's loops vectorise
    const T hinge = margin - x >= T(0) ? T(-1) : T(0);
    const T self = y != T(-1) ? T(1) : T(0);
    return (y != T(1) ? hinge : T(0)) + self;
  }
};
}  // namespace

template <class T>
Shape hinge_embedding_loss_shape(View<const T> input, View<const T> target, const HingeEmbeddingLossOptions<T>& opt) {
  detail::check_elementwise(Check{"hinge_embedding_loss"}, input, target, opt.reduction);
  return input.shape;
}

template <class T>
void hinge_embedding_loss_run(View<const T> input, View<const T> target, const HingeEmbeddingLossOptions<T>& opt, const Request<T>& request) {
  const Check ck{"hinge_embedding_loss"};
  const Shape shape = hinge_embedding_loss_shape(input, target, opt);
  detail::elementwise(ck, Hinge<T>{static_cast<T>(opt.margin)}, shape, input, target, detail::Bcast<T>{},
                      detail::Bcast<T>{}, {opt.reduction}, request);
}

#define INSTANTIATE(T)                                                                              \
  template Shape hinge_embedding_loss_shape<T>(View<const T>, View<const T>, const HingeEmbeddingLossOptions<T>&);                      \
  template void hinge_embedding_loss_run<T>(View<const T>, View<const T>, const HingeEmbeddingLossOptions<T>&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
