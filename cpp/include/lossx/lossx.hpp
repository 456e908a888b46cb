// lossx/lossx.hpp — the umbrella header: every loss, the thread controls.
#pragma once

#include "lossx/core/error.hpp"
#include "lossx/core/threads.hpp"
#include "lossx/core/view.hpp"
#include "lossx/classification.hpp"
#include "lossx/embedding.hpp"
#include "lossx/imbalance.hpp"
#include "lossx/margin.hpp"
#include "lossx/regression.hpp"
#include "lossx/sequence.hpp"
