// libFuzzer target: the margin losses (hinge_embedding, soft_margin, multilabel_soft_margin,
// margin_ranking, multi_margin, multilabel_margin) through the C++ API, hostile inputs
// (fuzz_common.hpp): shapes, strides, labels at every boundary, margins and p of any value.
#include "fuzz_common.hpp"

using namespace lossx_fuzz;

namespace {

template <class T>
lossx::View<const T> maybe_weight(Reader& r, index_t c, std::vector<T>& buf, bool& bad) {
  if (!r.flag()) return {};
  index_t len = r.byte() % 8 == 0 ? static_cast<index_t>(r.byte() % 6) : c;
  bad = bad || len != c;
  if (len < 0 || len > kMaxElements) return {};
  buf.resize(static_cast<std::size_t>(len > 0 ? len : 1));
  for (T& v : buf) v = any_float<T>(r);
  return lossx::View<const T>{buf.data(), {len}};
}

// multi_margin_loss / multilabel_margin_loss: input (N, C) or (C) or (), integer targets.
template <class T, class I>
void indexed(Reader& r, bool multilabel) {
  Shape xs = any_shape(r, 2, 6);
  Shape ts = multilabel ? xs : (xs.size() == 2 ? Shape{xs[0]} : Shape{});
  if (r.byte() % 8 == 0) ts = any_shape(r, 2, 6);
  const index_t c = xs.empty() ? 1 : xs.back();
  Array<T> x = make_array<T>(r, xs, strided_rows(r), [](Reader& rr) { return any_float<T>(rr); });
  Array<I> y = make_array<I>(r, ts, false, [&](Reader& rr) { return static_cast<I>(any_label(rr, c, -1)); });
  bool bad = x.strided;
  const index_t nx = checked_numel(xs), ny = checked_numel(ts);
  if (multilabel) {
    Options<&lossx::multilabel_margin_loss<T, I>> opt;
    opt.reduction = any_reduction(r, bad);
    drive<T>(r, "multilabel_margin_loss", {nx, ny}, x.huge || y.huge, bad, opt.reduction,
             [&] { return lossx::multilabel_margin_loss_shape<T, I>(x.view, y.view, opt); }, {nx},
             [&](lossx::View<const T> go, T* l, T* g, T*, T*) {
               lossx::multilabel_margin_loss_with_grad<T, I>(x.view, y.view, opt, go, l, g);
             });
  } else {
    Options<&lossx::multi_margin_loss<T, I>> opt;
    opt.reduction = any_reduction(r, bad);
    opt.p = r.byte() % 8 == 0 ? static_cast<int>(static_cast<std::int8_t>(r.byte())) : 1 + r.pick(2);
    if (opt.p != 1 && opt.p != 2) bad = true;
    opt.margin = static_cast<double>(any_float<T>(r));
    std::vector<T> wbuf;
    opt.weight = maybe_weight<T>(r, c, wbuf, bad);
    drive<T>(r, "multi_margin_loss", {nx, ny}, x.huge || y.huge, bad, opt.reduction,
             [&] { return lossx::multi_margin_loss_shape<T, I>(x.view, y.view, opt); }, {nx},
             [&](lossx::View<const T> go, T* l, T* g, T*, T*) {
               lossx::multi_margin_loss_with_grad<T, I>(x.view, y.view, opt, go, l, g);
             });
  }
}

template <class T>
void one(Reader& r) {
  auto fx = [](Reader& rr) { return any_float<T>(rr); };
  auto pm1 = [](Reader& rr) { return rr.byte() % 8 == 0 ? any_float<T>(rr) : (rr.flag() ? T(1) : T(-1)); };
  switch (r.pick(7)) {
    case 0:
      pair_loss<T, Options<&lossx::hinge_embedding_loss<T>>>(r, "hinge_embedding_loss", true, false, fx, pm1,
          [](Reader& rr, auto& o, const Shape&, std::vector<T>&) {
            o.margin = static_cast<double>(any_float<T>(rr));
            return false;
          },
          [](auto x, auto y, auto& o) { return lossx::hinge_embedding_loss_shape<T>(x, y, o); },
          [](auto x, auto y, auto& o, auto go, T* l, T* g) {
            lossx::hinge_embedding_loss_with_grad<T>(x, y, o, go, l, g);
          });
      break;
    case 1:
      pair_loss<T, Options<&lossx::soft_margin_loss<T>>>(r, "soft_margin_loss", true, false, fx, pm1,
          [](Reader&, auto&, const Shape&, std::vector<T>&) { return false; },
          [](auto x, auto y, auto& o) { return lossx::soft_margin_loss_shape<T>(x, y, o); },
          [](auto x, auto y, auto& o, auto go, T* l, T* g) { lossx::soft_margin_loss_with_grad<T>(x, y, o, go, l, g); });
      break;
    case 2:
      pair_loss<T, Options<&lossx::multilabel_soft_margin_loss<T>>>(r, "multilabel_soft_margin_loss", false, false,
          fx, fx,
          [](Reader& rr, auto& o, const Shape& s, std::vector<T>& b) {
            bool bad = false;
            o.weight = maybe_weight<T>(rr, s.empty() ? 1 : s.back(), b, bad);
            return bad;
          },
          [](auto x, auto y, auto& o) { return lossx::multilabel_soft_margin_loss_shape<T>(x, y, o); },
          [](auto x, auto y, auto& o, auto go, T* l, T* g) {
            lossx::multilabel_soft_margin_loss_with_grad<T>(x, y, o, go, l, g);
          });
      break;
    case 3: {
      Shape s = any_shape(r, 2);
      Shape s2 = r.byte() % 8 == 0 ? any_shape(r, 2) : s;
      Shape st = r.byte() % 8 == 0 ? any_shape(r, 2) : s;
      Array<T> a = make_array<T>(r, s, strided_rows(r), fx);
      Array<T> b = make_array<T>(r, s2, false, fx);
      Array<T> y = make_array<T>(r, st, false, pm1);
      Options<&lossx::margin_ranking_loss<T>> opt;
      bool bad = a.strided || s2 != s || st != s;
      opt.reduction = any_reduction(r, bad);
      opt.margin = static_cast<double>(any_float<T>(r));
      const index_t n = checked_numel(s);
      drive<T>(r, "margin_ranking_loss", {n, checked_numel(s2), checked_numel(st)}, a.huge || b.huge || y.huge, bad,
               opt.reduction, [&] { return lossx::margin_ranking_loss_shape<T>(a.view, b.view, y.view, opt); },
               {n, n},
               [&](lossx::View<const T> go, T* l, T* g1, T* g2, T*) {
                 lossx::margin_ranking_loss_with_grad<T>(a.view, b.view, y.view, opt, go, l, g1, g2);
               });
      break;
    }
    case 4: indexed<T, std::int64_t>(r, false); break;
    case 5: indexed<T, std::int32_t>(r, true); break;
    default: indexed<T, std::int64_t>(r, true);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader r(data, size);
  if (r.flag()) one<float>(r); else one<double>(r);
  return 0;
}
