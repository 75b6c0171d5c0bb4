#!/usr/bin/env python3
"""test_reporting.py - free page reporting seen from the host (TAP output).

With free-page-reporting=on: boot a 1.5 GiB guest, make it allocate 1 GiB
with zeroing (so QEMU really backs those pages: its VmRSS grows), free it,
and expect QEMU's VmRSS (/proc/<pid>/status) to drop by at least 90% of the
freed amount within a bounded wait; the guest's `balloon` must show at
least that much reported, no errors, and its invariants must hold; memory
reported and reused must allocate and free again cleanly.

The same drop (512 MiB) on the legacy virtio-pci and the virtio-mmio
transports. Without the property (QEMU's default): the feature is not
negotiated, the guest reports nothing and VmRSS stays up after the same
free.

Options: --accel tcg|kvm|auto (default tcg), --mem (default 1536M).
"""
import argparse
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from qmp import Guest, QMPError, TAP, alloc_result, reports_zero  # noqa: E402

FREED_MIB = 1024
BLOCKS = FREED_MIB // 2          # order-9 blocks (2 MiB each)
WAIT_S = 90                       # bound on the drop (reporting delay is ~2 s)
QUIET_S = 8                       # > 3 reporting delays, for the negative case

tap = TAP()


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise QMPError("no VmRSS for QEMU")


def reported_pages(text):
    m = re.search(r"^\s*reported (\d+) pages", text, re.M)
    return int(m.group(1)) if m else -1


def alloc_zeroed(g, label, blocks):
    """`alloc 9 @blocks zero`: one TAP line, true if every block was taken (status 0)."""
    rc, out = g.run(f"alloc 9 {blocks} zero", timeout=600)
    return tap(rc == 0 and alloc_result(out) == (blocks, blocks),
               f"{label}: guest allocates and zeroes {blocks * 2} MiB", out)


def free_all(g, label, blocks):
    """`free`: one TAP line, true if it released exactly @blocks blocks and holds none."""
    rc, out = g.run("free")
    m = re.search(r"^free: released (\d+) blocks \(\d+ pages\); holding (\d+) blocks", out, re.M)
    return tap(rc == 0 and m is not None and int(m.group(1)) == blocks and m.group(2) == "0",
               f"{label}: guest frees its {blocks} blocks", out)


def no_errors(text):
    """The balloon's reporting line says 0 errors and reporting was not stopped."""
    return reports_zero(text, "errors", lead="reported", n=1) and "STOPPED" not in text


def alloc_touch_free(g, label):
    """Allocate FREED_MIB with zeroing, free it; returns QEMU's RSS before the free."""
    alloc_zeroed(g, label, BLOCKS)
    high = rss_mib(g.pid())
    free_all(g, label, BLOCKS)
    return high


def test_on(accel, mem):
    g = Guest(mem=mem, balloon_opts="free-page-reporting=on", accel=accel, boot_timeout=300)
    try:
        out = g.shell("balloon")
        m = re.search(r"features (0x[0-9a-f]+)", out)
        feats = int(m.group(1), 16) if m else 0
        tap(bool(feats & (1 << 5)), "on: PAGE_REPORTING (bit 5) negotiated", out)
        low = rss_mib(g.pid())
        high = alloc_touch_free(g, "on")
        grew = high - low
        tap(grew >= 0.9 * FREED_MIB, f"on: QEMU RSS grew by the touched memory ({grew:.0f} MiB)",
            f"rss before {low:.0f} MiB, after alloc {high:.0f} MiB")
        t0 = time.monotonic()
        target = high - 0.9 * FREED_MIB
        now = high
        while time.monotonic() - t0 < WAIT_S:
            now = rss_mib(g.pid())
            if now <= target:
                break
            time.sleep(0.25)
        secs = time.monotonic() - t0
        print(f"# on: RSS {high:.0f} -> {now:.0f} MiB, {secs:.1f} s after the free", flush=True)
        tap(now <= target, f"on: QEMU RSS drops by >= 90% of the freed {FREED_MIB} MiB",
            f"rss {now:.0f} MiB after {secs:.1f} s (wanted <= {target:.0f})\n{g.shell('balloon')}")
        out = g.shell("balloon")
        rep = reported_pages(out)
        tap(rep >= FREED_MIB * 256, f"on: guest reported >= {FREED_MIB} MiB ({rep} pages)", out)
        tap(no_errors(out), "on: no reporting errors", out)
        vm = g.shell("vmstat")
        m = re.search(r"page_reporting_pages (\d+)", vm)
        tap(bool(m) and int(m.group(1)) == rep, "on: vmstat page_reporting_pages equals the balloon's count",
            vm[-1500:])
        ok, out = g.check("mmcheck", "problems", lead="mmcheck:")
        tap(ok, "on: allocator invariants hold after reporting", out)
        # reported memory is ordinary free memory: reuse it, free it, report again
        alloc_zeroed(g, "on: reported memory allocates again", BLOCKS // 2)
        g.shell("free")
        ok, out = g.check("mmcheck", "problems", lead="mmcheck:")
        tap(ok, "on: invariants hold after reuse", out)
        ok, out = g.check("balloon check", "problems")
        tap(ok, "on: balloon check clean", out)
    finally:
        g.close()


def test_transport(accel, machine, opts, label, mib=512):
    """The same drop on another transport, with a smaller amount (1 GiB guest)."""
    g = Guest(machine=machine, mem="1G", balloon_opts=opts, accel=accel, boot_timeout=300)
    try:
        alloc_zeroed(g, label, mib // 2)
        high = rss_mib(g.pid())
        g.shell("free")
        t0 = time.monotonic()
        now = high
        while time.monotonic() - t0 < WAIT_S:
            now = rss_mib(g.pid())
            if now <= high - 0.9 * mib:
                break
            time.sleep(0.25)
        out = g.shell("balloon")
        tap(now <= high - 0.9 * mib,
            f"{label}: QEMU RSS drops by >= 90% of {mib} MiB ({high:.0f} -> {now:.0f} MiB)", out)
        tap(reported_pages(out) >= mib * 256 and no_errors(out),
            f"{label}: guest reported it without errors", out)
    finally:
        g.close()


def test_legacy(accel, mem):
    test_transport(accel, "q35", "free-page-reporting=on,disable-modern=on,disable-legacy=off",
                   "legacy")


def test_mmio(accel, mem):
    test_transport(accel, "microvm", "free-page-reporting=on", "mmio")


def test_off(accel, mem):
    g = Guest(mem=mem, balloon_opts="", accel=accel, boot_timeout=300)
    try:
        out = g.shell("balloon")
        tap("not negotiated" in out and reported_pages(out) == 0,
            "off: reporting not negotiated, nothing reported", out)
        high = alloc_touch_free(g, "off")
        time.sleep(QUIET_S)
        now = rss_mib(g.pid())
        tap(now >= high - 0.1 * FREED_MIB,
            f"off: QEMU RSS stays up {QUIET_S} s after the free ({high:.0f} -> {now:.0f} MiB)")
        out = g.shell("balloon")
        tap(reported_pages(out) == 0, "off: reported counter stays 0", out)
    finally:
        g.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--mem", default="1536M")
    a = ap.parse_args()
    print("TAP version 13", flush=True)
    for fn in (test_on, test_legacy, test_mmio, test_off):
        try:
            fn(a.accel, a.mem)
        except (QMPError, OSError) as e:
            tap(False, f"{fn.__name__}: guest run", str(e))
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
