// Internal: the boilerplate every elementwise (input, target) loss shares —
// same-shape check, explicit float/double instantiation.
#pragma once

#include "lossx/regression.hpp"
#include "../core/elementwise.hpp"

namespace lossx::detail {
/// Input and target of an elementwise loss share one shape; no 'batchmean'.
inline void check_elementwise(const Check& ck, const Shape& input, const Shape& target, Reduction r) {
  ck.same_shape("target", target, "input", input);
  ck.param(r != Reduction::BatchMean, "reduction", "be one of 'none', 'mean', 'sum'", "'batchmean'");
}
}  // namespace lossx::detail

/// Instantiates NAME_shape and NAME_with_grad for float and double.
#define LOSSX_INSTANTIATE_ELEMENTWISE(NAME, OPTS)                                                            \
  template Shape NAME##_shape<float>(View<const float>, View<const float>, const OPTS<float>&);             \
  template Shape NAME##_shape<double>(View<const double>, View<const double>, const OPTS<double>&);         \
  template void NAME##_with_grad<float>(View<const float>, View<const float>, const OPTS<float>&,            \
                                        View<const float>, float*, float*);                                 \
  template void NAME##_with_grad<double>(View<const double>, View<const double>, const OPTS<double>&,       \
                                         View<const double>, double*, double*);
