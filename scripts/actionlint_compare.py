"""Compares actionlint's and Gantry's findings on the same files (see actionlint-compare.sh).

Prints counts per actionlint kind and per Gantry rule, the places both report, actionlint
findings of the kinds that signal genuine mistakes that Gantry misses, and Gantry errors on
lines where actionlint reports nothing.
"""
import json
import os
import sys
from collections import Counter

GENUINE = ("expression", "syntax-check", "job-needs", "id", "events", "glob", "matrix", "shell-name")


def norm(path):
    return os.path.realpath(path)


def show(title, rows, cap=40):
    print(f"\n{title}: {len(rows)}")
    for r in rows[:cap]:
        print("  " + r)
    if len(rows) > cap:
        print(f"  ... and {len(rows) - cap} more")


def main():
    al = json.load(open(sys.argv[1]))
    ga = json.load(open(sys.argv[2]))["diagnostics"]
    for d in al:
        d["file"] = norm(d["file"])
    for d in ga:
        d["file"] = norm(d["file"])
    root = os.path.commonpath([d["file"] for d in al + ga]) if al or ga else ""
    rel = lambda p: os.path.relpath(p, root)
    print("actionlint findings per kind:")
    for k, n in Counter(d["kind"] for d in al).most_common():
        print(f"  {n:5} {k}")
    print("gantry findings per rule:")
    for (r, s), n in Counter((d["rule"], d["severity"]) for d in ga).most_common():
        print(f"  {n:5} {r} ({s})")
    ga_lines = {(d["file"], d["line"]) for d in ga}
    al_lines = {(d["file"], d["line"]) for d in al}
    both = sorted({f"{rel(d['file'])}:{d['line']} [{d['kind']}] {d['message'][:90]}" for d in al if (d["file"], d["line"]) in ga_lines})
    show("places both tools report", both)
    missed = sorted(
        f"{rel(d['file'])}:{d['line']}:{d['column']} [{d['kind']}] {d['message'][:110]}"
        for d in al
        if d["kind"] in GENUINE and (d["file"], d["line"]) not in ga_lines
    )
    show("actionlint findings of kinds that signal real mistakes, not reported by gantry", missed)
    extra = sorted(
        f"{rel(d['file'])}:{d['line']}:{d['column']} [{d['rule']}] {d['message'][:110]}"
        for d in ga
        if d["severity"] == "error" and (d["file"], d["line"]) not in al_lines
    )
    show("gantry errors where actionlint reports nothing", extra)
    print(f"\nsummary: actionlint {len(al)} findings, gantry {len(ga)} ({sum(d['severity'] == 'error' for d in ga)} errors); {len(both)} places in common")


if __name__ == "__main__":
    main()
