// cosine_embedding_loss — as torch.nn.functional.cosine_embedding_loss.
//
// For a row pair (x1, x2) of D values and its target y:
//   s = Σ x1·x2,  m1 = Σ x1² + ε,  m2 = Σ x2² + ε,  cos = s / sqrt(m1·m2)
//   loss = 1 - cos              if y == 1
//        = max(0, cos - margin) if y == -1
//        = 0                    for any other y (PyTorch tests y == 1 and y == -1 exactly)
// PyTorch quirks reproduced:
//   * ε is *added* to each squared norm (not a clamp), and it is the float
//     constant 1e-12 (PyTorch declares EPSILON as float), i.e. 9.99999996e-13
//     even in float64. A zero vector therefore gives cos = 0, loss 1, and a
//     huge but finite gradient (about -1e6 for a unit partner).
//   * the clamp max(0, ·) passes the gradient at exactly 0 (clamp_min's backward).
// Gradient, gc = ∂loss/∂cos (-1 for y = 1; 1 for y = -1 with cos - margin >= 0; else 0):
//   ∂cos/∂x1 = x2 / sqrt(m1·m2) - cos · x1 / m1,   ∂cos/∂x2 = x1 / sqrt(m1·m2) - cos · x2 / m2.
// One pass over each row pair for the three sums (in double), a second over the
// same rows (still in cache) for the gradients; no N×D temporaries.
#include <algorithm>
#include <cmath>

#include "core/math.hpp"
#include "core/parallel.hpp"
#include "core/reduce.hpp"
#include "lossx/embedding.hpp"

namespace lossx {
namespace {

constexpr double kEpsilon = static_cast<double>(1e-12f);

template <class T>
struct CosineRows {
  const T* x1;
  const T* x2;
  const T* y;
  index_t D;
  double margin;
  T* loss_rows;   // 'none' output or nullptr
  T* g1;          // gradients or nullptr
  T* g2;
  const T* g;     // per-row grad_output ('none') or nullptr
  double gs;      // the gradient coefficient of a reduced call (Reducer::grad_scale)
};

template <class T>
LOSSX_SIMD_CLONES double cosine_block(const CosineRows<T>& a, index_t r0, index_t r1) {
  const index_t D = a.D;
  double total = 0.0;
  for (index_t r = r0; r < r1; ++r) {
    const T* __restrict x1 = a.x1 + r * D;
    const T* __restrict x2 = a.x2 + r * D;
    double s = 0.0, q1 = 0.0, q2 = 0.0;
#pragma omp simd reduction(+ : s, q1, q2)
    for (index_t k = 0; k < D; ++k) {
      const double u = static_cast<double>(x1[k]), v = static_cast<double>(x2[k]);
      s += u * v;
      q1 += u * u;
      q2 += v * v;
    }
    const double m1 = q1 + kEpsilon, m2 = q2 + kEpsilon;
    const double denom = std::sqrt(m1 * m2);
    const double cos = s / denom;
    const T y = a.y[r];
    double loss = 0.0, gc = 0.0;
    if (y == T(1)) {
      loss = 1.0 - cos;
      gc = -1.0;
    } else if (y == T(-1)) {
      const double z = cos - a.margin;
      loss = z < 0.0 ? 0.0 : z;  // NaN stays NaN
      gc = z >= 0.0 ? 1.0 : 0.0;
    }
    if (a.loss_rows) a.loss_rows[r] = static_cast<T>(loss);
    total += loss;
    if (a.g1 || a.g2) {
      gc *= a.g ? static_cast<double>(a.g[r]) : a.gs;
      const T A = static_cast<T>(gc / denom);
      if (a.g1) {
        const T B = static_cast<T>(gc * cos / m1);
        T* __restrict o = a.g1 + r * D;
#pragma omp simd
        for (index_t k = 0; k < D; ++k) o[k] = A * x2[k] - B * x1[k];
      }
      if (a.g2) {
        const T B = static_cast<T>(gc * cos / m2);
        T* __restrict o = a.g2 + r * D;
#pragma omp simd
        for (index_t k = 0; k < D; ++k) o[k] = A * x1[k] - B * x2[k];
      }
    }
  }
  return total;
}

}  // namespace

template <class T>
Shape cosine_embedding_loss_shape(View<const T> input1, View<const T> input2, View<const T> target,
                                  const CosineEmbeddingLossOptions& opt) {
  const Check ck{"cosine_embedding_loss"};
  ck.contiguous("input1", input1);
  ck.contiguous("input2", input2);
  ck.contiguous("target", target);
  ck.ndim_between("input1", input1.shape, 1, 2);
  ck.same_shape("input2", input2.shape, "input1", input1.shape);
  const Shape none = input1.shape.size() == 2 ? Shape{input1.shape[0]} : Shape{};
  ck.shape_is("target", target.shape, none, "input1", input1.shape);
  ck.param(opt.reduction != Reduction::BatchMean, "reduction", "be one of 'none', 'mean', 'sum'", "'batchmean'");
  return none;
}

template <class T>
void cosine_embedding_loss_run(View<const T> input1, View<const T> input2, View<const T> target,
                               const CosineEmbeddingLossOptions& opt, const Request<T>& request) {
  const Check ck{"cosine_embedding_loss"};
  const Shape none = cosine_embedding_loss_shape(input1, input2, target, opt);
  const index_t N = numel(none);
  const index_t D = input1.shape.back();
  const detail::Reducer<T> red(ck, opt.reduction, none, request, static_cast<double>(N));
  const CosineRows<T> a{input1.data, input2.data, target.data, D, opt.margin, red.term_values(),
                        red.grad(), red.grad2(), red.term_grad_output(), red.grad_scale()};
  const index_t grain = std::max<index_t>(1, 32768 / std::max<index_t>(D, 1));
  const double total = block_sum(N, grain, [&](index_t b, index_t e) { return cosine_block<T>(a, b, e); });
  red.finish(total);
}

#define INSTANTIATE(T)                                                                                     \
  template Shape cosine_embedding_loss_shape<T>(View<const T>, View<const T>, View<const T>,               \
                                                const CosineEmbeddingLossOptions&);                        \
  template void cosine_embedding_loss_run<T>(View<const T>, View<const T>, View<const T>,                  \
                                             const CosineEmbeddingLossOptions&, const Request<T>&);
LOSSX_FOR_EACH_FLOAT(INSTANTIATE)
#undef INSTANTIATE

}  // namespace lossx
