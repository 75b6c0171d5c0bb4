#!/usr/bin/env python3
"""bootbench.py - what starting the other CPUs costs boot, measured in the guest.

  bootbench.py [--kernel build/release/ballast-bench.elf] [--pairs 15]
               [--smp 1,4] [--machine microvm] [--mem 256M] [--append ...]
               [--out build/bootbench.jsonl] [--timeout S]

Issue 11's goal: `-smp 4` reaches `ballast: ready` within 10 ms of `-smp 1`
(microvm, TCG). Wall-clock boot times on this shared machine vary by tens
of milliseconds from one boot to the next, more than the difference looked
for, so the figure here is the guest's own: each boot runs `boottime`,
which prints the TSC-based timeline of kmain (kernel/main.c boot_mark:
each step's end, microseconds after kmain, and kmain's own TSC, i.e. the
time from the virtual CPU's reset) and the bring-up's (INIT, SIPI,
release; each AP's C entry and park after the SIPI, check-in after the
release).

The boots alternate: pair i boots -smp A then -smp B (every other pair B
first), so a change in the machine's load hits both sizes alike. Reported:
for each size the median (and quartiles) of "ready after kmain" and of
"ready after reset"; the paired difference B - A per pair, with its median,
quartiles and range; and the median duration of every boot step for both
sizes, which says where any difference goes, and the sum of those
differences over the steps that do SMP work (the others do the same work in
both sizes; their differences show the noise). Every boot is one JSON line
in --out. Figures, not a test: the exit status says only whether every boot
produced its timeline.
"""
import argparse
import json
import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import qemu  # noqa: E402

GOAL_MS = 10.0


def parse_boottime(out):
    """The `boottime` figures of one boot as a dict, or None if absent."""
    head = re.search(r"^boottime: TSC (\d+) kHz, kmain (\d+) us after reset$", out, re.M)
    marks = re.findall(r"^boottime: mark (\S+)\s+(\d+) us$", out, re.M)
    if not head or not marks:
        return None
    r = {"tsc_khz": int(head.group(1)), "kmain_us": int(head.group(2)),
         "marks": [(m, int(us)) for m, us in marks]}
    smp = re.search(r"^boottime: smp INIT (\d+) us, SIPI (\d+) us \(waited (\d+) us for the "
                    r"INIT delay\), release (\d+) us, smp_wait_cpus waited (\d+) us$", out, re.M)
    if smp:
        r.update(init_us=int(smp.group(1)), sipi_us=int(smp.group(2)),
                 sipi_wait_us=int(smp.group(3)), release_us=int(smp.group(4)),
                 cpu_wait_us=int(smp.group(5)))
    r["aps"] = [(int(c), int(e), int(p), int(o)) for c, e, p, o in
                re.findall(r"^boottime: cpu (\d+) entry (\d+) us parked (\d+) us after the SIPI, "
                           r"online (\d+) us after the release$", out, re.M)]
    ready = dict(r["marks"]).get("ready")
    r["ready_ms"] = ready / 1000 if ready is not None else None
    r["ready_reset_ms"] = (ready + r["kmain_us"]) / 1000 if ready is not None else None
    return r


def boot_once(a, smp):
    cmd, used = qemu.build_cmd(a.machine, "pvh", a.mem, "tcg", a.append, kernel=a.kernel,
                               smp=smp, quiet=True, balloon=False)
    t0 = time.monotonic()
    rc, out = qemu.run(cmd, stdin_data=qemu.script_bytes("boottime\n"), timeout=a.timeout,
                       echo=False)
    wall = time.monotonic() - t0
    r = parse_boottime(out.replace("\r", ""))
    if r is None:
        print(f"bootbench: -smp {smp}: no boottime figures (status {rc})\n{out[-1500:]}",
              file=sys.stderr)
        return None
    r.update(smp=smp, wall_s=round(wall, 3), status=rc)
    return r


def quart(v):
    """(p25, median, p75) of @v."""
    if len(v) < 2:
        return (v[0], v[0], v[0]) if v else (None, None, None)
    q = statistics.quantiles(v, n=4)
    return q[0], statistics.median(v), q[2]


def step_durations(r):
    """{step: ms it took} from one boot's marks (each mark minus the one before)."""
    out, prev = {}, 0
    for name, us in r["marks"]:
        out[name] = (us - prev) / 1000
        prev = us
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", default=os.path.join(ROOT, "build", "release", "ballast-bench.elf"))
    ap.add_argument("--pairs", type=int, default=15)
    ap.add_argument("--smp", default="1,4", help="the two sizes compared, A,B")
    ap.add_argument("--machine", default="microvm")
    ap.add_argument("--mem", default="256M")
    ap.add_argument("--append", default="")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bootbench.jsonl"))
    a = ap.parse_args()
    sa, sb = (int(x) for x in a.smp.split(","))
    runs = {sa: [], sb: []}
    diffs, diffs_reset = [], []
    ok = True
    with open(a.out, "w") as f:
        for i in range(a.pairs):
            order = (sa, sb) if i % 2 == 0 else (sb, sa)
            got = {}
            for smp in order:
                r = boot_once(a, smp)
                if r is None:
                    ok = False
                    continue
                r["pair"] = i
                f.write(json.dumps(r) + "\n")
                runs[smp].append(r)
                got[smp] = r
            if len(got) == 2:
                diffs.append(got[sb]["ready_ms"] - got[sa]["ready_ms"])
                diffs_reset.append(got[sb]["ready_reset_ms"] - got[sa]["ready_reset_ms"])
                print(f"pair {i + 1:2d}: -smp {sa} ready {got[sa]['ready_ms']:7.2f} ms, "
                      f"-smp {sb} {got[sb]['ready_ms']:7.2f} ms after kmain "
                      f"(difference {diffs[-1]:+7.2f} ms)", flush=True)
    print(f"\nmicrovm TCG {a.mem}, {a.pairs} interleaved pairs, guest TSC figures (ms)")
    print(f"{'':34s}{'p25':>9s}{'median':>9s}{'p75':>9s}")
    for smp in (sa, sb):
        rs = runs[smp]
        for key, label in (("ready_ms", "ready after kmain"), ("ready_reset_ms", "ready after reset")):
            p25, med, p75 = quart([r[key] for r in rs])
            if med is not None:
                print(f"-smp {smp} {label:26s}{p25:9.2f}{med:9.2f}{p75:9.2f}")
    for vals, label in ((diffs, "after kmain"), (diffs_reset, "after reset")):
        if vals:
            p25, med, p75 = quart(vals)
            print(f"paired difference -smp {sb} - -smp {sa}, {label}: median {med:+.2f} ms "
                  f"(p25 {p25:+.2f}, p75 {p75:+.2f}, range {min(vals):+.2f} .. {max(vals):+.2f}); "
                  f"goal within {GOAL_MS:.0f} ms: {'met' if abs(med) <= GOAL_MS else 'NOT met'}")
    print(f"\nmedian duration of each boot step (ms)\n{'step':18s}{'-smp ' + str(sa):>10s}"
          f"{'-smp ' + str(sb):>10s}{'diff':>9s}")
    steps = []
    for smp in (sb, sa):        # the larger boot has the SMP-only marks
        for r in runs[smp][:1]:
            steps += [name for name, _ in r["marks"] if name not in steps]
    smp_steps = ("smp-stacks", "acpi+apic+INIT", "smp_boot_cpus", "smp_wait_cpus")
    smp_sum = 0.0
    for name in steps:
        med = {}
        for smp in (sa, sb):
            v = [step_durations(r).get(name) for r in runs[smp]]
            v = [x for x in v if x is not None]
            med[smp] = statistics.median(v) if v else None
        cell = {smp: f"{m:10.2f}" if m is not None else f"{'-':>10s}" for smp, m in med.items()}
        diff = med[sb] - med[sa] if None not in med.values() else None
        if name in smp_steps:
            smp_sum += (med[sb] or 0.0) - (med[sa] or 0.0)
        print(f"{name:18s}{cell[sa]}{cell[sb]}" + (f"{diff:+9.2f}" if diff is not None else ""))
    print(f"the steps that do SMP work ({', '.join(smp_steps)}): {smp_sum:+.2f} ms "
          f"(-smp {sb} minus -smp {sa}, from the step medians; the other steps do the same work "
          f"in both, their differences are the machine's noise)")
    rs = runs[sb]
    if rs and rs[0].get("aps"):
        def med(v):
            return statistics.median(v) if v else float("nan")
        first_in = [min(a[1] for a in r["aps"]) / 1000 for r in rs if r["aps"]]
        last_park = [max(a[2] for a in r["aps"]) / 1000 for r in rs if r["aps"]]
        last_on = [max(a[3] for a in r["aps"]) / 1000 for r in rs if r["aps"]]
        park_margin = [(r["release_us"] - r["sipi_us"]) / 1000 - max(a[2] for a in r["aps"]) / 1000
                       for r in rs if r["aps"] and "release_us" in r]
        waits = [r.get("cpu_wait_us", 0) / 1000 for r in rs]
        sipi_w = [r.get("sipi_wait_us", 0) / 1000 for r in rs]
        print(f"\n-smp {sb} bring-up (medians): first AP in C {med(first_in):.2f} ms and last AP "
              f"parked {med(last_park):.2f} ms after the first SIPI ({med(park_margin):.2f} ms "
              f"before the release); last AP online {med(last_on):.3f} ms after the release; "
              f"the boot CPU waited {med(sipi_w):.2f} ms for the INIT delay and "
              f"{med(waits):.2f} ms in smp_wait_cpus")
    print(f"\n(every boot: {a.out})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
