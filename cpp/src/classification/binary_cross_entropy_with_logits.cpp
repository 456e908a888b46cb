// binary_cross_entropy_with_logits — as torch.nn.functional.binary_cross_entropy_with_logits.
//
// With p = pos_weight (1 if absent) and softplus(z) = log(1 + e^z):
//   loss = w·[(1 - y)·softplus(x) + p·y·softplus(-x)]
//        = w·[(1 - y)·x - (1 + (p - 1)·y)·log σ(x)]      (PyTorch's form, the same value)
//   grad = w·[(1 - y)·σ(x) - p·y·σ(-x)]                  (= w·(σ(x) - y) without pos_weight)
// softplus(±x) = max(±x, 0) + log1p(exp(-|x|)) and σ(±x) never overflow, so
// logits of any magnitude give finite values (x = 1e4, y = 0 gives 1e4 in
// float32). Unlike PyTorch's form, both terms are non-negative for y in [0, 1]:
// nothing cancels, and a tiny loss far in the tails (x = -20, y = 0) keeps its
// relative accuracy. exp and log1p are lossx::vexp_nonpos_fast / vlog1p_unit_fast, which
// vectorise; without weights, exp(-|x|) is shared by the loss and its gradient.
// Unweighted float on AVX-512 (bce_logits_block16): the loss is max(x, 0) - y·x + log1p(exp(-|x|)),
// the first two terms one FMA (the exact value rounded once: max(x, 0) - y·x = (1-y)·max(x, 0) +
// y·max(-x, 0), non-negative for y in [0, 1]), the last one lossx::vlog1p_exp_neg16's table
// polynomial (no exp, no log1p) for |x| < 15.75, and the gradient (1 - y) - σ(-|x|) or σ(-|x|) - y
// with σ(-|x|) from lossx::vsigmoid_neg16's table (no exp, no division), in one pass when both
// are asked for. Lanes at or above 15.75 (and ±inf) take the forms above with e - e²/2 for the
// log1p and e - e² for σ(-|x|), so infinities give what they always gave. The loss is within 1.4
// ulp of the float64 value (measured on 2M logits in [-80, 80]; bench/results_kernels.md).
// `weight` and `pos_weight` are broadcast (NumPy rules) to the target's shape:
// a (C,) pos_weight runs along the last (class) dim.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "core/check.hpp"
#include "lossx/classification.hpp"
#include "core/elementwise.hpp"
#include "core/elementwise_shared.hpp"
#include "core/rows.hpp"

namespace lossx {
namespace {

template <class T>
struct BceWithLogits {
  // a = pos_weight at this element (the weighted path of detail::elementwise). Written with the
  // lossx::vexp_nonpos_fast / vlog1p_unit_fast helpers so that the driver's loops vectorise
  // (std::log1p and std::exp would be a libm call per element).
  LOSSX_INLINE T value(T x, T y, T a) const {
    const T l = vlog1p_unit_fast(vexp_nonpos_fast(-std::fabs(x)));
    const T sp_pos = (x > T(0) ? x : T(0)) + l;   // softplus(x)  = -log(1 - σ(x))
    const T sp_neg = (x < T(0) ? -x : T(0)) + l;  // softplus(-x) = -log σ(x)
    return (T(1) - y) * sp_pos + a * y * sp_neg;
  }
  LOSSX_INLINE T grad(T x, T y, T a) const {
    const T e = vexp_nonpos_fast(-std::fabs(x));
    const T r = T(1) / (T(1) + e);
    const T sig_pos = (x >= T(0) ? T(1) : e) * r;  // σ(x)
    const T sig_neg = (x >= T(0) ? e : T(1)) * r;  // σ(-x) = 1 - σ(x), without cancellation
    return (T(1) - y) * sig_pos - a * y * sig_neg;
  }
};

// Without weight and pos_weight (detail::elementwise_shared): e = exp(-|x|) once per element for
// the loss and its gradient. The loss (1 - y)·max(x, 0) + y·max(-x, 0) + log1p(e) is the value
// above with a = 1 regrouped (both weighted terms still non-negative for y in [0, 1]; the same
// infinities and NaN), two operations shorter.
template <class T>
struct BceWithLogitsShared {
  LOSSX_INLINE T shared(T x, T) const { return vexp_nonpos_fast(-std::fabs(x)); }
  LOSSX_INLINE T value(T x, T y, T e) const {
    const T pos = x > T(0) ? x : T(0);
    const T neg = x < T(0) ? -x : T(0);
    return ((T(1) - y) * pos + y * neg) + vlog1p_unit_fast(e);
  }
  LOSSX_INLINE T grad(T x, T y, T e) const {
    const T r = T(1) / (T(1) + e);
    const T sig_pos = (x >= T(0) ? T(1) : e) * r;  // σ(x)
    const T sig_neg = (x >= T(0) ? e : T(1)) * r;  // σ(-x)
    return (T(1) - y) * sig_pos - y * sig_neg;
  }
};

#ifdef LOSSX_VEC16
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
using detail::f32x16;
using detail::f64x8;
using detail::i32x16;
typedef double f64x16 __attribute__((vector_size(128)));

// The loss of 16 lanes with |x| = t < detail::kLog1pExpNegCut. Fused (the clone fuses a*b - c into
// an FMA, detail::fma_fuses): max(x, 0) - y·x rounded once, plus g. Not fused: y·x would be rounded
// before the subtraction (a relative error up to 2^-24·x / ((1-y)·x) where y -> 1), so the two
// non-negative terms of BceWithLogitsShared::value instead.
template <bool Fused>
LOSSX_INLINE f32x16 bce_logits_value16(f32x16 x, f32x16 y, f32x16 t) {
  const f32x16 g = detail::log1p_exp_neg16_table(t);
  const f32x16 zero{};
  if constexpr (Fused) {
    // max(x, 0) as a signed-integer max of the bits (one instruction; a negative x, -0 included,
    // has negative bits and gives +0; a NaN x gives NaN or 0, and y·x then NaN).
    const i32x16 xb = reinterpret_cast<i32x16>(x);
    const i32x16 z{};
    return (reinterpret_cast<f32x16>(xb > z ? xb : z) - y * x) + g;
  } else {
    return ((1.0f - y) * (x > 0.0f ? x : zero) + y * (x < 0.0f ? -x : zero)) + g;
  }
}

// Lanes with t >= the cut or t = inf: BceWithLogitsShared::value's form (x = ±inf gives what the
// scalar path gives: inf, or NaN where y multiplies inf by 0) with log1p(e^-t) = e - e²/2.
LOSSX_INLINE f32x16 bce_logits_value16_tail(f32x16 x, f32x16 y, f32x16 t) {
  const f32x16 zero{};
  return ((1.0f - y) * (x > 0.0f ? x : zero) + y * (x < 0.0f ? -x : zero)) + detail::log1p_exp_neg16_tail(t);
}

// d loss / dx = sigmoid(x) - y of 16 lanes with |x| = t < the cut: s = sigmoid(-t) from
// detail::sigmoid_neg16_table (no exp, no division), sigmoid(x) = 1 - s for x >= 0 and s below, so
// (1 - y) - s and s - y: no cancellation where the loss is tiny (y = 1, x large: -s exactly as
// rounded). Lanes past the cut: BceWithLogitsShared::grad's form with s = e - e² (x = ±inf gives
// its values: 1 - y and -y, or NaN where y multiplies an infinite target by 0).
LOSSX_INLINE f32x16 bce_logits_grad16(f32x16 x, f32x16 y, f32x16 t) {
  const f32x16 s = detail::sigmoid_neg16_table(t);
  return x >= 0.0f ? (1.0f - y) - s : s - y;
}
LOSSX_INLINE f32x16 bce_logits_grad16_tail(f32x16 x, f32x16 y, f32x16 t) {
  const f32x16 s = detail::sigmoid_neg16_tail(t);
  const f32x16 one_minus = 1.0f - s;
  return (1.0f - y) * (x >= 0.0f ? one_minus : s) - y * (x >= 0.0f ? s : one_minus);
}

// How far ahead bce_logits_chunk16 prefetches its inputs in a fused pass, in elements (2 KiB of floats).
constexpr index_t kPrefetchAhead = 512;

// The loss of one sub-chunk of m values, stored to `loss` (if not null) or summed into *sum,
// 16 lanes at a time (the last, partial vector padded with zeros and its padding lanes dropped).
// The sum adds four vectors' values in float (two levels: (v0 + v1) + (v2 + v3)), then the 16
// group sums in double: one conversion per 64 values instead of per 16 (the conversions and double
// adds were ~1/6 of the loop; 5 % of the 16M forward). A group of four non-negative terms (y in
// [0, 1]) loses at most 2·2^-24 of itself, about the terms' own error (<= 1.4 ulp each).
// Tail = false: table lanes only; returns false, its results void, if some |x| reached the cut (or
// is NaN). Tail = true: every lane's value, the table one where |x| < the cut, so both give the
// same bits where both are valid (the sum's order is the same too). Grad: the gradient as well.
template <bool Fused, bool Tail, bool Grad>
LOSSX_INLINE bool bce_logits_chunk16(const float* x, const float* y, index_t m, float* loss, double* sum,
                                     const float* go, float gs, float* grad) {
  f64x8 a0{}, a1{};
  i32x16 tmax{};  // max of the bits of |x| (integer order is float order for t >= 0; NaN is above inf)
  const f32x16 cut = detail::splat16(detail::kLog1pExpNegCut);
  // The loss of 16 lanes; with Grad, also their gradient (bce_logits_grad16, the bits of
  // bce_logits_grad_chunk16's) times go (or gs) into gp: one pass shares |x|, the index and the loads.
  auto one = [&](const float* xp, const float* yp, const float* gop, float* gp) LOSSX_INLINE_LAMBDA {
    const f32x16 xv = detail::load16_once(xp);  // |x|, max(x, 0) and y·x: one read
    const f32x16 yv = detail::load16(yp);
    const i32x16 tb = reinterpret_cast<i32x16>(xv) & 0x7fffffff;
    const f32x16 t = reinterpret_cast<f32x16>(tb);
    f32x16 v = bce_logits_value16<Fused>(xv, yv, t);
    f32x16 d{};
    if constexpr (Grad) d = bce_logits_grad16(xv, yv, t);
    if constexpr (Tail) {
      const i32x16 far = t >= cut;
      v = far ? bce_logits_value16_tail(xv, yv, t) : v;
      if constexpr (Grad) d = far ? bce_logits_grad16_tail(xv, yv, t) : d;
    } else {
      tmax = tmax > tb ? tmax : tb;
    }
    if constexpr (Grad) detail::store16(gp, gop ? detail::load16(gop) * d : gs * d);
    return v;
  };
  auto at = [&](index_t off) LOSSX_INLINE_LAMBDA {
    // Forward and backward in one pass: the lines 2 KiB ahead of both inputs (a prefetch never
    // faults: past the end it does nothing). At ~35 operations per 16 lanes the out-of-order window
    // reaches only ~1 KiB ahead, too little to hide the memory latency whenever the hardware
    // prefetcher backs off: 16M fwd+bwd 10.7 -> 9.9 ms on a quiet machine, 13-14 -> 11.4-11.7 under
    // memory traffic from the other CPU. The forward alone (~20 operations per 16 lanes) lost 15 %
    // with it on a quiet machine and gained 2-8 % under traffic: not there (bench/results_kernels.md,
    // session 6).
    if constexpr (Grad) {
      __builtin_prefetch(x + off + kPrefetchAhead, 0, 3);
      __builtin_prefetch(y + off + kPrefetchAhead, 0, 3);
    }
    return one(x + off, y + off, Grad && go ? go + off : nullptr, Grad ? grad + off : nullptr);
  };
  auto add = [&](f32x16 v) LOSSX_INLINE_LAMBDA {
    const f64x16 d = __builtin_convertvector(v, f64x16);
    a0 += __builtin_shufflevector(d, d, 0, 1, 2, 3, 4, 5, 6, 7);
    a1 += __builtin_shufflevector(d, d, 8, 9, 10, 11, 12, 13, 14, 15);
  };
  const index_t nv = m / 16;
  const index_t rest = m - 16 * nv;
  f32x16 last{};  // the padded partial vector, summed last
  if (loss) {
    for (index_t v = 0; v < nv; ++v) detail::store16(loss + 16 * v, at(16 * v));
  } else {
    index_t v = 0;
    for (; v + 3 < nv; v += 4) {
      const f32x16 a = at(16 * v) + at(16 * v + 16);
      const f32x16 b = at(16 * v + 32) + at(16 * v + 48);
      add(a + b);
    }
    for (; v < nv; ++v) add(at(16 * v));
  }
  if (rest > 0) {
    const size_t bytes = static_cast<size_t>(rest) * sizeof(float);
    float xb[16] = {}, yb[16] = {}, gb[16] = {}, gout[16];
    std::memcpy(xb, x + 16 * nv, bytes);
    std::memcpy(yb, y + 16 * nv, bytes);
    if (Grad && go) std::memcpy(gb, go + 16 * nv, bytes);
    const f32x16 r = one(xb, yb, Grad && go ? gb : nullptr, gout);
    if constexpr (Grad) std::memcpy(grad + 16 * nv, gout, bytes);
    if (loss) {
      float out[16];
      detail::store16(out, r);
      std::memcpy(loss + 16 * nv, out, bytes);
    } else {
      const i32x16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
      last += lane < static_cast<std::int32_t>(rest) ? r : f32x16{};
    }
  }
  if constexpr (!Tail) {
    if (detail::any16(tmax >= __builtin_bit_cast(std::int32_t, detail::kLog1pExpNegCut))) return false;
  }
  if (sum) {
    add(last);
    const f64x8 a = a0 + a1;
    double s = 0.0;
    for (int i = 0; i < 8; ++i) s += a[i];
    *sum = s;
  }
  return true;
}

// The gradient of one sub-chunk: grad[i] = (go ? go[i] : gs) · d loss / dx, 16 lanes at a time as
// bce_logits_chunk16 (Tail: the same contract).
template <bool Tail>
LOSSX_INLINE bool bce_logits_grad_chunk16(const float* x, const float* y, index_t m, const float* go, float gs,
                                          float* grad) {
  i32x16 tmax{};
  const f32x16 cut = detail::splat16(detail::kLog1pExpNegCut);
  auto one = [&](const float* xp, const float* yp) LOSSX_INLINE_LAMBDA {
    const f32x16 xv = detail::load16(xp);
    const f32x16 yv = detail::load16(yp);
    const i32x16 tb = reinterpret_cast<i32x16>(xv) & 0x7fffffff;
    const f32x16 t = reinterpret_cast<f32x16>(tb);
    const f32x16 d = bce_logits_grad16(xv, yv, t);
    if constexpr (Tail) {
      return t >= cut ? bce_logits_grad16_tail(xv, yv, t) : d;
    } else {
      tmax = tmax > tb ? tmax : tb;
      return d;
    }
  };
  const index_t nv = m / 16;
  if (go) {
    for (index_t v = 0; v < nv; ++v)
      detail::store16(grad + 16 * v, detail::load16(go + 16 * v) * one(x + 16 * v, y + 16 * v));
  } else {
    for (index_t v = 0; v < nv; ++v) detail::store16(grad + 16 * v, gs * one(x + 16 * v, y + 16 * v));
  }
  const index_t rest = m - 16 * nv;
  if (rest > 0) {
    float xb[16] = {}, yb[16] = {}, gb[16] = {}, out[16];
    const size_t bytes = static_cast<size_t>(rest) * sizeof(float);
    std::memcpy(xb, x + 16 * nv, bytes);
    std::memcpy(yb, y + 16 * nv, bytes);
    if (go) std::memcpy(gb, go + 16 * nv, bytes);
    const f32x16 d = one(xb, yb);
    detail::store16(out, go ? detail::load16(gb) * d : gs * d);
    std::memcpy(grad + 16 * nv, out, bytes);
  }
  if constexpr (!Tail) {
    if (detail::any16(tmax >= __builtin_bit_cast(std::int32_t, detail::kLog1pExpNegCut))) return false;
  }
  return true;
}

// elementwise_shared_block's work for unweighted float on AVX-512: the loss (and, in a fused call,
// the gradient) by bce_logits_chunk16, a gradient alone by bce_logits_grad_chunk16. A sub-chunk
// with a lane at or past the cut is redone with the tail lanes, and so is the rest of the block
// (large logits tend to come together).
template <bool Fused>
LOSSX_INLINE void bce_logits_block16(const float* x, const float* y, index_t b, index_t e, float* loss, float* grad,
                                     const float* g, float gs, double* sum) {
  double total = 0.0;
  bool tail = false;
  for (index_t c0 = b; c0 < e; c0 += detail::kFuseChunk) {
    const index_t m = e - c0 > detail::kFuseChunk ? detail::kFuseChunk : e - c0;
    const float* xc = x + c0;
    const float* yc = y + c0;
    float* gc = grad ? grad + c0 : nullptr;
    const float* go = g && grad ? g + c0 : nullptr;
    if (loss || sum) {
      float* lc = loss ? loss + c0 : nullptr;
      double s = 0.0;
      double* sp = loss ? nullptr : &s;
      if (grad) {  // forward and backward in one pass
        if (tail || !bce_logits_chunk16<Fused, false, true>(xc, yc, m, lc, sp, go, gs, gc)) {
          tail = true;
          bce_logits_chunk16<Fused, true, true>(xc, yc, m, lc, sp, go, gs, gc);
        }
      } else if (tail || !bce_logits_chunk16<Fused, false, false>(xc, yc, m, lc, sp, nullptr, gs, nullptr)) {
        tail = true;
        bce_logits_chunk16<Fused, true, false>(xc, yc, m, lc, sp, nullptr, gs, nullptr);
      }
      total += s;
    } else if (grad) {
      if (tail || !bce_logits_grad_chunk16<false>(xc, yc, m, go, gs, gc)) {
        tail = true;
        bce_logits_grad_chunk16<true>(xc, yc, m, go, gs, gc);
      }
    }
  }
  if (sum) *sum = total;
}
#pragma GCC diagnostic pop
#endif

// The block of an unweighted call (detail::unweighted_pass): bce_logits_block16 for float where
// 16-lane vectors are fast (detail::vec16_fast), else elementwise_shared_block.
template <class T>
LOSSX_SIMD_CLONES void bce_logits_block(const T* x, const T* y, index_t b, index_t e, T* loss, T* grad, const T* g,
                                        T gs, double* sum) {
#ifdef LOSSX_VEC16
  if constexpr (std::is_same_v<T, float>) {
    if (detail::vec16_fast()) {
      if (detail::fma_fuses()) {
        bce_logits_block16<true>(x, y, b, e, loss, grad, g, gs, sum);
      } else {
        bce_logits_block16<false>(x, y, b, e, loss, grad, g, gs, sum);
      }
      return;
    }
  }
#endif
  detail::elementwise_shared_block<T>(BceWithLogitsShared<T>{}, x, y, b, e, loss, grad, g, gs, sum);
}

}  // namespace

template <class T>
Shape binary_cross_entropy_with_logits_shape(View<const T> input, View<const T> target,
                                             const BinaryCrossEntropyWithLogitsOptions<T>& opt) {
  const Check ck{"binary_cross_entropy_with_logits"};
  ck.contiguous("weight", opt.weight);
  ck.contiguous("pos_weight", opt.pos_weight);
  detail::check_elementwise(ck, input, target, opt.reduction);
  if (opt.weight.present()) ck.broadcast_strides("weight", opt.weight.shape, "target", target.shape);
  if (opt.pos_weight.present()) ck.broadcast_strides("pos_weight", opt.pos_weight.shape, "target", target.shape);
  return input.shape;
}

template <class T>
void binary_cross_entropy_with_logits_run(View<const T> input, View<const T> target,
                                          const BinaryCrossEntropyWithLogitsOptions<T>& opt,
                                          const Request<T>& request) {
  const Check ck{"binary_cross_entropy_with_logits"};
  const Shape shape = binary_cross_entropy_with_logits_shape(input, target, opt);
  if (!opt.weight.present() && !opt.pos_weight.present()) {
    ck.strides("input", input);
    ck.strides("target", target);
    detail::unweighted_pass<T>(ck, shape, input, target, opt.reduction, request,
                               [](const T* xs, const T* ys, index_t b, index_t e, T* loss, T* grad, const T* g, T gs,
                                  double* sum) { bce_logits_block<T>(xs, ys, b, e, loss, grad, g, gs, sum); });
    return;
  }
  detail::elementwise(ck, BceWithLogits<T>{}, shape, input, target,
                      detail::broadcast(ck, "weight", opt.weight, "target", shape),
                      detail::broadcast(ck, "pos_weight", opt.pos_weight, "target", shape),
                      {opt.reduction, detail::MeanBy::Count}, request);
}

#define INSTANTIATE(T)                                                                                    \
  template Shape binary_cross_entropy_with_logits_shape<T>(View<const T>, View<const T>,                   \
                                                           const BinaryCrossEntropyWithLogitsOptions<T>&); \
  template void binary_cross_entropy_with_logits_run<T>(View<const T>, View<const T>,                      \
                                                        const BinaryCrossEntropyWithLogitsOptions<T>&,     \
                                                        const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
