// Internal: the |d| point functor that l1_loss and smooth_l1_loss(beta=0) both use
// (so that smooth_l1_loss with beta=0 is l1_loss bitwise, as in PyTorch).
#pragma once

#include "lossx/regression.hpp"
#include "core/elementwise.hpp"

namespace lossx::detail {
/// |x - y|; gradient sign(x - y) with sign(0) = 0 and sign(nan) = 0, as PyTorch's l1 backward.
template <class T>
struct AbsError {
  LOSSX_INLINE T value(T x, T y, T) const { return std::fabs(x - y); }
  LOSSX_INLINE T grad(T x, T y, T) const {
    const T d = x - y;
    return static_cast<T>((T(0) < d) - (d < T(0)));
  }
};
}  // namespace lossx::detail
