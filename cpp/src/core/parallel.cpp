// The one place that uses OpenMP. Without OpenMP every region runs serially.
#include "lossx/core/parallel.hpp"

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "lossx/core/error.hpp"

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
}  // namespace

void set_num_threads(int n) {
  Check{"set_num_threads"}.param(n >= 1, "n", "be a positive number of threads", n);
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
