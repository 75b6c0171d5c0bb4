#!/usr/bin/env python3
"""test_pagemap.py - tools/pagemap.py against synthetic kpageflags dumps.

Runs the tool as a user would (a subprocess), decodes its PNG with an
independent decoder (chunk CRCs, zlib, all five PNG row filters) and checks
pixels against colours written down here, not imported from the tool.
TAP output; exit status 1 on any failure. The real dump from a booted guest
is rendered by the "shell" step of scripts/testrun.py.
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "pagemap.py")

# kpageflags values (Linux bit numbers; Ballast: bits 56-59 = migratetype + 1, 60 = movable)
MT_UNMOV, MT_MOV, MT_RECL, MT_ISO = 1 << 56, 2 << 56, 3 << 56, 4 << 56
BUDDY, SLAB, ISOLATED, OFFLINE, PGTABLE = 1 << 10, 1 << 7, 1 << 9, 1 << 23, 1 << 26
NOPAGE, RESERVED, MOVABLE = 1 << 20, 1 << 32, 1 << 60

GREY = (128, 128, 128)
EXPECT = {   # the colour table documented in tools/pagemap.py, restated
    "hole": (0, 0, 0), "reserved": (96, 96, 96), "isolated": (0, 200, 200),
    "balloon": (40, 90, 230), "offline": (20, 30, 110), "slab": (245, 140, 30),
    "pgtable": (140, 80, 30), "free_mov": (255, 255, 255), "free_unmov": (255, 205, 205),
    "free_recl": (255, 240, 190), "free_iso": (225, 200, 255), "movable": (40, 170, 60),
    "pinned_mov": (235, 60, 150), "unmovable": (210, 40, 40), "reclaimable": (220, 190, 30),
}

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


def run(args, stdin=None):
    """Run the tool; (exit status, stdout, stderr)."""
    r = subprocess.run([sys.executable, TOOL] + args, input=stdin, capture_output=True,
                       text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def paeth(a, b, c):
    """The PNG Paeth predictor."""
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def png_decode(data):
    """Decode an 8-bit RGB PNG: (width, height, rows of (r, g, b) tuples). Raises on errors."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("bad PNG signature")
    pos, chunks = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) & 0xffffffff != crc:
            raise ValueError(f"bad CRC in chunk {kind!r}")
        chunks.append((kind, body))
        pos += 12 + length
    if chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise ValueError("chunks do not start with IHDR and end with IEND")
    w, h, depth, ctype, comp, filt, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if (depth, ctype, comp, filt, interlace) != (8, 2, 0, 0, 0):
        raise ValueError(f"unexpected IHDR {depth, ctype, comp, filt, interlace}")
    raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
    stride = w * 3
    if len(raw) != h * (stride + 1):
        raise ValueError(f"image data is {len(raw)} bytes, expected {h * (stride + 1)}")
    prev, rows = bytearray(stride), []
    for y in range(h):
        ft, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            c = prev[i - 3] if i >= 3 else 0
            pred = [0, a, prev[i], (a + prev[i]) // 2, paeth(a, prev[i], c)][ft]
            line[i] = (line[i] + pred) & 0xff
        rows.append([tuple(line[x * 3:x * 3 + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def dump_text(start, runs, count=None, noise=True):
    """A dump in the console's format, with console chatter around it."""
    count = count if count is not None else sum(n for _, n, _ in runs)
    lines = ["ballast> kpageflags"] if noise else []
    lines.append(f"# kpageflags v1 start={start:#x} count={count}")
    lines += [f"{p:x} {n} {f:x}" for p, n, f in runs]
    lines.append("# end")
    if noise:
        lines.append("ballast> ")
    return "\r\n".join(lines) + "\r\n"


# 32 pages, pageblock order 2 (4 pages per block) -> 8 blocks; width 8 pages per row
SYNTH = [
    (0x100, 4, RESERVED | MT_MOV),              # block 0: reserved
    (0x104, 2, BUDDY | MT_MOV),                 # block 1: free movable x2
    (0x106, 2, MOVABLE | MT_MOV),               #          movable (owner-registered) x2
    (0x108, 4, SLAB | MT_UNMOV),                # block 2: slab
    (0x10c, 1, OFFLINE | MOVABLE | MT_MOV),     # block 3: balloon
    (0x10d, 1, OFFLINE | MT_MOV),               #          offline, not movable
    (0x10e, 1, MOVABLE | ISOLATED | MT_MOV),    #          isolated for migration
    (0x10f, 1, PGTABLE | MT_UNMOV),             #          page table
    (0x110, 4, BUDDY | MT_UNMOV),               # block 4: free, unmovable block
    (0x114, 4, BUDDY | MT_RECL),                # block 5: free, reclaimable block
    (0x118, 2, MT_RECL),                        # block 6: used reclaimable x2
    (0x11a, 2, MT_UNMOV),                       #          (pretend) used unmovable x2
    (0x11c, 1, MT_MOV),                         # block 7: used, movable block, pinned
    (0x11d, 1, BUDDY | MT_ISO),                 #          free in an isolated block
    (0x11e, 2, NOPAGE),                         #          hole
]
PAGE_CATS = (["reserved"] * 4 + ["free_mov"] * 2 + ["movable"] * 2 + ["slab"] * 4 +
             ["balloon", "offline", "isolated", "pgtable"] + ["free_unmov"] * 4 +
             ["free_recl"] * 4 + ["reclaimable"] * 2 + ["unmovable"] * 2 +
             ["pinned_mov", "free_iso", "hole", "hole"])


def test_page_map(tmp):
    """Bare page map: every cell's colour, PNG validity, scale."""
    path = os.path.join(tmp, "synth.txt")
    with open(path, "w") as f:
        f.write("garbage before\n" + dump_text(0x100, SYNTH) + "and after\n")
    out = os.path.join(tmp, "page.png")
    rc, so, se = run([path, "-o", out, "--bare", "--width", "8", "--scale", "3"])
    check("page map: exit 0", rc == 0, se)
    try:
        with open(out, "rb") as f:
            w, h, rows = png_decode(f.read())
    except (OSError, ValueError, zlib.error) as e:
        check("page map: PNG decodes (signature, IHDR, CRCs, zlib, filters)", False, e)
        return
    check("page map: PNG decodes (signature, IHDR, CRCs, zlib, filters)", True)
    check("page map: 8 cells x 4 rows at scale 3 = 24x12 pixels", (w, h) == (24, 12), (w, h))
    bad = []
    for i, cat in enumerate(PAGE_CATS):
        y, x = divmod(i, 8)
        for dy in range(3):
            for dx in range(3):
                got = rows[y * 3 + dy][x * 3 + dx]
                if got != EXPECT[cat]:
                    bad.append(f"page {0x100 + i:#x} ({cat}) pixel +{dx},{dy}: {got} "
                               f"expected {EXPECT[cat]}")
    check("page map: each page's cell has its category's colour", not bad, "\n".join(bad))
    check("page map: summary counts categories",
          "4  reserved" in so and "2  movable (zsmalloc" in so and "1  balloon" in so, so)


def test_block_map(tmp):
    """Per-pageblock map: dominant used category, paled by the free share."""
    path = os.path.join(tmp, "synth.txt")
    with open(path, "w") as f:
        f.write(dump_text(0x100, SYNTH))
    out = os.path.join(tmp, "block.png")
    rc, so, se = run([path, "-o", out, "--bare", "--block", "--pageblock-order", "2",
                      "--width", "4", "--scale", "2"])
    try:
        w, h, rows = png_decode(open(out, "rb").read())
    except (OSError, ValueError, zlib.error) as e:
        check("block map: PNG decodes", False, f"{e}\n{se}")
        return
    check("block map: 8 blocks, 4 per row, scale 2 = 8x4 pixels", rc == 0 and (w, h) == (8, 4),
          (rc, w, h, se))
    # block 1: half movable, half free -> green at opacity 0.35 + 0.65 * 0.5 over white
    half_green = (110, 198, 123)
    want = [EXPECT["reserved"], half_green, EXPECT["slab"], None,
            EXPECT["free_unmov"], EXPECT["free_recl"], None, None]
    got = [rows[(b // 4) * 2][(b % 4) * 2] for b in range(8)]
    # block 3: one page each of four categories -> tie, first in the table order: isolated
    want[3] = EXPECT["isolated"]
    # block 6: 2 reclaimable + 2 unmovable, tie -> unmovable (earlier in the table)
    want[6] = EXPECT["unmovable"]
    # block 7: hole x2 beats pinned x1 and is free-paled: 1 free of 4 -> opacity 0.8375
    want[7] = (41, 41, 41)
    check("block map: each block's colour", got == want, f"got  {got}\nwant {want}")
    rc, so, se = run([path, "-o", out, "--bare", "--block", "--pageblock-order", "2",
                      "--width", "4", "--scale", "4"])
    try:
        w, h, rows = png_decode(open(out, "rb").read())
    except (OSError, ValueError, zlib.error) as e:
        check("block map, scale 4: PNG decodes", False, f"{e}\n{se}")
        return
    grid = (200, 200, 200)
    inner = all(rows[(b // 4) * 4 + dy][(b % 4) * 4 + dx] == want[b]
                for b in range(8) for dy in range(3) for dx in range(3))
    lines = all(rows[y][x] == grid for y in range(h) for x in range(w)
                if x % 4 == 3 or y % 4 == 3)
    check("block map, scale 4: 3x3 cells separated by one-pixel grid lines",
          (w, h) == (16, 8) and inner and lines, (w, h, se))


def test_ascii():
    """--ascii: one character per block; upper case full, lower case partly free."""
    rc, so, se = run(["--ascii", "--pageblock-order", "2", "--width", "4", "-"],
                     stdin=dump_text(0x100, SYNTH))
    lines = so.splitlines()
    check("ascii: exit 0 and two map rows", rc == 0 and len(lines) >= 4 and
          lines[1] == "0x00000100 XmSI" and lines[2] == "0x00000110 ..U_", so + se)
    check("ascii: block tally", "8 total, 2 free '.', 2 partly free" in so, so)


def test_full_image(tmp):
    """The titled PNG: contains the bare map, a frame, the title and legend ink."""
    path = os.path.join(tmp, "synth.txt")
    with open(path, "w") as f:
        f.write(dump_text(0x100, SYNTH))
    bare, full = os.path.join(tmp, "bare.png"), os.path.join(tmp, "full.png")
    run([path, "-o", bare, "--bare", "--width", "8", "--scale", "2"])
    rc, so, se = run([path, "-o", full, "--width", "8", "--scale", "2"])
    try:
        bw, bh, brows = png_decode(open(bare, "rb").read())
        fw, fh, frows = png_decode(open(full, "rb").read())
    except (OSError, ValueError, zlib.error) as e:
        check("full image: decodes", False, f"{e}\n{se}")
        return
    found = None
    for y in range(fh - bh + 1):
        for x in range(fw - bw + 1):
            if frows[y][x:x + bw] == brows[0] and all(frows[y + i][x:x + bw] == brows[i]
                                                      for i in range(bh)):
                found = (x, y)
                break
        if found:
            break
    check("full image: the map appears unchanged inside it", rc == 0 and found is not None, se)
    if found:
        x, y = found
        frame = ([frows[y - 1][x + i] for i in range(-1, bw + 1)] +
                 [frows[y + bh][x + i] for i in range(-1, bw + 1)])
        check("full image: a grey frame surrounds the map", all(p == GREY for p in frame), frame)
        above = [p for r in frows[:y - 1] for p in r]
        check("full image: a title is drawn above the map", (0, 0, 0) in above)
        below = set(p for r in frows[y + bh + 1:] for p in r)
        check("full image: the legend shows the swatches of the categories present",
              all(EXPECT[c] in below for c in ("reserved", "slab", "balloon", "unmovable"))
              and EXPECT["free_iso"] in below and (0, 0, 0) in below)


def test_dump_choice():
    """--dump picks among several dumps; ranges and junk inside a dump."""
    a = dump_text(0x0, [(0, 4, BUDDY | MT_MOV)])
    b = dump_text(0x200, [(0x200, 2, SLAB | MT_UNMOV), (0x202, 2, BUDDY | MT_MOV)])
    rc, so, se = run(["--ascii", "--pageblock-order", "2", "--dump", "-1", "-"], stdin=a + b)
    check("--dump -1 renders the last dump", rc == 0 and "0x00000200 s" in so, so + se)
    rc, so, se = run(["--ascii", "--pageblock-order", "2", "--dump", "3", "-"], stdin=a + b)
    check("--dump beyond the input is refused", rc == 1 and "holds 2 dump(s)" in se, se)
    noisy = b.replace("202 2", "virtio: some console chatter\r\n202 2")
    rc, so, se = run(["--ascii", "--pageblock-order", "2", "-"], stdin=noisy)
    check("junk inside a dump: warned about and skipped", rc == 0 and "0x00000200 s" in so
          and "1 line(s) inside the dump were not data" in se, so + se)


def test_binary_noise():
    """Non-UTF-8 console bytes around and inside a dump do not break parsing."""
    text = dump_text(0x200, [(0x200, 2, SLAB | MT_UNMOV), (0x202, 2, BUDDY | MT_MOV)])
    data = b"\xff\xfe\x00boot noise\r\n" + text.replace("202 2", "\x1b[0m\xc3\r\n202 2", 1) \
        .encode() + b"\xff\r\n"
    env = dict(os.environ, PYTHONIOENCODING="utf-8:strict")   # as on a strict UTF-8 host
    r = subprocess.run([sys.executable, TOOL, "--ascii", "--pageblock-order", "2", "-"],
                       input=data, capture_output=True, timeout=120, env=env)
    out = r.stdout.decode(errors="replace")
    check("binary console noise on stdin is tolerated", r.returncode == 0 and
          "0x00000200 s" in out, out + r.stderr.decode(errors="replace"))


BAD = [
    ("no dump at all", "hello\nballast> \n", "no kpageflags dump found"),
    ("no '# end'", "# kpageflags v1 start=0 count=4\n0 4 400\n", "has no '# end'"),
    ("second header before '# end'",
     "# kpageflags v1 start=0 count=4\n0 2 400\n# kpageflags v1 start=0 count=4\n",
     "has no '# end'"),
    ("unknown version", "# kpageflags v2 start=0 count=4\n0 4 400\n# end\n",
     "version 2 is not supported"),
    ("overlapping runs", "# kpageflags v1 start=0 count=4\n0 2 400\n1 3 400\n# end\n",
     "overlaps or goes backwards"),
    ("a gap (lost line)", "# kpageflags v1 start=0 count=4\n0 1 400\n2 2 400\n# end\n",
     "pfns 0x1..0x1 are missing"),
    ("garbled line makes a gap",
     "# kpageflags v1 start=0 count=4\n0 1 400\n1 1x 400\n2 2 400\n# end\n",
     "line 3 was not a data line"),
    ("run past the range", "# kpageflags v1 start=0 count=4\n0 5 400\n# end\n",
     "ends past the dump's range"),
    ("short of the count", "# kpageflags v1 start=0 count=8\n0 4 400\n# end\n",
     "covers 4 of 8 pages"),
    ("zero-length run", "# kpageflags v1 start=0 count=4\n0 0 400\n0 4 400\n# end\n",
     "run of length 0"),
    ("unknown flag bits", "# kpageflags v1 start=0 count=4\n0 4 8000000000000000\n# end\n",
     "set bits no kpageflags v1 dump uses"),
    ("count=0", "# kpageflags v1 start=0 count=0\n# end\n", "count=0"),
]


def test_malformed(tmp):
    """Each malformed dump: exit 1, a message saying what is wrong, no PNG written."""
    for name, text, msg in BAD:
        out = os.path.join(tmp, "bad.png")
        if os.path.exists(out):
            os.unlink(out)
        rc, so, se = run(["-", "-o", out], stdin=text)
        check(f"malformed dump rejected: {name}", rc == 1 and msg in se and
              not os.path.exists(out), f"exit {rc}\n{se}")


def test_usage():
    """Bad options are refused with a usage message."""
    rc, so, se = run(["-"], stdin="")
    check("usage: -o is required without --ascii", rc == 2 and "-o FILE is required" in se, se)
    rc, so, se = run(["--ascii", "--width", "0", "-"], stdin="")
    check("usage: --width 0 refused", rc == 2 and "--width must be" in se, se)
    rc, so, se = run(["--ascii", "/nonexistent/dump.txt"])
    check("usage: a missing file is a clear error", rc == 1 and "No such file" in se, se)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        test_page_map(tmp)
        test_block_map(tmp)
        test_ascii()
        test_full_image(tmp)
        test_dump_choice()
        test_binary_noise()
        test_malformed(tmp)
        test_usage()
    print(f"1..{n_test}")
    print(f"# {n_test - n_fail} passed, {n_fail} failed")
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
