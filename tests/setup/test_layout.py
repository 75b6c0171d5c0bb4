#!/usr/bin/env python3
"""test_layout.py - the rules the README's Layout section states, checked.

  - shell commands are registered only in kernel/cmds_*.c (and the shell's
    own `help` in kernel/shell.c);
  - nothing under mm/, workloads/, lib/ or drivers/ includes <kernel/shell.h>;
  - bring-up reaches no stage through a weak symbol (no weak definitions or
    declarations in the kernel's C sources);
  - mm/, workloads/ and lib/ stay portable: no inline assembly, and no
    header from arch/x86_64 other than the hook headers under <arch/...>
    that the host harness stubs (tests/host/include/arch/).

TAP on stdout.
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
import qmp  # noqa: E402  (its TAP counter)

T = qmp.TAP(diag_lines=40)


def sources(*dirs, exts=(".c", ".h", ".S")):
    """Every source file below @dirs, relative to the repository root."""
    out = []
    for d in dirs:
        for path in glob.glob(os.path.join(ROOT, d, "**", "*"), recursive=True):
            if path.endswith(exts) and os.path.isfile(path):
                out.append(os.path.relpath(path, ROOT))
    return sorted(out)


def grep(files, pattern):
    """(file, line number, line) for every line of @files matching @pattern."""
    rx = re.compile(pattern)
    hits = []
    for f in files:
        with open(os.path.join(ROOT, f), errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                if rx.search(line):
                    hits.append((f, n, line.rstrip()))
    return hits


def show(hits):
    return "\n".join(f"{f}:{n}: {line}" for f, n, line in hits)


def main():
    kernel_side = sources("arch", "boot", "kernel", "mm", "workloads", "lib", "drivers", "bench")
    cmds = grep(kernel_side, r"^\s*SHELL_COMMAND\(")
    T(len(cmds) > 10, "shell commands are found where the rule says (sanity: more than 10)",
      f"{len(cmds)} found")
    outside = [h for h in cmds if not re.fullmatch(r"kernel/(cmds_\w+|shell)\.c", h[0])]
    T(not outside, "shell commands are registered only in kernel/cmds_*.c (and shell.c)",
      show(outside))

    lower = sources("mm", "workloads", "lib", "drivers")
    T(not grep(lower, r"#\s*include\s*<kernel/shell\.h>"),
      "nothing under mm/, workloads/, lib/ or drivers/ includes <kernel/shell.h>",
      show(grep(lower, r"#\s*include\s*<kernel/shell\.h>")))

    weak = grep(kernel_side, r"__attribute__\s*\(\(\s*weak|#\s*pragma\s+weak|\b__weak\b")
    T(not weak, "no weak symbols in the kernel's sources (bring-up is explicit)", show(weak))

    portable = sources("mm", "workloads", "lib")
    asm = grep(portable, r"\b(__asm__|asm)\s*(volatile\s*)?\(")
    T(not asm, "mm/, workloads/ and lib/ have no inline assembly", show(asm))
    stubbed = {os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "tests/host/include/arch/*.h"))}
    arch_inc = [h for h in grep(portable, r"#\s*include\s*<arch/([\w.]+)>")
                if re.search(r"<arch/([\w.]+)>", h[2]).group(1) not in stubbed]
    T(stubbed and not arch_inc,
      "mm/, workloads/ and lib/ include only the arch hook headers the host harness stubs",
      f"stubbed: {sorted(stubbed)}\n" + show(arch_inc))
    return T.plan()


if __name__ == "__main__":
    sys.exit(main())
