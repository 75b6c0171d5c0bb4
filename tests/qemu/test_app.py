#!/usr/bin/env python3
"""test_app.py - appliances (docs/appliance.md) under QEMU, with QMP (TAP).

kvcache (build/app-kvcache/ballast.elf, 512 MiB guest):
  - misbehaving shrinkers are caught: a negative count (3 reports, then
    disabled), a scan claiming more than asked, a scan that does not return
    within the deadline (reported by the timer while it runs); double and
    foreign page frees refused;
  - fill ~390 MiB, inflate the balloon to a 256 MiB guest: the inflate
    completes (`actual` reaches the target), the shrinker ran and freed
    pages, entries were evicted, every remaining entry is intact;
  - deflate: `actual` back to 512 MiB, the cache grows back to every entry;
  - compact while full: pages of the store moved, contents intact.
hello (build/app-hello/ballast.elf): its exit status reaches the host.
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
PROMPT = "kv> "
MiB = 1 << 20


class T(TAP):
    def check(self, name, ok, diag=""):
        return self(bool(ok), name, diag)

    def finish(self):
        return self.plan()


class KV:
    """kvcache under QEMU: commands on the serial console, QMP beside it."""

    def __init__(self, mem="512M", timeout=120):
        self.tmp = tempfile.mkdtemp(prefix="ballast-app-")
        self.qmp_path = os.path.join(self.tmp, "qmp.sock")
        cmd, _ = qemu.build_cmd("q35", "pvh", mem, "tcg", "", kernel=KV_ELF,
                                qmp=self.qmp_path, quiet=True)
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


def balloon_cycle(t, kv, bench=None):
    n = 200000
    out = kv.cmd(f"fill {n} 2000", timeout=600)
    stored = num(out, r"^fill: (\d+) of")
    t.check("fill stores every entry", stored == n, out)
    s0 = kv.stats()
    t.check("filled: the entries and ~390 MiB of store pages",
            s0.get("entries") == n and s0.get("store_pages", 0) >= n // 2, s0)
    target = 256 * MiB
    kv.qmp.cmd("balloon", value=target)
    ok, secs = kv.wait_actual(target, 300)
    t.check(f"inflate into the full cache completes: actual {kv.actual() // MiB} MiB "
            f"({secs:.1f} s)", ok, kv.out[-2000:])
    s1 = kv.stats()
    t.check("the shrinker ran and freed pages; entries were evicted",
            s1.get("shrinker_scans", 0) > 0 and s1.get("shrinker_freed", 0) > 0
            and s1.get("evicted", 0) > 0 and s1.get("entries", n) < n, s1)
    t.check("the guest counts (512-256) MiB ballooned",
            s1.get("mem_ballooned") == (512 - 256) * MiB // 4096, s1)
    out = kv.cmd("verify", timeout=300)
    t.check("every remaining entry is intact",
            num(out, r"^verify: (\d+) checked") == s1.get("entries")
            and num(out, r", (\d+) mismatches") == 0, out)
    print(f"# inflate: {s1.get('shrinker_scans')} scans, {s1.get('shrinker_freed')} pages freed, "
          f"{s1.get('evicted')} evicted, {secs:.1f} s")
    # deflate and regrow
    kv.qmp.cmd("balloon", value=512 * MiB)
    ok, secs = kv.wait_actual(512 * MiB, 300)
    t.check("deflate: actual back to 512 MiB", ok, kv.out[-2000:])
    out = kv.cmd(f"fill {n} 2000", timeout=600)
    s2 = kv.stats()
    t.check("the cache grows back to every entry", s2.get("entries") == n
            and s2.get("mem_ballooned") == 0, s2)
    out = kv.cmd("verify", timeout=300)
    t.check("regrown entries intact", num(out, r"^verify: (\d+) checked") == n
            and num(out, r", (\d+) mismatches") == 0, out)
    # compact while full
    out = kv.cmd("compact", timeout=600)
    moved = num(out, r"^compact: (\d+) pages moved")
    s3 = kv.stats()
    t.check("compaction while full moved store pages",
            moved is not None and moved > 0 and s3.get("store_migrated", 0) > 0, (out, s3))
    out = kv.cmd("verify", timeout=300)
    t.check("contents intact after compaction", num(out, r"^verify: (\d+) checked") == n
            and num(out, r", (\d+) mismatches") == 0, out)


def hello(t):
    cmd, _ = qemu.build_cmd("q35", "pvh", "256M", "tcg", "-- world 3", kernel=HELLO_ELF, quiet=True)
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        t.check("hello exits", False, "timed out")
        return
    out = r.stdout.decode(errors="replace")
    t.check("hello greets with argv[1]", re.search(r"^hello, world\r?$", out, re.M) is not None, out[-1500:])
    t.check(f"hello's exit status reaches the host (QEMU rc {r.returncode} -> "
            f"{qemu.app_status(r.returncode)})", qemu.app_status(r.returncode) == 3, out[-1500:])


def main():
    t = T()
    for elf in (KV_ELF, HELLO_ELF):
        if not os.path.exists(elf):
            t.check(f"{os.path.relpath(elf, ROOT)} is built (make apps)", False, "missing")
            return t.finish()
    hello(t)
    kv = None
    try:
        kv = KV()
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
