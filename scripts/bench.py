#!/usr/bin/env python3
"""bench.py - `make bench`: boot the benchmark kernel, collect its figures.

  bench.py --kernel build/release/ballast-bench.elf [--machine microvm]
           [--mem 1G,8G] [--accel auto|kvm|tcg] [--bench all|a,b]
           [--compaction-mem 1G,4G] [--out build/bench.jsonl] [--timeout S]

Benches listed in OWN_RUNS (compaction, smp) boot on their own sizes instead
(bench=NAME, --NAME-mem), and the "all" runs leave them out ("all,-NAME").

For each memory size the kernel boots with bench=<list> (KVM when it works
here, else TCG; the reason is recorded), prints one JSON line per figure
({"bench", "metric", "value", "unit"}), and exits. Every line is written to
--out with the run's machine, memory size and accelerator added, and a
table is printed: one row per (bench, metric), one value column per memory
size, and the ratio of the value to this run's calibration:

  unit cycles   value / calibration lifo_pair_cycles  (in "LIFO pairs")
  unit ms/GiB   value / time to cold-copy 1 GiB at copy4k_cold_cycles
  unit MB/s     value / copy4k_hot_MBps
  unit x        already a ratio (reported by the kernel); other units: none

The table is generic: later benches appear in it without changes here.
The allocator and compaction goals (docs/references.md) are checked at the
end (figures, not tests: the exit status only says whether every boot ran to
the end). --reporting adds the free page reporting figure (with the balloon
goals): seconds from freeing 1 GiB in a q35 guest to QEMU's VmRSS dropping by
95% of it (column "2G q35").

Balloon (the balloon goals; --balloon-rounds N, 0 to skip): a 2 GiB q35 guest
(modern virtio-pci balloon) is ballooned to 512 MiB and back N times
through QMP, each direction timed from the `balloon` command until
`query-balloon` (polled every 5 ms) reports the target; inflate and
deflate MiB/s (median and best of the rounds), under TCG and, when
qemu.py finds it usable, KVM (the reason is recorded when it is not).
"""
import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
import qemu  # noqa: E402

# Balloon goals under TCG (docs/references.md): twice a Linux 6.1 guest in the same QEMU.
BALLOON_GOALS = {"inflate": 1600, "deflate": 3600}
BALLOON_MiB = 2048
BALLOON_TARGET_MiB = 512

# (bench, metric, op, limit, description): "value op limit" is the goal
GOALS = [
    ("page_alloc", "order0_pair_pcp_cycles", "<=", 100, "order-0 alloc+free pair (per-CPU list), median"),
    ("page_alloc", "order9_pair_cycles", "<=", 2000, "order-9 alloc+free pair, median"),
    ("page_alloc", "init_ms_per_GiB", "<=", 1.0, "memmap + buddy initialisation per GiB"),
    ("compaction", "order9_share_after_pct", ">=", 98, "free memory in order-9 blocks after full compaction (frag 3of4)"),
    ("compaction", "compact_vs_cold_copy", ">=", 0.5, "compaction throughput / cold 4 KiB copy bandwidth"),
    ("compaction", "direct_p50_us", "<=", 1000, "order-9 allocation through direct compaction, p50"),
]

# Benches that boot on their own memory sizes (option --NAME-mem), not in
# the "all" runs: compaction fragments all of RAM, its figures are about
# how cost grows with memory (the compaction goals name 1 GiB and 4 GiB).
OWN_RUNS = {"compaction": "1G,4G", "smp": "1G"}
# CPUs of an own-size bench's boots (-smp); 1 for the others. The smp bench
# runs its figures for 1, 2 and 4 CPUs, as many as the kernel brings up.
OWN_SMP = {"smp": 4}


def run_one(machine, mem, accel, spec, kernel, timeout, smp=1):
    """Boot once; returns (status, accel used, why not KVM, records, raw output)."""
    cmd, used = qemu.build_cmd(machine, "pvh", mem, accel, f"bench={spec}",
                               kernel=kernel, quiet=True, smp=smp)
    why = qemu.KVM_WHY if used != "kvm" else ""
    rc, out = qemu.run(cmd, timeout=timeout, echo=False)
    recs = []
    for line in out.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if isinstance(r, dict) and {"bench", "metric", "value", "unit"} <= r.keys():
            recs.append(r)
    return rc, used, why, recs, out


def calibration(recs):
    """Calibration figures of one run, by metric name."""
    return {r["metric"]: r["value"] for r in recs if r["bench"] == "calibration"}


def ratio(rec, cal):
    """Ratio of @rec to the calibration @cal, with its basis; (None, '') if none applies."""
    if rec["bench"] == "calibration":
        return None, ""
    v, unit = rec["value"], rec["unit"]
    if unit == "cycles" and cal.get("lifo_pair_cycles"):
        return v / cal["lifo_pair_cycles"], "LIFO pairs"
    if unit == "ms/GiB" and cal.get("copy4k_cold_cycles") and cal.get("tsc_hz"):
        ms_per_gib = cal["copy4k_cold_cycles"] * 262144 / cal["tsc_hz"] * 1000
        return v / ms_per_gib, "cold-copy GiB"
    if unit == "MB/s" and cal.get("copy4k_hot_MBps"):
        return v / cal["copy4k_hot_MBps"], "hot copy"
    return None, ""


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1e7:
        return f"{v:.4g}"
    if a >= 100 or v == int(v):
        return f"{v:,.0f}" if a >= 100 else f"{v:.0f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def table(runs):
    """Print the table for @runs: list of (mem, records)."""
    keys = []
    seen = set()
    for _, recs in runs:
        for r in recs:
            k = (r["bench"], r["metric"])
            if k not in seen:
                seen.add(k)
                keys.append(k)
    vals = [{(r["bench"], r["metric"]): r for r in recs} for _, recs in runs]
    cals = [calibration(recs) for _, recs in runs]
    head = ["metric"] + [f"-m {m}" for m, _ in runs] + ["unit"] + \
           [f"ratio -m {m}" for m, _ in runs] + ["ratio to"]
    rows = []
    for k in keys:
        unit, basis = "", ""
        cells, rcells = [], []
        for v, cal in zip(vals, cals):
            r = v.get(k)
            if r is None:
                cells.append("-")
                rcells.append("-")
                continue
            unit = r["unit"]
            x, b = ratio(r, cal)
            basis = basis or b
            cells.append(fmt(r["value"]))
            rcells.append(fmt(x) if x is not None else "")
        rows.append([f"{k[0]}/{k[1]}"] + cells + [unit] + rcells + [basis])
    w = [max(len(str(row[i])) for row in rows + [head]) for i in range(len(head))]
    line = lambda row: "  ".join(str(c).ljust(w[i]) if i in (0, len(head) - 1) or
                                 head[i] == "unit" else str(c).rjust(w[i])
                                 for i, c in enumerate(row))
    print(line(head))
    print("  ".join("-" * x for x in w))
    for row in rows:
        print(line(row).rstrip())


def goals(runs, accel):
    print("\nGoals (allocator and compaction, docs/references.md; cycle goals are stated for KVM):")
    for bench, metric, op, limit, what in GOALS:
        for mem, recs in runs:
            if mem.endswith(" q35"):
                continue        # the QMP benchmarks' column (page reporting)
            r = next((r for r in recs if r["bench"] == bench and r["metric"] == metric), None)
            if r is None:
                if any(x["bench"] == bench for x in recs):
                    print(f"  {what} (-m {mem}): not measured")
                continue
            ok = r["value"] <= limit if op == "<=" else r["value"] >= limit
            print(f"  {what} (-m {mem}): {fmt(r['value'])} {r['unit']} "
                  f"(goal {op} {fmt(limit)}): {'met' if ok else 'NOT met'}")
    if accel != "kvm":
        print("  note: measured under TCG (emulation): TSC cycles there are host time "
              "scaled to the TSC rate, each guest instruction costing many host ones; "
              "compare ratios, not raw cycles, with the KVM goals.")


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def reporting_bench(kernel, accel, rounds=3, mib=1024, timeout=120):
    """
    Free page reporting as the host sees it: a 2 GiB q35 guest with
    free-page-reporting=on allocates and zeroes `mib` MiB (QEMU's VmRSS
    grows), frees it, and the time from the end of the free to VmRSS having
    dropped by 95% of `mib` is measured (polled every 20 ms); median of
    `rounds`. Includes the reporting delay (PAGE_REPORTING_DELAY_MS, 2 s).
    """
    import time
    sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
    from qmp import Guest  # noqa: E402
    recs, times = [], []
    g = Guest(machine="q35", mem="2G", balloon_opts="free-page-reporting=on",
              accel=accel, boot_timeout=300, kernel=kernel)
    try:
        for _ in range(rounds):
            out = g.shell(f"alloc 9 {mib // 2} zero", timeout=900)
            if f"got {mib // 2} of" not in out:
                print(f"bench.py: reporting: allocation failed: {out}", flush=True)
                break
            high = rss_mib(g.pid())
            g.shell("free")
            t0 = time.monotonic()
            while time.monotonic() - t0 < timeout:
                if rss_mib(g.pid()) <= high - 0.95 * mib:
                    times.append(time.monotonic() - t0)
                    break
                time.sleep(0.02)
            else:
                print(f"bench.py: reporting: RSS did not drop by 95% within {timeout} s", flush=True)
                break
        used = g.accel
    finally:
        g.close()
    if times:
        times.sort()
        med = times[len(times) // 2]
        recs.append({"bench": "page_reporting", "metric": "rss_drop_95pct_1GiB_s",
                     "value": round(med, 3), "unit": "s", "rounds": len(times),
                     "all": [round(t, 3) for t in times], "delay_s": 2.0})
        recs.append({"bench": "page_reporting", "metric": "after_delay_s",
                     "value": round(med - 2.0, 3), "unit": "s"})
    return recs, used


def mem_bytes(m):
    """Bytes of a QEMU -m size ("512M", "4G"); plain numbers are MiB."""
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    m = m.strip().upper()
    try:
        return int(float(m[:-1]) * mult[m[-1]]) if m[-1] in mult else int(m) << 20
    except ValueError:
        return 0


def balloon_round(g, target_mib):
    """One timed QMP balloon command; seconds until query-balloon shows it."""
    want = target_mib << 20
    t0 = time.monotonic()
    g.qmp.cmd("balloon", value=want)
    while g.qmp.cmd("query-balloon")["actual"] != want:
        if time.monotonic() - t0 > 120:
            raise RuntimeError(f"query-balloon did not reach {target_mib} MiB in 120 s")
        time.sleep(0.005)
    return time.monotonic() - t0


def balloon_bench(kernel, accel, rounds):
    """Balloon 2 GiB -> 512 MiB -> 2 GiB @rounds times; returns records (MiB/s)."""
    from qmp import Guest  # tests/qemu/qmp.py
    g = Guest(machine="q35", mem=f"{BALLOON_MiB}M", balloon_opts="disable-legacy=on",
              accel=accel, kernel=kernel)
    try:
        moved = BALLOON_MiB - BALLOON_TARGET_MiB
        rates = {"inflate": [], "deflate": []}
        for _ in range(rounds):
            rates["inflate"].append(moved / balloon_round(g, BALLOON_TARGET_MiB))
            rates["deflate"].append(moved / balloon_round(g, BALLOON_MiB))
        check = g.shell("balloon check")
    finally:
        g.close()
    if "0 problems" not in check:
        raise RuntimeError(f"balloon check after the benchmark: {check.strip()}")
    recs = []
    for d in ("inflate", "deflate"):
        recs.append({"bench": "balloon", "metric": f"{d}_MiBps_median",
                     "value": statistics.median(rates[d]), "unit": "MiB/s"})
        recs.append({"bench": "balloon", "metric": f"{d}_MiBps_best",
                     "value": max(rates[d]), "unit": "MiB/s"})
    return recs


def balloon_section(kernel, rounds, f):
    """Run the balloon benchmark under TCG (and KVM if usable); print and log it."""
    accels = ["tcg"] + (["kvm"] if qemu.kvm_usable() else [])
    why = "" if "kvm" in accels else qemu.KVM_WHY
    moved = BALLOON_MiB - BALLOON_TARGET_MiB
    print(f"\nBalloon: q35, -m {BALLOON_MiB}M, {BALLOON_MiB} -> {BALLOON_TARGET_MiB} MiB "
          f"and back ({moved} MiB each way), {rounds} rounds, query-balloon polled every 5 ms")
    ok = True
    for acc in accels:
        try:
            recs = balloon_bench(kernel, acc, rounds)
        except Exception as e:  # noqa: BLE001 - reported, run marked failed
            print(f"  {acc.upper()}: failed: {e}")
            ok = False
            continue
        for r in recs:
            f.write(json.dumps(dict(r, machine="q35", mem=f"{BALLOON_MiB}M", accel=acc)) + "\n")
            print(f"  {acc.upper()} {r['metric']:22s} {fmt(r['value']):>8s} {r['unit']}")
        if acc == "tcg":
            for d, goal in BALLOON_GOALS.items():
                v = next(r["value"] for r in recs if r["metric"] == f"{d}_MiBps_median")
                print(f"  goal: {d} >= {goal} MiB/s under TCG (median {fmt(v)}): "
                      f"{'met' if v >= goal else 'NOT met'}")
    if why:
        print(f"  KVM: not measured ({why})")
        f.write(json.dumps({"bench": "balloon", "metric": "kvm_not_measured", "value": 0,
                            "unit": "", "why": why, "machine": "q35",
                            "mem": f"{BALLOON_MiB}M", "accel": "kvm"}) + "\n")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", default=os.path.join(ROOT, "build/release/ballast-bench.elf"))
    ap.add_argument("--machine", default="microvm")
    ap.add_argument("--mem", default="1G,8G")
    ap.add_argument("--accel", default="auto")
    ap.add_argument("--bench", default="all")
    ap.add_argument("--out", default=os.path.join(ROOT, "build/bench.jsonl"))
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--reporting", choices=("on", "off", "only"), default="on",
                    help="free page reporting RSS benchmark (q35, QMP): run it, skip it, or only it")
    for name, sizes in OWN_RUNS.items():
        ap.add_argument(f"--{name}-mem", default=sizes,
                        help=f"memory sizes of the {name} bench's own boots")
    ap.add_argument("--balloon-rounds", type=int, default=3,
                    help="balloon benchmark rounds (0: skip it)")
    a = ap.parse_args()
    if not os.path.exists(a.kernel):
        sys.exit(f"bench.py: no kernel at {a.kernel}; run `make bench`")

    # (spec, sizes) of every boot: the main runs, then each own-size bench
    if a.bench == "all":
        main_spec = ",".join(["all"] + [f"-{n}" for n in OWN_RUNS])
        own = list(OWN_RUNS)
    else:
        names = [n.strip() for n in a.bench.split(",") if n.strip()]
        own = [n for n in names if n in OWN_RUNS]
        main_spec = ",".join(n for n in names if n not in OWN_RUNS)
    plan = [(main_spec, a.mem)] if main_spec else []
    plan += [(n, getattr(a, f"{n}_mem")) for n in own]

    bymem, failed, accels, whys = {}, False, set(), set()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        for spec, sizes in (plan if a.reporting != "only" else []):
            for mem in [m.strip() for m in sizes.split(",") if m.strip()]:
                rc, used, why, recs, out = run_one(a.machine, mem, a.accel, spec,
                                                   a.kernel, a.timeout, OWN_SMP.get(spec, 1))
                accels.add(used)
                if why:
                    whys.add(why)
                print(f"bench.py: {a.machine}, -m {mem}, bench={spec}, {used.upper()}: "
                      f"{len(recs)} figures, exit {rc}", flush=True)
                if rc != 0 or "# bench: done" not in out:
                    failed = True
                    print(f"bench.py: the -m {mem} bench={spec} run did not finish cleanly "
                          f"(exit {rc}); last output:\n{out[-3000:]}", flush=True)
                for r in recs:
                    f.write(json.dumps(dict(r, machine=a.machine, mem=mem, accel=used,
                                            spec=spec)) + "\n")
                # one table column per size; keep the first run's calibration
                col = bymem.setdefault(mem, [])
                have_cal = any(r["bench"] == "calibration" for r in col)
                col.extend(r for r in recs if not (have_cal and r["bench"] == "calibration"))
        reporting = None
        if a.reporting != "off":
            recs, used = reporting_bench(a.kernel, a.accel)
            accels.add(used)
            failed = failed or not recs
            for r in recs:
                f.write(json.dumps(dict(r, machine="q35", mem="2G", accel=used)) + "\n")
            reporting = recs
        balloon_ok = balloon_section(a.kernel, a.balloon_rounds, f) if a.balloon_rounds else True
    runs = sorted(bymem.items(), key=lambda kv: mem_bytes(kv[0]))
    if reporting is not None:
        runs.append(("2G q35", reporting))

    accel = "/".join(sorted(accels))
    print(f"\nBallast benchmarks: {a.machine}, accelerator {accel.upper()}"
          + (f" (KVM not used: {'; '.join(sorted(whys))})" if whys else ""))
    print(f"JSON lines: {os.path.relpath(a.out, os.getcwd())}\n")
    table(runs)
    goals(runs, accel)
    return 1 if failed or not balloon_ok else 0


if __name__ == "__main__":
    sys.exit(main())
