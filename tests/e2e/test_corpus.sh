#!/usr/bin/env bash
# Detection quality on ../shared/corpus: recall on the plain category >= 95%
# and no decoy reported (scripts/score_corpus.py). Skipped without the corpus.
. "$(dirname "$0")/../lib/common.sh"
require_corpus
require_binary

note "scoring $CORPUS with $PKGLEAKS"
"$PYTHON" "$ROOT/scripts/score_corpus.py" --pkgleaks "$PKGLEAKS" --corpus "$CORPUS" -j2 \
	--min-plain-recall 0.95 --json-out "$TMP/score.json" >"$TMP/score.txt" 2>&1
rc=$?
cat "$TMP/score.txt"
if [ "$rc" -ge 2 ]; then
	fail "score_corpus.py could not run (exit $rc)"
	finish
fi
read -r recall decoys <<<"$("$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.3f %d" % (d["plain_recall"], d["decoys_reported"]))' "$TMP/score.json")"
if awk -v r="$recall" 'BEGIN { exit !(r >= 0.95) }'; then
	pass "plain-category recall $recall >= 0.95"
else
	fail "plain-category recall $recall < 0.95 (misses listed above)"
fi
if [ "$decoys" -eq 0 ]; then pass "no decoy reported"; else fail "$decoys decoys reported (listed above)"; fi

note "the same scan as one JSON report: no crash, no per-file errors on real packages"
run_pl scan --format json -j2 "$CORPUS/packages"
assert_exit "0|1" "corpus scan exits 0 or 1"
assert_json "no per-file errors on the corpus" "j['errors'] == []"
assert_json "every corpus archive was scanned" \
	"j['summary']['files'] >= $(find "$CORPUS/packages" -type f | wc -l)"
assert_mem "whole corpus"
finish
