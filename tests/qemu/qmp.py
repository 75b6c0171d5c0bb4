#!/usr/bin/env python3
"""qmp.py - a small QMP client and a Ballast guest driver (Python stdlib only).

  QMP(path)               connect to QEMU's -qmp unix socket, negotiate
  QMP.cmd(name, **args)   run a command; returns its "return" value, raises
                          QMPError on an "error" reply; events are kept
  Guest(...)              boot Ballast (scripts/qemu.py's command line) with
                          a QMP socket, talk to its serial shell in scripted
                          mode: Guest.run("balloon") -> (status, output);
                          Guest.shell("balloon") -> output, raising
                          CommandFailed unless the status is the expected one

Reading what the guest printed (one helper each, used by every test and by
scripts/testrun.py; tests/tools/test_qmp_helpers.py shows they can fail):

  counts(text, noun, lead)     every N of "N NOUN" ("check: 20 problems",
                               "FAILED (10 problems)", "0 mismatches")
  reports_zero(text, noun, ..) the text reports N NOUN and every N is 0
  last_status(text)            the shell's "[status] NAME RC" line: (NAME, RC)
  Guest.check(cmd, noun)       run a checking command: status 0 and only zeros
  alloc_result(text)           (got, asked) of `alloc`
  script_results(out)          a scripted console transcript, per command
  script_problems(out, script, expect_fail)
                               what is wrong with a transcript: a command
                               missing, out of order, without a status, or
                               with the wrong status (nonzero, or zero where
                               a failure was expected)
"""
import os
import re
import select
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import qemu  # noqa: E402


class QMPError(Exception):
    pass


class CommandFailed(QMPError):
    """A shell command returned a status other than the one the test expected."""
    pass


# ---- reading the guest's output ----

PROMPT = "ballast> "
STATUS_RE = re.compile(r"^\[status\] (\S+) (-?\d+)$", re.M)


def counts(text, noun, lead=""):
    """Every N in "N @noun" in @text, in order; only on lines whose text starts with
    @lead (after blanks) when @lead is given. "-1 problems" or "x10 problems" give
    no number (a number must stand alone), so they cannot pass for a zero."""
    pat = re.compile(rf"(?<![\w.+-])(\d+) {re.escape(noun)}\b")
    found = []
    for ln in text.replace("\r", "").splitlines():
        if lead and not ln.lstrip().startswith(lead):
            continue
        found += [int(n) for n in pat.findall(ln)]
    return found


def reports_zero(text, noun, lead="", n=None):
    """True if @text reports "N @noun" (exactly @n times when given) and every N is 0."""
    c = counts(text, noun, lead)
    return len(c) > 0 and (n is None or len(c) == n) and all(v == 0 for v in c)


def last_status(text):
    """(name, rc) of the last "[status] NAME RC" line in @text, or None."""
    found = STATUS_RE.findall(text.replace("\r", ""))
    return (found[-1][0], int(found[-1][1])) if found else None


def script_results(out):
    """A scripted session's console output split per command: a list of dicts
    {"line": the command as echoed, "text": its output, "status": (name, rc) or None}.
    Blank lines and # comments are left out (the shell reports no status for them)."""
    res = []
    for seg in out.replace("\r", "").split(PROMPT)[1:]:
        line, _, text = seg.partition("\n")
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        st = last_status(text)
        if st is not None:
            text = text[:text.rfind("[status] ")]
        res.append({"line": line, "text": text, "status": st})
    return res


def script_problems(out, script, expect_fail=()):
    """What is wrong with the transcript @out of @script (commands, one a line): []
    when every command ran in order with a status line, status 0, except those in
    @expect_fail, which must have failed (nonzero). Otherwise one string each."""
    want = [ln.strip() for ln in script.splitlines()
            if ln.strip() and not ln.strip().startswith("#")]
    got = script_results(out)
    bad = []
    for i, cmd in enumerate(want):
        if i >= len(got):
            bad.append(f"{cmd!r}: never ran (the transcript has {len(got)} commands)")
            continue
        r = got[i]
        if r["line"] != cmd:
            bad.append(f"command {i + 1}: expected {cmd!r}, the shell ran {r['line']!r}")
            continue
        if r["status"] is None:
            bad.append(f"{cmd!r}: no [status] line")
            continue
        name, rc = r["status"]
        if name != cmd.split()[0]:
            bad.append(f"{cmd!r}: status line names {name!r}")
        elif cmd in expect_fail and rc == 0:
            bad.append(f"{cmd!r}: status 0, but it should have failed")
        elif cmd not in expect_fail and rc != 0:
            bad.append(f"{cmd!r}: status {rc}\n{r['text'][-1500:]}")
    if len(got) > len(want):
        bad.append(f"{len(got) - len(want)} commands more than the script: "
                   f"{[r['line'] for r in got[len(want):]]}")
    return bad


def command_text(out, cmd, nth=0):
    """The output of the @nth run of command line @cmd in a scripted transcript ("" if none)."""
    runs = [r["text"] for r in script_results(out) if r["line"] == cmd]
    return runs[nth] if nth < len(runs) else ""


class QMP(qemu.QMPLink):
    """scripts/qemu.py's QMP client with this module's errors: QMPError on a
    refused connection, a closed socket, a timeout or an "error" reply.
    Commands wait @timeout s for their reply."""

    def __init__(self, path, timeout=30):
        try:
            super().__init__(path, timeout=timeout, read_timeout=timeout)
        except (OSError, EOFError, RuntimeError) as e:
            raise QMPError(str(e)) from e

    def cmd(self, name, **args):
        try:
            return super().cmd(name, **args)
        except (OSError, EOFError, RuntimeError) as e:
            raise QMPError(str(e)) from e

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Guest:
    """Ballast under QEMU with a QMP socket and the serial shell on a pipe, in
    scripted mode (so each command's status comes back with its output)."""

    def __init__(self, machine="q35", mem="1G", balloon_opts="", append="", accel="tcg",
                 boot_timeout=120, extra=(), kernel=None, smp=1, vmem=None, vmem_block="2M",
                 balloon_features=False):
        self.tmp = tempfile.mkdtemp(prefix="ballast-qmp-")
        self.qmp_path = os.path.join(self.tmp, "qmp.sock")
        cmd, self.accel = qemu.build_cmd(machine, "pvh", mem, accel, append, qmp=self.qmp_path,
                                         balloon_opts=balloon_opts, extra=extra, quiet=True,
                                         kernel=kernel, smp=smp, vmem=vmem,
                                         vmem_block=vmem_block,
                                         balloon_features=balloon_features)
        self.cmdline = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.out = ""
        self.qmp = None
        try:
            self.wait_for("ballast: ready", boot_timeout)
            self.wait_for(PROMPT, 30)
            self.proc.stdin.write(qemu.SCRIPT_START)
            self.proc.stdin.flush()
            self.qmp = QMP(self.qmp_path)
        except Exception:
            self.close()
            raise

    def _pump(self, wait):
        fd = self.proc.stdout.fileno()
        r, _, _ = select.select([fd], [], [], wait)
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                raise QMPError("QEMU exited:\n" + self.out[-3000:])
            self.out += chunk.decode(errors="replace")

    def wait_for(self, text, timeout, start=0):
        """Wait until @text appears in the output after offset @start; returns its end."""
        deadline = time.monotonic() + timeout
        while True:
            i = self.out.find(text, start)
            if i >= 0:
                return i + len(text)
            if time.monotonic() > deadline:
                raise QMPError(f"timed out waiting for {text!r}; output tail:\n{self.out[-3000:]}")
            self._pump(0.2)

    def run(self, line, timeout=60):
        """Run one shell command: (status, output without the echo, status line and
        prompt). Raises QMPError if the shell printed no status line for it."""
        start = len(self.out)
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        end = self.wait_for(PROMPT, timeout, start)
        text = self.out[start:end - len(PROMPT)].replace("\r", "")
        text = text.split("\n", 1)[1] if "\n" in text else ""
        st = last_status(text)
        if st is None or st[0] != line.split()[0]:
            raise QMPError(f"{line!r}: no [status] line from the shell (got {st}):\n{text[-2000:]}")
        return st[1], text[:text.rfind("[status] ")]

    def shell(self, line, timeout=60, expect=0):
        """Run one shell command; returns its output. Raises CommandFailed when its
        status is not @expect (0: success; True: any failure; None: not checked)."""
        rc, text = self.run(line, timeout)
        if expect is None or (expect is True and rc != 0) or (expect is not True and rc == expect):
            return text
        raise CommandFailed(f"{line!r}: status {rc}, expected "
                            f"{'a failure' if expect is True else expect}:\n{text[-2000:]}")

    def check(self, line, noun, lead="", timeout=120):
        """Run a checking command (`balloon check`, `mmcheck`, `frag verify`): (ok, output),
        ok when it returned 0 and every "N @noun" it printed (at least one) is 0."""
        rc, text = self.run(line, timeout)
        return rc == 0 and reports_zero(text, noun, lead), f"[status {rc}]\n{text}"

    def pid(self):
        return self.proc.pid

    def close(self):
        if self.qmp:
            try:
                self.qmp.cmd("quit")
            except Exception:
                pass
            self.qmp.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        try:
            os.unlink(self.qmp_path)
        except OSError:
            pass
        try:
            os.rmdir(self.tmp)
        except OSError:
            pass


def alloc_result(text):
    """(got, asked) from the shell's `alloc` output, or (None, None)."""
    m = re.search(r"^alloc: got (\d+) of (\d+) ", text, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def parse_balloon(text):
    """Fields of the guest's `balloon` output for device 0 (pages)."""
    f = {}
    for key in ("target", "actual", "isolated", "listed"):
        m = re.search(rf"^\s*{key}\s+(\d+) pages", text, re.M)
        if m:
            f[key] = int(m.group(1))
    for key in ("inflated", "deflated", "migrated", "timeouts", "clamps", "stats_requests"):
        m = re.search(rf"\b{key} (\d+)", text)
        if m:
            f[key] = int(m.group(1))
    f["broken"] = "BROKEN" in text
    return f


class TAP:
    """TAP result lines with a running count; on failure the tail of @diag as comments."""

    def __init__(self, diag_lines=30):
        self.n = 0
        self.failures = 0
        self.diag_lines = diag_lines

    def skip(self, name, why):
        """A TAP line for a check that could not run here (counted as a skip, not a pass)."""
        self.n += 1
        print(f"ok {self.n} - {name} # SKIP {why}", flush=True)

    def __call__(self, ok, name, diag=""):
        self.n += 1
        if not ok:
            self.failures += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {name}", flush=True)
        if diag and not ok:
            for ln in str(diag).strip().splitlines()[-self.diag_lines:]:
                print(f"# {ln}", flush=True)
        return ok

    def plan(self):
        """Print the plan line; the exit status (1 if anything failed)."""
        print(f"1..{self.n}", flush=True)
        return 1 if self.failures else 0


def wait_actual(g, want_bytes, timeout=120, interval=0.1):
    """Poll query-balloon until actual == @want_bytes: (ok, last actual, seconds)."""
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < timeout:
        last = g.qmp.cmd("query-balloon")["actual"]
        if last == want_bytes:
            return True, last, time.monotonic() - t0
        time.sleep(interval)
    return False, last, time.monotonic() - t0
