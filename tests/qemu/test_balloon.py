#!/usr/bin/env python3
"""test_balloon.py - virtio-balloon system tests through QMP (TAP output).

For each transport (virtio-pci modern on q35, legacy with disable-modern=on,
virtio-mmio on microvm): boot a 1 GiB guest, balloon it to 512 MiB and
back with QMP `balloon`, and check that `query-balloon` reaches each target
and that the guest's own `balloon` command agrees, with its invariant check
clean. On the modern transport also: guest-stats equal the guest's
meminfo, a target larger than RAM is clamped, and random target changes
end with every page accounted for.

Options: --quick (modern transport only), --accel tcg|kvm|auto (default tcg).
"""
import argparse
import os
import random
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from qmp import Guest, QMPError, parse_balloon, TAP, wait_actual  # noqa: E402

MiB = 1 << 20
RAM = 1024 * MiB

tap = TAP()



def balloon_to(g, label, mib):
    want = mib * MiB
    g.qmp.cmd("balloon", value=want)
    ok, last, secs = wait_actual(g, want)
    tap(ok, f"{label}: query-balloon reaches {mib} MiB",
        f"actual {last} after {secs:.1f} s\n{g.shell('balloon')}")
    text = g.shell("balloon")
    f = parse_balloon(text)
    pages = (RAM - want) >> 12
    tap(f.get("actual") == pages and f.get("target") == pages and not f["broken"],
        f"{label}: guest balloon shows {pages} pages held at {mib} MiB", text)
    ok, chk = g.check("balloon check", "problems")
    tap(ok, f"{label}: balloon invariant holds at {mib} MiB", chk)
    return secs


def meminfo_kb(text, key):
    m = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) if m else None


def stats_test(g, label):
    dev = "/machine/peripheral/balloon0"
    g.qmp.cmd("qom-set", path=dev, property="guest-stats-polling-interval", value=1)
    stats = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = g.qmp.cmd("qom-get", path=dev, property="guest-stats")
        if r.get("last-update", 0) and r["stats"].get("stat-total-memory", -1) > 0:
            # a second update, so the figures are fresh
            first = r["last-update"]
            while time.monotonic() < deadline:
                time.sleep(0.5)
                r = g.qmp.cmd("qom-get", path=dev, property="guest-stats")
                if r["last-update"] != first:
                    stats = r["stats"]
                    break
            break
        time.sleep(0.5)
    tap(stats is not None, f"{label}: guest-stats are reported", str(stats))
    if stats is None:
        return
    mi = g.shell("meminfo")
    total = meminfo_kb(mi, "MemManaged")
    free = meminfo_kb(mi, "MemFree")
    tap(total is not None and stats["stat-total-memory"] == total * 1024,
        f"{label}: stat-total-memory equals guest MemManaged",
        f"stats {stats}\n{mi}")
    avail = meminfo_kb(mi, "MemAvailable")
    tap(free is not None and stats["stat-free-memory"] == free * 1024,
        f"{label}: stat-free-memory equals guest MemFree", f"stats {stats}\n{mi}")
    tap(avail is not None and stats["stat-available-memory"] == avail * 1024 and
        avail != free,
        f"{label}: stat-available-memory equals guest MemAvailable (not MemFree)",
        f"stats {stats}\n{mi}")


def clamp_test(g, label):
    # A target below the guest's footprint: QEMU asks for nearly all RAM.
    g.qmp.cmd("balloon", value=1)
    time.sleep(3)
    text = g.shell("balloon")
    f = parse_balloon(text)
    tap(not f["broken"] and f.get("actual", 0) > 0,
        f"{label}: an unreachable target inflates as far as memory allows, no breakage", text)
    ok, chk = g.check("balloon check", "problems")
    tap(ok, f"{label}: invariant holds after an unreachable target", chk)
    rc, mi = g.run("meminfo")
    free = meminfo_kb(mi, "MemFree")
    held_kb = f.get("actual", 0) * 4
    managed = meminfo_kb(mi, "MemManaged")
    tap(rc == 0 and free is not None and managed is not None and free + held_kb <= managed,
        f"{label}: guest still answers while the balloon is full, and its free memory "
        f"excludes the {held_kb} kB held", mi)
    g.qmp.cmd("balloon", value=RAM)
    ok, last, secs = wait_actual(g, RAM)
    tap(ok, f"{label}: deflates fully after an unreachable target", f"actual {last}")


def random_targets(g, label, seed):
    rng = random.Random(seed)
    for _ in range(12):
        g.qmp.cmd("balloon", value=rng.randrange(256, 1024) * MiB)
        time.sleep(rng.random() * 0.5)
    final = rng.randrange(512, 1024) * MiB
    g.qmp.cmd("balloon", value=final)
    ok, last, secs = wait_actual(g, final)
    tap(ok, f"{label}: random targets (seed {seed}) settle on the last one", f"actual {last}")
    ok, chk = g.check("balloon check", "problems")
    tap(ok, f"{label}: every page accounted for after random targets", chk)


def run_transport(label, machine, opts, accel, full):
    try:
        g = Guest(machine=machine, mem="1G", balloon_opts=opts, accel=accel)
    except QMPError as e:
        tap(False, f"{label}: boots with a balloon and a QMP socket", str(e))
        return
    try:
        boot = g.out
        tap(re.search(r"virtio-balloon .*features", boot) is not None,
            f"{label}: balloon driver probed", boot[-2000:])
        ok = re.search(rf"via {re.escape(TRANSPORT_NAME[label])}", boot) is not None
        tap(ok, f"{label}: uses the {TRANSPORT_NAME[label]} transport", boot[-2000:])
        t_in = balloon_to(g, label, 512)
        t_out = balloon_to(g, label, 1024)
        print(f"# {label}: inflate 512 MiB in {t_in:.2f} s, deflate in {t_out:.2f} s", flush=True)
        if full:
            stats_test(g, label)
            clamp_test(g, label)
            random_targets(g, label, int(os.environ.get("BALLAST_SEED", "12345")))
    except QMPError as e:
        tap(False, f"{label}: QMP session", str(e))
    finally:
        g.close()


TRANSPORT_NAME = {
    "modern": "virtio-pci-modern",
    "legacy": "virtio-pci-legacy",
    "mmio": "virtio-mmio",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--accel", default="tcg")
    a = ap.parse_args()
    print("TAP version 13", flush=True)
    run_transport("modern", "q35", "disable-legacy=on", a.accel, True)
    if not a.quick:
        run_transport("legacy", "q35", "disable-modern=on", a.accel, False)
        run_transport("mmio", "microvm", "", a.accel, False)
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
