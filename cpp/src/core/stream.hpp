// Internal: non-temporal ("streaming") stores for outputs much larger than the cache.
//
// Why: a plain store to a line that is not in the cache first reads that line from memory
// (write-allocate, "read for ownership"), and the line goes back to memory later: writing an
// output array moves it twice. log_softmax's forward reads x and writes out, i.e. three
// array-lengths of memory traffic, where a copy that streams moves two. x86's non-temporal
// stores (movntps) collect whole 64-byte lines in write-combining buffers and write them straight
// to memory, with no read.
//
// When: only when one call writes at least kStreamMinBytes in all (stream_wanted). A streamed
// line leaves the cache, so a caller that reads a small output right away would fetch it from
// memory again: below the threshold the output stays in the cache as before. Above it, the
// output plus the inputs outgrow the share of the L3 (32 MB on the CI machine, shared by the
// cores) a call can count on, and a plain-stored output would mostly be evicted anyway. Only on
// x86 (SSE, part of every x86-64); elsewhere stream_wanted() says no and the plain stores stay.
//
// How: the kernel's output loop stores 16 values at a time with stream_store16 (four 16-byte
// movntps: SSE, so the one body compiles in every LOSSX_SIMD_CLONES clone; GCC offers
// non-temporal stores only as per-ISA intrinsics and ignores `#pragma omp simd nontemporal`).
// The stores go to the 64-byte lines that lie wholly inside the output row; the values before
// the first and after the last such line take plain stores (stream_span says where), so a line
// shared with the neighbouring row is written through the cache by both. Values are computed
// by the same operations as on the plain path: the results are bitwise the same, only the store
// instruction differs. Intermediate values a kernel would park in the output (exp(x - max)) go
// to a small per-thread scratch row instead (stream_scratch), which stays in L1: a line
// that was written with a plain store is in the cache and gains nothing from a streamed rewrite.
//
// Streaming directly from the output loop matters: computing rows into an L1 scratch and then
// copying each chunk out with non-temporal stores was measured slower than plain stores
// (log_softmax_with_grad (8192, 1000): 1.4-1.9x the time): bursts of streamed lines with no loads
// in between stall on the write-combining buffers, while stores spread over the output loop
// drain as they go.
//
// Ordering: non-temporal stores are weakly ordered. Each thread calls stream_fence() (sfence)
// after the last streamed store of its parallel block, before the block ends; the join of
// parallel_for then publishes the data as it does for plain stores.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/math.hpp"
#include "lossx/core/view.hpp"

#if (defined(__x86_64__) || (defined(__i386__) && defined(__SSE__))) && defined(__GNUC__)
#include <immintrin.h>
#define LOSSX_STREAM_STORES 1
#endif

namespace lossx::detail {

/// Calls writing at least this many bytes of output in all stream them: 4 MiB, 1/8 of the CI
/// machine's L3 and twice a core's L2 (see the header comment).
constexpr size_t kStreamMinBytes = size_t{4} << 20;

/// Whether a call writing `bytes` of output in all streams them (see kStreamMinBytes).
inline bool stream_wanted(size_t bytes) {
#ifdef LOSSX_STREAM_STORES
  return bytes >= kStreamMinBytes;
#else
  (void)bytes;
  return false;
#endif
}

/// The part of the n-element row at p that stream_store16 writes: [head, head + 16·vectors)
/// holds whole 64-byte lines; [0, head) and the rest take plain stores.
struct StreamSpan {
  index_t head;
  index_t vectors;
};
template <class T>
LOSSX_INLINE StreamSpan stream_span(const T* p, index_t n) {
  static_assert(64 % sizeof(T) == 0, "a line holds whole values");
  const auto addr = reinterpret_cast<std::uintptr_t>(p);
  constexpr index_t per_line = 64 / static_cast<index_t>(sizeof(T));
  if (addr % sizeof(T) != 0) return {n, 0};  // not even value-aligned: plain stores only
  const index_t head = std::min<index_t>(n, static_cast<index_t>((64 - addr % 64) % 64 / sizeof(T)));
  return {head, (n - head) / per_line};
}

#if LOSSX_VEC16
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"  // see math.hpp
/// Stores the 16 floats of v at p (16-byte aligned; in stream_span's range) with non-temporal
/// stores: four 16-byte movntps, which every x86 clone has (the AVX-512 one extracts the
/// quarters of its register).
LOSSX_INLINE void stream_store16(float* p, f32x16 v) {
#ifdef LOSSX_STREAM_STORES
  _mm_stream_ps(p, (__m128)__builtin_shufflevector(v, v, 0, 1, 2, 3));
  _mm_stream_ps(p + 4, (__m128)__builtin_shufflevector(v, v, 4, 5, 6, 7));
  _mm_stream_ps(p + 8, (__m128)__builtin_shufflevector(v, v, 8, 9, 10, 11));
  _mm_stream_ps(p + 12, (__m128)__builtin_shufflevector(v, v, 12, 13, 14, 15));
#else
  store16(p, v);
#endif
}
#pragma GCC diagnostic pop
#endif

#if LOSSX_VEC16 && defined(__x86_64__) && defined(LOSSX_STREAM_STORES)
#define LOSSX_STREAM_AVX512 1
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"  // see math.hpp
/// Stores at1(c) for c in [0, n) to dst: the whole 64-byte lines of dst with one non-temporal
/// 64-byte store each (at16(c): the values [c, c + 16)), the values outside them one by one
/// with plain stores. AVX-512 code (callers run it only where detail::vec16_fast() holds): in
/// the x86-64-v4 clone it is inlined, the other clones only hold a call they never make.
template <class At1, class At16>
__attribute__((target("arch=x86-64-v4"))) inline void stream_values16(float* dst, index_t n, At1 at1, At16 at16) {
  const StreamSpan sp = stream_span(dst, n);
  index_t c = 0;
  for (; c < sp.head; ++c) dst[c] = at1(c);
  for (index_t v = 0; v < sp.vectors; ++v, c += 16) {
#if LOSSX_STREAM_EXPERIMENT_128
    stream_store16(dst + c, at16(c));
#elif LOSSX_STREAM_EXPERIMENT_PLAIN
    store16(dst + c, at16(c));
#else
    _mm512_stream_ps(dst + c, (__m512)at16(c));
#endif
  }
  for (; c < n; ++c) dst[c] = at1(c);
}
#pragma GCC diagnostic pop
#endif

/// Orders this thread's non-temporal stores before whatever it does next (sfence); call once
/// after the last stream_store16 of a parallel block.
inline void stream_fence() {
#ifdef LOSSX_STREAM_STORES
  _mm_sfence();
#endif
}

/// A per-thread scratch row for n values of T, placed by stream_scratch_row (the buffer only
/// grows; valid until the thread's next call with a larger n).
template <class T>
T* stream_scratch(index_t n) {
  thread_local std::vector<T> buf;
  const auto need = static_cast<size_t>(n) + 8192 / sizeof(T);  // room to align and to shift by < 4096 bytes
  if (buf.size() < need) buf.resize(need);
  const auto p = reinterpret_cast<std::uintptr_t>(buf.data());
  return reinterpret_cast<T*>((p + 4095) & ~std::uintptr_t{4095});
}

/// Where in a stream_scratch buffer a kernel keeps a row it computes from `x`: at x's address
/// modulo 4096. A store and a later load whose addresses agree in their low 12 bits look alike
/// to the CPU ("4K aliasing") and the load waits; a fixed scratch row against x rows that move
/// along the input hits that for many rows (softmax forward took 1.4x as long). At x's offset,
/// the exp stored at e[c] and the x values loaded after it are 4 KB apart only past the row's end.
template <class T>
T* stream_scratch_row(T* scratch, const T* x) {
  return reinterpret_cast<T*>(reinterpret_cast<char*>(scratch) + (reinterpret_cast<std::uintptr_t>(x) & 4095));
}

}  // namespace lossx::detail
