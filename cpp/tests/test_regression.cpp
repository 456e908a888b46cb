// Regression losses through the C++ API: strided (incl. zero-stride, broadcast) views are
// read in place by the elementwise kernels and give the contiguous result bitwise.
#include <cstdint>
#include <cstring>
#include <vector>

#include "check.hpp"
#include "lossx/lossx.hpp"

LOSSX_TEST(mse_zero_stride_target_equals_the_dense_one) {
  const lossx::index_t n = 3, m = 4;
  std::vector<double> x(static_cast<size_t>(n * m));
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.25 * static_cast<double>(i) - 1.0;
  const double value = 0.5;
  std::vector<double> dense(x.size(), value);
  lossx::MseLossOptions<double> opt;
  opt.reduction = lossx::Reduction::None;
  lossx::View<const double> broadcast{&value, {n, m}};
  broadcast.strides = {0, 0};
  std::vector<double> a(x.size()), b(x.size()), ga(x.size()), gb(x.size());
  std::vector<double> ones(x.size(), 1.0);
  const lossx::View<const double> g{ones.data(), {n, m}};
  lossx::mse_loss_with_grad<double>({x.data(), {n, m}}, broadcast, opt, g, a.data(), ga.data());
  lossx::mse_loss_with_grad<double>({x.data(), {n, m}}, {dense.data(), {n, m}}, opt, g, b.data(), gb.data());
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
  CHECK(std::memcmp(ga.data(), gb.data(), ga.size() * sizeof(double)) == 0);
  CHECK_NEAR(a[0], 2.25, 1e-15);  // (-1 - 0.5)^2
}

LOSSX_TEST(mse_weight_must_be_contiguous) {
  std::vector<double> x(6, 1.0), w(12, 1.0);
  lossx::MseLossOptions<double> opt;
  opt.weight = lossx::View<const double>{w.data(), {2, 3}};
  opt.weight.strides = {6, 2};  // every other element: a strided weight is refused
  double loss = 0.0;
  CHECK_THROWS(lossx::ValueError,
               (lossx::mse_loss<double>({x.data(), {2, 3}}, {x.data(), {2, 3}}, opt, &loss)),
               "mse_loss: 'weight' must be a contiguous (row-major) array");
}

LOSSX_TEST(shapes_whose_element_count_overflows_are_value_errors) {
  const std::vector<double> x(3, 0.5);
  lossx::L1LossOptions<double> opt;
  opt.reduction = lossx::Reduction::Sum;
  double loss = 0.0;
  const lossx::index_t big = lossx::index_t(1) << 40;
  CHECK_THROWS(lossx::ValueError, lossx::l1_loss<double>({x.data(), {big, big}}, {x.data(), {big, big}}, opt, &loss),
               "l1_loss: 'input' must have at most");
  CHECK_THROWS(lossx::ValueError, lossx::l1_loss<double>({x.data(), {-1, -1}}, {x.data(), {-1, -1}}, opt, &loss),
               "l1_loss: 'input' must have dimensions >= 0");
  lossx::CrossEntropyOptions<double> ce;
  const std::vector<std::int64_t> y(3, 0);
  CHECK_THROWS(lossx::ValueError,
               (lossx::cross_entropy<double, std::int64_t>({x.data(), {big, big}}, {y.data(), {big}}, ce, &loss)),
               "cross_entropy: 'input' must have at most");
  CHECK_THROWS(lossx::ValueError, lossx::numel({big, big}), "has no valid element count");
}
