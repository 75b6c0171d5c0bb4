#!/usr/bin/env python3
"""bench_app.py - issue 10's appliance benchmark (`make bench` runs it).

Time for the host to take 512 MiB from a 1 GiB kvcache appliance (QMP
`balloon` to `actual` at the target, polled every 20 ms):
  free    512 MiB of free memory (the cache empty)
  cache   the cache filled first (`fill N 2000`, ~820 MiB of values), so the
          inflate has to make the shrinker evict
The ratio cache/free is the figure (goal: within 2x). Also shrinker scan
calls and pages freed per call. JSON lines, then a short table.
  bench_app.py --kernel build/release/app-kvcache/ballast.elf [--fill N]
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
import test_app  # noqa: E402

MiB = 1 << 20


def inflate_time(kv, target, timeout=600):
    t0 = time.monotonic()
    kv.qmp.cmd("balloon", value=target)
    while time.monotonic() - t0 < timeout:
        if kv.actual() == target:
            return time.monotonic() - t0
        kv._pump(0.02)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default=test_app.KV_ELF)
    ap.add_argument("--fill", type=int, default=420000)
    a = ap.parse_args()
    test_app.KV_ELF = a.kernel
    res = {}
    kv = test_app.KV(mem="1G", timeout=180)
    try:
        res["free_s"] = inflate_time(kv, 512 * MiB)
        back = inflate_time(kv, 1024 * MiB)
        if back is None:
            sys.exit("bench_app: the deflate did not finish")
        out = kv.cmd(f"fill {a.fill} 2000", timeout=1800)
        s0 = kv.stats()
        res["filled_entries"] = s0.get("entries")
        res["filled_store_mib"] = s0.get("store_pages", 0) * 4096 // MiB
        res["free_before_mib"] = s0.get("mem_free", 0) * 4096 // MiB
        res["cache_s"] = inflate_time(kv, 512 * MiB)
        s1 = kv.stats()
        scans = s1.get("shrinker_scans", 0) - s0.get("shrinker_scans", 0)
        freed = s1.get("shrinker_freed", 0) - s0.get("shrinker_freed", 0)
        res["shrinker_scans"] = scans
        res["shrinker_pages_freed"] = freed
        res["pages_per_scan"] = round(freed / scans, 1) if scans else 0
        res["evicted"] = s1.get("evicted", 0) - s0.get("evicted", 0)
        v = kv.cmd("verify", timeout=600)
        res["verify"] = v.strip()
    finally:
        kv.close()
    if res.get("free_s") and res.get("cache_s"):
        res["ratio"] = round(res["cache_s"] / res["free_s"], 2)
    print(json.dumps({"bench": "app_reclaim_512m", **res}))
    print(f"reclaim 512 MiB: free memory {res.get('free_s') or 0:.2f} s, cache-filled "
          f"{res.get('cache_s') or 0:.2f} s, ratio {res.get('ratio')} (goal <= 2); "
          f"{res['shrinker_scans']} scans, {res['pages_per_scan']} pages/scan")
    return 0


if __name__ == "__main__":
    sys.exit(main())
