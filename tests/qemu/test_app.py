#!/usr/bin/env python3
"""test_app.py - appliances (docs/appliance.md) under QEMU, with QMP (TAP).

kvcache (build/app-kvcache/ballast.elf; 256 MiB, 2 CPUs, the balloon's
features on: what `make run APP=examples/kvcache MEM=256M` starts). The
session types the walk-through of examples/kvcache/README.md: its console
commands, and its monitor commands through QMP human-monitor-command.
  - misbehaving shrinkers are caught: a negative count (3 reports, then
    disabled), a scan claiming more than asked, a scan that does not return
    within the deadline (reported by the timer while it runs); double and
    foreign page frees refused; one byte written past a malloc'ed object is
    reported by free() with the cache and the object's address;
  - fill 80000 x 2000 bytes (~156 MiB), then `balloon 128` (the inflate
    needs more than is free): `actual` reaches 128 MiB (query-balloon and
    `info balloon`), the shrinker ran and freed pages, entries were evicted,
    the guest counts 128 MiB ballooned, every remaining entry is intact;
  - deflate: `actual` back to 256 MiB, the cache grows back to every entry;
  - compact while full: pages of the store moved, contents intact.
hello (build/app-hello/ballast.elf, 2 CPUs): argv and the exit status reach
the host; main runs on CPU 0 and a function runs on each online CPU (by
number and on all); an offline CPU is refused. The same from the GRUB ISO
(build/app-hello/ballast.iso, made by `make apps` with ARGS="iso 5").
Numbers are parsed from "name value" lines (kvcache's stats) or lines of a
fixed shape; a missing number fails the check.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import qemu  # noqa: E402
from qmp import QMP, QMPError, TAP  # noqa: E402

KV_ELF = os.path.join(ROOT, "build", "app-kvcache", "ballast.elf")
HELLO_ELF = os.path.join(ROOT, "build", "app-hello", "ballast.elf")
HELLO_ISO = os.path.join(ROOT, "build", "app-hello", "ballast.iso")
PROMPT = "kv> "
MiB = 1 << 20
MEM_MIB = 256           # the guest (README: make run APP=examples/kvcache MEM=256M)
TARGET_MIB = 128        # README: balloon 128
FILL = 80000            # README: fill 80000 2000 (two values a page: ~156 MiB)
SMP = 2                 # make run's default


class T(TAP):
    def check(self, name, ok, diag=""):
        return self(bool(ok), name, diag)

    def finish(self):
        return self.plan()


class KV:
    """kvcache under QEMU: commands on the serial console, QMP beside it."""

    def __init__(self, mem=f"{MEM_MIB}M", timeout=120, smp=SMP):
        self.tmp = tempfile.mkdtemp(prefix="ballast-app-")
        self.qmp_path = os.path.join(self.tmp, "qmp.sock")
        cmd, _ = qemu.build_cmd("q35", "pvh", mem, "tcg", "", kernel=KV_ELF,
                                qmp=self.qmp_path, quiet=True, smp=smp,
                                balloon_features=True)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.out = ""
        self.wait_for(PROMPT, 0, timeout)
        self.qmp = QMP(self.qmp_path)

    def _pump(self, wait):
        import select
        fd = self.proc.stdout.fileno()
        r, _, _ = select.select([fd], [], [], wait)
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                raise QMPError("QEMU exited:\n" + self.out[-3000:])
            self.out += chunk.decode(errors="replace")

    def wait_for(self, text, start, timeout):
        deadline = time.monotonic() + timeout
        while True:
            i = self.out.find(text, start)
            if i >= 0:
                return i
            if time.monotonic() > deadline:
                raise QMPError(f"timed out waiting for {text!r}:\n{self.out[-3000:]}")
            self._pump(0.2)

    def cmd(self, line, timeout=120):
        """Run one kvcache command; its output (without the echo and prompt)."""
        start = len(self.out)
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        end = self.wait_for(PROMPT, start, timeout)
        text = self.out[start:end].replace("\r", "")
        return text.split("\n", 1)[1] if "\n" in text else ""

    def stats(self):
        """kvcache's `stats` as a dict of ints."""
        return {m.group(1): int(m.group(2))
                for m in re.finditer(r"^(\w+) (\d+)$", self.cmd("stats"), re.M)}

    def actual(self):
        return self.qmp.cmd("query-balloon")["actual"]

    def hmp(self, line):
        """A QEMU monitor command, typed as in the README; its output."""
        return self.qmp.cmd("human-monitor-command", **{"command-line": line})

    def wait_actual(self, want, timeout):
        """Poll query-balloon until actual == @want; returns (ok, seconds)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.actual() == want:
                return True, time.monotonic() - t0
            # the guest runs the balloon's work while kvcache waits for input
            self._pump(0.2)
        return False, time.monotonic() - t0

    def close(self):
        try:
            self.proc.stdin.write(b"quit 0\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=20)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        try:
            self.qmp.close()
        except Exception:
            pass
        return self.proc.returncode


def num(text, pattern):
    """int of group 1 of @pattern in @text, or None."""
    m = re.search(pattern, text, re.M)
    return int(m.group(1)) if m else None


def protocol(t, kv):
    """The README's first commands, answers as it shows them."""
    got = [kv.cmd("set greeting hello world").strip(), kv.cmd("get greeting").strip(),
           kv.cmd("get nothing").strip(), kv.cmd("del greeting").strip(),
           kv.cmd("get greeting").strip()]
    t.check("set, get, get of a missing key, del answer as the README shows",
            got == ["stored", "hello world", "(nil)", "deleted", "(nil)"], got)


def misbehaving(t, kv):
    out = kv.cmd("misbehave count")
    t.check("negative count: 3 reports, then disabled, never scanned",
            len(re.findall(r"^shrinker bad-count: count\(\) returned -7", out, re.M)) == 3
            and num(out, r"^misbehave bad-count: (\d+) errors") == 3
            and num(out, r"(\d+) scans disabled$") == 0, out)
    out = kv.cmd("misbehave overclaim")
    t.check("overclaim: reported, credited as asked, still enabled",
            re.search(r"^shrinker bad-overclaim: scan\(10\) claims 10000 pages freed", out, re.M)
            is not None and num(out, r"^misbehave bad-overclaim: (\d+) errors") == 1
            and out.rstrip().endswith("enabled"), out)
    out = kv.cmd("misbehave stuck", timeout=60)
    wd = re.search(r"^shrinker bad-stuck: scan\(10\) has not returned after (\d+) ms", out, re.M)
    t.check("stuck scan: the timer's watchdog reports it while it runs, late counted",
            wd is not None and int(wd.group(1)) >= 1000
            and num(out, r"^misbehave bad-stuck: \d+ errors (\d+) late") == 1, out)
    out = kv.cmd("misbehave doublefree")
    t.check("double free refused (-22), first free 0",
            num(out, r"^misbehave doublefree: first (-?\d+)") == 0
            and num(out, r" second (-?\d+)$") == -22
            and "refused: not allocated by ballast_alloc_pages" in out, out)
    out = kv.cmd("misbehave foreignfree")
    t.check("free of a malloc'ed address and with the wrong order refused; the right free works",
            num(out, r"malloc'ed (-?\d+)") == -22 and num(out, r"wrong-order (-?\d+)") == -22
            and num(out, r" right (-?\d+)$") == 0, out)
    out = kv.cmd("misbehave overrun")
    m = re.search(r"^misbehave overrun: writing 1 byte past (0x[0-9a-f]+) \(32 bytes\)$", out, re.M)
    rep = m and re.search(r"^(?:error: )?kmalloc: kmalloc-32 object " + m.group(1) +
                          r": redzone overwritten at \+32 \(0x58, not 0xbb\)", out, re.M)
    t.check("one byte past a malloc'ed object: free() names the cache and the object; "
            "the neighbour is intact", m is not None and rep is not None
            and re.search(r"^misbehave overrun: freed; neighbour 0x[0-9a-f]+ intact$", out, re.M)
            is not None, out)


def balloon_cycle(t, kv):
    """The README's walk-through from `fill` on; returns the inflate's figures."""
    n = FILL
    t0 = time.monotonic()
    out = kv.cmd(f"fill {n} 2000", timeout=300)
    fill_s = time.monotonic() - t0
    t.check(f"fill stores every entry ({fill_s:.1f} s)", num(out, r"^fill: (\d+) of") == n, out)
    out = kv.cmd("verify", timeout=300)
    t.check("verify after fill: every entry checked, none differs",
            num(out, r"^verify: (\d+) checked") == n and num(out, r", (\d+) mismatches") == 0, out)
    s0 = kv.stats()
    want_pages = (MEM_MIB - TARGET_MIB) * MiB // 4096
    t.check(f"filled: {n} entries in >= {n // 2} store pages, and less free than the inflate "
            f"needs ({s0.get('mem_free')} < {want_pages} pages)",
            s0.get("entries") == n and s0.get("store_pages", 0) >= n // 2
            and 0 < s0.get("mem_free", want_pages) < want_pages, s0)
    kv.hmp(f"balloon {TARGET_MIB}")
    ok, secs = kv.wait_actual(TARGET_MIB * MiB, 120)
    info = kv.hmp("info balloon")
    t.check(f"inflate into the full cache completes: query-balloon actual "
            f"{kv.actual() // MiB} MiB ({secs:.1f} s), info balloon says "
            f"actual={TARGET_MIB}", ok and num(info, r"^balloon: actual=(\d+)") == TARGET_MIB,
            (info, kv.out[-2000:]))
    s1 = kv.stats()
    t.check("the shrinker ran and freed pages; entries were evicted",
            s1.get("shrinker_scans", 0) > 0 and s1.get("shrinker_freed", 0) > 0
            and s1.get("evicted", 0) > 0 and s1.get("entries", n) < n
            and s1.get("entries", 0) + s1.get("evicted", 0) == n, s1)
    t.check(f"the guest counts {MEM_MIB - TARGET_MIB} MiB ballooned",
            s1.get("mem_ballooned") == want_pages, s1)
    out = kv.cmd("verify", timeout=300)
    t.check("every remaining entry is intact",
            num(out, r"^verify: (\d+) checked") == s1.get("entries")
            and num(out, r", (\d+) mismatches") == 0, out)
    print(f"# inflate: {s1.get('shrinker_scans')} scans, {s1.get('shrinker_freed')} pages freed, "
          f"{s1.get('evicted')} evicted, {secs:.1f} s")
    # deflate and regrow
    kv.hmp(f"balloon {MEM_MIB}")
    ok, secs = kv.wait_actual(MEM_MIB * MiB, 120)
    info = kv.hmp("info balloon")
    t.check(f"deflate: actual back to {MEM_MIB} MiB",
            ok and num(info, r"^balloon: actual=(\d+)") == MEM_MIB, (info, kv.out[-2000:]))
    out = kv.cmd(f"fill {n} 2000", timeout=300)
    s2 = kv.stats()
    t.check("the cache grows back to every entry", num(out, r"^fill: (\d+) of") == n
            and s2.get("entries") == n and s2.get("mem_ballooned") == 0, (out, s2))
    out = kv.cmd("verify", timeout=300)
    t.check("regrown entries intact", num(out, r"^verify: (\d+) checked") == n
            and num(out, r", (\d+) mismatches") == 0, out)
    # compact while full
    out = kv.cmd("compact", timeout=300)
    moved = num(out, r"^compact: (\d+) pages moved")
    s3 = kv.stats()
    t.check("compaction while full moved store pages",
            moved is not None and moved > 0
            and s3.get("store_migrated", 0) - s2.get("store_migrated", 0) > 0, (out, s3))
    out = kv.cmd("verify", timeout=300)
    t.check("contents intact after compaction", num(out, r"^verify: (\d+) checked") == n
            and num(out, r", (\d+) mismatches") == 0, out)


def check_cpus(t, where, out, smp):
    """hello's CPU lines: main on CPU 0 with @smp online, a call on each, all, none offline."""
    m = re.search(r"^hello: main on CPU (\d+), (\d+) CPU\(s\) online\r?$", out, re.M)
    t.check(f"{where}: main runs on the boot CPU with {smp} CPUs online",
            m is not None and int(m.group(1)) == 0 and int(m.group(2)) == smp, out[-1500:])
    single = {int(c): (int(rc), int(ran)) for c, rc, ran in
              re.findall(r"^hello: run_on_cpu\((\d+)\): rc (-?\d+), ran on CPU (-?\d+)\r?$", out, re.M)}
    t.check(f"{where}: run_on_cpu(c) runs on CPU c for each of 0..{smp - 1}",
            single == {c: (0, c) for c in range(smp)}, single)
    off = re.search(r"^hello: run_on_cpu\((\d+)\) \(not online\): rc (-?\d+), ran on CPU (-?\d+)",
                    out, re.M)
    t.check(f"{where}: run_on_cpu({smp}) (offline) refused with -ENXIO and never runs",
            off is not None and int(off.group(1)) == smp and int(off.group(2)) == -6
            and int(off.group(3)) == -1, out[-1500:])
    every = {int(c): int(k) for c, k in
             re.findall(r"^hello: run_on_all: CPU (\d+) ran it (\d+) time", out, re.M)}
    t.check(f"{where}: run_on_all runs once on every CPU", every == {c: 1 for c in range(smp)}, every)


def hello(t):
    cmd, _ = qemu.build_cmd("q35", "pvh", "256M", "tcg", "-- world 3", kernel=HELLO_ELF,
                            quiet=True, smp=SMP)
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        t.check("hello exits", False, "timed out")
        return
    out = r.stdout.decode(errors="replace")
    t.check("hello greets with argv[1]", re.search(r"^hello, world\r?$", out, re.M) is not None, out[-1500:])
    t.check(f"hello's exit status reaches the host (QEMU rc {r.returncode} -> "
            f"{qemu.app_status(r.returncode)})", qemu.app_status(r.returncode) == 3, out[-1500:])
    check_cpus(t, "hello", out, SMP)


def hello_iso(t):
    """The GRUB ISO `make apps` builds (ARGS="iso 5" in its grub.cfg)."""
    cmd, _ = qemu.build_cmd("q35", "iso", "256M", "tcg", iso=HELLO_ISO, quiet=True, smp=SMP)
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=180)
    except subprocess.TimeoutExpired:
        t.check("hello from the ISO exits", False, "timed out")
        return
    out = r.stdout.decode(errors="replace")
    t.check("ISO: GRUB passes the command line; argv[1] is 'iso', two arguments",
            re.search(r'^ballast: multiboot2 boot via GRUB .*command line "-- iso 5"', out, re.M)
            is not None and re.search(r"^hello, iso\r?$", out, re.M) is not None
            and num(out, r"^hello: up .* (\d+) argument\(s\)") == 2, out[-1500:])
    t.check(f"ISO: the exit status reaches the host (QEMU rc {r.returncode} -> "
            f"{qemu.app_status(r.returncode)})", qemu.app_status(r.returncode) == 5, out[-1500:])
    check_cpus(t, "ISO", out, SMP)


def main():
    t = T()
    for elf in (KV_ELF, HELLO_ELF, HELLO_ISO):
        if not os.path.exists(elf):
            t.check(f"{os.path.relpath(elf, ROOT)} is built (make apps)", False, "missing")
            return t.finish()
    hello(t)
    hello_iso(t)
    kv = None
    try:
        kv = KV()
        protocol(t, kv)
        misbehaving(t, kv)
        balloon_cycle(t, kv)
    except QMPError as e:
        t.check("kvcache session", False, str(e)[-3000:])
    finally:
        if kv:
            rc = kv.close()
            t.check("kvcache quits with status 0", qemu.app_status(rc) == 0, f"rc {rc}")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
