// A C++ training-step sketch with lossx: cross-entropy of a small batch of
// logits, its gradient from the same fused kernel, and an error caught as
// lossx::ValueError. Prints values a test compares with known numbers.
#include <cstdint>
#include <cstdio>
#include <vector>

#include "lossx/lossx.hpp"

int main() {
  // Two rows of three logits, class-index targets 2 and 0.
  const std::vector<double> logits = {1.0, 2.0, 3.0, 1.0, 2.0, 3.0};
  const std::vector<std::int64_t> target = {2, 0};
  const lossx::View<const double> x{logits.data(), {2, 3}};
  const lossx::View<const std::int64_t> y{target.data(), {2}};

  lossx::CrossEntropyOptions<double> opt;  // weight none, ignore_index -100, 'mean', no smoothing
  double loss = 0.0;
  std::vector<double> grad(logits.size());
  const double one = 1.0;
  const lossx::View<const double> grad_output{&one, {}};
  lossx::cross_entropy_with_grad<double, std::int64_t>(x, y, opt, grad_output, &loss, grad.data());
  std::printf("loss %.12f\n", loss);
  std::printf("grad");
  for (double g : grad) std::printf(" %.12f", g);
  std::printf("\n");

  // The same validation as from Python: a class index out of range.
  const std::vector<std::int64_t> bad = {2, 3};
  try {
    lossx::cross_entropy<double, std::int64_t>(x, lossx::View<const std::int64_t>{bad.data(), {2}}, opt, &loss);
    std::printf("no error\n");
    return 1;
  } catch (const lossx::ValueError& e) {
    std::printf("error %s\n", e.what());
  }
  std::printf("threads %d\n", lossx::get_num_threads());
  return 0;
}
