// Internal: the reduction driver every loss goes through.
//
// A loss computes per-term values (one term per element of its 'none' output) and
// per-term gradients scaled by a coefficient that this driver gives it; the driver
// owns everything about the reduction:
//   * what a call produces — the loss ('none' terms or one reduced value), the
//     gradient of sum(grad_output · loss), the partial sums (total, denominator),
//     or the gradient of scale · total (NAME_partial / NAME_partial_backward);
//   * the denominator of 'mean' / 'batchmean', which the loss states as a policy
//     (the term count, a sum of weights, a batch size) before the pass, so that the
//     gradient can be written in the same pass as the loss;
//   * the gradient coefficient of each term: grad_output[i] ('none'; or one value for
//     every term when a 'none' grad_output is 0-d, uniform), grad_output / denominator
//     ('mean'), grad_output ('sum'), or `scale` (partial);
//   * the final division, or the partial pair.
// Loss files never divide by a denominator themselves. Deterministic block sums are
// `block_sum` (core/parallel.hpp): fixed blocks, double partials added in order.
#pragma once

#include <cstdint>
#include <limits>

#include "core/check.hpp"
#include "lossx/core/request.hpp"
#include "lossx/core/view.hpp"

namespace lossx::detail {

/// The reduction of one call. Construct it after the loss's own checks, with the
/// denominator of 'mean' (or 'batchmean'); then run the pass with `term_values()`,
/// `grad()`, `term_grad_output()` / `grad_scale()`, and hand the summed total to `finish`.
template <class T>
class Reducer {
 public:
  /// `none_shape`: the shape of the 'none' output; `denominator`: what 'mean' divides by
  /// (ignored by 'sum' and 'none'); set_denominator can supply it later (before grad_scale).
  Reducer(const Check& ck, Reduction r, const Shape& none_shape, const Request<T>& out,
          double denominator = std::numeric_limits<double>::quiet_NaN())
      : r_(r), out_(out), denom_(denominator) {
    // A C++ caller can cast any integer to Reduction: refuse what is not one of its values.
    // (The message is formatted only on failure: an ostringstream costs about a microsecond,
    // which a small call feels.)
    if (!(r == Reduction::None || r == Reduction::Mean || r == Reduction::Sum || r == Reduction::BatchMean))
      ck.fail("reduction", "be one of 'none', 'mean', 'sum' (or 'batchmean' for kl_div)",
              cat("the value ", static_cast<int>(r)));
    if (out.partial || out.partial_grad)
      ck.param(r != Reduction::None, "reduction",
               "be 'mean', 'sum' (or 'batchmean' for kl_div) for a partial reduction: 'none' has nothing to add up",
               "'none'");
    if ((out.grad || out.grad2 || out.grad3) && !out.partial_grad) ck.grad_output(out.grad_output, r, none_shape);
  }

  /// Whether the denominator is used: by 'mean' / 'batchmean', and by partial sums (which report
  /// what 'mean' would divide by, whatever the reduction). Losses whose denominator costs a pass
  /// (a sum of weights) compute it only then.
  bool needs_denominator() const { return is_mean() || out_.partial; }
  void set_denominator(double d) { denom_ = d; }
  double denominator() const { return denom_; }
  Reduction reduction() const { return r_; }
  /// The call reduces the terms (to one value or to partial sums).
  bool reduced() const { return r_ != Reduction::None; }
  /// 'mean' or 'batchmean', whose terms may carry a per-term factor (CTC's 1 / target length).
  bool is_mean() const { return r_ == Reduction::Mean || r_ == Reduction::BatchMean; }
  /// Where the 'none' terms go (nullptr unless reduction == 'none' and the loss is wanted).
  T* term_values() const { return r_ == Reduction::None ? out_.loss : nullptr; }
  /// Whether the pass must sum its terms (a reduced loss or partial sums are wanted).
  bool wants_total() const { return r_ != Reduction::None && (out_.loss || out_.partial); }
  /// The gradient buffers of the prediction inputs, or nullptr.
  T* grad() const { return out_.grad; }
  T* grad2() const { return out_.grad2; }
  T* grad3() const { return out_.grad3; }
  bool wants_grad() const { return out_.grad || out_.grad2 || out_.grad3; }
  /// The per-term grad_output of a 'none' gradient, else nullptr (then use grad_scale()). Also
  /// nullptr for a uniform 'none' grad_output (0-d: one value for every term, see Request): a
  /// loss must treat `g ? g[i] : grad_scale()` alike in every reduction.
  const T* term_grad_output() const {
    return wants_grad() && !out_.partial_grad && r_ == Reduction::None && !out_.grad_output.shape.empty()
               ? out_.grad_output.data
               : nullptr;
  }
  /// The coefficient of every term's gradient when term_grad_output() is nullptr: grad_output /
  /// denominator ('mean', 'batchmean'), grad_output ('sum', and a uniform 'none' grad_output), or
  /// the partial scale. 0 without a gradient or with a per-term 'none' grad_output.
  double grad_scale() const {
    if (!wants_grad()) return 0.0;
    if (r_ == Reduction::None)  // a uniform grad_output (0-d), else per term: term_grad_output()
      return out_.grad_output.shape.empty() ? static_cast<double>(out_.grad_output.data[0]) : 0.0;
    if (out_.partial_grad) return out_.scale;
    const double g = static_cast<double>(out_.grad_output.data[0]);
    return is_mean() ? g / denom_ : g;
  }
  /// As grad_scale(), for a term that 'mean' also divides by its own `term_denominator` (CTC's
  /// max(target length, 1)): grad_output / (denominator · term_denominator) in one rounding,
  /// or scale / term_denominator for a partial of 'mean'; 'sum' ignores the term's factor.
  double grad_scale(double term_denominator) const {
    if (!is_mean() || !wants_grad()) return grad_scale();
    if (out_.partial_grad) return out_.scale / term_denominator;
    return static_cast<double>(out_.grad_output.data[0]) / (denom_ * term_denominator);
  }
  /// Writes the result of a pass whose terms summed to `total`.
  void finish(double total) const {
    if (out_.partial) {
      out_.partial->total = total;
      out_.partial->denominator = denom_;
    } else if (out_.loss && r_ != Reduction::None) {
      out_.loss[0] = static_cast<T>(is_mean() ? total / denom_ : total);
    }
  }
  /// As finish(a + b), but 'mean' divides the two parts separately, a / d + b / d, as
  /// PyTorch does for cross-entropy with label smoothing (0/0 then gives nan, not ±inf).
  void finish_two_parts(double a, double b) const {
    if (out_.loss && !out_.partial && is_mean()) {
      out_.loss[0] = static_cast<T>(a / denom_ + b / denom_);
      return;
    }
    finish(a + b);
  }

 private:
  Reduction r_;
  Request<T> out_;
  double denom_;
};

}  // namespace lossx::detail

// Explicit instantiations: each loss file defines a macro INSTANTIATE(T) (or (T, I)) that
// spells its public signatures for one float type (and index type), then expands it with
// one of these, so that every loss is instantiated for the same types.
#define LOSSX_FOR_EACH_FLOAT(INSTANTIATE) INSTANTIATE(float) INSTANTIATE(double)
#define LOSSX_FOR_EACH_FLOAT_AND_INDEX(INSTANTIATE)                                                   \
  INSTANTIATE(float, std::int32_t)                                                                   \
  INSTANTIATE(float, std::int64_t) INSTANTIATE(double, std::int32_t) INSTANTIATE(double, std::int64_t)
