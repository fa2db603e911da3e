# shellcheck shell=bash
# Helpers for the end-to-end tests (tests/e2e/test_*.sh). Source it first:
#     . "$(dirname "$0")/../lib/common.sh"
# Environment: PKGLEAKS (the binary), TESTS_DIR (tests/), CORPUS (../shared/corpus;
# may be absent: corpus tests then exit 77, which meson counts as skipped).
# Every check prints "ok - ..." or "FAIL - ..."; `finish` exits 1 if any failed.
# PL_KEEP_TMP=1 keeps the temporary directory for a post-mortem.

set -u
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTS_DIR=$(cd "${TESTS_DIR:-$LIB_DIR/..}" && pwd)
ROOT=$(cd "$TESTS_DIR/.." && pwd)
PKGLEAKS=${PKGLEAKS:-$ROOT/build/pkgleaks}
case $PKGLEAKS in /*) ;; *) PKGLEAKS=$PWD/$PKGLEAKS ;; esac
CORPUS=${CORPUS:-$ROOT/../shared/corpus}
[ -d "$CORPUS" ] && CORPUS=$(cd "$CORPUS" && pwd)
# Debian's python3 has the modules deps.sh installs (jsonschema, yaml).
PYTHON=${PYTHON:-$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)}
TEST_NAME=$(basename "$0" .sh)
MEM_CAP_KB=${MEM_CAP_KB:-262144}        # 256 MiB
export LC_ALL=C.UTF-8
unset NO_COLOR CLICOLOR_FORCE

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pkgleaks-$TEST_NAME.XXXXXX")
OUT=$TMP/stdout
ERR=$TMP/stderr
FX=$TMP/fx
RC=0
WALL=0
RSS_KB=
FAILS=0
CHECKS=0

cleanup() {
	if [ "${PL_KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $TMP"
	else
		chmod -R u+rwX "$TMP" 2>/dev/null
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT

pass() { CHECKS=$((CHECKS + 1)); echo "ok - $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL - $*"; }
note() { echo "# $*"; }
skip_all() { echo "SKIP: $TEST_NAME: $*"; exit 77; }

finish() {
	if [ -s "$TMP/timings" ]; then
		echo "# slowest pkgleaks runs (s):"
		sort -rn "$TMP/timings" | head -n 3 | cut -c1-160 | sed 's/^/#   /'
	fi
	echo "# $TEST_NAME: $CHECKS checks, $FAILS failed"
	[ "$FAILS" -eq 0 ] || exit 1
	exit 0
}

require_binary() {
	if [ ! -x "$PKGLEAKS" ]; then
		echo "FAIL - $TEST_NAME: no pkgleaks binary at $PKGLEAKS (run make)"
		exit 1
	fi
}

require_corpus() {
	[ -f "$CORPUS/truth.jsonl" ] && [ -d "$CORPUS/packages" ] ||
		skip_all "corpus not found at $CORPUS"
}

# True when the binary was built with AddressSanitizer (memory caps then do not apply).
is_asan() {
	if [ -z "${_PL_ASAN:-}" ]; then
		if [ "${PKGLEAKS_SANITIZED:-0}" = 1 ] || grep -aq -e __asan_init -e __asan_report "$PKGLEAKS" 2>/dev/null ||
			{ command -v ldd >/dev/null && ldd "$PKGLEAKS" 2>/dev/null | grep -q libasan; }; then
			_PL_ASAN=1
		else
			_PL_ASAN=0
		fi
	fi
	[ "$_PL_ASAN" = 1 ]
}

have_time() { [ -x /usr/bin/time ]; }

# run_pl ARGS...: runs $PKGLEAKS ARGS in the current directory.
#   stdin from $PL_STDIN (default /dev/null), timeout $PL_TIMEOUT s (default 120).
#   Sets RC, WALL (seconds), RSS_KB (peak, empty without /usr/bin/time); stdout
#   in $OUT, stderr in $ERR. A crash, hang or sanitizer report is a failure.
run_pl() {
	local t0 t1 rssf=$TMP/rss
	rm -f "$rssf"
	t0=$(date +%s.%N)
	if have_time; then
		/usr/bin/time -f %M -o "$rssf" timeout -k 5 "${PL_TIMEOUT:-120}" "$PKGLEAKS" "$@" \
			<"${PL_STDIN:-/dev/null}" >"$OUT" 2>"$ERR"
		RC=$?
		RSS_KB=$(grep -E '^[0-9]+$' "$rssf" 2>/dev/null | tail -n 1)
	else
		timeout -k 5 "${PL_TIMEOUT:-120}" "$PKGLEAKS" "$@" \
			<"${PL_STDIN:-/dev/null}" >"$OUT" 2>"$ERR"
		RC=$?
		RSS_KB=
	fi
	t1=$(date +%s.%N)
	WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	printf '%s\t%s\n' "$WALL" "$*" >>"$TMP/timings"
	check_sane "pkgleaks $*"
}

# A crash, hang or sanitizer report in the last run is a failure.
check_sane() {
	if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then
		fail "$1: timed out after ${PL_TIMEOUT:-120} s (hang)"
	elif [ "$RC" -ge 128 ]; then
		fail "$1: killed by signal $((RC - 128)) (crash)"
		tail -n 20 "$ERR" | sed 's/^/    | /'
	fi
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|UndefinedBehaviorSanitizer|ThreadSanitizer' "$ERR"; then
		fail "$1: sanitizer report"
		grep -E -A12 'ERROR: |runtime error:' "$ERR" | head -n 40 | sed 's/^/    | /'
	fi
}

show_run() {
	echo "    exit $RC; stdout:"
	head -n "${1:-15}" "$OUT" | sed 's/^/    | /'
	echo "    stderr:"
	head -n "${1:-15}" "$ERR" | sed 's/^/    | /'
}

# assert_exit EXPECTED DESC: EXPECTED may be "0|1".
assert_exit() {
	local want=$1
	shift
	case "|$want|" in
	*"|$RC|"*) pass "$* (exit $RC)" ;;
	*) fail "$*: exit $RC, expected $want"; show_run ;;
	esac
}

# assert_contains FILE STRING DESC / assert_not_contains FILE STRING DESC (fixed strings)
assert_contains() {
	if grep -qF -- "$2" "$1"; then pass "$3"; else
		fail "$3: '$2' not in $(basename "$1")"
		show_run
	fi
}
assert_not_contains() {
	if grep -qF -- "$2" "$1"; then
		fail "$3: '$2' found in $(basename "$1")"
		grep -nF -- "$2" "$1" | head -n 5 | sed 's/^/    | /'
	else pass "$3"; fi
}
# assert_match FILE ERE DESC
assert_match() {
	if grep -qE -- "$2" "$1"; then pass "$3"; else
		fail "$3: /$2/ not in $(basename "$1")"
		show_run
	fi
}

# assert_py DESC EXPR: a Python expression over the last run (see lib/check.py).
assert_py() {
	local desc=$1 msg
	shift
	if msg=$("$PYTHON" "$LIB_DIR/check.py" expr --out "$OUT" --err "$ERR" --fx "$FX" "$1" 2>&1); then
		pass "$desc"
	else
		fail "$desc"
		printf '%s\n' "$msg"
	fi
}
# assert_json DESC EXPR: same, and stdout must parse as JSON (or JSON lines).
assert_json() {
	assert_py "$1" "(j is not None or rows is not None) and ($2)"
}

# check_findings ARGS...: lib/check.py findings on the last run's stdout.
check_findings() {
	local n
	"$PYTHON" "$LIB_DIR/check.py" findings --out "$OUT" --err "$ERR" --fx "$FX" "$@" >"$TMP/cf" 2>&1
	n=$?
	cat "$TMP/cf"
	CHECKS=$((CHECKS + $(grep -cE '^(ok|FAIL) - ' "$TMP/cf")))
	FAILS=$((FAILS + $(grep -cE '^FAIL - ' "$TMP/cf")))
	[ "$n" -lt 128 ] || fail "check.py crashed"
}

# assert_mem DESC: peak RSS of the last run under $MEM_CAP_KB (skipped under ASan
# or without /usr/bin/time).
assert_mem() {
	if [ -z "$RSS_KB" ]; then
		note "skip memory check ($1): /usr/bin/time not available"
	elif is_asan; then
		note "skip memory check ($1): ASan build (peak ${RSS_KB} KB)"
	elif [ "$RSS_KB" -lt "$MEM_CAP_KB" ]; then
		pass "$1: peak RSS $((RSS_KB / 1024)) MB < $((MEM_CAP_KB / 1024)) MB"
	else
		fail "$1: peak RSS $((RSS_KB / 1024)) MB >= $((MEM_CAP_KB / 1024)) MB"
	fi
}

# assert_wall MAX DESC: wall time of the last run under MAX seconds (tripled under ASan).
assert_wall() {
	local max=$1
	is_asan && max=$((max * 3))
	if awk -v w="$WALL" -v m="$max" 'BEGIN { exit !(w < m) }'; then
		pass "$2: ${WALL} s < ${max} s"
	else
		fail "$2: ${WALL} s >= ${max} s"
	fi
}

# make_fixtures [--set formats|hostile|all] [--bombs]: generates into $FX.
make_fixtures() {
	"$PYTHON" "$LIB_DIR/make_fixtures.py" "$FX" "$@" || {
		echo "FAIL - $TEST_NAME: make_fixtures.py failed"
		exit 1
	}
}

# fake_secret KIND: github | github_bad | aws_id | slack_bot | stripe
fake_secret() { "$PYTHON" "$LIB_DIR/fakesecrets.py" "$1"; }

# The manifest row field of a case: manifest CASE FIELD
manifest() {
	"$PYTHON" - "$FX/manifest.jsonl" "$1" "$2" <<'EOF'
import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(l)
    if r["case"] == sys.argv[2]:
        print(r[sys.argv[3]])
        break
EOF
}
# A value from notes.json: notes KEY
notes() { "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$FX/notes.json" "$1"; }

# The summary line: N secrets (M occurrences) in F files with findings; S files scanned, E errors, X MB in T s
SUMMARY_RE='^[0-9]+ secrets? \([0-9]+ occurrences?\) in [0-9]+ files? with findings; [0-9]+ files? scanned, [0-9]+ errors?, [0-9.]+ [KMG]?i?B in [0-9.]+ ?s$'
