#!/usr/bin/env python3
"""pagemap.py - draw a Ballast kpageflags dump as a picture of memory.

Capture a dump from the serial console (shell command "kpageflags
[START [COUNT]]"), then:

  tools/pagemap.py dump.txt -o map.png            one cell per page
  tools/pagemap.py --block dump.txt -o map.png    one cell per pageblock
  tools/pagemap.py --ascii dump.txt               one character per pageblock

Input is a file or stdin ("-"). Console chatter around the dump (and,
with a warning, inside it) is ignored; a dump that is structurally wrong
(no header, no "# end", runs overlapping, out of range or not covering
the header's count) is refused with a message naming the line. With
several dumps in the input, --dump N picks one (1 = first, -1 = last).

The dump format (include/mm/kpageflags.h): a header line
"# kpageflags v1 start=0x<hex> count=<dec>", one line per run of equal
flags "<pfn hex> <run length dec> <flags hex>" (or "<pfn hex> <flags hex>"
for one page), then "# end". Flags use Linux's kpageflags bit numbers;
Ballast adds the pageblock migratetype + 1 in bits 56-59 and
__PageMovable in bit 60.

Each page falls into exactly one category (CATEGORIES below, first match
wins): the page's own type and movability first, the pageblock's
migratetype last. A kpageflags dump cannot tell a zsmalloc page from
another movable owner's page (both are just __PageMovable), but it can
tell balloon pages: those are also PageOffline (seeds 000, 002: the Linux
documents listed in docs/references.md).

The PNG (standard library only: zlib + struct) has a title, the map
(rows of --width cells, 512 = one pageblock per row in page mode), and a
legend of the categories present with their page counts. --bare writes
the map alone: cell (x, y) is then pixels [x*scale, (x+1)*scale), less a
one-pixel grid line at its right and bottom in --block mode with a scale
of 4 or more.
"""
import argparse
import functools
import io
import re
import struct
import sys
import zlib

# ---- kpageflags bits (include/mm/kpageflags.h) ----
KPF_SLAB = 7
KPF_RECLAIM = 9          # PG_reclaim = PG_isolated on movable pages (seed 004)
KPF_BUDDY = 10
KPF_HWPOISON = 19
KPF_NOPAGE = 20
KPF_OFFLINE = 23
KPF_PGTABLE = 26
KPF_RESERVED = 32
MT_SHIFT = 56            # bits 56-59: pageblock migratetype + 1
MOVABLE_BIT = 60         # __PageMovable
MT_NONE, MT_UNMOVABLE, MT_MOVABLE, MT_RECLAIMABLE, MT_ISOLATE = range(5)
MT_NAMES = ["none", "unmovable", "movable", "reclaimable", "isolate"]
KNOWN_BITS = (1 << 42) - 1 | (0x1f << MT_SHIFT)

# ---- categories: (key, letter for --ascii, RGB, legend text) ----
CATEGORIES = [
    ("hole",        "_", (0, 0, 0),       "hole (no memmap)"),
    ("reserved",    "X", (96, 96, 96),    "reserved"),
    ("hwpoison",    "#", (70, 0, 70),     "hwpoison"),
    ("isolated",    "I", (0, 200, 200),   "isolated for migration"),
    ("balloon",     "B", (40, 90, 230),   "balloon (offline, movable)"),
    ("offline",     "O", (20, 30, 110),   "offline"),
    ("slab",        "S", (245, 140, 30),  "slab"),
    ("pgtable",     "P", (140, 80, 30),   "page table"),
    ("free_mov",    ".", (255, 255, 255), "free, movable block"),
    ("free_unmov",  ".", (255, 205, 205), "free, unmovable block"),
    ("free_recl",   ".", (255, 240, 190), "free, reclaimable block"),
    ("free_iso",    ".", (225, 200, 255), "free, isolated block"),
    ("free_other",  ".", (235, 235, 235), "free, no migratetype"),
    ("movable",     "M", (40, 170, 60),   "movable (zsmalloc or other owner)"),
    ("pinned_mov",  "A", (235, 60, 150),  "used, movable block, not movable"),
    ("unmovable",   "U", (210, 40, 40),   "used, unmovable block"),
    ("reclaimable", "R", (220, 190, 30),  "used, reclaimable block"),
    ("used_iso",    "Z", (130, 60, 180),  "used, isolated block"),
    ("used_other",  "?", (150, 150, 150), "used, no migratetype"),
]
CAT_INDEX = {c[0]: i for i, c in enumerate(CATEGORIES)}
FREE_CATS = {CAT_INDEX[k] for k in ("free_mov", "free_unmov", "free_recl", "free_iso",
                                    "free_other")}


class DumpError(Exception):
    """A malformed dump; the message says what and where."""


def bit(flags, n):
    """True when bit n of flags is set."""
    return (flags >> n) & 1 == 1


@functools.lru_cache(maxsize=4096)
def categorize(flags):
    """The CATEGORIES index of one page with these kpageflags (memoized: few distinct values)."""
    mt = (flags >> MT_SHIFT) & 0xf
    if bit(flags, KPF_NOPAGE):
        return CAT_INDEX["hole"]
    if bit(flags, KPF_RESERVED):
        return CAT_INDEX["reserved"]
    if bit(flags, KPF_HWPOISON):
        return CAT_INDEX["hwpoison"]
    if bit(flags, KPF_RECLAIM) and bit(flags, MOVABLE_BIT):
        return CAT_INDEX["isolated"]
    if bit(flags, KPF_OFFLINE):
        return CAT_INDEX["balloon" if bit(flags, MOVABLE_BIT) else "offline"]
    if bit(flags, KPF_SLAB):
        return CAT_INDEX["slab"]
    if bit(flags, KPF_PGTABLE):
        return CAT_INDEX["pgtable"]
    if bit(flags, KPF_BUDDY):
        return CAT_INDEX[{MT_MOVABLE: "free_mov", MT_UNMOVABLE: "free_unmov",
                          MT_RECLAIMABLE: "free_recl", MT_ISOLATE: "free_iso"}
                         .get(mt, "free_other")]
    if bit(flags, MOVABLE_BIT):
        return CAT_INDEX["movable"]
    return CAT_INDEX[{MT_MOVABLE: "pinned_mov", MT_UNMOVABLE: "unmovable",
                      MT_RECLAIMABLE: "reclaimable", MT_ISOLATE: "used_iso"}
                     .get(mt, "used_other")]


# ---- parsing ----
HEADER_RE = re.compile(r"# kpageflags v(\d+)\s+start=(0x[0-9a-fA-F]+|\d+)\s+count=(\d+)")
RUN_RE = re.compile(r"^\s*([0-9a-fA-F]+)\s+(\d+)\s+([0-9a-fA-F]+)\s*$")
ONE_RE = re.compile(r"^\s*([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s*$")


class Dump:
    """One parsed dump: start pfn, page count, runs [(pfn, n, flags)] in order."""

    def __init__(self, start, count, runs, skipped):
        self.start, self.count, self.runs, self.skipped = start, count, runs, skipped


def parse_dumps(lines):
    """All dumps in an iterable of text lines; raises DumpError on a malformed one."""
    dumps, cur, hdr_line = [], None, 0
    for no, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n").replace("\r", "")
        m = HEADER_RE.search(line)
        if m:
            if cur is not None:
                raise DumpError(f"line {no}: new dump header while the dump opened on "
                                f"line {hdr_line} has no '# end' (truncated capture?)")
            if m.group(1) != "1":
                raise DumpError(f"line {no}: kpageflags dump version {m.group(1)} "
                                f"is not supported (only v1)")
            cur = {"start": int(m.group(2), 0), "count": int(m.group(3)), "runs": [],
                   "skipped": []}
            hdr_line = no
            continue
        if cur is None:
            continue
        if line.strip() == "# end" or line.rstrip().endswith("# end"):
            dumps.append(finish_dump(cur, hdr_line, no))
            cur = None
            continue
        m = RUN_RE.match(line)
        if m:
            pfn, n, flags = int(m.group(1), 16), int(m.group(2)), int(m.group(3), 16)
        else:
            m = ONE_RE.match(line)
            if not m:
                if line.strip() and not line.lstrip().startswith("#"):
                    cur["skipped"].append(no)
                continue
            pfn, n, flags = int(m.group(1), 16), 1, int(m.group(2), 16)
        add_run(cur, no, pfn, n, flags)
    if cur is not None:
        raise DumpError(f"the dump opened on line {hdr_line} has no '# end' "
                        f"(truncated capture?)")
    return dumps


def add_run(cur, no, pfn, n, flags):
    """Append one run to the dump being read, checking order and range."""
    start, count, runs = cur["start"], cur["count"], cur["runs"]
    expect = runs[-1][0] + runs[-1][1] if runs else start
    if n == 0:
        raise DumpError(f"line {no}: run of length 0 at pfn {pfn:#x}")
    if flags & ~KNOWN_BITS:
        raise DumpError(f"line {no}: flags {flags:#x} set bits no kpageflags v1 dump uses")
    if pfn < expect:
        raise DumpError(f"line {no}: run at pfn {pfn:#x} overlaps or goes backwards "
                        f"(expected pfn {expect:#x})")
    if pfn > expect:
        raise DumpError(f"line {no}: pfns {expect:#x}..{pfn - 1:#x} are missing "
                        f"(lost or garbled line{near_skipped(cur)})")
    if pfn + n > start + count:
        raise DumpError(f"line {no}: run {pfn:#x}+{n} ends past the dump's range "
                        f"{start:#x}..{start + count - 1:#x}")
    runs.append((pfn, n, flags))


def near_skipped(cur):
    """A hint naming the last skipped line of the dump being read, if any."""
    return f"; line {cur['skipped'][-1]} was not a data line" if cur["skipped"] else ""


def finish_dump(cur, hdr_line, no):
    """Check a dump that reached '# end' covers its header's count; return a Dump."""
    runs = cur["runs"]
    got = runs[-1][0] + runs[-1][1] - cur["start"] if runs else 0
    if cur["count"] == 0:
        raise DumpError(f"line {hdr_line}: the dump header says count=0")
    if got != cur["count"]:
        raise DumpError(f"line {no}: the dump (header on line {hdr_line}) covers {got} of "
                        f"{cur['count']} pages{near_skipped(cur)}")
    return Dump(cur["start"], cur["count"], runs, cur["skipped"])


# ---- PNG ----
def png_chunk(kind, data):
    """One PNG chunk: length, type, data, CRC-32 of type and data."""
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))


def png_encode(width, height, rows):
    """An 8-bit RGB PNG from `rows` (height bytes objects of width*3 each)."""
    raw = bytearray()
    for r in rows:
        raw.append(0)           # filter type 0 (none)
        raw += r
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
            png_chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + png_chunk(b"IEND", b""))


# ---- a 5x7 bitmap font (upper case; lower case is drawn as upper case) ----
FONT = {
    "0": (14, 17, 19, 21, 25, 17, 14), "1": (4, 12, 4, 4, 4, 4, 14),
    "2": (14, 17, 1, 2, 4, 8, 31), "3": (31, 2, 4, 2, 1, 17, 14),
    "4": (2, 6, 10, 18, 31, 2, 2), "5": (31, 16, 30, 1, 1, 17, 14),
    "6": (6, 8, 16, 30, 17, 17, 14), "7": (31, 1, 2, 4, 8, 8, 8),
    "8": (14, 17, 17, 14, 17, 17, 14), "9": (14, 17, 17, 15, 1, 2, 12),
    "A": (14, 17, 17, 17, 31, 17, 17), "B": (30, 17, 17, 30, 17, 17, 30),
    "C": (14, 17, 16, 16, 16, 17, 14), "D": (28, 18, 17, 17, 17, 18, 28),
    "E": (31, 16, 16, 30, 16, 16, 31), "F": (31, 16, 16, 30, 16, 16, 16),
    "G": (14, 17, 16, 23, 17, 17, 15), "H": (17, 17, 17, 31, 17, 17, 17),
    "I": (14, 4, 4, 4, 4, 4, 14), "J": (7, 2, 2, 2, 2, 18, 12),
    "K": (17, 18, 20, 24, 20, 18, 17), "L": (16, 16, 16, 16, 16, 16, 31),
    "M": (17, 27, 21, 21, 17, 17, 17), "N": (17, 17, 25, 21, 19, 17, 17),
    "O": (14, 17, 17, 17, 17, 17, 14), "P": (30, 17, 17, 30, 16, 16, 16),
    "Q": (14, 17, 17, 17, 21, 18, 13), "R": (30, 17, 17, 30, 20, 18, 17),
    "S": (15, 16, 16, 14, 1, 1, 30), "T": (31, 4, 4, 4, 4, 4, 4),
    "U": (17, 17, 17, 17, 17, 17, 14), "V": (17, 17, 17, 17, 17, 10, 4),
    "W": (17, 17, 17, 21, 21, 21, 10), "X": (17, 17, 10, 4, 10, 17, 17),
    "Y": (17, 17, 17, 10, 4, 4, 4), "Z": (31, 1, 2, 4, 8, 16, 31),
    " ": (0, 0, 0, 0, 0, 0, 0), "-": (0, 0, 0, 31, 0, 0, 0),
    ".": (0, 0, 0, 0, 0, 12, 12), ",": (0, 0, 0, 0, 12, 4, 8),
    ":": (0, 12, 12, 0, 12, 12, 0), "/": (0, 1, 2, 4, 8, 16, 0),
    "(": (2, 4, 8, 8, 8, 4, 2), ")": (8, 4, 2, 2, 2, 4, 8),
    "=": (0, 0, 31, 0, 31, 0, 0), "%": (24, 25, 2, 4, 8, 19, 3),
    "+": (0, 4, 4, 31, 4, 4, 0), "_": (0, 0, 0, 0, 0, 0, 31),
    "?": (14, 17, 1, 2, 4, 0, 4), "#": (10, 10, 31, 10, 31, 10, 10),
}
GLYPH_W, GLYPH_H, ADVANCE = 5, 7, 6
INK = (0, 0, 0)
PAPER = (255, 255, 255)
FRAME = (128, 128, 128)
GRID = (200, 200, 200)
MARGIN = 8


class Canvas:
    """An RGB pixel buffer: rows of bytearrays, white to start with."""

    def __init__(self, width, height):
        self.width, self.height = width, height
        self.rows = [bytearray(bytes(PAPER) * width) for _ in range(height)]

    def fill(self, x, y, w, h, rgb):
        """Paint the rectangle [x, x+w) x [y, y+h) in colour rgb."""
        span = bytes(rgb) * w
        for yy in range(y, y + h):
            self.rows[yy][x * 3:(x + w) * 3] = span

    def text(self, x, y, s, rgb=INK):
        """Draw s with the 5x7 font, top-left corner at (x, y)."""
        for ch in s.upper():
            glyph = FONT.get(ch, FONT["?"])
            for gy, bits in enumerate(glyph):
                for gx in range(GLYPH_W):
                    if bits & (1 << (GLYPH_W - 1 - gx)):
                        self.rows[y + gy][(x + gx) * 3:(x + gx + 1) * 3] = bytes(rgb)
            x += ADVANCE


def text_width(s):
    """Width in pixels of s drawn with the font."""
    return len(s) * ADVANCE


# ---- cells: what each cell of the map shows ----
def page_cells(dump):
    """Yield (first cell, n cells, category) for page mode: one cell per page."""
    for pfn, n, flags in dump.runs:
        yield pfn - dump.start, n, categorize(flags)


def block_counts(dump, block_pages):
    """Per pageblock of the dump's range: a dict category -> pages."""
    base = dump.start - dump.start % block_pages
    nblocks = (dump.start + dump.count - base + block_pages - 1) // block_pages
    blocks = [dict() for _ in range(nblocks)]
    for pfn, n, flags in dump.runs:
        cat = categorize(flags)
        while n:
            b = (pfn - base) // block_pages
            take = min(n, base + (b + 1) * block_pages - pfn)
            blocks[b][cat] = blocks[b].get(cat, 0) + take
            pfn += take
            n -= take
    return base, blocks


def block_category(counts):
    """The category a pageblock is drawn as: its most common used category, else free."""
    used = {c: k for c, k in counts.items() if c not in FREE_CATS}
    pool = used or counts
    return max(pool, key=lambda c: (pool[c], -c))


def block_colour(counts):
    """A pageblock's colour: its main used category, paler the more of it is free."""
    cat = block_category(counts)
    rgb = CATEGORIES[cat][2]
    free = sum(k for c, k in counts.items() if c in FREE_CATS)
    if cat in FREE_CATS or not free:
        return rgb
    total = sum(counts.values())
    a = 0.35 + 0.65 * (total - free) / total       # opacity of the used colour
    return tuple(int(round(a * v + (1 - a) * 255)) for v in rgb)


def block_char(counts):
    """A pageblock's --ascii character: upper case full, lower case partly free, '.' free."""
    cat = block_category(counts)
    ch = CATEGORIES[cat][1]
    if cat in FREE_CATS:
        return "."
    if any(c in FREE_CATS for c in counts):
        return ch.lower()
    return ch


# ---- output ----
def totals(dump):
    """Pages per category over the whole dump."""
    tot = [0] * len(CATEGORIES)
    for pfn, n, flags in dump.runs:
        tot[categorize(flags)] += n
    return tot


def render_png(dump, width, scale, block_pages, per_block, bare, title, tot):
    """The PNG bytes of a dump (tot: totals(dump)): optional title, the map, optional legend."""
    if per_block:
        _, blocks = block_counts(dump, block_pages)
        cells = [(i, 1, block_colour(c)) for i, c in enumerate(blocks)]
        ncells = len(blocks)
    else:
        cells = ((c, n, CATEGORIES[k][2]) for c, n, k in page_cells(dump))
        ncells = dump.count
    nrows = (ncells + width - 1) // width
    map_w, map_h = width * scale, nrows * scale
    legend = [(CATEGORIES[i][2], f"{CATEGORIES[i][3]}: {tot[i]} pages")
              for i in range(len(CATEGORIES)) if tot[i]]
    if bare:
        canvas, ox, oy = Canvas(map_w, map_h), 0, 0
    else:
        line_h = GLYPH_H + 4
        w = max([map_w, text_width(title)] + [GLYPH_H + 4 + text_width(t) for _, t in legend])
        h = line_h + 4 + map_h + 6 + line_h * len(legend)
        if map_w + 2 > w:
            w = map_w + 2
        canvas, ox, oy = Canvas(w + 2 * MARGIN, h + 2 * MARGIN), MARGIN, MARGIN + line_h + 4
        canvas.text(MARGIN, MARGIN, title)
        canvas.fill(ox - 1, oy - 1, map_w + 2, map_h + 2, FRAME)   # a frame, so white = free shows
        ly = oy + map_h + 6
        for rgb, t in legend:
            canvas.fill(MARGIN, ly, GLYPH_H, GLYPH_H, INK)
            canvas.fill(MARGIN + 1, ly + 1, GLYPH_H - 2, GLYPH_H - 2, rgb)
            canvas.text(MARGIN + GLYPH_H + 4, ly, t)
            ly += line_h
    gap = 1 if per_block and scale >= 4 else 0     # grid lines between pageblock cells
    if gap:
        canvas.fill(ox, oy, map_w, map_h, GRID)
    for first, n, rgb in cells:
        while n:                         # split the run at row ends
            y, x = divmod(first, width)
            take = min(n, width - x)
            canvas.fill(ox + x * scale, oy + y * scale, take * scale - gap, scale - gap, rgb)
            first += take
            n -= take
    return png_encode(canvas.width, canvas.height, canvas.rows)


def render_ascii(dump, cols, block_pages):
    """The --ascii map: one character per pageblock, cols per line, a legend."""
    base, blocks = block_counts(dump, block_pages)
    out = [f"# pagemap: pfn {dump.start:#x}..{dump.start + dump.count - 1:#x}, "
           f"one char per {block_pages}-page block, {cols} per line"]
    for i in range(0, len(blocks), cols):
        out.append(f"{base + i * block_pages:#010x} " +
                   "".join(block_char(c) for c in blocks[i:i + cols]))
    nfree = sum(1 for c in blocks if block_category(c) in FREE_CATS)
    npart = sum(1 for c in blocks if block_category(c) not in FREE_CATS
                and any(k in FREE_CATS for k in c))
    out.append(f"# blocks: {len(blocks)} total, {nfree} free '.', {npart} partly free "
               f"(lower case), {len(blocks) - nfree - npart} without free pages (upper case)")
    seen = set()
    legend = []
    for _, ch, _, text in CATEGORIES:
        if ch != "." and ch not in seen:
            seen.add(ch)
            legend.append(f"{ch} {text}")
    out.append("# " + "; ".join(legend))
    return "\n".join(out) + "\n"


def default_title(dump, per_block, block_pages, width):
    """The PNG title: range, cell meaning and row width."""
    unit = f"{block_pages}-page block" if per_block else "page"
    return (f"Ballast kpageflags: pfn {dump.start:#x}-{dump.start + dump.count - 1:#x}, "
            f"1 cell = 1 {unit}, {width} per row")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input", nargs="?", default="-", help="dump file, or - for stdin")
    ap.add_argument("-o", "--output", help="PNG file to write (required unless --ascii)")
    ap.add_argument("--ascii", action="store_true", help="print a character map instead")
    ap.add_argument("--block", action="store_true", help="one PNG cell per pageblock")
    ap.add_argument("--width", type=int, help="cells per row (PNG: default 512 pages or 64 "
                    "blocks; --ascii: default 64 blocks)")
    ap.add_argument("--scale", type=int, help="pixels per cell side (default 1 per page, "
                    "8 per block)")
    ap.add_argument("--pageblock-order", type=int, default=9, help="default 9 (2 MiB)")
    ap.add_argument("--dump", type=int, default=1, help="which dump of the input: 1 = first "
                    "(default), -1 = last")
    ap.add_argument("--bare", action="store_true", help="PNG of the map only (no title, legend)")
    ap.add_argument("--title", help="PNG title (default: range and scale)")
    a = ap.parse_args(argv)

    if not 0 <= a.pageblock_order <= 20:
        ap.error("--pageblock-order must be 0..20")
    if a.width is not None and not 1 <= a.width <= 1 << 16:
        ap.error("--width must be 1..65536")
    if a.scale is not None and not 1 <= a.scale <= 64:
        ap.error("--scale must be 1..64")
    if not a.ascii and not a.output:
        ap.error("-o FILE is required for a PNG (or use --ascii)")
    block_pages = 1 << a.pageblock_order
    try:
        if a.input == "-":
            # console captures may hold stray non-UTF-8 bytes: never fail on them
            dumps = parse_dumps(io.TextIOWrapper(sys.stdin.buffer, errors="replace"))
        else:
            with open(a.input, "r", errors="replace") as f:
                dumps = parse_dumps(f)
    except OSError as e:
        print(f"pagemap: {e}", file=sys.stderr)
        return 1
    except DumpError as e:
        print(f"pagemap: {a.input}: {e}", file=sys.stderr)
        return 1
    if not dumps:
        print(f"pagemap: {a.input}: no kpageflags dump found (expected a line "
              f"'# kpageflags v1 start=... count=...'; capture the shell command "
              f"'kpageflags')", file=sys.stderr)
        return 1
    if a.dump == 0 or not -len(dumps) <= a.dump <= len(dumps):
        print(f"pagemap: --dump {a.dump}: the input holds {len(dumps)} dump(s)",
              file=sys.stderr)
        return 1
    dump = dumps[a.dump - 1 if a.dump > 0 else a.dump]
    if dump.skipped:
        print(f"pagemap: warning: {len(dump.skipped)} line(s) inside the dump were not data "
              f"and were ignored (first: line {dump.skipped[0]})", file=sys.stderr)
    if a.ascii:
        sys.stdout.write(render_ascii(dump, a.width or 64, block_pages))
        return 0
    width = a.width or (64 if a.block else 512)
    scale = a.scale or (8 if a.block else 1)
    title = a.title if a.title is not None else default_title(dump, a.block, block_pages, width)
    tot = totals(dump)
    png = render_png(dump, width, scale, block_pages, a.block, a.bare, title, tot)
    with open(a.output, "wb") as f:
        f.write(png)
    print(f"pagemap: wrote {a.output} ({dump.count} pages from pfn {dump.start:#x})")
    for i, n in enumerate(tot):
        if n:
            print(f"  {n:10d}  {CATEGORIES[i][3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
