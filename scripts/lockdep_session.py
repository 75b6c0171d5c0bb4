#!/usr/bin/env python3
"""lockdep_session.py - the lock order a real shell session records (docs/locking.md).

  lockdep_session.py [--kernel build/ballast.elf] [--smp 4] [--machine q35]

Boots a debug kernel (CONFIG_LOCKDEP) with free page reporting on, runs
frag / compact / zs / contig, has the host inflate the balloon (QMP) and
compact while it is inflated, runs `stress 10` on every CPU, deflates,
checks (`mmcheck`, `balloon check`) and prints `lockdep`: the classes and
every order edge recorded, to compare with the order in docs/locking.md.
Exit status 1 if a command failed or the checker counted a report.
"""
import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
from qmp import Guest, wait_actual  # noqa: E402

STEPS = ["cpuinfo", "frag 3of4", "compact", "frag verify", "frag free",
         "zs fill 64 mixed", "zs thin 2", "compact", "zs verify", "zs free",
         ("balloon", 512), "frag 3of4", "compact", "contig any 9", "frag free",
         "stress 10", ("balloon", 1024), "drain", "mmcheck", "balloon check", "balloon",
         "lockdep"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", default=os.path.join(ROOT, "build/ballast.elf"))
    ap.add_argument("--smp", type=int, default=4)
    ap.add_argument("--machine", default="q35")
    a = ap.parse_args()
    g = Guest(machine=a.machine, mem="1G", accel="tcg", boot_timeout=300, smp=a.smp,
              kernel=a.kernel, balloon_opts="free-page-reporting=on")
    failed = False
    try:
        for step in STEPS:
            if isinstance(step, tuple):
                want = step[1] << 20
                g.qmp.cmd("balloon", value=want)
                ok, actual, secs = wait_actual(g, want, 300)
                print(f"=== balloon target {step[1]} MiB: actual {actual >> 20} MiB "
                      f"after {secs:.1f} s", flush=True)
                failed |= not ok
                continue
            rc, out = g.run(step, 900)
            print(f"=== {step} [status {rc}]\n{out.strip()}", flush=True)
            failed |= rc != 0
            if step == "lockdep":
                m = re.search(r"^reports: (\d+) ", out, re.M)
                failed |= m is None or int(m.group(1)) != 0
    finally:
        g.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
