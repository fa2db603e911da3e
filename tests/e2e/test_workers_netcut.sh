#!/usr/bin/env bash
# Workers ride out a PostgreSQL outage (issue 7): while several `pkgleaks
# worker` processes drain a queue of real packages, each item holding its
# transaction open for a moment, the server is stopped and started again on
# the same port. Twice: a fast stop for 3 s, shorter than the lease (the
# items in flight are scanned again under the same lease), and an immediate
# stop (a crash, recovered at start) for longer than the lease (leases run
# out while the server is away and are sent back or renewed when it
# returns). The workers must survive: log the outage (store_error) and the
# recovery (reconnected) as JSON lines, retry with backoff and exit 0 once
# the queue is drained. After each: every artifact done and stored exactly
# once, the findings equal one `pkgleaks scan` of the same files, no
# occurrence twice, and no item left leased past its lease at any time
# after the restart. Last, one worker frozen (SIGSTOP) with an item's
# transaction open: the item goes to another worker, nothing twice.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB_DIR/postgres.sh"
. "$LIB_DIR/registry.sh"
. "$LIB_DIR/workers.sh"
require_binary
trap 'stop_workers; pg_stop; cleanup' EXIT

if ! pg_start; then
	fail "$PG_ERROR"
	finish
fi
note "PostgreSQL on 127.0.0.1:$PG_PORT ($PG_BIN)"
workers_packages
workers_baseline

# stuck_leases: items leased past their lease by more than a heartbeat
# (LEASE/3) and a second: nothing sent them back.
stuck_leases() {
	q "$DB" "SELECT COUNT(*) FROM work WHERE status = 'leased' AND lease_until <
		CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS BIGINT) - $((LEASE / 3 + 1))"
}

# outage NAME MODE SECONDS: three workers (four slots) drain a new queue of
# the packages; once 10 items are done, PostgreSQL is stopped (MODE) for
# SECONDS, then started again; then the checks.
outage() {
	local name=$1 mode=$2 down=$3 i stuck=0 n
	DB=$(pg_new_db "$name")
	run_pl queue add --db "$DB" --mirror "$PKGS"
	assert_exit 0 "$name: queue add --mirror ($NGOOD items)"
	# Each item holds its transaction open 0.3 s: the stop lands in one.
	for i in 1 2 3; do
		PKGLEAKS_TEST_WORKER_DELAY=0.3 worker "$name-w$i" "-j$((i == 3 ? 2 : 1))"
	done
	wait_for 120 at_least_done 10 || fail "$name: the workers made no progress"
	n=$(q "$DB" "SELECT COUNT(*) FILTER (WHERE status = 'done') || ' items done, ' ||
		COUNT(*) FILTER (WHERE status = 'leased') || ' leased' FROM work")
	if pg_down "$mode"; then
		pass "$name: PostgreSQL stopped ($mode) mid-run, $n"
	else
		fail "$name: pg_ctl stop -m $mode"
	fi
	sleep "$down"
	if pg_ctl_start; then
		pass "$name: PostgreSQL started again on the same port after $down s"
	else
		fail "$name: PostgreSQL did not start again: $(tail -n 3 "$PG_DIR/server.log")"
	fi
	# From one heartbeat after the restart on, nothing may stay leased past
	# its lease: sampled until the workers are done.
	sleep $((LEASE / 3 + 1))
	while kill -0 "${WPIDS[0]}" 2>/dev/null || kill -0 "${WPIDS[1]}" 2>/dev/null ||
		kill -0 "${WPIDS[2]}" 2>/dev/null; do
		n=$(stuck_leases)
		[ "${n:-0}" -gt 0 ] && stuck=$n
		sleep 0.3
	done
	assert_eq "$stuck" 0 "$name: no item stayed leased past its lease after the restart"
	for i in 1 2 3; do
		worker_exits_0 120 "${WPIDS[$((i - 1))]}" "$name-w$i" \
			"$name: worker w$i rode out the outage and exited 0"
	done
	WPIDS=()

	run_pl queue status --db "$DB" -f json
	assert_json "$name: status: nothing queued or leased, $NGOOD done, none failed" \
		"j['queued'] == 0 and j['leased'] == 0 and j['done'] == $NGOOD and j['failed'] == 0"
	assert_eq "$(q "$DB" "SELECT COUNT(*), COUNT(DISTINCT filename) FROM artifacts WHERE status IN ('ok', 'partial')")" \
		"$NGOOD|$NGOOD" "$name: every package stored once as an artifact"
	same_as_baseline "$DB" \
		"$name: the store holds exactly the baseline's $(wc -l <"$TMP/expected.tsv") occurrences"
	assert_eq "$(q "$DB" "SELECT COUNT(*) FROM (SELECT 1 FROM occurrences GROUP BY artifact_id,
		secret_id, blob, path, line, col, encoding HAVING COUNT(*) > 1) d")" 0 \
		"$name: no occurrence stored twice"
	"$PYTHON" - "$NGOOD" "$TMP/$name"-w[123].log >"$TMP/$name.check" <<'EOF'
import collections, json, sys
done, workers = collections.Counter(), {}
for path in sys.argv[2:]:
    events = [json.loads(l) for l in open(path)]
    done.update(e["item"] for e in events if e["event"] == "done")
    kinds = [e["event"] for e in events]
    last_error = max((i for i, k in enumerate(kinds) if k == "store_error"), default=-1)
    back = [e for e in events[last_error + 1:] if e["event"] == "reconnected"]
    workers[path] = last_error >= 0 and back and all(e["seconds"] >= 0 for e in back)
print("once", len(done) == int(sys.argv[1]) and set(done.values()) == {1})
print("survived", all(workers.values()))
EOF
	assert_contains "$TMP/$name.check" "once True" "$name: every item done exactly once, by one worker (logs)"
	assert_contains "$TMP/$name.check" "survived True" \
		"$name: each worker logged store_error, then reconnected (JSON lines)"
}

LEASE=8
outage fast fast 3
LEASE=4
outage crash immediate 8

# ---- one worker cut off in the middle of an item's transaction ----
# SIGSTOP: a frozen machine, or a network partition, with its transaction
# open and the item's row locked. The server ends a session idle in a
# transaction after 3 s (docs/scale.md: idle_in_transaction_session_timeout
# for the workers' role), which drops the lock; the lease runs out, another
# worker does the item, and the cut-off worker, back, writes nothing.
LEASE=4
DB=$(pg_new_db cut)
q "$DB" "ALTER DATABASE cut SET idle_in_transaction_session_timeout = '3s'" >/dev/null
run_pl queue add --db "$DB" --mirror "$PKGS"
PKGLEAKS_TEST_WORKER_DELAY=2 worker cut-victim -j1
VICTIM=$LAST_PID
wait_for 30 logged cut-victim '"event":"claim"' || fail "cut: the victim claimed nothing"
sleep 1
kill -STOP "$VICTIM"
worker cut-other -j2
worker_exits_0 120 "$LAST_PID" cut-other "cut: another worker drained the queue around the frozen one"
kill -CONT "$VICTIM"
worker_exits_0 60 "$VICTIM" cut-victim "cut: the frozen worker, resumed, exited 0"
WPIDS=()
run_pl queue status --db "$DB" -f json
assert_json "cut: status: nothing queued or leased, $NGOOD done" \
	"j['queued'] == 0 and j['leased'] == 0 and j['done'] == $NGOOD and j['failed'] == 0"
same_as_baseline "$DB" "cut: the store holds exactly the baseline's occurrences"
"$PYTHON" - "$TMP/cut-victim.log" "$TMP/cut-other.log" >"$TMP/cut.check" <<'EOF'
import json, sys
victim = [json.loads(l) for l in open(sys.argv[1])]
other = [json.loads(l) for l in open(sys.argv[2])]
item = next(e["item"] for e in victim if e["event"] == "claim")
print("lost", any(e["event"] == "lost" and e["item"] == item for e in victim))
print("redone", [e["item"] for e in other if e["event"] == "done"].count(item) == 1)
EOF
assert_contains "$TMP/cut.check" "lost True" "cut: the frozen worker's item was lost to it (nothing written)"
assert_contains "$TMP/cut.check" "redone True" "cut: ...and done once by the other worker"

no_sanitizer_reports
finish
