// libFuzzer target: the regression losses (l1, mse, smooth_l1, huber, poisson_nll, gaussian_nll)
// through the C++ API, with hostile shapes, strides, options and values (fuzz_common.hpp).
#include "fuzz_common.hpp"

using namespace lossx_fuzz;

namespace {

// An optional weight of the input's shape (sometimes of another shape: invalid).
template <class T>
struct MaybeWeight {
  template <class Opt>
  bool operator()(Reader& r, Opt& opt, const Shape& shape, std::vector<T>& buf) const {
    if (!r.flag()) return false;
    const bool wrong = r.byte() % 8 == 0;
    Shape ws = wrong ? Shape{static_cast<index_t>(r.byte() % 5)} : shape;
    const index_t n = checked_numel(ws);
    if (n < 0 || n > kMaxElements) return false;  // the input is huge: the call is skipped (or fails elsewhere)
    buf.resize(static_cast<std::size_t>(n > 0 ? n : 1));
    for (T& v : buf) v = any_float<T>(r);
    opt.weight = lossx::View<const T>{buf.data(), ws};
    return wrong && ws != shape;
  }
};

struct NoWeight {
  template <class Opt, class T>
  bool operator()(Reader&, Opt&, const Shape&, std::vector<T>&) const { return false; }
};

template <class T>
void one(Reader& r) {
  auto fx = [](Reader& rr) { return any_float<T>(rr); };
  switch (r.pick(6)) {
    case 0:
      pair_loss<T, Options<&lossx::l1_loss<T>>>(r, "l1_loss", true, false, fx, fx, MaybeWeight<T>{},
          [](auto x, auto y, auto& o) { return lossx::l1_loss_shape<T>(x, y, o); },
          [](auto x, auto y, auto& o, auto go, T* l, T* g) { lossx::l1_loss_with_grad<T>(x, y, o, go, l, g); });
      break;
    case 1:
      pair_loss<T, Options<&lossx::mse_loss<T>>>(r, "mse_loss", true, false, fx, fx, MaybeWeight<T>{},
          [](auto x, auto y, auto& o) { return lossx::mse_loss_shape<T>(x, y, o); },
          [](auto x, auto y, auto& o, auto go, T* l, T* g) { lossx::mse_loss_with_grad<T>(x, y, o, go, l, g); });
      break;
    case 2:
      pair_loss<T, Options<&lossx::smooth_l1_loss<T>>>(r, "smooth_l1_loss", true, false, fx, fx,
          [](Reader& rr, auto& o, const Shape&, std::vector<T>&) {
            o.beta = static_cast<double>(any_float<T>(rr));
            return !(o.beta >= 0);  // (inf is allowed, as in PyTorch)
          },
          [](auto x, auto y, auto& o) { return lossx::smooth_l1_loss_shape<T>(x, y, o); },
          [](auto x, auto y, auto& o, auto go, T* l, T* g) { lossx::smooth_l1_loss_with_grad<T>(x, y, o, go, l, g); });
      break;
    case 3:
      pair_loss<T, Options<&lossx::huber_loss<T>>>(r, "huber_loss", true, false, fx, fx,
          [](Reader& rr, auto& o, const Shape& s, std::vector<T>& b) {
            o.delta = static_cast<double>(any_float<T>(rr));
            const bool w = MaybeWeight<T>{}(rr, o, s, b);
            return w || !(o.delta > 0);  // (inf is allowed, as in PyTorch)
          },
          [](auto x, auto y, auto& o) { return lossx::huber_loss_shape<T>(x, y, o); },
          [](auto x, auto y, auto& o, auto go, T* l, T* g) { lossx::huber_loss_with_grad<T>(x, y, o, go, l, g); });
      break;
    case 4:
      pair_loss<T, Options<&lossx::poisson_nll_loss<T>>>(r, "poisson_nll_loss", true, false, fx, fx,
          [](Reader& rr, auto& o, const Shape&, std::vector<T>&) {
            o.log_input = rr.flag();
            o.full = rr.flag();
            o.eps = rr.flag() ? static_cast<double>(any_float<T>(rr)) : 1e-8;
            return false;  // PyTorch accepts any eps
          },
          [](auto x, auto y, auto& o) { return lossx::poisson_nll_loss_shape<T>(x, y, o); },
          [](auto x, auto y, auto& o, auto go, T* l, T* g) { lossx::poisson_nll_loss_with_grad<T>(x, y, o, go, l, g); });
      break;
    default: {
      // gaussian_nll_loss(input, target, var): var of the input's shape, or with fewer/size-1 dims.
      Shape shape = any_shape(r, 3);
      Shape vshape = shape;
      if (r.flag() && !vshape.empty()) vshape.back() = 1;
      if (r.byte() % 8 == 0) vshape = any_shape(r, 3);
      auto pos = [](Reader& rr) { return rr.flag() ? std::fabs(any_float<T>(rr)) : any_float<T>(rr); };
      Array<T> x = make_array<T>(r, shape, false, fx);
      Array<T> y = make_array<T>(r, shape, false, fx);
      Array<T> v = make_array<T>(r, vshape, false, pos);
      Options<&lossx::gaussian_nll_loss<T>> opt;
      bool bad = false;
      opt.reduction = any_reduction(r, bad);
      opt.full = r.flag();
      opt.eps = r.flag() ? static_cast<double>(any_float<T>(r)) : 1e-6;
      const index_t nx = checked_numel(shape), nv = checked_numel(vshape);
      drive<T>(r, "gaussian_nll_loss", {nx, nv}, x.huge || y.huge || v.huge, bad, opt.reduction,
               [&] { return lossx::gaussian_nll_loss_shape<T>(x.view, y.view, v.view, opt); }, {nx, nv},
               [&](lossx::View<const T> go, T* l, T* g1, T* g2, T*) {
                 lossx::gaussian_nll_loss_with_grad<T>(x.view, y.view, v.view, opt, go, l, g1, g2);
               });
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader r(data, size);
  if (r.flag()) one<float>(r); else one<double>(r);
  return 0;
}
