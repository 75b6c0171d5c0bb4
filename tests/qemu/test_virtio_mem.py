#!/usr/bin/env python3
"""test_virtio_mem.py - virtio-mem system tests through QMP (TAP output).

One q35 guest, 1 GiB of boot RAM, a virtio-mem-pci device (id vm0) over a
2 GiB RAM backend with 2 MiB blocks, a virtio-balloon with free page
reporting; TCG, one CPU, every wait bounded.

  plug      qom-set requested-size 1G: qom-get size reaches it, the guest's
            MemTotal grows by exactly 1 GiB, `virtio-mem` shows 1024 MiB
            plugged in 8 online memory blocks, its check finds 0 problems
  frag      frag 1of2 fills the plugged memory with painted movable pages;
            request 0: size reaches 0, MemTotal is back, `frag verify`
            finds every page's contents intact
  partial   plug 256 MiB, pin one page in each of 5 sub-blocks (`virtio-mem
            pin 5`), request 0: size stops at 10 MiB, the guest reports
            the blocked sub-blocks, a retry back-off and the unmovable
            reason; after `virtio-mem unpin` size reaches 0
  balloon   plug 512 MiB, inflate the balloon by 512 MiB (its pages may sit
            in plugged memory), change the requested size (to 256 MiB,
            then 768 MiB) while it is inflated and free page reporting
            runs; deflate; both checks clean, sizes agree

Options: --accel tcg|kvm|auto (default tcg).
"""
import argparse
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from qmp import Guest, QMPError, TAP, wait_actual  # noqa: E402

MiB = 1 << 20
GiB = 1 << 30
DEV = "/machine/peripheral/vm0"

tap = TAP()


def meminfo_kb(text, key):
    m = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) if m else None


def vm_size(g):
    return g.qmp.cmd("qom-get", path=DEV, property="size")


def request(g, size):
    g.qmp.cmd("qom-set", path=DEV, property="requested-size", value=size)


def wait_size(g, want, timeout):
    """Poll qom-get size until it equals @want; (ok, last, seconds)."""
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < timeout:
        last = vm_size(g)
        if last == want:
            return True, last, time.monotonic() - t0
        g._pump(0.05)
    return False, last, time.monotonic() - t0


def parse_vmem(text):
    """The figures `virtio-mem` prints (MiB, counts)."""
    f = {}
    m = re.search(r"requested (\d+) MiB target (\d+) MiB plugged (\d+) MiB device_plugged (\d+) MiB", text)
    if m:
        f["requested"], f["target"], f["plugged"], f["dev_plugged"] = map(int, m.groups())
    f["online"] = len(re.findall(r"^  block \d+: online ", text, re.M))
    f["plugged_sbs"] = sum(int(x) for x in re.findall(r"^  block \d+: \S+ plugged (\d+) ", text, re.M))
    m = re.search(r"blocked sub-blocks (\d+)", text)
    f["blocked"] = int(m.group(1)) if m else None
    f["retrying"] = re.search(r"^  retry in \d+ ms \(back-off \d+ ms", text, re.M) is not None
    m = re.search(r"^  last error: (.*)$", text, re.M)
    f["last_error"] = m.group(1) if m else ""
    return f


def vmem_check(g, label):
    ok, text = g.check("virtio-mem check", "problems")
    tap(ok, f"{label}: every page accounted for (virtio-mem check)", text)


def test_plug(g, total0):
    request(g, GiB)
    ok, last, secs = wait_size(g, GiB, 90)
    tap(ok, "plug: qom-get size reaches 1 GiB", f"size {last} after {secs:.1f} s")
    print(f"# plug 1 GiB: {secs:.2f} s", flush=True)
    mi = g.shell("meminfo")
    total = meminfo_kb(mi, "MemTotal")
    tap(total is not None and total - total0 == GiB // 1024,
        "plug: guest MemTotal grew by exactly 1048576 kB", f"before {total0} kB\n{mi}")
    text = g.shell("virtio-mem")
    f = parse_vmem(text)
    tap(f.get("plugged") == 1024 and f.get("dev_plugged") == 1024 and f["online"] == 8 and
        f["plugged_sbs"] == 512,
        "plug: virtio-mem shows 1024 MiB plugged in 8 online blocks (512 sub-blocks)", text)
    vmem_check(g, "plug")


def test_frag(g, total0):
    out = g.shell("frag 1of2 max=900M", timeout=300)
    tap(re.search(r"frag: pattern 1of2 generation \d+ held [1-9]\d* movable", g.shell("frag")) is not None,
        "frag: movable pages fill memory", out[-1500:])
    request(g, 0)
    ok, last, secs = wait_size(g, 0, 120)
    tap(ok, "frag: qom-get size reaches 0 with memory full of movable pages",
        f"size {last} after {secs:.1f} s\n{g.shell('virtio-mem')}")
    print(f"# unplug 1 GiB full of frag 1of2 pages: {secs:.2f} s", flush=True)
    ok, text = g.check("frag verify", "mismatches")
    tap(ok, "frag: every page's contents intact after the unplug", text)
    mi = g.shell("meminfo")
    tap(meminfo_kb(mi, "MemTotal") == total0, "frag: MemTotal back to the boot figure", mi)
    f = parse_vmem(g.shell("virtio-mem"))
    tap(f.get("plugged") == 0 and f["online"] == 0, "frag: no memory block left online",
        str(f))
    g.shell("frag free")
    vmem_check(g, "frag")


def test_partial(g):
    request(g, 256 * MiB)
    ok, last, _ = wait_size(g, 256 * MiB, 60)
    tap(ok, "partial: plugged 256 MiB", f"size {last}")
    out = g.shell("virtio-mem pin 5")
    tap(re.search(r"pinned 5 of 5 sub-blocks", out) is not None, "partial: 5 sub-blocks pinned", out)
    request(g, 0)
    ok, last, _ = wait_size(g, 10 * MiB, 60)
    time.sleep(2)
    stays = vm_size(g)
    tap(ok and stays == 10 * MiB, "partial: the unplug stops at 10 MiB (the 5 pinned sub-blocks)",
        f"size {last}, 2 s later {stays}")
    text = g.shell("virtio-mem")
    f = parse_vmem(text)
    tap(f.get("plugged") == 10 and f.get("requested") == 0 and f["retrying"] and
        (f["blocked"] or 0) >= 5 and "unmovable" in f["last_error"],
        "partial: virtio-mem reports the blocked sub-blocks, the back-off and why", text)
    vmem_check(g, "partial")
    g.shell("virtio-mem unpin")
    ok, last, secs = wait_size(g, 0, 60)
    tap(ok, "partial: after unpinning, size reaches 0", f"size {last} after {secs:.1f} s")
    vmem_check(g, "partial, unpinned")


def test_balloon(g, total0):
    request(g, 512 * MiB)
    ok, last, _ = wait_size(g, 512 * MiB, 60)
    tap(ok, "balloon: plugged 512 MiB", f"size {last}")
    # QEMU's balloon target counts boot RAM only (-m): 512 MiB leaves 512 MiB ballooned
    g.qmp.cmd("balloon", value=512 * MiB)
    request(g, 256 * MiB)
    ok1, last1, _ = wait_size(g, 256 * MiB, 90)
    request(g, 768 * MiB)
    ok2, last2, _ = wait_size(g, 768 * MiB, 90)
    tap(ok1 and ok2, "balloon: requested sizes reached while the balloon inflates",
        f"sizes {last1} {last2}\n{g.shell('virtio-mem')}\n{g.shell('balloon')}")
    ok, act, _ = wait_actual(g, 512 * MiB, timeout=90)
    tap(ok, "balloon: the balloon reaches its target next to virtio-mem", f"actual {act}")
    bal = g.shell("balloon")
    m = re.search(r"actual\s+(\d+) pages", bal)
    tap(m is not None and int(m.group(1)) == 512 * MiB // 4096,
        "balloon: the guest holds 131072 pages in the balloon", bal)
    g.qmp.cmd("balloon", value=GiB)
    ok, act, _ = wait_actual(g, GiB, timeout=90)
    tap(ok, "balloon: deflated fully", f"actual {act}")
    ok, text = g.check("balloon check", "problems")
    tap(ok, "balloon: balloon invariant holds", text)
    vmem_check(g, "balloon")
    mi = g.shell("meminfo")
    tap(meminfo_kb(mi, "MemTotal") == total0 + 768 * 1024,
        "balloon: MemTotal is boot RAM + the 768 MiB plugged", mi)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--accel", default="tcg")
    a = ap.parse_args()
    print("TAP version 13", flush=True)
    try:
        g = Guest(machine="q35", mem="1G", accel=a.accel, vmem="2G", vmem_block="2M",
                  balloon_opts="free-page-reporting=on")
    except QMPError as e:
        tap(False, "boots with a virtio-mem device and a QMP socket", str(e))
        return tap.plan()
    try:
        tap(re.search(r"virtio-mem \S+: region 0x100000000\+2048 MiB, block 2048 KiB, 16 memory blocks",
                      g.out) is not None, "driver probed the device at 4 GiB", g.out[-2000:])
        total0 = meminfo_kb(g.shell("meminfo"), "MemTotal")
        test_plug(g, total0)
        test_frag(g, total0)
        test_partial(g)
        test_balloon(g, total0)
    except QMPError as e:
        tap(False, "QMP session", str(e))
    finally:
        g.close()
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
