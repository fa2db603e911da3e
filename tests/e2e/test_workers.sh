#!/usr/bin/env bash
# Scale-out (issue 7) against a real PostgreSQL server started here on
# loopback: several `pkgleaks worker` processes drain a work queue of real
# packages (the corpus, else generated ones); every artifact is stored
# exactly once and the findings equal one `pkgleaks scan` of the same files.
# Faults on the way: a worker killed with -9 in the middle of an item (its
# transaction open), PostgreSQL stopped for a few seconds and started again,
# an artifact that always fails (corrupt) and one that cannot be opened
# (removed): nothing lost, nothing twice, the failing ones parked with their
# errors. Then SIGTERM (finish, or give back after --grace), the registry
# path (queue add --projects / --pypi-all through the fake index, downloads
# verified), and 1, 2 and 4 workers on the same queue, printed as ratios
# (measured, never asserted; bench/workers.sh measures the same).
. "$(dirname "$0")/../lib/common.sh"
. "$LIB_DIR/postgres.sh"
. "$LIB_DIR/registry.sh"
. "$LIB_DIR/workers.sh"
require_binary
trap 'stop_workers; stop_index; pg_stop; cleanup' EXIT

if ! pg_start; then
	fail "$PG_ERROR"
	finish
fi
note "PostgreSQL on 127.0.0.1:$PG_PORT ($PG_BIN)"

# ---- packages: the corpus, else generated ones ----
workers_packages
# Always fails: a gzip header, then garbage.
printf '\037\213\010\000\000\000\000\000\000\003this is not deflate data at all, not at all' \
	>"$PKGS/zz-corrupt-1.0.tar.gz"
# Listed, then removed: it cannot be opened.
echo "gone" >"$PKGS/zz-missing-1.0.tar.gz"
workers_baseline

# ---- 0. the queue's statements, on this server (tests/unit/test_work.c) ----
UNIT=$(dirname "$PKGLEAKS")/tests/test_work
if [ -x "$UNIT" ]; then
	if PL_TEST_PG_URL=$(pg_new_db unit) "$UNIT" >"$TMP/unit.log" 2>&1; then
		pass "tests/unit/test_work.c on PostgreSQL (claims, tokens, retries, expiry, status)"
	else
		fail "tests/unit/test_work.c on PostgreSQL"
		head -n 20 "$TMP/unit.log"
	fi
else
	note "skip: no $UNIT"
fi

# ---- 1. N workers drain the queue through faults ----
DB=$(pg_new_db workers)
run_pl queue add --db "$DB" --mirror "$PKGS"
assert_exit 0 "queue add --mirror"
assert_contains "$ERR" "$((NGOOD + 2)) new items queued" "one item per file"
run_pl queue add --db "$DB" --mirror "$PKGS"
assert_contains "$ERR" "0 new items queued" "adding the mirror again queues nothing (unique)"
rm "$PKGS/zz-missing-1.0.tar.gz"

# The victim holds its first item's transaction open for 60 s: killed there.
PKGLEAKS_TEST_WORKER_DELAY=60 worker victim -j1
VICTIM=$LAST_PID
if wait_for 30 logged victim '"event":"claim"'; then
	pass "the victim claimed an item"
else
	fail "the victim claimed nothing"
	cat "$TMP/victim.log"
fi
VICTIM_ITEM=$("$PYTHON" -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "claim":
        print(e["item"]); break' "$TMP/victim.log")
sleep 0.5
kill -9 "$VICTIM"
wait "$VICTIM" 2>/dev/null
note "killed the victim (-9) in the middle of item $VICTIM_ITEM"
# Three workers, slowed down a little so that the restart lands mid-run.
for i in 1 2 3; do
	PKGLEAKS_TEST_WORKER_DELAY=0.2 worker "w$i" -j1
	eval "W$i=\$LAST_PID"
done
wait_for 120 at_least_done 5 || fail "the workers made no progress"
if pg_restart 3; then
	pass "PostgreSQL stopped mid-run for 3 s, then started again ($(done_count) items done at the stop)"
else
	fail "PostgreSQL did not restart"
fi
for i in 1 2 3; do
	eval "pid=\$W$i"
	worker_exits_0 300 "$pid" "w$i" "worker w$i drained the queue and exited 0"
done
WPIDS=()

run_pl queue status --db "$DB" -f json
assert_exit 0 "queue status"
assert_json "status: nothing queued or leased, $NGOOD done, 2 failed" \
	"j['queued'] == 0 and j['leased'] == 0 and j['done'] == $NGOOD and j['failed'] == 2"
assert_json "status: the workers listed (the killed one too), with what they did" \
	"len(j['workers']) == 4 and sum(w['done'] for w in j['workers']) == $NGOOD and sum(w['state'] == 'stopped' for w in j['workers']) == 3"
run_pl queue status --db "$DB"
assert_match "$OUT" '^rate +[0-9.]+ items/min' "status (text): rate per minute"
assert_match "$OUT" '^ETA ' "status (text): ETA"
assert_match "$OUT" '^worker +state +jobs' "status (text): per worker"

same_as_baseline "$DB" \
	"findings: the store holds exactly the baseline's $(wc -l <"$TMP/expected.tsv") occurrences (fingerprints and locations), none twice"
assert_eq "$(q "$DB" "SELECT COUNT(*) FROM artifacts WHERE status IN ('ok', 'partial')")" "$NGOOD" \
	"every good package stored once as an artifact"
# Each done item was completed by exactly one worker, once (the logs).
cat "$TMP"/w[123].log >"$TMP/all.log"
"$PYTHON" - "$TMP/all.log" "$NGOOD" "$VICTIM_ITEM" >"$TMP/logcheck" <<'EOF'
import collections, json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
ok = all({"ts", "level", "event", "worker"} <= set(e) for e in events)
done = collections.Counter(e["item"] for e in events if e["event"] == "done")
print("json", ok)
print("once", len(done) == int(sys.argv[2]) and set(done.values()) == {1})
print("victim", int(sys.argv[3]) in done if sys.argv[3] else False)
print("expired", sum(e.get("count", 0) for e in events if e["event"] == "expired") >= 1)
print("store", any(e["event"] == "store_error" for e in events) and
      any(e["event"] == "reconnected" for e in events))
print("progress", any(e["event"] == "progress" and "per_minute" in e["totals"] for e in events))
print("parked", sorted(e["file"] for e in events if e["event"] == "parked"))
EOF
assert_contains "$TMP/logcheck" "json True" "logs: every line a JSON object with ts, level, event, worker"
assert_contains "$TMP/logcheck" "once True" "logs: every item done exactly once, by one worker"
assert_contains "$TMP/logcheck" "victim True" "the killed worker's item went back and was done by another"
assert_contains "$TMP/logcheck" "expired True" "its lease expired and the heartbeat sent it back"
assert_contains "$TMP/logcheck" "store True" "the restart was seen (store_error) and survived (reconnected)"
assert_contains "$TMP/logcheck" "progress True" "progress events with the rate"
assert_contains "$TMP/logcheck" "parked ['zz-corrupt-1.0.tar.gz', 'zz-missing-1.0.tar.gz']" \
	"the two bad files parked"
assert_eq "$(q "$DB" "SELECT COUNT(*) FROM work WHERE id = $VICTIM_ITEM AND status = 'done' AND attempts >= 2")" 1 \
	"the victim's item: done on a later attempt"

run_pl queue failed --db "$DB" -f json
assert_exit 0 "queue failed"
assert_json "failed: both parked after 3 attempts, with their errors" \
	"sorted((f['filename'], f['attempts']) for f in j['failed']) == [('zz-corrupt-1.0.tar.gz', 3), ('zz-missing-1.0.tar.gz', 3)] and all(f['error'] for f in j['failed'])"
assert_json "failed: the missing file says why" \
	"any('No such file' in f['error'] or 'cannot open' in f['error'] for f in j['failed'] if f['filename'] == 'zz-missing-1.0.tar.gz')"
run_pl queue failed --db "$DB"
assert_match "$OUT" 'zz-corrupt-1\.0\.tar\.gz	3 attempts	' "failed (text): a line per item"
id=$(q "$DB" "SELECT id FROM work WHERE filename = 'zz-corrupt-1.0.tar.gz'")
run_pl queue retry --db "$DB" "$id"
assert_contains "$ERR" "1 failed item queued again" "queue retry ID"
assert_eq "$(q "$DB" "SELECT status || ' ' || attempts FROM work WHERE id = $id")" "queued 0" \
	"retried: queued with its attempts reset"
run_pl queue retry --db "$DB"
assert_contains "$ERR" "1 failed item queued again" "queue retry (all)"
run_pl worker --db "$DB" --exit-when-empty --retry-delay 0 --idle 0.2 --max-attempts 2 -j2
assert_exit 0 "a worker on the retried items"
assert_eq "$(q "$DB" "SELECT COUNT(*) FROM work WHERE status = 'failed' AND attempts = 2")" 2 \
	"they fail again and are parked after --max-attempts 2"

# ---- 2. SIGTERM: finish the item in flight; or give it back after --grace ----
mkdir -p "$TMP/three"
head -n 3 "$GOOD" | xargs -I{} cp {} "$TMP/three/"
DB=$(pg_new_db sigterm)
run_pl queue add --db "$DB" --mirror "$TMP/three"
PKGLEAKS_TEST_WORKER_DELAY=2 worker term -j1 --grace 30 --health-file "$TMP/health.json"
wait_for 30 logged term '"event":"claim"' || fail "SIGTERM: nothing claimed"
kill -TERM "$LAST_PID"
wait_exit 60 "$LAST_PID"
assert_eq "$WRC" 0 "SIGTERM: the worker finishes its item and exits 0"
assert_eq "$(q "$DB" "SELECT status, COUNT(*) FROM work GROUP BY status ORDER BY status" | tr '\n' ' ')" \
	"done|1 queued|2 " "SIGTERM: the item in flight done, nothing else claimed"
assert_contains "$TMP/term.log" '"event":"stopping"' "SIGTERM: logged"
assert_eq "$("$PYTHON" -c 'import json, sys; h = json.load(open(sys.argv[1])); print(h["state"], h["store"], h["done"])' "$TMP/health.json")" \
	"stopped True 1" "the health file: state, store reachable, items done"
PKGLEAKS_TEST_WORKER_DELAY=30@scan worker grace -j1 --grace 1
wait_for 30 logged grace '"event":"claim"' || fail "grace: nothing claimed"
kill -TERM "$LAST_PID"
wait_exit 30 "$LAST_PID"
assert_eq "$WRC" 2 "grace over: the worker gives its item back and exits 2"
assert_contains "$TMP/grace.log" '"event":"released"' "grace over: released (logged)"
assert_eq "$(q "$DB" "SELECT status, COUNT(*) FROM work GROUP BY status ORDER BY status" | tr '\n' ' ')" \
	"done|1 queued|2 " "grace over: the item is queued again, nothing written"
WPIDS=()

# ---- 3. registry items: listed through the fake index, downloaded, verified ----
ROOTDIR=$TMP/registry
registry_root "$ROOTDIR"
start_index "$ROOTDIR" --pypi-all
DB=$(pg_new_db registry)
printf 'pkg-gz\nwheelpkg\n' >"$TMP/projects.txt"
NET=(--index-url "$IDX_URL" --retries 1 --backoff 0.05 --timeout 5)
run_pl queue add --db "$DB" --projects "$TMP/projects.txt" "${NET[@]}"
assert_exit 0 "queue add --projects (fake index)"
assert_contains "$ERR" "3 files listed, 3 new items queued" \
	"every release of the two projects (pkg-gz 0.9 and 1.0, the wheel)"
nfiles=$(ls "$ROOTDIR" | wc -l)
run_pl queue add --db "$DB" --pypi-all "${NET[@]}"
assert_exit 0 "queue add --pypi-all"
assert_contains "$ERR" "$((nfiles - 3)) new items queued" "--pypi-all adds only the files not queued yet"
assert_eq "$(q "$DB" "SELECT COUNT(*) FROM work WHERE key LIKE 'sha256:%' AND url LIKE 'http://127.0.0.1:%'")" \
	"$nfiles" "items keyed by the index's SHA-256, with their URL"
set_faults '[{"match": "pkg-xz-1.0.tar.xz", "fault": "404", "times": -1}]'
run_pl worker --db "$DB" --exit-when-empty --retry-delay 0 --idle 0.2 -j2 "${NET[@]}" --log-format json
assert_exit 0 "workers download and scan the registry items"
assert_eq "$(q "$DB" "SELECT COUNT(*) FROM artifacts WHERE status = 'ok' AND url IS NOT NULL AND project <> ''")" \
	"$((nfiles - 1))" "each download stored with its URL and project from the index"
assert_eq "$(q "$DB" "SELECT filename || ' ' || attempts FROM work WHERE status = 'failed'")" \
	"pkg-xz-1.0.tar.xz 3" "the file the index answers 404 for is parked after 3 attempts"
assert_eq "$(q "$DB" "SELECT COUNT(*) FROM work WHERE status = 'failed' AND error LIKE '%404%'")" 1 \
	"...with the HTTP error"
# After a rules update one would requeue what is done: --rescan. Stored
# downloads are then done without being fetched again (same rules here).
nget=$(log_py 'len(files)')
publish pkg-gz-1.0.tar.gz pkg-gz-1.1.tar.gz pkg-gz 1.1
run_pl queue add --db "$DB" --projects "$TMP/projects.txt" "${NET[@]}"
assert_contains "$ERR" "1 file listed, 1 new item queued" \
	"queue add --projects again: the projects are read again, only the new release is new"
run_pl queue add --db "$DB" --resume "${NET[@]}"
assert_contains "$ERR" "0 files listed" "queue add --resume: nothing left from an interrupted run"
run_pl worker --db "$DB" --exit-when-empty --idle 0.2 -j2 "${NET[@]}"
assert_exit 0 "the new release is scanned"
nget=$(log_py 'len(files)')
run_pl queue add --db "$DB" --projects "$TMP/projects.txt" --rescan "${NET[@]}"
assert_contains "$ERR" "4 files listed, 4 new items queued" "queue add --rescan: done items queued again"
run_pl worker --db "$DB" --exit-when-empty --idle 0.2 -j2 "${NET[@]}" --log-format json
assert_eq "$(grep -c '"status":"stored"' "$ERR")" 4 "the worker finds them stored under these rules"
assert_eq "$(log_py 'len(files)')" "$nget" "...and downloads nothing again"
# --follow: the first poll notes where the index is, the next queues what is new.
run_pl queue add --db "$DB" --follow --once "${NET[@]}"
assert_exit 0 "queue add --follow: first poll"
assert_contains "$ERR" "0 files listed" "queue add --follow: starts from now"
publish wheelpkg-1.0-py3-none-any.whl wheelpkg-2.0-py3-none-any.whl
run_pl queue add --db "$DB" --follow --once "${NET[@]}"
assert_contains "$ERR" "1 file listed, 1 new item queued" "queue add --follow: the new upload queued"
run_pl worker --db "$DB" --exit-when-empty --idle 0.2 -j1 "${NET[@]}"
assert_eq "$(q "$DB" "SELECT status FROM work WHERE filename = 'wheelpkg-2.0-py3-none-any.whl'")" \
	done "...and scanned"
stop_index

# ---- 4. throughput: 1, 2 and 4 workers on the same queue (ratios, not asserted) ----
# Copies of the packages with other bytes, scanned with --rescan so that no
# run skips a blob another one matched: every run does the same work.
scaling() {
	local n=$1 i t0 t1 db
	db=$(pg_new_db "scale$n")
	"$PKGLEAKS" queue add -q --db "$db" --mirror "$TMP/scale" || return 1
	t0=$(date +%s.%N)
	WPIDS=()
	for i in $(seq 1 "$n"); do
		"$PKGLEAKS" worker --db "$db" --exit-when-empty --idle 0.1 --rescan -j1 \
			2>"$TMP/scale$n-$i.log" &
		WPIDS+=($!)
	done
	for i in "${WPIDS[@]}"; do wait "$i"; done
	WPIDS=()
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
nscale=$("$PYTHON" "$LIB_DIR/make_copies.py" "$TMP/scale" "${PL_SCALE_COPIES:-3}" $(cat "$GOOD"))
t1=$(scaling 1)
t2=$(scaling 2)
t4=$(scaling 4)
note "throughput on $(nproc) cores, $nscale packages ($(du -sh "$TMP/scale" | cut -f1)):" \
	"1 worker ${t1}s, 2 workers ${t2}s, 4 workers ${t4}s"
note "speed-up: 2 workers $(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", a / b }')x," \
	"4 workers $(awk -v a="$t1" -v b="$t4" 'BEGIN { printf "%.2f", a / b }')x (measured, not asserted)"
for n in 1 2 4; do
	assert_eq "$(q "$PG_URL_BASE/scale$n" "SELECT COUNT(*) FROM work WHERE status = 'done'")" \
		"$nscale" "$n worker(s): every item done"
done

# The background workers' own stderr: no sanitizer report in any of them.
no_sanitizer_reports
finish
