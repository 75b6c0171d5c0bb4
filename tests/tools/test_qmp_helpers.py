#!/usr/bin/env python3
"""test_qmp_helpers.py - the output parsers every guest test relies on.

The shell, boot and QMP tests decide pass or fail by reading what the guest
printed, through the helpers in tests/qemu/qmp.py: counts() and
reports_zero() for "N problems" / "N mismatches" figures, last_status() for
the shell's "[status] NAME RC" line, script_results() and
script_problems() for a whole scripted session. A parser that says yes to
everything makes every test above it pass, so this file feeds each helper
transcripts that must be refused: a failing check whose message contains
"0 problems" as a substring ("FAILED (10 problems)", "check: 20
problems"), a command that returned 1, a command that never ran, an
expected failure that succeeded. It runs without QEMU; the transcripts are
written here in the shell's format, not produced by the helpers. TAP output.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
from qmp import (TAP, counts, reports_zero, last_status, script_results,  # noqa: E402
                 script_problems, command_text)

tap = TAP()


def test_counts():
    """Numbers are parsed whole; substrings of a failure do not read as zero."""
    tap(counts("mmcheck: FAILED (10 problems)", "problems") == [10],
        "counts: 'FAILED (10 problems)' is 10, not 0")
    tap(counts("balloon0: check: 20 problems (5 pages held)", "problems") == [20],
        "counts: 'check: 20 problems' is 20")
    tap(counts("frag verify: 0 mismatches (812 pages checked)", "mismatches") == [0],
        "counts: 'frag verify: 0 mismatches' is 0")
    tap(counts("x: -1 problems, v1.0 problems, x10 problems", "problems") == [],
        "counts: a signed, dotted or glued number is not a count")
    tap(counts("zs verify: 3 mismatches\nfrag verify: 0 mismatches\n", "mismatches",
               lead="frag verify:") == [0], "counts: lead= keeps only the lines it names")


def test_reports_zero():
    """reports_zero() is true only for zeros, and only when something was reported."""
    tap(reports_zero("mmcheck: all invariants hold (0 problems)\n", "problems"),
        "reports_zero: a clean mmcheck")
    tap(not reports_zero("mmcheck: FAILED (10 problems)\n", "problems"),
        "reports_zero: refuses 'FAILED (10 problems)'")
    tap(not reports_zero("balloon0: check: 20 problems (0 pages held, 0 isolated)\n",
                         "problems"), "reports_zero: refuses 'check: 20 problems'")
    tap(not reports_zero("balloon0: check: 0 problems\nballoon1: check: 3 problems\n",
                         "problems"), "reports_zero: one bad device of two is refused")
    tap(not reports_zero("balloon: no virtio-balloon device\n", "problems"),
        "reports_zero: no figure at all is refused")
    two = "frag verify: 0 mismatches\nfrag verify: 0 mismatches\n"
    tap(reports_zero(two, "mismatches", n=2) and not reports_zero(two, "mismatches", n=3),
        "reports_zero: n= asks for exactly that many reports")
    tap(not reports_zero("frag verify: 0 mismatches\nfrag verify: 7 mismatches\n",
                         "mismatches", n=2), "reports_zero: a later nonzero report is refused")


def session(*cmds, tail="ballast> \nballast: end of input\n"):
    """A console transcript: ("line", "output", rc or None) per command, as the shell prints it."""
    out = "ballast: ready\r\n"
    for line, text, rc in cmds:
        out += f"ballast> {line}\r\n{text}"
        if rc is not None:
            out += f"[status] {line.split()[0]} {rc}\r\n"
    return out + tail


GOOD = session(("meminfo", "MemInstalled:   262144 kB\r\n", 0),
               ("bogus-command", "bogus-command: unknown command; type 'help'\r\n", 1),
               ("# a comment", "", None),
               ("mmcheck", "mmcheck: all invariants hold (0 problems)\r\n", 0))
SCRIPT = "meminfo\nbogus-command\n# a comment\nmmcheck\n"


def test_status():
    """The status line is found, split off, and read as a number."""
    tap(last_status("x\n[status] mmcheck 1\n") == ("mmcheck", 1),
        "last_status: reads name and status")
    tap(last_status("mmcheck: all invariants hold (0 problems)\n") is None,
        "last_status: none without a status line")
    tap(last_status("[status] alloc -12\r\n") == ("alloc", -12),
        "last_status: a negative status")
    r = script_results(GOOD)
    tap([x["line"] for x in r] == ["meminfo", "bogus-command", "mmcheck"] and
        [x["status"] for x in r] == [("meminfo", 0), ("bogus-command", 1), ("mmcheck", 0)],
        "script_results: one entry per command, comments left out", r)
    tap("[status]" not in command_text(GOOD, "mmcheck") and
        reports_zero(command_text(GOOD, "mmcheck"), "problems"),
        "command_text: a command's output without its status line")


def test_script_problems():
    """A transcript passes only when every command ran in order with the status it should have."""
    tap(script_problems(GOOD, SCRIPT, expect_fail={"bogus-command"}) == [],
        "script_problems: a good transcript passes")
    bad = script_problems(GOOD, SCRIPT)
    tap(len(bad) == 1 and "bogus-command" in bad[0] and "status 1" in bad[0],
        "script_problems: a failing command fails the script", bad)
    failed = session(("meminfo", "", 0), ("bogus-command", "", 1),
                     ("mmcheck", "mmcheck: FAILED (10 problems)\r\n", 1))
    bad = script_problems(failed, SCRIPT, expect_fail={"bogus-command"})
    tap(len(bad) == 1 and "'mmcheck': status 1" in bad[0],
        "script_problems: mmcheck with 10 problems (status 1) is caught", bad)
    quiet = session(("meminfo", "", 0), ("bogus-command", "", 0), ("mmcheck", "", 0))
    bad = script_problems(quiet, SCRIPT, expect_fail={"bogus-command"})
    tap(len(bad) == 1 and "should have failed" in bad[0],
        "script_problems: an expected failure that returned 0 is caught", bad)
    short = session(("meminfo", "", 0), ("bogus-command", "", 1), tail="PANIC\n")
    bad = script_problems(short, SCRIPT, expect_fail={"bogus-command"})
    tap(len(bad) == 1 and "never ran" in bad[0],
        "script_problems: a command that never ran (crash) is caught", bad)
    nostatus = session(("meminfo", "", 0), ("bogus-command", "", 1), ("mmcheck", "", None))
    bad = script_problems(nostatus, SCRIPT, expect_fail={"bogus-command"})
    tap(len(bad) == 1 and "no [status] line" in bad[0],
        "script_problems: a command without a status line is caught", bad)
    swapped = session(("bogus-command", "", 1), ("meminfo", "", 0), ("mmcheck", "", 0))
    bad = script_problems(swapped, SCRIPT, expect_fail={"bogus-command"})
    tap(len(bad) == 2 and all("expected" in b for b in bad),
        "script_problems: commands out of order are caught", bad)
    extra = session(("meminfo", "", 0), ("bogus-command", "", 1), ("mmcheck", "", 0),
                    ("poweroff", "", 0))
    bad = script_problems(extra, SCRIPT, expect_fail={"bogus-command"})
    tap(len(bad) == 1 and "more than the script" in bad[0],
        "script_problems: a command the script did not have is caught", bad)


def main():
    print("TAP version 13", flush=True)
    test_counts()
    test_reports_zero()
    test_status()
    test_script_problems()
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
