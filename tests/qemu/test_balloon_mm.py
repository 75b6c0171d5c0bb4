#!/usr/bin/env python3
"""test_balloon_mm.py - the balloon meets the page allocator (TAP, QMP).

Three 1 GiB guests on the modern virtio-pci transport:

  deflate-on-oom     deflate-on-oom=on, ballooned down to 320 MiB: the guest
                     allocates 64 MiB more than it has free; every allocation
                     succeeds because the balloon gives pages back, the host
                     sees `actual` rise by exactly the pages the guest's
                     `balloon` reports under oom_deflate, and the invariant
                     check is clean. Without deflate-on-oom the same request
                     fails cleanly and `actual` does not move.
  offline pages      after inflating to 600 MiB, `page-types -b offline`
                     counts exactly the balloon's pages, and meminfo,
                     buddyinfo and vmstat count none of them as free.
  compaction         memory fragmented with alloc/free around the inflated
                     balloon, then `compact`: balloon pages migrate (the
                     balloon's migrated count, vmstat balloon_migrate and
                     pgmigrate_success all rise by the same moves), the
                     host's `actual` never changes (sampled every 5 ms while
                     compaction runs), the invariant holds, and deflating
                     back to 1 GiB returns every page.

Options: --accel tcg|kvm|auto (default tcg).
"""
import argparse
import os
import re
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from qmp import Guest, QMPError, alloc_result, parse_balloon, TAP, wait_actual  # noqa: E402

MiB = 1 << 20
RAM = 1024 * MiB
DEV = "disable-legacy=on"

tap = TAP()



def balloon_to(g, label, mib):
    """Set the guest size to @mib MiB and wait for it; one TAP line."""
    g.qmp.cmd("balloon", value=mib * MiB)
    ok, last, _ = wait_actual(g, mib * MiB)
    tap(ok, f"{label}: query-balloon reaches {mib} MiB", f"actual {last}\n{g.shell('balloon')}")
    return ok


def check_clean(g, label, when):
    ok, chk = g.check("balloon check", "problems")
    tap(ok, f"{label}: balloon check clean {when}", chk)


def meminfo_kb(text, key):
    m = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) if m else None


def vmstat(g):
    """The guest's vmstat counters as a dict."""
    out = {}
    for ln in g.shell("vmstat").splitlines():
        parts = ln.split()
        if len(parts) == 2 and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


def oom_counters(text):
    m = re.search(r"oom_deflate calls (\d+) pages (\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def buddyinfo_free(text):
    """Free pages counted by buddyinfo (sum of count << order over every zone)."""
    total = 0
    for ln in text.splitlines():
        m = re.match(r"Node \d+, zone\s+\S+\s+(.*)$", ln)
        if m:
            total += sum(int(c) << o for o, c in enumerate(m.group(1).split()))
    return total


def offline_pages(g):
    """Pages `page-types -b offline` reports (0 when none)."""
    out = g.shell("page-types -b offline")
    m = re.search(r"^\s*total\s+(\d+)", out, re.M)
    return (int(m.group(1)) if m else None), out


def free_pages(g):
    mi = g.shell("meminfo")
    kb = meminfo_kb(mi, "MemFree")
    return (kb // 4 if kb is not None else None), mi


def test_deflate_on_oom(accel, on):
    label = "deflate-on-oom" if on else "no deflate-on-oom"
    opts = DEV + (",deflate-on-oom=on" if on else "")
    g = Guest(machine="q35", mem="1G", balloon_opts=opts, accel=accel)
    try:
        if not balloon_to(g, label, 320):
            return
        g.shell("drain")
        free, mi = free_pages(g)
        extra = 16384                       # 64 MiB more than is free
        want = free + extra
        rc, out = g.run(f"alloc 0 {want}", timeout=300)
        got, asked = alloc_result(out)
        actual = g.qmp.cmd("query-balloon")["actual"]
        text = g.shell("balloon")
        calls, pages = oom_counters(text)
        if on:
            tap(rc == 0 and got == want,
                f"{label}: allocating {extra} pages more than free succeeds", out)
            given = (actual - 320 * MiB) >> 12
            tap(given >= extra, f"{label}: query-balloon actual rose by at least the shortfall "
                f"({given} pages >= {extra})", f"actual {actual}\n{text}")
            tap(pages == given and calls and calls > 0,
                f"{label}: guest balloon shows oom_deflate pages == the host's rise ({pages})",
                f"host saw {given} pages back\n{text}")
            vs = vmstat(g)
            tap(vs.get("balloon_deflate") == pages,
                f"{label}: vmstat balloon_deflate equals the pages given back",
                f"balloon_deflate {vs.get('balloon_deflate')} pages {pages}")
        else:
            tap(rc != 0 and got is not None and got < want,
                f"{label}: allocating more than free fails cleanly, with a failure status "
                f"({got} of {want}, status {rc})", out)
            tap(actual == 320 * MiB, f"{label}: query-balloon actual unchanged at 320 MiB",
                f"actual {actual}\n{text}")
            tap(pages == 0, f"{label}: no oom_deflate pages in the guest's balloon", text)
        check_clean(g, label, "after the allocation")
        rc, out = g.run("free all")
        m = re.search(r"^free: released (\d+) blocks \(\d+ pages\); holding (\d+) blocks", out, re.M)
        tap(rc == 0 and m is not None and int(m.group(1)) == got and m.group(2) == "0",
            f"{label}: guest frees everything it took ({got} blocks) and still answers", out)
        if on:
            # the balloon holds off until the host sets a new target
            time.sleep(1)
            still = g.qmp.cmd("query-balloon")["actual"]
            tap(still == actual, f"{label}: no re-inflation until a new target",
                f"{actual} then {still}")
            balloon_to(g, label, 400)
            check_clean(g, label, "after a new target")
    finally:
        g.close()


def test_offline_and_compaction(accel):
    label = "compaction"
    g = Guest(machine="q35", mem="1G", balloon_opts=DEV, accel=accel)
    try:
        # fragment: movable pages taken before the balloon fills memory are
        # freed afterwards, unmovable ones are sprinkled in the holes
        g.shell("alloc 0 60000 movable", timeout=120)
        if not balloon_to(g, label, 600):
            return
        held = (RAM - 600 * MiB) >> 12
        g.shell("free all", timeout=120)
        g.shell("alloc 0 30000 unmovable", timeout=120)
        g.shell("drain")

        # c. balloon pages are offline, not free
        off, out = offline_pages(g)
        tap(off == held, f"offline pages: page-types -b offline counts the {held} balloon pages",
            out)
        free, mi = free_pages(g)
        managed = meminfo_kb(mi, "MemManaged") // 4
        bi = g.shell("buddyinfo")
        bfree = buddyinfo_free(bi)
        vs = vmstat(g)
        tap(bfree == free and vs.get("nr_free_pages") == free,
            f"offline pages: buddyinfo, meminfo and vmstat agree on {free} free pages",
            f"buddyinfo {bfree} meminfo {free} vmstat {vs.get('nr_free_pages')}\n{bi}")
        tap(free + held + 30000 <= managed,
            "offline pages: free memory excludes the balloon "
            f"({free} free + {held} ballooned + 30000 held <= {managed} managed)", mi)

        # b. compaction moves balloon pages; the host sees nothing
        b0 = parse_balloon(g.shell("balloon"))
        v0 = vmstat(g)
        samples, stop = [], threading.Event()

        def sample():
            while not stop.is_set():
                samples.append(g.qmp.cmd("query-balloon")["actual"])
                time.sleep(0.005)

        th = threading.Thread(target=sample)
        th.start()
        try:
            out = g.shell("compact", timeout=300)
        finally:
            stop.set()
            th.join()
        b1 = parse_balloon(g.shell("balloon"))
        v1 = vmstat(g)
        moved = b1.get("migrated", 0) - b0.get("migrated", 0)
        tap(moved > 0, f"{label}: compact migrates balloon pages ({moved} moved)",
            out + g.shell("balloon"))
        dm = v1.get("balloon_migrate", 0) - v0.get("balloon_migrate", 0)
        ds = v1.get("pgmigrate_success", 0) - v0.get("pgmigrate_success", 0)
        tap(dm == moved and ds >= moved,
            f"{label}: vmstat balloon_migrate +{dm} and pgmigrate_success +{ds} account for it",
            f"balloon migrated +{moved}")
        bad = [s for s in samples if s != 600 * MiB]
        tap(len(samples) > 0 and not bad,
            f"{label}: query-balloon actual stays 600 MiB during compaction "
            f"({len(samples)} samples)", f"values other than 600 MiB: {bad[:5]}")
        tap(b1.get("actual") == held and b1.get("isolated") == 0 and not b1["broken"],
            f"{label}: the guest still holds {held} pages, none isolated", g.shell("balloon"))
        check_clean(g, label, "after compaction")
        off, out = offline_pages(g)
        tap(off == held, f"{label}: still exactly {held} offline pages after migration", out)
        ok, mc = g.check("mmcheck", "problems", lead="mmcheck:")
        tap(ok, f"{label}: allocator invariants hold after compaction", mc)

        # back to full size: every balloon page returns to the allocator
        g.shell("free all", timeout=120)
        g.shell("drain")
        before, _ = free_pages(g)
        if balloon_to(g, label, 1024):
            g.shell("drain")
            after, mi = free_pages(g)
            tap(after - before >= held - 64,
                f"{label}: deflating returns the balloon's pages to free memory "
                f"(+{after - before} of {held})", mi)
            off, out = offline_pages(g)
            tap(off == 0, f"{label}: no offline pages left after deflating", out)
            check_clean(g, label, "after deflating")
    finally:
        g.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--accel", default="tcg")
    a = ap.parse_args()
    print("TAP version 13", flush=True)
    for name, fn in (("deflate-on-oom", lambda: test_deflate_on_oom(a.accel, True)),
                     ("no deflate-on-oom", lambda: test_deflate_on_oom(a.accel, False)),
                     ("compaction", lambda: test_offline_and_compaction(a.accel))):
        try:
            fn()
        except QMPError as e:
            tap(False, f"{name}: QMP session", str(e))
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
