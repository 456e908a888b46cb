// lossx/embedding.hpp — the embedding family (see classification.hpp for the conventions).
#pragma once

#include "lossx/core/error.hpp"
#include "lossx/core/view.hpp"

namespace lossx {}  // namespace lossx
