#!/usr/bin/env python3
"""test_transport.py - virtio transports and their interrupts, through QMP (TAP output).

One small guest (256 MiB) per machine with two virtio devices: the balloon
and an entropy device (virtio-rng, the device QEMU 7.2 gives MSI-X; its
balloon has no MSI-X table). The balloon goes to 128 MiB and back with QMP
`balloon`; `query-balloon` must reach each target and `balloon check` must
be clean. Each device's interrupt mode must be the expected one, the
interrupts must have been delivered on it (the guest's `virtio` and `irqs`
commands show modes and per-vector counts), and nothing may poll:

  microvm-pci  ECAM and BARs from the DSDT (Ballast assigns them);
               balloon modern INTx through the DSDT link GSIs (16-19),
               rng MSI-X, config vector + one queue vector
  q35          balloon modern INTx (SeaBIOS line), rng MSI-X with a single
               vector shared by config and queue
  q35 legacy   balloon and rng with disable-modern=on: legacy INTx
  pc           balloon legacy INTx (an ISA line with a MADT override), rng MSI-X
  q35 shared   balloon and rng on one shared INTx line (one vector, two handlers)
  microvm      virtio-mmio, GSIs 24+ on the second IOAPIC, from the DSDT
  microvm      acpi=off: virtio-mmio slots and GSIs from the command line
  ioapic2=off  microvm and microvm-pci with one IOAPIC (GSIs 16-23, 12-15)

MSI-X fallback (microvm-pci, q35): `virtio intx` takes the path a refused
vector takes (vectors freed, MSI-X off, INTx routed) and the rng must keep
working on its INTx line.

Hardening (microvm-pci and q35 legacy): every vector of both devices and an
unallocated one get a spurious self-IPI; the counts say they were seen and
ignored, and the balloon and rng still work afterwards.

Options: --accel tcg|kvm|auto (default tcg), --only NAME (substring).
"""
import argparse
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from qmp import Guest, QMPError, parse_balloon, TAP, wait_actual  # noqa: E402

MiB = 1 << 20
MEM_MIB = 256

tap = TAP()



def balloon_round(g, label):
    """Balloon to half the RAM and back; TAP lines for each target and the invariant."""
    for mib in (MEM_MIB // 2, MEM_MIB):
        g.qmp.cmd("balloon", value=mib * MiB)
        ok, last, _ = wait_actual(g, mib * MiB)
        tap(ok, f"{label}: query-balloon reaches {mib} MiB",
            f"actual {last}\n{g.shell('balloon')}\n{g.shell('virtio')}")
        f = parse_balloon(g.shell("balloon"))
        pages = (MEM_MIB - mib) * MiB >> 12
        tap(f.get("actual") == pages and not f["broken"],
            f"{label}: guest balloon holds {pages} pages at {mib} MiB", str(f))
    ok, chk = g.check("balloon check", "problems")
    tap(ok, f"{label}: balloon invariant holds", chk)


def irq_table(g):
    """The guest's `irqs` rows: {name: (vector, count, source)} and the unhandled count."""
    text = g.shell("irqs")
    rows = {}
    for m in re.finditer(r"^\s*(\d+)\s+(\d+)\s+(MSI/local|GSI \d+ \S+)\s+(.+?)\s*$", text, re.M):
        rows[m.group(4)] = (int(m.group(1)), int(m.group(2)), m.group(3))
    un = re.search(r"^unhandled: (\d+)", text, re.M)
    return rows, int(un.group(1)) if un else None, text


def virtio_devices(g):
    """The guest's `virtio` output as {device id: {name, mode, irqs, config, queue, spurious}}."""
    text = g.shell("virtio")
    devs = {}
    for m in re.finditer(r"^(\S+): device (\d+) via \S+, interrupts (.+)\n\s+irqs (\d+) config (\d+) "
                         r"queue (\d+) spurious (\d+)", text, re.M):
        devs[int(m.group(2))] = {"name": m.group(1), "mode": m.group(3).strip(),
                                 "irqs": int(m.group(4)), "config": int(m.group(5)),
                                 "queue": int(m.group(6)), "spurious": int(m.group(7))}
    return devs, text


BALLOON, RNG = 5, 4


def device_vectors(rows, dev):
    """The `irqs` rows whose name belongs to virtio device @dev."""
    return {name: r for name, r in rows.items() if name == dev or name.startswith(dev + " ")}


def rng_read(g, label):
    rc, text = g.run("rng 64")
    m = re.search(r"rng: 64 bytes:((?: [0-9a-f]{2})+)\s*\nrng: reads (\d+) bytes (\d+) interrupts (\d+)",
                  text)
    tap(rc == 0 and m is not None and len(set(m.group(1).split())) > 1,
        f"{label}: rng returns 64 bytes, woken by its interrupt", text)
    return text


def check_modes(g, label, modes):
    """Each device uses the expected interrupt path, delivered on it, and nothing polls."""
    devs, text = virtio_devices(g)
    rows, _, itext = irq_table(g)
    tap("polling every" not in g.out and "driver polls it" not in g.out,
        f"{label}: no device falls back to polling", g.out[-2000:])
    vecs = {}
    for dev_id, (mode_re, nvec) in modes.items():
        d = devs.get(dev_id)
        what = "balloon" if dev_id == BALLOON else "rng"
        tap(d is not None and re.fullmatch(mode_re, d["mode"]) is not None,
            f"{label}: {what} interrupt mode is {mode_re}", text)
        if d is None:
            continue
        mine = device_vectors(rows, d["name"])
        vecs.update(mine)
        tap(len(mine) == nvec, f"{label}: {what} has {nvec} vector(s)", itext)
        counted = sum(r[1] for r in mine.values())
        if dev_id == BALLOON:
            tap(d["config"] > 0 and d["queue"] > 0 and counted >= d["irqs"] > 0,
                f"{label}: balloon config-change and queue interrupts delivered", text + itext)
        else:
            qv = [r[1] for name, r in mine.items() if not name.endswith(" config")]
            tap(d["queue"] > 0 and (not qv or sum(qv) > 0) and counted > 0,
                f"{label}: rng queue interrupts delivered on its vector", text + itext)
    return devs, vecs


def hardening(g, label, vecs):
    """Spurious interrupts on every device vector and an unused one are harmless."""
    devs0, _ = virtio_devices(g)
    rows, un0, _ = irq_table(g)
    used = {r[0] for r in rows.values()}
    spare = next(v for v in range(254, 48, -1) if v not in used)
    for name, (vec, count, src) in sorted(vecs.items()):
        g.shell(f"irqs inject {vec}")
    g.shell(f"irqs inject {spare}")
    g.shell("uptime")
    devs1, text = virtio_devices(g)
    rows1, un1, itext = irq_table(g)
    seen = all(rows1[name][1] >= r[1] + 1 for name, r in vecs.items())
    tap(seen, f"{label}: every injected vector counted", itext)
    # a config vector carries no cause under MSI-X (it looks like a config
    # change); every other injected interrupt finds nothing to do: spurious
    cfg = sum(1 for name in vecs if name.endswith(" config"))
    sp0 = sum(d["spurious"] for d in devs0.values())
    sp1 = sum(d["spurious"] for d in devs1.values())
    tap(sp1 >= sp0 + len(vecs) - cfg, f"{label}: injected interrupts without a cause count as spurious",
        f"spurious {sp0} -> {sp1}, {len(vecs)} vectors\n{text}")
    tap(un0 is not None and un1 == un0 + 1, f"{label}: an unallocated vector is counted and ignored",
        itext)
    balloon_round(g, f"{label} after spurious interrupts")
    rng_read(g, f"{label} after spurious interrupts")


def msix_fallback(g, label):
    """Force the rng from MSI-X to INTx (the refused-vector fallback) and use it there."""
    devs, text = virtio_devices(g)
    rng = devs.get(RNG)
    rc, out = g.run(f"virtio intx {rng['name']}") if rng else (None, text)
    devs, text = virtio_devices(g)
    rows, _, itext = irq_table(g)
    mine = device_vectors(rows, rng["name"]) if rng else {}
    live = {k: v for k, v in mine.items() if not k.endswith("(freed)")}
    tap(rc == 0 and devs.get(RNG, {}).get("mode", "").startswith("INTx GSI") and len(live) == 1,
        f"{label}: rng falls back from MSI-X to one INTx line", out + text + itext)
    before = sum(v[1] for v in live.values())
    rng_read(g, f"{label} after the INTx fallback")
    rows, _, itext = irq_table(g)
    after = sum(v[1] for k, v in device_vectors(rows, rng["name"]).items()
                if not k.endswith("(freed)")) if rng else 0
    tap(after > before, f"{label}: rng interrupts now arrive on its INTx line", itext)


def shared_line(g, label):
    """Balloon and rng on one INTx line: both work, each counts the other's interrupts as spurious."""
    devs, text = virtio_devices(g)
    rows, _, itext = irq_table(g)
    b = device_vectors(rows, devs[BALLOON]["name"]) if BALLOON in devs else {}
    r = device_vectors(rows, devs[RNG]["name"]) if RNG in devs else {}
    bv = {v[0] for v in b.values()}
    rv = {v[0] for v in r.values()}
    if len(bv) != 1 or bv != rv:
        tap.skip(f"{label}: balloon and rng share one vector",
                 "the firmware did not put them on one line here")
        return
    tap(True, f"{label}: balloon and rng share one vector")
    tap(devs[BALLOON]["spurious"] > 0 or devs[RNG]["spurious"] > 0,
        f"{label}: each handler of the shared line tells its own interrupts from the other's", text)


def run_case(args, label, machine, balloon_opts, rng_dev, modes, harden=False, extra=(),
             expect_log=None, fallback=False, shared=False):
    if args.only and args.only not in label:
        return
    g = None
    try:
        g = Guest(machine=machine, mem=f"{MEM_MIB}M", balloon_opts=balloon_opts, accel=args.accel,
                  extra=["-device", rng_dev, *extra])
        if expect_log:
            tap(re.search(expect_log, g.out) is not None, f"{label}: boot log matches {expect_log}",
                g.out[-3000:])
        balloon_round(g, label)
        rng_read(g, label)
        devs, vecs = check_modes(g, label, modes)
        if harden:
            hardening(g, label, vecs)
        if fallback:
            msix_fallback(g, label)
        if shared:
            shared_line(g, label)
    except (QMPError, OSError, StopIteration) as e:
        tap(False, f"{label}: guest session", f"{e}\n{g.out[-3000:] if g else ''}")
    finally:
        if g:
            g.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    print("TAP version 13", flush=True)
    run_case(args, "microvm-pci", "microvm-pci", "", "virtio-rng-pci",
             {BALLOON: (r"INTx GSI 1[6-9]", 1), RNG: (r"MSI-X \(2 vectors\)", 2)}, harden=True,
             fallback=True)
    # one IOAPIC: the bridge's links move to GSIs 12-15, rng without MSI-X uses INTx too
    run_case(args, "microvm-pci ioapic2=off", "microvm-pci", "", "virtio-rng-pci,vectors=0",
             {BALLOON: (r"INTx GSI 1[2-5]", 1), RNG: (r"INTx GSI 1[2-5]", 1)},
             extra=["-machine", "ioapic2=off"])
    run_case(args, "q35 modern", "q35", "disable-legacy=on", "virtio-rng-pci,disable-legacy=on,vectors=1",
             {BALLOON: (r"INTx GSI \d+", 1), RNG: (r"MSI-X \(1 vectors\)", 1)}, fallback=True)
    run_case(args, "q35 legacy", "q35", "disable-modern=on", "virtio-rng-pci,disable-modern=on",
             {BALLOON: (r"INTx GSI \d+", 1), RNG: (r"INTx GSI \d+", 1)}, harden=True)
    # slot 4 and slot 1 (the balloon) get the same PIRQ line from SeaBIOS: a shared GSI
    run_case(args, "q35 shared INTx", "q35", "disable-modern=on", "virtio-rng-pci,disable-modern=on,addr=4",
             {BALLOON: (r"INTx GSI \d+", 1), RNG: (r"INTx GSI \d+", 1)}, shared=True)
    run_case(args, "pc", "pc", "disable-modern=on", "virtio-rng-pci",
             {BALLOON: (r"INTx GSI \d+", 1), RNG: (r"MSI-X \(2 vectors\)", 2)})
    run_case(args, "microvm mmio", "microvm", "", "virtio-rng-device",
             {BALLOON: (r"IOAPIC GSI (2[4-9]|3\d|4[0-7])", 1), RNG: (r"IOAPIC GSI (2[4-9]|3\d|4[0-7])", 1)})
    run_case(args, "microvm mmio ioapic2=off", "microvm", "", "virtio-rng-device",
             {BALLOON: (r"IOAPIC GSI (1[6-9]|2[0-3])", 1), RNG: (r"IOAPIC GSI (1[6-9]|2[0-3])", 1)},
             extra=["-machine", "ioapic2=off"])
    # without ACPI: one IOAPIC, slots and GSIs from QEMU's virtio_mmio.device= words
    run_case(args, "microvm mmio acpi=off", "microvm", "", "virtio-rng-device",
             {BALLOON: (r"IOAPIC GSI \d+", 1), RNG: (r"IOAPIC GSI \d+", 1)},
             extra=["-machine", "acpi=off"], expect_log=r"command line \".*virtio_mmio\.device=512@0x")
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
