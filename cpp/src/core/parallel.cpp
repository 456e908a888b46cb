// The one place that uses OpenMP. Without OpenMP every region runs serially.
//
// fork(): GCC's OpenMP runtime cannot be used in a child forked from a process that
// has run a parallel region (the child blocks forever on its first region, waiting
// for pool threads that fork did not copy). A pthread_atfork handler marks the
// child, and parallel_for there runs its blocks on plain std::threads started per
// call instead: the child keeps its thread count and its bitwise results (blocks
// are fixed; threads only choose who computes which).
#include "core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define LOSSX_HAVE_ATFORK 1
#endif

#include "core/check.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace lossx {

namespace {
int default_threads() {
#ifdef _OPENMP
  return omp_get_num_procs();
#else
  return 1;
#endif
}

std::atomic<int>& thread_setting() {
  static std::atomic<int> n{default_threads()};
  return n;
}

// Set in a child process after fork() (see the file comment).
std::atomic<bool> forked_child{false};

#ifdef LOSSX_HAVE_ATFORK
void mark_forked_child() { forked_child.store(true); }
// Registered when the library is loaded, before any parallel region can run.
const bool atfork_registered = pthread_atfork(nullptr, nullptr, mark_forked_child) == 0;
#endif

// Runs the blocks on `threads` std::threads (the caller being one), taking blocks
// from a shared counter. A thread that cannot be started leaves its share to the
// others; an exception from `fn` is rethrown after all threads have joined.
void run_on_std_threads(index_t n, index_t grain, index_t blocks, int threads,
                        const std::function<void(index_t, index_t)>& fn) {
  std::atomic<index_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    for (index_t k; (k = next.fetch_add(1)) < blocks;) {
      try {
        fn(k * grain, std::min(n, (k + 1) * grain));
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  };
  std::vector<std::thread> team;
  for (int t = 1; t < threads; ++t) {
    try {
      team.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: the started ones and the caller finish the blocks
    }
  }
  work();
  for (std::thread& t : team) t.join();
  if (error) std::rethrow_exception(error);
}
}  // namespace

int max_num_threads() { return kThreadsPerCore * std::max(1, default_threads()); }

void set_num_threads(int n) {
  const int most = max_num_threads();
  Check{"set_num_threads"}.param(n >= 1 && n <= most, "n",
                                 cat("be a number of threads in [1, ", most, "] (", kThreadsPerCore, " x the ",
                                     default_threads(), " CPUs this process may use)"),
                                 n);
  thread_setting().store(n);
}

int get_num_threads() { return thread_setting().load(); }

bool has_openmp() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

void parallel_for(index_t n, index_t grain, const std::function<void(index_t, index_t)>& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  const index_t blocks = (n + grain - 1) / grain;
  const int threads = static_cast<int>(std::min<index_t>(get_num_threads(), blocks));
  if (threads <= 1) {
    for (index_t k = 0; k < blocks; ++k) fn(k * grain, std::min(n, (k + 1) * grain));
    return;
  }
  if (forked_child.load(std::memory_order_relaxed)) {
    run_on_std_threads(n, grain, blocks, threads, fn);
    return;
  }
#ifdef _OPENMP
  std::exception_ptr error;
  std::mutex error_mutex;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (index_t k = 0; k < blocks; ++k) {
    try {
      fn(k * grain, std::min(n, (k + 1) * grain));
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
#else
  for (index_t k = 0; k < blocks; ++k) fn(k * grain, std::min(n, (k + 1) * grain));
#endif
}

}  // namespace lossx
