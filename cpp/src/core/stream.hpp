// Internal: non-temporal ("streaming") stores for outputs much larger than the cache.
//
// Why: a plain store to a line that is not in the cache first reads the line from memory
// (write-allocate), and the line goes back to memory later: writing an output array moves it
// twice. x86's non-temporal stores (movntps / movntpd) gather whole 64-byte lines in
// write-combining buffers and write them to memory without reading them. For the gradient pass
// of an elementwise loss (read x and y, write grad) that is 4 array-lengths of traffic instead of
// 3. On the CI machine (Zen 4, 1 thread) the mse_loss gradient pattern over 16M floats took
// 4.8-5.0 ms instead of 7.4-7.8 ms (bench/nt_stores/elementwise_micro.c), and lossx's
// elementwise fwd+bwd and backward calls 7-30 % less time than with plain stores
// (bench/results_kernels.md, "session 5").
//
// When: outputs of at least kStreamMinBytes (stream_wanted). A streamed line leaves the cache,
// so a caller that reads the output right away (an optimizer step reading the gradient) fetches
// it from memory again; a plain-stored output stays in the cache as far as it fits. From 16 MiB
// on, the output and the two inputs it is computed from (48 MiB and more) outgrow the CI
// machine's 32 MB L3, shared by the cores, so a plain-stored output would mostly be evicted by the
// call itself; smaller outputs keep plain stores. x86-64 only (SSE2, part of the baseline);
// elsewhere stream_wanted() says no.
//
// Row kernels (softmax / log_softmax, cross_entropy's gradient) read a row in one pass and write
// it in a later one. Streaming every output there measured 0-30 % slower calls
// (bench/results_kernels.md, "session 5"). What pays there: `NAME_with_grad` of softmax /
// log_softmax keeps e = exp(x - m) of pass 2 in one output and writes the other output only in
// pass 3; streaming just that one (log_softmax: out; softmax: grad) took log_softmax_with_grad
// (8192, 1000) from 79-80 % to 94-99 % of the np.add floor at 1 thread, softmax_with_grad from
// 97-99 % to 100-107 % (softmax.cpp, SoftmaxArgs::stream_late).
//
// How: the kernel computes each group of 64 bytes of output (16 floats or 8 doubles) with its
// usual loop body into a small aligned buffer, and stream_store64 writes the group with four
// 16-byte non-temporal stores (SSE2: the same body compiles in every LOSSX_SIMD_CLONES clone;
// GCC offers non-temporal stores only as per-ISA intrinsics and ignores `#pragma omp simd
// nontemporal`). GCC keeps the buffer in registers. The groups cover the whole 64-byte lines of
// the output range (stream_span); the values before and after them take plain stores. Each value
// is computed by the same expression as on the plain path: the results are bitwise the same.
//
// Ordering: non-temporal stores are weakly ordered. Each thread calls stream_fence() (sfence)
// after the last stream_store64 of its parallel block; the join of parallel_for then publishes
// the data as it does for plain stores.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/math.hpp"
#include "lossx/core/view.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <emmintrin.h>
#define LOSSX_STREAM_STORES 1
#endif

namespace lossx::detail {

/// Outputs of at least this many bytes are streamed: 16 MiB (see the header comment).
constexpr size_t kStreamMinBytes = size_t{16} << 20;

/// Whether an output of `bytes` is streamed (see kStreamMinBytes).
inline bool stream_wanted(size_t bytes) {
#ifdef LOSSX_STREAM_STORES
  return bytes >= kStreamMinBytes;
#else
  (void)bytes;
  return false;
#endif
}

/// Values of T in one 64-byte line.
template <class T>
constexpr index_t kLineValues = 64 / static_cast<index_t>(sizeof(T));

/// The part of the n values at p that stream_store64 writes: `lines` whole 64-byte lines from
/// p + head; the values before and after them take plain stores.
struct StreamSpan {
  index_t head;
  index_t lines;
};
template <class T>
LOSSX_INLINE StreamSpan stream_span(const T* p, index_t n) {
  const auto addr = reinterpret_cast<std::uintptr_t>(p);
  if (addr % sizeof(T) != 0) return {n, 0};  // not even value-aligned: plain stores only
  const index_t head = std::min<index_t>(n, static_cast<index_t>((64 - addr % 64) % 64 / sizeof(T)));
  return {head, (n - head) / kLineValues<T>};
}

/// Writes the 64 bytes of `buf` (64-byte aligned) to p (64-byte aligned) with non-temporal stores.
LOSSX_INLINE void stream_store64(float* p, const float* buf) {
#ifdef LOSSX_STREAM_STORES
  for (int k = 0; k < 16; k += 4) _mm_stream_ps(p + k, _mm_load_ps(buf + k));
#else
  std::memcpy(p, buf, 64);
#endif
}
LOSSX_INLINE void stream_store64(double* p, const double* buf) {
#ifdef LOSSX_STREAM_STORES
  for (int k = 0; k < 8; k += 2) _mm_stream_pd(p + k, _mm_load_pd(buf + k));
#else
  std::memcpy(p, buf, 64);
#endif
}

/// Orders this thread's non-temporal stores before whatever it does next (sfence); call once
/// after the last stream_store64 of a parallel block.
inline void stream_fence() {
#ifdef LOSSX_STREAM_STORES
  _mm_sfence();
#endif
}

/// Stores f(i) for i in [b, e) to out[i]: the whole 64-byte lines of out with stream_store64
/// (each line's values computed by an `omp simd` loop into an aligned buffer, which GCC keeps in
/// registers), the values before and after them with plain stores. f is one expression for every
/// i, so the values are bitwise those of a plain loop `out[i] = f(i)`.
template <class T, class F>
LOSSX_INLINE void stream_values(T* out, index_t b, index_t e, F f) {
  constexpr index_t L = kLineValues<T>;
  const StreamSpan sp = stream_span(out + b, e - b);
  index_t i = b;
  for (const index_t h = b + sp.head; i < h; ++i) out[i] = f(i);
  for (index_t k = 0; k < sp.lines; ++k, i += L) {
    alignas(64) T buf[L];
#pragma omp simd
    for (index_t j = 0; j < L; ++j) buf[j] = f(i + j);
    stream_store64(out + i, buf);
  }
  for (; i < e; ++i) out[i] = f(i);
}

}  // namespace lossx::detail
