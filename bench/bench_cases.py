"""The benchmark cases shared by bench/run.py, bench/_worker.py and bench/bench_losses.py.

Importing this module needs NumPy only (no lossx, torch or jax), so that the JAX worker can
run it from its own virtual environment. Each case is a `Row`: which loss, which arrays
(a named `dataset`, built deterministically from its own seed, so every process that
builds it gets the same numbers), forward only or forward+backward, and how each library
computes it:

* lossx:   `lossx.NAME(*args, **kwargs)` (forward) or `lossx.NAME_with_grad(...)`;
* PyTorch: `torch.nn.functional.NAME` on tensors made once from the same arrays
           (`torch.from_numpy`, no copy); forward+backward makes fresh leaf tensors per call
           and calls `.backward()` (gradients of the first argument and of `Row.diff`);
* JAX:     the row's `jax` definition (written with jnp/optax) under `jax.jit`; forward+backward
           is `jax.value_and_grad` for a reduced loss, `jax.vjp` with a cotangent of ones for
           an unreduced one (softmax, log_softmax);
* NumPy bandwidth floor (`Row.floor`): a NumPy pass over arrays of the row's size that moves
  about the same bytes (see FLOORS), run on preallocated outputs.
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import Any, Callable

import numpy as np

F32 = np.float32
N16 = 1 << 24  # "16M": 2^24 float32 elements, 64 MiB per array
N4 = 4_000_000  # the 4M rows kept from the first bench table

# ---------------------------------------------------------------------------------------------
# Datasets: name -> builder(rng, scale) -> dict of arrays. `scale` divides the large dimension
# (the smoke test runs with a large scale; the real runs with 1).


def _n(n: int, scale: int, lo: int = 8) -> int:
    return max(lo, n // scale)


def _ce(shape_n: int, c: int):
    def build(rng, scale):
        n = _n(shape_n, scale)
        logits = rng.standard_normal((n, c)).astype(F32) * 3
        probs = rng.random((n, c)).astype(F32)
        probs /= probs.sum(1, keepdims=True)
        return {"logits": logits, "labels": rng.integers(0, c, n), "probs": probs,
                "weight": rng.random(c).astype(F32)}
    return build


def _elementwise(n_full: int, keys=("x", "y", "p01", "t01", "pm1")):
    def build(rng, scale):
        n = _n(n_full, scale)
        make = {"x": lambda: rng.standard_normal(n, dtype=F32), "y": lambda: rng.standard_normal(n, dtype=F32),
                "p01": lambda: rng.random(n, dtype=F32) * F32(0.98) + F32(0.01),
                "t01": lambda: (rng.random(n, dtype=F32) < 0.3).astype(F32),
                "pm1": lambda: np.where(rng.random(n, dtype=F32) < 0.5, F32(-1.0), F32(1.0))}
        return {k: make[k]() for k in keys}
    return build


def _kdim(rng, scale):
    n = _n(16, scale, lo=1)
    return {"img": rng.standard_normal((n, 21, 128, 128)).astype(F32),
            "img_t": rng.integers(0, 21, (n, 128, 128))}


def _scores(rng, scale):
    s, k = _n(4096, scale), 256
    idx = np.full((s, k), -1, np.int64)
    idx[:, :8] = rng.integers(0, k, (s, 8))
    return {"scores": rng.standard_normal((s, k)).astype(F32), "multi_t": (rng.random((s, k)) < 0.1).astype(F32),
            "ml_idx": idx, "labels": rng.integers(0, k, s)}


def _emb(rng, scale):
    n = _n(4096, scale)
    a, p, q = (rng.standard_normal((n, 512)).astype(F32) for _ in range(3))
    return {"a": a, "p": p, "n": q, "pm1": np.where(rng.random(n) < 0.5, -1.0, 1.0).astype(F32)}


CTC_CONFIGS = [(200, 32, 40, 50), (500, 16, 100, 100)]  # (T, N, C, S), as bench/bench_ctc.py


def _ctc(k: int):
    def build(rng, scale):
        T, N, C, S = CTC_CONFIGS[k]
        N = _n(N, scale, lo=1)
        x = rng.standard_normal((T, N, C))
        lp = (x - np.log(np.exp(x).sum(-1, keepdims=True))).astype(F32)
        return {"lp": lp, "lp_ntc": np.ascontiguousarray(lp.transpose(1, 0, 2)),
                "tg": rng.integers(1, C, size=(N, S)), "il": np.full(N, T), "tl": np.full(N, S), "S": S}
    return build


DATASETS: dict[str, Callable[[np.random.Generator, int], dict]] = {
    "ce8": _ce(8, 10), "ce64": _ce(64, 10), "ce256": _ce(256, 1000), "ce": _ce(8192, 1000),
    "kdim": _kdim, "e16": _elementwise(N16, ("x", "y", "t01")), "e4": _elementwise(N4), "scores": _scores, "emb": _emb,
    "ctc0": _ctc(0), "ctc1": _ctc(1),
}


class Data:
    """Builds each dataset once, on first use, from a seed derived from its name."""

    def __init__(self, scale: int = 1):
        self.scale = scale
        self._cache: dict[str, dict] = {}

    def __getitem__(self, name: str) -> dict:
        if name not in self._cache:
            rng = np.random.default_rng(zlib.crc32(name.encode()))
            self._cache[name] = DATASETS[name](rng, self.scale)
        return self._cache[name]


# ---------------------------------------------------------------------------------------------
# Bandwidth floors: name -> (description, builder(arrays of the row) -> arrays the pass uses).
# The pass itself is run by the worker (split into one contiguous chunk per thread).
FLOORS = {
    "dot": "np.dot(a, b): reads two arrays (a reduced two-input forward)",
    "dot1": "np.dot(a, a): reads one array once (a forward that writes little)",
    "add": "np.add(a, b, out=c): three arrays moved (two-input forward+backward; or one in, two out)",
    "copy": "np.copyto(c, a): one array read, one written",
    "fill": "c.fill(0): one array written",
    "copy2": "np.copyto twice: two arrays read, two written (two-input forward+backward of rows, e.g. cosine)",
    "copy3": "np.copyto three times: three arrays read, three written (triplet forward+backward)",
}

# ---------------------------------------------------------------------------------------------
# Rows


@dataclasses.dataclass
class Row:
    """One benchmark row: see the module docstring for how each library runs it."""

    id: str  # unique, stable: used on the command line (--rows) and in the JSON output
    loss: str  # the lossx / torch.nn.functional name
    size: str  # the label printed in the tables
    mode: str  # "fwd" or "fwd+bwd"
    data: str  # a DATASETS key
    args: Callable[[dict], tuple]  # arrays in the order of the loss's signature
    kwargs: dict = dataclasses.field(default_factory=dict)
    diff: tuple = ()  # positions (beyond 0) of further differentiable arguments (torch, jax)
    floor: str | None = None  # a FLOORS key, or None (not a bandwidth-bound row)
    floor_args: Callable[[dict], tuple] | None = None  # (a, b) or (a,) read by the floor pass
    jax: Callable | None = None  # (jnp, jax, optax, d) -> function of the args (see module doc)
    jax_args: Callable[[dict], tuple] | None = None  # the args for jax, when they differ
    unreduced: bool = False  # the forward returns an array (jax fwd+bwd then uses vjp with ones)
    inner: int = 1  # calls per timed sample (tiny rows: the time is per call)
    samples: int = 1  # timed samples per repeat: short samples, so a preemption spoils few of them
    quick: bool = True
    targets: dict = dataclasses.field(default_factory=dict)  # issue 11: torch, jax, floor, scaling
    group: str = ""

    @property
    def label(self) -> str:
        return f"{self.loss} {self.size} {self.mode}"


def _jax_ce_int(jnp, jax, optax, d):
    return lambda x, t: optax.softmax_cross_entropy_with_integer_labels(x, t).mean()


def _jax_ce_smooth_weight(jnp, jax, optax, d, eps=0.1):
    def f(x, t, w):
        nl = jax.nn.logsumexp(x, axis=1, keepdims=True) - x  # lse - x_c
        c = x.shape[1]
        wy = w[t]
        per = (1 - eps) * wy * jnp.take_along_axis(nl, t[:, None], 1)[:, 0] + eps / c * (nl * w).sum(1)
        return per.sum() / wy.sum()
    return f


def _jax_ce_kdim(jnp, jax, optax, d):
    # classes along axis 1; a one-hot product (optax's integer-label form after a moveaxis compiles a
    # scatter that XLA spends seconds constant-folding)
    return lambda x, t: -(jax.nn.log_softmax(x, axis=1) * jax.nn.one_hot(t, x.shape[1], axis=1, dtype=x.dtype)
                          ).sum(1).mean()


def _jax_ctc(jnp, jax, optax, d):
    N, T, _ = d["lp_ntc"].shape
    S = d["S"]
    lpad, tpad = jnp.zeros((N, T), F32), jnp.zeros((N, S), F32)
    # optax's per-sequence loss; 'mean' as PyTorch: divided by the target length, averaged
    return lambda z, labels: (optax.ctc_loss(z, lpad, labels, tpad) / S).mean()


def _jax_triplet(jnp, jax, optax, d):
    def dist(u, v):
        return jnp.sqrt(((u - v + 1e-6) ** 2).sum(1))
    return lambda a, p, n: jnp.maximum(dist(a, p) - dist(a, n) + 1.0, 0.0).mean()


def _jax_cosine(jnp, jax, optax, d):
    def f(a, b, y):
        cos = (a * b).sum(1) / jnp.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
        return jnp.where(y > 0, 1 - cos, jnp.maximum(cos, 0.0)).mean()
    return f


def _jax_multi_margin(jnp, jax, optax, d):
    def f(x, t):
        xy = jnp.take_along_axis(x, t[:, None], 1)
        m = jnp.maximum(1.0 - xy + x, 0.0)
        return ((m.sum(1) - 1.0) / x.shape[1]).mean()  # the y term contributes max(0, 1) = 1
    return f


def _jax_multilabel_margin(jnp, jax, optax, d):
    def f(x, idx):  # idx: the 8 target classes of each row (the dataset's -1 padding dropped)
        xy = jnp.take_along_axis(x, idx, 1)  # (N, 8)
        not_target = 1.0 - jax.nn.one_hot(idx, x.shape[1], dtype=x.dtype).max(1)  # (N, C)
        hinge = jnp.maximum(1.0 - xy[:, :, None] + x[:, None, :], 0.0) * not_target[:, None, :]
        return (hinge.sum((1, 2)) / x.shape[1]).mean()
    return f


def _e(loss, fn, *, torch_target=None, jax_fwd=None, jax_fb=None, floor_fwd="dot", t_arg="y", n="e16"):
    """The forward and forward+backward rows of a two-input elementwise loss."""
    size = "16M" if n == "e16" else "4M"
    rows = []
    for mode in ("fwd", "fwd+bwd"):
        tg = {}
        if torch_target:
            tg["torch"] = torch_target
            tg["scaling"] = 1.7
            if mode == "fwd":
                tg["floor"] = 0.8
        jt = jax_fwd if mode == "fwd" else jax_fb
        if jt:
            tg["jax"] = jt
        rows.append(Row(f"{loss}/{size}/{mode}", loss, size, mode, n, lambda d, t=t_arg: (d["x"], d[t]),
                        floor=floor_fwd if mode == "fwd" else "add",
                        floor_args=lambda d, t=t_arg: (d["x"], d[t]), jax=fn, targets=tg, group="elementwise"))
    return rows


def _jx(expr):
    """A JAX definition from a jnp expression in x and y (a two-input elementwise loss)."""
    return lambda jnp, jax, optax, d: (lambda x, y: expr(jnp, jax, optax, x, y))


def _mk_rows() -> list[Row]:
    rows: list[Row] = []
    ce_int = lambda d: (d["logits"], d["labels"])  # noqa: E731
    # Per-call cost: one forward call on a tiny batch (time per call)
    for key, n, c, inner, tg in (("ce8", 8, 10, 50, {"torch": 2.0}), ("ce64", 64, 10, 50, {}),
                                 ("ce256", 256, 1000, 4, {})):
        rows.append(Row(f"cross_entropy/{n}x{c}/fwd", "cross_entropy", f"({n}, {c})", "fwd", key, ce_int,
                        jax=_jax_ce_int, inner=inner, samples=8, targets=tg, group="per-call"))
    big = {"torch": 3.0, "scaling": 1.7}
    rows += [
        Row("cross_entropy/fwd+bwd", "cross_entropy", "(8192, 1000) int64 targets", "fwd+bwd", "ce", ce_int,
            floor="copy", floor_args=lambda d: (d["logits"],), jax=_jax_ce_int, targets={**big, "jax": 2.0},
            group="classification"),
        Row("cross_entropy/none/fwd", "cross_entropy", "(8192, 1000) reduction='none'", "fwd", "ce", ce_int,
            kwargs={"reduction": "none"}, floor="dot1", floor_args=lambda d: (d["logits"],),
            jax=lambda jnp, jax, optax, d: optax.softmax_cross_entropy_with_integer_labels,
            unreduced=True, targets={"torch": 3.0, "jax": 2.0}, group="classification"),
        Row("cross_entropy/fwd", "cross_entropy", "(8192, 1000) int64 targets", "fwd", "ce", ce_int,
            floor="dot1", floor_args=lambda d: (d["logits"],), jax=_jax_ce_int, group="classification"),
        Row("cross_entropy/smooth+weight/fwd+bwd", "cross_entropy", "(8192, 1000), ls=0.1, weight", "fwd+bwd", "ce",
            lambda d: (d["logits"], d["labels"], d["weight"]), kwargs={"label_smoothing": 0.1}, floor="copy",
            floor_args=lambda d: (d["logits"],), jax=_jax_ce_smooth_weight, group="classification"),
        Row("cross_entropy/probs/fwd+bwd", "cross_entropy", "(8192, 1000) prob targets", "fwd+bwd", "ce",
            lambda d: (d["logits"], d["probs"]), floor="add", floor_args=lambda d: (d["logits"], d["probs"]),
            jax=lambda jnp, jax, optax, d: (lambda x, p: optax.softmax_cross_entropy(x, p).mean()),
            targets=dict(big), group="classification"),
        Row("cross_entropy/kdim/fwd+bwd", "cross_entropy", "(16, 21, 128, 128) segmentation", "fwd+bwd", "kdim",
            lambda d: (d["img"], d["img_t"]), floor="copy", floor_args=lambda d: (d["img"],), jax=_jax_ce_kdim,
            group="classification"),
        Row("nll_loss/fwd+bwd", "nll_loss", "(8192, 1000)", "fwd+bwd", "ce", ce_int, floor="fill",
            floor_args=lambda d: (d["logits"],),
            jax=lambda jnp, jax, optax, d: (lambda x, t: -jnp.take_along_axis(x, t[:, None], 1).mean()),
            targets={"floor": 0.8}, group="classification"),
    ]
    for name, fn in (("log_softmax", "log_softmax"), ("softmax", "softmax")):
        jfn = (lambda f: (lambda jnp, jax, optax, d: (lambda x: getattr(jax.nn, f)(x, axis=1))))(fn)
        # fwd+bwd (NAME_with_grad) reads the logits and writes the output and the gradient: the
        # np.add floor over two distinct arrays (np.add(a, a) would read one array, not two).
        for mode, floor, fargs in (("fwd", "copy", lambda d: (d["logits"],)),
                                   ("fwd+bwd", "add", lambda d: (d["logits"], d["probs"]))):
            rows.append(Row(f"{name}/{mode}", name, "(8192, 1000) dim=1", mode, "ce", lambda d: (d["logits"],),
                            kwargs={"dim": 1}, floor=floor, floor_args=fargs, jax=jfn,
                            unreduced=True, targets={"floor": 0.8}, group="classification"))
    # The four elementwise losses of the targets, on 16M elements
    rows += _e("mse_loss", _jx(lambda jnp, jax, optax, x, y: ((x - y) ** 2).mean()),
               torch_target=3.0, jax_fwd=1.0, jax_fb=2.0)
    rows += _e("l1_loss", _jx(lambda jnp, jax, optax, x, y: jnp.abs(x - y).mean()), torch_target=3.0, jax_fb=2.0)
    rows += _e("smooth_l1_loss", _jx(lambda jnp, jax, optax, x, y: optax.huber_loss(x, y, delta=1.0).mean()),
               torch_target=3.0, jax_fb=2.0)
    rows += _e("binary_cross_entropy_with_logits",
               _jx(lambda jnp, jax, optax, x, t: optax.sigmoid_binary_cross_entropy(x, t).mean()),
               torch_target=3.0, jax_fb=2.0, t_arg="t01")
    # The other losses' rows of the first bench table (forward+backward, 4M or their own sizes)
    e4 = dict(group="other", data="e4", mode="fwd+bwd", size="4M")

    def r4(loss, args, jax=None, floor=None, **kw):
        fa = kw.pop("floor_args", None) or ((lambda d: args(d)[:2]) if floor else None)
        return Row(f"{loss}/fwd+bwd", loss, args=args, jax=jax, floor=floor, floor_args=fa, **{**e4, **kw})

    xlogy = lambda jax, t: jax.scipy.special.xlogy(t, t)  # noqa: E731
    rows += [
        r4("binary_cross_entropy", lambda d: (d["p01"], d["t01"]), floor="add",
           jax=_jx(lambda jnp, jax, optax, p, t: -(t * jnp.maximum(jnp.log(p), -100)
                                                   + (1 - t) * jnp.maximum(jnp.log1p(-p), -100)).mean())),
        r4("kl_div", lambda d: (d["x"], d["p01"]), kwargs={"reduction": "batchmean"}, size="4M batchmean",
           floor="add", jax=_jx(lambda jnp, jax, optax, x, t: (xlogy(jax, t) - t * x).sum() / x.shape[0])),
        r4("huber_loss", lambda d: (d["x"], d["y"]), floor="add",
           jax=_jx(lambda jnp, jax, optax, x, y: optax.huber_loss(x, y, delta=1.0).mean())),
        r4("poisson_nll_loss", lambda d: (d["x"], np.abs(d["y"])), floor="add",
           jax=_jx(lambda jnp, jax, optax, x, y: (jnp.exp(x) - y * x).mean())),
        r4("gaussian_nll_loss", lambda d: (d["x"], d["y"], d["p01"] + 0.5), diff=(2,),
           jax=lambda jnp, jax, optax, d: (lambda x, y, v: 0.5 * (jnp.log(jnp.maximum(v, 1e-6))
                                                                  + (x - y) ** 2 / jnp.maximum(v, 1e-6)).mean())),
        r4("margin_ranking_loss", lambda d: (d["x"], d["y"], d["pm1"]), kwargs={"margin": 0.1}, diff=(1,),
           jax=lambda jnp, jax, optax, d: (lambda a, b, y: jnp.maximum(-y * (a - b) + 0.1, 0.0).mean())),
        r4("hinge_embedding_loss", lambda d: (d["x"], d["pm1"]), floor="add",
           jax=_jx(lambda jnp, jax, optax, x, y: jnp.where(y > 0, x, jnp.maximum(1.0 - x, 0.0)).mean())),
        r4("soft_margin_loss", lambda d: (d["x"], d["pm1"]), floor="add",
           jax=_jx(lambda jnp, jax, optax, x, y: jax.nn.softplus(-y * x).mean())),
        r4("multilabel_soft_margin_loss", lambda d: (d["scores"], d["multi_t"]), data="scores", size="(4096, 256)",
           jax=_jx(lambda jnp, jax, optax, x, t: -(t * jax.nn.log_sigmoid(x)
                                                   + (1 - t) * jax.nn.log_sigmoid(-x)).mean(1).mean())),
        r4("multi_margin_loss", lambda d: (d["scores"], d["labels"]), data="scores", size="(4096, 256)",
           jax=_jax_multi_margin),
        r4("multilabel_margin_loss", lambda d: (d["scores"], d["ml_idx"]), data="scores",
           size="(4096, 256), 8 labels", jax=_jax_multilabel_margin,
           jax_args=lambda d: (d["scores"], d["ml_idx"][:, :8])),
        r4("cosine_embedding_loss", lambda d: (d["a"], d["p"], d["pm1"]), data="emb", size="(4096, 512)", diff=(1,),
           jax=_jax_cosine, floor="copy2", floor_args=lambda d: (d["a"], d["p"])),
        r4("triplet_margin_loss", lambda d: (d["a"], d["p"], d["n"]), data="emb", size="(4096, 512) p=2",
           diff=(1, 2), jax=_jax_triplet, targets=dict(big), group="embedding", floor="copy3",
           floor_args=lambda d: (d["a"], d["p"], d["n"])),
    ]
    for k, (T, N, C, S) in enumerate(CTC_CONFIGS):
        rows.append(Row(f"ctc_loss/T{T}/fwd+bwd", "ctc_loss", f"T={T} N={N} C={C} S={S}", "fwd+bwd", f"ctc{k}",
                        lambda d: (d["lp"], d["tg"], d["il"], d["tl"]), jax=_jax_ctc,
                        jax_args=lambda d: (d["lp_ntc"], d["tg"]), targets={**big, "jax": 2.0}, group="sequence"))
    ids = [r.id for r in rows]
    assert len(ids) == len(set(ids)), "row ids must be unique"
    return rows


ROWS: list[Row] = _mk_rows()
ROWS_BY_ID: dict[str, Row] = {r.id: r for r in ROWS}


def select(ids: list[str] | None = None, *, quick: bool = False) -> list[Row]:
    """The rows named by `ids` (exact ids, or prefixes such as 'mse_loss'), in table order."""
    if not ids:
        return [r for r in ROWS if r.quick or not quick]
    out = [r for r in ROWS if any(r.id == i or r.id.startswith(i.rstrip("/") + "/") for i in ids)]
    unknown = [i for i in ids if not any(r.id == i or r.id.startswith(i.rstrip("/") + "/") for r in ROWS)]
    if unknown:
        raise SystemExit(f"--rows: unknown row id(s) {unknown}; known: {', '.join(ROWS_BY_ID)}")
    return out


# ---------------------------------------------------------------------------------------------
# The cases of bench/bench_losses.py (forward+backward of every loss, the first bench table)

DIFF = {"gaussian_nll_loss": (2,), "margin_ranking_loss": (1,), "cosine_embedding_loss": (1,),
        "triplet_margin_loss": (1, 2)}


def legacy_case_specs(data: Data | None = None) -> dict[str, tuple[str, tuple, dict]]:
    """name -> (size label, numpy args, kwargs): bench_losses.py's cases, from the shared datasets."""
    data = data or Data()
    ce, e4 = data["ce"], data["e4"]
    specs = {
        "cross_entropy": ("(8192, 1000) int64 targets", (ce["logits"], ce["labels"]), {}),
        "cross_entropy/smooth+weight": ("(8192, 1000), ls=0.1, weight", (ce["logits"], ce["labels"], ce["weight"]),
                                        {"label_smoothing": 0.1}),
        "cross_entropy/probs": ("(8192, 1000) prob targets", (ce["logits"], ce["probs"]), {}),
        "cross_entropy/kdim": ("(16, 21, 128, 128) segmentation", (data["kdim"]["img"], data["kdim"]["img_t"]), {}),
        "nll_loss": ("(8192, 1000)", (ce["logits"], ce["labels"]), {}),
        "log_softmax": ("(8192, 1000) dim=1", (ce["logits"],), {"dim": 1}),
        "softmax": ("(8192, 1000) dim=1", (ce["logits"],), {"dim": 1}),
        "l1_loss": ("4M", (e4["x"], e4["y"]), {}),
        "mse_loss": ("4M", (e4["x"], e4["y"]), {}),
        "smooth_l1_loss": ("4M", (e4["x"], e4["y"]), {}),
        "binary_cross_entropy_with_logits": ("4M", (e4["x"], e4["t01"]), {}),
    }
    for r in ROWS:
        if r.group in ("other", "embedding"):
            specs[r.loss] = (r.size, r.args(data[r.data]), dict(r.kwargs))
    return specs


def jax_function(row: Row, jax: Any, jnp: Any, optax: Any, d: dict) -> Callable:
    """The jitted JAX function that `row` times (forward, or forward+backward as described above)."""
    f = row.jax(jnp, jax, optax, d)
    if row.mode == "fwd":
        return jax.jit(f)
    if row.unreduced:
        def fb(x):
            y, vjp = jax.vjp(f, x)
            return y, vjp(jnp.ones_like(y))[0]
        return jax.jit(fb)
    return jax.jit(jax.value_and_grad(f, argnums=(0,) + tuple(row.diff)))
