// lossx/sequence.hpp — sequence losses: the CTC loss (Graves et al., 2006) with
// PyTorch's semantics (torch.nn.functional.ctc_loss).
//
// Conventions as in classification.hpp: `ctc_loss_with_grad` is the one kernel
// (pass nullptr for the output you do not need); `ctc_loss` and
// `ctc_loss_backward` are thin wrappers; `ctc_loss_shape` validates everything
// that does not need the data and returns the 'none' shape.
//
// Layouts (all contiguous, row-major):
//   log_probs       (T, N, C), or (T, C) for one unbatched sequence;
//   targets         padded (N, S) — row n holds the target of sample n in its first
//                   target_lengths[n] entries, the rest is never read — or
//                   concatenated (sum of target_lengths,); unbatched: (L,) or (1, S);
//   input_lengths   (N,) — () or (1,) unbatched — each in [0, T];
//   target_lengths  (N,) — () or (1,) unbatched — each >= 0 (<= S when padded).
// `I` is the integer type of the targets and `L` that of both length arrays
// (int32_t or int64_t each).
//
// The gradient is the true derivative with respect to `log_probs`:
//   d loss_n / d log_probs[t, n, c] = -gamma_n(t, c)  for t < input_lengths[n], 0 beyond,
// gamma the CTC posterior occupation probability of class c at frame t. PyTorch
// instead returns exp(log_probs) - gamma (the gradient with respect to the logits
// of a log_softmax that produced log_probs); applying log_softmax_backward to
// lossx's gradient gives PyTorch's value.
#pragma once

#include <cstddef>

#include "lossx/core/error.hpp"
#include "lossx/core/threads.hpp"
#include "lossx/core/view.hpp"

namespace lossx {

// ---------------------------------------------------------------- ctc_loss
struct CtcOptions {
  index_t blank = 0;                       ///< the blank class, in [0, C)
  Reduction reduction = Reduction::Mean;   ///< 'mean' divides each loss by max(target_length, 1), then averages
  bool zero_infinity = false;              ///< impossible alignments give loss 0 and gradient 0 instead of inf / nan
};

/// Validates shapes, `blank` and `reduction` (not the data); returns the 'none' shape: (N,), or () unbatched.
template <class T, class I, class L>
Shape ctc_loss_shape(View<const T> log_probs, View<const I> targets, View<const L> input_lengths,
                     View<const L> target_lengths, const CtcOptions& opt);

/// Bytes of scratch memory a `ctc_loss_with_grad` call with these arguments needs to keep `threads`
/// samples in flight (loss only if `with_grad` is false). Validates the lengths.
/// log_probs, targets, input_lengths, target_lengths, opt: as for ctc_loss_with_grad.
/// with_grad: whether the call will compute the gradient (it needs more rows per sample).
/// threads: samples computed at once; pass the thread count the call will run with.
template <class T, class I, class L>
std::size_t ctc_loss_workspace_size(View<const T> log_probs, View<const I> targets, View<const L> input_lengths,
                                    View<const L> target_lengths, const CtcOptions& opt, bool with_grad,
                                    int threads = get_num_threads());

/// Loss and/or gradient w.r.t. `log_probs` in one pass. `loss` receives the 'none' shape or one value;
/// `grad_log_probs` has log_probs' shape and needs `grad_output` (shape () if reduced, else the 'none'
/// shape). `workspace`: nullptr (allocated internally, once per call), or `workspace_bytes` bytes
/// aligned for double: at least one sample's slot (ValueError otherwise); it holds
/// workspace_bytes / slot samples in flight, and samples beyond that allocate their own, so a
/// buffer of `ctc_loss_workspace_size(..., threads)` bytes serves a call at any thread count.
/// Bitwise identical for any thread count and any workspace size.
template <class T, class I, class L>
void ctc_loss_with_grad(View<const T> log_probs, View<const I> targets, View<const L> input_lengths,
                        View<const L> target_lengths, const CtcOptions& opt, View<const T> grad_output, T* loss,
                        T* grad_log_probs, void* workspace = nullptr, std::size_t workspace_bytes = 0);

/// The loss only.
template <class T, class I, class L>
void ctc_loss(View<const T> log_probs, View<const I> targets, View<const L> input_lengths,
              View<const L> target_lengths, const CtcOptions& opt, T* loss) {
  ctc_loss_with_grad<T, I, L>(log_probs, targets, input_lengths, target_lengths, opt, {}, loss, nullptr);
}

/// The gradient of sum(grad_output * ctc_loss(...)) w.r.t. `log_probs` (the true derivative, see above).
template <class T, class I, class L>
void ctc_loss_backward(View<const T> grad_output, View<const T> log_probs, View<const I> targets,
                       View<const L> input_lengths, View<const L> target_lengths, const CtcOptions& opt,
                       T* grad_log_probs) {
  ctc_loss_with_grad<T, I, L>(log_probs, targets, input_lengths, target_lengths, opt, grad_output, nullptr,
                              grad_log_probs);
}

}  // namespace lossx
