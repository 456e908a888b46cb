// lossx/lossx.hpp — the umbrella header: every loss, the thread controls.
#pragma once

#include "lossx/core/error.hpp"
#include "lossx/core/parallel.hpp"
#include "lossx/core/view.hpp"
#include "lossx/classification.hpp"
#include "lossx/regression.hpp"
