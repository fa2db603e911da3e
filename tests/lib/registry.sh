# shellcheck shell=bash
# Helpers for the registry tests: the fake index (tests/registry/fake_index.py)
# on loopback, its request log, and the store. Source after common.sh.
# Nothing here touches the internet: every URL is the fake index's.

REGISTRY_DIR=$TESTS_DIR/registry
IDX_PID=
IDX_URL=
IDX_LOG=

# start_index ROOT [fake_index.py options...]: starts the index on a free port.
start_index() {
	local root=$1 portf=$TMP/index.port.$$.$RANDOM
	shift
	IDX_LOG=$TMP/index.log
	: >"$IDX_LOG"
	"$PYTHON" "$REGISTRY_DIR/fake_index.py" --root "$root" --port-file "$portf" \
		--log "$IDX_LOG" "$@" 2>"$TMP/index.err" &
	IDX_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$portf" ] && break
		sleep 0.05
	done
	if [ ! -s "$portf" ]; then
		echo "FAIL - $TEST_NAME: the fake index did not start"
		cat "$TMP/index.err"
		exit 1
	fi
	IDX_URL=http://127.0.0.1:$(cat "$portf")
	export npm_config_registry=$IDX_URL/npm
}

stop_index() {
	[ -n "$IDX_PID" ] && kill "$IDX_PID" 2>/dev/null && wait "$IDX_PID" 2>/dev/null
	IDX_PID=
}

# control PATH JSON: POSTs to the index's control API.
control() {
	"$PYTHON" - "$IDX_URL$1" "$2" <<'EOF'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method="POST",
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req, timeout=10).read().decode())
EOF
}

# set_faults JSON: replaces the index's fault list.
set_faults() { control /_control/faults "$1" >/dev/null; }

# publish FROM NEWNAME [PROJECT VERSION]: a new upload (a copy, other bytes).
publish() {
	local body
	body=$(printf '{"from": "%s", "filename": "%s"' "$1" "$2")
	[ $# -ge 4 ] && body="$body, \"project\": \"$3\", \"version\": \"$4\""
	control /_control/publish "$body}" >/dev/null
}

# log_py EXPR: a Python expression over the request log (rows: a list of dicts).
log_py() {
	"$PYTHON" -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
files = [r for r in rows if r["path"].startswith("/files/")]
print(eval(sys.argv[2]))' "$IDX_LOG" "$1"
}

# db_py DB EXPR: a Python expression over a SQLite store; q(sql) returns rows.
db_py() {
	"$PYTHON" -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
def q(sql, *a): return c.execute(sql, a).fetchall()
print(eval(sys.argv[2]))' "$1" "$2"
}

# assert_re STRING ERE DESC
assert_re() {
	if printf '%s\n' "$1" | grep -qE -- "$2"; then pass "$3"; else
		fail "$3: got '$1', expected /$2/"
		show_run
	fi
}

# assert_eq ACTUAL EXPECTED DESC
assert_eq() {
	if [ "$1" = "$2" ]; then pass "$3"; else
		fail "$3: got '$1', expected '$2'"
		show_run
	fi
}

# registry_root DIR: small PyPI and npm packages with planted secrets, made
# by make_fixtures.py, plus a second version of pkg-gz (other bytes).
registry_root() {
	local dir=$1
	make_fixtures --set formats
	mkdir -p "$dir"
	for f in pkg-gz-1.0.tar.gz wheelpkg-1.0-py3-none-any.whl pkg-zip-1.0.zip \
		pkg-bz2-1.0.tar.bz2 pkg-xz-1.0.tar.xz nest-1.0.tar.gz npmpkg-2.3.4.tgz; do
		cp "$FX/formats/$f" "$dir/"
	done
	"$PYTHON" -c '
import sys; sys.path.insert(0, sys.argv[1])
import fake_index
d = open(sys.argv[2] + "/pkg-gz-1.0.tar.gz", "rb").read()
open(sys.argv[2] + "/pkg-gz-0.9.tar.gz", "wb").write(fake_index.variant(d, "0.9"))
d = open(sys.argv[2] + "/npmpkg-2.3.4.tgz", "rb").read()
open(sys.argv[2] + "/npmpkg-2.3.3.tgz", "wb").write(fake_index.variant(d, "2.3.3"))
' "$REGISTRY_DIR" "$dir"
	touch -d '2020-01-01' "$dir/pkg-gz-0.9.tar.gz" "$dir/npmpkg-2.3.3.tgz"
}

registry_cleanup() {
	stop_index
	cleanup
}
trap registry_cleanup EXIT
