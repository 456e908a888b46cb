// One lossx build behind a plain C entry point, for ab_dlopen.cpp (two builds in one process).
//   g++ -O2 -std=c++17 -shared -fPIC -I<tree>/cpp/include ab_wrap.cpp <tree>/build/dev/cpp/liblossx.a \
//       -fopenmp -Wl,--exclude-libs,ALL -o libw_new.so      (and libw_old.so from the old tree)
#include <lossx/lossx.hpp>
extern "C" __attribute__((visibility("default"))) void run(int mode, const float* x, const float* g2, float* o, float* g, long N, long C, int th) {
  lossx::set_num_threads(th);
  static float one = 1.0f;
  auto xv = lossx::cview<float>(x, {N, C});
  switch (mode) {
    case 0: lossx::log_softmax<float>(xv, 1, o); break;
    case 1: lossx::log_softmax_run<float>(xv, 1, lossx::Request<float>::value(lossx::cview<float>(&one, {}), o, g)); break;
    case 2: lossx::softmax<float>(xv, 1, o); break;
    case 3: lossx::log_softmax_backward<float>(lossx::cview<float>(g2, {N, C}), xv, 1, o); break;
    case 4: lossx::softmax_run<float>(xv, 1, lossx::Request<float>::value(lossx::cview<float>(&one, {}), o, g)); break;
    case 5: lossx::softmax_backward<float>(lossx::cview<float>(g2, {N, C}), xv, 1, o); break;
  }
}
