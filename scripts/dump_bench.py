#!/usr/bin/env python3
"""dump_bench.py - the dump filter benchmark (issue 13 item 10; `make bench-dump`,
also run by `make bench`).

A 4 GiB guest (q35 layout: 2 GiB below 4 GiB, 2 GiB above) with 1 GiB in
use (kernel, memmap and painted pages) and 1 GiB ballooned (PageOffline),
the rest free in max-order buddy blocks. The dump is SYNTHETIC, written by
tests/tools/gen_dump.py (a real 4 GiB guest under TCG here would take
minutes to boot and fill; the synthetic one has the same ELF layout and
struct pages, and stale bytes in free and offline pages as a real one).

Reported, in the same run, from the page cache (the dump is read once
before timing):
  full size, filtered size (`ballast-dump filter -d 31`), filtered size /
  memory in use (goal: <= 1.05), filter wall time, its phases (open,
  classify, write) and GiB/s of dump read, and `cat dump > /dev/null` as
  the limit the filter is compared with (goal: filter >= cat). Each of
  --runs rounds runs cat and then the filter; medians (and minima) are
  reported, so both see the same load on a shared machine.
JSON lines go to --out; a table to stdout.

  dump_bench.py [--mem 4096] [--used 1024] [--balloon 1024] [--runs 5]
                [--dir build/bench] [--keep] [--out build/bench-dump.jsonl]
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "build", "tools", "ballast-dump")
GEN = os.path.join(ROOT, "tests", "tools", "gen_dump.py")
GiB = 1 << 30


def timed(cmd, **kw):
    """Wall seconds of one run of @cmd (checked)."""
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, **kw)
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mem", type=int, default=4096, help="guest MiB")
    ap.add_argument("--used", type=int, default=1024, help="MiB in use")
    ap.add_argument("--balloon", type=int, default=1024, help="MiB ballooned")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dir", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--keep", action="store_true", help="reuse an existing dump, keep the files")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench-dump.jsonl"))
    a = ap.parse_args()
    if not os.path.exists(TOOL):
        sys.exit("dump_bench: build/tools/ballast-dump is missing (make tools)")
    os.makedirs(a.dir, exist_ok=True)
    dump = os.path.join(a.dir, f"dump-{a.mem}M.elf")
    out = os.path.join(a.dir, f"dump-{a.mem}M.d31.elf")
    if not (a.keep and os.path.exists(dump)):
        print(f"dump_bench: writing a synthetic {a.mem} MiB guest dump ({a.used} MiB used, "
              f"{a.balloon} MiB ballooned) to {dump} ...", flush=True)
        gen_s = timed([sys.executable, GEN, dump, "--mem", str(a.mem), "--lowmem", "2048",
                       "--bench", f"{a.used},{a.balloon}"])
        print(f"dump_bench: generated in {gen_s:.1f} s", flush=True)
    full = os.path.getsize(dump)
    cats, filts = [], []       # (wall s) and (wall s, cpu s, report), interleaved rounds
    with open(os.devnull, "wb") as null:
        timed(["cat", dump], stdout=null)            # into the page cache
        for _ in range(a.runs):
            cats.append(timed(["cat", dump], stdout=null))
            if os.path.exists(out):
                os.unlink(out)     # a fresh file each time: no truncation of the last one timed
            ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            r = subprocess.run([TOOL, "filter", "-d", "31", dump, out], capture_output=True,
                               text=True, check=True)
            s = time.monotonic() - t0
            ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            filts.append((s, (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
                          r.stdout))
    cat_s = statistics.median(cats)
    filt_s = statistics.median(f[0] for f in filts)
    filt_cpu = statistics.median(f[1] for f in filts)
    report = sorted(filts, key=lambda f: f[0])[len(filts) // 2][2]   # the median run's report
    phases = [re.search(r"open and memmap ([\d.]+) s, classify ([\d.]+) s, write ([\d.]+) s",
                        f[2]) for f in filts]
    ph = [statistics.median(float(m.group(i)) for m in phases if m) if any(phases) else -1.0
          for i in (1, 2, 3)]
    filtered = os.path.getsize(out)
    in_use = a.used << 20
    m = re.search(r"segments: \d+ in, (\d+) out", report)
    rows = [
        ("full_size", full / GiB, "GiB"),
        ("filtered_size", filtered / (1 << 20), "MiB"),
        ("in_use", in_use / (1 << 20), "MiB"),
        ("filtered_over_in_use", filtered / in_use, "x"),
        ("filter_s", filt_s, "s"),
        ("filter_cpu_s", filt_cpu, "s"),   # user + sys; the rest is waiting (writeback of OUT)
        ("filter_GiBps", full / GiB / filt_s, "GiB/s"),
        ("cat_s", cat_s, "s"),
        ("cat_GiBps", full / GiB / cat_s, "GiB/s"),
        ("filter_over_cat_speed", cat_s / filt_s, "x"),
        ("filter_open_s", ph[0], "s"),      # mmap, note, memmap (copied when misaligned)
        ("filter_classify_s", ph[1], "s"),  # memmap walk + zero check of the kept pages
        ("filter_write_s", ph[2], "s"),     # copy_file_range of the kept pages + headers
        ("cat_min_s", min(cats), "s"),
        ("filter_min_s", min(f[0] for f in filts), "s"),
        ("segments_out", int(m.group(1)) if m else -1, ""),
    ]
    with open(a.out, "a") as f:
        for metric, value, unit in rows:
            f.write(json.dumps({"bench": "dump_filter", "metric": metric, "value": value,
                                "unit": unit, "mem_MiB": a.mem, "synthetic": True}) + "\n")
    print(f"\ndump filter, synthetic {a.mem} MiB guest, {a.used} MiB used, {a.balloon} MiB "
          f"ballooned (medians of {a.runs} interleaved rounds, page cache warm)")
    for metric, value, unit in rows:
        print(f"  {metric:24s} {value:12.3f} {unit}" if isinstance(value, float)
              else f"  {metric:24s} {value:12d} {unit}")
    ok_size = filtered <= 1.05 * in_use
    ok_speed = filt_s <= cat_s
    print(f"  goal: filtered within 5% of the pages in use: {'met' if ok_size else 'NOT met'}")
    print(f"  goal: filter at least as fast as cat from the page cache: "
          f"{'met' if ok_speed else 'NOT met'}")
    print("\n" + report.rstrip())
    if not a.keep:
        for p in (dump, out):
            os.unlink(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
