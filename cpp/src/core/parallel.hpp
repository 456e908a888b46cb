// Internal: the only door to threads.
//
// `parallel_for` splits [0, n) into fixed blocks of `grain` items and lets the
// worker threads take whole blocks. `block_sum` builds deterministic sums on it:
// each block is summed in a fixed order in double, and the block partials are
// added serially in block order, so the result does not depend on how many
// threads ran or which thread took which block.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "lossx/core/threads.hpp"
#include "lossx/core/view.hpp"

namespace lossx {

/// Calls `fn(begin, end)` once per block [k*grain, min(n, (k+1)*grain)).
/// Blocks run in parallel; an exception thrown by `fn` is caught in its thread
/// and rethrown here after all threads have finished.
void parallel_for(index_t n, index_t grain, const std::function<void(index_t, index_t)>& fn);

/// Sum of `fn(begin, end)` over the blocks of [0, n), added in block order.
template <class F>
double block_sum(index_t n, index_t grain, F&& fn) {
  if (n <= 0) return 0.0;
  const index_t blocks = (n + grain - 1) / grain;
  if (blocks == 1) return fn(index_t{0}, n);
  std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
  parallel_for(n, grain, [&](index_t b, index_t e) { partial[static_cast<size_t>(b / grain)] = fn(b, e); });
  double s = 0.0;
  for (double p : partial) s += p;
  return s;
}

/// Two sums over the same blocks at once (a loss and its weight total, say).
template <class F>
std::pair<double, double> block_sum2(index_t n, index_t grain, F&& fn) {
  if (n <= 0) return {0.0, 0.0};
  const index_t blocks = (n + grain - 1) / grain;
  if (blocks == 1) return fn(index_t{0}, n);
  std::vector<std::pair<double, double>> partial(static_cast<size_t>(blocks));
  parallel_for(n, grain, [&](index_t b, index_t e) { partial[static_cast<size_t>(b / grain)] = fn(b, e); });
  double s = 0.0, t = 0.0;
  for (const auto& p : partial) {
    s += p.first;
    t += p.second;
  }
  return {s, t};
}

}  // namespace lossx
