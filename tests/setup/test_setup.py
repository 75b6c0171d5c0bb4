#!/usr/bin/env python3
"""test_setup.py - the fresh-machine promise, checked without uninstalling anything.

A fresh Debian machine has none of the packages; `make run` and `make test`
must install them before any step that needs them (mk/deps.mk,
scripts/deps.sh), and boot under TCG when KVM is missing or cannot run SSE.

  1. make's plan: with the newlib tarball pointed at a file that does not
     exist, `make -n GOAL` (also with -j4) succeeds and its first step is the
     dependency check, before the tarball, newlib and every compiler line.
     Reading the makefiles runs no tool (gcc is not there yet on a fresh
     machine).
  2. scripts/deps.sh on a PATH with no tools: names what is missing and the
     exact apt-get command (dry run; and as a non-root user, refuses with
     the command to run as root).
  3. `make run` with no /dev/kvm, and with a KVM whose guest cannot run SSE
     (a probe guest that faults), falls back to TCG, says why, and reaches
     the shell.

TAP on stdout.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
import qemu  # noqa: E402
import qmp  # noqa: E402  (its TAP counter)

T = qmp.TAP(diag_lines=60)


def check(name, cond, detail=""):
    T(cond, name, detail)


skip = T.skip


MISSING_TARBALL = "/nonexistent/ballast-test/newlib-0.0.0.tar.xz"
# A recipe line that runs a tool the deps check installs.
TOOL_LINE = re.compile(r"(^|[\s;&|])(gcc|clang|ld|grub-mkrescue|xorriso|python3|"
                       r"sh scripts/build-newlib\.sh|NEWLIB_TARBALL=\S+ sh scripts/build-newlib\.sh)\s")


def plan(goal, jobs=None):
    """Lines of `make -n GOAL` against an empty build dir and a missing tarball."""
    build = tempfile.mkdtemp(prefix="ballast-plan-")
    cmd = ["make", "--no-print-directory", "-n", goal,
           f"NEWLIB_TARBALL={MISSING_TARBALL}", f"BUILD={build}"]
    if jobs:
        cmd.insert(1, f"-j{jobs}")
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    shutil.rmtree(build, ignore_errors=True)
    return r.returncode, r.stdout.splitlines(), r.stderr


def first_index(lines, pred):
    for i, ln in enumerate(lines):
        if pred(ln):
            return i
    return None


def check_plan(goal, jobs=None):
    rc, lines, err = plan(goal, jobs)
    label = f"make -n{' -j' + str(jobs) if jobs else ''} {goal}"
    check(f"{label}: plans without failing though the tarball is missing", rc == 0,
          err + "\n".join(lines[-20:]))
    deps = first_index(lines, lambda ln: "scripts/deps.sh" in ln)
    tool = first_index(lines, lambda ln: TOOL_LINE.search(ln) is not None)
    check(f"{label}: the dependency check is the first step",
          deps == 0, "\n".join(lines[:15]))
    check(f"{label}: no tool runs before the dependency check",
          deps is not None and (tool is None or deps < tool),
          f"deps at {deps}, first tool line at {tool}: "
          f"{lines[tool] if tool is not None else ''}")
    return lines


def test_plans():
    lines = check_plan("test")
    tar = first_index(lines, lambda ln: MISSING_TARBALL in ln and ln.startswith("test -r"))
    newlib = first_index(lines, lambda ln: "build-newlib.sh" in ln)
    cc = first_index(lines, lambda ln: re.match(r"gcc .* -c \S+\.c ", ln) is not None)
    check("make -n test: deps check, then the tarball, then newlib, then the kernel",
          None not in (tar, newlib, cc) and 0 < tar < newlib < cc,
          f"tarball check {tar}, newlib {newlib}, first kernel cc {cc}")
    check_plan("test", jobs=4)
    for goal in ["all", "run", "host-build", "fuzz", "tools", "iso"]:
        check_plan(goal)


def test_no_tool_at_parse_time():
    """Reading the makefiles runs no compiler: on a fresh machine gcc and clang
    arrive only with the deps check, after make has parsed everything, so a
    value computed from them while parsing would be empty for the whole run."""
    fake = tempfile.mkdtemp(prefix="ballast-fakecc-")
    log = os.path.join(fake, "calls.log")
    for tool in ["gcc", "clang", "cc", "ld", "python3", "qemu-system-x86_64"]:
        path = os.path.join(fake, tool)
        with open(path, "w") as f:
            f.write(f'#!/bin/sh\necho "{tool} $*" >> {log}\nexit 127\n')
        os.chmod(path, 0o755)
    env = dict(os.environ, PATH=fake + ":" + os.environ["PATH"])
    for goal in ["deps", "clean"]:
        r = subprocess.run(["make", "--no-print-directory", "-n", goal], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
        calls = open(log).read() if os.path.exists(log) else ""
        check(f"make -n {goal} runs no tool while reading the makefiles",
              r.returncode == 0 and calls == "", f"exit {r.returncode}; tools called:\n"
              f"{calls}{r.stderr}")
    shutil.rmtree(fake, ignore_errors=True)


def deps_env(path):
    env = dict(os.environ)
    env.update(PATH=path, DEPS_PKGS="qemu-system-x86 newlib-source",
               DEPS_CMDS="qemu-system-x86_64 gcc", DEPS_FILES=MISSING_TARBALL)
    return env


def test_deps_script():
    script = os.path.join(ROOT, "scripts/deps.sh")
    empty = tempfile.mkdtemp(prefix="ballast-nopath-")
    r = subprocess.run(["/bin/sh", script, "--dry-run"], env=deps_env(empty),
                       capture_output=True, text=True, timeout=30)
    check("deps.sh --dry-run on a bare PATH names each missing command and file",
          r.returncode == 0 and re.search(r"^deps: missing: qemu-system-x86_64 gcc "
                                          + re.escape(MISSING_TARBALL) + "$",
                                          r.stdout, re.M) is not None, r.stdout + r.stderr)
    check("deps.sh --dry-run prints the exact install command",
          "deps: would run: apt-get update && apt-get install -y --no-install-recommends "
          "qemu-system-x86 newlib-source" in r.stdout, r.stdout)
    env = deps_env(os.environ["PATH"])
    env.update(DEPS_CMDS="sh", DEPS_FILES=script)
    r = subprocess.run(["/bin/sh", script], env=env, capture_output=True, text=True, timeout=30)
    check("deps.sh is silent and succeeds when everything is there",
          r.returncode == 0 and r.stdout == "", r.stdout + r.stderr)
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            skip("deps.sh as a non-root user refuses and prints the command", "no setpriv")
        else:
            # a copy the unprivileged user can read (the clone may sit under /root)
            os.chmod(empty, 0o755)
            copy = os.path.join(empty, "deps.sh")
            shutil.copy(script, copy)
            os.chmod(copy, 0o644)
            cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                   "/bin/sh", copy]
            r = subprocess.run(cmd, env=deps_env(empty), capture_output=True, text=True,
                               timeout=30, cwd="/")
            check("deps.sh as a non-root user installs nothing, fails, prints the root command",
                  r.returncode == 1 and "run as root:" in r.stdout and
                  "apt-get install -y --no-install-recommends qemu-system-x86 newlib-source"
                  in r.stdout, r.stdout + r.stderr)
    else:
        r = subprocess.run(["/bin/sh", script], env=deps_env(empty), capture_output=True,
                           text=True, timeout=30)
        check("deps.sh as a non-root user installs nothing, fails, prints the root command",
              r.returncode == 1 and "run as root:" in r.stdout, r.stdout + r.stderr)
    shutil.rmtree(empty, ignore_errors=True)


def probe_under_tcg(elf):
    """QEMU's exit status for the KVM probe guest run under TCG (33 = success)."""
    r = subprocess.run([shutil.which("qemu-system-x86_64"), "-nodefaults", "-display", "none",
                        "-M", "microvm,isa-serial=off", "-accel", "tcg", "-cpu", "max",
                        "-m", "32M", "-no-reboot", "-kernel", elf,
                        "-device", "isa-debug-exit,iobase=0xf4,iosize=4"],
                       capture_output=True, timeout=60)
    return r.returncode


def make_run(env_extra):
    env = dict(os.environ)
    env.update(env_extra)
    r = subprocess.run(["make", "--no-print-directory", "run", "MACHINE=microvm", "MEM=256M"],
                       cwd=ROOT, env=env, input="uptime\n", capture_output=True, text=True,
                       timeout=300)
    return r.returncode, r.stdout, r.stderr


def test_kvm_fallback():
    good = os.path.join(ROOT, "build/kvm-probe.elf")
    bad = os.path.join(ROOT, "build/kvm-probe-fault.elf")
    check("the KVM probe guest succeeds under TCG (exit 33)", probe_under_tcg(good) == 33)
    check("the faulting probe guest fails under TCG (it really faults)",
          probe_under_tcg(bad) != 33)

    rc, out, err = make_run({"BALLAST_KVM_DEVICE": "/nonexistent/kvm"})
    check("make run without /dev/kvm: says KVM is not usable and why",
          "KVM is not usable here (/nonexistent/kvm: No such file or directory); using TCG"
          in err, err)
    check("make run without /dev/kvm: boots to the shell under TCG and powers off",
          rc == 0 and "ballast: ready" in out and re.search(r"up \d+\.\d{3} s", out) is not None,
          f"exit {rc}\n{out[-2000:]}\n{err[-1000:]}")

    ok, why = qemu.kvm_device_ok("/dev/kvm")
    if not ok:
        skip("make run with a KVM that cannot run SSE falls back to TCG",
             f"no usable /dev/kvm on this machine ({why})")
        return
    cache = os.path.splitext(bad)[0] + ".result"
    if os.path.exists(cache):
        os.unlink(cache)
    rc, out, err = make_run({"BALLAST_KVM_PROBE": bad})
    check("make run with a KVM that cannot run SSE: says so and uses TCG",
          "guest cannot execute SSE instructions under it" in err and "using TCG" in err, err)
    check("make run with a KVM that cannot run SSE: boots to the shell and powers off",
          rc == 0 and "ballast: ready" in out and re.search(r"up \d+\.\d{3} s", out) is not None,
          f"exit {rc}\n{out[-2000:]}\n{err[-1000:]}")


def main():
    test_plans()
    test_no_tool_at_parse_time()
    test_deps_script()
    test_kvm_fallback()
    return T.plan()


if __name__ == "__main__":
    sys.exit(main())
