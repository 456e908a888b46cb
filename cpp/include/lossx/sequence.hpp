// lossx/sequence.hpp — sequence losses: the CTC loss (Graves et al., 2006) with
// PyTorch's semantics (torch.nn.functional.ctc_loss).
//
// Entry points (T is float or double; I the integer type of the targets and L that of
// both length arrays, int32_t or int64_t each):
//   ctc_loss_shape(...)            validates the arguments (not the data); returns the 'none' shape.
//   ctc_loss_workspace_size(...)   the scratch bytes a call needs (optional: see ctc_loss_run).
//   ctc_loss_run(..., request)     the one kernel: computes what the Request asks (core/request.hpp).
//   ctc_loss(..., loss)            the loss: one value if reduced, else the 'none' shape.
//   ctc_loss_backward(grad_output, ..., grad_log_probs)
//                                  the gradient of sum(grad_output · ctc_loss(...)) w.r.t. log_probs.
//   ctc_loss_with_grad(..., grad_output, loss, grad_log_probs)
//                                  both in one pass (nullptr for an output you do not need).
//                                  grad_output: shape () if reduced, else the 'none' shape or shape ()
//                                  (uniform: one value for every term, e.g. 1 without an array of ones;
//                                  the same gradient bitwise; see core/request.hpp).
//   ctc_loss_partial(...)          the partial sums (total, denominator) of the reduction: over any
//                                  split of a batch, 'mean' is Σ total / Σ denominator, 'sum' Σ total.
//   ctc_loss_partial_backward(scale, ..., grad_log_probs)
//                                  the gradient of scale · total.
//
// Layouts (all contiguous, row-major):
//   log_probs       (T, N, C), or (T, C) for one unbatched sequence;
//   targets         padded (N, S) — row n holds the target of sample n in its first
//                   target_lengths[n] entries, the rest is never read — or
//                   concatenated (sum of target_lengths,); unbatched: (L,) or (1, S);
//   input_lengths   (N,) — () or (1,) unbatched — each in [0, T];
//   target_lengths  (N,) — () or (1,) unbatched — each >= 0 (<= S when padded).
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
#include "lossx/core/request.hpp"
#include "lossx/core/threads.hpp"
#include "lossx/core/view.hpp"

namespace lossx {

// ---------------------------------------------------------------- ctc_loss
/// Options of ctc_loss.
struct CtcLossOptions {
  index_t blank = 0;                      ///< the blank class, in [0, C)
  bool zero_infinity = false;             ///< impossible alignments give loss 0 and gradient 0 instead of inf / nan
  Reduction reduction = Reduction::Mean;  ///< 'none', 'mean' (of loss_n / max(target_length_n, 1)) or 'sum'
};

/// Validates shapes, `blank` and `reduction` (not the data); returns the 'none' shape: (N,), or () unbatched.
template <class T, class I, class L>
Shape ctc_loss_shape(View<const T> log_probs, View<const I> targets, View<const L> input_lengths,
                     View<const L> target_lengths, const CtcLossOptions& opt);

/// Bytes of scratch memory a `ctc_loss_run` call with these arguments needs to keep `threads`
/// samples in flight (loss only if `with_grad` is false). Validates the lengths.
/// log_probs, targets, input_lengths, target_lengths, opt: as for ctc_loss_run.
/// with_grad: whether the call will compute a gradient (it needs more rows per sample).
/// threads: samples computed at once; pass the thread count the call will run with.
template <class T, class I, class L>
std::size_t ctc_loss_workspace_size(View<const T> log_probs, View<const I> targets, View<const L> input_lengths,
                                    View<const L> target_lengths, const CtcLossOptions& opt, bool with_grad,
                                    int threads = get_num_threads());

/// Computes what `request` asks: the loss and/or the gradient w.r.t. `log_probs` (request.grad,
/// log_probs' shape), or the partial sums (Σ_n loss_n / max(L_n, 1), N) under 'mean' and
/// (Σ_n loss_n, N) under 'sum' (zero_infinity applies), or the gradient of scale · total.
/// `workspace`: nullptr (allocated internally, once per call), or `workspace_bytes` bytes
/// aligned for double: at least one sample's slot (ValueError otherwise); it holds
/// workspace_bytes / slot samples in flight, and samples beyond that allocate their own, so a
/// buffer of `ctc_loss_workspace_size(..., threads)` bytes serves a call at any thread count.
/// Bitwise identical for any thread count and any workspace size.
template <class T, class I, class L>
void ctc_loss_run(View<const T> log_probs, View<const I> targets, View<const L> input_lengths,
                  View<const L> target_lengths, const CtcLossOptions& opt, const Request<T>& request,
                  void* workspace = nullptr, std::size_t workspace_bytes = 0);

/// The loss only.
template <class T, class I, class L>
void ctc_loss(View<const T> log_probs, View<const I> targets, View<const L> input_lengths,
              View<const L> target_lengths, const CtcLossOptions& opt, T* loss) {
  ctc_loss_run(log_probs, targets, input_lengths, target_lengths, opt, Request<T>::value({}, loss, nullptr));
}
/// The gradient of sum(grad_output · ctc_loss(...)) w.r.t. `log_probs` (the true derivative, see above).
template <class T, class I, class L>
void ctc_loss_backward(View<const T> grad_output, View<const T> log_probs, View<const I> targets,
                       View<const L> input_lengths, View<const L> target_lengths, const CtcLossOptions& opt,
                       T* grad_log_probs) {
  ctc_loss_run(log_probs, targets, input_lengths, target_lengths, opt,
               Request<T>::value(grad_output, nullptr, grad_log_probs));
}
/// Loss and/or gradient in one pass; `grad_output` has shape () if reduced, else the 'none'
/// shape. `workspace`, `workspace_bytes`: as for ctc_loss_run.
template <class T, class I, class L>
void ctc_loss_with_grad(View<const T> log_probs, View<const I> targets, View<const L> input_lengths,
                        View<const L> target_lengths, const CtcLossOptions& opt, View<const T> grad_output, T* loss,
                        T* grad_log_probs, void* workspace = nullptr, std::size_t workspace_bytes = 0) {
  ctc_loss_run(log_probs, targets, input_lengths, target_lengths, opt,
               Request<T>::value(grad_output, loss, grad_log_probs), workspace, workspace_bytes);
}
/// (Σ_n loss_n / max(L_n, 1), N) under 'mean'; (Σ_n loss_n, N) under 'sum'.
template <class T, class I, class L>
Partial ctc_loss_partial(View<const T> log_probs, View<const I> targets, View<const L> input_lengths,
                         View<const L> target_lengths, const CtcLossOptions& opt) {
  Partial p;
  ctc_loss_run(log_probs, targets, input_lengths, target_lengths, opt, Request<T>::partial_sums(&p));
  return p;
}
/// The gradient of scale · total: under 'mean' it carries the 1 / max(L_n, 1) that 'sum' lacks.
template <class T, class I, class L>
void ctc_loss_partial_backward(double scale, View<const T> log_probs, View<const I> targets,
                               View<const L> input_lengths, View<const L> target_lengths, const CtcLossOptions& opt,
                               T* grad_log_probs) {
  ctc_loss_run(log_probs, targets, input_lengths, target_lengths, opt,
               Request<T>::partial_backward(scale, grad_log_probs));
}

}  // namespace lossx
