#!/usr/bin/env bash
# crawl and follow with a PostgreSQL store: the queue, the serial and the
# per-artifact outcomes in the other back end, and a crawl killed mid-run
# resuming there too. Skipped (77) without PostgreSQL's server binaries.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/registry.sh"
. "$(dirname "$0")/../lib/postgres.sh"
require_binary
pg_start || skip_all "$PG_ERROR"
trap 'stop_index; pg_stop; cleanup' EXIT

ROOTDIR=$TMP/registry
registry_root "$ROOTDIR"
start_index "$ROOTDIR"
cd "$TMP" || exit 1
NET=(--index-url "$IDX_URL" --retries 1 --backoff 0.05 --timeout 5 --no-progress --concurrency 2)
printf '%s\n' pkg-gz wheelpkg pkg-zip pkg-bz2 pkg-xz nest nosuchproject >projects.txt
pg_q() { pg_psql "$1" -c "$2" | tr '\n' ' ' | sed 's/ $//'; }

db=$(pg_new_db crawl)
set_faults '[{"match": "pkg-bz2-1.0.tar", "fault": "500", "times": -1}, {"match": "/files/", "fault": "slow:0.5", "times": -1}]'
"$PKGLEAKS" crawl "${NET[@]}" --db "$db" --projects projects.txt --all-versions -q >"$OUT" 2>"$ERR" &
pid=$!
sleep 2
kill -9 "$pid"
wait "$pid" 2>/dev/null
set_faults '[{"match": "pkg-bz2-1.0.tar", "fault": "500", "times": -1}]'
from=$(wc -l <"$IDX_LOG")
before=$(pg_q crawl "select url from artifacts where status = 'ok' order by url")
run_pl crawl "${NET[@]}" --db "$db" --all-versions -q
assert_exit 0 "postgresql: crawl resumed after kill -9"
assert_eq "$(pg_q crawl "select status, count(*) from queue group by status order by status")" \
	"done|5 error|2" "postgresql: 5 projects done; the missing one and the one with a failed file in error"
assert_eq "$(pg_q crawl "select project, error from queue where status = 'error' order by project")" \
	"nosuchproject|not found (HTTP 404) pkg-bz2|1 of 1 files could not be fetched whole and verified" \
	"postgresql: each project's error is kept"
assert_eq "$(pg_q crawl "select status, count(*) from artifacts group by status order by status")" \
	"error|1 ok|6" "postgresql: 6 artifacts ok, the one that kept failing in error"
again=$(log_py "sorted({r['path'].rsplit('/', 1)[1] for r in rows[$from:] if r['path'].startswith('/files/') and r['status'] == 200})")
repeated=
for u in $before; do
	case "$again" in *"'${u##*/}'"*) repeated="$repeated ${u##*/}" ;; esac
done
assert_eq "$repeated" "" "postgresql: nothing stored before the kill was fetched again"
set_faults '[]'
run_pl crawl "${NET[@]}" --db "$db" --retry-errors -q
assert_eq "$(pg_q crawl "select status, count(*) from artifacts group by status order by status")" \
	"ok|7" "postgresql: --retry-errors fetched the file that had failed"
assert_eq "$(pg_q crawl "select status, count(*) from queue group by status order by status")" \
	"done|6 error|1" "postgresql: ...and its project is done"

db=$(pg_new_db follow)
set_faults '[]'
run_pl follow "${NET[@]}" --db "$db" --once -q
publish pkg-zip-1.0.zip pkg-zip-5.0.zip
run_pl follow "${NET[@]}" --db "$db" --once -q
assert_exit 0 "postgresql: follow"
assert_eq "$(pg_q follow "select filename, status from artifacts")" "pkg-zip-5.0.zip|ok" \
	"postgresql: follow fetched the new upload only"
assert_eq "$(pg_q follow "select count(*) from meta where key like 'follow:%:serial'")" "1" \
	"postgresql: the serial is kept in the store"
finish
