#!/usr/bin/env python3
"""Assertions over one pkgleaks run, for the e2e shell scripts (common.sh).

    check.py expr --out F --err F [--fx DIR] EXPR
        Evaluates the Python expression EXPR; exit 0 when it is true. Names:
          out, err      stdout / stderr text (undecodable bytes as surrogates)
          outb, errb    the raw bytes
          j             stdout parsed as one JSON document, or None
          rows          stdout parsed as JSON lines, or None
          findings      j["findings"] if j is a report, else rows, else []
          man, notes    the fixtures' manifest rows and notes.json (with --fx)
          F(**kw)       findings whose keys equal kw (e.g. F(secret=s, line=3))
          loc(f)        [(line, column), ...] of a finding's locations
          text_has(location, line[, column])  text output lists that place
          fp(rule, s)   hex sha256 of "rule:s"
    check.py findings --out F --fx DIR [--set S] [--case C]... [--exact] [--no-column]
        Checks that every selected manifest row was reported exactly once with
        its source, path, line and column (jsonl or json output with
        --show-secrets), prints one ok/FAIL line per row, and with --exact
        also flags findings nobody planted. Exit status: number of failures.
"""
import argparse
import hashlib
import json
import os
import re
import sys


def load_text(path):
    if not path or not os.path.exists(path):
        return b"", ""
    b = open(path, "rb").read()
    return b, b.decode("utf-8", "surrogateescape")


def parse(out):
    j = rows = None
    try:
        j = json.loads(out)
    except ValueError:
        pass
    if j is None or not isinstance(j, dict) or "findings" not in j:
        lines = [l for l in out.splitlines() if l.strip()]
        try:
            rows = [json.loads(l) for l in lines]
            if not all(isinstance(r, dict) for r in rows):
                rows = None
        except ValueError:
            rows = None
    return j, rows


def locations(f):
    res = []
    for l in f.get("locations") or []:
        if isinstance(l, dict):
            res.append((l.get("line"), l.get("column")))
        elif isinstance(l, (list, tuple)) and len(l) >= 2:
            res.append((l[0], l[1]))
    if not res and "line" in f:
        res.append((f.get("line"), f.get("column")))
    return res


def fp(rule, secret):
    return hashlib.sha256(("%s:%s" % (rule, secret)).encode("utf-8", "surrogateescape")).hexdigest()


def norm_path(p):
    """Drops a leading './' from every nested segment (tar members of .debs)."""
    if p is None:
        return None
    return "!/".join(s[2:] if s.startswith("./") else s for s in p.split("!/"))


def context(args):
    outb, out = load_text(args.out)
    errb, err = load_text(args.err)
    j, rows = parse(out)
    findings = []
    if isinstance(j, dict) and isinstance(j.get("findings"), list):
        findings = j["findings"]
    elif rows is not None:
        findings = rows
    man, notes = [], {}
    if args.fx:
        mp = os.path.join(args.fx, "manifest.jsonl")
        if os.path.exists(mp):
            man = [json.loads(l) for l in open(mp, encoding="utf-8")]
        np_ = os.path.join(args.fx, "notes.json")
        if os.path.exists(np_):
            notes = json.load(open(np_))

    def text_has(location, line, column=None):
        """Text output names `location` with an occurrence at line[:column]: either
        flat ("loc:line:col") or grouped (a header line, then indented "line:col")."""
        want = "%s:%s" % (line, column) if column else str(line)
        if re.search(re.escape(location) + ":" + re.escape(want) + r"\b", out):
            return True
        header = None
        for l in out.splitlines():
            if l and not l[0].isspace():
                header = l.rstrip()
            elif header == location and re.search(r"(^|\s)" + re.escape(want) + r"\b", l):
                return True
        return False

    def F(**kw):
        return [f for f in findings if all(f.get(k) == v for k, v in kw.items())]

    return dict(out=out, err=err, outb=outb, errb=errb, j=j, rows=rows, findings=findings,
                man=man, notes=notes, F=F, text_has=text_has, loc=locations, fp=fp, re=re, json=json, os=os,
                norm_path=norm_path)


def show(s, n=25):
    lines = s.splitlines()
    tail = "\n".join("    | " + l for l in lines[:n])
    if len(lines) > n:
        tail += "\n    | ... (%d more lines)" % (len(lines) - n)
    return tail


def cmd_expr(args):
    ctx = context(args)
    try:
        ok = eval(args.expr, ctx)
    except Exception as e:  # noqa: BLE001 - any error is a failed assertion
        ok = False
        print("    exception: %r" % e)
    if not ok:
        print("    expression: %s" % args.expr)
        print("    stdout:\n" + show(ctx["out"]))
        print("    stderr:\n" + show(ctx["err"]))
    return 0 if ok else 1


def describe(f):
    return "%s %s:%s:%s %s" % (f.get("rule"), f.get("source"), f.get("path"), f.get("line"),
                               f.get("secret"))


def cmd_findings(args):
    ctx = context(args)
    findings = ctx["findings"]
    if ctx["j"] is None and ctx["rows"] is None:
        print("FAIL - output is neither a JSON report nor JSON lines")
        print(show(ctx["out"]))
        return 1
    sel = [r for r in ctx["man"] if (not args.set or r["set"] == args.set)
           and (not args.case or r["case"] in args.case)]
    if not sel:
        print("FAIL - no manifest rows selected")
        return 1
    fails = 0
    for r in sel:
        cands = [f for f in findings if f.get("secret") == r["secret"]]
        what = "%s: %s %s line %s col %s" % (r["case"], r["source"],
                                              r["path"] if r["path"] is not None else "(any path)",
                                              r["line"], r["column"])
        problems = []
        mine = [f for f in cands if f.get("source") == r["source"]]
        if not cands:
            problems.append("secret not reported")
        elif not mine:
            problems.append("reported with source %r" % sorted({f.get("source") for f in cands}))
        else:
            if r["path"] is not None:
                okp = {r["path"], *r.get("alt_paths", [])}
                okn = {norm_path(p) for p in okp}
                good = [f for f in mine if f.get("path") in okp]
                if not good:
                    near = [f for f in mine if norm_path(f.get("path")) in okn]
                    if near:
                        print("    note: %s: path %r accepted after dropping './'" % (
                            r["case"], near[0].get("path")))
                        good = near
                    else:
                        problems.append("path %r, expected %r" % ([f.get("path") for f in mine],
                                                                  r["path"]))
                mine = good or mine
            if len(mine) > 1:
                problems.append("reported %d times: %s" % (len(mine), "; ".join(describe(f) for f in mine)))
            f = mine[0]
            if f.get("line") != r["line"]:
                problems.append("line %r, expected %r" % (f.get("line"), r["line"]))
            if not args.no_column and f.get("column") != r["column"]:
                problems.append("column %r, expected %r" % (f.get("column"), r["column"]))
            if r.get("locations"):
                got = [list(x) for x in locations(f)]
                if got != r["locations"]:
                    problems.append("locations %r, expected %r" % (got, r["locations"]))
        if problems:
            fails += 1
            print("FAIL - %s: %s" % (what, "; ".join(problems)))
        else:
            print("ok - %s" % what)
    if args.exact:
        planted = {r["secret"] for r in sel}
        extra = [f for f in findings if f.get("secret") not in planted]
        for f in extra:
            print("FAIL - unexpected finding: %s" % describe(f))
        fails += len(extra)
    return min(fails, 100)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("expr")
    e.add_argument("--out")
    e.add_argument("--err")
    e.add_argument("--fx")
    e.add_argument("expr")
    f = sub.add_parser("findings")
    f.add_argument("--out", required=True)
    f.add_argument("--err")
    f.add_argument("--fx", required=True)
    f.add_argument("--set")
    f.add_argument("--case", action="append")
    f.add_argument("--exact", action="store_true")
    f.add_argument("--no-column", action="store_true")
    a = ap.parse_args()
    sys.exit(cmd_expr(a) if a.cmd == "expr" else cmd_findings(a))


if __name__ == "__main__":
    main()
