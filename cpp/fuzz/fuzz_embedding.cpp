// libFuzzer target: the embedding losses (cosine_embedding, triplet_margin, batch_hard_triplet)
// through the C++ API, hostile inputs (fuzz_common.hpp): shapes, p of any value (0, negative,
// fractions, inf, NaN), margins, eps, labels at every boundary.
#include "fuzz_common.hpp"

using namespace lossx_fuzz;

namespace {

double any_p(Reader& r) {
  switch (r.byte() % 10) {
    case 0: return 0.0;
    case 1: return -1.0;
    case 2: return std::numeric_limits<double>::infinity();
    case 3: return std::numeric_limits<double>::quiet_NaN();
    case 4: return 0.5;
    case 5: return 1.0;
    case 6: return 3.0;
    case 7: return 1e300;
    default: return 2.0;
  }
}

template <class T, class I>
void batch_hard(Reader& r) {
  Shape xs = any_shape(r, 2, 7);
  Shape ls = xs.empty() ? Shape{} : Shape{xs[0]};
  if (r.byte() % 8 == 0) ls = any_shape(r, 2, 7);
  Array<T> x = make_array<T>(r, xs, strided_rows(r), [](Reader& rr) { return any_float<T>(rr); });
  Array<I> y = make_array<I>(r, ls, false, [](Reader& rr) { return static_cast<I>(any_label(rr, 3, -1)); });
  Options<&lossx::batch_hard_triplet_loss<T, I>> opt;
  bool bad = x.strided;
  opt.reduction = any_reduction(r, bad);
  opt.p = any_p(r);
  opt.margin = static_cast<double>(any_float<T>(r));
  const index_t n = checked_numel(xs);
  drive<T>(r, "batch_hard_triplet_loss", {n, checked_numel(ls)}, x.huge || y.huge, bad, opt.reduction,
           [&] { return lossx::batch_hard_triplet_loss_shape<T, I>(x.view, y.view, opt); }, {n},
           [&](lossx::View<const T> go, T* l, T* g, T*, T*) {
             lossx::batch_hard_triplet_loss_with_grad<T, I>(x.view, y.view, opt, go, l, g);
           });
}

template <class T>
void one(Reader& r) {
  auto fx = [](Reader& rr) { return any_float<T>(rr); };
  switch (r.pick(4)) {
    case 0: {
      Shape s = any_shape(r, 2, 7);
      Shape s2 = r.byte() % 8 == 0 ? any_shape(r, 2, 7) : s;
      Shape st = s.size() == 2 ? Shape{s[0]} : Shape{};
      if (r.byte() % 8 == 0) st = any_shape(r, 2, 7);
      Array<T> a = make_array<T>(r, s, strided_rows(r), fx);
      Array<T> b = make_array<T>(r, s2, false, fx);
      Array<T> y = make_array<T>(r, st, false, [](Reader& rr) {
        return rr.byte() % 8 == 0 ? any_float<T>(rr) : (rr.flag() ? T(1) : T(-1));
      });
      Options<&lossx::cosine_embedding_loss<T>> opt;
      bool bad = a.strided || s2 != s;
      opt.reduction = any_reduction(r, bad);
      opt.margin = static_cast<double>(any_float<T>(r));
      const index_t n = checked_numel(s);
      drive<T>(r, "cosine_embedding_loss", {n, checked_numel(s2), checked_numel(st)}, a.huge || b.huge || y.huge,
               bad, opt.reduction, [&] { return lossx::cosine_embedding_loss_shape<T>(a.view, b.view, y.view, opt); },
               {n, n},
               [&](lossx::View<const T> go, T* l, T* g1, T* g2, T*) {
                 lossx::cosine_embedding_loss_with_grad<T>(a.view, b.view, y.view, opt, go, l, g1, g2);
               });
      break;
    }
    case 1: {
      Shape s = any_shape(r, 2, 7);
      Shape s2 = r.byte() % 8 == 0 ? any_shape(r, 2, 7) : s;
      Array<T> a = make_array<T>(r, s, strided_rows(r), fx);
      Array<T> p = make_array<T>(r, s2, false, fx);
      Array<T> q = make_array<T>(r, s, false, fx);
      Options<&lossx::triplet_margin_loss<T>> opt;
      bool bad = a.strided || s2 != s;
      opt.reduction = any_reduction(r, bad);
      opt.p = any_p(r);
      opt.margin = static_cast<double>(any_float<T>(r));
      opt.eps = r.flag() ? static_cast<double>(any_float<T>(r)) : 1e-6;
      opt.swap = r.flag();
      const index_t n = checked_numel(s);
      drive<T>(r, "triplet_margin_loss", {n, checked_numel(s2), n}, a.huge || p.huge || q.huge, bad, opt.reduction,
               [&] { return lossx::triplet_margin_loss_shape<T>(a.view, p.view, q.view, opt); }, {n, n, n},
               [&](lossx::View<const T> go, T* l, T* g1, T* g2, T* g3) {
                 lossx::triplet_margin_loss_with_grad<T>(a.view, p.view, q.view, opt, go, l, g1, g2, g3);
               });
      break;
    }
    case 2: batch_hard<T, std::int64_t>(r); break;
    default: batch_hard<T, std::int32_t>(r);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader r(data, size);
  if (r.flag()) one<float>(r); else one<double>(r);
  return 0;
}
