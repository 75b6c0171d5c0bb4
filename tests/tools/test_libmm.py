#!/usr/bin/env python3
"""test_libmm.py - the memory manager as a library (make lib, docs/porting.md).

Everything here runs what `make lib-build` (a prerequisite of make test)
built from build/lib/libballast-mm.a and build/lib/include alone:

  - the archive's undefined symbols are exactly accounted for: each is a
    hook declared in include/ballast/platform.h or a function of the
    "libc needs" / "libgcc needs" lists of docs/porting.md, and each
    function those lists name is really needed (the lists do not go stale);
  - examples/hosted (build/lib/hosted): the figures of its "hosted:" lines
    and the buddyinfo printed before each, parsed: buddyinfo adds up to the
    free count at every stage, fragmenting leaves (almost) no order-9
    block, compaction moves pages and brings >= 80% of free memory back
    into order>=9 blocks without changing the free count, every object
    reads back intact, the invariant check finds 0 problems, and freeing
    everything returns every page (free + slab-cached = start);
  - the library's unit tests (build/lib/tests/test_*, tests/lib/): each
    TAP line relayed, the plan checked against the lines seen.
TAP on stdout.
"""
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
import qmp  # noqa: E402

T = qmp.TAP(diag_lines=40)
LIB = os.path.join(ROOT, "build", "lib")


def read(path):
    with open(os.path.join(ROOT, path)) as fh:
        return fh.read()


def platform_hooks():
    """Functions include/ballast/platform.h declares (ballast_* followed by '(')."""
    return set(re.findall(r"\b(ballast_\w+)\s*\(", read("include/ballast/platform.h")))


def porting_list(label):
    """The names after "@label:" on its line in docs/porting.md (backquoted words)."""
    m = re.search(rf"^{re.escape(label)}:(.*)$", read("docs/porting.md"), re.M)
    return set(re.findall(r"`(\w+)`", m.group(1))) if m else set()


def check_symbols():
    path = os.path.join(LIB, "symbols.undef")
    if not os.path.exists(path):
        T(False, "symbols: build/lib/symbols.undef exists (make lib-build ran)", path)
        return
    undef = set(read("build/lib/symbols.undef").split())
    hooks, libc, libgcc = platform_hooks(), porting_list("libc needs"), porting_list("libgcc needs")
    T(len(hooks) >= 10 and len(libc) >= 5, "symbols: platform.h hooks and the libc list are found",
      f"hooks {sorted(hooks)}\nlibc {sorted(libc)}")
    unknown = undef - hooks - libc - libgcc
    T(not unknown, "symbols: every undefined symbol of the archive is a platform hook or a listed libc/libgcc function",
      f"not accounted for: {sorted(unknown)}")
    stale = (libc | libgcc) - undef
    T(not stale, "symbols: every libc/libgcc function docs/porting.md lists is needed by the archive",
      f"listed but not needed: {sorted(stale)}")
    hooks_used = {s for s in undef if s.startswith("ballast_")}
    T(len(hooks_used) >= 10 and hooks_used <= hooks,
      "symbols: the archive calls the platform hooks (and only declared ones)", f"{sorted(hooks_used)}")


BUDDY = re.compile(r"^Node 0, zone\s+\S+((?:\s+\d+){11})\s*$")
HOSTED = re.compile(r"^hosted: (\w+): (.*)$")


def parse_hosted(out):
    """{stage: {figure: int, "buddy_pages": .., "buddy_order9": ..}} from the hosted example's output."""
    stages, pages, big = {}, 0, 0
    for ln in out.splitlines():
        m = BUDDY.match(ln)
        if m:
            nr = [int(x) for x in m.group(1).split()]
            pages += sum(n << o for o, n in enumerate(nr))
            big += sum(n << o for o, n in enumerate(nr) if o >= 9)
            continue
        m = HOSTED.match(ln)
        if m:
            figs = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
            figs["buddy_pages"], figs["buddy_order9"] = pages, big
            figs["text"] = m.group(2)
            stages[m.group(1)] = figs
            pages = big = 0
    return stages


def check_hosted():
    exe = os.path.join(LIB, "hosted")
    if not os.path.exists(exe):
        T(False, "hosted: build/lib/hosted exists (make lib-build ran)", exe)
        return
    r = subprocess.run([exe, "64"], capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    s = parse_hosted(r.stdout)
    T(r.returncode == 0 and all(k in s for k in ("start", "fragmented", "compacted", "freed")),
      "hosted: runs to the end, every stage reported", out)
    if r.returncode != 0 or not all(k in s for k in ("start", "fragmented", "compacted", "freed")):
        return
    st, fr, co, fe = s["start"], s["fragmented"], s["compacted"], s["freed"]
    T(all(x["buddy_pages"] == x["free_pages"] and x["buddy_order9"] == x["order9_free_pages"]
          for x in (st, fr, co, fe)),
      "hosted: buddyinfo adds up to the free and order>=9 counts at every stage", out)
    T(st["free_pages"] > 15000 and st["order9_free_pages"] >= st["free_pages"] * 9 // 10,
      "hosted: a 64 MiB arena starts with >15000 free pages, >= 90% in order>=9 blocks", st["text"])
    T(fr["objects"] > 1000 and fr["free_pages"] > st["free_pages"] // 2
      and fr["order9_free_pages"] * 20 < fr["free_pages"],
      "hosted: fragmenting leaves half of memory free and < 5% of it in order>=9 blocks", fr["text"])
    T(co["moved"] > 0 and co["free_pages"] == fr["free_pages"]
      and co["order9_free_pages"] * 5 >= co["free_pages"] * 4,
      "hosted: compaction moves pages, keeps the free count, brings >= 80% back into order>=9 blocks",
      f"{fr['text']}\n{co['text']}")
    checked = qmp.counts(out, "objects checked", lead="hosted: verify:")
    T(qmp.reports_zero(out, "mismatches", lead="hosted: verify:", n=1) and checked == [fr["objects"]],
      "hosted: every object reads back intact after compaction", out)
    T(qmp.reports_zero(out, "problems", lead="hosted: invariants:", n=1),
      "hosted: the invariant check finds 0 problems", out)
    T(fe["free_pages"] + fe["slab_pages"] == fe["start_free_pages"] + fe["start_slab_pages"]
      and fe["start_free_pages"] == st["free_pages"],
      "hosted: freeing everything returns every page (free + slab-cached = start)", fe["text"])


def check_unit_tests():
    bins = sorted(glob.glob(os.path.join(LIB, "tests", "test_*")))
    T(len(bins) >= 2, "unit: the library's tests were built (make lib-build)", f"{bins}")
    for b in bins:
        name = os.path.basename(b)
        r = subprocess.run([b], capture_output=True, text=True, timeout=300)
        lines = r.stdout.splitlines()
        results = [re.match(r"^(ok|not ok) \d+ - (.*)$", ln) for ln in lines]
        results = [m for m in results if m]
        plan = [int(m.group(1)) for m in (re.match(r"^1\.\.(\d+)$", ln) for ln in lines) if m]
        for m in results:
            T(m.group(1) == "ok", f"unit/{name}/{m.group(2)}", r.stdout + r.stderr)
        T(r.returncode == 0 and plan == [len(results)] and results,
          f"unit/{name}: exits 0, its plan matches the {len(results)} results", r.stdout + r.stderr)


def main():
    check_symbols()
    check_hosted()
    check_unit_tests()
    return T.plan()


if __name__ == "__main__":
    sys.exit(main())
