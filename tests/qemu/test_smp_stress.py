#!/usr/bin/env python3
"""test_smp_stress.py - the mixed workload on every guest CPU while the host
moves the balloon (TAP output).

Boot a guest with a balloon offering deflate-on-OOM and free page reporting,
run `stress SECONDS` (workloads/stress.c on every online CPU) and, for as
long as it runs, set a new balloon target over QMP every few tens of
milliseconds. Then: the stress summary line must say 0 paint errors, 0
invariant errors and free_delta 0 (parsed numbers); the host sets one last
target and waits until query-balloon's `actual` reaches it; `balloon check`
and `mmcheck` must report 0 problems, and the guest's `balloon` must show the
same `actual` as the host.

SMP is the guest's CPU count: 1 while only the boot CPU starts; switch to 4
(or pass --smp 4) once the other CPUs run.

Options: --accel tcg|kvm|auto (default tcg), --seconds N (default 20),
--smp N (default SMP), --seed N.
"""
import argparse
import os
import random
import re
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from qmp import Guest, QMPError, TAP, parse_balloon, wait_actual  # noqa: E402

SMP = 1                 # -> 4 once the other CPUs are started (see docs/testing-concurrency.md)
MiB = 1 << 20
RAM = 1024 * MiB
DEV = "disable-legacy=on,deflate-on-oom=on,free-page-reporting=on"
SUMMARY = re.compile(r"^stress: cpus=(\d+) seconds=(\d+) seed=(\d+) ops=(\d+) paint_errors=(\d+) "
                     r"invariant_errors=(\d+) free_delta=(-?\d+)", re.M)

tap = TAP()


def move_balloon(g, stop, rng, counter):
    """Host side: a new target every 20-60 ms until @stop is set."""
    while not stop.is_set():
        g.qmp.cmd("balloon", value=rng.randrange(640, 1024) * MiB)
        counter[0] += 1
        time.sleep(rng.uniform(0.02, 0.06))


def run(accel, seconds, smp, seed):
    rng = random.Random(seed)
    g = Guest(machine="q35", mem="1G", balloon_opts=DEV, accel=accel, smp=smp)
    try:
        stop, changes = threading.Event(), [0]
        mover = threading.Thread(target=move_balloon, args=(g, stop, rng, changes))
        mover.start()
        try:
            rc, out = g.run(f"stress {seconds} seed={seed}", timeout=seconds * 20 + 300)
        finally:
            stop.set()
            mover.join()
        m = SUMMARY.search(out)
        tap(m is not None, "stress prints its summary line", out)
        if m:
            cpus, ops, paint, inv, delta = (int(m.group(i)) for i in (1, 4, 5, 6, 7))
            print(f"# stress: cpus={cpus} ops={ops} target_changes={changes[0]} seed={seed}")
            tap(cpus == smp, f"stress ran on every CPU ({cpus} of {smp})", out)
            tap(ops > 0, "stress did work", out)
            tap(paint == 0, f"0 paint errors ({paint})", out)
            tap(inv == 0, f"0 invariant errors ({inv})", out)
            tap(delta == 0, f"free count back exactly (free_delta {delta})", out)
        tap(rc == 0, f"stress returned 0 (status {rc})", out)
        tap(changes[0] >= seconds * 5, f"host changed the target {changes[0]} times", "")
        want = 896 * MiB
        g.qmp.cmd("balloon", value=want)
        ok, last, secs = wait_actual(g, want, timeout=300)
        tap(ok, f"query-balloon reaches 896 MiB after the storm ({last}, {secs:.1f} s)", "")
        ok, chk = g.check("balloon check", "problems")
        tap(ok, "balloon check: 0 problems", chk)
        ok, mm = g.check("mmcheck", "problems", lead="mmcheck:")
        tap(ok, "mmcheck: 0 problems", mm)
        f = parse_balloon(g.shell("balloon"))
        host_pages = (RAM - g.qmp.cmd("query-balloon")["actual"]) // 4096
        tap(f.get("actual") == host_pages and not f["broken"],
            f"guest and host agree on actual ({f.get('actual')} vs {host_pages} pages)", str(f))
    finally:
        g.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--smp", type=int, default=SMP)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1, 1 << 32)
    print(f"# seed {seed} (replay: --seed {seed})", flush=True)
    try:
        run(a.accel, a.seconds, a.smp, seed)
    except QMPError as e:
        tap(False, "guest run", str(e))
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
