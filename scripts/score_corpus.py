#!/usr/bin/env python3
"""Scores pkgleaks against the labelled corpus (../shared/corpus).

    score_corpus.py [--corpus DIR] [--pkgleaks BIN] [--jobs N] [--jsonl FILE]
                    [--min-plain-recall 0.95] [--json-out FILE] [--quiet]

Runs `pkgleaks scan --format jsonl --show-secrets -jN CORPUS/packages` (or reads
the findings of an earlier run with --jsonl) and matches each finding to the
corpus labels as MANIFEST.md suggests: same archive and same path inside it,
and (line within +-1, or the finding's secret and the label's value sharing a
substring of at least 8 characters). A finding that matches a secret in
truth.jsonl is a hit; else one that matches decoys.jsonl is a false positive;
else it is "unlabeled" (needs a human). Rows marked optional (identifiers such
as Twilio account SIDs) count neither as hits nor as misses.

Prints recall per category, per type and per archive format, the misses, the
decoys reported and the unlabeled findings. Exit 1 when recall on the "plain"
category is below --min-plain-recall or any decoy was reported; 2 on a usage
or run error.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def norm_path(p):
    """Inside-archive paths compared without a leading './' per nested segment
    (Debian data.tar members are stored as ./usr/...; truth says usr/...)."""
    return "!/".join(s[2:] if s.startswith("./") else s for s in (p or "").split("!/"))


def lcs_len(a, b):
    """Length of the longest common substring (values here are short)."""
    if not a or not b:
        return 0
    best = 0
    prev = [0] * (len(b) + 1)
    for i in range(1, len(a) + 1):
        cur = [0] * (len(b) + 1)
        ai = a[i - 1]
        for j in range(1, len(b) + 1):
            if ai == b[j - 1]:
                cur[j] = prev[j - 1] + 1
                if cur[j] > best:
                    best = cur[j]
        prev = cur
    return best


def overlaps(secret, values, need=8):
    for v in values:
        if not v or not secret:
            continue
        n = min(need, len(v), len(secret))
        if n >= 4 and lcs_len(secret, v) >= n:
            return True
    return False


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def run_scan(args):
    cmd = [args.pkgleaks, "scan", "--format", "jsonl", "--show-secrets", "-j%d" % args.jobs,
           "--no-progress", os.path.join(args.corpus, "packages")]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    secs = time.perf_counter() - t0
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode not in (0, 1):
        sys.stderr.write(err)
        print("score_corpus: %s exited %d" % (" ".join(cmd), p.returncode), file=sys.stderr)
        sys.exit(2)
    rows = []
    for l in p.stdout.decode("utf-8", "surrogateescape").splitlines():
        if l.strip():
            rows.append(json.loads(l))
    return cmd, rows, err, secs


def relative_archive(source, corpus):
    """A finding's source (as given on the command line) relative to the corpus dir."""
    r = os.path.relpath(os.path.abspath(source), corpus)
    if not r.startswith(".."):
        return r
    # a findings file made elsewhere: take the part from "packages/" on
    i = source.rfind("packages/")
    return source[i:] if i >= 0 else source


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.environ.get("CORPUS") or os.path.join(ROOT, "..", "shared", "corpus"))
    ap.add_argument("--pkgleaks", default=os.environ.get("PKGLEAKS") or os.path.join(ROOT, "build", "pkgleaks"))
    ap.add_argument("--jobs", "-j", type=int, default=2)
    ap.add_argument("--jsonl", help="score this findings file instead of running pkgleaks "
                    "(sources relative to the current directory or absolute)")
    ap.add_argument("--min-plain-recall", type=float, default=0.95)
    ap.add_argument("--json-out", help="also write the figures as JSON here")
    ap.add_argument("--quiet", "-q", action="store_true", help="only the summary table")
    args = ap.parse_args()
    args.corpus = os.path.abspath(args.corpus)
    if not os.path.exists(os.path.join(args.corpus, "truth.jsonl")):
        print("score_corpus: no corpus at %s" % args.corpus, file=sys.stderr)
        return 2

    truth = load_jsonl(os.path.join(args.corpus, "truth.jsonl"))
    decoys = load_jsonl(os.path.join(args.corpus, "decoys.jsonl"))
    if args.jsonl:
        cmd, findings, err, secs = None, load_jsonl(args.jsonl), "", None
    else:
        cmd, findings, err, secs = run_scan(args)

    # index labels by (archive, path)
    def key(archive, path):
        return (archive, norm_path(path))

    truth_by = collections.defaultdict(list)
    for i, t in enumerate(truth):
        truth_by[key(t["archive"], t["path"])].append(i)
    decoy_by = collections.defaultdict(list)
    for i, d in enumerate(decoys):
        decoy_by[key(d["archive"], d["path"])].append(i)

    def lines_of(f):
        ls = {f.get("line")}
        for l in f.get("locations") or []:
            if isinstance(l, dict):
                ls.add(l.get("line"))
        return {x for x in ls if isinstance(x, int)}

    def line_near(f, line):
        return any(abs(x - line) <= 1 for x in lines_of(f))

    hit_truth = collections.defaultdict(list)   # truth index -> findings
    hit_decoy = collections.defaultdict(list)
    unlabeled = []
    for f in findings:
        k = key(relative_archive(f["source"], args.corpus), f.get("path", ""))
        sec = f.get("secret", "")
        # Order: value overlap with a secret, then with a decoy, then line
        # proximity to a secret, then to a decoy (a decoy next to a real secret
        # is still caught when the finding's value is the decoy's).
        t_ov, t_ln, d_ov, d_ln = [], [], [], []
        for i in truth_by.get(k, []):
            t = truth[i]
            if overlaps(sec, [t["secret"], t.get("password"), t.get("context_value")]):
                t_ov.append(i)
            elif line_near(f, t["line"]):
                t_ln.append(i)
        for i in decoy_by.get(k, []):
            d = decoys[i]
            if overlaps(sec, [d["value"]]):
                d_ov.append(i)
            elif line_near(f, d["line"]):
                d_ln.append(i)
        matched = True
        if t_ov:
            for i in t_ov:
                hit_truth[i].append(f)
        elif d_ov:
            for i in d_ov:
                hit_decoy[i].append(f)
        elif t_ln:
            for i in t_ln:
                hit_truth[i].append(f)
        elif d_ln:
            for i in d_ln:
                hit_decoy[i].append(f)
        else:
            matched = False
        if not matched:
            unlabeled.append(f)

    # recall
    def recall_table(field):
        tab = collections.OrderedDict()
        for i, t in enumerate(truth):
            if t.get("optional"):
                continue
            c = tab.setdefault(t.get(field, "?"), [0, 0])
            c[1] += 1
            if hit_truth.get(i):
                c[0] += 1
        return tab

    by_cat = recall_table("category")
    by_type = recall_table("type")
    by_fmt = recall_table("format")
    labelled = [i for i, t in enumerate(truth) if not t.get("optional")]
    found = sum(1 for i in labelled if hit_truth.get(i))
    plain = by_cat.get("plain", [0, 0])
    plain_recall = plain[0] / plain[1] if plain[1] else 1.0
    decoys_hit = sorted(hit_decoy)

    def pct(a, b):
        return "%5.1f%%" % (100.0 * a / b) if b else "    -"

    out = []
    if cmd:
        out.append("command: %s   (%.2f s)" % (" ".join(cmd), secs))
    else:
        out.append("findings: %s" % args.jsonl)
    out.append("findings: %d   labelled secrets: %d (+%d optional)   decoys: %d"
               % (len(findings), len(labelled), len(truth) - len(labelled), len(decoys)))
    out.append("")
    out.append("%-34s %7s %9s" % ("category", "found", "recall"))
    for k, (a, b) in sorted(by_cat.items(), key=lambda kv: (kv[0] != "plain", kv[0])):
        out.append("%-34s %3d/%-3d %9s" % (k, a, b, pct(a, b)))
    out.append("%-34s %3d/%-3d %9s" % ("ALL", found, len(labelled), pct(found, len(labelled))))
    if not args.quiet:
        out.append("")
        out.append("%-34s %7s %9s" % ("archive format", "found", "recall"))
        for k, (a, b) in sorted(by_fmt.items()):
            out.append("%-34s %3d/%-3d %9s" % (k, a, b, pct(a, b)))
        out.append("")
        out.append("%-34s %7s %9s" % ("type", "found", "recall"))
        for k, (a, b) in sorted(by_type.items()):
            out.append("%-34s %3d/%-3d %9s" % (k, a, b, pct(a, b)))
        misses = [truth[i] for i in labelled if not hit_truth.get(i)]
        out.append("")
        out.append("misses (%d):" % len(misses))
        for t in misses:
            out.append("  [%s/%s] %s!/%s:%s  %s%s" % (t["category"], t["type"], t["archive"], t["path"],
                                                     t["line"], t["secret"][:24],
                                                     "  (expected hard)" if t.get("expected_hard") else ""))
        out.append("")
        out.append("decoys reported (%d):" % len(decoys_hit))
        for i in decoys_hit:
            d = decoys[i]
            for f in hit_decoy[i][:3]:
                out.append("  [%s] %s!/%s:%s  value %s  <- %s %r" % (
                    d["kind"], d["archive"], d["path"], d["line"], d["value"][:30], f.get("rule"),
                    f.get("secret", "")[:30]))
        out.append("")
        out.append("unlabeled findings (%d; triage by hand):" % len(unlabeled))
        for f in unlabeled[:40]:
            out.append("  %s %s!/%s:%s  %r" % (f.get("rule"), relative_archive(f["source"], args.corpus),
                                               f.get("path"), f.get("line"), f.get("secret", "")[:40]))
        if len(unlabeled) > 40:
            out.append("  ... %d more" % (len(unlabeled) - 40))
        errs = [l for l in err.splitlines() if l.startswith("pkgleaks: error:")]
        if errs:
            out.append("")
            out.append("per-file errors during the scan (%d):" % len(errs))
            out.extend("  " + l for l in errs[:20])
    ok = plain_recall >= args.min_plain_recall and not decoys_hit
    out.append("")
    out.append("plain recall %.1f%% (goal >= %.0f%%), decoys reported %d (goal 0): %s" % (
        100 * plain_recall, 100 * args.min_plain_recall, len(decoys_hit), "PASS" if ok else "FAIL"))
    print("\n".join(out))

    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"plain_recall": plain_recall, "plain_found": plain[0], "plain_total": plain[1],
                       "recall": found / len(labelled) if labelled else 1.0, "found": found,
                       "labelled": len(labelled), "decoys_reported": len(decoys_hit),
                       "unlabeled": len(unlabeled), "findings": len(findings),
                       "by_category": by_cat, "by_type": by_type, "by_format": by_fmt,
                       "seconds": secs, "pass": ok}, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
