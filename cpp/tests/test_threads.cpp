// Many callers at once: several std::threads call kernels while each kernel runs its own
// parallel region, and another thread changes the thread count. Every result must be
// bitwise the serial one (SPEC "Threads, determinism, errors"). This file is also what
// `scripts/extended-checks tsan` runs under ThreadSanitizer; LOSSX_TEST_THREADS sets the
// thread count the callers use (1: no OpenMP region at all, for GCC's uninstrumented libgomp).
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "check.hpp"
#include "lossx/lossx.hpp"

namespace {

int caller_threads() {
  const char* env = std::getenv("LOSSX_TEST_THREADS");
  const int n = env ? std::atoi(env) : 2;
  return n < 1 ? 1 : (n > lossx::max_num_threads() ? lossx::max_num_threads() : n);
}

struct ThreadScope {
  int before = lossx::get_num_threads();
  explicit ThreadScope(int n) { lossx::set_num_threads(n); }
  ~ThreadScope() { lossx::set_num_threads(before); }
};

// One deterministic batch and everything computed from it.
struct Work {
  static constexpr lossx::index_t N = 3000, C = 37;  // several fixed-size blocks per call
  std::vector<float> x, y;
  std::vector<std::int64_t> labels;
  Work() : x(static_cast<size_t>(N * C)), y(x.size()), labels(static_cast<size_t>(N)) {
    std::uint64_t s = 0x9E3779B97F4A7C15ull;
    auto next = [&s] {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      return static_cast<float>(static_cast<double>(s >> 11) / 9007199254740992.0 * 4.0 - 2.0);
    };
    for (float& v : x) v = next();
    for (float& v : y) v = next();
    for (lossx::index_t i = 0; i < N; ++i) labels[static_cast<size_t>(i)] = (i * 7 + 3) % C;
  }

  // Every output as bytes: reduced losses, 'none' losses and gradients of several kernels.
  std::vector<unsigned char> run() const {
    std::vector<float> out;
    const lossx::View<const float> xin{x.data(), {N, C}}, yin{y.data(), {N, C}};
    const lossx::View<const std::int64_t> lab{labels.data(), {N}};
    const float one = 1.0f;
    const lossx::View<const float> g{&one, {}};
    {
      lossx::MseLossOptions<float> opt;
      opt.reduction = lossx::Reduction::Sum;
      float loss = 0;
      std::vector<float> grad(x.size());
      lossx::mse_loss_with_grad<float>(xin, yin, opt, g, &loss, grad.data());
      out.push_back(loss);
      out.insert(out.end(), grad.begin(), grad.end());
    }
    {
      lossx::CrossEntropyOptions<float> opt;
      opt.reduction = lossx::Reduction::Mean;
      opt.label_smoothing = 0.1;
      float loss = 0;
      std::vector<float> grad(x.size());
      lossx::cross_entropy_with_grad<float, std::int64_t>(xin, lab, opt, g, &loss, grad.data());
      out.push_back(loss);
      out.insert(out.end(), grad.begin(), grad.end());
      opt.reduction = lossx::Reduction::None;
      std::vector<float> rows(static_cast<size_t>(N));
      lossx::cross_entropy<float, std::int64_t>(xin, lab, opt, rows.data());
      out.insert(out.end(), rows.begin(), rows.end());
    }
    {
      lossx::BinaryCrossEntropyWithLogitsOptions<float> opt;
      opt.reduction = lossx::Reduction::Mean;
      std::vector<float> p(y.size());
      for (size_t i = 0; i < p.size(); ++i) p[i] = y[i] > 0 ? 1.0f : 0.0f;
      float loss = 0;
      std::vector<float> grad(x.size());
      lossx::binary_cross_entropy_with_logits_with_grad<float>(xin, {p.data(), {N, C}}, opt, g, &loss, grad.data());
      out.push_back(loss);
      out.insert(out.end(), grad.begin(), grad.end());
    }
    std::vector<unsigned char> bytes(out.size() * sizeof(float));
    std::memcpy(bytes.data(), out.data(), bytes.size());
    return bytes;
  }
};

}  // namespace

LOSSX_TEST(threads_many_callers_match_serial_bitwise) {
  const Work w;
  std::vector<unsigned char> serial;
  {
    ThreadScope one(1);
    serial = w.run();
  }
  ThreadScope each(caller_threads());
  constexpr int callers = 4, rounds = 3;
  std::atomic<int> mismatches{0}, errors{0};
  std::vector<std::thread> team;
  for (int t = 0; t < callers; ++t)
    team.emplace_back([&] {
      try {
        for (int r = 0; r < rounds; ++r) mismatches += w.run() != serial;
      } catch (...) {
        ++errors;
      }
    });
  for (std::thread& t : team) t.join();
  CHECK(errors.load() == 0);
  CHECK(mismatches.load() == 0);
}

LOSSX_TEST(threads_count_changing_during_calls_keeps_results) {
  const Work w;
  std::vector<unsigned char> serial;
  {
    ThreadScope one(1);
    serial = w.run();
  }
  // Start at 1 thread, not at the default: every count the callers can see is then in
  // [1, most] (with LOSSX_TEST_THREADS=1, the GCC TSan run, no call may enter libgomp).
  ThreadScope restore(1);
  const int most = caller_threads();
  std::atomic<bool> stop{false};
  std::thread flipper([&] {
    for (int k = 0; !stop.load(); ++k) lossx::set_num_threads(1 + k % most);
  });
  std::atomic<int> mismatches{0}, errors{0};
  std::vector<std::thread> team;
  for (int t = 0; t < 3; ++t)
    team.emplace_back([&] {
      try {
        for (int r = 0; r < 3; ++r) mismatches += w.run() != serial;
      } catch (...) {
        ++errors;
      }
    });
  for (std::thread& t : team) t.join();
  stop = true;
  flipper.join();
  CHECK(errors.load() == 0);
  CHECK(mismatches.load() == 0);
}
