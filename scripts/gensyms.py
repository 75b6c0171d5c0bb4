#!/usr/bin/env python3
"""gensyms.py - turn `nm -n` output of the kernel into an assembler symbol
table (.ksymtab: sorted {addr, name} pairs) for symbolized backtraces.
Only text symbols are kept. Usage: nm -n ballast.elf | gensyms.py > symtab.S"""
import sys

syms = []
for line in sys.stdin:
    parts = line.split()
    if len(parts) != 3:
        continue
    addr, kind, name = parts
    if kind not in "tT" or name.startswith(".L"):
        continue
    syms.append((int(addr, 16), name))
syms.sort()
out = ['\t.section .ksymtab, "a"', "\t.align 8"]
for i, (addr, name) in enumerate(syms):
    out.append(f"\t.quad {addr:#x}, .Lsym{i}")
out.append('\t.section .rodata.ksymstr, "a"')
for i, (_, name) in enumerate(syms):
    out.append(f'.Lsym{i}: .asciz "{name}"')
out.append('\t.section .note.GNU-stack, "", @progbits')
print("\n".join(out))
