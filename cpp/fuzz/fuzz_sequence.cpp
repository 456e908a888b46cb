// libFuzzer target: ctc_loss through the C++ API (fuzz_common.hpp): padded and concatenated
// targets, lengths that disagree with the shapes (negative, beyond T or S, huge), labels at
// every boundary and equal to the blank, blank anywhere, and the workspace contract: a
// buffer of any size (a slot too small must be a ValueError), queried at one thread count
// and used at another.
#include "fuzz_common.hpp"

using namespace lossx_fuzz;

namespace {

std::int64_t any_length(Reader& r, index_t bound) {
  switch (r.byte() % 10) {
    case 0: return -1;
    case 1: return bound + 1;
    case 2: return std::numeric_limits<std::int64_t>::max();
    case 3: return std::numeric_limits<std::int64_t>::min();
    case 4: return bound;
    case 5: return 0;
    default: return bound > 0 ? static_cast<std::int64_t>(r.byte() % (bound + 1)) : 0;
  }
}

struct ThreadScope {
  int before = lossx::get_num_threads();
  explicit ThreadScope(int n) { lossx::set_num_threads(n); }
  ~ThreadScope() { lossx::set_num_threads(before); }
};

template <class T, class I, class L>
void ctc(Reader& r) {
  const bool unbatched = r.byte() % 6 == 0;
  index_t t = any_dim(r, 6), n = unbatched ? 1 : any_dim(r, 4), c = any_dim(r, 5);
  Shape lps = unbatched ? Shape{t, c} : Shape{t, n, c};
  if (r.byte() % 16 == 0) lps = any_shape(r, 4, 5);
  const bool padded = r.flag();
  const index_t s = any_dim(r, 5);
  const index_t nn = n < 0 ? 0 : (n > 64 ? 64 : n);  // lengths arrays stay small
  Shape lens = unbatched ? Shape{} : Shape{n};
  if (r.byte() % 16 == 0) lens = Shape{static_cast<index_t>(r.byte() % 5)};
  Options<&lossx::ctc_loss<T, I, L>> opt;
  opt.blank = r.byte() % 8 == 0 ? any_label(r, c, 0) : (c > 0 ? r.byte() % c : 0);
  bool bad = false;
  opt.reduction = any_reduction(r, bad);
  opt.zero_infinity = r.flag();
  Array<L> il = make_array<L>(r, lens, false, [&](Reader& rr) { return static_cast<L>(any_length(rr, t)); });
  Array<L> tl = make_array<L>(r, lens, false, [&](Reader& rr) { return static_cast<L>(any_length(rr, s)); });
  Shape ts;
  if (padded) {
    ts = unbatched ? Shape{s} : Shape{n, s};
  } else {
    index_t total = 0;  // the sum of the (valid) target lengths, or anything
    for (index_t k = 0; k < (tl.huge ? 0 : tl.extent); ++k) {
      const L v = tl.buf[static_cast<std::size_t>(k)];
      if (v > 0 && v < 64) total += v;
    }
    ts = Shape{r.byte() % 8 == 0 ? any_dim(r, 8) : total};
  }
  Array<T> lp = make_array<T>(r, lps, strided_rows(r), [](Reader& rr) {
    return rr.byte() % 4 == 0 ? any_float<T>(rr) : -static_cast<T>(rr.byte()) / T(40);
  });
  Array<I> tg = make_array<I>(r, ts, false, [&](Reader& rr) { return static_cast<I>(any_label(rr, c, opt.blank)); });
  bad = bad || lp.strided;
  (void)nn;

  // The workspace: none, or a buffer of the size queried at one thread count, scaled, used at another.
  const int query_threads = 1 + r.pick(4), call_threads = 1 + r.pick(4);
  const int ws_mode = r.pick(4);  // 0: none; 1: as queried; 2: a fraction of it; 3: tiny
  std::size_t ws_bytes = 0;
  std::vector<unsigned char> ws;  // exactly ws_bytes (operator new aligns it for double)
  const bool huge = lp.huge || tg.huge || il.huge || tl.huge;
  if (ws_mode != 0 && !huge) {
    std::size_t want = 0;
    bool query_ok = true;
    try {
      ThreadScope q(query_threads);
      want = lossx::ctc_loss_workspace_size<T, I, L>(lp.view, tg.view, il.view, tl.view, opt, r.flag(), query_threads);
    } catch (const lossx::ValueError&) {
      query_ok = false;
    } catch (const lossx::TypeError&) {
      query_ok = false;
    }
    if (query_ok) {
      if (want > (std::size_t(1) << 26)) return;  // valid, but more memory than a fuzz run should take
      ws_bytes = ws_mode == 1 ? want : ws_mode == 2 ? want / (1 + r.pick(8)) : r.byte() % 64;
      ws.resize(ws_bytes > 0 ? ws_bytes : 1);
    }
  }
  ThreadScope call(call_threads);
  const index_t nlp = checked_numel(lps);
  drive<T>(r, "ctc_loss", {nlp, checked_numel(ts), checked_numel(lens)}, huge, bad, opt.reduction,
           [&] { return lossx::ctc_loss_shape<T, I, L>(lp.view, tg.view, il.view, tl.view, opt); }, {nlp},
           [&](lossx::View<const T> go, T* l, T* g, T*, T*) {
             lossx::ctc_loss_with_grad<T, I, L>(lp.view, tg.view, il.view, tl.view, opt, go, l, g,
                                                ws.empty() ? nullptr : static_cast<void*>(ws.data()),
                                                ws.empty() ? 0 : ws_bytes);
           });
}

template <class T>
void one(Reader& r) {
  switch (r.pick(3)) {
    case 0: ctc<T, std::int64_t, std::int64_t>(r); break;
    case 1: ctc<T, std::int32_t, std::int32_t>(r); break;
    default: ctc<T, std::int64_t, std::int32_t>(r);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader r(data, size);
  if (r.flag()) one<float>(r); else one<double>(r);
  return 0;
}
