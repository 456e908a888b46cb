// Internal: the boilerplate every elementwise (input, target) loss shares —
// same-shape check, explicit float/double instantiation — and the |d| point
// functor that l1_loss and smooth_l1_loss(beta=0) both use.
#pragma once

#include "lossx/regression.hpp"
#include "../core/elementwise.hpp"

namespace lossx::detail {
/// Input and target of an elementwise loss share one shape; no 'batchmean'.
inline void check_elementwise(const Check& ck, const Shape& input, const Shape& target, Reduction r) {
  ck.same_shape("target", target, "input", input);
  ck.param(r != Reduction::BatchMean, "reduction", "be one of 'none', 'mean', 'sum'", "'batchmean'");
}

/// |x - y|; gradient sign(x - y) with sign(0) = 0 and sign(nan) = 0, as PyTorch's l1 backward.
template <class T>
struct AbsError {
  T value(T x, T y, T) const { return std::fabs(x - y); }
  T grad(T x, T y, T) const {
    const T d = x - y;
    return static_cast<T>((T(0) < d) - (d < T(0)));
  }
};
}  // namespace lossx::detail

/// Instantiates NAME_shape and NAME_with_grad for float and double.
#define LOSSX_INSTANTIATE_ELEMENTWISE(NAME, OPTS)                                                            \
  template Shape NAME##_shape<float>(View<const float>, View<const float>, const OPTS<float>&);             \
  template Shape NAME##_shape<double>(View<const double>, View<const double>, const OPTS<double>&);         \
  template void NAME##_with_grad<float>(View<const float>, View<const float>, const OPTS<float>&,            \
                                        View<const float>, float*, float*);                                 \
  template void NAME##_with_grad<double>(View<const double>, View<const double>, const OPTS<double>&,       \
                                         View<const double>, double*, double*);
