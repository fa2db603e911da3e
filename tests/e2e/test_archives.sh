#!/usr/bin/env bash
# Every package format: each planted secret is found once, with its exact
# source, path inside the archive (nested with "!/"), line and column; nothing
# else is reported; .git is skipped; formats are told by content, not name.
. "$(dirname "$0")/../lib/common.sh"
require_binary
make_fixtures --set formats
cd "$FX" || exit 1

note "scan of the whole formats/ tree"
run_pl scan --format jsonl --show-secrets formats
assert_exit 1 "findings give exit 1"
check_findings --set formats --exact
assert_py "nothing under .git/ is reported" \
	"not [f for f in findings if '/.git/' in f['source'] or f['secret'] == notes['git_secret']]"
assert_py "no per-file error on well-formed packages" "'pkgleaks: error' not in err"
assert_py "every finding has a 64-hex fingerprint of rule:secret" \
	"findings and all(f['fingerprint'] == fp(f['rule'], f['secret']) for f in findings)"
assert_py "GitHub tokens are reported by the github-pat-classic rule" \
	"all(f['rule'] == 'github-pat-classic' for f in findings if f['secret'].startswith('ghp_'))"

# One file at a time, as a user would: the source is the file as given.
while IFS=$'\t' read -r case src; do
	run_pl scan --format jsonl --show-secrets "$src"
	if [ "$RC" -ne 1 ]; then
		fail "$case: scan $src alone: exit $RC, expected 1"
		show_run
		continue
	fi
	check_findings --case "$case"
done < <("$PYTHON" -c '
import json, sys
seen = set()
for l in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(l)
    if r["set"] == "formats" and r["source"] not in seen and r["case"] not in ("kinds", "nested-outer"):
        seen.add(r["source"])
        print("%s\t%s" % (r["case"], r["source"]))
' "$FX/manifest.jsonl")

note "an archive given through a directory with a trailing slash"
run_pl scan --format jsonl --show-secrets formats/
assert_exit 1 "scan formats/ exits 1"
assert_py "sources have no '//' (scan dist/ gives dist/foo.tar.gz)" \
	"findings and not [f for f in findings if '//' in f['source']]"

note "content detection: a tar.gz named .txt, text named .whl, empty files"
run_pl scan --format json --show-secrets formats/disguised.txt formats/notzip-1.0-py3-none-any.whl formats/empty
assert_exit 1 "disguised files are scanned by content"
assert_json "both disguised secrets found, empty files are not errors" \
	"len(j['findings']) == 2 and j['errors'] == []"
run_pl scan formats/empty
assert_exit 0 "a directory of empty files is clean (exit 0)"

note "a dot-directory that is not .git is scanned"
run_pl scan --format jsonl --show-secrets formats/tree
assert_exit 1 "tree has findings"
check_findings --case tree-src --case tree-github --case tree-dotgit-lookalike --exact

note "deep .git skipping also applies when .git is given through a parent only"
mkdir -p gitonly/.git && cp formats/tree/.git/config gitonly/.git/config
run_pl scan gitonly
assert_exit 0 "a tree whose only secret is under .git/ is clean"

finish
