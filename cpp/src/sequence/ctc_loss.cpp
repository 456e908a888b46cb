// ctc_loss — Connectionist Temporal Classification (Graves, Fernández, Gomez &
// Schmidhuber, ICML 2006), as torch.nn.functional.ctc_loss.
//
// For one sample with frames x_0..x_{T'-1} (T' = input_length, x_t = log_probs[t, n, :])
// and labels l_0..l_{L-1}, the extended sequence l' = (b, l_0, b, l_1, ..., l_{L-1}, b)
// has 2L+1 states (b = blank). In log space:
//   alpha_0(0) = x_0[b], alpha_0(1) = x_0[l_0], every other alpha_0 = -inf;
//   alpha_t(s) = x_t[l'_s] + LSE(alpha_{t-1}(s), alpha_{t-1}(s-1), alpha_{t-1}(s-2) if l'_s != b
//                and l'_s != l'_{s-2})                                       (Graves eq. 6-7)
//   loss = -log p = -LSE(alpha_{T'-1}(2L), alpha_{T'-1}(2L-1))                (eq. 8)
//   betã_t(s) = log P(the rest of the alignment after t | state s at t), excluding x_t:
//   betã_{T'-1}(2L) = betã_{T'-1}(2L-1) = 0;
//   betã_t(s) = LSE over the successors s' in {s, s+1, s+2 (same rule)} of x_{t+1}[l'_{s'}] + betã_{t+1}(s')
//                                                                            (eq. 10-11)
//   gamma_t(s) = exp(alpha_t(s) + betã_t(s) + loss), the posterior of being in state s at t (eq. 14);
//   d loss / d x_t[c] = -Σ_{s: l'_s = c} gamma_t(s) for t < T', and 0 beyond.
// That is the true derivative with respect to log_probs. PyTorch's backward returns
// exp(x) - gamma instead (eq. 16: the derivative w.r.t. the logits of a log_softmax).
//
// PyTorch's rules reproduced: 'mean' divides each loss by max(target_length, 1) and
// averages over the batch; an impossible alignment gives inf and a nan gradient on
// frames t < T' (zero_infinity: 0 and 0); input_length 0 gives 0 (target_length 0) or
// inf, with a zero gradient; target_length 0 gives -Σ_t x_t[b]. lossx also allows
// N = 0 ('mean' nan, 'sum' 0) and rejects labels outside [0, C) or equal to blank.
// Partial sums: (Σ_n loss_n / max(L_n, 1), N) under 'mean', (Σ_n loss_n, N) under 'sum';
// sample n's gradient coefficient under 'mean' is Reducer::grad_scale(max(L_n, 1)).
//
// How it runs: one task per sample (parallel_for, grain 1), samples handed out
// longest first; each sample's loss goes to its own slot and the batch reduction is
// summed serially in sample order, so results are bitwise identical for any thread
// count. The recursions run in log space with lossx's vectorisable log_add_exp
// (exp and log1p polynomials; division-free for float since session 5, which moved float32
// results by about 1 ulp of the float work, well inside the precision stated below), a 2-term
// one per state (see ctc_alpha); the posteriors use vexp_fast. A row holds the blank states
// and the label states in two contiguous runs separated by -inf pads, so every loop
// is a plain SIMD loop with no interleaving. Memory per sample in flight: its alpha
// rows T'·(2L+3) values (two rows without a gradient) and two beta rows, in one
// workspace slot per thread, allocated once per call; frames t >= T' are never read.
//
// Precision (DOUBLE where it matters): alpha_t itself grows like -t·|x| (thousands of
// nats), where a float32 ulp is 1e-4 or more. So each stored row is alpha_t - c_t, with
// the offset c_t (the previous row's maximum, added up over t) accumulated in double,
// and likewise betã_t - d_t; the loss is c + (last LSE) in double; the posteriors are
// exp(r_t + b_t + K_t) with K_t = c_t + d_t + loss formed in double, and each frame's
// posteriors are divided by their sum (exactly 1 in exact arithmetic) accumulated in
// double. The recursions themselves run in W: double for float64; for float32, float
// (twice the SIMD lanes, half the polynomial terms) up to kCtcFloatFrames = 1024 frames
// and double beyond. Measured for float32 inputs against float64: the loss to ~1e-7
// relative; the gradient to ~3e-5 absolute (T' <= 1024, float work; PyTorch's float32
// log space is ~10x worse) and ~1e-7 beyond (double work, e.g. 5000 frames).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

#include "core/math.hpp"
#include "core/parallel.hpp"
#include "core/reduce.hpp"
#include "lossx/sequence.hpp"
#include "ctc_layout.hpp"

namespace lossx {
namespace {

using detail::CtcLayout;

template <class T>
constexpr T kNegInf = -std::numeric_limits<T>::infinity();

// Posteriors whose log is below this (and the -inf of unreachable states) are written
// as 0 without evaluating vexp there: vexp(-inf) is 0 but forms a subnormal
// intermediate first, and a subnormal costs a ~100-cycle microcode assist per SIMD lane
// on x86. Such a posterior (< 1e-35 in float, < 1e-304 in double) is invisible in a
// gradient, whose row sums to 1.
template <class T>
constexpr T kOccFloor = sizeof(T) == 4 ? T(-80) : T(-700);

// One sample's view of the inputs: frame t of the sample starts at lp + t * frame.
// T is the input type, W the type the recursions run in (see kCtcFloatFrames).
template <class T, class W>
struct CtcSample {
  const T* lp;       // log_probs[0, n, :]
  index_t frame;     // N * C
  index_t C;
  index_t blank;
  const std::int32_t* lab;  // its L labels, copied as int32 (see CtcLayout::sample_bytes)
  index_t L;
  index_t frames;    // input length T'
  const W* skip;     // skip[k] = 0 if label k-1 -> label k may skip the blank between, else -inf (k in [0, L])
};

// The states of frame t that can carry probability: reachable from the start (s <= 2t+1)
// and able to reach the end by the last frame (s >= 2L+1 - 2(T'-t)). In k (blank 2k,
// label 2k+1): k in [lo, hi] with lo = max(0, L - T' + t), hi = min(L, t); labels stop at
// hl = min(hi, L-1). States outside only ever feed states outside (the band moves by at
// most one k per frame), so they are left at -inf; their posteriors are 0 anyway.
// (It saves the LSEs of the first and last L frames: a quarter of the work at T' = 4L.)
struct CtcBand {
  index_t lo, hi, hl;
  CtcBand(index_t L, index_t frames, index_t t)
      : lo(std::max<index_t>(0, L - frames + t)), hi(std::min(L, t)), hl(std::min(hi, L - 1)) {}
  /// -inf everywhere in a row but blanks [lo, blank_hi], labels [lo, hl] (pads included).
  template <class W>
  void fill_outside(W* row, index_t L, index_t blank_hi) const {
    const W ninf = -std::numeric_limits<W>::infinity();
    const index_t b0 = std::min(lo, L + 1), l0 = std::min(lo, L);
    std::fill(row, row + b0, ninf);
    std::fill(row + std::max(blank_hi + 1, b0), row + L + 2, ninf);          // blanks above, and the pad
    std::fill(row + L + 2, row + L + 2 + l0, ninf);
    std::fill(row + L + 2 + std::max(hl + 1, l0), row + 2 * L + 3, ninf);  // labels above, and the pad
  }
};

// The maximum of a row as the next offset; a row with no finite maximum (all -inf, or
// NaN) keeps offset 0 so that -inf and NaN flow on unchanged.
template <class T>
inline T next_shift(T m) {
  return m > kNegInf<T> && m < std::numeric_limits<T>::infinity() ? m : T(0);
}

// Alpha recursion (Graves eq. 6-7) over rows of 2L+3 values: blank states [0, L], pad,
// label states [L+2, 2L+1], pad. Row t holds alpha_t - c_t; with `keep`, row t is
// rows + t·R and its offset c_t goes to offset[t] (the backward needs them all);
// otherwise two rows alternate. Returns the loss -log p (eq. 8), in double.
template <class T, class W>
LOSSX_SIMD_CLONES double ctc_alpha(const CtcSample<T, W>& a, W* rows, double* offset, bool keep) {
  const index_t L = a.L, R = CtcLayout::row_len(L);
  const std::int32_t* lab = a.lab;
  const W* skip = a.skip;
  W* q = rows;
  std::fill(q, q + R, kNegInf<W>);
  q[0] = static_cast<W>(a.lp[a.blank]);
  if (L > 0) q[L + 2] = static_cast<W>(a.lp[lab[0]]);
  double c = 0.0;  // c_t, in double: it carries the magnitude of alpha
  if (keep) offset[0] = 0.0;
  W shift = next_shift(q[0] > q[L + 2] ? q[0] : q[L + 2]);
  for (index_t t = 1; t < a.frames; ++t) {
    const W* __restrict p = q;
    q = rows + (keep ? t : (t & 1)) * R;
    c += static_cast<double>(shift);
    const T* x = a.lp + t * a.frame;
    const W xb = static_cast<W>(x[a.blank]);
    W m = kNegInf<W>;
    // Only the band lo <= k <= hi can carry probability (CtcBand); the rest of the row is -inf.
    const CtcBand band(L, a.frames, t);
    const index_t lo = band.lo, hl = band.hl, end = std::max(lo, hl + 1);
    // blank state 2k:    B_k = LSE(alpha(2k), alpha(2k-1))            (label k-1 is the pad for k = 0)
    // label state 2k+1:  LSE(alpha(2k+1), alpha(2k), alpha(2k-1)) = LSE(alpha(2k+1), B_k) when the skip
    //                    is allowed, else LSE(alpha(2k+1), alpha(2k)): one 2-term LSE per state.
    // (the row maximum is taken in a loop of its own: with the reduction inside this loop,
    // GCC 12 builds a vector loop for AVX-512 but runs its scalar copy)
#pragma omp simd
    for (index_t k = lo; k < end; ++k) {
      const W B = log_add_exp(p[k], p[L + 1 + k]);
      q[k] = xb + (B - shift);
      q[L + 2 + k] = static_cast<W>(x[lab[k]]) + (log_add_exp(p[L + 2 + k], skip[k] == W(0) ? B : p[k]) - shift);
    }
#pragma omp simd reduction(max : m)
    for (index_t k = lo; k < end; ++k) {
      m = q[k] > m ? q[k] : m;
      m = q[L + 2 + k] > m ? q[L + 2 + k] : m;
    }
    // blanks [lo, hl] are done; blank L too when the band reaches it (then hl = L-1)
    if (band.hi == L) {
      q[L] = xb + (log_add_exp(p[L], p[2 * L + 1]) - shift);
      m = q[L] > m ? q[L] : m;
    }
    band.fill_outside(q, L, band.hi == L ? L : hl);
    if (keep) offset[t] = c;
    shift = next_shift(m);
  }
  // the last blank, or the last label (the pad when L = 0)
  return -(c + static_cast<double>(log_add_exp(q[L], q[2 * L + 1])));
}

// Beta recursion (eq. 10-11) from the last frame down, and the gradient rows
// -gs·Σ_{s: l'_s = c} gamma_t(s) for t < T' (eq. 14). `alpha` holds every alpha row
// (offsets `aoff`) and is overwritten by gamma; `beta` is two rows, row t holding
// betã_t - d_t. `grad` points at grad[0, n, 0].
template <class T, class W>
LOSSX_SIMD_CLONES void ctc_beta_grad(const CtcSample<T, W>& a, double nll, double gs, W* alpha,
                                     const double* aoff, W* beta, T* grad) {
  const index_t L = a.L, R = CtcLayout::row_len(L);
  const std::int32_t* lab = a.lab;
  const W* skip = a.skip;
  W* b = beta;
  W* nb = beta + R;
  std::fill(b, b + R, kNegInf<W>);
  b[L] = W(0);
  if (L > 0) b[2 * L + 1] = W(0);
  double d = 0.0;  // d_t, in double like c_t
  for (index_t t = a.frames - 1; t >= 0; --t) {
    // gamma_t(s) = exp(alpha_t(s) + betã_t(s) + loss) = exp(r_t(s) + b_t(s) + K_t), over alpha_t, in
    // the band (blanks [lo, hi], labels [lo, hl]): outside it gamma is 0.
    const CtcBand gb(L, a.frames, t);
    const W K = static_cast<W>(aoff[t] + d + nll);
    W* g = alpha + t * R;
    const index_t glo = gb.lo, gbe = std::max(gb.lo, gb.hi + 1), gle = std::max(gb.lo, gb.hl + 1);
#pragma omp simd
    for (index_t k = glo; k < gbe; ++k) {
      const W v = (g[k] + b[k]) + K;
      g[k] = v < kOccFloor<W> ? W(0) : vexp_fast(v < kOccFloor<W> ? W(0) : v);
    }
#pragma omp simd
    for (index_t k = L + 2 + glo; k < L + 2 + gle; ++k) {
      const W v = (g[k] + b[k]) + K;
      g[k] = v < kOccFloor<W> ? W(0) : vexp_fast(v < kOccFloor<W> ? W(0) : v);
    }
    // Σ_s gamma_t(s) = 1 exactly (every alignment is in one state at t); dividing by the
    // computed sum (in double) removes the rounding drift that the rows share, which is
    // most of it: float32 posteriors stay accurate over thousands of frames.
    double blank_sum = 0.0, label_sum = 0.0;
#pragma omp simd reduction(+ : blank_sum)
    for (index_t k = glo; k < gbe; ++k) blank_sum += static_cast<double>(g[k]);
#pragma omp simd reduction(+ : label_sum)
    for (index_t k = glo; k < gle; ++k) label_sum += static_cast<double>(g[L + 2 + k]);
    const double total = blank_sum + label_sum;
    const double scale = total > 0.0 ? gs / total : gs;
    T* gr = grad + t * a.frame;
    std::fill(gr, gr + a.C, T(0));
    gr[a.blank] = static_cast<T>(-scale * blank_sum);
    for (index_t k = glo; k < gle; ++k) gr[lab[k]] -= static_cast<T>(scale * static_cast<double>(g[L + 2 + k]));
    if (t == 0) break;
    // betã_{t-1}: u = x_t + betã_t in place (and its maximum, the next offset), then the successors
    const T* x = a.lp + t * a.frame;
    const W xb = static_cast<W>(x[a.blank]);
    W m = kNegInf<W>;
#pragma omp simd
    for (index_t k = 0; k <= L; ++k) b[k] += xb;
#pragma omp simd
    for (index_t k = 0; k < L; ++k) b[L + 2 + k] += static_cast<W>(x[lab[k]]);
#pragma omp simd reduction(max : m)
    for (index_t i = 0; i < R; ++i) m = b[i] > m ? b[i] : m;
    const W shift = next_shift(m);
    d += static_cast<double>(shift);
    // blank state 2k:    D_k = LSE(u(2k), u(2k+1))                    (label L is the pad)
    // label state 2k+1:  LSE(u(2k+1), u(2k+2), u(2k+3)) = LSE(u(2k+1), D_{k+1}) when label k+1 may be
    //                    reached by a skip, else LSE(u(2k+1), u(2k+2)): one 2-term LSE per state.
    const CtcBand band(L, a.frames, t - 1);
    const index_t lo = band.lo, hl = band.hl, end = std::max(lo, hl + 1);
    nb[lo] = log_add_exp(b[lo], b[L + 2 + lo]) - shift;
#pragma omp simd
    for (index_t k = lo; k < end; ++k) {
      const W D = log_add_exp(b[k + 1], b[L + 3 + k]);
      nb[k + 1] = D - shift;
      nb[L + 2 + k] = log_add_exp(b[L + 2 + k], skip[k + 1] == W(0) ? D : b[k + 1]) - shift;
    }
    // blanks [lo, hl + 1] (just lo when L = 0) and labels [lo, hl] are done
    band.fill_outside(nb, L, std::max(lo, std::min(hl + 1, L)));
    std::swap(b, nb);
  }
}

// Hands each running sample a workspace slot; a task that finds none free (a caller's
// workspace sized for fewer threads, or the thread count raised while the call ran)
// allocates its own.
class SlotPool {
 public:
  SlotPool(unsigned char* base, index_t slots, std::size_t slot_bytes) : base_(base), slot_bytes_(slot_bytes) {
    for (index_t s = slots; s-- > 0;) free_.push_back(s);
  }
  struct Lease {
    SlotPool& pool;
    index_t slot = -1;
    std::vector<double> own;  // doubles: aligned for every part of a slot
    unsigned char* data = nullptr;
    explicit Lease(SlotPool& p) : pool(p) {
      {
        std::lock_guard<std::mutex> lock(pool.mutex_);
        if (!pool.free_.empty()) {
          slot = pool.free_.back();
          pool.free_.pop_back();
        }
      }
      if (slot >= 0) {
        data = pool.base_ + static_cast<std::size_t>(slot) * pool.slot_bytes_;
      } else {
        own.resize(pool.slot_bytes_ / sizeof(double) + 1);
        data = reinterpret_cast<unsigned char*>(own.data());
      }
    }
    ~Lease() {
      if (slot < 0) return;
      std::lock_guard<std::mutex> lock(pool.mutex_);
      pool.free_.push_back(slot);
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
  };

 private:
  unsigned char* base_;
  std::size_t slot_bytes_;
  std::mutex mutex_;
  std::vector<index_t> free_;
};

// Sample n with recursions in W: returns its loss -log p (inf if impossible); with `grad`,
// writes its gradient rows for t < T' (grad points at grad[0, n, 0]); returns how many.
template <class W, class T, class I>
double ctc_sample(const CtcLayout& l, const T* log_probs, const I* targets, const CtcLossOptions& opt, index_t n,
                  unsigned char* ws, T* grad, double gs, index_t& filled) {
  const index_t frames = l.input_len[n], L = l.target_len[n], C = l.d.C, frame = l.d.N * C;
  const I* lab = targets + l.target_off[n];
  // the slot, carved as CtcLayout::slot describes it: offsets, labels, skip mask, rows
  const bool with_grad = grad != nullptr;
  const index_t R = CtcLayout::row_len(L);
  const CtcLayout::Slot slot = l.slot(n, with_grad, sizeof(W));
  auto* offset = reinterpret_cast<double*>(ws + slot.offsets);
  auto* lab32 = reinterpret_cast<std::int32_t*>(ws + slot.labels);
  auto* skip = reinterpret_cast<W*>(ws + slot.skip);
  W* row = reinterpret_cast<W*>(ws + slot.rows);
  for (index_t k = 0; k < L; ++k) lab32[k] = static_cast<std::int32_t>(lab[k]);  // checked: in [0, C)
  for (index_t k = 0; k <= L; ++k) skip[k] = (k > 0 && k < L && lab[k] != lab[k - 1]) ? W(0) : kNegInf<W>;
  const CtcSample<T, W> a{log_probs + n * C, frame, C, opt.blank, lab32, L, frames, skip};
  const double nll = ctc_alpha(a, row, offset, with_grad);
  if (with_grad) {
    const bool inf = std::isinf(nll) && nll > 0;
    if (!inf) {
      ctc_beta_grad(a, nll, gs, row, offset, row + frames * R, grad);
      filled = frames;
    } else if (!opt.zero_infinity) {
      // no alignment: PyTorch's gradient is nan on every frame that was read
      for (index_t t = 0; t < frames; ++t)
        std::fill(grad + t * frame, grad + t * frame + C, std::numeric_limits<T>::quiet_NaN());
      filled = frames;
    }
  }
  return nll;
}

// Sample n: returns its loss -log p (inf if impossible); with `grad`, writes its T
// gradient rows (grad points at grad[0, n, 0]): the gradient for t < T', 0 beyond.
template <class T, class I>
double ctc_one(const CtcLayout& l, const T* log_probs, const I* targets, const CtcLossOptions& opt, index_t n,
               unsigned char* ws, T* grad, double gs) {
  double nll;
  index_t filled = 0;  // gradient rows written
  if (l.input_len[n] == 0)
    nll = l.target_len[n] == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  else if (l.work_size(n, sizeof(T)) == sizeof(T))
    nll = ctc_sample<T>(l, log_probs, targets, opt, n, ws, grad, gs, filled);
  else
    nll = ctc_sample<double>(l, log_probs, targets, opt, n, ws, grad, gs, filled);
  if (grad) {
    const index_t frame = l.d.N * l.d.C;
    for (index_t t = filled; t < l.d.T; ++t) std::fill(grad + t * frame, grad + t * frame + l.d.C, T(0));
  }
  return nll;
}

}  // namespace

template <class T, class I, class L>
Shape ctc_loss_shape(View<const T> log_probs, View<const I> targets, View<const L> input_lengths,
                     View<const L> target_lengths, const CtcLossOptions& opt) {
  const detail::CtcDims d =
      detail::ctc_dims(Check{"ctc_loss"}, log_probs, targets, input_lengths, target_lengths, opt);
  return d.batched ? Shape{d.N} : Shape{};
}

template <class T, class I, class L>
std::size_t ctc_loss_workspace_size(View<const T> log_probs, View<const I> targets, View<const L> input_lengths,
                                    View<const L> target_lengths, const CtcLossOptions& opt, bool with_grad,
                                    int threads) {
  Check{"ctc_loss"}.param(threads >= 1, "threads", "be >= 1", threads);
  return detail::ctc_layout(Check{"ctc_loss"}, log_probs, targets, input_lengths, target_lengths, opt, with_grad,
                            threads)
      .bytes();
}

template <class T, class I, class L>
void ctc_loss_run(View<const T> log_probs, View<const I> targets, View<const L> input_lengths,
                  View<const L> target_lengths, const CtcLossOptions& opt, const Request<T>& request, void* workspace,
                  std::size_t workspace_bytes) {
  const Check ck{"ctc_loss"};
  const CtcLayout l = detail::ctc_layout(ck, log_probs, targets, input_lengths, target_lengths, opt,
                                         request.grad != nullptr, get_num_threads());
  detail::ctc_check_labels(ck, l, targets.data, opt.blank);
  const index_t N = l.d.N;
  // 'mean' is the mean over samples of loss_n / max(L_n, 1): the denominator is N, and each
  // term carries its own factor 1 / max(L_n, 1) (Reducer::grad_scale(term_denominator)).
  const detail::Reducer<T> red(ck, opt.reduction, l.d.batched ? Shape{N} : Shape{}, request,
                               static_cast<double>(N));
  T* grad_log_probs = red.grad();
  const T* g = red.term_grad_output();
  auto term_denominator = [&](index_t n) { return static_cast<double>(std::max<index_t>(l.target_len[n], 1)); };

  // A caller's workspace holds as many slots as its byte count allows (it may have been sized
  // for fewer threads than now run): the samples that find no free slot allocate their own.
  std::vector<double> own;  // doubles: aligned for every part of a slot
  auto* ws = static_cast<unsigned char*>(workspace);
  index_t slots = l.slots;
  if (ws) {
    if (N > 0 && l.slot_bytes > 0 && workspace_bytes < l.slot_bytes)
      ck.fail("workspace_bytes",
              cat("be at least ", l.slot_bytes, " (one sample's slot; ctc_loss_workspace_size(..., threads) gives ",
                  "the size for `threads` samples in flight)"),
              cat(workspace_bytes));
    slots = std::min<index_t>(slots, l.slot_bytes ? static_cast<index_t>(workspace_bytes / l.slot_bytes) : slots);
  } else {
    own.resize(l.bytes() / sizeof(double) + 1);
    ws = reinterpret_cast<unsigned char*>(own.data());
  }
  SlotPool pool(ws, slots, l.slot_bytes);
  std::vector<double> nll(static_cast<size_t>(N));
  parallel_for(N, 1, [&](index_t i0, index_t i1) {
    for (index_t i = i0; i < i1; ++i) {
      const index_t n = l.order[i];
      // d (what was asked for) / d loss_n
      const double gs = !grad_log_probs ? 0.0 : g ? static_cast<double>(g[n]) : red.grad_scale(term_denominator(n));
      SlotPool::Lease lease(pool);
      nll[n] = ctc_one<T, I>(l, log_probs.data, targets.data, opt, n, lease.data,
                             grad_log_probs ? grad_log_probs + n * l.d.C : nullptr, gs);
    }
  });
  auto value = [&](index_t n) {
    const double v = nll[n];
    return opt.zero_infinity && std::isinf(v) && v > 0 ? 0.0 : v;
  };
  if (T* loss = red.term_values()) {
    for (index_t n = 0; n < N; ++n) loss[n] = static_cast<T>(value(n));
    return;
  }
  if (!red.wants_total()) return;
  double total = 0.0;  // serial, in sample order: the same sum for any thread count
  for (index_t n = 0; n < N; ++n) total += red.is_mean() ? value(n) / term_denominator(n) : value(n);
  red.finish(total);
}

#define INSTANTIATE(T, I, L)                                                                                   \
  template Shape ctc_loss_shape<T, I, L>(View<const T>, View<const I>, View<const L>, View<const L>,            \
                                         const CtcLossOptions&);                                                \
  template std::size_t ctc_loss_workspace_size<T, I, L>(View<const T>, View<const I>, View<const L>,            \
                                                        View<const L>, const CtcLossOptions&, bool, int);       \
  template void ctc_loss_run<T, I, L>(View<const T>, View<const I>, View<const L>, View<const L>,               \
                                      const CtcLossOptions&, const Request<T>&, void*, std::size_t);
#define INSTANTIATE_LENGTHS(T, I) INSTANTIATE(T, I, std::int32_t) INSTANTIATE(T, I, std::int64_t)
LOSSX_FOR_EACH_FLOAT_AND_INDEX(INSTANTIATE_LENGTHS)
#undef INSTANTIATE_LENGTHS
#undef INSTANTIATE

}  // namespace lossx
