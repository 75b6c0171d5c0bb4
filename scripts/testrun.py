#!/usr/bin/env python3
"""testrun.py - `make test`: every suite, one summary line.

Steps (each bounded by a timeout):
  setup     tests/setup/test_*.py: the fresh-machine set-up (deps check planned
            first, deps.sh, make run's fall-back to TCG without a usable KVM)
            and the Layout rules (test_layout.py)
  host      tests/host binaries (ASan+UBSan), TAP lines counted
  fuzz      each libFuzzer target for a bounded number of runs
  tools     tests/tools/test_*.py: host tools (tools/pagemap.py) on synthetic dumps
  ktest     in-kernel KTAP suites: PVH on q35, PVH on microvm, GRUB ISO (TCG)
  shell     a scripted shell session checked for expected output (the lock
            checker armed with 0 reports after a frag/compact/zs session); its kpageflags
            dump through tools/page-types and tools/pagemap.py; frag, compact, zs;
            meminfo's Linux lines against the allocator; make run's balloon features
  boot      bad input and machine shapes: 32M, 6G (RAM above 4 GiB, PCI hole),
            meminfo against -m (and its Linux lines' relations), over-long
            command line, unknown ktest suite, QEMU without KVM
  qemu      tests/qemu/test_*.py system tests (QMP), if present; test_smp.py
            boots -smp 1/2/4/8 on pc, q35, microvm and the GRUB ISO

Boots are -smp 2 (make run's default) unless a step says otherwise; the
ktest step boots q35 with 4 CPUs, microvm with 2, and q35 -m 5G for mm_sparse.

Every scripted session runs in the shell's scripted mode and is checked
command by command (tests/qemu/qmp.py script_problems: each command ran, in
order, with status 0 unless the test expects it to fail); figures such as
"N problems" and "N mismatches" are parsed (qmp.counts), never matched as
substrings.

Prints "N passed, M failed" (", K skipped") last; exit status 1 on any failure.
Options: --only STEP[,STEP]  --verbose
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
import qemu  # noqa: E402
from qmp import command_text, counts, reports_zero, script_problems  # noqa: E402

TAP_OK = re.compile(r"^\s*ok \d+ (?:- )?(.*?)(\s+#\s*(SKIP|skip).*)?$")
TAP_NOT_OK = re.compile(r"^\s*not ok \d+ (?:- )?(.*)$")


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def ok(self, name):
        self.passed += 1

    def fail(self, name, why=""):
        self.failed += 1
        self.failures.append(f"{name}{': ' + why if why else ''}")
        print(f"  FAIL {name}{': ' + why if why else ''}")

    def skip(self, name, why=""):
        self.skipped += 1
        print(f"  skip {name}{': ' + why if why else ''}")


def count_tap(text, prefix, t, leaf_indent=None):
    """Count TAP/KTAP results. For KTAP, only case lines (indented) count;
    a suite line counts only when it has no cases (e.g. unknown suite)."""
    lines = text.splitlines()
    for ln in lines:
        if leaf_indent is not None:
            indent = len(ln) - len(ln.lstrip(" "))
            if indent != leaf_indent and not (indent == 0 and "# unknown suite" in ln):
                continue
        m = TAP_NOT_OK.match(ln)
        if m:
            t.fail(f"{prefix}{m.group(1).strip()}")
            continue
        m = TAP_OK.match(ln)
        if m:
            if m.group(3):
                t.skip(f"{prefix}{m.group(1).strip()}", ln.split("#", 1)[1].strip())
            else:
                t.ok(f"{prefix}{m.group(1).strip()}")


def step_host(t, verbose):
    bins = sorted(glob.glob(os.path.join(ROOT, "build/host/test_*")))
    if not bins:
        t.fail("host", "no host test binaries were built")
    for b in bins:
        name = os.path.basename(b)
        try:
            r = subprocess.run([b], capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            t.fail(f"host/{name}", "timed out after 600 s")
            continue
        before = t.failed
        count_tap(r.stdout, f"host/{name}/", t)
        if r.returncode != 0 and t.failed == before:
            t.fail(f"host/{name}", f"exit status {r.returncode}\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
        seed = re.search(r"seed=(\d+)", r.stdout)
        print(f"  host/{name}: exit {r.returncode}" + (f", seed {seed.group(1)}" if seed else ""))
        if verbose or r.returncode:
            print(r.stdout[-3000:], r.stderr[-3000:])


def step_tsan(t, verbose):
    """build/host-tsan/test_*: the threaded host suites under ThreadSanitizer.
    Their TAP lines count as usual, and one more check per binary: 0 TSan reports."""
    bins = sorted(glob.glob(os.path.join(ROOT, "build/host-tsan/test_*")))
    if not bins:
        t.fail("tsan", "no TSan binaries were built (make host-tsan)")
    env = dict(os.environ, TSAN_OPTIONS="second_deadlock_stack=1 history_size=4")
    for b in bins:
        name = os.path.basename(b)
        try:
            r = subprocess.run([b], capture_output=True, text=True, timeout=600, env=env)
        except subprocess.TimeoutExpired:
            t.fail(f"tsan/{name}", "timed out after 600 s")
            continue
        before = t.failed
        count_tap(r.stdout, f"tsan/{name}/", t)
        reports = r.stderr.count("WARNING: ThreadSanitizer")
        if reports:
            t.fail(f"tsan/{name}/reports", f"{reports} ThreadSanitizer reports\n{r.stderr[-4000:]}")
        else:
            t.ok(f"tsan/{name}/reports")
        if r.returncode not in (0, 66) and t.failed == before:
            t.fail(f"tsan/{name}", f"exit status {r.returncode}\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
        seed = re.search(r"seed=(\d+)", r.stdout)
        print(f"  tsan/{name}: exit {r.returncode}, {reports} reports" +
              (f", seed {seed.group(1)}" if seed else ""))
        if verbose or r.returncode or reports:
            print(r.stdout[-3000:], r.stderr[-3000:])


FUZZ_RUNS = 100000
FUZZ_SECONDS = 45     # a slow target (fuzz_balloon, fuzz_virtio_mem) stops here


def step_fuzz(t, verbose):
    # each target: 100000 runs from a fixed seed, or 45 s, whichever ends first
    # (a fixed run count alone timed out under load); the runs done are printed
    fuzzers = sorted(glob.glob(os.path.join(ROOT, "build/host/fuzz_*")))
    for f in fuzzers:
        name = os.path.basename(f)
        try:
            r = subprocess.run([f, f"-runs={FUZZ_RUNS}", f"-max_total_time={FUZZ_SECONDS}",
                                "-seed=1", "-max_len=4096",
                                "-artifact_prefix=" + os.path.join(ROOT, "build/host/")],
                               capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            t.fail(f"fuzz/{name}", "timed out")
            continue
        done = re.search(r"^Done (\d+) runs in (\d+) second", r.stderr, re.M)
        if r.returncode == 0 and done:
            t.ok(f"fuzz/{name}")
            print(f"  fuzz/{name}: {done.group(1)} runs in {done.group(2)} s, clean")
        else:
            t.fail(f"fuzz/{name}", r.stderr[-3000:])


def boot(machine="q35", boot_path="pvh", mem="512M", accel="auto", append="",
         stdin=None, timeout=300, env_kvm=None, balloon=True, smp=2):
    if env_kvm is not None:
        os.environ["BALLAST_KVM_DEVICE"] = env_kvm
    try:
        cmd, acc = qemu.build_cmd(machine, boot_path, mem, accel, append,
                                  iso=os.path.join(ROOT, "build/ballast-test.iso")
                                  if boot_path == "iso" else None,
                                  balloon=balloon, quiet=True, smp=smp)
    finally:
        if env_kvm is not None:
            del os.environ["BALLAST_KVM_DEVICE"]
    t0 = time.monotonic()
    data = None if stdin is None else qemu.script_bytes(stdin)
    rc, out = qemu.run(cmd, stdin_data=data, timeout=timeout, echo=False)
    return rc, out, acc, time.monotonic() - t0


def step_ktest(t, verbose):
    # every suite on several CPUs (the SMP cases need three or more), the lock checker armed
    # and the section model once more with memory above 4 GiB (q35 -m 5G: 0-2 and 4-7 GiB)
    runs = [("q35", "pvh", "512M", 4, "all"), ("microvm", "pvh", "512M", 2, "all"),
            ("q35", "iso", "512M", 4, "all"), ("q35", "pvh", "5G", 2, "mm_sparse")]
    for machine, path, mem, smp, suites in runs:
        label = f"ktest[{machine},{path}]" + ("" if suites == "all" else f"[{mem},{suites}]")
        rc, out, acc, secs = boot(machine, path, mem, smp=smp,
                                  append="" if path == "iso" else f"ktest={suites}", timeout=900)
        before = (t.passed, t.failed)
        count_tap(out, f"{label}/", t, leaf_indent=4)
        print(f"  {label}: {acc.upper()}, {secs:.1f} s, exit {rc}, "
              f"{t.passed - before[0]} passed, {t.failed - before[1]} failed")
        if "# ktest:" not in out:
            t.fail(label, f"the run did not finish (exit {rc}):\n{out[-3000:]}")
        elif rc != 0 and t.failed == before[1]:
            t.fail(label, f"exit status {rc} but no failing case")
        if verbose or rc:
            print(out[-6000:])


def expect(t, name, cond, out):
    if cond:
        t.ok(name)
    else:
        t.fail(name, "output was:\n" + out[-2500:])


def expect_script(t, name, out, script, expect_fail=()):
    """One result for a scripted session: every command of @script ran, in order, and
    returned 0, except the lines in @expect_fail, which must have failed."""
    bad = script_problems(out, script, expect_fail)
    expect(t, name, not bad, "\n".join(bad) + "\n--- console tail:\n" + out[-1500:])


def memmap_entries(text):
    """The [mem START-END] TYPE lines of `memmap` output: (start, end inclusive, type)."""
    return [(int(a, 16), int(b, 16), kind) for a, b, kind in
            re.findall(r"\[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\] (\S+)", text)]


def step_shell(t, verbose):
    script = "help\nmeminfo\nmemmap\ncmdline\nuptime\nbogus-command\nuptime 12\nhelp meminfo\n"
    rc, out, acc, secs = boot("microvm", "pvh", "256M", stdin=script, append="hello=world",
                              timeout=120)
    print(f"  shell session: {acc.upper()}, {secs:.1f} s, exit {rc}")
    expect(t, "shell/ready", "ballast: ready" in out, out)
    expect_script(t, "shell/every command returns its status (bogus-command and "
                  "'uptime 12' fail, the rest succeed)", out, script,
                  expect_fail={"bogus-command", "uptime 12"})
    helptext = command_text(out, "help")
    listed = set(re.findall(r"^  (\S+)", helptext, re.M))
    expect(t, "shell/help lists commands",
           {"meminfo", "memmap", "poweroff", "uptime", "mmcheck", "balloon"} <= listed, helptext)
    expect(t, "shell/meminfo", re.search(r"^MemInstalled:\s+262144 kB",
                                         command_text(out, "meminfo"), re.M) is not None, out)
    mm = memmap_entries(command_text(out, "memmap"))
    usable = sum(e - s + 1 for s, e, kind in mm if kind == "usable")
    expect(t, "shell/memmap lists usable RAM close to -m 256M",
           256 * 2**20 - 4 * 2**20 <= usable <= 256 * 2**20, f"usable {usable}\n{out}")
    expect(t, "shell/cmdline", command_text(out, "cmdline").strip() == "hello=world", out)
    expect(t, "shell/uptime", re.fullmatch(r"up \d+\.\d{3} s, .*\n",
                                           command_text(out, "uptime")) is not None, out)
    expect(t, "shell/unknown command", command_text(out, "bogus-command").strip() ==
           "bogus-command: unknown command; type 'help' for the list", out)
    expect(t, "shell/bad argument", command_text(out, "uptime 12").strip() ==
           "uptime: takes no arguments (usage: uptime)", out)
    expect(t, "shell/end of input powers off", "end of input" in out and rc == 0, out)
    # A kpageflags dump captured from the console, summarized on the host.
    script = "alloc 9 10 movable\nkpageflags\npage-types -b buddy\n"
    rc, out, acc, secs = boot("microvm", "pvh", "256M", timeout=120, stdin=script)
    expect_script(t, "shell/kpageflags session: every command succeeds", out, script)
    m = re.search(r"(# kpageflags v1 start=(?:0x)?[0-9a-f]+ count=(\d+).*?# end)", out, re.S)
    expect(t, "shell/kpageflags dump", m is not None, out)
    if m:
        dump = m.group(1).replace("\r", "")
        r = subprocess.run([os.path.join(ROOT, "build/tools/page-types")], input=dump,
                           capture_output=True, text=True, timeout=60)
        total = re.search(r"^\s+total\s+(\d+)", r.stdout, re.M)
        expect(t, "tools/page-types summarizes the dump",
               r.returncode == 0 and total is not None and total.group(1) == m.group(2)
               and "buddy" in r.stdout, r.stdout + r.stderr)
        buddy_kernel = re.search(r"^0x0+400\s+(\d+)", out, re.M)
        buddy_tool = re.search(r"^0x0+400\s+(\d+)", r.stdout, re.M)
        expect(t, "tools/page-types agrees with the kernel's page-types",
               buddy_kernel is not None and buddy_tool is not None and
               buddy_kernel.group(1) == buddy_tool.group(1), out[-1500:] + r.stdout)
        shell_pagemap(t, out, int(m.group(2)))
    shell_frag(t)
    shell_meminfo_linux(t)
    shell_memory(t)


def memory_rows(text):
    """The block lines of `memory`: {block: (state, zone, valid_zones, removable, owner, offl)}."""
    rows = {}
    for m in re.finditer(r"^(\d+)\s+0x[0-9a-f]+\s+(\S+)\s+(\S+)\s+(\S+(?: Movable)?)\s+"
                         r"([01])\s+(\S+)\s+(\d+)\s*$", text, re.M):
        rows[int(m.group(1))] = (m.group(2), m.group(3), m.group(4), int(m.group(5)),
                                 m.group(6), int(m.group(7)))
    return rows


def shell_memory(t):
    """`memory`: list blocks, refuse the kernel's block, offline and online another."""
    script = ("memory\nmemory offline 0\nmemory offline 2\nmemory\nmemory online 2 movable\n"
              "memory\nmemory online 2\nmemory offline 9\nmmcheck\n")
    rc, out, acc, secs = boot("microvm", "pvh", "512M", timeout=180, stdin=script)
    print(f"  memory session: {acc.upper()}, {secs:.1f} s, exit {rc}")
    expect_script(t, "shell/memory session: offline 0, online of an online block and block 9 "
                  "fail, the rest succeed", out, script,
                  expect_fail={"memory offline 0", "memory online 2", "memory offline 9"})
    rows = [memory_rows(command_text(out, "memory", i)) for i in range(3)]
    first = rows[0]
    expect(t, "shell/memory lists blocks 0-3 online, block 0 not removable",
           sorted(first) == [0, 1, 2, 3] and all(r[0] == "online" for r in first.values())
           and first[0][3] == 0 and first[0][2] == "DMA32" and first[2][4] == "boot", out)
    expect(t, "shell/memory offline 0 says the kernel image is there",
           re.search(r"memory: offline failed: block 0: holds the kernel image", out) is not None,
           out)
    expect(t, "shell/memory offline 2: listed offline, valid zones DMA32 Movable",
           len(rows) >= 3 and rows[1].get(2, ("",))[0] == "offline" and
           rows[1][2][2] == "DMA32 Movable" and rows[1][2][1] == "-", out)
    expect(t, "shell/memory online 2 movable: listed online in Movable",
           len(rows) >= 3 and rows[2].get(2, ("",))[0] == "online" and
           rows[2][2][1] == "Movable", out)
    expect(t, "shell/memory errors say what to do",
           "block 2 is already online" in out and "N must be a block number 0..3" in out, out)


def shell_pagemap(t, out, count):
    """tools/pagemap.py renders the booted guest's dump (whole console output as input)."""
    tool = [sys.executable, os.path.join(ROOT, "tools/pagemap.py")]
    r = subprocess.run(tool + ["--ascii", "-"], input=out, capture_output=True, text=True,
                       timeout=60)
    rows = [ln.split(" ", 1)[1] for ln in r.stdout.splitlines() if ln.startswith("0x")]
    cells = "".join(rows)
    # "alloc 9 10 movable" holds ten whole pageblocks that are not __PageMovable: 'A'
    expect(t, "tools/pagemap.py --ascii maps the guest's dump",
           r.returncode == 0 and len(cells) == (count + 511) // 512 and
           cells.count("A") >= 10 and "." in cells, r.stdout + r.stderr)
    png = os.path.join(ROOT, "build/tools/shell-pagemap.png")
    os.makedirs(os.path.dirname(png), exist_ok=True)
    r = subprocess.run(tool + ["-o", png, "-"], input=out, capture_output=True, text=True,
                       timeout=60)
    ok = r.returncode == 0 and os.path.exists(png)
    head = b""
    if ok:
        with open(png, "rb") as f:
            head = f.read(24)
    expect(t, "tools/pagemap.py writes a PNG of the guest's dump",
           ok and head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR" and
           int.from_bytes(head[20:24], "big") >= (count + 511) // 512, r.stdout + r.stderr)
    # its per-category page counts agree with the kernel's "page-types -b buddy"
    cats = {m.group(2): int(m.group(1))
            for m in re.finditer(r"^\s+(\d+)\s+(.+)$", r.stdout, re.M)}
    free = sum(n for name, n in cats.items() if name.startswith("free"))
    buddy = re.search(r"-b buddy.*?^\s+total\s+(\d+)", out, re.S | re.M)
    expect(t, "tools/pagemap.py: free pages = kernel page-types buddy total, "
           "the held order-9 blocks are used-movable",
           buddy is not None and free == int(buddy.group(1)) and
           cats.get("used, movable block, not movable", 0) >= 10 * 512,
           r.stdout + (buddy.group(0) if buddy else "no page-types -b buddy output"))


def run_tap_scripts(t, verbose, pattern, prefix, timeout):
    """Run every Python script matching @pattern; count its TAP lines as @prefix/NAME/..."""
    for f in sorted(glob.glob(os.path.join(ROOT, pattern))):
        name = os.path.basename(f)
        try:
            r = subprocess.run([sys.executable, f], capture_output=True, text=True,
                               timeout=timeout, cwd=ROOT)
        except subprocess.TimeoutExpired:
            t.fail(f"{prefix}/{name}", f"timed out after {timeout} s")
            continue
        before = t.failed
        count_tap(r.stdout, f"{prefix}/{name}/", t)
        if r.returncode != 0 and t.failed == before:
            t.fail(f"{prefix}/{name}", f"exit {r.returncode}\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
        print(f"  {prefix}/{name}: exit {r.returncode}")
        if verbose or r.returncode:
            print(r.stdout[-4000:], r.stderr[-2000:])


def step_setup(t, verbose):
    """tests/setup/test_*.py: what `make` does on a fresh machine (TAP)."""
    run_tap_scripts(t, verbose, "tests/setup/test_*.py", "setup", 900)


def step_tools(t, verbose):
    """tests/tools/test_*.py: host tools against synthetic input (TAP)."""
    run_tap_scripts(t, verbose, "tests/tools/test_*.py", "tools", 300)


def shell_frag(t):
    """Fragment on purpose, compact, and see order-9 blocks come back intact."""
    script = ("frag 3of4\nextfrag\nfrag verify\ncompact\nbuddyinfo\nfrag\nfrag verify\n"
              "frag free\nzs fill 4 mixed\nzs verify\nzs free\nmmcheck\nlockdep\n")
    rc, out, acc, secs = boot("microvm", "pvh", "256M", timeout=180, stdin=script)
    print(f"  frag/compact session: {acc.upper()}, {secs:.1f} s, exit {rc}")
    expect_script(t, "shell/frag session: every command succeeds", out, script)
    shares = [int(x) for x in re.findall(r"frag: order>=9 free: \d+ of \d+ free pages \((\d+)%\)", out)]
    # summaries: before frag, after frag, after compact (status), after frag free
    expect(t, "shell/frag 3of4 leaves no order-9 block",
           len(shares) >= 2 and shares[1] < 5, out)
    ext = command_text(out, "extfrag").partition("extfrag_index")[2]
    idx9 = {z: float(v.split()[9]) for z, v in
            re.findall(r"^Node 0, zone\s+(\S+)((?:\s+-?\d+\.\d{3}){11})", ext, re.M)}
    expect(t, "shell/extfrag after frag 3of4: DMA32's order-9 fragmentation index is near 1 "
           "(free memory is there, in pieces)", idx9.get("DMA32", -1) >= 0.9, f"{idx9}\n{out}")
    expect(t, "shell/compact brings order-9 blocks back",
           len(shares) >= 3 and shares[2] >= 90, out)
    after = out.split("ballast> buddyinfo", 1)[-1].split("ballast>", 1)[0]
    big = [sum(int(n) for n in m.split()[-2:]) for m in
           re.findall(r"Node 0, zone\s+\w+((?:\s+\d+){11})", after)]
    expect(t, "shell/buddyinfo after compact has order-9/10 blocks", sum(big) > 10, out)
    checked = [int(n) for n in re.findall(r"^frag verify: \d+ mismatches \((\d+) pages checked\)",
                                          out.replace("\r", ""), re.M)]
    expect(t, "shell/frag verify finds every page intact, before and after compact",
           reports_zero(out, "mismatches", lead="frag verify:", n=2) and len(checked) == 2
           and min(checked) > 0, out)
    zs = command_text(out, "zs verify")
    objs = counts(zs, "objects checked", lead="zs verify:")
    expect(t, "shell/zs objects verify through their handles",
           reports_zero(zs, "mismatches", lead="zs verify:", n=1) and len(objs) == 1 and
           objs[0] > 0, out)
    ld = command_text(out, "lockdep")
    m = re.search(r"^reports: (\d+) \(", ld, re.M)
    classes = re.search(r"^classes: (\d+) of \d+", ld, re.M)
    edges = re.search(r"^edges: (\d+) of \d+", ld, re.M)
    expect(t, "shell/lock checker armed through boot and the session, with classes and "
           "order edges recorded and 0 reports",
           re.search(r"^lockdep: armed$", ld, re.M) is not None and m is not None and
           int(m.group(1)) == 0 and classes is not None and int(classes.group(1)) >= 5 and
           edges is not None and int(edges.group(1)) >= 2 and
           "=== lockdep:" not in out, ld or out)
    expect(t, "shell/frag session leaves invariants clean",
           reports_zero(command_text(out, "mmcheck"), "problems", lead="mmcheck:", n=1) and
           rc == 0, out)


def meminfo_kb(out):
    """The last meminfo in @out as {name: kB} (lines "Name:   N kB")."""
    block = out.rsplit("ballast> meminfo", 1)[-1].split("ballast>", 1)[0]
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^(\w+):\s+(\d+) kB", block, re.M)}


def check_meminfo_relations(t, label, out):
    """Linux's three lines lead meminfo and agree with Ballast's own lines:
    MemTotal = MemManaged <= MemUsable, MemFree <= MemTotal, and MemAvailable
    = max(0, MemFree - TotalReserve + FreePcp) (README, "meminfo")."""
    mi = meminfo_kb(out)
    block = out.rsplit("ballast> meminfo", 1)[-1]
    first = re.findall(r"^(\w+):", block, re.M)[:3]
    need = ("MemTotal", "MemFree", "MemAvailable", "MemManaged", "MemUsable",
            "FreePcp", "TotalReserve")
    ok = all(k in mi for k in need)
    expect(t, f"{label}/meminfo leads with MemTotal, MemFree, MemAvailable",
           ok and first == ["MemTotal", "MemFree", "MemAvailable"], out)
    if not ok:
        return mi
    expect(t, f"{label}/meminfo MemTotal = MemManaged <= MemUsable, MemFree <= MemTotal",
           0 < mi["MemTotal"] == mi["MemManaged"] <= mi["MemUsable"] and
           0 < mi["MemFree"] <= mi["MemTotal"], str(mi))
    expect(t, f"{label}/meminfo MemAvailable = max(0, MemFree - TotalReserve + FreePcp)",
           mi["TotalReserve"] > 0 and mi["MemAvailable"] ==
           max(0, mi["MemFree"] - mi["TotalReserve"] + mi["FreePcp"]) and
           mi["MemAvailable"] <= mi["MemFree"] + mi["FreePcp"], str(mi))
    return mi


def shell_meminfo_linux(t):
    """meminfo's Linux lines against the allocator; a normal boot warns of
    nothing; `make run`'s balloon shows deflate-on-OOM and free page reporting."""
    script = "meminfo\nbuddyinfo\n"
    rc, out, acc, secs = boot("q35", "pvh", "512M", stdin=script, timeout=180)
    print(f"  meminfo session: {acc.upper()}, {secs:.1f} s, exit {rc}")
    expect_script(t, "shell/meminfo session: meminfo and buddyinfo succeed", out, script)
    mi = check_meminfo_relations(t, "shell", out)
    after = out.rsplit("ballast> buddyinfo", 1)[-1].split("ballast>", 1)[0]
    rows = re.findall(r"Node 0, zone\s+\w+((?:\s+\d+){11})", after)
    buddy_pages = sum(int(n) << o for row in rows for o, n in enumerate(row.split()))
    expect(t, "shell/meminfo MemFree = the buddy's free pages (buddyinfo) in kB",
           rows and mi.get("MemFree") == 4 * buddy_pages,
           f"MemFree {mi.get('MemFree')} kB, buddyinfo {buddy_pages} pages\n{out[-2500:]}")
    boot_log = out.split("ballast: ready", 1)[0]
    expect(t, "boot/normal q35 boot: the RAM trim is reported without a warning",
           re.search(r"^e820: trimmed 1 RAM entry to 4 KiB boundaries", boot_log, re.M) and
           not re.search(r"^warning:", boot_log, re.M), boot_log)
    # the balloon `make run` attaches (BALLOON_FEATURES=on), as the guest sees it
    cmd, acc = qemu.build_cmd("q35", "pvh", "512M", "auto", balloon_features=True, quiet=True)
    rc, out = qemu.run(cmd, stdin_data=qemu.script_bytes("balloon\n"), timeout=180, echo=False)
    expect_script(t, "shell/make run's balloon: the balloon command succeeds", out, "balloon\n")
    feats = re.search(r"^  features((?: [\w-]+)*)\s*$", out, re.M)
    names = feats.group(1).split() if feats else []
    expect(t, "shell/make run's balloon negotiates deflate-on-oom and free-page-reporting",
           rc == 0 and "deflate-on-oom" in names and "free-page-reporting" in names, out)
    r = subprocess.run([sys.executable, os.path.join(HERE, "qemu.py"), "--print-cmd",
                        "--accel", "tcg"], capture_output=True, text=True, timeout=30)
    r_off = subprocess.run([sys.executable, os.path.join(HERE, "qemu.py"), "--print-cmd",
                            "--accel", "tcg", "--balloon-features", "off"],
                           capture_output=True, text=True, timeout=30)
    dev = re.search(r"virtio-balloon-pci,(\S+)", r.stdout)
    dev_off = re.search(r"virtio-balloon-pci,(\S+)", r_off.stdout)
    expect(t, "shell/qemu.py's command line: features on by default, off with --balloon-features off",
           dev is not None and dev_off is not None and
           set(dev.group(1).split(",")) >= {"deflate-on-oom=on", "free-page-reporting=on"} and
           dev_off.group(1) == "id=balloon0", r.stdout + r_off.stdout)


def check_deferred_init_counts(t):
    """Deferred memmap init (mm/deferred_init.c) ends where deferred_init=off starts:
    q35 -m 2G -smp 2 booted both ways; meminfo's totals (MemTotal, MemManaged,
    MemFree + FreePcp, MemReserved, Memmap) and, per zone, zoneinfo's spanned,
    present, managed, the watermarks and every CPU's list limits must be equal,
    and the pages free (buddy + per-CPU lists) summed over the zones. Where the
    few pages the kernel allocated before the shell came from may differ (boot
    has only its first 8 MiB, in ZONE_DMA, until the rest is in)."""
    def figures(out):
        mi = {m.group(1): int(m.group(2)) for m in
              re.finditer(r"^(\w+):\s+(\d+) kB", command_text(out, "meminfo"), re.M)}
        f = {k: mi.get(k) for k in ("MemTotal", "MemManaged", "MemReserved", "Memmap")}
        f["MemFree+FreePcp"] = (mi.get("MemFree") or 0) + (mi.get("FreePcp") or 0)
        zone, free = None, 0
        for line in command_text(out, "zoneinfo").splitlines():
            m = re.match(r"^Node 0, zone\s+(\w+)", line)
            if m:
                zone = m.group(1)
                continue
            m = re.match(r"^\s+(spanned|present|managed|min|low|high|high:|batch:)\s+(\d+)$", line)
            if m and zone:
                key = f"{zone}.{m.group(1)}"
                if key.endswith(":"):      # a per-CPU list's limit: every CPU's, in order
                    f[key] = f.get(key, "") + f" {m.group(2)}"
                else:
                    f[key] = int(m.group(2))
            m = re.match(r"^\s+(pages free|nr_free_pcp)\s+(\d+)$", line)
            if m:
                free += int(m.group(2))
        f["zones free+pcp"] = free
        return f
    got = {}
    for opt in ("", "deferred_init=off"):
        rc, out, acc, secs = boot("q35", "pvh", "2G", append=opt, stdin="meminfo\nzoneinfo\n",
                                  smp=2, timeout=180)
        di = re.search(r"^DeferredInit:\s+(\w+):(?: (\d+) sections)?", command_text(out, "meminfo"), re.M)
        got[opt] = (rc, out, figures(out), di)
    on, off = got[""], got["deferred_init=off"]
    expect(t, "boot/deferred init: on by default and done before the first command, "
           "off with deferred_init=off",
           on[3] is not None and on[3].group(1) == "done" and int(on[3].group(2) or 0) > 0 and
           off[3] is not None and off[3].group(1) == "off" and on[0] == 0 and off[0] == 0,
           on[1][-3000:] + off[1][-3000:])
    diff = [f"{k}: {on[2].get(k)} against {off[2].get(k)}" for k in sorted(set(on[2]) | set(off[2]))
            if on[2].get(k) != off[2].get(k)]
    expect(t, "boot/deferred init: the same totals, zone sizes, watermarks and per-CPU limits "
           "as deferred_init=off",
           len(on[2]) >= 30 and on[2].get("MemTotal") and not diff,
           "\n".join(diff[:20]) or f"{len(on[2])} figures")


def step_boot(t, verbose):
    for mem, mib in [("128M", 131072), ("2G", 2097152), ("6G", 6291456)]:
        script = "meminfo\nmemmap\n"
        rc, out, acc, secs = boot("q35", "pvh", mem, stdin=script, timeout=180)
        print(f"  boot q35 -m {mem}: {acc.upper()}, {secs:.1f} s, exit {rc}")
        expect_script(t, f"boot/-m {mem}: meminfo and memmap succeed", out, script)
        expect(t, f"boot/meminfo matches -m {mem}",
               re.search(rf"^MemInstalled:\s+{mib} kB", command_text(out, "meminfo"), re.M)
               is not None and rc == 0, out)
        check_meminfo_relations(t, f"boot/-m {mem}", out)
        if mem == "6G":
            mm = memmap_entries(command_text(out, "memmap"))
            low = [(s, e) for s, e, kind in mm if kind == "usable" and s < 2**32]
            high = [(s, e) for s, e, kind in mm if kind == "usable" and s >= 2**32]
            low_end = max((e + 1 for s, e in low), default=0)
            total = sum(e - s + 1 for s, e in low + high)
            # q35 keeps the PCI hole (2 GiB wide above 2 GiB of RAM) below 4 GiB
            expect(t, "boot/RAM above 4 GiB and a PCI hole: usable RAM stops at or below "
                   "3 GiB, resumes at 4 GiB, and adds up to 6 GiB less a little",
                   0 < low_end <= 3 * 2**30 and bool(high) and min(s for s, e in high) == 2**32
                   and 6 * 2**30 - 4 * 2**20 <= total <= 6 * 2**30,
                   f"low end {low_end:#x}, high {high}, total {total}\n{out}")
    check_deferred_init_counts(t)
    rc, out, acc, secs = boot("q35", "pvh", "6G", append="ktest=memmap,wx", timeout=300)
    before = (t.passed, t.failed, t.skipped)
    count_tap(out, "boot/6G ktest/", t, leaf_indent=4)
    expect(t, "boot/6G high RAM suite ran unskipped", t.skipped == before[2] and
           "# ktest:" in out and rc == 0, out)
    rc, out, acc, secs = boot("microvm", "pvh", "32M", stdin="meminfo\nmmcheck\n", timeout=120)
    expect_script(t, "boot/tiny RAM (-m 32M): meminfo and mmcheck succeed", out,
                  "meminfo\nmmcheck\n")
    expect(t, "boot/tiny RAM (-m 32M)", "ballast: ready" in out and rc == 0 and
           re.search(r"^MemInstalled:\s+32768 kB", command_text(out, "meminfo"), re.M)
           is not None and
           reports_zero(command_text(out, "mmcheck"), "problems", lead="mmcheck:", n=1), out)
    rc, out, acc, secs = boot("microvm", "pvh", "256M", append="x" * 2000 + " ktest=memmap",
                              timeout=120)
    expect(t, "boot/over-long command line", "only the first 1023 were kept" in out and
           "KTAP version 1" not in out, out)
    rc, out, acc, secs = boot("microvm", "pvh", "256M", append="ktest=no_such_suite", timeout=120)
    expect(t, "boot/unknown ktest suite", "no suite named 'no_such_suite'" in out and
           "available suites:" in out and rc == 1, out)
    rc, out, acc, secs = boot("microvm", "pvh", "256M", stdin="uptime\n", env_kvm="/nonexistent/kvm",
                              timeout=120)
    expect(t, "boot/QEMU without KVM falls back to TCG", acc == "tcg" and "ballast: ready" in out
           and rc == 0 and not script_problems(out, "uptime\n"), out)


def step_qemu(t, verbose):
    """tests/qemu/test_*.py: QMP system tests (TAP)."""
    run_tap_scripts(t, verbose, "tests/qemu/test_*.py", "qemu", 1200)


STEPS = [("setup", step_setup), ("host", step_host), ("tsan", step_tsan), ("fuzz", step_fuzz), ("tools", step_tools), ("ktest", step_ktest),
         ("shell", step_shell), ("boot", step_boot), ("qemu", step_qemu)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    only = set(a.only.split(",")) if a.only else None
    t = Tally()
    t0 = time.monotonic()
    for name, fn in STEPS:
        if only and name not in only:
            continue
        print(f"== {name}")
        s0 = time.monotonic()
        fn(t, a.verbose)
        print(f"   ({time.monotonic() - s0:.0f} s)")
    print(f"== done in {time.monotonic() - t0:.0f} s")
    if t.failures:
        print("failures:")
        for f in t.failures:
            print("  " + f.splitlines()[0])
    line = f"{t.passed} passed, {t.failed} failed"
    if t.skipped:
        line += f", {t.skipped} skipped"
    print(line)
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
