#!/usr/bin/env python3
"""gen_dump.py - synthetic Ballast memory dumps for tools/ballast-dump's tests
and the dump benchmark (Python standard library only).

A fake guest is laid out the way QEMU's dump-guest-memory writes a real
one: an ELF core with one PT_NOTE (a CORE NT_PRSTATUS note, then the guest's
VMCOREINFO note with the keys of docs/vmcoreinfo.md) and one PT_LOAD per RAM
block (low RAM, RAM above 4 GiB when the guest is bigger than --lowmem, and
the 256 KiB BIOS ROM at 0xfffc0000, which lies in no section). File offsets
are packed like QEMU's, not page aligned.

Memory is cut into 128 MiB sections (include/mm/sparse.h): the section
table (struct mem_section: memmap_phys@0 state@8 zone@9 owner@10
pageblock_flags@16, 80 bytes) sits in the kernel image, and every present
section's memmap (32768 struct pages, 2 MiB) in low RAM after the kernel.
The struct page layout is the kernel's (64 bytes: flags@0 lru@8 mapping@24
index@32 private@40 page_type@48 _refcount@52 alloc_order@60
migratetype@61). Section 0 holds pages of every class the filter knows:
  reserved kernel image / memmap pages, free buddy blocks of orders 0..10
  (some reported to the host), per-CPU-list free pages (not PageBuddy),
  balloon pages (PageOffline + movable mapping), zero pages, slab pages,
  page tables, zsmalloc-like movable pages, a hwpoisoned page, and used
  pages painted with "PAINT" + their pfn in every 8-byte word.
After the low RAM's sections come an online section whose memmap is not
initialised (deferred init: garbage struct pages, 4 MiB of RAM, "unknown")
and an offline section (4 MiB of RAM, plausible struct pages); far above,
unless --linux-compat, a hot-added ZONE_MOVABLE section at 64 GiB (8 MiB
of RAM: a free max-order block, movable pages, virtio-mem's unplugged
PageOffline pages) and, right after it, 4 MiB of dumped memory in no
section (a device region not added). PageOffline pages and the pages of
the offline section and of no section hold SECRET ("UNPLUGGED-SECRET" +
pfn): a filter must never copy them. Free pages hold stale junk.

--garbage adds pages a filter must keep: an unknown page type, a PageBuddy
head with order 55, a PageBuddy head with a refcount.

--truth FILE writes what a correct tool must find: the pfns of every class,
the kpageflags word of every pfn of every present section (so the
page-types rows can be derived), buddyinfo per zone, the section census,
the log text. --bench MiB_USED,MiB_BALLOON makes a big guest with that
much used and ballooned memory and the rest free, quickly (per-4-MiB-block
templates), for scripts/dump_bench.py.
"""
import argparse
import json
import os
import struct
import sys

PAGE = 4096
SP = 64                      # sizeof(struct page)
MAX_ORDER = 10
BLOCK = 1 << MAX_ORDER
PAGE_OFFSET = 0xffff888000000000
KERNEL_VBASE = 0xffffffff80000000
PG = dict(locked=0, referenced=1, uptodate=2, dirty=3, reserved=4, private=5, reclaim=6,
          hwpoison=7, owner_priv_1=8, arch_1=9, reported=10)
PGTY = dict(none=0, buddy=1, offline=2, table=3, slab=4, large_kmalloc=5, movable_offline=6)
# kpageflags bits (include/mm/kpageflags.h)
KPF = dict(locked=0, slab=7, reclaim=9, buddy=10, hwpoison=19, nopage=20, offline=23,
           pgtable=26, reserved=32, private=35, owner_private=37, arch=38)
KPF_MT_SHIFT, KPF_MOVABLE = 56, 60
ZONE_DMA_END, ZONE_DMA32_END = 0x1000, 0x100000
ZONES = ["DMA", "DMA32", "Normal", "Movable"]
SECTION_SIZE_BITS, MAX_PHYSMEM_BITS = 27, 38
PPS = 1 << (SECTION_SIZE_BITS - 12)          # pages per section
NR_SECTIONS = 1 << (MAX_PHYSMEM_BITS - SECTION_SIZE_BITS)
MS_SIZE = 80                                 # sizeof(struct mem_section)
S_PRESENT, S_MEMMAP, S_ONLINE, S_DEFERRED, S_BOOT = 1, 2, 4, 8, 0x10
TABLE_PA = 0x240000                          # mem_sections[] in the kernel image
HOT_SECTION = (64 << 30) >> SECTION_SIZE_BITS    # hot-added at 64 GiB
SECRET = b"UNPLUGGED-SECRET"
PAINT = 0x5041494e54000000   # "PAINT" in the top bytes, the pfn below
MOVABLE_MAPPING = PAGE_OFFSET + 0x123440 | 2


def struct_page(flags=0, mapping=0, private=0, ptype=0, ref=0, order=0, mt=1):
    """One struct page as bytes (Ballast layout)."""
    return struct.pack("<QQQQQQIiHHBBH", flags, 0, 0, mapping, 0, private, ptype, ref,
                       0, 0, order, mt, 0)


assert len(struct_page()) == SP


def kpf_of(flags, ptype, ref, mapping, in_buddy):
    """The kpageflags word page_kpageflags() computes (migratetype bits: pageblock
    flags are not in the note, so the tool reports UNMOVABLE+1)."""
    u = 0
    pg_to_kpf = {PG["locked"]: KPF["locked"], PG["reserved"]: KPF["reserved"],
                 PG["private"]: KPF["private"], PG["reclaim"]: KPF["reclaim"],
                 PG["hwpoison"]: KPF["hwpoison"], PG["owner_priv_1"]: KPF["owner_private"],
                 PG["arch_1"]: KPF["arch"], PG["referenced"]: 2, PG["uptodate"]: 3,
                 PG["dirty"]: 4}
    for pg, k in pg_to_kpf.items():
        if flags >> pg & 1:
            u |= 1 << k
    if ptype == PGTY["slab"]:
        u |= 1 << KPF["slab"]
    elif ptype in (PGTY["offline"], PGTY["movable_offline"]):
        u |= 1 << KPF["offline"]
    elif ptype == PGTY["table"]:
        u |= 1 << KPF["pgtable"]
    if ref == 0 and in_buddy:
        u |= 1 << KPF["buddy"]
    if mapping & 3 == 2:
        u |= 1 << KPF_MOVABLE
    return u | (1 << KPF_MT_SHIFT)


HOLE = None   # set below: the struct page of a hole inside a present section (PG_reserved)


class Guest:
    """Physical memory, the section table, the memmaps and the truth about every page."""

    def __init__(self, mem_mib, lowmem_mib):
        self.mem = mem_mib << 20
        low = min(self.mem, lowmem_mib << 20)
        self.ram = [(0, low)] + ([(1 << 32, self.mem - low)] if self.mem > low else [])
        self.sections = {}               # nr -> {"state", "zone", "memmap_pa", "pb"}
        for b, s in self.ram:
            for nr in range(b >> SECTION_SIZE_BITS, (b + s + (PPS << 12) - 1) >> SECTION_SIZE_BITS):
                self.add_section(nr, S_PRESENT | S_MEMMAP | S_ONLINE | S_BOOT,
                                 1 if nr < (1 << 32) >> SECTION_SIZE_BITS else 2)
        self.pages = {}                  # pfn -> struct page bytes (default: HOLE)
        self.garbage_sections = set()    # memmap of garbage bytes (not initialised)
        self.cls = {}                    # pfn -> class name
        self.kpf = {}                    # pfn -> kpageflags word
        self.fill = {}                   # pfn -> content kind
        self.buddy = [[0] * (MAX_ORDER + 1) for _ in ZONES]
        self.memmap_pfn = 768            # the memmaps follow the kernel image

    def add_section(self, nr, state, zone):
        self.sections[nr] = {"state": state, "zone": zone, "memmap_pa": 0}

    def place_memmaps(self):
        """memmap_phys of every section with a memmap: 2 MiB each from memmap_pfn, in order."""
        k = 0
        for nr in sorted(self.sections):
            if self.sections[nr]["state"] & S_MEMMAP:
                self.sections[nr]["memmap_pa"] = self.memmap_pfn * PAGE + k * PPS * SP
                k += 1
        return k * PPS * SP // PAGE      # pages the memmaps take

    def kind(self, pfn):
        sec = self.sections.get(pfn // PPS)
        if sec is None:
            return "absent"
        if not sec["state"] & S_ONLINE:
            return "offline"
        return "uninit" if sec["state"] & S_DEFERRED else "online"

    def zone_of(self, pfn):
        return 0 if pfn < ZONE_DMA_END else self.sections[pfn // PPS]["zone"]

    def set(self, pfn, cls, content="paint", flags=0, mapping=0, private=0, ptype=0, ref=1,
            in_buddy=False, order=0):
        self.pages[pfn] = struct_page(flags, mapping, private, ptype, ref, order)
        self.cls[pfn] = cls
        self.kpf[pfn] = kpf_of(flags, ptype, ref, mapping, in_buddy)
        self.fill[pfn] = content

    def buddy_block(self, pfn, order, reported=False):
        assert pfn % (1 << order) == 0
        flags = 1 << PG["reported"] if reported else 0
        cls = "reported" if reported else "free"
        self.set(pfn, cls, "junk", flags=flags, private=order, ptype=PGTY["buddy"], ref=0,
                 in_buddy=True)
        for p in range(pfn + 1, pfn + (1 << order)):
            self.set(p, cls, "junk", ref=0, in_buddy=True)
        self.buddy[self.zone_of(pfn)][order] += 1

    def memmap_blob(self, nr):
        """The 2 MiB of struct pages of section @nr as the guest left them."""
        base = nr * PPS
        if nr in self.garbage_sections:
            return bytes((i * 37 + (i >> 6) * 11) & 0xff for i in range(PPS * SP))
        if hasattr(self, "plan"):
            return bench_memmap(self, base)
        return b"".join(self.pages.get(p, HOLE) for p in range(base, base + PPS))

    def table(self, overrides=()):
        """mem_sections[] as bytes; @overrides: "NR,FIELD=VALUE" (memmap, state, zone)."""
        t = bytearray(NR_SECTIONS * MS_SIZE)
        secs = {nr: dict(sec) for nr, sec in self.sections.items()}
        for ov in overrides:
            nr, kv = ov.split(",", 1)
            k, v = kv.split("=", 1)
            sec = secs.setdefault(int(nr, 0), {"state": 0, "zone": 0, "memmap_pa": 0})
            sec[{"memmap": "memmap_pa"}.get(k, k)] = int(v, 0)
        for nr, sec in secs.items():
            struct.pack_into("<QBBB5x", t, nr * MS_SIZE, sec["memmap_pa"], sec["state"],
                             sec["zone"] if sec["state"] & S_ONLINE else 0xff, 0)
        return bytes(t)

    def kpf_truth(self):
        """{section nr: [kpageflags of each of its pfns]} for every present section."""
        hole = kpf_of(1 << PG["reserved"], 0, 1, 0, False)
        out = {}
        for nr in sorted(self.sections):
            base = nr * PPS
            if self.kind(base) != "online":
                out[nr] = [1 << KPF["nopage"]] * PPS
            else:
                out[nr] = [self.kpf.get(p, hole) for p in range(base, base + PPS)]
        return out


HOLE = struct_page(flags=1 << PG["reserved"], ref=1)


def zone_name(z):
    return ZONES[z]


def build_specials(g, compat):
    """Sections beyond low RAM: uninitialised, offline; a hot-added one and an unadded region."""
    nxt = max(g.sections) + 1
    g.add_section(nxt, S_PRESENT | S_MEMMAP | S_ONLINE | S_DEFERRED | S_BOOT, 1)
    g.garbage_sections.add(nxt)
    g.add_section(nxt + 1, S_PRESENT | S_MEMMAP | S_BOOT, 0)
    g.uninit_section, g.offline_section = nxt, nxt + 1
    g.extra_ram = [(nxt * PPS * PAGE, BLOCK * PAGE), ((nxt + 1) * PPS * PAGE, BLOCK * PAGE)]
    if not compat:
        g.add_section(HOT_SECTION, S_PRESENT | S_MEMMAP | S_ONLINE, 3)
        g.extra_ram += [(HOT_SECTION * PPS * PAGE, 2 * BLOCK * PAGE),
                        ((HOT_SECTION + 1) * PPS * PAGE, BLOCK * PAGE)]


def fill_specials(g, compat):
    """Struct pages and contents of the special sections (after place_memmaps)."""
    base = g.uninit_section * PPS
    for i in range(BLOCK):                     # garbage memmap: unclassifiable, kept
        g.cls[base + i] = "unknown"
        g.fill[base + i] = "zero" if i < 8 else "paint"   # zero but unclassifiable: kept
    base = g.offline_section * PPS
    for i in range(BLOCK):                     # plausible struct pages, but the section is offline
        g.pages[base + i] = struct_page(ref=1)
        g.cls[base + i] = "offline_section"
        g.fill[base + i] = "secret"
    if compat:
        return
    base = HOT_SECTION * PPS
    g.buddy_block(base, MAX_ORDER)             # a free max-order block in ZONE_MOVABLE
    p = base + BLOCK
    for i in range(BLOCK):
        if i < 256:
            g.set(p + i, "movable", "paint", mapping=MOVABLE_MAPPING)
        elif i < 512:                          # virtio-mem unplugged: PageOffline, refcount 0
            g.set(p + i, "offline", "secret", ptype=PGTY["offline"], ref=0)
        else:
            g.set(p + i, "used", "paint")
    for i in range(BLOCK):                     # dumped, but in no section
        g.cls[(HOT_SECTION + 1) * PPS + i] = "absent"
        g.fill[(HOT_SECTION + 1) * PPS + i] = "secret"


def build_small(g, garbage, frag_rest=False):
    """A 64 MiB-ish guest with every class in section 0 (tests)."""
    # pfn 0..255: firmware, reserved
    for p in range(0, 256):
        g.set(p, "used", "paint", flags=1 << PG["reserved"])
    # kernel image 1 MiB..3 MiB: reserved; note, log ring, section table live here
    for p in range(256, 768):
        g.set(p, "used", "paint", flags=1 << PG["reserved"])
    for p in (512, 513, 514, 515, 516, 517):   # note + log_buf_pos, log ring, uts, page tables
        g.fill[p] = "keep"
    for p in range(TABLE_PA // PAGE, (TABLE_PA + NR_SECTIONS * MS_SIZE) // PAGE):
        g.fill[p] = "keep"                     # mem_sections[]
    pfn = g.memmap_pfn
    # the memmaps: right after the kernel, reserved
    mm_pages = g.mm_pages
    for p in range(pfn, pfn + mm_pages):
        g.set(p, "used", "keep", flags=1 << PG["reserved"])
    pfn += mm_pages
    pfn = (pfn + BLOCK - 1) // BLOCK * BLOCK
    for p in range(768 + mm_pages, pfn):       # up to the next 4 MiB: painted used pages
        g.set(p, "used", "paint")
    # free blocks of every order, some reported
    for order in range(MAX_ORDER, -1, -1):
        for i in range(2):
            g.buddy_block(pfn, order, reported=(i == 1 and order >= 9))
            pfn += 1 << order
        # painted used pages between blocks keep them from merging
        pfn = (pfn + (1 << order) - 1) // (1 << order) * (1 << order)
    pfn = (pfn + BLOCK - 1) // BLOCK * BLOCK
    # a 4 MiB block of painted pages with buddy pages interleaved (frag 3of4)
    for i in range(BLOCK):
        if i % 4 == 3:
            g.buddy_block(pfn + i, 0)
        else:
            g.set(pfn + i, "used", "paint", flags=1 << PG["private"] if i % 8 == 1 else 0)
    pfn += BLOCK
    # balloon: 600 pages of type MovableOffline (refcounted, movable mapping), never to be copied
    for i in range(600):
        g.set(pfn + i, "offline", "secret", mapping=MOVABLE_MAPPING, ptype=PGTY["movable_offline"])
    pfn += 600
    for i in range(100):                       # zero pages: used, content zero
        g.set(pfn + i, "zero", "zero")
    pfn += 100
    for i in range(64):                        # slab
        g.set(pfn + i, "slab", "paint", ptype=PGTY["slab"])
    pfn += 64
    for i in range(16):                        # page tables
        g.set(pfn + i, "pgtable", "paint", ptype=PGTY["table"])
    pfn += 16
    for i in range(32):                        # zsmalloc-like movable
        g.set(pfn + i, "movable", "paint", mapping=MOVABLE_MAPPING)
    pfn += 32
    g.set(pfn, "hwpoison", "junk", flags=1 << PG["hwpoison"])
    pfn += 1
    for i in range(40):                        # per-CPU list pages: free, not PageBuddy
        g.set(pfn + i, "used", "junk", ref=0)
    pfn += 40
    if garbage:
        # a fresh 4 MiB block, so is_free_buddy_page()'s head search sees only these
        pfn = (pfn + BLOCK - 1) // BLOCK * BLOCK
        g.set(pfn, "unknown", "paint", private=55, ptype=PGTY["buddy"], ref=0, in_buddy=True)
        for i in range(1, 64):
            # is_free_buddy_page() calls these BUDDY (55 >= order), so the kernel's
            # page-types would too; the filter must still keep them
            g.set(pfn + i, "unknown", "paint", ref=0, in_buddy=True)
        g.set(pfn + 64, "unknown", "paint", ptype=77)                      # unknown type
        g.set(pfn + 65, "unknown", "paint", private=0, ptype=PGTY["buddy"], ref=1)  # head, refcount 1
        g.kpf[pfn + 65] = kpf_of(0, PGTY["buddy"], 1, 0, False)
        for i in range(66, BLOCK):
            g.set(pfn + i, "used", "paint")
        pfn += BLOCK
    # the rest of RAM: free max-order blocks (--frag-rest: every other page
    # free, for a filtered dump with more than 65534 segments), then painted pages
    pfn = (pfn + BLOCK - 1) // BLOCK * BLOCK
    end = g.ram[0][1] // PAGE
    while pfn + BLOCK <= end - 2 * BLOCK:
        if frag_rest:
            for i in range(BLOCK):
                if i % 2:
                    g.buddy_block(pfn + i, 0)
                else:
                    g.set(pfn + i, "used", "paint")
        else:
            g.buddy_block(pfn, MAX_ORDER)
        pfn += BLOCK
    while pfn < end:
        g.set(pfn, "used", "paint")
        pfn += 1
    # alignment gaps left above: painted used pages
    for p in range(g.ram[0][1] // PAGE):
        if p not in g.pages:
            g.set(p, "used", "paint")


def build_bench(g, used_mib, balloon_mib):
    """A big guest: kernel + memmaps, USED MiB painted, BALLOON MiB offline, the rest free."""
    reserved_end = (g.memmap_pfn + g.mm_pages + BLOCK - 1) // BLOCK * BLOCK
    used = used_mib * 256 - reserved_end
    balloon = balloon_mib * 256
    used = (used + BLOCK - 1) // BLOCK * BLOCK
    balloon = (balloon + BLOCK - 1) // BLOCK * BLOCK
    # classes by pfn ranges (assigned in order over the RAM blocks)
    plan = []
    left = [("used", used), ("offline", balloon)]
    for b, s in g.ram:
        pfn, end = b // PAGE, (b + s) // PAGE
        if pfn == 0:
            plan.append((0, reserved_end, "reserved"))
            pfn = reserved_end
        while pfn < end and left:
            cls, n = left[0]
            take = min(n, end - pfn)
            plan.append((pfn, pfn + take, cls))
            pfn += take
            if take == n:
                left.pop(0)
            else:
                left[0] = (cls, n - take)
        if pfn < end:
            plan.append((pfn, end, "free"))
    g.plan = plan
    for lo, hi, cls in plan:
        if cls == "free":
            assert lo % BLOCK == 0 and hi % BLOCK == 0, (lo, hi)
            for p in range(lo, hi, BLOCK):
                g.buddy[g.zone_of(p)][MAX_ORDER] += 1


BENCH_T = {"reserved": struct_page(flags=1 << PG["reserved"], ref=1), "used": struct_page(ref=1),
           "offline": struct_page(mapping=MOVABLE_MAPPING, ptype=PGTY["movable_offline"], ref=1)}
BENCH_FREE = struct_page(private=MAX_ORDER, ptype=PGTY["buddy"], ref=0) + \
    struct_page(ref=0) * (BLOCK - 1)


def bench_memmap(g, base):
    """Struct pages of the bench guest's section starting at pfn @base (from g.plan)."""
    out, p, end = [], base, base + PPS
    for lo, hi, cls in g.plan:
        a, b = max(lo, p), min(hi, end)
        if a >= b:
            continue
        if a > p:
            out.append(HOLE * (a - p))
        if cls == "free":
            out.append(BENCH_FREE * ((b - a) // BLOCK))
        else:
            out.append(BENCH_T[cls] * (b - a))
        p = b
    if p < end:
        out.append(HOLE * (end - p))
    return b"".join(out)


def log_text(nlines, panic=True):
    lines = ["[%5d.%06d] line %d of the boot log" % (i // 100, i % 100 * 7919, i)
             for i in range(nlines)]
    if panic:
        lines += ["Kernel panic - not syncing: synthetic panic for the dump test",
                  "Call trace:", " [<ffffffff80101234>] panic+0x44",
                  " [<ffffffff80105678>] cmd_panic+0x21", "---[ end Kernel panic ]---"]
    return ("\n".join(lines) + "\n").encode()


def note_text(g, a, keys):
    lines = [
        "OSRELEASE=ballast-test",
        "PAGESIZE=4096",
        "SIZE(page)=64", "OFFSET(page.flags)=0", "OFFSET(page.lru)=8",
        "OFFSET(page.mapping)=24", "OFFSET(page.private)=40", "OFFSET(page.page_type)=48",
        "OFFSET(page._refcount)=52", "OFFSET(page.alloc_order)=60",
        "OFFSET(page.migratetype)=61",
        "NUMBER(PAGE_TYPE_NONE)=0", "NUMBER(PAGE_TYPE_BUDDY)=1", "NUMBER(PAGE_TYPE_OFFLINE)=2",
        "NUMBER(PAGE_TYPE_TABLE)=3", "NUMBER(PAGE_TYPE_SLAB)=4",
        "NUMBER(PAGE_TYPE_LARGE_KMALLOC)=5", "NUMBER(PAGE_TYPE_MOVABLE_OFFLINE)=6",
        "NUMBER(PG_locked)=0", "NUMBER(PG_reserved)=4", "NUMBER(PG_private)=5",
        "NUMBER(PG_isolated)=6", "NUMBER(PG_hwpoison)=7", "NUMBER(PG_reported)=10",
        "NUMBER(PAGE_MAPPING_MOVABLE)=2",
        # the section table (Linux's SPARSEMEM keys, Ballast's struct mem_section)
        "SYMBOL(mem_section)=0x%x" % (KERNEL_VBASE + TABLE_PA),
        "LENGTH(mem_section)=%d" % NR_SECTIONS, "SIZE(mem_section)=%d" % MS_SIZE,
        "OFFSET(mem_section.memmap_phys)=0", "OFFSET(mem_section.state)=8",
        "OFFSET(mem_section.zone)=9", "OFFSET(mem_section.owner)=10",
        "OFFSET(mem_section.pageblock_flags)=16",
        "NUMBER(SECTION_SIZE_BITS)=%d" % SECTION_SIZE_BITS,
        "NUMBER(MAX_PHYSMEM_BITS)=%d" % MAX_PHYSMEM_BITS,
        "NUMBER(PAGES_PER_SECTION)=%d" % PPS,
        "NUMBER(SECTION_PRESENT)=1", "NUMBER(SECTION_HAS_MEMMAP)=2", "NUMBER(SECTION_ONLINE)=4",
        "NUMBER(SECTION_DEFERRED)=8", "NUMBER(SECTION_BOOT)=16", "NUMBER(SECTION_NO_ZONE)=255",
        "NUMBER(MAX_ORDER)=10", "NUMBER(ZONE_MOVABLE)=3", "NUMBER(MAX_NR_ZONES)=4",
        "NUMBER(zone_dma_end_pfn)=0x1000", "NUMBER(zone_dma32_end_pfn)=0x100000",
        "NUMBER(PAGE_OFFSET)=0x%x" % PAGE_OFFSET, "NUMBER(KERNEL_VBASE)=0x%x" % KERNEL_VBASE,
        "NUMBER(phys_base)=0x0", "SYMBOL(_text)=0x%x" % (KERNEL_VBASE + 0x100000),
        "KERNELOFFSET=0",
        "SYMBOL(ballast_log_buf)=0x%x" % (KERNEL_VBASE + keys["log_pa"]),
        "NUMBER(ballast_log_buf_len)=%d" % a.log_len,
        "SYMBOL(ballast_log_buf_pos)=0x%x" % (KERNEL_VBASE + keys["logpos_pa"]),
        "NUMBER(nr_cpus_online)=1",
    ]
    if a.build_id:
        lines.insert(1, "BUILD-ID=" + a.build_id)
    if a.linux_compat:
        # What makedumpfile needs beyond the contract (docs/dumps.md): a
        # utsname with a Linux release, the PML4 for its page-table walks,
        # and _mapcount-style type values. Not what Ballast writes.
        lines = [ln for ln in lines if not ln.startswith("OSRELEASE")]
        lines += ["OSRELEASE=6.1.0",
                  "SYMBOL(init_uts_ns)=0x%x" % (KERNEL_VBASE + keys["uts_pa"]),
                  "OFFSET(uts_namespace.name)=0",
                  "SYMBOL(init_top_pgt)=0x%x" % (KERNEL_VBASE + keys["pml4_pa"]),
                  "OFFSET(page._mapcount)=48",
                  # Linux's FLATMEM memmap pointer: Ballast's note has none (sections);
                  # the pointer holds section 0's memmap, and the sections after it
                  # have their memmaps right behind (a flat view of pfn 0 on)
                  "SYMBOL(mem_map)=0x%x" % (KERNEL_VBASE + keys["memmap_ptr_pa"]),
                  "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=1",
                  "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=2",
                  "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=4",
                  # flags Ballast does not have: a bit that is never set, so that
                  # makedumpfile does not fall back to Linux 2.6's bit numbers
                  "NUMBER(PG_lru)=62", "NUMBER(PG_swapcache)=62", "NUMBER(PG_swapbacked)=62",
                  "NUMBER(PG_slab)=62", "NUMBER(PG_head_mask)=0"]
    out = []
    for ln in lines:
        k = ln.split("=", 1)[0]
        if k in a.drop_key:
            continue
        for ov in a.set_key:
            if ov.split("=", 1)[0] == k:
                ln = ov
        out.append(ln)
    known = {ln.split("=", 1)[0] for ln in lines}
    out += [ov for ov in a.set_key if ov.split("=", 1)[0] not in known]
    out += a.add_line
    return ("\n".join(out) + "\n").encode()


def elf_note(name, ntype, desc):
    nb = name + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(nb), len(desc), ntype) + pad(nb) + pad(desc)


def content_chunk(kind, pfn):
    if kind == "paint":
        return b"".join(struct.pack("<Q", PAINT | pfn) for _ in range(8)) * (PAGE // 64)
    if kind == "zero":
        return bytes(PAGE)
    if kind == "secret":
        return (SECRET + struct.pack("<Q", pfn) + bytes(8)) * (PAGE // 32)
    return (b"stale junk %08x " % pfn) * (PAGE // 20) + b"j" * (PAGE % 20)


def write_dump(g, a):
    # physical placements inside the kernel image (pfn 256..767)
    keys = {"note_pa": 0x200000, "log_pa": 0x201000, "logpos_pa": 0x200ff8}
    keys.update(memmap_ptr_pa=0x200ff0, uts_pa=0x202000, pml4_pa=0x203000,
                pdpt_direct_pa=0x204000, pdpt_kernel_pa=0x205000)
    note = note_text(g, a, keys)
    notes = elf_note(b"CORE", 1, bytes(336))
    if not a.no_note:
        notes += elf_note(b"VMCOREINFO", 0, note)
    text = log_text(a.log_lines)
    ring = bytearray(a.log_len)
    pos = len(text)
    for i, ch in enumerate(text):
        ring[i % a.log_len] = ch
    special = {}   # phys byte address -> bytes to overlay
    special[keys["note_pa"]] = note
    special[keys["log_pa"]] = bytes(ring)
    special[keys["logpos_pa"]] = struct.pack("<Q", pos)
    special[TABLE_PA] = g.table(a.set_section)
    for nr, sec in g.sections.items():
        if sec["state"] & S_MEMMAP:
            special[sec["memmap_pa"]] = g.memmap_blob(nr)
    special[keys["memmap_ptr_pa"]] = struct.pack("<Q", PAGE_OFFSET + g.memmap_pfn * PAGE)
    if a.linux_compat:
        uts = b"".join(f.encode().ljust(65, b"\0") for f in
                       ("Linux", "ballast", "6.1.0", "#1", "x86_64", "(none)"))
        special[keys["uts_pa"]] = uts
        pml4 = bytearray(PAGE)
        struct.pack_into("<Q", pml4, 8 * 273, keys["pdpt_direct_pa"] | 3)   # PAGE_OFFSET
        struct.pack_into("<Q", pml4, 8 * 511, keys["pdpt_kernel_pa"] | 3)   # KERNEL_VBASE
        special[keys["pml4_pa"]] = bytes(pml4)
        special[keys["pdpt_direct_pa"]] = b"".join(struct.pack("<Q", i << 30 | 0x83)
                                                   for i in range(512))
        kern = bytearray(PAGE)
        struct.pack_into("<Q", kern, 8 * 510, 0x83)                          # 1 GiB page at 0
        special[keys["pdpt_kernel_pa"]] = bytes(kern)
    segs = [(b, s) for b, s in g.ram] + getattr(g, "extra_ram", []) + \
        ([] if a.no_bios else [(0xfffc0000, 0x40000)])  # + BIOS ROM
    nph = 1 + len(segs)
    # QEMU 7.2 puts two section headers (NULL, .shstrtab) between the ELF
    # header and the program headers (e_phoff 192); --qemu-shdrs does too.
    shdrs = bytes(128) if a.qemu_shdrs else b""
    phoff = 64 + len(shdrs)
    off = phoff + nph * 56
    note_off = off
    data = off + len(notes)
    phdrs = struct.pack("<IIQQQQQQ", 4, 0, note_off, 0, 0, len(notes), len(notes), 0)
    offs = []
    for b, s in segs:
        phdrs += struct.pack("<IIQQQQQQ", 1, 0, data, 0, b, s, s, 0)
        offs.append(data)
        data += s
    eh = (b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8) +
          struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, phoff, 64 if shdrs else 0, 0, 64, 56, nph,
                      64, 2 if shdrs else 0, 0))
    truth_text = text.decode()
    with open(a.out, "wb") as f:
        f.write(eh + shdrs + phdrs + notes)
        for (b, s), o in zip(segs, offs):
            f.seek(o)
            write_segment(f, g, b, s, special, a)
    return truth_text, pos


def write_segment(f, g, base, size, special, a):
    """Page contents of [base, base + size), with the special regions overlaid."""
    bench = hasattr(g, "plan")
    CH = 256 * PAGE
    junk = content_chunk("junk", 0) * 256
    for start in range(base, base + size, CH):
        n = min(CH, base + size - start)
        if bench:
            buf = bytearray(bench_content(g, start // PAGE, n // PAGE, junk))
        else:
            buf = bytearray(b"".join(content_chunk(g.fill.get(p, "junk"), p)
                                     for p in range(start // PAGE, (start + n) // PAGE)))
        for pa, blob in special.items():
            lo, hi = max(pa, start), min(pa + len(blob), start + n)
            if lo < hi:
                buf[lo - start:hi - start] = blob[lo - pa:hi - pa]
        f.write(buf)


def bench_content(g, pfn, n, junk):
    """Contents of pfns [pfn, pfn + n) of the bench guest: paint where used, junk elsewhere."""
    out, p = [], pfn
    for lo, hi, cls in g.plan:
        a, b = max(lo, p), min(hi, pfn + n)
        if a >= b:
            continue
        if a > p:
            out.append(junk[:(a - p) * PAGE])
        if cls in ("used", "reserved"):
            out.append(b"".join(content_chunk("paint", q) for q in range(a, b)))
        else:
            out.append(junk[:(b - a) * PAGE])
        p = b
    if p < pfn + n:
        out.append(junk[:(pfn + n - p) * PAGE])
    return b"".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--mem", type=int, default=64, help="guest RAM in MiB")
    ap.add_argument("--lowmem", type=int, default=2048, help="RAM below 4 GiB in MiB")
    ap.add_argument("--truth")
    ap.add_argument("--garbage", action="store_true")
    ap.add_argument("--frag-rest", action="store_true",
                    help="free RAM as every other page (many output segments)")
    ap.add_argument("--bench", help="USED_MiB,BALLOON_MiB (big guest, bench)")
    ap.add_argument("--build-id", default="")
    ap.add_argument("--no-note", action="store_true")
    ap.add_argument("--no-bios", action="store_true", help="leave out the BIOS ROM segment")
    ap.add_argument("--qemu-shdrs", action="store_true",
                    help="section headers before the program headers, as QEMU 7.2 writes")
    ap.add_argument("--linux-compat", action="store_true",
                    help="add the Linux keys/structures makedumpfile needs (see docs/dumps.md)")
    ap.add_argument("--set-key", action="append", default=[], help="KEY=VALUE replaces or adds")
    ap.add_argument("--drop-key", action="append", default=[])
    ap.add_argument("--add-line", action="append", default=[], help="raw note line")
    ap.add_argument("--set-section", action="append", default=[],
                    help="NR,FIELD=VALUE: change a section table entry (memmap, state, zone)")
    ap.add_argument("--log-len", type=int, default=4096)
    ap.add_argument("--log-lines", type=int, default=200)
    a = ap.parse_args()
    g = Guest(a.mem, a.lowmem)
    if not a.bench:
        build_specials(g, a.linux_compat)
    g.mm_pages = g.place_memmaps()
    if a.bench:
        used, balloon = (int(x) for x in a.bench.split(","))
        build_bench(g, used, balloon)
    else:
        build_small(g, a.garbage, a.frag_rest)
        fill_specials(g, a.linux_compat)
        if not a.no_bios:
            for p in range(0xfffc0, 0x100000):
                g.cls[p] = "absent"
    text, pos = write_dump(g, a)
    if a.truth:
        online = [nr for nr in g.sections if g.kind(nr * PPS) == "online"]
        populated = sorted({g.sections[nr]["zone"] for nr in online} |
                           ({0} if 0 in online else set()))
        t = {"buddyinfo": {zone_name(z): g.buddy[z] for z in range(len(ZONES))}, "log": text,
             "log_pos": pos, "log_len": a.log_len, "ram": g.ram,
             "populated_zones": [zone_name(z) for z in populated],
             "sections": {
                 "present": len(g.sections),
                 "online": sum(1 for s in g.sections.values() if s["state"] & S_ONLINE),
                 "uninit": sum(1 for nr in g.sections if g.kind(nr * PPS) == "uninit"),
                 "offline": sum(1 for nr in g.sections if g.kind(nr * PPS) == "offline"),
                 "hotadded": sum(1 for s in g.sections.values() if not s["state"] & S_BOOT),
                 "zones": {zone_name(z): sum(1 for s in g.sections.values()
                                             if s["state"] & S_ONLINE and s["zone"] == z)
                           for z in range(len(ZONES))},
                 "list": {str(nr): dict(sec, kind=g.kind(nr * PPS))
                          for nr, sec in g.sections.items()}}}
        if not a.bench:
            t["classes"] = {}
            for p, c in g.cls.items():
                t["classes"].setdefault(c, []).append(p)
            t["kpf"] = {str(nr): v for nr, v in g.kpf_truth().items()}
            t["paint"] = sorted(p for p, k in g.fill.items() if k == "paint")
            t["secret"] = sorted(p for p, k in g.fill.items() if k == "secret")
            t["zero_content"] = sorted(p for p, k in g.fill.items() if k == "zero")
            # the memory model's own pages: a filter keeps them even when zero
            t["metadata"] = list(range(TABLE_PA // PAGE, (TABLE_PA + NR_SECTIONS * MS_SIZE) // PAGE)) \
                + list(range(g.memmap_pfn, g.memmap_pfn + g.mm_pages))
        with open(a.truth, "w") as f:
            json.dump(t, f)


if __name__ == "__main__":
    main()
