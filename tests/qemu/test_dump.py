#!/usr/bin/env python3
"""test_dump.py - from a running or panicking guest to a dump a tool can read (TAP).

Issue 13's system tests. The guest side (VMCOREINFO through fw_cfg, the
console log ring, pvpanic) is checked against QEMU's own dump-guest-memory
output, read here with nothing but struct: the ELF program headers give
the PT_LOAD segments (physical address -> file offset) and the PT_NOTE
notes, among them the guest's "VMCOREINFO" note.

  note      a 1 GiB q35 guest with -device vmcoreinfo -device pvpanic: the
            dump's VMCOREINFO note is byte for byte the text the guest's
            `vmcoreinfo` prints, and names this kernel's build id.
  memmap    the balloon inflated by 512 MiB, `frag 3of4` (painted pages),
            a dump: walking the memmaps that the note's section table locates
            (SYMBOL(mem_section), LENGTH/SIZE/OFFSET(mem_section...), each
            online section's memmap_phys, OFFSET(page.page_type), page.private
            as the buddy order) counts exactly the buddy and offline pages the
            guest's own `page-types -b` printed, and the dump holds every page
            frag painted (checked by its paint progression).
  tool      the same dump through build/tools/ballast-dump (filter, summary):
            reported as SKIP when the tool is not built.
  makedumpfile  Debian's makedumpfile -E -d 31 on that real dump: the precise
            error it stops with (QEMU's program headers at 192, not 64), and on
            the tool's re-laid output (headers at 64) the next one (no Linux
            utsname); SKIP without makedumpfile.
  panic     `panic TEXT confirm` on a guest started like `make run DUMP=`:
            QMP GUEST_PANICKED arrives, scripts/qemu.py's take_dump() writes
            the dump, and the log ring read out of the dump (SYMBOL(ballast_log_buf),
            SYMBOL(ballast_log_buf_pos), the kernel-image translation through
            phys_base) holds the panic message and the backtrace; on q35 and on
            microvm (ISA pvpanic works there too). `ballast-dump log` when built.
  sections  a 1 GiB q35 guest takes its highest offlinable memory block N
            offline (`memory offline N`, from 7 down; 7 holds the boot memmap)
            and is dumped: the section table says section N is present and not
            online, `ballast-dump info` counts 7 online and 1 offline, and the
            filter leaves out its 32768 pages as offline_section (no byte of it
            in the output). The block is onlined Movable and dumped again: the
            table and `info` put section N in ZONE_MOVABLE and `summary`'s
            buddyinfo (a Movable line) equals the guest's.
  absent    without -device vmcoreinfo the guest says so in one line and the
            dump carries no VMCOREINFO note.
  ring      after more than 64 KiB of console output, `dmesg` shows exactly the
            last 64 KiB the console printed (the ring wrapped correctly).
  baddev    an etc/vmcoreinfo QEMU did not make (-fw_cfg name=...,string=...):
            read-only (the DMA write fails), the wrong size, and fw_cfg without
            DMA: one line each says what is wrong, and the shell still works.

Options: --accel tcg|kvm|auto (default tcg), --keep DIR (keep the dumps),
--only note,sections,panic,absent,ring,baddev (run some of the parts; default all).
"""
import argparse
import mmap
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from qmp import Guest, QMPError, TAP, wait_actual, script_problems  # noqa: E402
import qemu  # noqa: E402  (scripts/qemu.py, put on the path by qmp.py)

MiB = 1 << 20
PAGE = 4096
PAINT_STEP = 0x9e3779b97f4a7c15      # workloads/frag.c: each word of a painted page adds this
TOOL = qemu.DUMP_TOOL

tap = TAP()


# ---- reading an ELF core with struct ----

class Core:
    """An ELF64 core: PT_LOAD segments and the notes of its PT_NOTE segments."""

    def __init__(self, path):
        self.f = open(path, "rb")
        self.data = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_READ)
        d = self.data
        if d[:4] != b"\x7fELF" or d[4] != 2:
            raise ValueError(f"{path}: not an ELF64 file")
        phoff, = struct.unpack_from("<Q", d, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", d, 0x36)
        self.loads = []          # (paddr, offset, filesz)
        self.notes = []          # (name, type, desc bytes)
        for i in range(phnum):
            p_type, _, p_off, _, p_paddr, p_filesz, _, _ = struct.unpack_from(
                "<IIQQQQQQ", d, phoff + i * phentsize)
            if p_type == 1:
                self.loads.append((p_paddr, p_off, p_filesz))
            elif p_type == 4:
                self._notes(p_off, p_filesz)

    def _notes(self, off, size):
        end = off + size
        while off + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", self.data, off)
            name_at = off + 12
            desc_at = name_at + ((namesz + 3) & ~3)
            name = self.data[name_at:name_at + namesz].rstrip(b"\0").decode(errors="replace")
            self.notes.append((name, ntype, self.data[desc_at:desc_at + descsz]))
            off = desc_at + ((descsz + 3) & ~3)

    def note(self, name):
        for n, _, desc in self.notes:
            if n == name:
                return desc
        return None

    def read(self, paddr, n):
        """@n bytes at physical @paddr, or None if the dump does not hold all of them."""
        for base, off, size in self.loads:
            if base <= paddr and paddr + n <= base + size:
                return self.data[off + paddr - base:off + paddr - base + n]
        return None

    def close(self):
        self.data.close()
        self.f.close()


def parse_vmcoreinfo(text):
    """KEY=VALUE lines -> dict of str."""
    return dict(ln.split("=", 1) for ln in text.splitlines() if "=" in ln)


def num(v):
    return int(v, 16) if v.startswith("0x") else int(v)


class Kernel:
    """Address translation and memmap access from a dump and its note (docs/vmcoreinfo.md)."""

    def __init__(self, core, info):
        self.core, self.info = core, info
        self.page_offset = num(info["NUMBER(PAGE_OFFSET)"])
        self.kernel_vbase = num(info["NUMBER(KERNEL_VBASE)"])
        self.phys_base = num(info["NUMBER(phys_base)"])

    def v2p(self, va):
        """Direct map: va - PAGE_OFFSET; kernel image: va - KERNEL_VBASE + phys_base."""
        if va >= self.kernel_vbase:
            return va - self.kernel_vbase + self.phys_base
        return va - self.page_offset

    def read(self, va, n):
        return self.core.read(self.v2p(va), n)

    def sym(self, name):
        return num(self.info[f"SYMBOL({name})"])

    def log(self):
        """The console history the log ring still holds (oldest first)."""
        size = num(self.info["NUMBER(ballast_log_buf_len)"])
        pos, = struct.unpack("<Q", self.read(self.sym("ballast_log_buf_pos"), 8))
        ring = self.read(self.sym("ballast_log_buf"), size)
        if pos <= size:
            return ring[:pos].decode(errors="replace")
        cut = pos % size
        return (ring[cut:] + ring[:cut]).decode(errors="replace")

    def sections(self):
        """[(nr, state, zone, memmap_phys)] of every present section, from the section
        table at SYMBOL(mem_section) (LENGTH entries of SIZE bytes, the OFFSETs)."""
        i = self.info
        n, size = num(i["LENGTH(mem_section)"]), num(i["SIZE(mem_section)"])
        o_mm, o_st = num(i["OFFSET(mem_section.memmap_phys)"]), num(i["OFFSET(mem_section.state)"])
        o_zone = num(i["OFFSET(mem_section.zone)"])
        table = self.read(self.sym("mem_section"), n * size)
        if table is None:
            raise ValueError("the section table lies outside the dump")
        out = []
        for nr in range(n):
            state = table[nr * size + o_st]
            if state & num(i["NUMBER(SECTION_PRESENT)"]):
                mm, = struct.unpack_from("<Q", table, nr * size + o_mm)
                out.append((nr, state, table[nr * size + o_zone], mm))
        return out

    def page_census(self):
        """(buddy pages, offline pages, pfns with struct pages) from the memmaps of the
        online sections in the dump, each found at its memmap_phys."""
        i = self.info
        pps = num(i["NUMBER(PAGES_PER_SECTION)"])
        psize = num(i["SIZE(page)"])
        o_type, o_priv = num(i["OFFSET(page.page_type)"]), num(i["OFFSET(page.private)"])
        buddy_t = num(i["NUMBER(PAGE_TYPE_BUDDY)"])
        # PageOffline and (balloon pages, seed 001) PageMovableOffline: kpageflags OFFLINE
        off_t = {num(i["NUMBER(PAGE_TYPE_OFFLINE)"]), num(i["NUMBER(PAGE_TYPE_MOVABLE_OFFLINE)"])}
        want = num(i["NUMBER(SECTION_HAS_MEMMAP)"]) | num(i["NUMBER(SECTION_ONLINE)"])
        deferred = num(i["NUMBER(SECTION_DEFERRED)"])
        buddy = offline = valid = 0
        for nr, state, _, mm in self.sections():
            if state & want != want or state & deferred:
                continue
            memmap = self.core.read(mm, pps * psize)
            if memmap is None:
                raise ValueError(f"section {nr:#x}: its memmap at {mm:#x} is not in the dump")
            valid += pps
            for k in range(pps):
                ptype, = struct.unpack_from("<I", memmap, k * psize + o_type)
                if ptype == buddy_t:
                    order, = struct.unpack_from("<Q", memmap, k * psize + o_priv)
                    buddy += 1 << order
                elif ptype in off_t:
                    offline += 1
        return buddy, offline, valid

    def painted_pages(self):
        """Pages whose words step by frag's paint constant (first, second and last word)."""
        n = 0
        mask = (1 << 64) - 1
        for base, off, size in self.core.loads:
            d = self.core.data
            for p in range(off, off + size - PAGE + 1, PAGE):
                w0, w1 = struct.unpack_from("<QQ", d, p)
                if (w1 - w0) & mask != PAINT_STEP:
                    continue
                last, = struct.unpack_from("<Q", d, p + PAGE - 8)
                if (last - w0) & mask == (511 * PAINT_STEP) & mask:
                    n += 1
        return n


def pt_total(text):
    """The "total" page count of a page-types listing, or None."""
    m = re.search(r"^\s*total\s+(\d+)", text, re.M)
    return int(m.group(1)) if m else None


def guest_note_text(out):
    """The note text from the shell's `vmcoreinfo` output (without its closing remark)."""
    return out.replace("\r", "").rsplit("\n(", 1)[0] + "\n"


def build_id_of(elf):
    r = subprocess.run(["readelf", "-n", elf], capture_output=True, text=True)
    m = re.search(r"Build ID: ([0-9a-f]+)", r.stdout)
    return m.group(1) if m else None


def run_tool(*args, timeout=300):
    r = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def tool_missing(name):
    if os.access(TOOL, os.X_OK):
        return False
    tap.skip(name, f"{os.path.relpath(TOOL, qemu.ROOT)} is not built (helper dump-tool)")
    return True


def dump_live(g, path):
    """qemu.take_dump() (unfiltered) through the guest's QMP, allowing a slow disk 10 minutes."""
    g.qmp.sock.settimeout(600)
    try:
        return qemu.take_dump(g.qmp.cmd, path, filtered=False)
    finally:
        g.qmp.sock.settimeout(30)


DUMP_DEVICES = tuple(qemu.VMCOREINFO_ARGS + qemu.PANIC_DUMP_ARGS)


# ---- the tests ----

def test_note_and_memmap(accel, work):
    """1 GiB q35: the note in the dump; a memmap census equal to page-types; frag's paint."""
    try:
        g = Guest(machine="q35", mem="1G", accel=accel, boot_timeout=180, extra=DUMP_DEVICES)
    except QMPError as e:
        tap(False, "note: boots with -device vmcoreinfo -device pvpanic", str(e))
        return
    try:
        boot_log = g.out
        tap(re.search(r"^vmcoreinfo: \d+-byte note at 0x[0-9a-f]+ announced to QEMU", boot_log, re.M)
            is not None, "note: the guest announces its note through fw_cfg", boot_log[-2000:])
        tap(re.search(r"^pvpanic: device at port 0x505", boot_log, re.M) is not None,
            "note: the guest finds the pvpanic device", boot_log[-2000:])
        note_text = guest_note_text(g.shell("vmcoreinfo"))
        g.shell("compaction_proactiveness 0")
        g.qmp.cmd("balloon", value=512 * MiB)
        ok, last, secs = wait_actual(g, 512 * MiB, timeout=300)
        tap(ok, f"memmap: the balloon inflates by 512 MiB ({secs:.1f} s)", f"actual {last}")
        frag = g.shell("frag 3of4", timeout=300)
        m = re.search(r"held (\d+) movable \+ (\d+) pinned", frag)
        held = int(m.group(1)) + int(m.group(2)) if m else 0
        tap(held > 0, f"memmap: frag 3of4 holds painted pages ({held})", frag)
        g.shell("drain")
        buddy_before = pt_total(g.shell("page-types -b buddy"))
        offline_before = pt_total(g.shell("page-types -b offline"))
        summary_before = g.shell("page-types")
        buddyinfo_before = g.shell("buddyinfo")
        path = os.path.join(work, "live.elf")
        report = dump_live(g, path)
        buddy_after = pt_total(g.shell("page-types -b buddy"))
        offline_after = pt_total(g.shell("page-types -b offline"))
        print(f"# {report}", flush=True)
        stable = buddy_before == buddy_after and offline_before == offline_after
        tap(stable and buddy_before is not None and offline_before is not None,
            f"memmap: the guest was quiet around the dump (buddy {buddy_before}/{buddy_after}, "
            f"offline {offline_before}/{offline_after})")

        core = Core(path)
        desc = core.note("VMCOREINFO")
        tap(desc is not None, "note: the dump's PT_NOTE has a VMCOREINFO note",
            str([n for n, _, _ in core.notes]))
        if desc is None:
            return
        text = desc.decode(errors="replace")
        tap(text == note_text, f"note: its text ({len(desc)} bytes) is what `vmcoreinfo` printed",
            f"dump:\n{text}\nguest:\n{note_text}")
        info = parse_vmcoreinfo(text)
        want_id = build_id_of(os.path.join(qemu.ROOT, "build", "ballast.elf"))
        tap(want_id is not None and info.get("BUILD-ID") == want_id,
            f"note: BUILD-ID is the kernel's GNU build id ({want_id})", info.get("BUILD-ID"))
        k = Kernel(core, info)
        secs = k.sections()
        boot = (num(info["NUMBER(SECTION_PRESENT)"]) | num(info["NUMBER(SECTION_HAS_MEMMAP)"]) |
                num(info["NUMBER(SECTION_ONLINE)"]) | num(info["NUMBER(SECTION_BOOT)"]))
        tap([nr for nr, _, _, _ in secs] == list(range(8)) and
            all(st == boot and zone == 1 for _, st, zone, _ in secs),
            f"memmap: the section table holds the 1 GiB guest's 8 boot sections, online in "
            f"DMA32 ({len(secs)} present)", str(secs))
        buddy, offline, valid = k.page_census()
        tap(buddy == buddy_before, f"memmap: the dump's memmap has {buddy} buddy pages, "
            f"page-types -b buddy said {buddy_before}")
        tap(offline == offline_before and offline >= 512 * MiB // PAGE,
            f"memmap: the dump's memmap has {offline} offline pages, page-types -b offline "
            f"said {offline_before} (512 MiB ballooned = {512 * MiB // PAGE})")
        painted = k.painted_pages()
        tap(painted == held, f"memmap: the dump holds all {held} pages frag painted ({painted})")
        log = k.log()
        tap("ballast: ready" in log and re.search(r"^ballast> frag 3of4$", log, re.M) is not None,
            "note: the log ring in the dump holds the boot messages and the shell's commands",
            log[-1500:])
        core.close()

        # What needs helper dump-tool's build/tools/ballast-dump: skipped, never passed, without it.
        tool_checks(path, work, buddy_before, offline_before, held, summary_before,
                    buddyinfo_before, secs)
        makedumpfile_checks(path, os.path.join(work, "filtered.elf"), work)
    except QMPError as e:
        tap(False, "note: guest session", str(e))
    finally:
        g.close()


def section_census(out):
    """(present, online, uninitialised, offline) and {nr: "kind zone origin"} from
    `ballast-dump info`."""
    m = re.search(r"^sections: (\d+) present of \d+ \(128 MiB each\): (\d+) online "
                  r"\((\d+) uninitialised\), (\d+) offline$", out, re.M)
    listed = {int(nr, 16): rest for nr, rest in
              re.findall(r"^  section 0x([0-9a-f]+) pfn \S+ (.*?) memmap 0x[0-9a-f]+$", out, re.M)}
    return (tuple(int(g) for g in m.groups()) if m else None), listed


def test_sections(accel, work):
    """Block 7 of a 1 GiB guest offline, then online Movable: the dump, the tool, the guest agree."""
    name = "sections: ballast-dump on a dump with section 7 offline and then Movable"
    if tool_missing(name):
        return
    try:
        g = Guest(machine="q35", mem="1G", accel=accel, boot_timeout=180, extra=DUMP_DEVICES)
    except QMPError as e:
        tap(False, "sections: boots with -device vmcoreinfo", str(e))
        return
    try:
        g.shell("compaction_proactiveness 0")
        # The highest block that goes offline (the top one holds the boot memmap).
        outs = []
        for blk in range(7, 0, -1):
            out = g.shell(f"memory offline {blk}", timeout=120, expect=None).replace("\r", "")
            outs.append(out)
            if re.search(rf"^memory: block {blk} offline$", out, re.M):
                break
        else:
            blk = None
        tap(blk is not None, f"sections: the guest takes a block offline (block {blk})",
            "\n".join(outs)[-3000:])
        if blk is None:
            return
        path = os.path.join(work, "offline.elf")
        dump_live(g, path)
        core = Core(path)
        info = parse_vmcoreinfo(core.note("VMCOREINFO").decode())
        secs = {nr: (st, zone) for nr, st, zone, _ in Kernel(core, info).sections()}
        core.close()
        online = num(info["NUMBER(SECTION_ONLINE)"])
        tap(sorted(secs) == list(range(8)) and not secs[blk][0] & online and
            all(secs[nr][0] & online for nr in range(8) if nr != blk),
            f"sections: the dump's section table has section {blk} present and not online, "
            f"the other 7 online", str(secs))
        rc, out = run_tool("info", path)
        counts, listed = section_census(out)
        tap(rc == 0 and counts == (8, 7, 0, 1) and listed.get(blk) == "offline boot",
            f"sections: ballast-dump info counts 8 present, 7 online, 1 offline ({counts}, "
            f"section {blk}: {listed.get(blk)})", out[-1500:])
        fpath = os.path.join(work, "offline.filtered.elf")
        rc, out = run_tool("filter", "--exclude", "free,reported,offline,hwpoison", path, fpath)
        left = left_out(out)
        fcore = Core(fpath) if rc == 0 else None
        inside = [b for b, _, size in (fcore.loads if fcore else [])
                  if b < (blk + 1) << 27 and b + size > blk << 27]
        if fcore:
            fcore.close()
        tap(rc == 0 and left.get("offline_section") == 32768 and not inside,
            f"sections: the filter leaves out the offline section's 32768 pages unread "
            f"({left.get('offline_section')}; segments in it: {len(inside)})", out)

        out = g.shell(f"memory online {blk} movable", timeout=120)
        tap(re.search(rf"^memory: block {blk} online \(", out.replace("\r", ""), re.M) is not None,
            f"sections: the guest onlines block {blk} Movable", out)
        g.shell("drain")
        buddyinfo = g.shell("buddyinfo")
        path = os.path.join(work, "movable.elf")
        dump_live(g, path)
        after = g.shell("buddyinfo")
        core = Core(path)
        info = parse_vmcoreinfo(core.note("VMCOREINFO").decode())
        secs = {nr: (st, zone) for nr, st, zone, _ in Kernel(core, info).sections()}
        core.close()
        tap(secs.get(blk, (0, 0))[0] & online and secs[blk][1] == num(info["NUMBER(ZONE_MOVABLE)"]),
            f"sections: the table has section {blk} online in ZONE_MOVABLE", str(secs))
        rc, out = run_tool("info", path)
        counts, listed = section_census(out)
        tap(rc == 0 and counts == (8, 8, 0, 0) and listed.get(blk) == "online Movable boot",
            f"sections: ballast-dump info: 8 online, section {blk} Movable ({counts}, "
            f"{listed.get(blk)})", out[-1500:])
        rc, out = run_tool("summary", path)
        bi = lambda t: [ln.split() for ln in re.findall(r"^Node 0, zone.*$",  # noqa: E731
                                                        t.replace("\r", ""), re.M)]
        tap(rc == 0 and bi(buddyinfo) == bi(after) and bi(out) == bi(buddyinfo) and
            any(r[3] == "Movable" for r in bi(out)),
            "sections: summary's buddyinfo, Movable line included, equals the guest's",
            f"tool:\n{out}\nguest:\n{buddyinfo}\nafter:\n{after}")
    except QMPError as e:
        tap(False, "sections: guest session", str(e))
    finally:
        g.close()


def left_out(text):
    """{class: pages} from the "left out:" block of `ballast-dump filter`."""
    block = text.replace("\r", "").split("left out:", 1)[-1].split("kept:", 1)[0]
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^\s+(\w+)\s+(\d+) pages", block, re.M)}


def tool_checks(path, work, buddy, offline, held, summary, buddyinfo, secs):
    """ballast-dump filter/summary/info against the guest's own figures."""
    if tool_missing("tool: filter leaves out exactly the buddy and offline pages"):
        tap.skip("tool: the filtered dump keeps every painted page, paint intact", "no tool")
        tap.skip("tool: summary equals the guest's page-types and buddyinfo", "no tool")
        tap.skip("tool: info's section census equals the section table's", "no tool")
        return
    rc, out = run_tool("info", path)
    m = re.search(r"^sections: (\d+) present of \d+ \(128 MiB each\): (\d+) online "
                  r"\((\d+) uninitialised\), (\d+) offline$", out, re.M)
    listed = [int(x, 16) for x in re.findall(r"^  section 0x([0-9a-f]+) pfn .* online DMA32 boot "
                                             r"memmap 0x[0-9a-f]+$", out, re.M)]
    tap(rc == 0 and m is not None and [int(g) for g in m.groups()] == [len(secs), len(secs), 0, 0]
        and listed == [nr for nr, _, _, _ in secs],
        f"tool: info's section census equals the section table's ({len(secs)} present, online, "
        f"DMA32)", out[-1500:])
    out_path = os.path.join(work, "filtered.elf")
    rc, out = run_tool("filter", "--exclude", "free,reported,offline", path, out_path)
    left = left_out(out)
    free = left.get("free", 0) + left.get("reported", 0) if "free" in left else None
    tap(rc == 0 and free == buddy and left.get("offline") == offline,
        f"tool: filter leaves out exactly the buddy ({buddy}: free {left.get('free')} + reported "
        f"{left.get('reported')}) and offline ({offline}: {left.get('offline')}) pages", out)
    if rc == 0:
        fcore = Core(out_path)
        kept = Kernel(fcore, parse_vmcoreinfo(fcore.note("VMCOREINFO").decode())).painted_pages()
        fcore.close()
        tap(kept == held, f"tool: the filtered dump keeps every painted page, paint intact "
            f"({kept} of {held})")
    else:
        tap(False, "tool: the filtered dump keeps every painted page, paint intact", out)
    rc, out = run_tool("summary", path)
    rows = lambda t: sorted(ln.split() for ln in t.replace("\r", "").splitlines()  # noqa: E731
                            if re.match(r"\s*(0x[0-9a-f]{16}|total)\s", ln))
    bi = lambda t: re.findall(r"^Node 0, zone.*$", t.replace("\r", ""), re.M)  # noqa: E731
    tap(rc == 0 and rows(out) == rows(summary) and rows(summary) and
        [ln.split() for ln in bi(out)] == [ln.split() for ln in bi(buddyinfo)],
        "tool: summary equals the guest's page-types and buddyinfo",
        f"tool:\n{out}\nguest:\n{summary}\n{buddyinfo}")


def makedumpfile_error(path, work):
    """(exit status, its first error line) of Debian's makedumpfile -E -d 31 on @path."""
    out_path = os.path.join(work, "mdf.out")
    if os.path.exists(out_path):
        os.unlink(out_path)
    r = subprocess.run(["makedumpfile", "-E", "-d", "31", path, out_path], capture_output=True,
                       text=True, timeout=300)
    lines = [ln.strip() for ln in (r.stdout + r.stderr).splitlines() if ln.strip()]
    err = next((ln for ln in lines if re.match(r"^\w+: ", ln)), None)
    return r.returncode, err, "\n".join(lines[-10:])


def makedumpfile_checks(raw, filtered, work):
    """Where Debian's unmodified makedumpfile stops on a real dump (docs/dumps.md)."""
    name_raw = "makedumpfile: QEMU's own dump stops at get_elf_info (program headers not at 64)"
    name_flt = ("makedumpfile: ballast-dump's re-laid dump stops at check_release "
                "(no Linux utsname)")
    if shutil.which("makedumpfile") is None:
        tap.skip(name_raw, "makedumpfile is not installed")
        tap.skip(name_flt, "makedumpfile is not installed")
        return
    with open(raw, "rb") as f:
        phoff, = struct.unpack("<Q", f.read(64)[0x20:0x28])
    rc, err, tail = makedumpfile_error(raw, work)
    tap(rc == 1 and phoff != 64 and err == "get_elf_info: Can't get the number of PT_LOAD.",
        f"{name_raw} (e_phoff {phoff}; {err})", tail)
    if not os.path.exists(filtered):
        tap(False, name_flt, "no filtered dump (the tool part failed)")
        return
    with open(filtered, "rb") as f:
        phoff, = struct.unpack("<Q", f.read(64)[0x20:0x28])
    c = Core(filtered)
    info = parse_vmcoreinfo(c.note("VMCOREINFO").decode())
    c.close()
    rc, err, tail = makedumpfile_error(filtered, work)
    tap(rc == 1 and phoff == 64 and "SYMBOL(init_uts_ns)" not in info and
        err == "check_release: Can't get the symbol of system_utsname.",
        f"{name_flt} (e_phoff {phoff}; {err})", tail)


def test_panic(accel, work, machine, mem):
    """`panic TEXT confirm` -> GUEST_PANICKED -> take_dump -> the message in the dump's log ring."""
    label = f"panic/{machine}"
    token = f"dump-test-{random.randrange(1 << 30):08x}"
    try:
        g = Guest(machine=machine, mem=mem, accel=accel, boot_timeout=180, extra=DUMP_DEVICES)
    except QMPError as e:
        tap(False, f"{label}: boots with vmcoreinfo and pvpanic", str(e))
        return
    try:
        rc, out = g.run("panic " + token)
        rc2, _ = g.run("uptime")
        tap(rc == 1 and "*** PANIC" not in g.out and rc2 == 0 and
            not any(e["event"] == "GUEST_PANICKED" for e in g.qmp.events),
            f"{label}: `panic TEXT` without confirm does nothing (status {rc}, then uptime {rc2})",
            out)
        start = len(g.out)
        g.proc.stdin.write(f"panic {token} confirm\n".encode())
        g.proc.stdin.flush()
        t0 = time.monotonic()
        ev = None
        while time.monotonic() - t0 < 60 and ev is None:
            g.qmp.cmd("query-status")
            ev = next((e for e in g.qmp.events if e["event"] == "GUEST_PANICKED"), None)
            if ev is None:
                time.sleep(0.2)
        tap(ev is not None and ev["data"].get("action") == "pause",
            f"{label}: QMP GUEST_PANICKED arrives (action pause)", f"{ev}\n{g.out[start:][-2000:]}")
        status = g.qmp.cmd("query-status")
        tap(status.get("status") == "guest-panicked", f"{label}: the guest is held for the dump",
            str(status))
        path = os.path.join(work, f"panic-{machine}.elf")
        report = dump_live(g, path)
        print(f"# {report}", flush=True)
        core = Core(path)
        desc = core.note("VMCOREINFO")
        tap(desc is not None, f"{label}: the panic dump carries the VMCOREINFO note")
        if desc is None:
            return
        log = Kernel(core, parse_vmcoreinfo(desc.decode())).log()
        core.close()
        m = re.search(r"\*\*\* PANIC on CPU \d+: " + re.escape(token) + r"\n  backtrace:\n"
                      r"(\s+\[<[0-9a-f]{16}>\] \S+\n)+"
                      r"ballast: stopped: panic\n\Z", log)
        tap(m is not None and "cmd_panic+0x" in m.group(0),
            f"{label}: the dump's log ring ends with the panic message and its backtrace",
            log[-1500:])
        if not tool_missing(f"{label}: ballast-dump log shows the panic"):
            rc, out = run_tool("log", path)
            tap(rc == 0 and f"*** PANIC on CPU 0: {token}" in out and "cmd_panic+0x" in out,
                f"{label}: ballast-dump log shows the panic", out[-1500:])
    except QMPError as e:
        tap(False, f"{label}: guest session", str(e))
    finally:
        g.close()


def test_absent(accel, work):
    """No -device vmcoreinfo: one line from the guest, no note in the dump."""
    try:
        g = Guest(machine="q35", mem="256M", accel=accel, boot_timeout=180)
    except QMPError as e:
        tap(False, "absent: boots without -device vmcoreinfo", str(e))
        return
    try:
        lines = re.findall(r"^vmcoreinfo: .*$", g.out.replace("\r", ""), re.M)
        tap(len(lines) == 1 and "no etc/vmcoreinfo" in lines[0],
            "absent: the guest says in one line that QEMU has no -device vmcoreinfo", str(lines))
        tap("pvpanic:" not in g.out, "absent: no pvpanic line without the device")
        path = os.path.join(work, "absent.elf")
        dump_live(g, path)
        core = Core(path)
        names = [n for n, _, _ in core.notes]
        core.close()
        tap("VMCOREINFO" not in names and "CORE" in names,
            "absent: the dump has QEMU's own notes and no VMCOREINFO", str(names))
        out = g.shell("vmcoreinfo")
        tap("not announced" in out and re.search(r"^SYMBOL\(mem_section\)=0x[0-9a-f]+$", out, re.M)
            and not re.search(r"^SYMBOL\(mem_map\)=", out, re.M),
            "absent: the shell still shows the note, marked not announced", out)
    except QMPError as e:
        tap(False, "absent: guest session", str(e))
    finally:
        g.close()


def test_ring_wraps(accel):
    """~70 KiB of console output, then dmesg: the ring's 64 KiB are the console's last 64 KiB."""
    script = "vmcoreinfo\n" * 64 + "dmesg\n"
    cmd, _ = qemu.build_cmd("microvm", "pvh", "128M", accel, quiet=True)
    rc, out = qemu.run(cmd, stdin_data=qemu.script_bytes(script), timeout=180, echo=False)
    out = out.replace("\r", "")
    start = out.find("ballast> dmesg\n")
    end = out.find("\n(dmesg: ", start)
    m = re.search(r"^\(dmesg: (\d+) of (\d+) bytes ever logged; the ring holds (\d+)\)$",
                  out[end + 1:], re.M)
    if start < 0 or end < 0 or m is None:
        tap(False, "ring: dmesg after 64 KiB of output", out[-2000:])
        return
    shown_n, logged, size = (int(x) for x in m.groups())
    before = out[:start + len("ballast> dmesg\n")]
    shown = out[start + len("ballast> dmesg\n"):end]
    tap(rc == 0 and logged > size == shown_n == len(shown),
        f"ring: {logged} bytes logged, dmesg shows the last {shown_n} (the ring's size {size})",
        out[-1500:])
    tap(shown == before[-len(shown):] if shown else False,
        "ring: what dmesg shows is byte for byte the console's last bytes before it",
        f"dmesg starts {shown[:200]!r}\nconsole has {before[-len(shown):][:200]!r}")


BAD_DEVICES = [
    ("a read-only etc/vmcoreinfo", ["-fw_cfg", "name=etc/vmcoreinfo,string=0123456789abcdef"],
     r"^vmcoreinfo: the fw_cfg DMA write of etc/vmcoreinfo failed \(-\d+\); dumps will carry no note$"),
    ("a 5-byte etc/vmcoreinfo", ["-fw_cfg", "name=etc/vmcoreinfo,string=short"],
     r"^vmcoreinfo: fw_cfg etc/vmcoreinfo is 5 bytes, not 16; not written$"),
    ("fw_cfg without DMA", ["-fw_cfg", "name=etc/vmcoreinfo,string=0123456789abcdef",
                            "-global", "fw_cfg_io.dma_enabled=off"],
     r"^vmcoreinfo: fw_cfg has no DMA interface \(features 0x1\); etc/vmcoreinfo cannot be written$"),
]


def test_bad_devices(accel):
    """Devices the driver cannot use: one clear line, and the guest goes on."""
    script = "vmcoreinfo\nuptime\n"
    for what, extra, want in BAD_DEVICES:
        cmd, _ = qemu.build_cmd("microvm", "pvh", "128M", accel, quiet=True, extra=extra)
        rc, out = qemu.run(cmd, stdin_data=qemu.script_bytes(script), timeout=120, echo=False)
        out = out.replace("\r", "")
        lines = re.findall(r"^vmcoreinfo: .*$", out, re.M)
        tap(len(lines) == 1 and re.match(want, lines[0]) is not None,
            f"baddev: {what}: one line says what is wrong", "\n".join(lines) or out[-2000:])
        tap(rc == 0 and not script_problems(out, script) and "not announced" in out,
            f"baddev: {what}: boot goes on (the shell runs; the note is not announced)",
            out[-2000:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--keep", default=None, help="keep the dumps in this directory")
    ap.add_argument("--only", default="note,sections,panic,absent,ring,baddev")
    a = ap.parse_args()
    only = set(a.only.split(","))
    print("TAP version 13", flush=True)
    work = a.keep or tempfile.mkdtemp(prefix="ballast-dump-", dir=os.path.join(qemu.ROOT, "build"))
    os.makedirs(work, exist_ok=True)
    try:
        if "note" in only:
            test_note_and_memmap(a.accel, work)
        if "sections" in only:
            test_sections(a.accel, work)
        if "panic" in only:
            test_panic(a.accel, work, "q35", "256M")
            test_panic(a.accel, work, "microvm", "128M")
        if "absent" in only:
            test_absent(a.accel, work)
        if "ring" in only:
            test_ring_wraps(a.accel)
        if "baddev" in only:
            test_bad_devices(a.accel)
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
