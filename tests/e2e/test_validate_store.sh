#!/usr/bin/env bash
# `pkgleaks validate --db` (issue 6), the same checks on SQLite and on a real
# PostgreSQL started here on loopback (skipped without its server binaries):
# secrets stored by `scan --db --store-secrets` are checked again against the
# fake issuer (tests/validators/fake_issuer.py, which counts and asserts every
# request); a secret stored without its raw value is listed as not checked;
# each answer is recorded with its time; --older-than 7d right after sends
# nothing, --older-than 0s checks again; --limit, --rule; the key is needed
# and must be the right one; secrets are printed redacted only; the report
# counts each secret by its newest check and shows how long after it was
# first seen it was last found valid. Fake secrets are made at run time;
# nothing leaves loopback.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB_DIR/postgres.sh"
require_binary
mkdir -p "$FX"
cd "$FX" || exit 1

# Fixtures: pkg 1.0 (uploaded 2019-06-01) holds three GitHub tokens (two the
# fake says valid, one invalid), stored with their raw values; other 2.0
# holds a fourth, stored without.
"$PYTHON" - "$FX" "$LIB_DIR" <<'PY' || { fail "fixtures"; finish; }
import io, json, os, random, sys, tarfile, calendar
sys.path.insert(0, sys.argv[2])
import fakesecrets as fs
out = sys.argv[1]
rng = random.SystemRandom()
toks = [fs.github(rng) for _ in range(4)]
verdicts = ["valid", "invalid", "valid", "valid"]
json.dump({"credentials": {f"github:{t}": v for t, v in zip(toks, verdicts)}},
          open(os.path.join(out, "table.json"), "w"))
json.dump({"tokens": toks, "verdicts": verdicts}, open(os.path.join(out, "notes.json"), "w"))
def tgz(name, member, text, when):
    data = text.encode()
    with tarfile.open(os.path.join(out, name), "w:gz") as t:
        ti = tarfile.TarInfo(member); ti.size = len(data); ti.mtime = when
        t.addfile(ti, io.BytesIO(data))
t2019 = calendar.timegm((2019, 6, 1, 0, 0, 0))
tgz("pkg-1.0.tar.gz", "pkg-1.0/settings.py",
    "".join(f"GITHUB_TOKEN_{i} = '{t}'\n" for i, t in enumerate(toks[:3])), t2019)
tgz("other-2.0.tar.gz", "other-2.0/ci.py", f"TOKEN = '{toks[3]}'\n", calendar.timegm((2021, 1, 1, 0, 0, 0)))
PY
TOKENS=$("$PYTHON" -c 'import json; print(" ".join(json.load(open("notes.json"))["tokens"]))')

"$PYTHON" "$TESTS_DIR/validators/fake_issuer.py" --table "$FX/table.json" --log "$TMP/fake.log" \
	--port-file "$TMP/port" >"$TMP/fake.out" 2>&1 &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; pg_stop; cleanup' EXIT
for _ in $(seq 1 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
[ -s "$TMP/port" ] || { fail "fake issuer did not start"; cat "$TMP/fake.out"; finish; }
export PKGLEAKS_VALIDATE_LOOPBACK_ONLY=1 PKGLEAKS_CACHE_DIR=$TMP/cache
export PKGLEAKS_GITHUB_URL=http://127.0.0.1:$(cat "$TMP/port")/github
KEY=validate-store-test-key
# assert_eq ACTUAL EXPECTED DESC
assert_eq() {
	if [ "$1" = "$2" ]; then pass "$3"; else
		fail "$3: got '$1', expected '$2'"
		show_run
	fi
}
requests() { [ -f "$TMP/fake.log" ] && wc -l <"$TMP/fake.log" | tr -d ' ' || echo 0; }

# db_rows BACKEND DB SQL: the rows, one per line, columns joined by '|'.
db_rows() {
	if [ "$1" = sqlite ]; then
		"$PYTHON" -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for r in c.execute(sys.argv[2]).fetchall():
    print("|".join("" if v is None else str(v) for v in r))
c.commit()' "$2" "$3"
	else
		"$PG_BIN/psql" -X -q -t -A "$2" -c "$3"
	fi
}

# No raw secret on stdout or stderr of the last run.
assert_redacted() {
	local t leaked=
	for t in $TOKENS; do
		grep -qF -- "$t" "$OUT" "$ERR" && leaked=1
	done
	[ -z "$leaked" ] && pass "$1: no secret printed in full" || fail "$1: a secret printed in full"
}

check_backend() {
	local b=$1 db=$2 before t0 t1
	PKGLEAKS_KEY=$KEY run_pl scan --db="$db" --store-secrets -q "$FX/pkg-1.0.tar.gz"
	assert_exit 1 "$b: scan --store-secrets"
	run_pl scan --db="$db" -q "$FX/other-2.0.tar.gz"
	assert_exit 1 "$b: scan without --store-secrets"

	# The key: needed, and the right one.
	before=$(requests)
	run_pl validate --db="$db"
	assert_exit 2 "$b: without PKGLEAKS_KEY"
	assert_contains "$ERR" "PKGLEAKS_KEY" "$b: ...says the key is needed"
	PKGLEAKS_KEY=wrong-key run_pl validate --db="$db"
	assert_exit 2 "$b: with another key"
	assert_eq "$(requests)" "$before" "$b: ...and nothing was sent"

	t0=$(date +%s)
	PKGLEAKS_KEY=$KEY run_pl validate --db="$db"
	t1=$(date +%s)
	assert_exit 1 "$b: validate (a secret is valid)"
	assert_eq "$(( $(requests) - before ))" 3 "$b: one request per stored raw value"
	assert_eq "$(grep -c '^valid  *github-pat-classic  *ghp_…  *[0-9a-f]\{12\}  login=octo-test' "$OUT")" 2 \
		"$b: two valid lines, with what the issuer said"
	assert_match "$OUT" '^invalid +github-pat-classic +ghp_… +[0-9a-f]{12}$' "$b: an invalid line"
	assert_match "$OUT" '^not checked +github-pat-classic +ghp_… +[0-9a-f]{12} +\(raw value not stored\)$' \
		"$b: the secret stored without its raw value: not checked"
	assert_match "$OUT" 'first seen 2019-06-01, still valid after [0-9.]+ years' \
		"$b: valid lines say how long after first seen"
	assert_contains "$ERR" "4 secrets selected: 3 checked (2 valid, 1 invalid, 0 unknown), 1 not checked; 3 requests sent" \
		"$b: the summary"
	assert_redacted "$b: validate"
	cp "$OUT" "$TMP/first-$b"
	assert_eq "$(db_rows "$b" "$db" "SELECT status, COUNT(*) FROM validations GROUP BY status ORDER BY status" | tr '\n' ' ')" \
		"invalid|1 valid|2 " "$b: each answer recorded"
	assert_eq "$(db_rows "$b" "$db" "SELECT COUNT(*) FROM validations WHERE checked_at < $t0 OR checked_at > $t1")" 0 \
		"$b: ...with the time of the check"

	# Checked just now: --older-than 7d sends nothing.
	before=$(requests)
	PKGLEAKS_KEY=$KEY run_pl validate --db="$db" --older-than 7d
	assert_exit 0 "$b: --older-than 7d (nothing valid checked)"
	assert_eq "$(requests)" "$before" "$b: --older-than 7d right after: no request"
	assert_contains "$ERR" "1 secret selected: 0 checked" "$b: ...only the never-checked secret selected"
	assert_eq "$(db_rows "$b" "$db" "SELECT COUNT(*) FROM validations")" 3 "$b: ...and nothing recorded"

	# --older-than 0s: everything again (the cache file is not consulted).
	sleep 1
	t0=$(date +%s)
	PKGLEAKS_KEY=$KEY run_pl validate --db="$db" --older-than 0s -q
	assert_exit 1 "$b: --older-than 0s"
	assert_eq "$(( $(requests) - before ))" 3 "$b: --older-than 0s checks again"
	[ -s "$OUT" ] && fail "$b: -q printed per-secret lines" || pass "$b: -q prints only the summary"
	assert_eq "$(db_rows "$b" "$db" "SELECT COUNT(*) FROM validations")" 6 "$b: ...and records the new checks"
	assert_eq "$(db_rows "$b" "$db" "SELECT COUNT(*) FROM validations WHERE checked_at >= $t0")" 3 \
		"$b: ...each with its own time"

	# --limit picks the longest unchecked; --rule filters.
	before=$(requests)
	PKGLEAKS_KEY=$KEY run_pl validate --db="$db" --older-than 0s --limit 1
	assert_eq "$(( $(requests) - before ))" 1 "$b: --limit 1: one request"
	PKGLEAKS_KEY=$KEY run_pl validate --db="$db" --rule no-such-rule
	assert_exit 0 "$b: --rule with no secret"
	assert_contains "$ERR" "0 secrets selected" "$b: ...selects none"
	assert_eq "$(( $(requests) - before ))" 1 "$b: ...and sends nothing"
	run_pl validate --db="$db" --older-than 7x
	assert_exit 2 "$b: a malformed duration"

	# The report: each secret counted by its newest check; "still valid after".
	run_pl report --db="$db" --table headline --table persistence -f json
	assert_json "$b: report headline: 2 valid, 1 invalid, 1 unchecked" \
		"(h := j['headline'])['valid'] == 2 and h['invalid'] == 1 and h['unchecked'] == 1"
	assert_json "$b: report persistence: still valid after (first seen 2019-06-01)" \
		"sorted(r['still_valid_after_days'] is not None and r['still_valid_after_days'] > 365 and
		   r['first_seen'] == '2019-06-01T00:00:00Z' for r in j['persistence']) == [False, False, True, True]"
	run_pl report --db="$db" --table persistence
	assert_match "$OUT" 'STILL VALID AFTER' "$b: the text report has the column"
	assert_match "$OUT" ' [0-9]+\.[0-9] years$' "$b: ...in years"
	# A newer check saying invalid wins over the older valid ones.
	db_rows "$b" "$db" "INSERT INTO validations (secret_id, checked_at, status, detail)
		SELECT s.id, $(($(date +%s) + 60)), 'invalid', 'revoked' FROM secrets s
		WHERE s.id = (SELECT MIN(v.secret_id) FROM validations v WHERE v.status = 'valid')" >/dev/null
	run_pl report --db="$db" --table headline -f json
	assert_json "$b: the newest check decides: 1 valid, 2 invalid" \
		"j['headline']['valid'] == 1 and j['headline']['invalid'] == 2"
}

check_backend sqlite "$TMP/v.db"
if pg_start; then
	note "PostgreSQL on 127.0.0.1:$PG_PORT ($PG_BIN)"
	check_backend postgresql "$(pg_new_db validate)"
	cmp -s "$TMP/first-sqlite" "$TMP/first-postgresql" &&
		pass "SQLite and PostgreSQL: the same validate output" ||
		{ fail "the back ends' validate output differs"; diff "$TMP/first-sqlite" "$TMP/first-postgresql" | head; }
else
	note "skip PostgreSQL: $PG_ERROR"
fi
"$PYTHON" - "$TMP/fake.log" <<'PY' >"$TMP/asserts" 2>&1
import json, sys
bad = [r for r in (json.loads(l) for l in open(sys.argv[1])) if r["errors"]]
for r in bad: print(r)
sys.exit(1 if bad else 0)
PY
[ $? = 0 ] && pass "the fake issuer found every request exactly right ($(requests) requests)" ||
	{ fail "requests the fake issuer rejected"; head -n 5 "$TMP/asserts" | sed 's/^/    | /'; }
finish
