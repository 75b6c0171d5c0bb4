#!/usr/bin/env python3
"""qmp.py - a small QMP client and a Ballast guest driver (Python stdlib only).

  QMP(path)               connect to QEMU's -qmp unix socket, negotiate
  QMP.cmd(name, **args)   run a command; returns its "return" value, raises
                          QMPError on an "error" reply; events are kept
  Guest(...)              boot Ballast (scripts/qemu.py's command line) with
                          a QMP socket, talk to its serial shell:
                          Guest.shell("balloon") -> the command's output
"""
import json
import os
import re
import select
import socket
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


class QMP:
    def __init__(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise QMPError(f"cannot connect to QMP socket {path}")
                time.sleep(0.05)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.events = []
        greeting = self._read()
        if "QMP" not in greeting:
            raise QMPError(f"unexpected greeting {greeting}")
        self.cmd("qmp_capabilities")

    def _read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise QMPError("QMP connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self._read()
            if "event" in r:
                self.events.append(r)
                continue
            if "error" in r:
                raise QMPError(f"{name}: {r['error'].get('desc', r['error'])}")
            return r.get("return")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


PROMPT = "ballast> "


class Guest:
    """Ballast under QEMU with a QMP socket and the serial shell on a pipe."""

    def __init__(self, machine="q35", mem="1G", balloon_opts="", append="", accel="tcg",
                 boot_timeout=120, extra=(), kernel=None):
        self.tmp = tempfile.mkdtemp(prefix="ballast-qmp-")
        self.qmp_path = os.path.join(self.tmp, "qmp.sock")
        cmd, self.accel = qemu.build_cmd(machine, "pvh", mem, accel, append, qmp=self.qmp_path,
                                         balloon_opts=balloon_opts, extra=extra, quiet=True,
                                         kernel=kernel)
        self.cmdline = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.out = ""
        self.qmp = None
        try:
            self.wait_for("ballast: ready", boot_timeout)
            self.wait_for(PROMPT, 30)
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

    def shell(self, line, timeout=60):
        """Run one shell command; returns its output (without the echo and prompt)."""
        start = len(self.out)
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        end = self.wait_for(PROMPT, timeout, start)
        text = self.out[start:end - len(PROMPT)]
        return text.replace("\r", "").split("\n", 1)[1] if "\n" in text else ""

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
