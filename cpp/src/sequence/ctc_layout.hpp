// Internal: everything about a ctc_loss call that depends on the shapes and the
// lengths, computed once per call and shared by the workspace-size query and the
// kernel (STYLE "CTC": offsets by prefix sum, never recomputed per sample).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstddef>
#include <numeric>
#include <vector>

#include "core/check.hpp"
#include "core/parallel.hpp"
#include "lossx/sequence.hpp"

namespace lossx::detail {

/// The shape facts of a ctc_loss call, validated (no data read).
struct CtcDims {
  index_t T = 0, N = 0, C = 0;
  bool batched = true;  ///< log_probs (T, N, C); false for (T, C)
  bool padded = true;   ///< targets (N, S); false for the concatenated 1-D layout
  index_t S = 0;        ///< padded width (0 when concatenated)
};

template <class T, class I, class L>
CtcDims ctc_dims(const Check& ck, View<const T> log_probs, View<const I> targets, View<const L> input_lengths,
                 View<const L> target_lengths, const CtcLossOptions& opt) {
  ck.contiguous("log_probs", log_probs);
  ck.contiguous("targets", targets);
  ck.contiguous("input_lengths", input_lengths);
  ck.contiguous("target_lengths", target_lengths);
  ck.ndim_between("log_probs", log_probs.shape, 2, 3);
  CtcDims d;
  const Shape& s = log_probs.shape;
  d.batched = s.size() == 3;
  d.T = s[0];
  d.N = d.batched ? s[1] : 1;
  d.C = s.back();
  // labels are handled as int32 inside the kernel (a gather with 64-bit indices defeats GCC's
  // AVX-512 float loops); a frame of 2^31 classes is not a CTC use case
  ck.param(d.C <= INT32_MAX, "log_probs", "have fewer than 2^31 classes", d.C);
  if (!(opt.blank >= 0 && opt.blank < d.C))  // the message is formatted only on failure
    ck.fail("blank", cat("lie in [0, C) = [0, ", d.C, ")"), cat(opt.blank));
  ck.param(opt.reduction != Reduction::BatchMean, "reduction", "be one of 'none', 'mean', 'sum'", "'batchmean'");
  // A batch-first (N, T, C) log_probs shows as input_lengths of length s[0] instead of s[1]:
  // name the real mistake rather than the lengths.
  if (d.batched && s[0] != s[1] && input_lengths.shape == Shape{s[0]} &&
      (target_lengths.shape == Shape{s[0]} || (targets.shape.size() == 2 && targets.shape[0] == s[0])))
    ck.fail("log_probs",
            cat("be time-major (T, N, C), with the batch in dim 1 (input_lengths has ", s[0],
                " entries, dim 0 of 'log_probs'); a batch-first (N, T, C) array needs log_probs.transpose(1, 0, 2)"),
            shape_str(s));
  for (const auto* a : {&input_lengths, &target_lengths}) {
    const char* name = a == &input_lengths ? "input_lengths" : "target_lengths";
    if (d.batched) {
      ck.shape_is(name, a->shape, Shape{d.N}, "log_probs", s);
    } else if (!(a->shape.empty() || a->shape == Shape{1})) {
      ck.fail(name, cat("be a scalar (or shape (1,)) for an unbatched 'log_probs' ", shape_str(s)),
              shape_str(a->shape));
    }
  }
  ck.ndim_between("targets", targets.shape, 1, 2);
  d.padded = targets.shape.size() == 2;
  if (d.padded) {
    if (targets.shape[0] != d.N)
      ck.fail("targets", cat("have ", d.N, " row(s) (padded (N, S) layout) to match 'log_probs' ", shape_str(s)),
              shape_str(targets.shape));
    d.S = targets.shape[1];
  }
  return d;
}

/// float32 inputs run a sample's recursions in float32 up to this many frames and in double
/// beyond: float32 log space accumulates rounding over the frames (posteriors to ~3e-5
/// absolute at 1024 frames, growing with length); double stays near 1e-7 at any length.
/// float64 inputs always run in double.
constexpr index_t kCtcFloatFrames = 1024;

/// Per-sample lengths, offsets and workspace of one call.
struct CtcLayout {
  CtcDims d;
  std::vector<index_t> input_len;   ///< frames read for sample n
  std::vector<index_t> target_len;  ///< labels of sample n
  std::vector<index_t> target_off;  ///< where sample n's labels start in targets (prefix sums if concatenated)
  std::vector<index_t> order;       ///< samples by decreasing work: the order tasks are handed out (balance only)
  std::size_t slot_bytes = 0;        ///< workspace of one sample in flight: the largest sample's need
  index_t slots = 0;                 ///< samples in flight at once: min(threads, N)

  /// One row of the recursions: blank states [0, L], a pad, label states [L+2, 2L+1], a pad.
  static index_t row_len(index_t L) { return 2 * L + 3; }
  /// Rows sample n keeps: every alpha row and two beta rows with a gradient; two alpha rows without.
  index_t rows(index_t n, bool with_grad) const { return with_grad ? input_len[n] + 2 : 2; }
  /// Where each part of sample n's workspace slot starts (byte offsets, each part rounded up to
  /// 64 bytes) and the slot's total size: the per-row offsets (doubles), its labels as int32
  /// (L+1), the skip mask (L+1 values) and the rows, in the work type of `value_size` bytes.
  /// The one description of a slot: the size query and the kernel both read it.
  struct Slot {
    std::size_t offsets = 0, labels = 0, skip = 0, rows = 0, bytes = 0;
  };
  Slot slot(index_t n, bool with_grad, std::size_t value_size) const {
    const index_t L = target_len[n];
    Slot s;
    s.offsets = 0;
    s.labels = s.offsets + round64(static_cast<std::size_t>(rows(n, with_grad)) * sizeof(double));
    s.skip = s.labels + round64(static_cast<std::size_t>(L + 1) * sizeof(std::int32_t));
    s.rows = s.skip + round64(static_cast<std::size_t>(L + 1) * value_size);
    s.bytes = s.rows + round64(static_cast<std::size_t>(rows(n, with_grad) * row_len(L)) * value_size);
    return s;
  }
  /// Bytes of one recursion value of sample n for inputs of `input_size` bytes (see kCtcFloatFrames).
  std::size_t work_size(index_t n, std::size_t input_size) const {
    return input_size < sizeof(double) && input_len[n] > kCtcFloatFrames ? sizeof(double) : input_size;
  }
  std::size_t bytes() const { return static_cast<std::size_t>(slots) * slot_bytes; }
  static std::size_t round64(std::size_t b) { return (b + 63) / 64 * 64; }
};

/// Validates shapes and lengths (not the labels) and lays out the call for `threads` samples in flight.
template <class T, class I, class L>
CtcLayout ctc_layout(const Check& ck, View<const T> log_probs, View<const I> targets, View<const L> input_lengths,
                     View<const L> target_lengths, const CtcLossOptions& opt, bool with_grad, int threads) {
  CtcLayout l;
  l.d = ctc_dims(ck, log_probs, targets, input_lengths, target_lengths, opt);
  const index_t N = l.d.N;
  l.input_len.resize(static_cast<size_t>(N));
  l.target_len.resize(static_cast<size_t>(N));
  l.target_off.resize(static_cast<size_t>(N));
  const index_t numel_targets = targets.numel();
  index_t offset = 0;
  for (index_t n = 0; n < N; ++n) {
    const auto il = static_cast<index_t>(input_lengths.data[n]);
    const auto tl = static_cast<index_t>(target_lengths.data[n]);
    if (il < 0 || il > l.d.T)
      ck.fail("input_lengths", cat("lie in [0, T] = [0, ", l.d.T, "] (T = log_probs.shape[0])"),
              cat(il, " for sample ", n));
    if (tl < 0) ck.fail("target_lengths", "be >= 0", cat(tl, " for sample ", n));
    if (l.d.padded && tl > l.d.S)
      ck.fail("target_lengths", cat("be at most S = ", l.d.S, ", the width of the padded 'targets' ",
                                    shape_str(targets.shape)),
              cat(tl, " for sample ", n));
    if (!l.d.padded && tl > numel_targets - offset)  // checked per sample, so the running sum cannot overflow
      ck.fail("target_lengths", cat("sum to the length of the concatenated 'targets' (", numel_targets, ",)"),
              cat("a running sum of ", offset, " + ", tl, " at sample ", n));
    l.input_len[n] = il;
    l.target_len[n] = tl;
    l.target_off[n] = l.d.padded ? n * l.d.S : offset;
    offset += tl;
  }
  if (!l.d.padded && offset != numel_targets)
    ck.fail("target_lengths", cat("sum to the length of the concatenated 'targets' (", numel_targets, ",)"),
            cat("a sum of ", offset));
  // Work of a sample ~ frames x states; the longest go first so that no thread is left with one at the end.
  l.order.resize(static_cast<size_t>(N));
  std::iota(l.order.begin(), l.order.end(), index_t{0});
  std::stable_sort(l.order.begin(), l.order.end(), [&](index_t a, index_t b) {
    return l.input_len[a] * (2 * l.target_len[a] + 1) > l.input_len[b] * (2 * l.target_len[b] + 1);
  });
  for (index_t n = 0; n < N; ++n)
    l.slot_bytes = std::max(l.slot_bytes, l.slot(n, with_grad, l.work_size(n, sizeof(T))).bytes);
  l.slots = std::min<index_t>(std::max(threads, 1), N);
  return l;
}

/// Every label inside a target length must be a class in [0, C) other than blank (a serial pre-pass,
/// so the first bad label is the one reported). Padding beyond a target length is never read.
template <class I>
void ctc_check_labels(const Check& ck, const CtcLayout& l, const I* targets, index_t blank) {
  for (index_t n = 0; n < l.d.N; ++n) {
    const I* lab = targets + l.target_off[n];
    for (index_t k = 0; k < l.target_len[n]; ++k) {
      const auto v = static_cast<index_t>(lab[k]);
      if (v < 0 || v >= l.d.C || v == blank)
        ck.fail("targets", cat("hold labels in [0, ", l.d.C, ") other than blank=", blank, " within each target length"),
                cat(v, " at sample ", n, ", position ", k));
    }
  }
}

}  // namespace lossx::detail
