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

--linux DIR measures a Linux guest the same way instead (plug and unplug of
free memory; no frag case): DIR holds Debian's linux-image and
busybox-static packages unpacked (`apt-get download linux-image-6.1.0-NN-amd64
busybox-static`, `dpkg-deb -x` each into DIR); the script builds an
initramfs that loads virtio_ring, virtio, virtio_pci(_modern_dev,
_legacy_dev) and virtio_mem and waits, and boots with
`memhp_default_state=online_movable` (Linux onlines each added memory
block to ZONE_MOVABLE, as Ballast does).
"""
import argparse
import glob
import gzip
import json
import select
import stat
import subprocess
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


LINUX_MODULES = ["virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
                 "virtio_pci", "virtio_mem"]
LINUX_INIT = """#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
for m in %s; do /bin/busybox insmod /mod/$m.ko; done
echo "linux: ready"
while true; do /bin/busybox sleep 1; done
""" % " ".join(LINUX_MODULES)


def cpio_newc(files, out):
    """Write a gzipped newc cpio of @files (name -> (mode, bytes)) to @out."""
    data = bytearray()
    for ino, (name, (mode, body)) in enumerate(sorted(files.items()), 1):
        hdr = "070701" + "".join("%08X" % v for v in (ino, mode, 0, 0, 1, 0, len(body), 0, 0, 0, 0,
                                                        len(name) + 1, 0))
        data += hdr.encode() + name.encode() + b"\0"
        data += b"\0" * (-len(data) % 4) + body
        data += b"\0" * (-len(data) % 4)
    data += ("070701" + "%08X" % 0 * 11 + "%08X" % 11 + "%08X" % 0).encode() + b"TRAILER!!!\0"
    data += b"\0" * (-len(data) % 4)
    with gzip.open(out, "wb", compresslevel=1) as g:
        g.write(bytes(data))


def linux_run(d, accel):
    """Boot Debian's kernel from @d with a virtio-mem device; the free plug/unplug figures."""
    vmlinuz = sorted(glob.glob(os.path.join(d, "boot", "vmlinuz-*")))[-1]
    files = {"init": (stat.S_IFREG | 0o755, LINUX_INIT.encode()),
             "bin/busybox": (stat.S_IFREG | 0o755, open(os.path.join(d, "bin", "busybox"), "rb").read())}
    for dn in ("bin", "proc", "mod"):
        files[dn] = (stat.S_IFDIR | 0o755, b"")
    for m in LINUX_MODULES:
        ko = glob.glob(os.path.join(d, "lib", "modules", "*", "kernel", "drivers", "virtio", m + ".ko"))
        if not ko:
            sys.exit(f"bench_vmem: {m}.ko not found under {d}")
        files[f"mod/{m}.ko"] = (stat.S_IFREG | 0o644, open(ko[0], "rb").read())
    initrd = os.path.join(d, "vmem-initrd.gz")
    cpio_newc(files, initrd)
    import qemu
    qmp_path = os.path.join(d, "qmp.sock")
    if os.path.exists(qmp_path):
        os.unlink(qmp_path)
    m, dev = qemu.vmem_args("1G", "4G", "2M", "0")
    cmd = ["qemu-system-x86_64", "-nodefaults", "-display", "none", "-M", "q35", "-accel", accel,
           "-cpu", "max", "-m", m, "-smp", "1", "-serial", "stdio", "-kernel", vmlinuz,
           "-initrd", initrd, "-append", "console=ttyS0 memhp_default_state=online_movable quiet",
           "-qmp", f"unix:{qmp_path},server=on,wait=off"] + dev
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, t0, res = b"", time.monotonic(), []
    try:
        while b"linux: ready" not in out:
            if time.monotonic() - t0 > 300:
                sys.exit("bench_vmem: the Linux guest did not come up:\n" + out.decode(errors="replace")[-2000:])
            r, _, _ = select.select([p.stdout], [], [], 1)
            if r:
                out += os.read(p.stdout.fileno(), 65536)
        q = qemu.QMPLink(qmp_path, timeout=30)

        class G:
            qmp = q

            @staticmethod
            def _pump(wait):
                time.sleep(wait)
        for size in (GiB, 4 * GiB):
            pl, un = timed(G, size), timed(G, 0)
            if pl is None or un is None:
                sys.exit(f"bench_vmem: Linux did not settle at {size}")
            res.append({"case": f"plug {size // GiB}G", "bytes": size, "s": pl})
            res.append({"case": f"unplug {size // GiB}G free", "bytes": size, "s": un})
        q.cmd("quit")
    finally:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default=os.path.join(ROOT, "build", "ballast.elf"))
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--linux", default=None, metavar="DIR",
                    help="measure Debian's Linux (unpacked in DIR) instead")
    a = ap.parse_args()
    rows = []
    sys.path.insert(0, HERE)
    for _ in range(a.runs):
        for r in (linux_run(a.linux, a.accel) if a.linux else one_run(a.kernel, a.accel)):
            r["bench"] = "vmem-linux" if a.linux else "vmem"
            r["accel"] = a.accel
            r["gib_per_s"] = round(r["bytes"] / GiB / r["s"], 3)
            r["s"] = round(r["s"], 3)
            print(json.dumps(r), flush=True)
            rows.append(r)
    who = "Linux" if a.linux else "Ballast"
    print(f"{'virtio-mem, ' + who + ' (' + a.accel + ')':<28} {'seconds':>9} {'GiB/s':>8}")
    for r in rows:
        print(f"{r['case']:<28} {r['s']:>9.3f} {r['gib_per_s']:>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
