// A/B of two lossx builds in one process (dlopen, RTLD_LOCAL) on the elementwise gradient pass:
// mse / l1 / smooth_l1 / bce_with_logits over 16M float32 (FIRST=k: start at mode k), forward+backward ('mean': loss total + gradient) and
// backward with a per-element grad_output ('none'), in blocks of 8 calls per build (first 2
// dropped), builds alternating which goes first. Each build has its own output buffer.
//   g++ -O2 -std=c++17 -shared -fPIC -I<tree>/cpp/include -DEW ab_elementwise.cpp <tree>/build/dev/cpp/liblossx.a \
//       -fopenmp -Wl,--exclude-libs,ALL -o libe_new.so        (libe_old.so from the old tree)
//   g++ -O2 ab_elementwise.cpp -o abe -ldl && taskset -c 1 ./abe 12 1       (pairs, threads)
#ifdef EW
#include <lossx/lossx.hpp>
extern "C" __attribute__((visibility("default"))) void run(int mode, const float* x, const float* y, const float* g,
                                                           float* grad, long n, int th) {
  lossx::set_num_threads(th);
  static float one = 1.0f, total = 0.0f;
  auto xv = lossx::cview<float>(x, {n}), yv = lossx::cview<float>(y, {n});
  const bool none = mode % 2 == 1;
  auto req = none ? lossx::Request<float>::value(lossx::cview<float>(g, {n}), nullptr, grad)
                  : lossx::Request<float>::value(lossx::cview<float>(&one, {}), &total, grad);
  const auto red = none ? lossx::Reduction::None : lossx::Reduction::Mean;
  switch (mode / 2) {
    case 0: { lossx::MseLossOptions<float> o; o.reduction = red; lossx::mse_loss_run<float>(xv, yv, o, req); break; }
    case 1: { lossx::L1LossOptions<float> o; o.reduction = red; lossx::l1_loss_run<float>(xv, yv, o, req); break; }
    case 2: { lossx::SmoothL1LossOptions<float> o; o.reduction = red; lossx::smooth_l1_loss_run<float>(xv, yv, o, req); break; }
    case 3: {  // y is used as given: bce_with_logits takes any real target
      lossx::BinaryCrossEntropyWithLogitsOptions<float> o; o.reduction = red;
      lossx::binary_cross_entropy_with_logits_run<float>(xv, yv, o, req); break; }
  }
}
#else
#include <dlfcn.h>
#include <sys/mman.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>
typedef void (*Fn)(int, const float*, const float*, const float*, float*, long, int);
int main(int argc, char** argv) {
  const long n = 1L << 24;
  const int pairs = atoi(argv[1]), th = atoi(argv[2]);
  Fn f[2];
  const char* lib[2] = {getenv("LA") ? getenv("LA") : "./libe_new.so", getenv("LB") ? getenv("LB") : "./libe_old.so"};
  for (int k = 0; k < 2; ++k) {
    void* h = dlopen(lib[k], RTLD_NOW | RTLD_LOCAL);
    if (!h) { printf("%s\n", dlerror()); return 1; }
    f[k] = (Fn)dlsym(h, "run");
  }
  auto alloc = [&](long k) { void* p = aligned_alloc(2 << 20, k * 4); madvise(p, k * 4, MADV_HUGEPAGE); return (float*)p; };
  float *x = alloc(n), *y = alloc(n), *g = alloc(n), *G[2] = {alloc(n), alloc(n)};
  std::mt19937 rng(0); std::normal_distribution<float> d(0, 1);
  for (long i = 0; i < n; ++i) { x[i] = d(rng); y[i] = d(rng); g[i] = d(rng); G[0][i] = G[1][i] = 0; }
  const char* names[8] = {"mse fwd+bwd", "mse bwd(g) none", "l1 fwd+bwd", "l1 bwd(g) none", "smooth_l1 fwd+bwd", "smooth_l1 bwd(g) none", "bce_logits fwd+bwd", "bce_logits bwd(g) none"};
  const int first = getenv("FIRST") ? atoi(getenv("FIRST")) : 0;
  for (int mode = first; mode < 8; ++mode) {
    std::vector<double> t[2], ratio;
    for (int k = 0; k < 2; ++k) f[k](mode, x, y, g, G[k], n, th);
    for (int p = 0; p < pairs; ++p) {
      double med[2];
      for (int kk = 0; kk < 2; ++kk) {
        const int k = (p & 1) ? 1 - kk : kk;
        std::vector<double> bt;
        for (int q = 0; q < 8; ++q) {
          auto a = std::chrono::steady_clock::now();
          f[k](mode, x, y, g, G[k], n, th);
          const double v = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count();
          if (q >= 2) { bt.push_back(v); t[k].push_back(v); }
        }
        std::sort(bt.begin(), bt.end());
        med[k] = bt[bt.size() / 2];
      }
      ratio.push_back(med[0] / med[1]);
    }
    for (auto& v : t) std::sort(v.begin(), v.end());
    std::sort(ratio.begin(), ratio.end());
    printf("%-22s A min %6.3f med %6.3f | B min %6.3f med %6.3f | A/B min %.3f, median of block ratios %.3f\n", names[mode],
           t[0][0], t[0][t[0].size() / 2], t[1][0], t[1][t[1].size() / 2], t[0][0] / t[1][0], ratio[ratio.size() / 2]);
  }
}
#endif
