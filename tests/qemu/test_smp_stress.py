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

It runs with 4 CPUs on each machine type (q35, pc, microvm), 10 s each in
`make test`; a longer run is `--seconds 300`.

Options: --accel tcg|kvm|auto (default tcg), --seconds N (default 10),
--smp N (default 4), --machine M (repeatable; default q35, pc, microvm),
--seed N.
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

SMP = 4
MACHINES = ("q35", "pc", "microvm")
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


def run(machine, accel, seconds, smp, seed):
    rng = random.Random(seed)
    print(f"# {machine}, {smp} CPUs, {seconds} s", flush=True)
    # virtio-mmio (microvm) has no legacy/modern switch
    dev = DEV.replace("disable-legacy=on,", "") if machine == "microvm" else DEV
    g = Guest(machine=machine, mem="1G", balloon_opts=dev, accel=accel, smp=smp)
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
            tap(cpus == smp, f"{machine}: stress ran on every CPU ({cpus} of {smp})", out)
            tap(ops > 0, f"{machine}: stress did work", out)
            tap(paint == 0, f"{machine}: 0 paint errors ({paint})", out)
            tap(inv == 0, f"{machine}: 0 invariant errors ({inv})", out)
            tap(delta == 0, f"{machine}: free count back exactly (free_delta {delta})", out)
        tap(rc == 0, f"{machine}: stress returned 0 (status {rc})", out)
        tap(changes[0] >= seconds * 5, f"{machine}: host changed the target {changes[0]} times", "")
        want = 896 * MiB
        g.qmp.cmd("balloon", value=want)
        ok, last, secs = wait_actual(g, want, timeout=300)
        tap(ok, f"{machine}: query-balloon reaches 896 MiB after the storm ({last}, {secs:.1f} s)", "")
        ok, chk = g.check("balloon check", "problems")
        tap(ok, f"{machine}: balloon check: 0 problems", chk)
        ok, mm = g.check("mmcheck", "problems", lead="mmcheck:")
        tap(ok, f"{machine}: mmcheck: 0 problems", mm)
        f = parse_balloon(g.shell("balloon"))
        host_pages = (RAM - g.qmp.cmd("query-balloon")["actual"]) // 4096
        tap(f.get("actual") == host_pages and not f["broken"],
            f"{machine}: guest and host agree on actual ({f.get('actual')} vs {host_pages} pages)", str(f))
    finally:
        g.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--machine", action="append", choices=MACHINES)
    ap.add_argument("--smp", type=int, default=SMP)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1, 1 << 32)
    print(f"# seed {seed} (replay: --seed {seed})", flush=True)
    for machine in a.machine or MACHINES:
        try:
            run(machine, a.accel, a.seconds, a.smp, seed)
        except QMPError as e:
            tap(False, f"{machine}: guest run", str(e))
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
