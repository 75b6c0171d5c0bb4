#!/usr/bin/env python3
"""bench_app.py - issue 10's appliance benchmark (`make bench` runs it).

Time for the host to take 512 MiB from a 1 GiB kvcache appliance (QMP
`balloon` to `actual` at the target, polled every 20 ms), each run in a
fresh guest (TCG unless --accel says otherwise; 1 CPU):
  free    512 MiB of free memory (the cache empty)
  used    512 MiB of free memory the guest has written before: the
          same guest after deflating, filling the cache and evicting all
          of it (`shrink`), so the host discards populated pages as in
          the cache case (never-written memory costs the host less)
  cache   the same guest after deflating and filling the cache again
          (`fill N 2000`, ~820 MiB of values for the default N), so the
          inflate has to make the shrinker evict
The figure is median(cache) / median(free) over --runs runs (goal: within
2x), and median(cache) / median(used), the like-for-like host work; also
shrinker scan calls and pages freed per call. One JSON line per run and
one for the medians, then a short table.
  bench_app.py --kernel build/release/app-kvcache/ballast.elf [--fill N] [--runs 5]
"""
import argparse
import json
import os
import statistics
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


def one_run(fill):
    """One fresh guest: the free inflate, then the cache-filled one; a dict of figures."""
    res = {}
    kv = test_app.KV(mem="1G", timeout=180, smp=1)
    try:
        res["free_s"] = inflate_time(kv, 512 * MiB)
        if inflate_time(kv, 1024 * MiB) is None:
            sys.exit("bench_app: the deflate did not finish")
        kv.cmd(f"fill {fill} 2000", timeout=1800)
        res["emptied"] = kv.cmd("shrink 1000000", timeout=600).strip()
        if kv.stats().get("entries") != 0:
            sys.exit("bench_app: the cache did not empty: " + res["emptied"])
        res["used_s"] = inflate_time(kv, 512 * MiB)
        if inflate_time(kv, 1024 * MiB) is None:
            sys.exit("bench_app: the deflate did not finish")
        t0 = time.monotonic()
        out = kv.cmd(f"fill {fill} 2000", timeout=1800)
        res["fill_s"] = round(time.monotonic() - t0, 1)
        res["fill"] = out.strip()
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
        res["ballooned_mib"] = s1.get("mem_ballooned", 0) * 4096 // MiB
        res["verify"] = kv.cmd("verify", timeout=600).strip()
    finally:
        kv.close()
    for k in ("free_s", "used_s", "cache_s"):
        if res.get(k) is not None:
            res[k] = round(res[k], 3)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default=test_app.KV_ELF)
    ap.add_argument("--fill", type=int, default=420000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    test_app.KV_ELF = a.kernel
    runs = []
    for i in range(a.runs):
        r = one_run(a.fill)
        runs.append(r)
        print(json.dumps({"bench": "app_reclaim_512m_run", "run": i + 1, **r}), flush=True)
    ok = [r for r in runs if r.get("free_s") and r.get("used_s") and r.get("cache_s")]
    if len(ok) != len(runs):
        print(f"bench_app: {len(runs) - len(ok)} run(s) did not reach the target")
        return 1
    med = {k: statistics.median(r[k] for r in ok)
           for k in ("free_s", "used_s", "cache_s", "shrinker_scans", "shrinker_pages_freed",
                     "pages_per_scan")}
    med["ratio"] = round(med["cache_s"] / med["free_s"], 2)
    med["ratio_used"] = round(med["cache_s"] / med["used_s"], 2)
    print(json.dumps({"bench": "app_reclaim_512m", "runs": len(ok), **med}))
    print(f"reclaim 512 MiB (median of {len(ok)}): free memory {med['free_s']:.2f} s "
          f"(written before: {med['used_s']:.2f} s), cache-filled {med['cache_s']:.2f} s, "
          f"ratio {med['ratio']} ({med['ratio_used']} against written free memory; goal <= 2); "
          f"{med['shrinker_scans']} scans, {med['pages_per_scan']} pages/scan")
    return 0


if __name__ == "__main__":
    sys.exit(main())
