// ctc_loss through the C++ API: the workspace contract (a buffer sized for one thread
// count serves a call at any other, and a too-small one is refused instead of overrun).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "check.hpp"
#include "lossx/lossx.hpp"

namespace {

struct CtcBatch {
  lossx::index_t T = 40, N = 8, C = 6, S = 7;
  std::vector<double> lp;
  std::vector<std::int64_t> targets, il, tl;
  CtcBatch() {
    lp.resize(static_cast<size_t>(T * N * C));
    // normalised log-probabilities, deterministic
    for (lossx::index_t t = 0; t < T; ++t)
      for (lossx::index_t n = 0; n < N; ++n) {
        double z = 0.0;
        for (lossx::index_t c = 0; c < C; ++c) z += std::exp(std::sin(0.3 * t + 1.7 * n + 0.9 * c));
        for (lossx::index_t c = 0; c < C; ++c)
          lp[static_cast<size_t>((t * N + n) * C + c)] = std::sin(0.3 * t + 1.7 * n + 0.9 * c) - std::log(z);
      }
    for (lossx::index_t n = 0; n < N; ++n) {
      il.push_back(T - n);
      tl.push_back(1 + n % S);
      for (lossx::index_t s = 0; s < S; ++s) targets.push_back(1 + (n + 2 * s) % (C - 1));
    }
  }
  lossx::View<const double> log_probs() const { return {lp.data(), {T, N, C}}; }
  lossx::View<const std::int64_t> tg() const { return {targets.data(), {N, S}}; }
  lossx::View<const std::int64_t> ilv() const { return {il.data(), {N}}; }
  lossx::View<const std::int64_t> tlv() const { return {tl.data(), {N}}; }
};

struct ThreadScope {
  int before = lossx::get_num_threads();
  explicit ThreadScope(int n) { lossx::set_num_threads(n); }
  ~ThreadScope() { lossx::set_num_threads(before); }
};

}  // namespace

LOSSX_TEST(ctc_workspace_sized_for_one_thread_serves_many) {
  const CtcBatch b;
  lossx::CtcLossOptions opt;
  opt.reduction = lossx::Reduction::None;
  const std::size_t one = lossx::ctc_loss_workspace_size<double, std::int64_t, std::int64_t>(
      b.log_probs(), b.tg(), b.ilv(), b.tlv(), opt, true, 1);
  const std::size_t many = lossx::ctc_loss_workspace_size<double, std::int64_t, std::int64_t>(
      b.log_probs(), b.tg(), b.ilv(), b.tlv(), opt, true, 8);
  CHECK(one > 0);
  CHECK(many == 8 * one);

  // reference: internal workspace, one thread
  std::vector<double> ones(static_cast<size_t>(b.N), 1.0);
  const lossx::View<const double> g{ones.data(), {b.N}};
  std::vector<double> loss_ref(static_cast<size_t>(b.N)), grad_ref(b.lp.size());
  {
    ThreadScope one_thread(1);
    lossx::ctc_loss_with_grad<double, std::int64_t, std::int64_t>(b.log_probs(), b.tg(), b.ilv(), b.tlv(), opt, g,
                                                                 loss_ref.data(), grad_ref.data());
  }
  // a buffer for one thread, guarded on both sides, used at the most threads allowed
  constexpr std::size_t guard = 4096;
  std::vector<unsigned char> buf(one + 2 * guard + 64, 0xA5);
  unsigned char* ws = buf.data() + guard;
  ws += (64 - reinterpret_cast<std::uintptr_t>(ws) % 64) % 64;
  const std::size_t front = static_cast<std::size_t>(ws - buf.data());
  std::vector<double> loss(static_cast<size_t>(b.N)), grad(b.lp.size());
  {
    ThreadScope threads(lossx::max_num_threads());
    lossx::ctc_loss_with_grad<double, std::int64_t, std::int64_t>(b.log_probs(), b.tg(), b.ilv(), b.tlv(), opt, g,
                                                                 loss.data(), grad.data(), ws, one);
  }
  bool guards_intact = true;
  for (std::size_t i = 0; i < front; ++i) guards_intact &= buf[i] == 0xA5;
  for (std::size_t i = front + one; i < buf.size(); ++i) guards_intact &= buf[i] == 0xA5;
  CHECK(guards_intact);
  CHECK(std::memcmp(loss.data(), loss_ref.data(), loss.size() * sizeof(double)) == 0);
  CHECK(std::memcmp(grad.data(), grad_ref.data(), grad.size() * sizeof(double)) == 0);
}

LOSSX_TEST(ctc_workspace_too_small_is_a_value_error) {
  const CtcBatch b;
  lossx::CtcLossOptions opt;
  std::vector<double> small(2);
  double loss = 0.0;
  CHECK_THROWS(lossx::ValueError,
               (lossx::ctc_loss_with_grad<double, std::int64_t, std::int64_t>(
                   b.log_probs(), b.tg(), b.ilv(), b.tlv(), opt, {}, &loss, nullptr, small.data(),
                   small.size() * sizeof(double))),
               "'workspace_bytes' must be at least");
  CHECK_THROWS(lossx::ValueError,
               (lossx::ctc_loss_workspace_size<double, std::int64_t, std::int64_t>(b.log_probs(), b.tg(), b.ilv(),
                                                                                   b.tlv(), opt, false, 0)),
               "'threads' must be >= 1");
}

LOSSX_TEST(ctc_strided_views_are_refused) {
  const CtcBatch b;
  lossx::CtcLossOptions opt;
  double loss = 0.0;
  lossx::View<const double> lp = b.log_probs();
  lp.strides = {b.N * b.C, 1, b.N};  // not the row-major strides of (T, N, C)
  CHECK_THROWS(lossx::ValueError,
               (lossx::ctc_loss<double, std::int64_t, std::int64_t>(lp, b.tg(), b.ilv(), b.tlv(), opt, &loss)),
               "'log_probs' must be a contiguous (row-major) array");
}
