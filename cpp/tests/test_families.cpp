// One value check per family against numbers the Python tests also check (named beside each),
// and the error paths: lossx::ValueError with the message template
// "<loss>: '<argument>' must <expected>; got <actual>".
// Only the stable public names are used (NAME, NAME_backward, NAME_with_grad, lossx/lossx.hpp);
// options types are taken from the wrappers' signatures and set field by field, so that the
// renaming of the options structs does not touch these tests.
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <type_traits>
#include <vector>

#include "check.hpp"
#include "lossx/lossx.hpp"

namespace {

// The options type of a loss: the parameter before the last of its wrapper NAME(..., opt, T* loss).
template <class F>
struct options_of;
template <class R, class... A>
struct options_of<R (*)(A...)> {
  using type = std::decay_t<std::tuple_element_t<sizeof...(A) - 2, std::tuple<A...>>>;
};
template <auto F>
using Options = typename options_of<decltype(F)>::type;

template <class T>
lossx::View<const T> view(const std::vector<T>& v, lossx::Shape shape) {
  return lossx::View<const T>{v.data(), std::move(shape)};
}

}  // namespace

// ---------------------------------------------------------------- classification
// tests/test_classification.py: cross_entropy([[1, 2, 3]], [2]) == 0.4076 and log_softmax values.
LOSSX_TEST(classification_cross_entropy_value_and_gradient) {
  const std::vector<double> x{1.0, 2.0, 3.0};
  const std::vector<std::int64_t> y{2};
  Options<&lossx::cross_entropy<double, std::int64_t>> opt;
  opt.reduction = lossx::Reduction::Mean;
  double loss = 0.0;
  lossx::cross_entropy<double, std::int64_t>(view(x, {1, 3}), view(y, {1}), opt, &loss);
  CHECK_NEAR(loss, 0.4076059644443806, 1e-15);
  std::vector<double> grad(3);
  const double one = 1.0;
  lossx::cross_entropy_backward<double, std::int64_t>({&one, {}}, view(x, {1, 3}), view(y, {1}), opt, grad.data());
  // softmax - onehot
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  CHECK_NEAR(grad[0], std::exp(1.0) / z, 1e-15);
  CHECK_NEAR(grad[1], std::exp(2.0) / z, 1e-15);
  CHECK_NEAR(grad[2], std::exp(3.0) / z - 1.0, 1e-15);
  // int32 targets: the same bits
  const std::vector<std::int32_t> y32{2};
  double loss32 = 0.0;
  lossx::cross_entropy<double, std::int32_t>(view(x, {1, 3}), view(y32, {1}), opt, &loss32);
  CHECK(loss32 == loss);
  // log_softmax([[1, 2, 3]], 1) == [[-2.40760596, -1.40760596, -0.40760596]]
  std::vector<double> ls(3);
  lossx::log_softmax<double>(view(x, {1, 3}), 1, ls.data());
  CHECK_NEAR(ls[0], -2.40760596, 1e-8);
  CHECK_NEAR(ls[2], -0.40760596, 1e-8);
}

LOSSX_TEST(classification_errors_name_the_argument) {
  const std::vector<double> x(40, 0.0);
  const std::vector<std::int64_t> y5(5, 0), bad{0, 3};
  Options<&lossx::cross_entropy<double, std::int64_t>> opt;
  double loss = 0.0;
  CHECK_THROWS(lossx::ValueError,
               (lossx::cross_entropy<double, std::int64_t>(view(x, {4, 10}), view(y5, {5}), opt, &loss)),
               "cross_entropy: 'target' must have shape (4,) to match 'input' (4, 10); got (5,)");
  CHECK_THROWS(lossx::ValueError,
               (lossx::cross_entropy<double, std::int64_t>(view(x, {2, 3}), view(bad, {2}), opt, &loss)),
               "cross_entropy: 'target' must hold class indices in [0, 3)");
  opt.label_smoothing = 1.5;
  const std::vector<std::int64_t> ok{0, 1};
  CHECK_THROWS(lossx::ValueError,
               (lossx::cross_entropy<double, std::int64_t>(view(x, {2, 3}), view(ok, {2}), opt, &loss)),
               "cross_entropy: 'label_smoothing' must lie in [0, 1]; got 1.5");
  CHECK_THROWS(lossx::ValueError, lossx::parse_reduction("avg", "cross_entropy"), "'reduction'");
}

// ---------------------------------------------------------------- regression
// tests/test_regression.py::test_tutorial_values and the weighted means.
LOSSX_TEST(regression_values) {
  const std::vector<float> p{1, 2, 3, 4}, t{1.5f, 2.5f, 3.5f, 4.5f};
  Options<&lossx::mse_loss<float>> mopt;
  Options<&lossx::l1_loss<float>> lopt;
  float loss = 0;
  lossx::mse_loss<float>(view(p, {4}), view(t, {4}), mopt, &loss);
  CHECK(loss == 0.25f);
  lossx::l1_loss<float>(view(p, {4}), view(t, {4}), lopt, &loss);
  CHECK(loss == 0.5f);
  // Σ w·l / Σ w: l1 1.75, mse 3.25; gradients [0.25, 0.75] and [0.5, 3.0]
  const std::vector<double> x{1.0, 2.0}, y{0.0, 0.0}, w{1.0, 3.0};
  Options<&lossx::l1_loss<double>> l1;
  Options<&lossx::mse_loss<double>> mse;
  l1.weight = view(w, {2});
  mse.weight = view(w, {2});
  double d = 0, g[2] = {0, 0};
  const double one = 1.0;
  lossx::l1_loss_with_grad<double>(view(x, {2}), view(y, {2}), l1, {&one, {}}, &d, g);
  CHECK(d == 1.75);
  CHECK_NEAR(g[0], 0.25, 1e-15);
  CHECK_NEAR(g[1], 0.75, 1e-15);
  lossx::mse_loss_with_grad<double>(view(x, {2}), view(y, {2}), mse, {&one, {}}, &d, g);
  CHECK(d == 3.25);
  CHECK_NEAR(g[0], 0.5, 1e-15);
  CHECK_NEAR(g[1], 3.0, 1e-15);
}

LOSSX_TEST(regression_errors_name_the_argument) {
  const std::vector<double> x(3, 0.0), y(4, 0.0);
  Options<&lossx::mse_loss<double>> opt;
  double loss = 0;
  CHECK_THROWS(lossx::ValueError, lossx::mse_loss<double>(view(x, {3}), view(y, {4}), opt, &loss),
               "mse_loss: 'target' must have shape (3,) to match 'input' (3,); got (4,)");
  std::vector<double> grad(3);
  const std::vector<double> go(2, 1.0);
  opt.reduction = lossx::Reduction::None;
  CHECK_THROWS(lossx::ValueError,
               lossx::mse_loss_backward<double>(view(go, {2}), view(x, {3}), view(x, {3}), opt, grad.data()),
               "'grad_output'");
  Options<&lossx::huber_loss<double>> h;
  h.delta = -1.0;
  CHECK_THROWS(lossx::ValueError, lossx::huber_loss<double>(view(x, {3}), view(x, {3}), h, &loss), "'delta'");
}

// Found by the size review (docs/RELIABILITY.md), fixed: lossx::numel multiplied the dimensions
// with no overflow check (signed overflow, undefined behaviour) and no shape check rejected a
// negative dimension or a product past INT64_MAX (now Check::dims, in every kernel's first check). (2^40, 2^40) wraps to 0 elements and
// l1_loss returns 0 for it; (2^32 + 1, 2^32 + 1) wraps to 2^33 + 1 and l1_loss reads 2^33 + 1
// elements from a 3-element buffer (SEGV; not called here); (-1, -1) counts as 1 element.
// Only the non-crashing shapes are called here.
LOSSX_TEST(shapes_that_overflow_int64_are_value_errors) {
  const std::vector<double> x(3, 0.5), y(3, 0.0);
  Options<&lossx::l1_loss<double>> opt;
  opt.reduction = lossx::Reduction::Sum;
  double loss = 0;
  const lossx::index_t big = lossx::index_t(1) << 40;
  CHECK_THROWS(lossx::ValueError, lossx::l1_loss<double>({x.data(), {big, big}}, {y.data(), {big, big}}, opt, &loss),
               "'input'");
  CHECK_THROWS(lossx::ValueError, lossx::l1_loss<double>({x.data(), {-1, -1}}, {y.data(), {-1, -1}}, opt, &loss),
               "'input'");
  // An empty shape whose other dimensions overflow when multiplied (NumPy refuses to make one):
  // found by UBSan at -O0 in the row layout of cross_entropy with probability targets
  // (fuzz corpus classification/cbc5f20f...).
  const lossx::index_t huge = std::numeric_limits<lossx::index_t>::max();
  const lossx::Shape empty_huge{1, 0, 4, huge};
  CHECK_THROWS(lossx::ValueError,
               lossx::cross_entropy_probs_shape<double>({x.data(), empty_huge}, {y.data(), empty_huge}, {}),
               "'input'");
}

// ---------------------------------------------------------------- margin
// tests/test_margin.py::test_multilabel_margin_doc_example: 0.85, gradient [-0.5, 0.5, 0.5, -0.5].
LOSSX_TEST(margin_multilabel_margin_doc_example) {
  const std::vector<double> x{0.1, 0.2, 0.4, 0.8};
  const std::vector<std::int64_t> y{3, 0, -1, 1};
  Options<&lossx::multilabel_margin_loss<double, std::int64_t>> opt;
  double loss = 0, grad[4] = {0, 0, 0, 0};
  const double one = 1.0;
  lossx::multilabel_margin_loss_with_grad<double, std::int64_t>(view(x, {1, 4}), view(y, {1, 4}), opt, {&one, {}},
                                                                &loss, grad);
  CHECK_NEAR(loss, 0.85, 1e-15);
  CHECK_NEAR(grad[0], -0.5, 1e-15);
  CHECK_NEAR(grad[1], 0.5, 1e-15);
  CHECK_NEAR(grad[2], 0.5, 1e-15);
  CHECK_NEAR(grad[3], -0.5, 1e-15);
  const std::vector<std::int64_t> bad{3, 4, -1, 1};
  CHECK_THROWS(lossx::ValueError,
               (lossx::multilabel_margin_loss<double, std::int64_t>(view(x, {1, 4}), view(bad, {1, 4}), opt, &loss)),
               "multilabel_margin_loss: 'target' must");
  // the margin losses' wrappers: hinge_embedding (tests/test_margin.py: 0.3 vs -1, margin 0.5 -> 0.2)
  const std::vector<double> h{0.3}, hy{-1.0};
  Options<&lossx::hinge_embedding_loss<double>> hopt;
  hopt.margin = 0.5;
  lossx::hinge_embedding_loss<double>(view(h, {1}), view(hy, {1}), hopt, &loss);
  CHECK_NEAR(loss, 0.2, 1e-15);
}

// ---------------------------------------------------------------- embedding
// The triplet of tests/test_embedding.py's style, by hand: a = (0, 0), p = (3, 4), n = (1, 0),
// p = 2, eps = 1e-6, margin 1: ||a - p + eps|| - ||a - n + eps|| + 1 = 4.9999996 (lossx's Python
// API gives 4.999999599999504 for the same call).
LOSSX_TEST(embedding_triplet_value_and_errors) {
  const std::vector<double> a{0, 0}, p{3, 4}, n{1, 0};
  Options<&lossx::triplet_margin_loss<double>> opt;
  double loss = 0;
  lossx::triplet_margin_loss<double>(view(a, {1, 2}), view(p, {1, 2}), view(n, {1, 2}), opt, &loss);
  const double dap = std::hypot(-3 + 1e-6, -4 + 1e-6), dan = std::hypot(-1 + 1e-6, 1e-6);
  CHECK_NEAR(loss, dap - dan + 1.0, 1e-14);
  CHECK_NEAR(loss, 4.999999599999504, 1e-14);
  opt.p = 0.0;
  CHECK_THROWS(lossx::ValueError,
               lossx::triplet_margin_loss<double>(view(a, {1, 2}), view(p, {1, 2}), view(n, {1, 2}), opt, &loss),
               "triplet_margin_loss: 'p' must");
  opt.p = 2.0;
  const std::vector<double> p3{3, 4, 5};
  CHECK_THROWS(lossx::ValueError,
               lossx::triplet_margin_loss<double>(view(a, {1, 2}), view(p3, {1, 3}), view(n, {1, 2}), opt, &loss),
               "'positive'");
}

// ---------------------------------------------------------------- sequence
// T = 2 frames of log(0.5) over C = 2 classes, target [1]: three alignments (1 1, 0 1, 1 0) of
// probability 1/4 each, so the loss is -log(3/4) = 0.2876820724517809 (lossx's Python API agrees).
LOSSX_TEST(sequence_ctc_small_case_and_errors) {
  const std::vector<double> lp(4, std::log(0.5));
  const std::vector<std::int64_t> tg{1}, il{2}, tl{1};
  Options<&lossx::ctc_loss<double, std::int64_t, std::int64_t>> opt;
  opt.reduction = lossx::Reduction::Sum;
  double loss = 0;
  lossx::ctc_loss<double, std::int64_t, std::int64_t>(view(lp, {2, 1, 2}), view(tg, {1, 1}), view(il, {1}),
                                                      view(tl, {1}), opt, &loss);
  CHECK_NEAR(loss, -std::log(0.75), 1e-15);
  CHECK_NEAR(loss, 0.2876820724517809, 1e-15);
  const std::vector<std::int64_t> blank{0}, too_long{3};
  CHECK_THROWS(lossx::ValueError,
               (lossx::ctc_loss<double, std::int64_t, std::int64_t>(view(lp, {2, 1, 2}), view(blank, {1, 1}),
                                                                    view(il, {1}), view(tl, {1}), opt, &loss)),
               "ctc_loss: 'targets' must hold labels in [0, 2) other than blank=0");
  CHECK_THROWS(lossx::ValueError,
               (lossx::ctc_loss<double, std::int64_t, std::int64_t>(view(lp, {2, 1, 2}), view(tg, {1, 1}),
                                                                    view(too_long, {1}), view(tl, {1}), opt, &loss)),
               "ctc_loss: 'input_lengths' must lie in [0, T] = [0, 2]");
}

// ---------------------------------------------------------------- threads
LOSSX_TEST(threads_bound_is_a_value_error) {
  const int before = lossx::get_num_threads();
  CHECK(lossx::max_num_threads() >= 1);
  CHECK_THROWS(lossx::ValueError, lossx::set_num_threads(0), "set_num_threads: 'n' must");
  CHECK_THROWS(lossx::ValueError, lossx::set_num_threads(lossx::max_num_threads() + 1), "set_num_threads: 'n' must");
  CHECK(lossx::get_num_threads() == before);
}

// Found by the fuzzers (docs/RELIABILITY.md, D2): no loss checked View::strides, so a strided View
// given to a loss that does not read strides was read as if contiguous (fuzz_classification:
// cross_entropy_probs_with_grad on a strided (4, 32768, 2, 5) input read past its buffer, SEGV in
// ce_prob_lanes). Fixed on main (40d37f2, Check::contiguous); this pins it across the families.
LOSSX_TEST(strided_views_are_value_errors_where_not_read) {
  std::vector<double> buf(64, 0.25), lab(64, 1.0);
  const std::vector<std::int64_t> y(8, 1);
  const lossx::View<const double> xs{buf.data(), {2, 3}, {1, 2}};  // transposed: not contiguous
  const lossx::View<const double> c{lab.data(), {2, 3}};
  const lossx::View<const std::int64_t> t{y.data(), {2}};
  double loss[8];
  Options<&lossx::cross_entropy<double, std::int64_t>> ce;
  CHECK_THROWS(lossx::ValueError, (lossx::cross_entropy<double, std::int64_t>(xs, t, ce, loss)), "'input'");
  CHECK_THROWS(lossx::ValueError, lossx::cross_entropy_probs_with_grad<double>(xs, c, ce, {}, loss, nullptr), "'input'");
  Options<&lossx::nll_loss<double, std::int64_t>> nll;
  CHECK_THROWS(lossx::ValueError, (lossx::nll_loss<double, std::int64_t>(xs, t, nll, loss)), "'input'");
  Options<&lossx::multi_margin_loss<double, std::int64_t>> mm;
  CHECK_THROWS(lossx::ValueError, (lossx::multi_margin_loss<double, std::int64_t>(xs, t, mm, loss)), "'input'");
  Options<&lossx::triplet_margin_loss<double>> tm;
  CHECK_THROWS(lossx::ValueError, lossx::triplet_margin_loss<double>(xs, c, c, tm, loss), "'anchor'");
  Options<&lossx::mse_loss<double>> mse;
  mse.weight = xs;
  CHECK_THROWS(lossx::ValueError, lossx::mse_loss<double>(c, c, mse, loss), "'weight'");
  std::vector<double> out(6);
  CHECK_THROWS(lossx::ValueError, lossx::log_softmax<double>(xs, 1, out.data()), "'input'");
}

// Found by the fuzzers (docs/RELIABILITY.md), fixed (the Reducer checks the value), low severity
// (C++ API only: Python parses strings): a Reduction value outside the enum
// (static_cast<lossx::Reduction>(7)) was not rejected; the kernels treated it as Reduction::Sum.
// BatchMean on a loss without it is rejected as it should be.
LOSSX_TEST(reduction_outside_the_enum_is_a_value_error) {
  const std::vector<double> x{1, 2, 3, 1, 2, 3}, y(6, 0.5);
  const std::vector<std::int64_t> t{2, 0};
  double loss[2] = {0, 0};
  Options<&lossx::cross_entropy<double, std::int64_t>> ce;
  ce.reduction = static_cast<lossx::Reduction>(7);
  CHECK_THROWS(lossx::ValueError, (lossx::cross_entropy<double, std::int64_t>(view(x, {2, 3}), view(t, {2}), ce, loss)),
               "'reduction'");
  Options<&lossx::mse_loss<double>> mse;
  mse.reduction = static_cast<lossx::Reduction>(7);
  CHECK_THROWS(lossx::ValueError, lossx::mse_loss<double>(view(x, {6}), view(y, {6}), mse, loss), "'reduction'");
}
