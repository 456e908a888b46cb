// lossx/core/error.hpp — the two exception types every lossx function throws.
//
// Messages share one template: "<loss>: '<argument>' must <expectation>; got <actual>".
// The Python binding maps ValueError and TypeError to Python's built-ins.
#pragma once

#include <stdexcept>

namespace lossx {

/// A value or shape that the loss cannot accept (Python: ValueError).
struct ValueError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// An argument of the wrong kind or dtype (Python: TypeError).
struct TypeError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

}  // namespace lossx
