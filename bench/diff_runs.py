"""lossx's own time per row, before and after: two (pooled) runs of bench/run.py compared.

    python bench/diff_runs.py BEFORE.json[.gz] AFTER.json[.gz] [--title TEXT] > bench/results_sessionN_diff.md

Each file is what `bench/run.py --json` (or `--pool ... --json`) wrote. The table gives lossx's median
in the native process at each thread count, before, after and before/after (> 1: faster now), for
the rows both runs have; PyTorch's and the floor's medians move with the machine, lossx's with the
code and the machine, so read a change against the rows whose code did not change.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import _t  # noqa: E402  (the bench's time format)


def load(path: str) -> dict:
    with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
        return json.load(f)


def diff_table(before: dict, after: dict) -> str:
    ths = sorted(set(before["raw"]) & set(after["raw"]), key=int)  # the thread counts both runs timed
    head = ["row", "pass"]
    for th in ths:
        head += [f"lossx {th}t before", f"{th}t after", "before/after"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for rid, b in before["rows"].items():
        a = after["rows"].get(rid)
        if a is None:
            continue
        cells = [f"`{b['loss']}` {b['size']}", b["mode"]]
        for th in ths:
            tb, ta = b["t"][th]["lossx"], a["t"][th]["lossx"]
            cells += [_t(tb), _t(ta), f"{tb / ta:.2f}×" if tb and ta else "–"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before")
    ap.add_argument("after")
    a = ap.parse_args(argv)
    before, after = load(a.before), load(a.after)
    print(f"Before: `{before['meta']['command']}` ({before['meta']['date']}).  \n"
          f"After: `{after['meta']['command']}` ({after['meta']['date']}).\n")
    print(diff_table(before, after))
    return 0


if __name__ == "__main__":
    sys.exit(main())
