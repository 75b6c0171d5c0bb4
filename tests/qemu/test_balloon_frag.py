#!/usr/bin/env python3
"""test_balloon_frag.py - balloon targets changing while memory is fragmented
and compacted (TAP output).

A 1 GiB q35 guest with compaction_proactiveness 0 (so only these commands
move pages). For each seed, several rounds of: a random balloon target
from QMP, `frag PATTERN` taking what memory is free, a short wait while the
balloon chases the target with the remaining memory, `compact` (which
migrates frag's pages and balloon pages alike), `frag verify`, and
`frag free`. After the rounds the last target is set and must be reached,
and then every page must be accounted for: `balloon check` clean, `mmcheck`
clean, frag's pages intact, and the guest's view of the balloon equal to
the host's.

Options: --accel tcg|kvm|auto (default tcg), --seeds N (default 2).
"""
import argparse
import os
import random
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from qmp import Guest, QMPError, counts, parse_balloon, TAP, wait_actual  # noqa: E402

MiB = 1 << 20
RAM_MIB = 1024
PATTERNS = ("3of4", "1of2", "checker", "random:60%", "7of8")

tap = TAP()



def held_of(frag_out):
    """Pages frag holds after a fill (movable + pinned), from its status line; 0 if none."""
    m = re.search(r"held (\d+) movable \+ (\d+) pinned", frag_out)
    return int(m.group(1)) + int(m.group(2)) if m else 0


def moved_of(compact_out):
    m = re.search(r"compact: runs \d+ moved (\d+) failed (\d+)", compact_out)
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def one_seed(g, seed, rounds=4):
    rng = random.Random(seed)
    label = f"seed {seed}"
    total_moved = 0
    migrated0 = parse_balloon(g.shell("balloon")).get("migrated", 0)
    for r in range(rounds):
        target = rng.randrange(256, RAM_MIB) * MiB
        g.qmp.cmd("balloon", value=target)
        time.sleep(rng.random() * 0.5)
        pat = rng.choice(PATTERNS)
        rc, out = g.run(f"frag {pat} seed={rng.randrange(1 << 30)}", timeout=120)
        tap(rc == 0 and held_of(out) > 0,
            f"{label} round {r}: frag {pat} while the guest is ballooned toward {target // MiB} MiB", out)
        time.sleep(rng.random() * 0.5)
        rc, out = g.run("compact", timeout=300)
        moved, failed = moved_of(out)
        tap(rc == 0 and moved is not None, f"{label} round {r}: compact reports what it moved", out)
        total_moved += moved or 0
        ok, out = g.check("frag verify", "mismatches", lead="frag verify:")
        tap(ok, f"{label} round {r}: frag's pages intact after compaction", out)
        ok, chk = g.check("balloon check", "problems")
        tap(ok, f"{label} round {r}: balloon invariant holds mid-run", chk)
        rc, out = g.run("frag free", timeout=120)
        tap(rc == 0 and counts(out, "pages", lead="frag free: released") not in ([], [0]),
            f"{label} round {r}: frag free releases what it held", out)
    tap(total_moved > 0, f"{label}: compaction moved pages ({total_moved})")
    final = rng.randrange(384, RAM_MIB - 128) * MiB
    g.qmp.cmd("balloon", value=final)
    ok, last, _ = wait_actual(g, final)
    tap(ok, f"{label}: the last target ({final // MiB} MiB) is reached",
        f"actual {last}\n{g.shell('balloon')}")
    # Compaction with the balloon inflated: its pages move, the host's actual does not.
    before = g.qmp.cmd("query-balloon")["actual"]
    g.shell("frag 3of4", timeout=120)
    out = g.shell("compact", timeout=300)
    after = g.qmp.cmd("query-balloon")["actual"]
    tap(before == after == final, f"{label}: compaction while inflated leaves actual unchanged",
        f"before {before} after {after} final {final}\n{out}")
    b = parse_balloon(g.shell("balloon"))
    tap(b.get("migrated", 0) > migrated0,
        f"{label}: balloon pages were migrated by compaction ({migrated0} -> {b.get('migrated')})",
        g.shell("balloon"))
    ok, out = g.check("frag verify", "mismatches", lead="frag verify:")
    tap(ok, f"{label}: frag intact at the end", out)
    g.shell("frag free", timeout=120)
    ok, chk = g.check("balloon check", "problems")
    tap(ok, f"{label}: every balloon page accounted for", chk)
    b = parse_balloon(g.shell("balloon"))
    host_pages = (RAM_MIB * MiB - final) // 4096
    tap(b.get("actual") == host_pages and not b.get("broken"),
        f"{label}: guest's actual equals the host's ({host_pages} pages)", str(b))
    ok, mm = g.check("mmcheck", "problems", lead="mmcheck:")
    tap(ok, f"{label}: mmcheck clean", mm)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--accel", default="tcg")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    base = a.seed if a.seed is not None else random.randrange(1 << 20)
    print("TAP version 13", flush=True)
    print(f"# base seed {base} (replay: --seed {base})", flush=True)
    try:
        g = Guest(machine="q35", mem=f"{RAM_MIB}M", accel=a.accel, boot_timeout=180)
    except QMPError as e:
        tap(False, "boots with a balloon and a QMP socket", str(e))
        return tap.plan()
    try:
        g.shell("compaction_proactiveness 0")
        for i in range(a.seeds):
            one_seed(g, base + i)
    except QMPError as e:
        tap(False, "guest session", str(e))
    finally:
        g.close()
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
