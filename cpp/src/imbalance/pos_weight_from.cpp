// pos_weight_from — pos_weight for binary_cross_entropy_with_logits from the targets:
//   per class c (last dim), Σ(1 - t_c) / Σ t_c over every other dim, i.e. negatives / positives
//   for 0/1 targets (the usual recipe for imbalanced multi-label data); soft targets count fractionally.
#include <vector>

#include "core/check.hpp"
#include "lossx/imbalance.hpp"

namespace lossx {

template <class T>
Shape pos_weight_from_shape(View<const T> target) {
  const Check ck{"pos_weight_from"};
  ck.contiguous("target", target);
  ck.ndim_between("target", target.shape, 1, 1 << 20);
  return Shape{target.shape.back()};
}

template <class T>
void pos_weight_from(View<const T> target, T* out) {
  const Check ck{"pos_weight_from"};
  pos_weight_from_shape(target);
  const index_t C = target.shape.back();
  const index_t rows = C == 0 ? 0 : target.numel() / C;
  std::vector<double> pos(static_cast<size_t>(C), 0.0);
  for (index_t r = 0; r < rows; ++r) {
    const T* t = target.data + r * C;
    for (index_t c = 0; c < C; ++c) {
      const T v = t[c];
      if (!(v >= T(0) && v <= T(1)))
        ck.fail("target", "hold values in [0, 1]", cat(static_cast<double>(v), " at flat position ", r * C + c));
      pos[static_cast<size_t>(c)] += static_cast<double>(v);
    }
  }
  for (index_t c = 0; c < C; ++c) {
    const double p = pos[static_cast<size_t>(c)];
    if (p == 0.0) ck.fail("target", "have at least one positive in every class (last dim)", cat("none in class ", c));
    out[c] = static_cast<T>((static_cast<double>(rows) - p) / p);
  }
}

template Shape pos_weight_from_shape<float>(View<const float>);
template Shape pos_weight_from_shape<double>(View<const double>);
template void pos_weight_from<float>(View<const float>, float*);
template void pos_weight_from<double>(View<const double>, double*);

}  // namespace lossx
