// Result arrays of the binding: losses and gradients.
//
// Small results come from NumPy as usual. A large one (>= kLargeBytes) gets its own
// mapping, 2 MiB-aligned and advised for transparent huge pages (MADV_HUGEPAGE), handed
// to NumPy with a capsule as its owner. Why: a fresh 64 MB gradient costs the kernel of
// the OS a page fault per page and the zeroing of every byte before lossx writes it,
// which took as long as the loss itself (mse_loss forward+backward on 16M floats) and
// did not get faster with more threads. Two remedies here:
//   - huge pages: 32 faults of 2 MiB instead of 16384 of 4 KiB; the kernel's own
//     parallel loop is the first to touch the pages, so each thread faults in its blocks;
//   - a small cache of released mappings: when NumPy frees such an array, its mapping is
//     kept (up to kCacheBytes in all, the most recent first) and the next result of the same
//     rounded size reuses it, already faulted in. A training loop that computes a gradient
//     per step and drops the previous one then pays no faults at all.
// The cache holds at most LOSSX_RESULT_CACHE_MB MiB (environment, read once; default 256;
// 0 turns the cache off; a value that is not a decimal number is ignored). Its memory is returned to the OS when it overflows; an array the
// user keeps is never touched (the capsule returns it only once NumPy releases it).
// Only POSIX systems with mmap use this path; elsewhere every result is a NumPy array.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "lossx/lossx.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#define LOSSX_LARGE_RESULTS 1
#endif

namespace lossx::binding {

namespace py = pybind11;

namespace alloc_detail {

constexpr size_t kLargeBytes = size_t{1} << 20;  // below: NumPy's allocator
constexpr size_t kHuge = size_t{2} << 20;        // huge page size and mapping granularity

#ifdef LOSSX_LARGE_RESULTS

/// Released mappings kept for reuse, most recent last. Guarded by a mutex (the GIL is
/// held at both ends today, but a capsule may be released from any thread).
class MappingCache {
 public:
  static MappingCache& get() {
    static MappingCache* cache = new MappingCache();  // never destroyed: arrays may outlive static destructors
    return *cache;
  }

  /// A 2 MiB-aligned mapping of `bytes` (a multiple of kHuge), or nullptr when the OS refuses.
  void* acquire(size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (size_t k = blocks_.size(); k-- > 0;) {
        if (blocks_[k].bytes == bytes) {
          void* p = blocks_[k].ptr;
          blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(k));
          cached_ -= bytes;
          return p;
        }
      }
    }
    return map_aligned(bytes);
  }

  /// Takes back a mapping from acquire(): cached if it fits, else unmapped (then the oldest
  /// cached mappings make room for it first, so that the cache follows the current sizes).
  void release(void* p, size_t bytes) {
    std::vector<Block> drop;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (bytes <= limit_) {
        while (cached_ + bytes > limit_ && !blocks_.empty()) {
          drop.push_back(blocks_.front());
          cached_ -= blocks_.front().bytes;
          blocks_.erase(blocks_.begin());
        }
        blocks_.push_back({p, bytes});
        cached_ += bytes;
        p = nullptr;
      }
    }
    if (p) munmap(p, bytes);
    for (const Block& b : drop) munmap(b.ptr, b.bytes);
  }

 private:
  struct Block {
    void* ptr;
    size_t bytes;
  };

  MappingCache() {
    size_t mb = 256;
    if (const char* env = std::getenv("LOSSX_RESULT_CACHE_MB")) {
      char* end = nullptr;
      const unsigned long long v = std::strtoull(env, &end, 10);
      if (end != env && *end == '\0') mb = static_cast<size_t>(v < (1ull << 30) ? v : (1ull << 30));  // <= 1 EiB
    }
    limit_ = mb << 20;
  }

  // Maps bytes + kHuge and trims both ends to the 2 MiB boundary, so that every huge page
  // of the result can be a transparent huge page.
  static void* map_aligned(size_t bytes) {
    const size_t len = bytes + kHuge;
    void* raw = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    const auto base = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = (base + kHuge - 1) & ~(std::uintptr_t{kHuge} - 1);
    const size_t head = aligned - base, tail = len - head - bytes;
    if (head) munmap(raw, head);
    if (tail) munmap(reinterpret_cast<void*>(aligned + bytes), tail);
    void* p = reinterpret_cast<void*>(aligned);
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);  // advice only: without THP the pages are plain 4 KiB ones
#endif
    return p;
  }

  std::mutex mutex_;
  std::vector<Block> blocks_;
  size_t cached_ = 0;
  size_t limit_ = 0;
};

/// The capsule's payload: which mapping to give back.
struct Owned {
  void* ptr;
  size_t bytes;
};

#endif  // LOSSX_LARGE_RESULTS

}  // namespace alloc_detail

/// A new, uninitialised C-contiguous array of T with `shape` (every kernel writes all of
/// its outputs). Large arrays come from the mapping cache above.
template <class T>
py::array_t<T> alloc_array(const Shape& shape) {
  std::vector<py::ssize_t> dims(shape.begin(), shape.end());
#ifdef LOSSX_LARGE_RESULTS
  size_t count = 1;
  for (index_t d : shape) count *= static_cast<size_t>(d);
  const size_t bytes = count * sizeof(T);
  if (bytes >= alloc_detail::kLargeBytes) {
    const size_t rounded = (bytes + alloc_detail::kHuge - 1) & ~(alloc_detail::kHuge - 1);
    auto& cache = alloc_detail::MappingCache::get();
    if (void* p = cache.acquire(rounded)) {
      auto* owned = new alloc_detail::Owned{p, rounded};
      py::capsule owner;
      try {
        owner = py::capsule(owned, [](void* o) {
          auto* w = static_cast<alloc_detail::Owned*>(o);
          alloc_detail::MappingCache::get().release(w->ptr, w->bytes);
          delete w;
        });
      } catch (...) {  // no capsule: nothing owns the mapping yet
        cache.release(p, rounded);
        delete owned;
        throw;
      }
      return py::array_t<T>(dims, static_cast<T*>(p), owner);  // from here the capsule gives it back
    }
  }
#endif
  return py::array_t<T>(dims);
}

}  // namespace lossx::binding
