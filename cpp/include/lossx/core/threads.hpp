// lossx/core/threads.hpp — how many threads lossx's kernels use.
//
// Every kernel splits its work into fixed-size blocks and sums them in a fixed
// order, so results are bitwise identical for any thread count.
#pragma once

namespace lossx {

/// The thread count allowed per CPU: set_num_threads accepts up to this many times the CPUs.
constexpr int kThreadsPerCore = 4;
/// The largest thread count set_num_threads accepts: kThreadsPerCore x the CPUs this process may use.
int max_num_threads();
/// Threads used by every following kernel call, in [1, max_num_threads()] (ValueError otherwise:
/// an unbounded count would let the OpenMP runtime fail to start threads, which exits the process).
void set_num_threads(int n);
/// The current thread count; by default, all cores.
int get_num_threads();
/// Whether the library was built with OpenMP (otherwise every kernel is serial).
bool has_openmp();

}  // namespace lossx
