#!/usr/bin/env bash
# The findings store and the study report, the same checks against SQLite and
# against a real PostgreSQL server started here on loopback: package identity
# from metadata (sdist, wheel, npm, deb, gem), idempotent re-scans, one
# transaction per artifact (kill -9 in the middle, then resume), blob dedup
# across versions (and what it saves), raw secrets sealed with PKGLEAKS_KEY,
# the same report from both back ends, and the HTML page drawn by headless
# Chromium (screenshot saved under the build directory).
. "$(dirname "$0")/../lib/common.sh"
. "$LIB_DIR/postgres.sh"
require_binary
trap 'pg_stop; cleanup' EXIT
BUILD_DIR=$(cd "$(dirname "$PKGLEAKS")" && pwd)
NMANY=${PL_STORE_MANY:-100}

if ! pg_start; then
	fail "$PG_ERROR"
	finish
fi
note "PostgreSQL on 127.0.0.1:$PG_PORT ($PG_BIN)"
"$PYTHON" "$LIB_DIR/store_fixtures.py" "$FX" --files 2000 --many "$NMANY" ||
	{ fail "store_fixtures.py failed"; finish; }
cd "$FX" || exit 1

# new_db BACKEND NAME: a fresh, empty store; prints its --db value.
new_db() {
	if [ "$1" = sqlite ]; then
		rm -f "$TMP/$2.db" "$TMP/$2.db-wal" "$TMP/$2.db-shm"
		echo "$TMP/$2.db"
	else
		pg_new_db "$2"
	fi
}

# artifact_count BACKEND DB: rows in artifacts (0 while the schema is not there).
artifact_count() {
	if [ "$1" = sqlite ]; then
		"$PYTHON" -c 'import sqlite3, sys
try:
    print(sqlite3.connect(sys.argv[1], timeout=5).execute("SELECT COUNT(*) FROM artifacts").fetchone()[0])
except Exception:
    print(0)' "$2"
	else
		"$PG_BIN/psql" -X -q -t -A "$2" -c "SELECT COUNT(*) FROM artifacts" 2>/dev/null || echo 0
	fi
}

# MB matched, from the scan's summary line in $ERR or $OUT.
scanned_mb() { grep -hoE '[0-9.]+ MB in' "$OUT" "$ERR" | head -n 1 | cut -d' ' -f1; }

check_meta() {
	local b=$1 db
	db=$(new_db "$b" meta)
	run_pl scan --db="$db" meta
	assert_exit 1 "$b: scan --db exits 1 on findings"
	assert_contains "$ERR" "store: 6 artifacts written" "$b: six artifacts written"
	run_pl report --db="$db" --table artifacts -f json
	assert_exit 0 "$b: report --table artifacts"
	assert_py "$b: ecosystem, project, version, upload day from each format's metadata" "
all(any(a['filename'] == m['file'] and a['ecosystem'] == m['ecosystem'] and
        a['project'] == m['project'] and a['version'] == m['version'] and
        (a['upload_time'] or '')[:10] == m['upload'] and a['status'] == 'ok' and
        a['occurrences'] == 1 for a in j['artifacts'])
    for m in notes['meta']) and len(j['artifacts']) == 6"
	# The scan hashes a file as it reads it in order (tar, gzip, ar) and reads
	# again only what it skipped (zip jumps to its central directory).
	assert_py "$b: artifact keys are the files' SHA-256 (read in order or not)" "
all(a['sha256'] == __import__('hashlib').sha256(open('meta/' + a['filename'], 'rb').read()).hexdigest()
    for a in j['artifacts'])"
	# Idempotent: the same again, then forced, gives the same report.
	run_pl report --db="$db" --table artifacts --table headline --table rules -f json
	cp "$OUT" "$TMP/before.json"
	run_pl scan --db="$db" meta
	assert_exit 1 "$b: a re-scan whose blobs are all in the store still exits 1"
	assert_contains "$ERR" "store: 0 artifacts written, 6 already stored" \
		"$b: re-scan writes nothing"
	assert_py "$b: re-scan matches no blob again" \
		"re.search(r'(\d+) of \1 blobs already scanned were skipped', err)"
	run_pl scan --db="$db" --rescan meta
	assert_contains "$ERR" "store: 6 artifacts written" "$b: --rescan rewrites"
	run_pl report --db="$db" --table artifacts --table headline --table rules -f json
	if cmp -s "$OUT" "$TMP/before.json"; then pass "$b: re-scans leave the same rows"
	else fail "$b: the report changed after re-scans"; diff "$TMP/before.json" "$OUT" | head; fi
}

check_dedup() {
	local b=$1 db fresh mb_dedup mb_fresh t_dedup t_fresh
	db=$(new_db "$b" dedup)
	fresh=$(new_db "$b" fresh)
	run_pl scan -q --db="$db" versions/multi-1.0.tar.gz
	assert_exit 1 "$b: multi 1.0 scanned"
	run_pl scan --db="$db" versions/multi-1.1.tar.gz
	assert_exit 1 "$b: multi 1.1 scanned after 1.0"
	local files
	files=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["versions"]["files"])' notes.json)
	assert_contains "$ERR" "$((files - 2)) of $files blobs already scanned were skipped (1 occurrence" \
		"$b: every blob but PKG-INFO and the edited file skipped"
	mb_dedup=$(scanned_mb)
	t_dedup=$WALL
	run_pl scan --db="$fresh" versions/multi-1.1.tar.gz
	mb_fresh=$(scanned_mb)
	t_fresh=$WALL
	note "$b: blob dedup on multi 1.1 after 1.0: matched $mb_dedup MB in ${t_dedup}s," \
		"against $mb_fresh MB in ${t_fresh}s into an empty store"
	if [ "$b" = sqlite ]; then
		# Blob ids are keyed per store (docs/internals/store.md): 32 hex
		# digits, not a content hash anyone could reproduce, so the same
		# files get other ids in another store.
		assert_py "$b: blob ids are keyed per store, not SHA-256" "(
(q := lambda db, sql: __import__('sqlite3').connect(db).execute(sql).fetchall()) and
(a := {r[0] for r in q('$db', 'SELECT id FROM blobs')}) and
(f := {r[0] for r in q('$fresh', 'SELECT id FROM blobs')}) and
all(re.fullmatch('[0-9a-f]{32}', i) for i in a | f) and not a & f and
len(q('$db', \"SELECT value FROM meta WHERE key = 'blob_key'\")[0][0]) == 64 and
q('$db', \"SELECT value FROM meta WHERE key = 'blob_key'\") !=
q('$fresh', \"SELECT value FROM meta WHERE key = 'blob_key'\"))"
	fi
	run_pl report --db="$db" --table persistence --table artifacts -f json
	assert_py "$b: skipped blobs' occurrences recorded; persistence across versions" "(
(p := {r['fingerprint']: r for r in j['persistence']}) and (v := notes['versions']) and
(a := {x['version']: x for x in j['artifacts']}) and
a['1.1']['occurrences'] == 2 and a['1.0']['occurrences'] == 2 and len(p) == 3 and
p[fp('github-pat-classic', v['kept'])]['in_newest_release'] and
p[fp('github-pat-classic', v['kept'])]['first_release'] == '1.0' and
p[fp('github-pat-classic', v['kept'])]['last_release'] == '1.1' and
not p[fp('slack-bot-token', v['removed'])]['in_newest_release'] and
p[fp('stripe-secret-key', v['added'])]['first_release'] == '1.1')"
}

# kill -9 while many artifacts are written; every artifact stored is whole.
check_kill() {
	local b=$1 db pid n i
	db=$(new_db "$b" kill)
	# One worker: slow enough that the kill lands between group commits
	# (about one a second) even on a fast machine.
	"$PKGLEAKS" scan -q -j1 --max-ratio 1000000 --db="$db" many >/dev/null 2>"$TMP/kill.err" &
	pid=$!
	for i in $(seq 1 1200); do
		n=$(artifact_count "$b" "$db")
		[ "$n" -ge 1 ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	n=$(artifact_count "$b" "$db")
	if [ "$n" -gt 0 ] && [ "$n" -lt "$NMANY" ]; then
		pass "$b: killed mid-scan with $n of $NMANY artifacts committed"
	else
		fail "$b: the kill did not land mid-scan ($n of $NMANY artifacts)"
	fi
	run_pl report --db="$db" --table artifacts -f json
	assert_py "$b: no half-written artifact after kill -9" \
		"j['artifacts'] and all(a['occurrences'] == 2 and a['status'] == 'ok' for a in j['artifacts'])"
	if [ "$b" = sqlite ]; then
		assert_py "$b: integrity_check ok after the kill" \
			"__import__('sqlite3').connect('$db').execute('PRAGMA integrity_check').fetchone()[0] == 'ok'"
	fi
	run_pl scan -q -j2 --max-ratio 1000000 --db="$db" many
	assert_exit 1 "$b: the next run resumes"
	run_pl report --db="$db" --table headline -f json
	assert_json "$b: totals right after resuming" \
		"j['headline']['artifacts'] == $NMANY and j['headline']['occurrences'] == 2 * $NMANY and j['headline']['unique_secrets'] == 2 * $NMANY"
}

check_secrets() {
	local b=$1 db
	db=$(new_db "$b" secrets)
	PKGLEAKS_KEY= run_pl scan --db="$db" --store-secrets meta
	assert_exit 2 "$b: --store-secrets without PKGLEAKS_KEY is refused"
	assert_contains "$ERR" "PKGLEAKS_KEY" "$b: ...saying why"
	PKGLEAKS_KEY=first-key-for-tests run_pl scan -q --db="$db" --store-secrets meta
	assert_exit 1 "$b: --store-secrets with PKGLEAKS_KEY"
	PKGLEAKS_KEY=first-key-for-tests run_pl report --db="$db" --show-secrets --table persistence -f json
	assert_json "$b: raw values decrypt with the key" \
		"sorted(r['secret'] for r in j['persistence']) == sorted(m['secret'] for m in notes['meta'])"
	run_pl report --db="$db" --table persistence -f json
	assert_json "$b: without --show-secrets only redacted forms" \
		"all(r['secret'].endswith('\u2026') for r in j['persistence'])"
	PKGLEAKS_KEY=another-key run_pl report --db="$db" --show-secrets --table persistence
	assert_exit 2 "$b: a wrong key is refused"
	if [ "$b" = sqlite ]; then
		cat "$db"* >"$TMP/dbbytes"
	else
		"$PG_BIN/psql" -X -q -t -A "$db" -c "SELECT * FROM secrets" >"$TMP/dbbytes"
	fi
	local leaked=0 s
	for s in $("$PYTHON" -c 'import json; [print(m["secret"]) for m in json.load(open("notes.json"))["meta"]]'); do
		grep -qaF -- "$s" "$TMP/dbbytes" && leaked=$((leaked + 1))
	done
	[ "$leaked" = 0 ] && pass "$b: no raw secret in the stored bytes" ||
		fail "$b: $leaked raw secrets readable in the store"
}

# Everything scanned the same way, for the cross-back-end comparison.
report_all() {
	local b=$1 db
	db=$(new_db "$b" all)
	run_pl scan -q --db="$db" meta
	run_pl scan -q --db="$db" versions/multi-1.0.tar.gz
	run_pl scan -q --db="$db" versions/multi-1.1.tar.gz
	local args
	for args in "" "--period year" "--period quarter --ecosystem pypi" "--since 2021 --until 2022-01" \
		"--project MULTI"; do
		# shellcheck disable=SC2086
		run_pl report --db="$db" -f json --table headline --table rules --table trends \
			--table extensions --table kinds --table persistence --table artifacts $args
		"$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); d.pop("store"); print(json.dumps(d, indent=1))' \
			"$OUT" >"$TMP/report-$b-${args// /_}.json"
	done
	run_pl report --db="$db" -f csv
	cp "$OUT" "$TMP/report-$b.csv"
	run_pl report --db="$db" --period year
	sed 1d "$OUT" >"$TMP/report-$b.txt"
	echo "$db" >"$TMP/db-$b"
}

for b in sqlite postgresql; do
	note "---- $b ----"
	check_meta "$b"
	check_dedup "$b"
	check_kill "$b"
	check_secrets "$b"
	report_all "$b"
done

note "---- the same numbers from both back ends ----"
for f in "$TMP"/report-sqlite-*.json "$TMP/report-sqlite.csv" "$TMP/report-sqlite.txt"; do
	g=${f/report-sqlite/report-postgresql}
	if cmp -s "$f" "$g"; then pass "equal reports: $(basename "$f")"
	else fail "SQLite and PostgreSQL differ: $(basename "$f")"; diff "$f" "$g" | head -n 20; fi
done
run_pl report --db="$(cat "$TMP/db-sqlite")" --table headline
sed 's/^/    /' "$OUT"

note "---- command line ----"
run_pl scan --db "$TMP/space.db" meta/npmmeta.tgz
assert_exit 1 "--db PATH (with a space) takes PATH as the store"
[ -f "$TMP/space.db" ] && pass "...and creates it" || fail "--db PATH did not create PATH"
run_pl scan --store-secrets meta
assert_exit 2 "--store-secrets without --db is an error"
run_pl report --db="$TMP/missing.db"
assert_exit 2 "report on a missing SQLite file fails"
assert_contains "$ERR" "missing.db" "...naming it"
run_pl report --db="$(cat "$TMP/db-sqlite")" --since 2021-13-01
assert_exit 2 "a bad date is refused"

note "---- unit tests against PostgreSQL ----"
if [ -x "$BUILD_DIR/tests/test_store" ]; then
	url=$(pg_new_db unit)
	if PL_TEST_PG_URL=$url "$BUILD_DIR/tests/test_store" >"$TMP/unit.out" 2>&1; then
		pass "tests/unit/test_store.c on PostgreSQL"
	else
		fail "tests/unit/test_store.c on PostgreSQL"
		tail -n 20 "$TMP/unit.out" | sed 's/^/    | /'
	fi
	if grep -qE 'runtime error:|ERROR: (AddressSanitizer|LeakSanitizer)' "$TMP/unit.out"; then
		fail "sanitizer report from test_store on PostgreSQL"
		grep -E -A8 'runtime error:|ERROR: ' "$TMP/unit.out" | head -n 30 | sed 's/^/    | /'
	fi
else
	note "skip: no $BUILD_DIR/tests/test_store"
fi

note "---- the HTML page ----"
html=$TMP/report.html
run_pl report --db="$(cat "$TMP/db-sqlite")" --html "$html"
assert_exit 0 "report --html"
assert_py "the page is self-contained (no src= or href=, no script)" "(
(t := open('$html', encoding='utf-8').read()) and '<svg' in t and
not re.search(r'(src|href)\s*=|<script|@import|url\(', t))"
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
	note "skip: chromium not installed (Debian package chromium): the page was not rendered"
else
	profile=$(mktemp -d "$TMP/chromium.XXXXXX")
	shot=$BUILD_DIR/test_store_report.png
	flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
		--disable-component-update --no-first-run --user-data-dir="$profile"
		--window-size=1200,2000 --virtual-time-budget=2000)
	timeout 120 "$chromium" "${flags[@]}" --dump-dom "file://$html" >"$TMP/dom.html" 2>"$TMP/chromium.err"
	assert_py "Chromium's DOM has the drawn charts (bars in the trend and path-kind charts)" "(
(d := open('$TMP/dom.html', encoding='utf-8').read()) is not None and
(trend := re.search(r'<svg id=\"trend-chart\".*?</svg>', d, re.S)) and
(kind := re.search(r'<svg id=\"kind-chart\".*?</svg>', d, re.S)) and trend.group(0).count('class=\"bar\"') >= 3 and kind.group(0).count('class=\"bar\"') >= 2)"
	rm -f "$shot"
	timeout 120 "$chromium" "${flags[@]}" --screenshot="$shot" "file://$html" >/dev/null 2>>"$TMP/chromium.err"
	assert_py "the screenshot is a PNG with something drawn" "(
(b := open('$shot', 'rb').read()) is not None and b[:8] == b'\x89PNG\r\n\x1a\n' and len(b) > 20000)"
	note "screenshot: $shot"
fi

note "---- the corpus ----"
if [ -d "$CORPUS/packages" ]; then
	for b in sqlite postgresql; do
		db=$(new_db "$b" corpus)
		run_pl scan -q --db="$db" "$CORPUS/packages"
		assert_exit 1 "$b: corpus scanned into the store"
		run_pl report --db="$db" -f json
		"$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); d.pop("store"); print(json.dumps(d, indent=1))' \
			"$OUT" >"$TMP/corpus-$b.json"
	done
	cmp -s "$TMP/corpus-sqlite.json" "$TMP/corpus-postgresql.json" &&
		pass "corpus: the same report from SQLite and PostgreSQL" ||
		fail "corpus: SQLite and PostgreSQL reports differ"
	run_pl report --db="$TMP/corpus.db" --table headline
	sed 's/^/    /' "$OUT"
else
	note "skip: no corpus at $CORPUS"
fi

finish
