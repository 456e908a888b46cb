// libFuzzer target: the classification losses (cross_entropy with class indices or
// probabilities, nll_loss, binary_cross_entropy(_with_logits), kl_div, (log_)softmax)
// through the C++ API: hostile shapes, labels at every boundary, ignore_index anywhere,
// label_smoothing and weights of any value or length, NaN/Inf (fuzz_common.hpp).
#include "fuzz_common.hpp"

using namespace lossx_fuzz;

namespace {

// An optional View of `n` elements (shape (n,), or a wrong length), kept alive by `buf`.
template <class T, class Fill>
lossx::View<const T> maybe_vector(Reader& r, index_t n, std::vector<T>& buf, bool& wrong, Fill fill) {
  if (!r.flag()) return {};
  index_t len = n;
  if (r.byte() % 8 == 0) len = static_cast<index_t>(r.byte() % 6);
  wrong = wrong || len != n;
  if (len < 0 || len > kMaxElements) return {};
  buf.resize(static_cast<std::size_t>(len > 0 ? len : 1));
  for (T& v : buf) v = fill(r);
  return lossx::View<const T>{buf.data(), {len}};
}

// cross_entropy / nll_loss with class indices of type I.
template <class T, class I>
void indexed(Reader& r, bool nll) {
  Shape xs = any_shape(r, 4, 5);  // (C), (N, C) or (N, C, d...)
  Shape ts = xs;
  if (!ts.empty()) ts.erase(ts.begin() + (ts.size() >= 2 ? 1 : 0));
  if (r.byte() % 8 == 0) ts = any_shape(r, 3, 5);
  const index_t c = xs.size() >= 2 ? xs[1] : (xs.empty() ? 0 : xs[0]);
  Options<&lossx::nll_loss<T, I>> nopt;
  Options<&lossx::cross_entropy<T, I>> copt;
  const index_t ignore = any_label(r, c, -100);
  Array<T> x = make_array<T>(r, xs, strided_rows(r), [](Reader& rr) { return any_float<T>(rr); });
  Array<I> y = make_array<I>(r, ts, false, [&](Reader& rr) { return static_cast<I>(any_label(rr, c, ignore)); });
  bool bad = x.strided;
  std::vector<T> wbuf;
  auto w = maybe_vector<T>(r, c, wbuf, bad, [](Reader& rr) { return any_float<T>(rr); });
  const auto reduction = any_reduction(r, bad);
  const index_t nx = checked_numel(xs), ny = checked_numel(ts);
  if (nll) {
    nopt.weight = w;
    nopt.ignore_index = ignore;
    nopt.reduction = reduction;
    drive<T>(r, "nll_loss", {nx, ny}, x.huge || y.huge, bad, reduction,
             [&] { return lossx::nll_loss_shape<T, I>(x.view, y.view, nopt); }, {nx},
             [&](lossx::View<const T> go, T* l, T* g, T*, T*) {
               lossx::nll_loss_with_grad<T, I>(x.view, y.view, nopt, go, l, g);
             });
  } else {
    copt.weight = w;
    copt.ignore_index = ignore;
    copt.reduction = reduction;
    copt.label_smoothing = r.flag() ? static_cast<double>(unit_float<T>(r)) : static_cast<double>(any_float<T>(r));
    if (!(copt.label_smoothing >= 0 && copt.label_smoothing <= 1)) bad = true;
    drive<T>(r, "cross_entropy", {nx, ny}, x.huge || y.huge, bad, reduction,
             [&] { return lossx::cross_entropy_shape<T, I>(x.view, y.view, copt); }, {nx},
             [&](lossx::View<const T> go, T* l, T* g, T*, T*) {
               lossx::cross_entropy_with_grad<T, I>(x.view, y.view, copt, go, l, g);
             });
  }
}

template <class T>
void probs(Reader& r) {
  Shape xs = any_shape(r, 4, 5);
  Shape ts = r.byte() % 8 == 0 ? any_shape(r, 4, 5) : xs;
  const index_t c = xs.size() >= 2 ? xs[1] : (xs.empty() ? 0 : xs[0]);
  Array<T> x = make_array<T>(r, xs, strided_rows(r), [](Reader& rr) { return any_float<T>(rr); });
  Array<T> y = make_array<T>(r, ts, false, [](Reader& rr) { return rr.flag() ? unit_float<T>(rr) : any_float<T>(rr); });
  Options<&lossx::cross_entropy<T, std::int64_t>> opt;
  bool bad = x.strided || ts != xs;
  std::vector<T> wbuf;
  opt.weight = maybe_vector<T>(r, c, wbuf, bad, [](Reader& rr) { return any_float<T>(rr); });
  opt.reduction = any_reduction(r, bad);
  opt.label_smoothing = static_cast<double>(unit_float<T>(r));
  if (r.byte() % 8 == 0) {
    opt.ignore_index = 0;  // PyTorch rejects ignore_index for probabilities
    bad = true;
  }
  const index_t nx = checked_numel(xs);
  debug("probs input", xs, x.strided);
  debug("probs target", ts);
  debug("probs weight", opt.weight.shape, opt.weight.present());
  debug("probs ignore_index", {opt.ignore_index});
  drive<T>(r, "cross_entropy(probs)", {nx, checked_numel(ts)}, x.huge || y.huge, bad, opt.reduction,
           [&] { return lossx::cross_entropy_probs_shape<T>(x.view, y.view, opt); }, {nx},
           [&](lossx::View<const T> go, T* l, T* g, T*, T*) {
             lossx::cross_entropy_probs_with_grad<T>(x.view, y.view, opt, go, l, g);
           });
}

template <class T>
void softmaxes(Reader& r) {
  Shape xs = any_shape(r, 4, 5);
  Array<T> x = make_array<T>(r, xs, strided_rows(r), [](Reader& rr) { return any_float<T>(rr); });
  const index_t nd = static_cast<index_t>(xs.size());
  index_t dim = static_cast<index_t>(static_cast<std::int8_t>(r.byte())) % 6;
  const bool bad_dim = nd == 0 ? !(dim == 0 || dim == -1) : (dim < -nd || dim >= nd);
  const bool log = r.flag();
  const index_t nx = checked_numel(xs);
  // The output has the input's shape ('none' is the only "reduction").
  drive<T>(r, log ? "log_softmax" : "softmax", {nx}, x.huge, bad_dim || x.strided, lossx::Reduction::None,
           [&] {  // softmax's shape check is softmax_dim (the output has the input's shape)
             lossx::softmax_dim(log ? "log_softmax" : "softmax", xs, dim);
             return xs;
           },
           {nx},
           [&](lossx::View<const T> go, T* out, T* g, T*, T*) {
             if (log) lossx::log_softmax_with_grad<T>(x.view, dim, go, out, g);
             else lossx::softmax_with_grad<T>(x.view, dim, go, out, g);
           });
}

template <class T>
void one(Reader& r) {
  auto fx = [](Reader& rr) { return any_float<T>(rr); };
  auto fu = [](Reader& rr) { return rr.byte() % 16 == 0 ? any_float<T>(rr) : unit_float<T>(rr); };
  switch (r.pick(7)) {
    case 0: indexed<T, std::int64_t>(r, r.flag()); break;
    case 1: indexed<T, std::int32_t>(r, r.flag()); break;
    case 2: probs<T>(r); break;
    case 3: softmaxes<T>(r); break;
    case 4:
      pair_loss<T, Options<&lossx::binary_cross_entropy<T>>>(r, "binary_cross_entropy", true, false, fu, fu,
          [](Reader& rr, auto& o, const Shape& s, std::vector<T>& b) {
            if (!rr.flag()) return false;
            Shape ws = s;  // broadcast weight: the trailing dims, or a 1
            if (!ws.empty() && rr.flag()) ws.erase(ws.begin());
            const index_t n = checked_numel(ws);
            if (n < 0 || n > kMaxElements) return false;  // huge input: skipped
            b.resize(static_cast<std::size_t>(n > 0 ? n : 1));
            for (T& v : b) v = any_float<T>(rr);
            o.weight = lossx::View<const T>{b.data(), ws};
            return false;
          },
          [](auto x, auto y, auto& o) { return lossx::binary_cross_entropy_shape<T>(x, y, o); },
          [](auto x, auto y, auto& o, auto go, T* l, T* g) {
            lossx::binary_cross_entropy_with_grad<T>(x, y, o, go, l, g);
          });
      break;
    case 5:
      pair_loss<T, Options<&lossx::binary_cross_entropy_with_logits<T>>>(r, "binary_cross_entropy_with_logits", true,
          false, fx, fu,
          [](Reader& rr, auto& o, const Shape& s, std::vector<T>& b) {
            if (!rr.flag() || s.empty()) return false;
            const index_t c = s.back();  // pos_weight (C,) broadcast over the last dim
            if (c < 0 || c > kMaxElements) return false;  // huge input: skipped
            b.resize(static_cast<std::size_t>(c > 0 ? c : 1));
            for (T& v : b) v = any_float<T>(rr);
            o.pos_weight = lossx::View<const T>{b.data(), {c}};
            return false;
          },
          [](auto x, auto y, auto& o) { return lossx::binary_cross_entropy_with_logits_shape<T>(x, y, o); },
          [](auto x, auto y, auto& o, auto go, T* l, T* g) {
            lossx::binary_cross_entropy_with_logits_with_grad<T>(x, y, o, go, l, g);
          });
      break;
    default:
      pair_loss<T, Options<&lossx::kl_div<T>>>(r, "kl_div", true, true, fx, fx,
          [](Reader& rr, auto& o, const Shape&, std::vector<T>&) {
            o.log_target = rr.flag();
            return false;
          },
          [](auto x, auto y, auto& o) { return lossx::kl_div_shape<T>(x, y, o); },
          [](auto x, auto y, auto& o, auto go, T* l, T* g) { lossx::kl_div_with_grad<T>(x, y, o, go, l, g); });
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader r(data, size);
  if (r.flag()) one<float>(r); else one<double>(r);
  return 0;
}
