#!/usr/bin/env python3
"""test_smp.py - every CPU comes up, answers, and stops (TAP output).

Boots (all TCG, each bounded by a timeout):
  microvm PVH  -smp 1, 2, 4, 8: `cpuinfo` shows exactly -smp CPUs online with
               distinct APIC ids; `smp call` runs on every CPU and each row
               says it ran on its own CPU; `smp work` runs an item on each
               CPU's work loop; the -smp 2 boot has irq_affinity=balanced
               and a virtio-rng whose interrupts must then arrive on CPU 1
  pc, q35 PVH and q35 GRUB ISO  -smp 4: cpuinfo and `smp call` as above
  microvm -smp 4 smp_skip_cpu=2: CPU 2 is reported ("did not start, left
               out"), shown left-out by cpuinfo, absent from `smp call`;
               `irqs route` sends the virtio-rng line to CPU 1, and `rng`
               reads still work with the interrupt handled there
  q35 -smp 2 with a virtio-rng-pci (MSI-X): `irqs route` sends COM1's line
               and the rng's MSI-X queue vector to CPU 1; a shell session of
               40 commands then runs with every byte taken by CPU 1's
               interrupt (all run, in order, status 0: no byte lost,
               doubled or reordered), rng reads take their MSI-X interrupts
               on CPU 1 (none on CPU 0), and back on CPU 0 after a route back
  microvm -smp 4 ktest=smp: the in-kernel suite (tests/kernel/test_smp.c),
               and the lines its printk case printed from 4 CPUs at once
               must each be whole
  microvm -smp 4 `smp panic-test confirm both`: CPUs 0 and 1 panic at
               once; exactly one panic report, then one "stopped by NMI"
               block with a backtrace for each of the three other CPUs,
               none interleaved, then "ballast: stopped: panic"

Each microvm boot's "shell ready N ms after kmain" (from `uptime`) is
printed as a TAP comment: the boot-time figures for -smp 1/2/4/8. They are
reported, not asserted (tests never assert on time).

  microvm -smp 2 smp_skip_cpu=1x smp_timeout_ms=-5 irq_affinity=sideways:
               each malformed option is reported and its default used
               (both CPUs online)

Options: --only NAME (substring of a check group: boot, machines, skip, badopts,
irqmove, ktest, panic).
"""
import argparse
import os
import re
import select
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import qemu  # noqa: E402
from qmp import TAP, command_text, script_problems  # noqa: E402

tap = TAP()
RNG = ["-device", "virtio-rng-device"]


def boot(machine, smp, script, append="", path="pvh", extra=(), timeout=150):
    """Boot, run @script in the shell; (exit status, console text)."""
    cmd, _ = qemu.build_cmd(machine, path, "256M", "tcg", append, smp=smp, extra=extra,
                            quiet=True)
    rc, out = qemu.run(cmd, stdin_data=qemu.script_bytes(script), timeout=timeout, echo=False)
    return rc, out.replace("\r", "")


def cpuinfo_rows(text):
    """cpuinfo's rows: [(cpu, apic, mode, tsc_khz, state)]."""
    return [(int(c), int(a), m, int(k), s) for c, a, m, k, s in
            re.findall(r"^\s*(\d+)\s+(\d+)\s+(x2APIC|xAPIC|-)\s+(\d+)\s+(\S+)\s+\d+\s+\d+\s*$",
                       text, re.M)]


def call_rows(text):
    """`smp call` rows: {cpu: (ran_on, apic, calls)}."""
    return {int(c): (int(r), int(a), int(n)) for c, r, a, n in
            re.findall(r"^cpu (\d+): ran on cpu (-?\d+) apic (\d+) calls (\d+)$", text, re.M)}


def check_cpus(label, out, n, rc, script):
    """cpuinfo: n online, distinct APIC ids; smp call: each online CPU ran it itself."""
    bad = script_problems(out, script)
    tap(not bad and rc == 0, f"{label}: every command succeeds, clean power-off",
        "\n".join(bad) + out[-2000:])
    rows = cpuinfo_rows(command_text(out, "cpuinfo"))
    online = [r for r in rows if r[4] == "online"]
    tap(len(online) == n and len({r[1] for r in online}) == n and
        sorted(r[0] for r in online) == list(range(n)) and all(r[3] > 0 for r in online),
        f"{label}: cpuinfo lists {n} CPUs online, ids 0..{n - 1}, distinct APIC ids",
        command_text(out, "cpuinfo") or out[-2000:])
    calls = call_rows(command_text(out, "smp call"))
    apic_of = {r[0]: r[1] for r in online}
    tap(sorted(calls) == list(range(n)) and
        all(calls[c][0] == c and calls[c][2] == 1 and calls[c][1] == apic_of.get(c)
            for c in calls),
        f"{label}: smp call ran once on each of the {n} CPUs, each on itself",
        command_text(out, "smp call") or out[-2000:])
    return rows


def ready_ms(out):
    m = re.search(r"shell ready (\d+\.\d+) ms after kmain", out)
    return float(m.group(1)) if m else None


def vector_of_rng(out):
    """The vector of the virtio-rng (device 4) line, from `virtio` and `irqs`."""
    dev = re.search(r"^(\S+): device 4 via", command_text(out, "virtio"), re.M)
    if not dev:
        return None
    m = re.search(rf"^\s*(\d+)\s+\d+\s+GSI \d+ \S+\s+{re.escape(dev.group(1))}\s*$",
                  command_text(out, "irqs"), re.M)
    return int(m.group(1)) if m else None


def irq_cpus(text, vec):
    """The `irqs cpus` row of @vec: (routed-to CPU, {cpu: count})."""
    head = re.search(r"^ vec\s+to((?:\s+cpu\d+)+)\s+name$", text, re.M)
    row = re.search(rf"^\s*{vec}\s+(\d+|-)((?:\s+\d+)+)\s+\S", text, re.M)
    if not head or not row:
        return None, {}
    cpus = [int(c[3:]) for c in head.group(1).split()]
    return row.group(1), dict(zip(cpus, (int(x) for x in row.group(2).split())))


def group_boot():
    figures = {}
    for n in (1, 2, 4, 8):
        script = "cpuinfo\nsmp call\nsmp work\nuptime\n"
        append, extra = "", ()
        if n == 2:
            script = "cpuinfo\nsmp call\nsmp work\nvirtio\nirqs\nrng 16\nirqs cpus\nuptime\n"
            append, extra = "irq_affinity=balanced", RNG
        rc, out = boot("microvm", n, script, append=append, extra=extra)
        check_cpus(f"microvm -smp {n}", out, n, rc, script)
        work = re.findall(r"^cpu (\d+): work ran on cpu (-?\d+)$", command_text(out, "smp work"), re.M)
        tap(len(work) == n and all(a == b for a, b in work),
            f"microvm -smp {n}: smp work ran each CPU's item on that CPU",
            command_text(out, "smp work") or out[-1500:])
        figures[n] = ready_ms(out)
        if n == 2:
            vec = vector_of_rng(out)
            to, counts = irq_cpus(command_text(out, "irqs cpus"), vec)
            got = re.search(r"^rng: (\d+) bytes:", command_text(out, "rng 16"), re.M)
            tap(vec is not None and to == "1" and counts.get(1, 0) > 0 and counts.get(0, 1) == 0
                and got is not None and int(got.group(1)) == 16,
                "microvm -smp 2 irq_affinity=balanced: the rng line goes to CPU 1, its "
                "interrupts arrive there, and a 16-byte read works",
                f"vector {vec}, to {to}, counts {counts}\n" + out[-2500:])
    for n, ms in figures.items():
        print(f"# boot figure: microvm TCG -smp {n}: shell ready {ms} ms after kmain", flush=True)


def group_machines():
    script = "cpuinfo\nsmp call\n"
    for machine, path in (("pc", "pvh"), ("q35", "pvh"), ("q35", "iso")):
        rc, out = boot(machine, 4, script, path=path, timeout=300)
        check_cpus(f"{machine} {path.upper()} -smp 4", out, 4, rc, script)


def group_skip():
    script = "cpuinfo\nsmp call\nvirtio\nirqs\nirqs cpus\n"
    # The rng vector is read from this session's own output before `irqs route`
    # is sent, so the session is driven by hand.
    cmd, _ = qemu.build_cmd("microvm", "pvh", "256M", "tcg", "smp_skip_cpu=2 smp_timeout_ms=300",
                            smp=4, extra=RNG, quiet=True)
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = ""
    try:
        out = read_until(p, "ballast: ready", 120, out)
        p.stdin.write(qemu.SCRIPT_START + script.encode())
        p.stdin.flush()
        out = read_until(p, "[status] irqs", 60, out, count=2)
        vec = vector_of_rng(out)
        rest = f"irqs route {vec} 1\nrng 16\nrng 16\nirqs cpus\n"
        before = irq_cpus(command_text(out, "irqs cpus"), vec)[1]
        p.stdin.write(rest.encode() + qemu.SCRIPT_END)
        p.stdin.flush()
        out = read_until(p, "ballast: powering off", 60, out)
    except TimeoutError:
        vec, before, rest = None, {}, ""
    finally:
        p.kill()
        p.wait()
    out = out.replace("\r", "")
    rows = cpuinfo_rows(command_text(out, "cpuinfo"))
    states = {r[0]: r[4] for r in rows}
    tap(re.search(r"^smp: cpu 2 \(apic 2\): did not start, left out$", out, re.M) is not None and
        states == {0: "online", 1: "online", 2: "left-out", 3: "online"},
        "smp_skip_cpu=2: CPU 2 is reported and left out, the others are online",
        f"{states}\n{out[-2500:]}")
    calls = call_rows(command_text(out, "smp call"))
    tap(sorted(calls) == [0, 1, 3] and all(calls[c][0] == c for c in calls),
        "smp_skip_cpu=2: smp call runs on CPUs 0, 1 and 3 only", out[-2000:])
    after_to, after = irq_cpus(command_text(out, "irqs cpus", nth=1), vec)
    reads = re.findall(r"^rng: (\d+) bytes:", out, re.M)
    tap(vec is not None and re.search(rf"^irqs: vector {vec} now goes to CPU 1$", out, re.M)
        and after_to == "1" and after.get(1, 0) - before.get(1, 0) >= 2 and
        after.get(0, 0) == before.get(0, 0) and reads == ["16", "16"],
        "irqs route: the virtio-rng line moved to CPU 1 takes both reads' interrupts there "
        "(none on CPU 0), and both reads return 16 bytes",
        f"vector {vec}, before {before}, after {after_to} {after}, reads {reads}\n{out[-2500:]}")


def group_badopts():
    # Malformed SMP options: each is reported and its default used; nothing
    # half-parsed ("1x" is not CPU 1, "-5" is not a huge timeout).
    rc, out = boot("microvm", 2, "cpuinfo\n",
                   append="smp_skip_cpu=1x smp_timeout_ms=-5 irq_affinity=sideways")
    rows = cpuinfo_rows(command_text(out, "cpuinfo"))
    states = {r[0]: r[4] for r in rows}
    warned = [re.search(rf"^warning: smp: {k}={re.escape(v)} is not a number in {lo}\.\.{hi}; using {d}$",
                        out, re.M) is not None
              for k, v, lo, hi, d in (("smp_skip_cpu", "1x", 1, 7, -1),
                                      ("smp_timeout_ms", "-5", 1, 600000, 2000))]
    tap(warned == [True, True] and states == {0: "online", 1: "online"},
        "smp_skip_cpu=1x smp_timeout_ms=-5: both reported and ignored; both CPUs online",
        f"warned {warned}, states {states}\n{out[-2500:]}")
    tap(re.search(r"^warning: smp: irq_affinity=sideways not understood \(balanced or 0\); "
                  r"lines stay on CPU 0$", out, re.M) is not None,
        "irq_affinity=sideways: reported, lines stay on CPU 0", out[-1500:])


def read_until(p, text, timeout, out, count=1):
    """Read QEMU's output into @out until @text appeared @count times; returns @out."""
    fd = p.stdout.fileno()
    deadline = time.monotonic() + timeout
    while out.count(text) < count:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(text)
        r, _, _ = select.select([fd], [], [], min(left, 0.5))
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            out += chunk.decode(errors="replace")
    return out


def vector_named(irqs_text, name):
    """The vector of the `irqs` row whose name is @name, or None."""
    m = re.search(rf"^\s*(\d+)\s+\d+\s+.*\s{re.escape(name)}\s*$", irqs_text, re.M)
    return int(m.group(1)) if m else None


def group_irqmove():
    cmd, _ = qemu.build_cmd("q35", "pvh", "256M", "tcg", "", smp=2, balloon=False,
                            extra=["-device", "virtio-rng-pci"], quiet=True)
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    session = "".join(("uptime\n", "help rng\n", "cmdline\n", "meminfo\n")[i % 4]
                      for i in range(40))
    out, com1, rngq = "", None, None
    try:
        out = read_until(p, "ballast: ready", 120, out)
        p.stdin.write(qemu.SCRIPT_START + b"virtio\nirqs\n")
        p.stdin.flush()
        out = read_until(p, "[status] irqs", 60, out)
        com1 = vector_named(command_text(out, "irqs"), "ISA 4 (COM1)")
        m = re.search(r"^  msix entry \d+ -> vector (\d+) \(\S+ q0\)$",
                      command_text(out, "virtio"), re.M)
        rngq = int(m.group(1)) if m else None
        p.stdin.write(f"irqs route {com1} 1\nirqs route {rngq} 1\nirqs cpus\n".encode())
        p.stdin.flush()
        out = read_until(p, "[status] irqs", 60, out, count=4)
        p.stdin.write((session + f"rng 16\nrng 16\nirqs cpus\nirqs route {rngq} 0\nrng 16\n"
                       "irqs cpus\n").encode() + qemu.SCRIPT_END)
        p.stdin.flush()
        out = read_until(p, "ballast: powering off", 120, out)
    except TimeoutError:
        pass
    finally:
        p.kill()
        p.wait()
    out = out.replace("\r", "")
    script = (f"virtio\nirqs\nirqs route {com1} 1\nirqs route {rngq} 1\nirqs cpus\n" + session +
              f"rng 16\nrng 16\nirqs cpus\nirqs route {rngq} 0\nrng 16\nirqs cpus\n")
    bad = script_problems(out, script)
    tap(com1 is not None and rngq is not None and not bad,
        "q35 -smp 2, COM1 and the rng's MSI-X vector on CPU 1: all 52 commands ran in order, "
        "status 0 (no input byte lost, doubled or reordered)",
        f"COM1 vector {com1}, rng q0 vector {rngq}\n" + "\n".join(bad[:5]) + out[-2500:])
    t0, t1, t2 = (command_text(out, "irqs cpus", nth=k) for k in range(3))
    c0, c1 = irq_cpus(t0, com1)[1], irq_cpus(t1, com1)[1]
    tap(irq_cpus(t0, com1)[0] == "1" and c1.get(1, 0) - c0.get(1, 0) >= 1 and
        c1.get(0, -1) == c0.get(0, -2),
        f"COM1 routed to CPU 1: the session's input interrupts ({c1.get(1, 0) - c0.get(1, 0)}, "
        "the FIFO gathers bytes) all arrive on CPU 1, none on CPU 0",
        f"before {c0}, after {c1}\n{t0}\n{t1}")
    r0, r1, r2 = irq_cpus(t0, rngq)[1], irq_cpus(t1, rngq)[1], irq_cpus(t2, rngq)[1]
    reads = re.findall(r"^rng: (\d+) bytes:", out, re.M)
    tap(re.search(rf"^irqs: vector {rngq} now goes to CPU 1$", out, re.M) is not None and
        irq_cpus(t1, rngq)[0] == "1" and r1.get(1, 0) - r0.get(1, 0) >= 2 and
        r1.get(0, -1) == r0.get(0, -2) and irq_cpus(t2, rngq)[0] == "0" and
        r2.get(0, 0) - r1.get(0, 0) >= 1 and r2.get(1, -1) == r1.get(1, -2) and
        reads == ["16", "16", "16"],
        "MSI-X: the rng queue vector moved to CPU 1 takes both reads' interrupts there (none on "
        "CPU 0), and moved back takes the third on CPU 0; every read returns 16 bytes",
        f"vector {rngq}: {r0} -> {r1} -> {r2}, reads {reads}\n{t1}\n{t2}")


def group_ktest():
    cmd, _ = qemu.build_cmd("microvm", "pvh", "256M", "tcg", "ktest=smp", smp=4, quiet=True)
    rc, out = qemu.run(cmd, timeout=150, echo=False)
    full = out
    out = "\n".join(ln for ln in out.splitlines() if "smp-printk" not in ln)  # diagnostics
    cases = re.findall(r"^    (ok|not ok) \d+ (\w+)(.*)$", out, re.M)
    for verdict, name, rest in cases:
        skipped = "# SKIP" in rest
        if skipped:
            tap.skip(f"ktest smp -smp 4: {name}", rest.split("# SKIP", 1)[1].strip())
        else:
            tap(verdict == "ok", f"ktest smp -smp 4: {name}", out[-2500:])
    tap(len(cases) >= 9 and rc == 0 and "# ktest: " in out,
        "ktest smp -smp 4: the suite ran every case and exited cleanly", out[-2500:])
    # test_printk_lines_whole: 4 CPUs x 25 lines printed at the same moment
    marked = [ln for ln in full.replace("\r", "").splitlines() if "smp-printk" in ln]
    whole = [re.fullmatch(r"smp-printk cpu (\d) line (\d\d) abcdefghijklmnopqrstuvwxyz0123456789 end",
                          ln) for ln in marked]
    got = sorted((int(m.group(1)), int(m.group(2))) for m in whole if m)
    tap(len(marked) == 100 and all(whole) and got == [(c, i) for c in range(4) for i in range(25)],
        "console lock: 100 lines printed by 4 CPUs at once all come out whole, each exactly once",
        "\n".join(ln for ln, m in zip(marked, whole) if not m)[:2500] or f"{len(marked)} lines")


def group_panic():
    cmd, _ = qemu.build_cmd("microvm", "pvh", "256M", "tcg", "", smp=4, quiet=True)
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = ""
    try:
        out = read_until(p, "ballast: ready", 120, out)
        p.stdin.write(qemu.SCRIPT_START + b"smp panic-test confirm both\n")
        p.stdin.flush()
        out = read_until(p, "ballast: stopped: panic", 60, out)
    except TimeoutError:
        pass
    finally:
        p.kill()
        p.wait()
    out = out.replace("\r", "")
    tail = out.split("smp panic-test confirm both", 1)[-1]
    lines = [ln for ln in tail.splitlines() if ln.strip()]
    heads = [i for i, ln in enumerate(lines) if ln.startswith("*** ")]
    panics = [lines[i] for i in heads if lines[i].startswith("*** PANIC on CPU ")]
    stops = [lines[i] for i in heads if re.match(r"\*\*\* CPU \d+ \(apic \d+\) stopped by NMI", lines[i])]
    # every block: its head, "  backtrace:", then frame lines only, up to the next head
    blocks_ok = len(heads) == 4 and bool(lines) and lines[-1] == "ballast: stopped: panic"
    for k, i in enumerate(heads):
        end = heads[k + 1] if k + 1 < len(heads) else len(lines) - 1
        body = lines[i + 1:end]
        blocks_ok &= (len(body) >= 2 and body[0] == "  backtrace:" and
                      all(re.match(r"^    \[<[0-9a-f]{16}>\] \S+\+0x[0-9a-f]+$", b) for b in body[1:]))
    winner = re.match(r"\*\*\* PANIC on CPU (\d+)", panics[0]) if len(panics) == 1 else None
    stopped = sorted(int(re.match(r"\*\*\* CPU (\d+)", s).group(1)) for s in stops)
    tap(len(panics) == 1 and winner is not None and
        sorted(stopped + [int(winner.group(1))]) == [0, 1, 2, 3],
        "panic on two CPUs at once: one panic report, every other CPU stopped by NMI",
        tail[-3000:])
    tap(blocks_ok, "panic: each CPU's report is its head and a backtrace, not interleaved, "
        "then the machine stops", tail[-3000:])


GROUPS = [("boot", group_boot), ("machines", group_machines), ("skip", group_skip),
          ("badopts", group_badopts),
          ("irqmove", group_irqmove), ("ktest", group_ktest), ("panic", group_panic)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    t0 = time.monotonic()
    for name, fn in GROUPS:
        if a.only and a.only not in name:
            continue
        s = time.monotonic()
        fn()
        print(f"# {name}: {time.monotonic() - s:.1f} s", flush=True)
    print(f"# total {time.monotonic() - t0:.1f} s", flush=True)
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
