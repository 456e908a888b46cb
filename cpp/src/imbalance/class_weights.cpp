// class_weights — per-class weights from the class frequencies of the targets.
//   n_c = count of class c among the targets != ignore_index, n = Σ n_c, K classes;
//   'balanced':  w_c = n / (K · n_c)                              (scikit-learn)
//   'inverse':   w_c ∝ 1 / n_c, mean over present classes = 1
//   'effective': w_c ∝ (1 - β) / (1 - β^n_c), sum over present classes = their number
//                (Cui et al., "Class-Balanced Loss Based on Effective Number of Samples", CVPR 2019)
// Classes with n_c = 0 get 0 in every scheme.
#include <cmath>

#include "core/check.hpp"
#include "lossx/imbalance.hpp"

namespace lossx {

namespace {
/// The largest class count class_weights accepts: 2^26 classes (a 512 MiB count
/// table); a larger one is almost surely a stray label, and would exhaust memory.
constexpr index_t kMaxClasses = index_t{1} << 26;
}  // namespace

WeightScheme parse_weight_scheme(const std::string& text) {
  if (text == "balanced") return WeightScheme::Balanced;
  if (text == "inverse") return WeightScheme::Inverse;
  if (text == "effective") return WeightScheme::Effective;
  Check{"class_weights"}.fail("scheme", "be one of 'balanced', 'inverse', 'effective'", "'" + text + "'");
}

template <class I>
std::vector<index_t> class_counts(View<const I> target, index_t num_classes, index_t ignore_index) {
  const Check ck{"class_weights"};
  ck.contiguous("target", target);
  const index_t n = target.numel();
  index_t K = num_classes;
  if (K < 0) {
    index_t mx = -1;
    for (index_t i = 0; i < n; ++i) {
      const index_t v = static_cast<index_t>(target.data[i]);
      if (v != ignore_index && v > mx) mx = v;
    }
    ck.param(mx < kMaxClasses, "target", cat("hold class indices below ", kMaxClasses, " (2^26 classes at most)"),
             mx);
    K = mx + 1;
  }
  ck.param(K <= kMaxClasses, "num_classes", cat("be at most ", kMaxClasses), K);
  std::vector<index_t> counts(static_cast<size_t>(K), 0);
  for (index_t i = 0; i < n; ++i) {
    const index_t v = static_cast<index_t>(target.data[i]);
    if (v == ignore_index) continue;
    if (v < 0 || v >= K)
      ck.fail("target", cat("hold class indices in [0, ", K, ") or ignore_index=", ignore_index),
              cat(v, " at flat position ", i));
    ++counts[static_cast<size_t>(v)];
  }
  return counts;
}

template <class T>
void class_weights_from_counts(const std::vector<index_t>& counts, WeightScheme scheme, double beta, T* out) {
  const Check ck{"class_weights"};
  const auto K = static_cast<index_t>(counts.size());
  double n = 0.0, present = 0.0;
  for (index_t c : counts) {
    n += static_cast<double>(c);
    present += c > 0 ? 1.0 : 0.0;
  }
  if (scheme == WeightScheme::Effective) ck.param(beta >= 0.0 && beta < 1.0, "beta", "lie in [0, 1)", beta);
  std::vector<double> w(counts.size(), 0.0);
  double scale_sum = 0.0;
  for (size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] == 0) continue;
    const double nc = static_cast<double>(counts[c]);
    switch (scheme) {
      case WeightScheme::Balanced: w[c] = n / (static_cast<double>(K) * nc); break;
      case WeightScheme::Inverse: w[c] = 1.0 / nc; break;
      case WeightScheme::Effective:
        // (1-β)/(1-β^n) = 1 / (1 + β + ... + β^(n-1)); -expm1(n·log β) keeps precision for β near 1.
        w[c] = beta == 0.0 ? 1.0 : (1.0 - beta) / -std::expm1(nc * std::log(beta));
        break;
    }
    scale_sum += w[c];
  }
  double scale = 1.0;
  if (scheme == WeightScheme::Inverse || scheme == WeightScheme::Effective)
    scale = scale_sum > 0.0 ? present / scale_sum : 1.0;  // mean 1 (inverse) == sum = count (effective)
  for (size_t c = 0; c < counts.size(); ++c) out[c] = static_cast<T>(w[c] * scale);
}

template std::vector<index_t> class_counts<std::int32_t>(View<const std::int32_t>, index_t, index_t);
template std::vector<index_t> class_counts<std::int64_t>(View<const std::int64_t>, index_t, index_t);
template void class_weights_from_counts<float>(const std::vector<index_t>&, WeightScheme, double, float*);
template void class_weights_from_counts<double>(const std::vector<index_t>&, WeightScheme, double, double*);

}  // namespace lossx
