#!/usr/bin/env python3
"""test_dump_tool.py - build/tools/ballast-dump against synthetic dumps.

tests/tools/gen_dump.py writes a QEMU-like ELF core of a fake guest and the
truth about it (its sections, every page's class and kpageflags word,
buddyinfo, the log). This script runs the tool as a user would and checks
its answers against that truth with its own ELF reader: which pfns a
filtered dump holds, that painted pages keep their paint and that no byte
of offline, unplugged or section-less memory reaches the output (a marker
in those frames), the page-types rows, buddyinfo lines and section census
of `summary` and `info`, the `log` text, and that every bad input
(truncated, no note, another build, a hostile section table, garbage
values, other formats) ends with exit status 1 and a message, never a
crash or a wrong filter.
TAP output; exit status 1 on any failure.
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "build", "tools", "ballast-dump")
GEN = os.path.join(ROOT, "tests", "tools", "gen_dump.py")
PAGE = 4096
PAINT = 0x5041494e54000000
SECRET = b"UNPLUGGED-SECRET"

n_test = 0
n_fail = 0


def check(name, cond, detail=""):
    """Print one TAP line."""
    global n_test, n_fail
    n_test += 1
    if cond:
        print(f"ok {n_test} - {name}")
    else:
        n_fail += 1
        print(f"not ok {n_test} - {name}")
        for ln in str(detail).splitlines()[-20:]:
            print(f"# {ln}")


def tool(*args):
    """Run ballast-dump; (exit status, stdout, stderr)."""
    r = subprocess.run([TOOL] + list(args), capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def gen(path, *args, truth=True):
    """Generate a dump (and its truth); the truth as a dict."""
    cmd = [sys.executable, GEN, path] + list(args)
    if truth:
        cmd += ["--truth", path + ".json"]
    subprocess.run(cmd, check=True, timeout=300)
    if truth:
        with open(path + ".json") as f:
            return json.load(f)
    return None


def read_core(path, strict=True):
    """Independent ELF core reader: {pfn: page bytes} of every whole page in the PT_LOADs'
    file bytes, the program header count and the notes. @strict: filesz must equal memsz
    (ballast-dump's output; makedumpfile leaves pages out as memsz > filesz)."""
    with open(path, "rb") as f:
        d = f.read()
    assert d[:4] == b"\x7fELF" and d[4] == 2 and d[5] == 1, "not ELF64 LE"
    e_type, = struct.unpack_from("<H", d, 16)
    assert e_type == 4, "not ET_CORE"
    phoff, shoff = struct.unpack_from("<QQ", d, 32)
    phnum, = struct.unpack_from("<H", d, 56)
    if phnum == 0xffff:
        phnum, = struct.unpack_from("<I", d, shoff + 44)   # sh_info of section 0
    pages, notes = {}, b""
    for i in range(phnum):
        p_type, _, off, vaddr, paddr, filesz, memsz, _ = struct.unpack_from("<IIQQQQQQ", d, phoff + 56 * i)
        assert off + filesz <= len(d), "segment past EOF"
        if p_type == 4:
            notes = d[off:off + filesz]
        if p_type != 1:
            continue
        assert filesz == memsz or not strict
        for pa in range(paddr, paddr + filesz, PAGE):
            if pa % PAGE == 0 and pa + PAGE <= paddr + filesz:
                pages[pa // PAGE] = d[off + pa - paddr:off + pa - paddr + PAGE]
    return pages, phnum, notes


def painted(pfn, data):
    return data == struct.pack("<Q", PAINT | pfn) * (PAGE // 8)


def kpf_rows(truth):
    """page-types rows the guest would print over its present sections:
    {flags without Ballast bits 56+: count}."""
    rows = {}
    for words in truth["kpf"].values():
        for f in words:
            f &= (1 << 56) - 1
            rows[f] = rows.get(f, 0) + 1
    return rows


def parse_sections(out):
    """The section census of `info`/`summary`: counts, zones, hot-added, and the listed
    sections {nr: (kind, zone or None, boot/hot-added)}."""
    res = {}
    m = re.search(r"^sections: (\d+) present of (\d+) \(\d+ MiB each\): (\d+) online "
                  r"\((\d+) uninitialised\), (\d+) offline$", out, re.M)
    if m:
        res.update(present=int(m.group(1)), length=int(m.group(2)), online=int(m.group(3)),
                   uninit=int(m.group(4)), offline=int(m.group(5)))
    m = re.search(r"^zones \(online sections\): (.*)$", out, re.M)
    if m:
        res["zones"] = {z: int(n) for z, n in re.findall(r"(\w+) (\d+)", m.group(1))}
    m = re.search(r"^hot-added: (\d+) sections, (\d+) MiB$", out, re.M)
    if m:
        res["hotadded"], res["hotadded_mib"] = int(m.group(1)), int(m.group(2))
    res["list"] = {}
    for m in re.finditer(r"^  section 0x([0-9a-f]+) pfn 0x([0-9a-f]+)-0x([0-9a-f]+) (\S+)"
                         r"(?: (DMA|DMA32|Normal|Movable))? (boot|hot-added)", out, re.M):
        res["list"][int(m.group(1), 16)] = (m.group(4), m.group(5), m.group(6))
    return res


def census_truth(truth, only_hot=False):
    """What parse_sections() must find, from the generator's truth."""
    t = truth["sections"]
    zones = ["DMA", "DMA32", "Normal", "Movable"]
    kinds = {"online": "online", "uninit": "online-uninitialised", "offline": "offline"}
    lst = {int(nr): (kinds[s["kind"]], zones[s["zone"]] if s["state"] & 4 else None,
                     "boot" if s["state"] & 16 else "hot-added")
           for nr, s in t["list"].items() if not (only_hot and s["state"] & 16)}
    return {"present": t["present"], "length": 2048, "online": t["online"],
            "uninit": t["uninit"], "offline": t["offline"], "zones": t["zones"],
            "hotadded": t["hotadded"], "hotadded_mib": 128 * t["hotadded"], "list": lst}


def parse_summary(out):
    rows, total, buddy = {}, None, {}
    for ln in out.splitlines():
        m = re.match(r"^0x([0-9a-f]{16})\t\s*(\d+)\s", ln)
        if m:
            rows[int(m.group(1), 16)] = int(m.group(2))
        m = re.match(r"^\s+total\t\s*(\d+)\s", ln)
        if m:
            total = int(m.group(1))
        m = re.match(r"^Node 0, zone\s+(\S+)\s+((?:\d+\s+){11})$", ln)
        if m:
            buddy[m.group(1)] = [int(x) for x in m.group(2).split()]
    return rows, total, buddy


def parse_left_out(out):
    """{class: pages} of the 'left out:' block of filter's report."""
    res, on = {}, False
    for ln in out.splitlines():
        if ln.startswith("left out:"):
            on = True
            continue
        if ln.startswith("kept:"):
            break
        m = re.match(r"^\s+(\w+)\s+(\d+) pages", ln)
        if on and m:
            res[m.group(1)] = int(m.group(2))
    return res


def main():
    if not os.path.exists(TOOL):
        check("build/tools/ballast-dump exists (make tools)", False)
        return 1
    tmp = tempfile.mkdtemp(prefix="dumptool-")
    dump = os.path.join(tmp, "guest.elf")
    truth = gen(dump, "--log-len", "4096")
    orig, _, orig_notes = read_core(dump)
    cls = {c: set(v) for c, v in truth["classes"].items()}

    # ---- summary: page-types rows and buddyinfo from the dump alone ----
    rc, out, err = tool("summary", dump)
    rows, total, buddy = parse_summary(out)
    check("summary exits 0", rc == 0, err)
    check("summary page-types rows equal the generator's kpageflags truth",
          rows == kpf_rows(truth), f"tool {rows}\ntruth {kpf_rows(truth)}")
    check("summary total = every pfn of the present sections",
          total == 32768 * truth["sections"]["present"] and total == 4 * 32768, out)
    want_buddy = {z: truth["buddyinfo"][z] for z in truth["populated_zones"]}
    check("summary buddyinfo per zone (Movable included) equals the free blocks generated",
          buddy == want_buddy and want_buddy["Movable"][10] == 1, f"tool {buddy}\ntruth {want_buddy}")
    got = parse_sections(out)
    check("summary's section census (present, online, uninitialised, offline, zones, hot-added)",
          got == census_truth(truth, only_hot=True), f"tool {got}\ntruth {census_truth(truth, True)}")
    rc, out, _ = tool("summary", "-b", "offline", dump)
    rows, total, _ = parse_summary(out)
    check("summary -b offline counts the balloon and virtio-mem PageOffline pages",
          total == len(cls["offline"]) == 600 + 256, out)

    # ---- filter -d 31 ----
    outp = os.path.join(tmp, "d31.elf")
    rc, out, err = tool("filter", "-d", "31", dump, outp)
    check("filter -d 31 exits 0", rc == 0, err)
    kept, phnum, notes = read_core(outp)
    valid_classes = set().union(*(v for c, v in cls.items()
                                  if c not in ("unknown", "offline_section", "absent")))
    never = cls["offline"] | cls["offline_section"] | cls["absent"]
    meta = set(truth["metadata"])
    zero = {p for p, d in orig.items() if p in valid_classes and d == bytes(PAGE)
            and p not in cls["free"] | cls["reported"] | never | cls["hwpoison"] | meta}
    check("the section table's zero pages are kept by -d 31 (the output stays readable)",
          sum(1 for p in meta if orig[p] == bytes(PAGE)) >= 30
          and all(p in kept for p in meta), sorted(p for p in meta if p not in kept)[:10])
    gone = cls["free"] | cls["reported"] | never | cls["hwpoison"] | zero
    check("-d 31 found the zero pages the generator made (and no others)",
          zero == cls["zero"], sorted(zero ^ cls["zero"])[:20])
    check("-d 31 leaves out exactly free, reported, offline (PageOffline, offline section, "
          "no section), hwpoison and zero pages",
          set(kept) == set(orig) - gone,
          f"missing {sorted(set(orig) - gone - set(kept))[:10]} extra {sorted(set(kept) & gone)[:10]}")
    bad_paint = [p for p in truth["paint"] if p in orig and not painted(p, kept.get(p, b""))]
    check("every painted page is in the filtered dump with its paint",
          not bad_paint and len(truth["paint"]) > 3000, bad_paint[:10])
    same = [p for p in kept if kept[p] != orig[p]]
    check("every kept page is byte-identical to the input", not same, same[:10])
    check("the PT_NOTE is copied unchanged", notes == orig_notes)
    lo = parse_left_out(out)
    want = {"free": len(cls["free"]), "reported": len(cls["reported"]),
            "offline": len(cls["offline"]), "offline_section": len(cls["offline_section"]),
            "absent": len(cls["absent"]), "hwpoison": 1, "zero": len(zero),
            "total": len(gone)}
    check("filter reports what it left out by class", lo == want, f"{lo}\n{want}")
    check("the uninitialised section's memory is kept (unknown), zero pages included",
          all(p in kept for p in cls["unknown"]) and len(cls["unknown"]) == 1024)
    check("-d 31 leaves out the offline section and the memory in no section (BIOS ROM, "
          "the region not added)", not (set(kept) & (cls["offline_section"] | cls["absent"]))
          and len(cls["offline_section"]) == 1024 and len(cls["absent"]) == 64 + 1024
          and all(p in orig for p in cls["absent"]))
    with open(dump, "rb") as f:
        n_secret = f.read().count(SECRET)
    with open(outp, "rb") as f:
        leaked = f.read().count(SECRET)
    check("no byte of a PageOffline page, an offline section or section-less memory is in "
          "the -d 31 output (marker count)",
          n_secret == len(truth["secret"]) * (PAGE // 32) and n_secret > 0 and leaked == 0,
          f"input {n_secret}, output {leaked}")
    size = os.path.getsize(outp)
    check("filtered size = kept pages + headers (< 4 pages overhead + notes)",
          len(kept) * PAGE <= size <= len(kept) * PAGE + 4 * PAGE + 64 * phnum,
          f"{size} vs {len(kept) * PAGE}")
    rc2, out2, _ = tool("summary", outp)
    rc1, out1, _ = tool("summary", dump)
    check("summary of the filtered dump equals summary of the full one (memmap kept)",
          rc2 == 0 and out2 == out1, out2)

    # ---- named classes ----
    outp = os.path.join(tmp, "off.elf")
    rc, out, err = tool("filter", "--exclude", "offline", dump, outp)
    kept, _, _ = read_core(outp)
    check("--exclude offline leaves out exactly the PageOffline pages, the offline section "
          "and the memory in no section",
          rc == 0 and set(kept) == set(orig) - never, err)
    rc, out, err = tool("filter", "--exclude", "free,reported,offline,hwpoison", dump, outp)
    with open(outp, "rb") as f:
        leaked = f.read().count(SECRET)
    kept, _, _ = read_core(outp)
    check("the filter scripts/qemu.py runs leaves no marker byte in its output and keeps "
          "the rest", rc == 0 and leaked == 0 and set(kept) == set(orig) - never
          - cls["free"] - cls["reported"] - cls["hwpoison"], f"{leaked} {err}")
    rc, out, err = tool("filter", "--exclude", "offline_section", dump, outp)
    kept, _, _ = read_core(outp)
    check("--exclude offline_section leaves out only the offline section",
          rc == 0 and set(kept) == set(orig) - cls["offline_section"], err)
    rc, out, err = tool("filter", "--exclude", "absent", dump, outp)
    kept, _, _ = read_core(outp)
    check("--exclude absent leaves out only the memory in no section",
          rc == 0 and set(kept) == set(orig) - cls["absent"], err)
    rc, out, err = tool("filter", "--exclude", "slab,movable,pgtable,reported", dump, outp)
    kept, _, _ = read_core(outp)
    check("--exclude slab,movable,pgtable,reported leaves out exactly those",
          rc == 0 and set(kept) == set(orig) - cls["slab"] - cls["movable"] - cls["pgtable"]
          - cls["reported"], err)
    rc, out, err = tool("filter", "--exclude", "used", dump, outp)
    check("--exclude used is refused (not a droppable class)", rc != 0 and "unknown class" in err, err)
    rc, out, err = tool("filter", "-d", "0", dump, outp)
    kept, _, _ = read_core(outp)
    check("-d 0 keeps every page", rc == 0 and kept == orig)

    # ---- garbage in the memmap: kept, not dropped ----
    gdump = os.path.join(tmp, "garbage.elf")
    gtruth = gen(gdump, "--garbage")
    gorig, _, _ = read_core(gdump)
    gcls = {c: set(v) for c, v in gtruth["classes"].items()}
    outp = os.path.join(tmp, "g31.elf")
    rc, out, err = tool("filter", "-d", "31", gdump, outp)
    kept, _, _ = read_core(outp)
    check("garbage page types / orders: the pages are kept",
          rc == 0 and gcls["unknown"] <= set(kept) and len(gcls["unknown"]) == 1024 + 66,
          f"{rc} {err} missing {sorted(gcls['unknown'] - set(kept))[:10]}")
    check("garbage: the good free pages are still left out",
          not (gcls["free"] & set(kept)) and len(gcls["free"]) > 1000)
    rc, out, err = tool("summary", gdump)
    rows, total, buddy = parse_summary(out)
    check("garbage: summary equals the kernel's kpageflags view and warns of the bad order",
          rc == 0 and rows == kpf_rows(gtruth) and "impossible order" in err, f"{rows}\n{err}")

    # ---- more than 65534 output segments: PN_XNUM ----
    xdump = os.path.join(tmp, "xnum.elf")
    xtruth = gen(xdump, "--mem", "600", "--frag-rest")
    xorig, _, _ = read_core(xdump)
    outp = os.path.join(tmp, "xnum.out")
    rc, out, err = tool("filter", "--exclude", "free", xdump, outp)
    kept, phnum, _ = read_core(outp)
    xfree = set(xtruth["classes"]["free"]) | set(xtruth["classes"]["reported"])
    with open(outp, "rb") as f:
        e_phnum = struct.unpack_from("<H", f.read(64), 56)[0]
    check("a filter with > 65534 segments writes PN_XNUM and the count in section 0",
          rc == 0 and e_phnum == 0xffff and phnum > 65535, f"{rc} {err} {e_phnum} {phnum}")
    check("... and leaves out exactly the free pages", set(kept) == set(xorig) - xfree)
    rc, out2, _ = tool("summary", outp)
    rc1, out1, _ = tool("summary", xdump)
    check("... and ballast-dump reads its own PN_XNUM output", rc == 0 and out2 == out1, out2[-300:])
    for p in (xdump, outp):
        os.unlink(p)

    # ---- log ----
    rc, out, err = tool("log", dump)
    ring = truth["log"].encode()[-truth["log_len"]:].decode(errors="replace")
    check("log of a wrapped ring: the last log_buf_len bytes, oldest first",
          rc == 0 and out.endswith(ring) and "ring wrapped" in out.splitlines()[0], out[-300:])
    check("log shows the panic message and the backtrace",
          "Kernel panic - not syncing: synthetic panic" in out and "cmd_panic+0x21" in out)
    big = os.path.join(tmp, "bigring.elf")
    bt = gen(big, "--log-len", "65536")
    rc, out, err = tool("log", big)
    check("log of a ring that did not wrap: the whole text", rc == 0 and out == bt["log"], out[:200])

    # ---- info ----
    rc, out, err = tool("info", dump)
    m = re.search(r"VMCOREINFO: (\d+) keys", out)
    check("info lists the note's keys and says the layout matches",
          rc == 0 and m and int(m.group(1)) >= 50 and "match this build" in out, out[-800:])
    m = re.search(r"^memmap: SPARSEMEM, section table at (0x[0-9a-f]+), pfn 0x0-(0x[0-9a-f]+), "
                  r"(\d+) section memmaps copied$", out, re.M)
    check("info finds the section table and copies the memmaps of the 2 initialised online "
          "sections", m is not None and int(m.group(1), 16) == 0xffffffff80240000
          and int(m.group(2), 16) == 0x201 << 15 and int(m.group(3)) == 2, out[-600:])
    got = parse_sections(out)
    check("info lists every present section with its state, zone and origin",
          got == census_truth(truth), f"tool {got}\ntruth {census_truth(truth)}")
    mm = {int(k): v["memmap_pa"] for k, v in truth["sections"]["list"].items()}
    listed = dict(re.findall(r"^  section 0x([0-9a-f]+) .* memmap 0x([0-9a-f]+)$", out, re.M))
    check("info shows each section's memmap_phys",
          {int(k, 16): int(v, 16) for k, v in listed.items()} == mm, f"{listed}\n{mm}")

    # ---- bad input: exit 1 and a message, never a crash ----
    def bad(name, path, want, *extra, cmds=("summary", "filter", "log")):
        o = os.path.join(tmp, "bad.out")
        if os.path.exists(o):
            os.unlink(o)
        all_cmds = {"summary": ["summary", path], "filter": ["filter", "-d", "31", path, o],
                    "log": ["log", path]}
        for cmd in (all_cmds[c] for c in cmds):
            rc, out, err = tool(*extra, *cmd)
            if rc != 1 or not err.startswith("ballast-dump: ") or want not in err:
                check(f"bad input: {name} ({cmd[0]})", False, f"rc {rc}\n{err}")
                return
        check(f"bad input: {name}: exit 1 with \"{want}\"", True)

    with open(dump, "rb") as f:
        full = f.read()
    for cut, label in ((len(full) // 2, "in the data"), (300, "in the program headers"),
                       (40, "in the ELF header"), (0, "empty file")):
        p = os.path.join(tmp, f"trunc{cut}.elf")
        with open(p, "wb") as f:
            f.write(full[:cut])
        bad(f"truncated {label}", p, "truncated" if cut >= 300 else "not an ELF")
    nn = os.path.join(tmp, "nonote.elf")
    gen(nn, "--no-note", truth=False)
    bad("no VMCOREINFO note", nn, "no VMCOREINFO note")
    for key, val, want in (("SIZE(page)", "72", "different Ballast build"),
                           ("OFFSET(page.private)", "44", "different Ballast build"),
                           ("NUMBER(PAGE_TYPE_OFFLINE)", "3", "different Ballast build"),
                           ("NUMBER(PG_reported)", "9", "different Ballast build"),
                           ("SIZE(mem_section)", "96", "different Ballast build"),
                           ("OFFSET(mem_section.memmap_phys)", "8", "different Ballast build"),
                           ("NUMBER(SECTION_ONLINE)", "8", "different Ballast build"),
                           ("SYMBOL(mem_section)", "0xffff888100000000", "not (entirely) in the dump"),
                           ("SYMBOL(mem_section)", "0x1234", "not a kernel address"),
                           ("LENGTH(mem_section)", "100000000", "make 2048 sections"),
                           ("SIZE(page)", "banana", "not a number"),
                           ("PAGESIZE", "0x10000000000000000", "not a number")):
        p = os.path.join(tmp, "key.elf")
        gen(p, "--set-key", f"{key}={val}", truth=False)
        if key in ("SYMBOL(mem_section)", "LENGTH(mem_section)"):
            # the section table is refused; the log does not need it and still reads
            bad(f"{key}={val}", p, want, cmds=("summary", "filter"))
            rc, out, err = tool("log", p)
            check(f"{key}={val}: log still reads the ring", rc == 0 and "synthetic panic" in out, err)
        else:
            bad(f"{key}={val}", p, want)
    # A hostile section table: each entry is refused with its number, before any page is read.
    p = os.path.join(tmp, "sect.elf")
    for ov, want in (("0x200,memmap=0x7ff00000000", "section 0x200 (pfn 0x1000000-0x1008000): its "
                      "memmap [0x7ff00000000, 0x7ff00200000) is not (entirely) in the dump"),
                     ("0x200,memmap=0x301000", "sections 0 and 0x200: their memmaps overlap "
                      "([0x300000, 0x500000) and [0x301000, 0x501000))"),
                     ("0x200,memmap=0x123", "section 0x200: memmap_phys 0x123 is not the address "
                      "of a memmap"),
                     ("0x5,state=0x85", "section 0x5: state 0x85 has bits this build does not know"),
                     ("0x5,state=0x5", "section 0x5: online without a memmap (state 0x5)"),
                     ("0x6,state=0x2", "section 0x6: state 0x2 without SECTION_PRESENT"),
                     ("0x200,zone=9", "section 0x200: zone 9 is not a zone (4 zones)"),
                     ("0,memmap=0x200000", "memmap self-check failed: section 0's memmap at "
                      "0x200000: the struct page of its page 0x200 is not PG_reserved")):
        gen(p, "--set-section", ov, truth=False)
        bad(f"section table entry {ov}", p, want, cmds=("summary", "filter"))
    # a note from before sections: a flat memmap the tool no longer reads
    gen(p, "--drop-key", "SYMBOL(mem_section)", "--add-line", "SYMBOL(mem_map)=0xffffffff80200ff0",
        truth=False)
    bad("a flat-memmap note (SYMBOL(mem_map), no SYMBOL(mem_section))", p,
        "the note describes a flat memmap (SYMBOL(mem_map), a Ballast from before sections)")
    p = os.path.join(tmp, "drop.elf")
    gen(p, "--drop-key", "OFFSET(page._refcount)", truth=False)
    bad("note without OFFSET(page._refcount)", p, "has no OFFSET(page._refcount)")
    gen(p, "--add-line", "SIZE(page)=64", truth=False)
    bad("a key given twice", p, "given twice")
    gen(p, "--add-line", "this line has no equals sign", truth=False)
    bad("a note line without KEY=VALUE", p, "without KEY=VALUE")
    p = os.path.join(tmp, "kdump.elf")
    with open(p, "wb") as f:
        f.write(b"KDUMP   " + bytes(4096))
    bad("kdump-compressed format", p, "this format is not supported")
    p = os.path.join(tmp, "random.elf")
    with open(p, "wb") as f:
        f.write(os.urandom(65536))
    bad("random bytes", p, "not an ELF")
    kern = os.path.join(ROOT, "build", "ballast.elf")
    if os.path.exists(kern):
        bad("an ELF executable instead of a core", kern, "not ET_CORE")

    # ---- BUILD-ID: --kernel ----
    kelf = os.path.join(tmp, "kernel.elf")
    write_buildid_elf(kelf, bytes.fromhex("0123456789abcdef0123456789abcdef01234567"))
    ok = os.path.join(tmp, "bid.elf")
    gen(ok, "--build-id", "0123456789abcdef0123456789abcdef01234567", truth=False)
    rc, out, err = tool("--kernel", kelf, "summary", ok)
    check("--kernel with the same build-id is accepted", rc == 0, err)
    other = os.path.join(tmp, "bid2.elf")
    gen(other, "--build-id", "ffffffff89abcdef0123456789abcdef01234567", truth=False)
    bad("a note from a different build (--kernel)", other, "different build", "--kernel", kelf)
    bad("--kernel but the note has no BUILD-ID", dump, "has no BUILD-ID",
        "--kernel", kelf)

    makedumpfile_tests(tmp)
    print(f"1..{n_test}")
    return 1 if n_fail else 0


def makedumpfile_tests(tmp):
    """Debian's unmodified makedumpfile -d 31 (docs/dumps.md, "makedumpfile")."""
    def mdf(src, dst):
        if os.path.exists(dst):
            os.unlink(dst)
        r = subprocess.run(["makedumpfile", "-E", "-d", "31", src, dst], capture_output=True,
                           text=True, timeout=120)
        return r.returncode, r.stdout + r.stderr

    plain = os.path.join(tmp, "mdf-plain.elf")
    gen(plain, "--no-bios", truth=False)
    rc, out = mdf(plain, plain + ".out")
    check("makedumpfile on a contract-only dump stops at check_release (no init_uts_ns)",
          rc != 0 and "Can't get the symbol of system_utsname" in out, out)
    compat = os.path.join(tmp, "mdf-compat.elf")
    truth = gen(compat, "--linux-compat", "--no-bios")
    rc, out = mdf(compat, compat + ".out")
    check("makedumpfile -E -d 31 completes with the Linux-compat keys", rc == 0, out)
    if rc != 0:
        return
    orig, _, _ = read_core(compat)
    kept, _, _ = read_core(compat + ".out", strict=False)
    cls = {}
    for c, pfns in truth["classes"].items():
        for p in pfns:
            cls[p] = c
    gone = set(orig) - set(kept)
    lost = sorted(p for p in gone if cls.get(p) not in ("free", "reported", "offline", "zero",
                                                         "unknown") and orig[p] != bytes(PAGE))
    check("makedumpfile leaves out only free, reported, offline and zero pages (online sections)",
          not lost, f"lost {len(lost)}: {lost[:10]}")
    # It cannot read the section table: the garbage struct pages of the uninitialised
    # section decide for it, and it keeps the offline section, whose struct pages look used.
    inval = sorted(p for p in gone if cls.get(p) == "unknown" and orig[p] != bytes(PAGE))
    check("makedumpfile trusts the uninitialised section's garbage struct pages (drops painted "
          "pages there), where ballast-dump keeps them", len(inval) > 0, inval)
    offsec = [p for p, c in cls.items() if c == "offline_section"]
    with open(compat + ".out", "rb") as f:
        leaked = f.read().count(b"UNPLUGGED-SECRET")
    check("makedumpfile copies the offline section's memory (it cannot know the section is "
          "offline), where ballast-dump leaves it out",
          len(offsec) == 1024 and all(p in kept for p in offsec) and leaked >= 1024 * 128,
          f"{len(offsec)} {leaked}")
    left = {c: sum(1 for p in gone if cls.get(p) == c) for c in ("free", "offline", "zero")}
    # Ballast's balloon pages are PageMovableOffline (type 6), which matches none of the
    # _mapcount values makedumpfile knows: it keeps them, and then the 100 zero pages next
    # to them are a run too short for its ELF writer to leave out.
    check("makedumpfile keeps the balloon pages (type MovableOffline) and the zero pages "
          "beside them, and leaves out most free ones",
          left["offline"] == 0 and len(truth["classes"]["offline"]) == 600
          and left["zero"] == 0 and left["free"] > 0.9 * len(truth["classes"]["free"]), left)
    bad_paint = [p for p in truth["paint"] if p in orig and cls.get(p) != "unknown"
                 and not painted(p, kept.get(p, b""))]
    check("makedumpfile keeps every painted page of the valid blocks with its paint",
          not bad_paint, bad_paint[:10])
    nomm = os.path.join(tmp, "mdf-nomm.elf")
    gen(nomm, "--linux-compat", "--no-bios", "--drop-key", "SYMBOL(mem_map)", truth=False)
    rc, out = mdf(nomm, nomm + ".out")
    check("makedumpfile past a fake utsname but with the contract's memory model only (the "
          "section table, no SYMBOL(mem_map)) stops: get_mem_map cannot tell the memory type",
          rc != 0 and "get_mem_map: Can't distinguish the memory type." in out, out)
    q72 = os.path.join(tmp, "mdf-q72.elf")
    gen(q72, "--linux-compat", "--no-bios", "--qemu-shdrs", truth=False)
    rc, out = mdf(q72, q72 + ".out")
    check("makedumpfile on QEMU 7.2's layout (program headers after section headers) fails",
          rc != 0 and "Can't get the number of PT_LOAD" in out, out)
    q72b = os.path.join(tmp, "q72-ballast.elf")
    gen(q72b, "--no-bios", "--qemu-shdrs", truth=False)
    rc1, out1, _ = tool("summary", q72b)
    rc2, out2, _ = tool("summary", plain)
    check("ballast-dump reads QEMU 7.2's layout (e_phoff 192) like the packed one",
          rc1 == 0 and out1 == out2 and "total" in out1, out1)
    bios = os.path.join(tmp, "mdf-bios.elf")
    gen(bios, "--linux-compat", truth=False)
    rc, out = mdf(bios, bios + ".out")
    check("makedumpfile with QEMU's BIOS ROM segment (beyond the FLATMEM memmap) fails",
          rc != 0 and "Can't exclude unnecessary pages" in out, out)


def write_buildid_elf(path, bid):
    """A minimal ELF64 with one SHT_NOTE section holding an NT_GNU_BUILD_ID note."""
    note = struct.pack("<III", 4, len(bid), 3) + b"GNU\0" + bid
    shoff = 64 + len(note)
    eh = (b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8) +
          struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, 0, shoff, 0, 64, 0, 0, 64, 2, 0))
    sh0 = bytes(64)
    sh1 = struct.pack("<IIQQQQIIQQ", 0, 7, 2, 0, 64, len(note), 0, 0, 4, 0)
    with open(path, "wb") as f:
        f.write(eh + note + sh0 + sh1)


if __name__ == "__main__":
    sys.exit(main())
