// A uniform grad_output (Request::grad_output of shape () for reduction 'none'): one value for
// every term gives bitwise the gradient of an array holding that value everywhere, for an
// elementwise loss (mse_loss) and for softmax / log_softmax on every path (narrow and wide
// contiguous rows, tiles of rows when dim is not the last axis). Shapes other than () and
// the 'none' shape are still refused.
#include <cmath>
#include <cstring>
#include <vector>

#include "check.hpp"
#include "lossx/lossx.hpp"

namespace {

template <class T>
std::vector<T> ramp(size_t n, double step, double offset) {
  std::vector<T> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<T>(std::sin(step * static_cast<double>(i)) * 3.0 + offset);
  return v;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

template <class T>
void mse_uniform_equals_array(T value) {
  const lossx::Shape shape{5, 37};
  const size_t n = 5 * 37;
  const std::vector<T> x = ramp<T>(n, 0.37, 0.1), y = ramp<T>(n, 0.11, -0.2), full(n, value);
  lossx::MseLossOptions<T> opt;
  opt.reduction = lossx::Reduction::None;
  std::vector<T> la(n), lb(n), ga(n), gb(n);
  lossx::mse_loss_with_grad<T>({x.data(), shape}, {y.data(), shape}, opt, {&value, {}}, la.data(), ga.data());
  lossx::mse_loss_with_grad<T>({x.data(), shape}, {y.data(), shape}, opt, {full.data(), shape}, lb.data(), gb.data());
  CHECK(same_bits(la, lb));
  CHECK(same_bits(ga, gb));
  CHECK_NEAR(static_cast<double>(ga[3]), 2.0 * static_cast<double>(value) * static_cast<double>(x[3] - y[3]), 1e-5);
}

// softmax (kLog false) or log_softmax along `dim` of `shape`: the uniform grad_output `value`
// against an array of it, for the gradient alone and for the fused call.
template <class T, bool kLog>
void softmax_uniform_equals_array(const lossx::Shape& shape, lossx::index_t dim, T value) {
  const size_t n = static_cast<size_t>(lossx::numel(shape));
  const std::vector<T> x = ramp<T>(n, 0.71, 0.0), full(n, value);
  std::vector<T> oa(n), ob(n), ga(n), gb(n), gc(n);
  const lossx::View<const T> in{x.data(), shape}, uniform{&value, {}}, arr{full.data(), shape};
  if constexpr (kLog) {
    lossx::log_softmax_with_grad<T>(in, dim, uniform, oa.data(), ga.data());
    lossx::log_softmax_with_grad<T>(in, dim, arr, ob.data(), gb.data());
    lossx::log_softmax_backward<T>(uniform, in, dim, gc.data());
  } else {
    lossx::softmax_with_grad<T>(in, dim, uniform, oa.data(), ga.data());
    lossx::softmax_with_grad<T>(in, dim, arr, ob.data(), gb.data());
    lossx::softmax_backward<T>(uniform, in, dim, gc.data());
  }
  CHECK(same_bits(oa, ob));
  CHECK(same_bits(ga, gb));
  CHECK(same_bits(gc, gb));
  // The gradient of a uniform g: log_softmax g·(1 - C·s), softmax s·(g - g·Σs) ≈ 0.
  const lossx::index_t C = shape[static_cast<size_t>(dim)];
  for (size_t i = 0; i < n; i += 17) {
    const double s = kLog ? std::exp(static_cast<double>(oa[i])) : static_cast<double>(oa[i]);
    const double want = kLog ? static_cast<double>(value) * (1.0 - static_cast<double>(C) * s) : 0.0;
    CHECK_NEAR(static_cast<double>(ga[i]), want, 1e-4 * (1.0 + std::fabs(want)));
  }
}

template <class T>
void softmax_all_paths(T value) {
  for (const auto& [shape, dim] : std::vector<std::pair<lossx::Shape, lossx::index_t>>{
           {{4, 10}, 1}, {{3, 100}, 1}, {{2, 1007}, 1}, {{3, 70, 5}, 1}, {{2, 65, 3}, 0}, {{9}, 0}}) {
    softmax_uniform_equals_array<T, true>(shape, dim, value);
    softmax_uniform_equals_array<T, false>(shape, dim, value);
  }
}

}  // namespace

LOSSX_TEST(mse_uniform_grad_output_equals_an_array_of_it) {
  mse_uniform_equals_array<float>(1.0f);
  mse_uniform_equals_array<float>(0.75f);
  mse_uniform_equals_array<double>(1.0);
  mse_uniform_equals_array<double>(-1.3);
}

LOSSX_TEST(softmax_uniform_grad_output_equals_an_array_of_it) {
  softmax_all_paths<float>(1.0f);
  softmax_all_paths<float>(0.3f);
  softmax_all_paths<double>(1.0);
  softmax_all_paths<double>(-2.5);
}

LOSSX_TEST(none_grad_output_of_another_shape_is_refused) {
  const std::vector<float> x(12, 0.5f), g(12, 1.0f);
  std::vector<float> grad(12);
  lossx::MseLossOptions<float> opt;
  opt.reduction = lossx::Reduction::None;
  CHECK_THROWS(lossx::ValueError,
               lossx::mse_loss_backward<float>({g.data(), {12}}, {x.data(), {3, 4}}, {x.data(), {3, 4}}, opt,
                                               grad.data()),
               "mse_loss: 'grad_output' must have the shape of the unreduced loss (3, 4) (or shape ()");
  CHECK_THROWS(lossx::ValueError, lossx::softmax_backward<float>({g.data(), {4, 3}}, {x.data(), {3, 4}}, 1, grad.data()),
               "softmax: 'grad_output' must have the shape of the unreduced loss (3, 4)");
  opt.reduction = lossx::Reduction::Mean;  // reduced: only shape ()
  CHECK_THROWS(lossx::ValueError,
               lossx::mse_loss_backward<float>({g.data(), {3, 4}}, {x.data(), {3, 4}}, {x.data(), {3, 4}}, opt,
                                               grad.data()),
               "mse_loss: 'grad_output' must be a scalar (shape ()) for reduction='mean'");
}
