// A/B of two lossx builds in one process (dlopen, RTLD_LOCAL): the six softmax / log_softmax
// calls on (8192, 1000) float32, in blocks of 8 calls per build (the first 2 of a block dropped),
// builds alternating which goes first; prints min / median per build and the median of the
// per-block ratios. Both builds write the same output buffers (SEP=1: one set each);
// XOFF=k: x and grad_output start k floats past a 2 MiB boundary. LA / LB: the two libraries.
//   g++ -O2 ab_dlopen.cpp -o ab -ldl && taskset -c 1 ./ab 16 1      (pairs, threads)
#include <dlfcn.h>
#include <sys/mman.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>
typedef void (*Fn)(int, const float*, const float*, float*, float*, long, long, int);
int main(int argc, char** argv) {
  long N = 8192, C = 1000;
  int pairs = atoi(argv[1]), th = atoi(argv[2]);
  if (argc > 4) { N = atol(argv[3]); C = atol(argv[4]); }
  long n = N * C;
  Fn f[2];
  const char* lib[2] = {getenv("LA") ? getenv("LA") : "./libw_new.so", getenv("LB") ? getenv("LB") : "./libw_old.so"};
  for (int k = 0; k < 2; ++k) { void* h = dlopen(lib[k], RTLD_NOW | RTLD_LOCAL); if (!h) { printf("%s\n", dlerror()); return 1; } f[k] = (Fn)dlsym(h, "run"); }
  auto alloc = [&](long k) { size_t b = ((k * 4 + (2 << 20) - 1) / (2 << 20)) * (2 << 20); void* p = aligned_alloc(2 << 20, b); madvise(p, b, MADV_HUGEPAGE); return (float*)p; };
  float *x = alloc(n + 64) + (getenv("XOFF") ? atoi(getenv("XOFF")) : 0), *g2 = alloc(n + 64) + (getenv("XOFF") ? atoi(getenv("XOFF")) : 0), *o = alloc(n), *g = alloc(n); float* O[2] = {o, alloc(n)}; float* G[2] = {g, alloc(n)}; bool sep = getenv("SEP") != nullptr; for (long i = 0; i < n; ++i) { O[1][i] = 0; G[1][i] = 0; }
  std::mt19937 rng(0); std::normal_distribution<float> d(0, 3);
  for (long i = 0; i < n; ++i) { x[i] = d(rng); g2[i] = d(rng); o[i] = 0; g[i] = 0; }
  const char* names[6] = {"log_softmax fwd", "log_softmax with_grad", "softmax fwd", "log_softmax bwd(g,x)", "softmax with_grad", "softmax bwd(g,x)"};
  for (int mode = 0; mode < 6; ++mode) {
    std::vector<double> t[2], ratio;
    for (int k = 0; k < 2; ++k) f[k](mode, x, g2, o, g, N, C, th);
    const int B = 8;  // calls per block; the first 2 of a block (after a switch) are dropped
    for (int p = 0; p < pairs; ++p) {
      double med[2];
      for (int kk = 0; kk < 2; ++kk) {
        int k = (p & 1) ? 1 - kk : kk;
        std::vector<double> bt;
        for (int q = 0; q < B; ++q) {
          auto a = std::chrono::steady_clock::now();
          f[k](mode, x, g2, sep ? O[k] : o, sep ? G[k] : g, N, C, th);
          double v = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count();
          if (q >= 2) { bt.push_back(v); t[k].push_back(v); }
        }
        std::sort(bt.begin(), bt.end());
        med[k] = bt[bt.size() / 2];
      }
      ratio.push_back(med[0] / med[1]);
    }
    for (auto& v : t) std::sort(v.begin(), v.end());
    std::sort(ratio.begin(), ratio.end());
    printf("%-24s new min %.3f med %.3f | old min %.3f med %.3f | new/old: median of pair ratios %.3f (q25 %.3f q75 %.3f)\n", names[mode], t[0][0], t[0][t[0].size() / 2], t[1][0], t[1][t[1].size() / 2], ratio[pairs / 2], ratio[pairs / 4], ratio[3 * pairs / 4]);
  }
}
