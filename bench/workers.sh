#!/usr/bin/env bash
# Scale-out figures (issue 7), printed with the commands that made them:
#   1. throughput of 1, 2 and 4 worker processes (-j1 each), and of one
#      process with -j2 and -j4, draining the same queue: COPIES copies of
#      the corpus with other bytes (tests/lib/make_copies.py), --rescan so
#      that every run matches every blob. Each run RUNS times: the best wall
#      time (the run least disturbed by other jobs on the machine) with its
#      CPU: the workers' (GNU time) and PostgreSQL's (its process tree, from
#      /proc), and the load average when it ended. CPU per item does not
#      depend on what else runs: if it stays flat from 1 to 4 workers, the
#      queue adds no contention and the speed-up is bounded by free cores.
#   2. the queue's own cost per artifact: 1000 tiny items drained by one
#      worker (-j1), against `pkgleaks scan -j1 --db` of the same files into
#      PostgreSQL (group commits, no queue): claim + commit as the worker
#      measures them (wall, ms per item), and the difference in CPU (worker
#      plus PostgreSQL) per item, which load does not inflate.
# PostgreSQL is a throw-away server on loopback (tests/lib/postgres.sh), with
# fsync on (PG_FSYNC=off to compare).
#     bench/workers.sh [BUILD_DIR] [COPIES] [RUNS]      (defaults: build, 3, 3)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
COPIES=${2:-3}
RUNS=${3:-3}
PKGLEAKS=$BUILD/pkgleaks
CORPUS=${CORPUS:-$ROOT/../shared/corpus}/packages
PYTHON=${PYTHON:-python3}
export LC_ALL=C.UTF-8
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pkgleaks-bench-workers.XXXXXX")
. "$ROOT/tests/lib/postgres.sh"
trap 'pg_stop; rm -rf "$TMP"' EXIT
[ -x "$PKGLEAKS" ] || { echo "no $PKGLEAKS (run make)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
export PG_FSYNC=${PG_FSYNC:-on}
pg_start || { echo "PostgreSQL: $PG_ERROR"; exit 1; }
echo "# pkgleaks $("$PKGLEAKS" version), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL fsync=$PG_FSYNC"
hz=$(getconf CLK_TCK)

# pg_cpu: CPU jiffies of the server so far: the postmaster's own and its
# reaped children's (backends that ended), plus its live children's.
pg_cpu() {
	local pm c s
	pm=$(head -n 1 "$PG_DIR/data/postmaster.pid")
	s=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat")
	for c in $(ps --ppid "$pm" -o pid=); do
		s=$((s + $(awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || echo 0)))
	done
	echo "$s"
}

load1() { cut -d' ' -f1 /proc/loadavg; }

# drain N EXTRA...: N worker processes on $DB until it is empty; prints
# "wall workers_cpu pg_cpu load" (seconds; the 1-minute load at the end).
drain() {
	local n=$1 i t0 t1 p0 p1 wcpu pids=()
	shift
	p0=$(pg_cpu)
	t0=$(date +%s.%N)
	for i in $(seq 1 "$n"); do
		/usr/bin/time -f "%U %S" -o "$TMP/cpu.$i" "$PKGLEAKS" worker --db "$DB" --exit-when-empty \
			--idle 0.1 "$@" 2>"$TMP/worker.$i.log" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	t1=$(date +%s.%N)
	p1=$(pg_cpu)
	wcpu=$(cat "$TMP"/cpu.[0-9]* | awk '{ s += $1 + $2 } END { print s }')
	rm -f "$TMP"/cpu.[0-9]*
	awk -v a="$t0" -v b="$t1" -v w="$wcpu" -v p0="$p0" -v p1="$p1" -v hz="$hz" -v l="$(load1)" \
		'BEGIN { printf "%.2f %.2f %.2f %s\n", b - a, w, (p1 - p0) / hz, l }'
}

echo
echo "## 1. throughput: 1, 2 and 4 workers on one queue (best wall of $RUNS runs each)"
n=$("$PYTHON" "$ROOT/tests/lib/make_copies.py" "$TMP/copies" "$COPIES" $(find "$CORPUS" -type f))
echo "items: $n package files, $(du -sh "$TMP/copies" | cut -f1) ($COPIES copies of the corpus, other bytes)"
printf '%-30s %7s %8s %10s %10s %12s %6s\n' "run" "wall s" "speed-up" "workers s" "postgres s" "CPU ms/item" "load"
base=
for spec in "1 -j1" "2 -j1" "4 -j1" "1 -j2" "1 -j4"; do
	set -- $spec
	best=
	for r in $(seq 1 "$RUNS"); do
		DB=$(pg_new_db "scale_$1_${2#-j}_$r")
		"$PKGLEAKS" queue add -q --db "$DB" --mirror "$TMP/copies"
		line=$(drain "$1" "$2" --rescan)
		if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
			best=$line
		fi
	done
	read -r wall wcpu pcpu load <<<"$best"
	[ -n "$base" ] || base=$wall
	printf '%-30s %7s %7.2fx %10s %10s %12.2f %6s\n' "$1 process(es), worker $2" "$wall" \
		"$(awk -v a="$base" -v b="$wall" 'BEGIN { print a / b }')" "$wcpu" "$pcpu" \
		"$(awk -v w="$wcpu" -v p="$pcpu" -v n="$n" 'BEGIN { print (w + p) * 1000 / n }')" "$load"
done
echo "(\$ pkgleaks queue add --db URL --mirror DIR; N x pkgleaks worker --db URL --exit-when-empty -jJ --rescan)"
echo "postgres s: the server's CPU (it shares these $(nproc) cores); CPU ms/item: workers + postgres, per item"

echo
echo "## 2. the queue's cost per artifact: 1000 tiny items, one worker -j1 (best of $RUNS)"
mkdir -p "$TMP/tiny"
for i in $(seq 1 1000); do printf 'value_%d = %d\n' "$i" "$i" >"$TMP/tiny/t$i.py"; done
wbest=
sbest=
for r in $(seq 1 "$RUNS"); do
	DB=$(pg_new_db "tiny$r")
	"$PKGLEAKS" queue add -q --db "$DB" --mirror "$TMP/tiny"
	line=$(drain 1 -j1 --log-format json)
	per=$(grep '"event":"stop"' "$TMP/worker.1.log" | "$PYTHON" -c 'import json, sys
print("%.2f" % json.loads(sys.stdin.readline())["totals"]["queue_ms_per_item"])')
	line="$line $per"
	if [ -z "$wbest" ] || awk -v a="${line%% *}" -v b="${wbest%% *}" 'BEGIN { exit !(a < b) }'; then
		wbest=$line
	fi
	DB2=$(pg_new_db "tinyscan$r")
	p0=$(pg_cpu)
	/usr/bin/time -f "%e %U %S" -o "$TMP/scan.t" "$PKGLEAKS" scan -q -j1 --db "$DB2" "$TMP/tiny" >/dev/null 2>&1
	p1=$(pg_cpu)
	line=$(awk -v p0="$p0" -v p1="$p1" -v hz="$hz" -v l="$(load1)" \
		'{ printf "%.2f %.2f %.2f %s\n", $1, $2 + $3, (p1 - p0) / hz, l }' "$TMP/scan.t")
	if [ -z "$sbest" ] || awk -v a="${line%% *}" -v b="${sbest%% *}" 'BEGIN { exit !(a < b) }'; then
		sbest=$line
	fi
done
read -r wall wcpu pcpu load per <<<"$wbest"
read -r swall scpu spcpu sload <<<"$sbest"
echo "\$ pkgleaks worker --db URL --exit-when-empty -j1   (1000 items, load $load)"
echo "  wall $wall s ($(awk -v w="$wall" 'BEGIN { printf "%.2f", w }') ms per item all in); CPU: worker $wcpu s, postgres $pcpu s"
echo "  claim + commit, as the worker measures them (wall): $per ms per item (mean)"
echo "\$ pkgleaks scan -j1 --db URL DIR   (the same 1000 files, group commits; load $sload)"
echo "  wall $swall s; CPU: scan $scpu s, postgres $spcpu s"
awk -v w="$wall" -v s="$swall" -v a="$wcpu" -v b="$pcpu" -v c="$scpu" -v d="$spcpu" 'BEGIN {
	printf "queue overhead per item: %.2f ms of wall, %.2f ms of CPU (%.2f worker, %.2f postgres)\n",
		w - s, (a + b) - (c + d), a - c, b - d }'
