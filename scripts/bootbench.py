#!/usr/bin/env python3
"""bootbench.py - boot time: time to `ballast: ready` from QEMU's start, and
what starting the other CPUs costs boot, measured in the guest.

  bootbench.py [--kernel build/release/ballast-bench.elf] [--baseline OLD.elf]
               [--modes ready,memmap,smp] [--boots 20] [--ready-mem 512M]
               [--memmap-mem 1G,8G,16G] [--memmap-boots 5] [--memmap-smp 2]
               [--pairs 15] [--smp 1,4] [--machine microvm] [--mem 256M]
               [--append ...] [--out build/bootbench.jsonl] [--timeout S]

Mode "memmap" (issue 12's goal: the allocator's boot-time cost at most 1 ms
per GiB at -m 1G, 8G and 16G under TCG): --memmap-boots boots per size of
each kernel (-smp --memmap-smp), each running `boottime`; reported per size:
mm init at boot per GiB of RAM (the kernel's `init ... ms` / `mm init`
figure), and the deferred init's background time per GiB deferred and on
how many CPUs, set against the calibration bench's cold copy of 1 GiB
(one bench=calibration boot at 1 GiB).

Mode "ready" (issue 12's goal: `ballast: ready` within 120 ms of QEMU's
start, microvm PVH, TCG, -m 512M): --boots boots of --kernel (and of
--baseline when given, interleaved: before and after in the same run, so the
machine's load hits both alike), each timed on the host's monotonic clock
from just before QEMU is started until the line `ballast: ready` arrives on
its serial pipe. Reported per kernel: median, quartiles, range of that wall
time; the guest's own figures (`boottime`: kmain after reset, ready after
kmain, the TSC calibration's time and the step medians); and the TSC
calibration's error against the host's clock: under TCG the guest's TSC is
the host's TSC, so the host's rate (rdtsc against CLOCK_MONOTONIC over a
second, measured here) is the truth the guest's tsc_khz is compared to.

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
READY_GOAL_MS = 120.0


def host_tsc_khz(seconds=1.0):
    """The host's TSC rate in kHz against CLOCK_MONOTONIC (None if rdtsc cannot be run).
    Ten bytes of machine code (rdtsc; shl rdx,32; or rax,rdx; ret) in an
    executable mapping, called through ctypes; each clock read is bracketed by
    two TSC reads and their midpoint used."""
    import ctypes
    import mmap
    code = bytes([0x0f, 0x31, 0x48, 0xc1, 0xe2, 0x20, 0x48, 0x09, 0xd0, 0xc3])
    try:
        buf = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    except (OSError, AttributeError):
        return None
    buf.write(code)
    rdtsc = ctypes.CFUNCTYPE(ctypes.c_uint64)(ctypes.addressof(ctypes.c_char.from_buffer(buf)))

    def pair():
        a = rdtsc()
        t = time.monotonic_ns()
        b = rdtsc()
        return (a + b) / 2, t
    c0, t0 = pair()
    time.sleep(seconds)
    c1, t1 = pair()
    return (c1 - c0) / ((t1 - t0) / 1e9) / 1000


def boot_timed(cmd, script, timeout):
    """Run QEMU @cmd; send @script once `ballast: ready` arrives. Returns
    (status, output, ms from just before the start to the ready line or None)."""
    import select
    import subprocess
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out, t_ready = bytearray(), None
    deadline = t0 + timeout
    fd = p.stdout.fileno()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            p.kill()
            p.wait()
            return 3, out.decode(errors="replace"), t_ready
        r, _, _ = select.select([fd], [], [], min(left, 0.5))
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            out += chunk
            if t_ready is None and qemu.READY in out:
                t_ready = (time.monotonic() - t0) * 1000
                try:
                    p.stdin.write(script)
                    p.stdin.flush()
                except BrokenPipeError:
                    pass
        elif p.poll() is not None:
            out += p.stdout.read() or b""
            break
    rc = p.wait()
    return qemu.EXIT_MAP.get(rc, 2), out.decode(errors="replace"), t_ready


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
    tsc = re.search(r"^boottime: tsc (.+?), (\d+) PIT windows kept \((\d+) thrown away, "
                    r"\d+ for a gap\), (\d+) reads fitted, spread (\d+) kHz, (\d+) us$", out, re.M)
    if tsc:
        r.update(tsc_src=tsc.group(1), tsc_windows=int(tsc.group(2)),
                 tsc_rejected=int(tsc.group(3)), tsc_us=int(tsc.group(6)))
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


def fmt_q(v, unit="ms", digits=1):
    """'median (p25 .. p75, min .. max)' of @v."""
    p25, med, p75 = quart(v)
    return (f"{med:.{digits}f} {unit} (p25 {p25:.{digits}f}, p75 {p75:.{digits}f}, "
            f"range {min(v):.{digits}f} .. {max(v):.{digits}f}, n {len(v)})")


def ready_mode(a, f):
    """Wall time from QEMU's start to `ballast: ready`, --kernel and --baseline interleaved."""
    kernels = [("after", a.kernel)]
    if a.baseline:
        kernels.insert(0, ("before", a.baseline))
    host_khz = host_tsc_khz()
    runs = {name: [] for name, _ in kernels}
    ok = True
    for i in range(a.boots):
        order = kernels if i % 2 == 0 else kernels[::-1]
        for name, kernel in order:
            cmd, _ = qemu.build_cmd(a.machine, "pvh", a.ready_mem, "tcg", a.append, kernel=kernel,
                                    smp=1, quiet=True, balloon=False)
            rc, out, t_ready = boot_timed(cmd, qemu.script_bytes("boottime\n"), a.timeout)
            r = parse_boottime(out.replace("\r", ""))
            if r is None or t_ready is None:
                print(f"bootbench: {name}: no ready line or no boottime figures (status {rc})\n"
                      f"{out[-1500:]}", file=sys.stderr)
                ok = False
                continue
            r.update(mode="ready", kernel=name, wall_ready_ms=round(t_ready, 2), status=rc,
                     mem=a.ready_mem, boot=i)
            if host_khz:
                r["tsc_err_ppm"] = round((r["tsc_khz"] - host_khz) / host_khz * 1e6, 1)
            f.write(json.dumps(r) + "\n")
            runs[name].append(r)
        print(f"boot {i + 1:2d}: " + ", ".join(
            f"{n} {runs[n][-1]['wall_ready_ms']:6.1f} ms" for n, _ in kernels if runs[n]), flush=True)
    print(f"\n`ballast: ready` after QEMU's start (host clock), microvm PVH TCG -m {a.ready_mem}, "
          f"{a.boots} boots per kernel, interleaved")
    if host_khz:
        print(f"host TSC {host_khz:.1f} kHz (rdtsc against CLOCK_MONOTONIC over 1 s): the truth "
              f"for the guest's TSC rate under TCG")
    for name, kernel in kernels:
        rs = runs[name]
        if not rs:
            continue
        print(f"\n{name}: {os.path.relpath(kernel, ROOT)}")
        wall = [r["wall_ready_ms"] for r in rs]
        print(f"  wall, QEMU start -> ready  {fmt_q(wall)}; goal {READY_GOAL_MS:.0f} ms: "
              f"{'met' if statistics.median(wall) <= READY_GOAL_MS else 'NOT met'} (median), "
              f"{sum(w <= READY_GOAL_MS for w in wall)} of {len(wall)} boots within it")
        print(f"  guest: kmain after reset   {fmt_q([r['kmain_us'] / 1000 for r in rs])}")
        print(f"  guest: ready after kmain   {fmt_q([r['ready_ms'] for r in rs])}")
        print(f"  host part (wall - guest ready after reset) "
              f"{fmt_q([r['wall_ready_ms'] - r['ready_reset_ms'] for r in rs])}")
        if "tsc_err_ppm" in rs[0]:
            errs = [r["tsc_err_ppm"] for r in rs]
            print(f"  TSC calibration error against the host: {fmt_q(errs, 'ppm', 0)}, "
                  f"largest |error| {max(abs(e) for e in errs):.0f} ppm")
        if "tsc_us" in rs[0]:
            print(f"  TSC calibration ({rs[0]['tsc_src']}) took {fmt_q([r['tsc_us'] / 1000 for r in rs])}; "
                  f"windows thrown away in {sum(1 for r in rs if r['tsc_rejected'])} boots")
        steps = [n for n, _ in rs[0]["marks"]]
        cells = []
        for n in steps:
            v = [step_durations(r).get(n) for r in rs]
            v = [x for x in v if x is not None]
            cells.append(f"{n} {statistics.median(v):.1f}")
        print(f"  step medians (ms): " + ", ".join(cells))
    return ok


def parse_mm(out):
    """The page allocator's boot and background figures of one boot: {boot_ms, ram_mib,
    deferred_mib, bg_ms, bg_cpu_ms, sections, cpus}; old kernels only print boot_ms."""
    r = {}
    m = re.search(r"^ballast: page allocator up: .* init (\d+)\.(\d+) ms", out, re.M)
    if m:
        r["boot_ms"] = int(m.group(1)) + int(m.group(2)) / 1000
    m = re.search(r"^boottime: mm init (\d+) us at boot for (\d+) MiB \((\d+) MiB deferred\)", out, re.M)
    if m:
        r.update(boot_ms=int(m.group(1)) / 1000, ram_mib=int(m.group(2)), deferred_mib=int(m.group(3)))
    m = re.search(r"^boottime: deferred init background (\d+) us \(CPU time (\d+) us\)", out, re.M)
    if m:
        r.update(bg_ms=int(m.group(1)) / 1000, bg_cpu_ms=int(m.group(2)) / 1000)
    m = re.search(r"deferred init done: (\d+) sections, (\d+) MiB, \d+ ms on (\d+) CPU", out)
    if m:
        r.update(sections=int(m.group(1)), cpus=int(m.group(3)))
    return r


def memmap_mode(a, f):
    """The allocator's boot cost per GiB at each --memmap-mem size, and the background's."""
    kernels = [("after", a.kernel)]
    if a.baseline:
        kernels.insert(0, ("before", a.baseline))
    sizes = a.memmap_mem.split(",")
    res = {(n, m): [] for n, _ in kernels for m in sizes}
    ok = True
    for i in range(a.memmap_boots):
        for mem in sizes:
            for name, kernel in (kernels if i % 2 == 0 else kernels[::-1]):
                cmd, _ = qemu.build_cmd(a.machine, "pvh", mem, "tcg", a.append, kernel=kernel,
                                        smp=a.memmap_smp, quiet=True, balloon=False)
                rc, out, _ = boot_timed(cmd, qemu.script_bytes("boottime\n"), a.timeout)
                r = parse_mm(out.replace("\r", ""))
                if "boot_ms" not in r:
                    print(f"bootbench: {name} -m {mem}: no page allocator figures (status {rc})\n"
                          f"{out[-1500:]}", file=sys.stderr)
                    ok = False
                    continue
                gib = r.get("ram_mib", qemu_mem_mib(mem)) / 1024
                r.update(mode="memmap", kernel=name, mem=mem, gib=gib, boot=i)
                f.write(json.dumps(r) + "\n")
                res[(name, mem)].append(r)
    cal = calibration(a)
    print(f"\nthe page allocator's init, microvm TCG -smp {a.memmap_smp}, {a.memmap_boots} boots per "
          f"size and kernel (median, range); goal at boot: <= 1 ms per GiB")
    if cal:
        print(f"calibration (bench=calibration, -m 1G): copy4k_cold {cal.get('copy4k_cold_MBps', 0):.0f} MB/s "
              f"= {1024 / max(cal.get('copy4k_cold_MBps', 1), 1) * 1000 * 1.048576:.1f} ms to cold-copy 1 GiB; "
              f"copy4k_hot {cal.get('copy4k_hot_MBps', 0):.0f} MB/s, lifo_pair {cal.get('lifo_pair_cycles', 0):.0f} cycles")
    for name, kernel in kernels:
        print(f"\n{name}: {os.path.relpath(kernel, ROOT)}")
        for mem in sizes:
            rs = res[(name, mem)]
            if not rs:
                continue
            gib = rs[0]["gib"]
            boot = [r["boot_ms"] / r["gib"] for r in rs]
            line = (f"  -m {mem:>4s}: at boot {statistics.median(boot):6.2f} ms/GiB "
                    f"({min(boot):.2f} .. {max(boot):.2f}; {statistics.median([r['boot_ms'] for r in rs]):.2f} ms), "
                    f"goal {'met' if statistics.median(boot) <= 1.0 else 'NOT met'}")
            bg = [r for r in rs if "bg_ms" in r]
            if bg:
                per = [r["bg_ms"] / (r["deferred_mib"] / 1024) for r in bg]
                line += (f"; background {statistics.median([r['bg_ms'] for r in bg]):.0f} ms for "
                         f"{bg[0]['deferred_mib']} MiB on {bg[0].get('cpus', '?')} CPU(s), "
                         f"{statistics.median(per):.1f} ms/GiB ({min(per):.1f} .. {max(per):.1f})")
                if cal and cal.get("copy4k_cold_MBps"):
                    cold = 1024 / cal["copy4k_cold_MBps"] * 1000 * 1.048576
                    line += f", {statistics.median(per) / cold:.2f}x a cold copy"
            print(line)
    return ok


def qemu_mem_mib(mem):
    """-m SIZE in MiB."""
    units = {"M": 1, "G": 1024, "T": 1024 * 1024}
    return int(mem[:-1]) * units[mem[-1].upper()] if mem[-1].upper() in units else int(mem)


def calibration(a):
    """The calibration bench's figures from one boot of --kernel at 1 GiB (bench=calibration)."""
    cmd, _ = qemu.build_cmd(a.machine, "pvh", "1G", "tcg", "bench=calibration", kernel=a.kernel,
                            smp=1, quiet=True, balloon=False)
    rc, out = qemu.run(cmd, timeout=a.timeout, echo=False)
    cal = {}
    for m in re.finditer(r'^\{"bench": "calibration", "metric": "(\w+)", "value": ([\d.]+)', out, re.M):
        cal[m.group(1)] = float(m.group(2))
    return cal


def smp_mode(a, f):
    """-smp A against -smp B in interleaved pairs (issue 11's goal)."""
    sa, sb = (int(x) for x in a.smp.split(","))
    runs = {sa: [], sb: []}
    diffs, diffs_reset = [], []
    ok = True
    if True:
        for i in range(a.pairs):
            order = (sa, sb) if i % 2 == 0 else (sb, sa)
            got = {}
            for smp in order:
                r = boot_once(a, smp)
                if r is None:
                    ok = False
                    continue
                r["pair"] = i
                r["mode"] = "smp"
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
    return ok


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
    ap.add_argument("--baseline", help="a second kernel for the ready mode: before/after in one run")
    ap.add_argument("--modes", default="ready,memmap,smp", help="ready, memmap, smp (comma separated)")
    ap.add_argument("--boots", type=int, default=20, help="ready mode: boots per kernel")
    ap.add_argument("--ready-mem", default="512M")
    ap.add_argument("--memmap-mem", default="1G,8G,16G", help="memmap mode: the sizes")
    ap.add_argument("--memmap-boots", type=int, default=5, help="memmap mode: boots per size and kernel")
    ap.add_argument("--memmap-smp", type=int, default=2, help="memmap mode: CPUs")
    a = ap.parse_args()
    ok = True
    modes = a.modes.split(",")
    with open(a.out, "w") as f:
        if "ready" in modes:
            ok &= ready_mode(a, f)
        if "memmap" in modes:
            ok &= memmap_mode(a, f)
        if "smp" in modes:
            ok &= smp_mode(a, f)
    print(f"\n(every boot: {a.out})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
