#!/usr/bin/env python3
"""qemu.py - boot Ballast under QEMU: one place that knows the command lines.

Used by `make run`, `make gdb`, `make bench` and the test harness.

  qemu.py [--machine q35|pc|microvm|microvm-pci] [--boot pvh|iso] [--mem 1G]
          [--accel auto|kvm|tcg] [--append "..."] [--timeout S] [--qmp PATH]
          [--gdb] [--no-balloon] [--balloon-features on|off] [--balloon-opts OPTS]
          [--smp N] [--vmem SIZE [--vmem-block 2M] [--vmem-requested 0]]
          [--print-cmd] [-- extra qemu args]

CPUs: --smp N gives the guest N CPUs (`make run` passes SMP, default 2);
Ballast starts every CPU the firmware's MADT lists. Under TCG QEMU runs
them multi-threaded. build_cmd() keeps smp=1 unless a test asks for more.

Balloon: a virtio-balloon device (id=balloon0) is attached unless --no-balloon.
From the command line (`make run`) it offers deflate-on-OOM and free page
reporting (BALLOON_FEATURES, on by default), so the driver's whole feature set
shows on a first boot; --balloon-features off gives the plain device.
--balloon-opts adds properties; one it names replaces the default
(`--balloon-opts free-page-reporting=off` keeps deflate-on-OOM only).
build_cmd(), which the tests call, attaches the plain device unless asked
(balloon_features=True): a test names the features it needs in balloon_opts,
and the tests that check their absence get none.

virtio-mem (docs/virtio-mem.md): --vmem SIZE (make run VMEM=4G) adds a
virtio-mem-pci device (id=vm0) over a SIZE RAM backend (id=vmem0) with
block-size --vmem-block (VMEM_BLOCK, default 2M) and requested-size
--vmem-requested (default 0), and turns `-m MEM` into `-m MEM,maxmem=MEM+SIZE`
(QEMU 7.2 places the region in its device-memory area, at 4 GiB on pc and q35
with little RAM; virtio-mem needs no DIMM slots). Then `qom-set vm0
requested-size 1G` in the QEMU monitor (or QMP) plugs memory. PCI machines only.

Accelerator: `auto` uses KVM when /dev/kvm answers KVM_GET_API_VERSION, else
TCG (and says so). The GRUB ISO path uses TCG under `auto`: BIOS -> GRUB
boots hang under nested KVM on some hosts.

Standard input: when it is a terminal, the serial console is interactive
(Ctrl-A c for the QEMU monitor, Ctrl-A x to quit). When it is not, its
contents are sent to the shell between Ctrl-B and Ctrl-D (script_bytes()):
Ctrl-B puts the shell in scripted mode (a "[status] NAME RC" line after
each command), Ctrl-D makes Ballast power off at the end of input.

Dumps (docs/vmcoreinfo.md, README "After a crash"): --dump PATH adds
`-device vmcoreinfo -device pvpanic -action panic=pause` and a QMP socket,
and a watcher thread waits for the QMP event GUEST_PANICKED; then it runs
dump-guest-memory (ELF) into a temporary file next to PATH, filters it
into PATH with the dump tool (build/tools/ballast-dump filter --exclude
free,reported,offline,hwpoison IN OUT, or $BALLAST_DUMP_TOOL;
dump_filter() is the one place that calls it; without the tool the
unfiltered dump is kept at PATH and it says so) and quits QEMU.
--qmp PATH (make run QMP=...) also adds -device vmcoreinfo so a live guest
can be dumped from another terminal: `qemu.py --dump-live SOCK --dump PATH`
(make dump QMP=SOCK DUMP=PATH).

Exit status: 0 when the guest powered off or reported success through
isa-debug-exit, 1 when it reported failure, 2 on a crash/panic (also when
--dump saw GUEST_PANICKED), 3 on timeout, 4 when QEMU could not start.
With --app (an appliance image, `make run APP=...`): the application's
exit status (0..126; 127 when it crashed: panic, abort, failed assert),
see app_status().
"""
import argparse
import fcntl
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KVM_GET_API_VERSION = 0xAE00

# isa-debug-exit: QEMU exits with (value << 1) | 1
EXIT_MAP = {0: 0, 1: 0, 33: 0, 35: 1, 37: 2}

# The balloon's QEMU id, and the features `make run` turns on (QEMU 7.2 has
# both properties on virtio-balloon-pci, its transitional/non-transitional
# variants and virtio-balloon-device; both default to off).
BALLOON_ID = "balloon0"
BALLOON_FEATURES = ["deflate-on-oom=on", "free-page-reporting=on"]


KVM_WHY = ""


def kvm_device_ok(dev):
    """True if @dev opens read-write and speaks KVM API version 12."""
    try:
        fd = os.open(dev, os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return False, f"{dev}: {e.strerror}"
    try:
        if fcntl.ioctl(fd, KVM_GET_API_VERSION) != 12:
            return False, f"{dev}: unexpected KVM API version"
        return True, ""
    except OSError as e:
        return False, f"{dev}: {e.strerror}"
    finally:
        os.close(fd)


def kvm_probe_guest():
    """Boot the probe guest under KVM: can a guest run SSE code here?
    The probe is build/kvm-probe.elf, or $BALLAST_KVM_PROBE (tests point it
    at a probe that faults, to stand for a host whose KVM cannot run SSE).
    The answer is cached next to the probe (PROBE.result) for this machine."""
    probe = os.environ.get("BALLAST_KVM_PROBE",
                           os.path.join(ROOT, "build", "kvm-probe.elf"))
    cache = os.path.splitext(probe)[0] + ".result"
    if not os.path.exists(probe):
        return False, f"the KVM probe guest {probe} is not built (make builds it); not risking KVM"
    if os.path.exists(cache) and os.path.getmtime(cache) >= os.path.getmtime(probe):
        ok = open(cache).read().strip() == "ok"
    else:
        qemu = shutil.which("qemu-system-x86_64")
        try:
            r = subprocess.run([qemu, "-nodefaults", "-display", "none", "-M",
                                "microvm,isa-serial=off", "-accel", "kvm", "-cpu",
                                "host,-arch-capabilities", "-m", "32M", "-no-reboot",
                                "-kernel", probe,
                                "-device", "isa-debug-exit,iobase=0xf4,iosize=4"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               timeout=20)
            ok = r.returncode == 33
        except subprocess.TimeoutExpired:
            ok = False
        with open(cache, "w") as f:
            f.write("ok\n" if ok else "fail\n")
    return ok, "" if ok else "KVM is present but a guest cannot execute SSE instructions under it (nested-KVM quirk)"


def kvm_usable(dev="/dev/kvm"):
    """True if KVM opens and a probe guest runs SSE code under it."""
    global KVM_WHY
    dev = os.environ.get("BALLAST_KVM_DEVICE", dev)
    ok, KVM_WHY = kvm_device_ok(dev)
    if ok:
        ok, KVM_WHY = kvm_probe_guest()
    return ok


def pick_accel(accel, boot, quiet=False):
    if accel == "auto":
        if boot == "iso":
            return "tcg"
        if kvm_usable():
            return "kvm"
        if not quiet:
            print(f"qemu.py: KVM is not usable here ({KVM_WHY}); "
                  "using TCG, which is slower", file=sys.stderr)
        return "tcg"
    if accel == "kvm" and not kvm_usable():
        sys.exit(f"qemu.py: ACCEL=kvm asked for, but KVM is not usable ({KVM_WHY}); use ACCEL=tcg or auto")
    return accel


def app_status(rc):
    """An appliance's exit status from QEMU's: isa-debug-exit gives (status << 1) | 1;
    0 is an ACPI power-off (status 0); anything else is the crash status 127."""
    if rc == 0:
        return 0
    if rc & 1:
        return rc >> 1
    return 127


def balloon_device(dev, features, opts):
    """The -device value: @dev with our id, the default features when
    @features, then @opts (a property named in @opts replaces the default)."""
    given = [o for o in opts.split(",") if o]
    named = {o.split("=", 1)[0] for o in given}
    defaults = [f for f in BALLOON_FEATURES if f.split("=", 1)[0] not in named] if features else []
    return ",".join([dev, f"id={BALLOON_ID}"] + defaults + given)


# The devices a dump needs: the VMCOREINFO note's fw_cfg file; pvpanic and
# a panic action that keeps the guest's memory for dump-guest-memory.
VMCOREINFO_ARGS = ["-device", "vmcoreinfo"]
PANIC_DUMP_ARGS = ["-device", "pvpanic", "-action", "panic=pause"]


VMEM_ID = "vm0"


def size_bytes(text):
    """QEMU-style size ("512M", "4G", "2048K", "1073741824") in bytes."""
    t = str(text).strip().upper().rstrip("B")
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    if t and t[-1] in mult:
        return int(float(t[:-1]) * mult[t[-1]])
    return int(t)


def vmem_args(mem, vmem, block="2M", requested="0"):
    """The -m value and the device arguments for a virtio-mem device of @vmem bytes."""
    total_mib = (size_bytes(mem) + size_bytes(vmem)) >> 20
    m = f"{mem},maxmem={total_mib}M"
    dev = ["-object", f"memory-backend-ram,id=vmem0,size={vmem}",
           "-device", f"virtio-mem-pci,id={VMEM_ID},memdev=vmem0,"
                      f"requested-size={requested},block-size={block},unplugged-inaccessible=on"]
    return m, dev


def build_cmd(machine="q35", boot="pvh", mem="1G", accel="auto", append="",
              kernel=None, iso=None, qmp=None, gdb=False, balloon=True,
              balloon_opts="", extra=(), quiet=False, smp=1, balloon_features=False,
              vmcoreinfo=False, panic_dump=False, vmem=None, vmem_block="2M",
              vmem_requested="0"):
    accel = pick_accel(accel, boot, quiet)
    kernel = kernel or os.path.join(ROOT, "build", "ballast.elf")
    iso = iso or os.path.join(ROOT, "build", "ballast.iso")
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        sys.exit("qemu.py: qemu-system-x86_64 not found; run `make deps` (as root)")
    vmem_dev = []
    if vmem:
        if machine not in ("q35", "pc"):
            sys.exit("qemu.py: virtio-mem (--vmem) needs a PCI machine with device memory: q35 or pc")
        mem, vmem_dev = vmem_args(mem, vmem, vmem_block, vmem_requested)
    cmd = [qemu, "-nodefaults", "-no-user-config", "-display", "none",
           "-m", mem, "-smp", str(smp), "-no-reboot",
           "-accel", accel, "-cpu", "host,-arch-capabilities" if accel == "kvm" else "max"]
    mmio = False
    if machine == "q35":
        cmd += ["-M", "q35"]
    elif machine == "pc":
        cmd += ["-M", "pc"]
    elif machine == "microvm":
        cmd += ["-M", "microvm,isa-serial=on,rtc=on,pit=on"]
        mmio = True
    elif machine == "microvm-pci":
        cmd += ["-M", "microvm,isa-serial=on,rtc=on,pit=on,pcie=on"]
    else:
        sys.exit(f"qemu.py: unknown machine '{machine}' (q35, pc, microvm, microvm-pci)")
    if boot == "iso" and machine.startswith("microvm"):
        sys.exit("qemu.py: the GRUB ISO needs a BIOS machine (q35 or pc), not microvm")
    cmd += ["-serial", "mon:stdio",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if balloon:
        dev = "virtio-balloon-device" if mmio else "virtio-balloon-pci"
        cmd += ["-device", balloon_device(dev, balloon_features, balloon_opts)]
    cmd += vmem_dev
    if boot == "pvh":
        cmd += ["-kernel", kernel]
        if append:
            cmd += ["-append", append]
    elif boot == "iso":
        if append:
            sys.exit("qemu.py: a command line cannot be passed to the ISO boot; edit boot/grub.cfg")
        cmd += ["-cdrom", iso, "-boot", "d"]
    else:
        sys.exit(f"qemu.py: unknown boot path '{boot}' (pvh, iso)")
    if qmp:
        cmd += ["-qmp", f"unix:{qmp},server=on,wait=off"]
    if vmcoreinfo or panic_dump:
        cmd += VMCOREINFO_ARGS
    if panic_dump:
        cmd += PANIC_DUMP_ARGS
    if gdb:
        cmd += ["-s", "-S"]
    cmd += list(extra)
    return cmd, accel


READY = b"ballast: ready"
SCRIPT_START = b"\x02"     # Ctrl-B: the shell reports "[status] NAME RC" after each command
SCRIPT_END = b"\x04"       # Ctrl-D on an empty line: power off


def script_bytes(text):
    """The bytes that run @text (str or bytes, one command a line) as a script."""
    data = text.encode() if isinstance(text, str) else bytes(text)
    if data and not data.endswith(b"\n"):
        data += b"\n"
    return SCRIPT_START + data + SCRIPT_END


def run(cmd, stdin_data=None, timeout=None, interactive=False, echo=True):
    """Run QEMU; returns (mapped status, output text).

    @stdin_data is written to the serial console once Ballast prints
    "ballast: ready" (earlier bytes would be eaten by GRUB's menu or lost
    when the UART is initialised)."""
    if interactive:
        try:
            rc = subprocess.call(cmd)
        except KeyboardInterrupt:
            rc = 0
        return EXIT_MAP.get(rc, 2 if rc else 0), ""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = bytearray()
    deadline = time.monotonic() + timeout if timeout else None
    fd = p.stdout.fileno()
    pending = stdin_data
    timed_out = False
    while True:
        wait = 0.5
        if deadline:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            wait = min(wait, left)
        r, _, _ = select.select([fd], [], [], wait)
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            out += chunk
            if echo:
                sys.stdout.buffer.write(chunk)
                sys.stdout.flush()
            if pending is not None and READY in out:
                try:
                    p.stdin.write(pending)
                    p.stdin.flush()
                except BrokenPipeError:
                    pass
                pending = None
        elif p.poll() is not None:
            rest = p.stdout.read()
            if rest:
                out += rest
                if echo:
                    sys.stdout.buffer.write(rest)
            break
    if timed_out:
        p.kill()
        p.wait()
        msg = f"\nqemu.py: timed out after {timeout} s; QEMU killed\n"
        out += msg.encode()
        if echo:
            sys.stdout.write(msg)
        return 3, out.decode(errors="replace")
    rc = p.wait()
    return EXIT_MAP.get(rc, 2), out.decode(errors="replace")


# ---- dumps: QMP just enough to wait for GUEST_PANICKED and dump ----

# The host dump tool (tools/ballast-dump.c); $BALLAST_DUMP_TOOL points elsewhere.
DUMP_TOOL = os.environ.get("BALLAST_DUMP_TOOL") or os.path.join(ROOT, "build", "tools", "ballast-dump")


class QMPLink:
    """The QMP client (tests/qemu/qmp.py's QMP wraps it with its own errors):
    connect within @timeout s, negotiate; commands wait @read_timeout s for
    their reply (None: as long as QEMU takes)."""

    def __init__(self, path, timeout=30, read_timeout=None):
        deadline = time.monotonic() + timeout
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise OSError(f"cannot connect to the QMP socket {path}")
                time.sleep(0.05)
        self.buf = b""
        self.events = []
        self.read_timeout = read_timeout
        greeting = self._read(read_timeout)
        if "QMP" not in greeting:
            raise RuntimeError(f"unexpected QMP greeting {greeting}")
        self.cmd("qmp_capabilities")

    def _read(self, timeout):
        self.sock.settimeout(timeout)
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("QMP connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, **args):
        """Run @name; its "return" value, or RuntimeError with QEMU's message."""
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self._read(self.read_timeout)
            if "event" in r:
                self.events.append(r)
            elif "error" in r:
                raise RuntimeError(f"{name}: {r['error'].get('desc', r['error'])}")
            else:
                return r.get("return")

    def wait_event(self, name, timeout=None):
        """The next event called @name (EOFError if QEMU goes away first)."""
        for i, e in enumerate(self.events):
            if e["event"] == name:
                return self.events.pop(i)
        while True:
            r = self._read(timeout)
            if r.get("event") == name:
                return r
            if "event" in r:
                self.events.append(r)

    def close(self):
        self.sock.close()


# What a dump on panic leaves out: pages with no information in them (free in
# the buddy, reported to the host, ballooned/offline, hardware-poisoned).
DUMP_EXCLUDE = "free,reported,offline,hwpoison"


def dump_filter(src, dst):
    """Filter the ELF dump @src into @dst with the dump tool (build/tools/ballast-dump
    filter --exclude DUMP_EXCLUDE IN OUT) and remove @src: (True, the tool's report).
    Without the tool, @src is moved to @dst unfiltered: (False, why)."""
    if not os.access(DUMP_TOOL, os.X_OK):
        os.replace(src, dst)
        return False, f"{DUMP_TOOL} is not built; kept the unfiltered dump"
    r = subprocess.run([DUMP_TOOL, "filter", "--exclude", DUMP_EXCLUDE, src, dst],
                       stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        os.replace(src, dst)
        return False, f"ballast-dump filter failed ({r.returncode}); kept the unfiltered dump:\n{r.stdout}"
    os.unlink(src)
    return True, r.stdout


def take_dump(qmp_cmd, path, filtered=True):
    """dump-guest-memory (ELF, no paging) through @qmp_cmd (a QMP command function)
    into a temporary file next to @path, then dump_filter() it into @path (or keep
    it as it is when not @filtered). Returns a one-paragraph report."""
    path = os.path.abspath(path)
    tmp = f"{path}.unfiltered.{os.getpid()}"
    t0 = time.monotonic()
    qmp_cmd("dump-guest-memory", paging=False, protocol=f"file:{tmp}", format="elf")
    size = os.path.getsize(tmp)
    msg = f"dump-guest-memory: {size >> 20} MiB in {time.monotonic() - t0:.1f} s"
    if not filtered:
        os.replace(tmp, path)
        return f"{msg}; written to {path}"
    ok, report = dump_filter(tmp, path)
    if ok:
        return f"{msg}; filtered to {os.path.getsize(path) >> 20} MiB in {path}\n{report.rstrip()}"
    return f"{msg}; {report.rstrip()} ({path})"


class PanicDumper(threading.Thread):
    """Waits on QMP socket @qmp_path for GUEST_PANICKED, dumps the guest into
    @path (take_dump), then quits QEMU. .panicked tells whether it happened."""

    def __init__(self, qmp_path, path):
        super().__init__(daemon=True)
        self.qmp_path, self.path = qmp_path, path
        self.panicked = False
        self.report = ""

    def run(self):
        try:
            q = QMPLink(self.qmp_path)
        except OSError as e:
            self.report = f"qemu.py: no dump on panic: {e}"
            print(self.report, file=sys.stderr)
            return
        try:
            q.wait_event("GUEST_PANICKED")
            self.panicked = True
            print("\r\nqemu.py: GUEST_PANICKED; taking the dump...\r", file=sys.stderr, flush=True)
            self.report = take_dump(q.cmd, self.path)
            print("\r\nqemu.py: " + self.report.replace("\n", "\r\n") + "\r", file=sys.stderr, flush=True)
            q.cmd("quit")
        except (EOFError, OSError):
            pass                    # QEMU went away without a panic
        except RuntimeError as e:
            self.report = f"qemu.py: the dump failed: {e}"
            print(self.report, file=sys.stderr, flush=True)
            try:
                q.cmd("quit")
            except Exception:
                pass
        finally:
            q.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--machine", default="q35")
    ap.add_argument("--boot", default="pvh")
    ap.add_argument("--mem", default="1G")
    ap.add_argument("--accel", default="auto")
    ap.add_argument("--append", default="")
    ap.add_argument("--timeout", type=float, default=None)
    ap.add_argument("--qmp", default=None)
    ap.add_argument("--gdb", action="store_true")
    ap.add_argument("--no-balloon", action="store_true")
    ap.add_argument("--balloon-features", choices=("on", "off"), default="on")
    ap.add_argument("--balloon-opts", default="")
    ap.add_argument("--smp", type=int, default=1, help="CPUs (1-8)")
    ap.add_argument("--vmem", default=None, metavar="SIZE",
                    help="add a virtio-mem-pci device (id vm0) of SIZE")
    ap.add_argument("--vmem-block", default="2M", metavar="SIZE")
    ap.add_argument("--vmem-requested", default="0", metavar="SIZE")
    ap.add_argument("--print-cmd", action="store_true")
    ap.add_argument("--dump", default=None, metavar="PATH",
                    help="on GUEST_PANICKED, dump guest memory and filter it into PATH")
    ap.add_argument("--dump-live", default=None, metavar="QMP_SOCKET",
                    help="dump the running guest behind QMP_SOCKET into --dump PATH, and exit")
    ap.add_argument("--kernel", default=None)
    ap.add_argument("--iso", default=None)
    ap.add_argument("--app", action="store_true",
                    help="an appliance: exit with the application's status")
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    if not 1 <= a.smp <= 8:
        sys.exit("qemu.py: --smp takes 1 to 8 (Ballast runs at most 8 CPUs)")
    if a.dump_live:
        if not a.dump:
            sys.exit("qemu.py: --dump-live needs --dump PATH")
        q = QMPLink(a.dump_live, timeout=5)
        print(take_dump(q.cmd, a.dump))
        q.close()
        return 0
    qmp = a.qmp
    tmpdir = None
    if a.dump and not qmp:
        import tempfile
        tmpdir = tempfile.mkdtemp(prefix="ballast-run-")
        qmp = os.path.join(tmpdir, "qmp.sock")
    cmd, accel = build_cmd(a.machine, a.boot, a.mem, a.accel, a.append, qmp=qmp,
                           gdb=a.gdb, balloon=not a.no_balloon,
                           balloon_opts=a.balloon_opts, extra=a.extra, smp=a.smp,
                           balloon_features=a.balloon_features == "on",
                           vmcoreinfo=bool(a.qmp), panic_dump=bool(a.dump),
                           kernel=a.kernel, iso=a.iso, vmem=a.vmem or None,
                           vmem_block=a.vmem_block, vmem_requested=a.vmem_requested)
    if a.print_cmd:
        print(" ".join(cmd))
        return 0
    dumper = None
    if a.dump:
        dumper = PanicDumper(qmp, a.dump)
        dumper.start()
    tty = sys.stdin.isatty()
    print(f"qemu.py: {a.machine}, {a.boot.upper()} boot, {a.mem}, {a.smp} CPU(s), {accel.upper()}"
          + ("; Ctrl-A c: QEMU monitor, Ctrl-A x: quit" if tty else
             "; running the commands from standard input"), file=sys.stderr)
    if a.app:
        # the application owns the console: standard input goes to it as typed
        if tty:
            rc = subprocess.call(cmd)
        else:
            rc = subprocess.run(cmd, stdin=sys.stdin, timeout=a.timeout).returncode
        st = app_status(rc)
        print(f"qemu.py: the application exited with status {st}"
              + (" (crashed)" if st == 127 else ""), file=sys.stderr)
        return st
    if tty:
        rc, _ = run(cmd, interactive=True)
    else:
        rc, _ = run(cmd, stdin_data=script_bytes(sys.stdin.buffer.read()), timeout=a.timeout)
    if dumper:
        dumper.join(timeout=600)
        if dumper.panicked:
            rc = 2
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
