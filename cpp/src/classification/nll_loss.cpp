// nll_loss — negative log-likelihood, as torch.nn.functional.nll_loss (incl. the
// K-dim form that the deprecated NLLLoss2d covered).
//
// For row r of the input (N, C, d1..dk) (class dim 1; dim 0 of a 1-D input) and
// its class index y_r:
//   loss_r = -w[y_r]·x[r, y_r]                       (0 where y_r == ignore_index)
//   'mean' = Σ_r loss_r / Σ_{r not ignored} w[y_r]   (the count without weight;
//            nan when every target is ignored — the same denominator as cross_entropy)
//   d loss_r / d x[r, c] = -w[y_r]·[c == y_r]
// The input is meant to hold log-probabilities but, as in PyTorch, it is not
// checked: any values (raw probabilities, say) are accepted.
// Where 'mean' divides by zero the loss is nan, and the gradient of the rows
// that are not ignored is -w·(g/0) (nan for w = 0); ignored rows get exactly 0.
// Partial sums: (Σ loss_r, Σ w[y_r] over the rows not ignored). The reduction is the Reducer's.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "core/check.hpp"
#include "lossx/classification.hpp"
#include "core/math.hpp"
#include "core/parallel.hpp"
#include "core/reduce.hpp"
#include "core/rows.hpp"
#include "class_targets.hpp"

namespace lossx {
namespace {

using detail::RowLayout;

/// Values per block when clearing the gradient (a constant, as every grain).
constexpr index_t kZeroGrain = 1 << 16;

template <class T>
struct NllRows {
  const T* x;
  const T* weight;  // (C,) or nullptr
  RowLayout l;
  T* loss_rows;     // 'none' output or nullptr
  T* grad;          // gradient or nullptr
  const T* g;       // per-row grad_output ('none') or nullptr
  double gs;        // the Reducer's grad_scale() (reduced): grad_output / denominator, or the partial scale
};

// Adds the losses of rows [r0, r1) to `total` in row order; label[k] is row r0 + k's class.
template <class T, class S>
LOSSX_INLINE double nll_rows(const NllRows<T>& a, const std::int64_t* label, index_t ignore_index, index_t r0,
                             index_t r1, S s, double total) {
  for (index_t r = r0; r < r1; ++r) {
    const index_t base = a.l.base(r);
    const index_t y = label[r - r0];
    if (y == ignore_index) {
      if (a.loss_rows) a.loss_rows[r] = T(0);
      continue;
    }
    const T wy = a.weight ? a.weight[y] : T(1);
    const T loss = -(wy * a.x[base + y * s]);
    if (a.loss_rows) a.loss_rows[r] = loss;
    total += static_cast<double>(loss);
    if (a.grad) {
      const double gsc = a.g ? static_cast<double>(a.g[r]) : a.gs;
      a.grad[base + y * s] = static_cast<T>(-(static_cast<double>(wy) * gsc));
    }
  }
  return total;
}

// The arithmetic lives here, compiled once per float type and never inlined into an
// index-typed caller (a target_clones function is called through its resolver): the
// compiler's choices (FMA contraction, vectorisation) cannot differ between int32 and
// int64 targets, so the same label values give the same bits whatever their dtype.
template <class T>
LOSSX_SIMD_CLONES double nll_block(const NllRows<T>& a, const std::int64_t* label, index_t ignore_index,
                                   index_t r0, index_t r1, double total) {
  // Both strides spelled out (a compile-time 1 for contiguous rows) so that the row
  // body is inlined into each SIMD clone.
  if (a.l.inner == 1) return nll_rows(a, label, ignore_index, r0, r1, detail::Unit{}, total);
  return nll_rows(a, label, ignore_index, r0, r1, a.l.inner, total);
}

/// Rows whose labels are converted to int64 at a time (any other index type).
constexpr index_t kLabelChunk = 512;

// Rows [r0, r1), summed in row order into one running total for every index type.
template <class T, class I>
double nll_block_any_index(const NllRows<T>& a, const I* target, index_t ignore_index, index_t r0, index_t r1) {
  if constexpr (std::is_same_v<I, std::int64_t>) {
    return nll_block<T>(a, target + r0, ignore_index, r0, r1, 0.0);
  } else {
    std::int64_t label[kLabelChunk];
    double total = 0.0;
    for (index_t c = r0; c < r1; c += kLabelChunk) {
      const index_t m = std::min(kLabelChunk, r1 - c);
      for (index_t k = 0; k < m; ++k) label[k] = static_cast<std::int64_t>(target[c + k]);
      total = nll_block<T>(a, label, ignore_index, c, c + m, total);
    }
    return total;
  }
}

}  // namespace

template <class T, class I>
Shape nll_loss_shape(View<const T> input, View<const I> target, const NllLossOptions<T>& opt) {
  const Check ck{"nll_loss"};
  ck.contiguous("input", input);
  ck.contiguous("target", target);
  ck.contiguous("weight", opt.weight);
  const RowLayout l = detail::class_index_layout(ck, input.shape, target.shape);
  detail::check_class_weight(ck, opt.weight, l.classes);
  ck.param(opt.reduction != Reduction::BatchMean, "reduction", "be one of 'none', 'mean', 'sum'", "'batchmean'");
  return target.shape;
}

template <class T, class I>
void nll_loss_run(View<const T> input, View<const I> target, const NllLossOptions<T>& opt, const Request<T>& request) {
  const Check ck{"nll_loss"};
  const Shape none_shape = nll_loss_shape(input, target, opt);
  const RowLayout l = detail::class_index_layout(ck, input.shape, target.shape);
  // The range pre-pass gives the 'mean' denominator too: Σ w_y over the targets not ignored.
  const double total_weight =
      detail::check_targets_and_total(ck, l, target.data, opt.weight.data, opt.ignore_index);
  const detail::Reducer<T> red(ck, opt.reduction, none_shape, request, total_weight);
  T* grad_input = red.grad();
  const NllRows<T> a{input.data, opt.weight.data, l, red.term_values(), grad_input, red.term_grad_output(),
                     red.grad_scale()};
  if (grad_input) {
    // The gradient is zero except at one class per row: clear it with flat,
    // contiguous fills first (a strided clear per row is slow for K-dim inputs),
    // then the row pass writes the one non-zero value of each row.
    parallel_for(input.numel(), kZeroGrain,
                 [&](index_t b, index_t e) { std::fill(grad_input + b, grad_input + e, T(0)); });
  }
  const double total = block_sum(l.rows(), l.grain(), [&](index_t b, index_t e) {
    return nll_block_any_index<T, I>(a, target.data, opt.ignore_index, b, e);
  });
  red.finish(total);
}

#define INSTANTIATE(T, I)                                                                           \
  template Shape nll_loss_shape<T, I>(View<const T>, View<const I>, const NllLossOptions<T>&);       \
  template void nll_loss_run<T, I>(View<const T>, View<const I>, const NllLossOptions<T>&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT_AND_INDEX(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
