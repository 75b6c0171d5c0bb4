#!/usr/bin/env python3
"""lib_headers.py - install the library's header tree (make lib, mk/lib.mk).

Reads the dependency files (.d) the compiler wrote for the library's
objects and copies every header they name into --out, keeping its
include-relative path: include/mm/gfp.h -> OUT/mm/gfp.h,
libmm/include/arch/cpu.h -> OUT/arch/cpu.h, GEN/ballast/config.h ->
OUT/ballast/config.h. The public entry headers (<ballast/platform.h>,
<ballast/libmm.h>) are installed whether or not a source includes them.

Fails when a source reached a header it should not: anything from
arch/x86_64 other than the spinlocks (a portable header has become an
x86 one), or a file outside the known include roots. Private headers
kept next to the sources (mm/page_alloc_internal.h) are not installed.
"""
import argparse
import os
import shutil
import sys

ALWAYS = ["include/ballast/platform.h", "include/ballast/libmm.h"]
ARCH_ALLOWED = {"arch/x86_64/include/arch/spinlock.h"}
# Private headers next to the sources (mm/page_alloc_internal.h): not installed.
INTERNAL = ("mm/", "lib/", "libmm/", "drivers/")


def deps(path):
    """Header paths named in one .d file (targets and continuations skipped)."""
    with open(path) as fh:
        text = fh.read().replace("\\\n", " ")
    out = set()
    for line in text.splitlines():
        target, _, rest = line.partition(":")
        for word in rest.split():
            if word.endswith(".h"):
                out.add(os.path.normpath(word))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--extra", action="append", default=[])
    ap.add_argument("dfiles", nargs="+")
    a = ap.parse_args()
    roots = [os.path.normpath(a.gen), "libmm/include", "include", "arch/x86_64/include"]
    roots += [os.path.normpath(os.path.dirname(x)) for x in a.extra]   # the platform's inline header
    headers = set(ALWAYS)
    for d in a.dfiles:
        headers |= deps(d)
    bad = []
    plan = {}
    for h in sorted(headers):
        root = next((r for r in roots if h.startswith(r + "/")), None)
        if root is None:
            if h.startswith("/") or h.startswith("build/newlib") or h.startswith(INTERNAL):
                continue             # the C library's own headers; private ones
            bad.append(f"{h}: not under an include root of the library")
            continue
        if root == "arch/x86_64/include" and h not in ARCH_ALLOWED:
            bad.append(f"{h}: an x86_64 header reached by the library")
            continue
        rel = os.path.relpath(h, root)
        if rel in plan and plan[rel] != h:
            bad.append(f"{h} and {plan[rel]} both install as {rel}")
        plan.setdefault(rel, h)
    for x in a.extra:
        plan[os.path.basename(x)] = x
    if bad:
        print("lib_headers: " + "\n  ".join(bad), file=sys.stderr)
        return 1
    shutil.rmtree(a.out, ignore_errors=True)
    for rel, src in plan.items():
        dst = os.path.join(a.out, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
    print(f"  {len(plan)} headers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
