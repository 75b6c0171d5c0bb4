#!/usr/bin/env python3
"""bench_vmem.py - virtio-mem plug and unplug rates as the host sees them
(issue 12; `make bench` runs it).

A q35 guest with 1 GiB of boot RAM and a virtio-mem-pci device over a
4 GiB RAM backend (2 MiB blocks), TCG unless --accel says otherwise, one
CPU. Each figure is the time from `qom-set vm0 requested-size` until `qom-get
vm0 size` equals it (polled every 10 ms), and the rate in GiB/s:
  plug 1G / unplug 1G free        1 GiB, the memory untouched
  plug 4G / unplug 4G free        4 GiB
  unplug 1G frag                  1 GiB plugged, then `frag 1of2 max=...`
                                  fills it with painted movable pages
                                  (half of them freed again), then request
                                  0: every kept page migrates to boot RAM;
                                  `frag verify` must find them intact
One JSON line per measurement, then a table. The guest's own view (the
driver's request counts, blocks added/removed) is printed from `virtio-mem`.
  bench_vmem.py [--kernel build/release/ballast-bench.elf] [--accel tcg] [--runs 1]
"""
import argparse
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
from qmp import Guest  # noqa: E402

GiB = 1 << 30
DEV = "/machine/peripheral/vm0"


def timed(g, size, timeout=600):
    """Seconds from qom-set requested-size @size until qom-get size == @size, or None."""
    t0 = time.monotonic()
    g.qmp.cmd("qom-set", path=DEV, property="requested-size", value=size)
    while time.monotonic() - t0 < timeout:
        if g.qmp.cmd("qom-get", path=DEV, property="size") == size:
            return time.monotonic() - t0
        g._pump(0.01)
    return None


def one_run(kernel, accel):
    res = []
    g = Guest(machine="q35", mem="1G", accel=accel, vmem="4G", vmem_block="2M", kernel=kernel)
    try:
        for size in (GiB, 4 * GiB):
            name = f"{size // GiB}G"
            p = timed(g, size)
            u = timed(g, 0)
            if p is None or u is None:
                sys.exit(f"bench_vmem: {name} did not settle:\n{g.shell('virtio-mem')}")
            res.append({"case": f"plug {name}", "bytes": size, "s": p})
            res.append({"case": f"unplug {name} free", "bytes": size, "s": u})
        if timed(g, GiB) is None:
            sys.exit("bench_vmem: replug failed")
        g.shell("frag 1of2 max=1200M", timeout=900)
        u = timed(g, 0, timeout=900)
        ok, text = g.check("frag verify", "mismatches", timeout=600)
        if u is None or not ok:
            sys.exit(f"bench_vmem: frag unplug failed ({u}):\n{text}\n{g.shell('virtio-mem')}")
        res.append({"case": "unplug 1G frag 1of2", "bytes": GiB, "s": u})
        g.shell("frag free")
        print(g.shell("virtio-mem"), file=sys.stderr)
    finally:
        g.close()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default=os.path.join(ROOT, "build", "ballast.elf"))
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--runs", type=int, default=1)
    a = ap.parse_args()
    rows = []
    for _ in range(a.runs):
        for r in one_run(a.kernel, a.accel):
            r["bench"] = "vmem"
            r["accel"] = a.accel
            r["gib_per_s"] = round(r["bytes"] / GiB / r["s"], 3)
            r["s"] = round(r["s"], 3)
            print(json.dumps(r), flush=True)
            rows.append(r)
    print(f"{'virtio-mem (' + a.accel + ')':<28} {'seconds':>9} {'GiB/s':>8}")
    for r in rows:
        print(f"{r['case']:<28} {r['s']:>9.3f} {r['gib_per_s']:>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
