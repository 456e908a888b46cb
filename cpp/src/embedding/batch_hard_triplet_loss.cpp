// batch_hard_triplet_loss — the "batch hard" triplet loss (Hermans, Beyer & Leibe,
// "In Defense of the Triplet Loss for Person Re-Identification", 2017). Not in PyTorch.
//
// Embeddings e (N, D), integer labels y (N,), d(x, z) = ||x - z||_p (no eps). For anchor i:
//   P(i) = argmax_{j != i, y_j = y_i} d(e_i, e_j)    (hardest positive)
//   Q(i) = argmin_{j: y_j != y_i}     d(e_i, e_j)    (hardest negative)
//   ties go to the lowest index; a NaN distance wins (as argmax/argmin propagate NaN)
//   loss_i = max(0, d(e_i, e_P) - d(e_i, e_Q) + margin)
// Anchors with no positive or no negative are left out: 'none' gives 0 there,
// 'mean' divides the sum by the number K of kept anchors (nan if K = 0, with a
// zero gradient), 'sum' adds the kept ones; the partial sums are (Σ kept losses, K).
// K is known only after the mining pass, so the Reducer gets it then (set_denominator).
// Gradient, with c_i = grad_output_i·[z_i >= 0] for kept anchors (the clamp passes
// the gradient at exactly 0, as triplet_margin_loss's does; a NaN z_i keeps c_i so
// that NaN propagates) and u(x, z) = ∂d/∂δ at δ = x - z (pnorm.hpp; 0 at d = 0):
//   ∂/∂e_i   += c_i (u(e_i, e_P) - u(e_i, e_Q))
//   ∂/∂e_P(i) -= c_i u(e_i, e_P),   ∂/∂e_Q(i) += c_i u(e_i, e_Q)
//
// Memory: the N×N distance matrix is never built. Pass 1 (parallel over blocks of
// 64 anchors) streams the candidates in tiles of ~256 KB, four anchors sharing each
// pass over a candidate row, and keeps only each anchor's running best positive
// and negative. The search compares Σ|δ|^p (max |δ| for p = ∞) accumulated in the
// input's dtype, a monotone stand-in for the distance; the loss then uses the two
// chosen distances recomputed in double. Pass 2 (gradient) needs only the chosen
// indices: per-anchor coefficients, then the inverse lists "anchors whose positive
// (negative) is j" built by a counting sort in anchor order, then one gather per
// row j in a fixed order (own term, positive list, negative list). Each gradient
// row is written by one thread, so there are no races and the result is bitwise
// the same for any thread count. Extra memory: about 80·N bytes (indices, distances,
// coefficients, inverse lists) and one row of D doubles per thread; the tiles are
// ranges of the input, read through the cache, not copies.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/math.hpp"
#include "core/parallel.hpp"
#include "core/reduce.hpp"
#include "lossx/embedding.hpp"
#include "pnorm.hpp"

namespace lossx {
namespace {

using detail::NormInf;

constexpr index_t kAnchorBlock = 64;        // anchors per parallel task
constexpr index_t kTileBytes = 256 * 1024;  // candidate rows per tile: about this many bytes
constexpr index_t kGatherGrain = 64;        // gradient rows per parallel task

template <class T, class I>
struct Batch {
  const T* e;
  const I* y;
  index_t N;
  index_t D;
  double margin;
  index_t* pos;   // (N,) chosen positive, -1 if none
  index_t* neg;   // (N,) chosen negative, -1 if none
  double* dap;    // (N,) d(e_i, e_P(i))
  double* dan;    // (N,) d(e_i, e_Q(i))
  T* loss_rows;   // 'none' output or nullptr
};

// The search key Σ term(a_q - b) of four anchors against one candidate row.
template <class T, class Norm>
LOSSX_INLINE void keys4(const Norm& norm, const T* __restrict a0, const T* __restrict a1, const T* __restrict a2,
                  const T* __restrict a3, const T* __restrict b, index_t D, T* out) {
  T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  if constexpr (Norm::is_max) {
    T m0 = 0, m1 = 0, m2 = 0, m3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3) reduction(max : m0, m1, m2, m3)
    for (index_t k = 0; k < D; ++k) {
      const T bk = b[k];
      const T t0 = norm.term(a0[k] - bk), t1 = norm.term(a1[k] - bk);
      const T t2 = norm.term(a2[k] - bk), t3 = norm.term(a3[k] - bk);
      s0 += t0, s1 += t1, s2 += t2, s3 += t3;
      m0 = t0 > m0 ? t0 : m0, m1 = t1 > m1 ? t1 : m1, m2 = t2 > m2 ? t2 : m2, m3 = t3 > m3 ? t3 : m3;
    }
    s0 = s0 != s0 ? s0 : m0, s1 = s1 != s1 ? s1 : m1, s2 = s2 != s2 ? s2 : m2, s3 = s3 != s3 ? s3 : m3;
  } else {
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (index_t k = 0; k < D; ++k) {
      const T bk = b[k];
      s0 += norm.term(a0[k] - bk);
      s1 += norm.term(a1[k] - bk);
      s2 += norm.term(a2[k] - bk);
      s3 += norm.term(a3[k] - bk);
    }
  }
  out[0] = s0, out[1] = s1, out[2] = s2, out[3] = s3;
}

// Four anchors against two candidate rows: eight independent sums, so that the
// FMA latency chains overlap and each anchor load serves two candidates.
template <class T, class Norm>
LOSSX_INLINE void keys4x2(const Norm& norm, const T* __restrict a0, const T* __restrict a1,
                              const T* __restrict a2, const T* __restrict a3, const T* __restrict b,
                              const T* __restrict c, index_t D, T* out) {
  T s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3, t0, t1, t2, t3)
  for (index_t k = 0; k < D; ++k) {
    const T bk = b[k], ck = c[k];
    const T x0 = a0[k], x1 = a1[k], x2 = a2[k], x3 = a3[k];
    s0 += norm.term(x0 - bk);
    s1 += norm.term(x1 - bk);
    s2 += norm.term(x2 - bk);
    s3 += norm.term(x3 - bk);
    t0 += norm.term(x0 - ck);
    t1 += norm.term(x1 - ck);
    t2 += norm.term(x2 - ck);
    t3 += norm.term(x3 - ck);
  }
  out[0] = s0, out[1] = s1, out[2] = s2, out[3] = s3, out[4] = t0, out[5] = t1, out[6] = t2, out[7] = t3;
}

// The same for one anchor (the last anchors of a block that do not fill a group of four).
template <class T, class Norm>
LOSSX_INLINE T key1(const Norm& norm, const T* __restrict a, const T* __restrict b, index_t D) {
  T s = 0;
  if constexpr (Norm::is_max) {
    T m = 0;
#pragma omp simd reduction(+ : s) reduction(max : m)
    for (index_t k = 0; k < D; ++k) {
      const T t = norm.term(a[k] - b[k]);
      s += t;
      m = t > m ? t : m;
    }
    return s != s ? s : m;
  } else {
#pragma omp simd reduction(+ : s)
    for (index_t k = 0; k < D; ++k) s += norm.term(a[k] - b[k]);
    return s;
  }
}

// The distance d(x, z) in double (the differences of float inputs are exact in double).
template <class T, class Norm>
LOSSX_INLINE double distance(const Norm& norm, const T* __restrict x, const T* __restrict z, index_t D) {
  double s = 0.0;
  if constexpr (Norm::is_max) {
    double m = 0.0;
#pragma omp simd reduction(+ : s) reduction(max : m)
    for (index_t k = 0; k < D; ++k) {
      const double t = norm.term(static_cast<double>(x[k]) - static_cast<double>(z[k]));
      s += t;
      m = t > m ? t : m;
    }
    s = detail::max_or_nan(m, s);
  } else {
#pragma omp simd reduction(+ : s)
    for (index_t k = 0; k < D; ++k) s += norm.term(static_cast<double>(x[k]) - static_cast<double>(z[k]));
  }
  return norm.root(s);
}

// acc += coef · ∂d(x, z)/∂x, d = d(x, z) as computed by distance().
template <class T, class Norm>
LOSSX_INLINE void add_grad(const Norm& norm, double* __restrict acc, const T* __restrict x, const T* __restrict z,
                     index_t D, double d, double coef) {
  double k = coef * norm.scale(d);
  if constexpr (std::is_same_v<Norm, NormInf>) {
    index_t ties = 0;  // p = ∞ shares the gradient among the maximal components
    for (index_t j = 0; j < D; ++j) {
      const double v = static_cast<double>(x[j]) - static_cast<double>(z[j]);
      ties += (std::fabs(v) == d || v != v) ? 1 : 0;
    }
    k /= static_cast<double>(std::max<index_t>(ties, 1));
  }
#pragma omp simd
  for (index_t j = 0; j < D; ++j)
    acc[j] += k * norm.unit(static_cast<double>(x[j]) - static_cast<double>(z[j]), d);
}

// Pass 1 for anchors [a0, a1): mine P and Q, then the loss of each anchor.
// Returns (Σ loss over kept anchors, number of kept anchors).
template <class T, class I, class Norm>
LOSSX_SIMD_CLONES std::pair<double, double> mine_block(const Batch<T, I>& b, const Norm norm, index_t a0,
                                                       index_t a1) {
  const index_t N = b.N, D = b.D;
  const T* e = b.e;
  const I* y = b.y;
  T best_pos[kAnchorBlock], best_neg[kAnchorBlock];
  for (index_t i = a0; i < a1; ++i) b.pos[i] = b.neg[i] = -1;
  // Candidate j for anchor i with search key s; candidates arrive in increasing j,
  // so the strict comparisons keep the lowest index among ties.
  // A key that overflowed to inf only says "farther than any finite key": two such
  // keys are compared by their exact distances in double (rare: |differences| near
  // 1e19 in float32), so that the farthest / nearest sample is still the one chosen.
  constexpr T inf = std::numeric_limits<T>::infinity();
  auto farther = [&](index_t i, index_t j, index_t k) {
    return distance(norm, e + i * D, e + j * D, D) > distance(norm, e + i * D, e + k * D, D);
  };
  auto consider = [&](index_t i, index_t j, T s) LOSSX_INLINE_LAMBDA {
    if (j == i) return;
    const index_t q = i - a0;
    if (y[j] == y[i]) {
      const T cur = best_pos[q];
      if (b.pos[i] < 0 || s > cur || (s != s && cur == cur) || (s == inf && cur == inf && farther(i, j, b.pos[i])))
        b.pos[i] = j, best_pos[q] = s;
    } else {
      const T cur = best_neg[q];
      if (b.neg[i] < 0 || s < cur || (s != s && cur == cur) || (s == inf && cur == inf && farther(i, b.neg[i], j)))
        b.neg[i] = j, best_neg[q] = s;
    }
  };
  const index_t tile = std::max<index_t>(16, kTileBytes / (std::max<index_t>(D, 1) * static_cast<index_t>(sizeof(T))));
  for (index_t c0 = 0; c0 < N; c0 += tile) {
    const index_t c1 = std::min(N, c0 + tile);
    index_t i = a0;
    for (; i + 4 <= a1; i += 4) {
      const T* r = e + i * D;
      index_t j = c0;
      if constexpr (!Norm::is_max) {
        for (; j + 2 <= c1; j += 2) {
          T s[8];
          keys4x2(norm, r, r + D, r + 2 * D, r + 3 * D, e + j * D, e + (j + 1) * D, D, s);
          for (index_t q = 0; q < 4; ++q) consider(i + q, j, s[q]);
          for (index_t q = 0; q < 4; ++q) consider(i + q, j + 1, s[4 + q]);
        }
      }
      for (; j < c1; ++j) {
        T s[4];
        keys4(norm, r, r + D, r + 2 * D, r + 3 * D, e + j * D, D, s);
        for (index_t q = 0; q < 4; ++q) consider(i + q, j, s[q]);
      }
    }
    for (; i < a1; ++i)
      for (index_t j = c0; j < c1; ++j) consider(i, j, key1(norm, e + i * D, e + j * D, D));
  }
  double total = 0.0, kept = 0.0;
  for (index_t i = a0; i < a1; ++i) {
    double loss = 0.0;
    if (b.pos[i] >= 0 && b.neg[i] >= 0) {
      b.dap[i] = distance(norm, e + i * D, e + b.pos[i] * D, D);
      b.dan[i] = distance(norm, e + i * D, e + b.neg[i] * D, D);
      const double z = b.dap[i] - b.dan[i] + b.margin;
      loss = z < 0.0 ? 0.0 : z;  // NaN stays NaN
      total += loss;
      kept += 1.0;
    }
    if (b.loss_rows) b.loss_rows[i] = static_cast<T>(loss);
  }
  return {total, kept};
}

// Pass 2 for gradient rows [r0, r1): see the header comment.
template <class T, class I, class Norm>
LOSSX_SIMD_CLONES void gather_block(const Batch<T, I>& b, const Norm norm, const double* coef,
                                    const index_t* pstart, const index_t* plist, const index_t* nstart,
                                    const index_t* nlist, T* grad, index_t r0, index_t r1) {
  const index_t D = b.D;
  const T* e = b.e;
  std::vector<double> acc(static_cast<size_t>(D));
  for (index_t j = r0; j < r1; ++j) {
    std::fill(acc.begin(), acc.end(), 0.0);
    const T* ej = e + j * D;
    if (coef[j] != 0.0) {
      add_grad(norm, acc.data(), ej, e + b.pos[j] * D, D, b.dap[j], coef[j]);
      add_grad(norm, acc.data(), ej, e + b.neg[j] * D, D, b.dan[j], -coef[j]);
    }
    for (index_t k = pstart[j]; k < pstart[j + 1]; ++k) {
      const index_t i = plist[k];
      add_grad(norm, acc.data(), e + i * D, ej, D, b.dap[i], -coef[i]);
    }
    for (index_t k = nstart[j]; k < nstart[j + 1]; ++k) {
      const index_t i = nlist[k];
      add_grad(norm, acc.data(), e + i * D, ej, D, b.dan[i], coef[i]);
    }
    T* __restrict o = grad + j * D;
    for (index_t k = 0; k < D; ++k) o[k] = static_cast<T>(acc[static_cast<size_t>(k)]);
  }
}

// Inverse lists by a counting sort: for each row j, the anchors i (in increasing
// order) with target[i] == j and coef[i] != 0.
inline void inverse_lists(const index_t* target, const std::vector<double>& coef, std::vector<index_t>& start,
                          std::vector<index_t>& list) {
  const index_t N = static_cast<index_t>(coef.size());
  start.assign(static_cast<size_t>(N + 1), 0);
  for (index_t i = 0; i < N; ++i)
    if (coef[static_cast<size_t>(i)] != 0.0) ++start[static_cast<size_t>(target[i] + 1)];
  for (index_t j = 0; j < N; ++j) start[static_cast<size_t>(j + 1)] += start[static_cast<size_t>(j)];
  list.assign(static_cast<size_t>(start[static_cast<size_t>(N)]), 0);
  std::vector<index_t> cursor(start.begin(), start.end() - 1);
  for (index_t i = 0; i < N; ++i)
    if (coef[static_cast<size_t>(i)] != 0.0) list[static_cast<size_t>(cursor[static_cast<size_t>(target[i])]++)] = i;
}

}  // namespace

template <class T, class I>
Shape batch_hard_triplet_loss_shape(View<const T> embeddings, View<const I> labels,
                                    const BatchHardTripletLossOptions& opt) {
  const Check ck{"batch_hard_triplet_loss"};
  ck.contiguous("embeddings", embeddings);
  ck.contiguous("labels", labels);
  ck.ndim_between("embeddings", embeddings.shape, 2, 2);
  const Shape none{embeddings.shape[0]};
  ck.shape_is("labels", labels.shape, none, "embeddings", embeddings.shape);
  ck.param(opt.margin >= 0.0, "margin", "be a number >= 0", opt.margin);
  ck.param(opt.p > 0.0, "p", "be greater than 0", opt.p);
  ck.param(opt.reduction != Reduction::BatchMean, "reduction", "be one of 'none', 'mean', 'sum'", "'batchmean'");
  return none;
}

template <class T, class I>
void batch_hard_triplet_loss_run(View<const T> embeddings, View<const I> labels,
                                 const BatchHardTripletLossOptions& opt, const Request<T>& request) {
  const Check ck{"batch_hard_triplet_loss"};
  const Shape none = batch_hard_triplet_loss_shape(embeddings, labels, opt);
  const index_t N = none[0], D = embeddings.shape[1];
  // 'mean' divides by the kept anchors, a count known only after the mining pass (set below).
  detail::Reducer<T> red(ck, opt.reduction, none, request);

  const auto n = static_cast<size_t>(N);
  std::vector<index_t> pos(n), neg(n);
  std::vector<double> dap(n), dan(n);
  const Batch<T, I> b{embeddings.data, labels.data, N, D, opt.margin, pos.data(), neg.data(),
                      dap.data(), dan.data(), red.term_values()};

  detail::with_norm(opt.p, [&](auto norm) {
    using Norm = decltype(norm);
    const auto [total, kept] =
        block_sum2(N, kAnchorBlock, [&](index_t s, index_t t) { return mine_block<T, I, Norm>(b, norm, s, t); });
    red.set_denominator(kept);
    red.finish(total);
    T* grad_embeddings = red.grad();
    if (!grad_embeddings) return;

    // Per-anchor coefficients c_i (0 for anchors left out or with z < 0).
    const T* g = red.term_grad_output();
    const double gs = red.grad_scale();
    std::vector<double> coef(n, 0.0);
    for (index_t i = 0; i < N; ++i) {
      const auto u = static_cast<size_t>(i);
      if (pos[u] < 0 || neg[u] < 0) continue;
      const double z = dap[u] - dan[u] + opt.margin;
      if (!(z >= 0.0) && z == z) continue;
      coef[u] = g ? static_cast<double>(g[i]) : gs;
    }
    std::vector<index_t> pstart, plist, nstart, nlist;
    inverse_lists(pos.data(), coef, pstart, plist);
    inverse_lists(neg.data(), coef, nstart, nlist);
    parallel_for(N, kGatherGrain, [&](index_t s, index_t t) {
      gather_block<T, I, Norm>(b, norm, coef.data(), pstart.data(), plist.data(), nstart.data(), nlist.data(),
                               grad_embeddings, s, t);
    });
  });
}

#define INSTANTIATE(T, I)                                                                                      \
  template Shape batch_hard_triplet_loss_shape<T, I>(View<const T>, View<const I>,                            \
                                                     const BatchHardTripletLossOptions&);                     \
  template void batch_hard_triplet_loss_run<T, I>(View<const T>, View<const I>,                               \
                                                  const BatchHardTripletLossOptions&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT_AND_INDEX(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
