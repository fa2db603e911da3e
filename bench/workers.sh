#!/usr/bin/env bash
# Scale-out figures (issue 7), printed with the commands that made them:
#   1. throughput of 1, 2 and 4 worker processes (-j1 each) draining the same
#      queue: COPIES copies of the corpus with other bytes (tests/lib/
#      make_copies.py), --rescan so that every run matches every blob; wall
#      time, the workers' CPU, and the machine's (PostgreSQL runs here too);
#   2. the queue's own cost per artifact: 1000 tiny items drained by one
#      worker (-j1): claim + commit as the worker measures them, and wall
#      time against `pkgleaks scan --db` of the same files into PostgreSQL.
# PostgreSQL is a throw-away server on loopback (tests/lib/postgres.sh).
#     bench/workers.sh [BUILD_DIR] [COPIES]      (defaults: build, 3)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
COPIES=${2:-3}
PKGLEAKS=$BUILD/pkgleaks
CORPUS=${CORPUS:-$ROOT/../shared/corpus}/packages
PYTHON=${PYTHON:-python3}
export LC_ALL=C.UTF-8
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pkgleaks-bench-workers.XXXXXX")
. "$ROOT/tests/lib/postgres.sh"
trap 'pg_stop; rm -rf "$TMP"' EXIT
[ -x "$PKGLEAKS" ] || { echo "no $PKGLEAKS (run make)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
# Commits cost what they cost in production: fsync on (PG_FSYNC=off to compare).
export PG_FSYNC=${PG_FSYNC:-on}
pg_start || { echo "PostgreSQL: $PG_ERROR"; exit 1; }
echo "# pkgleaks $("$PKGLEAKS" version), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL fsync=$PG_FSYNC"

# Busy and total jiffies of the whole machine (/proc/stat).
cpu_now() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }
hz=$(getconf CLK_TCK)

# drain N EXTRA...: N worker processes on $DB until it is empty; prints
# "wall workers_cpu machine_cpu" (seconds).
drain() {
	local n=$1 i t0 t1 c0 c1 pids=()
	shift
	c0=$(cpu_now)
	t0=$(date +%s.%N)
	for i in $(seq 1 "$n"); do
		/usr/bin/time -f "%U %S" -o "$TMP/cpu.$i" "$PKGLEAKS" worker --db "$DB" --exit-when-empty \
			--idle 0.1 "$@" 2>"$TMP/worker.$i.log" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	t1=$(date +%s.%N)
	c1=$(cpu_now)
	local wcpu
	wcpu=$(cat "$TMP"/cpu.[0-9]* | awk '{ s += $1 + $2 } END { print s }')
	rm -f "$TMP"/cpu.[0-9]*
	echo "$t0 $t1 $wcpu $c0 $c1" | awk -v hz="$hz" '{ printf "%.2f %.2f %.2f\n", $2 - $1, $3, ($6 - $4) / hz }'
}

echo
echo "## 1. throughput: 1, 2 and 4 workers on one queue"
n=$("$PYTHON" "$ROOT/tests/lib/make_copies.py" "$TMP/copies" "$COPIES" $(find "$CORPUS" -type f))
echo "items: $n package files, $(du -sh "$TMP/copies" | cut -f1) ($COPIES copies of the corpus, other bytes)"
printf '%-34s %8s %8s %12s %12s\n' "run" "wall s" "speed-up" "workers CPU" "machine CPU"
base=
for spec in "1 -j1" "2 -j1" "4 -j1" "1 -j2" "1 -j4"; do
	set -- $spec
	DB=$(pg_new_db "scale_$1_${2#-j}")
	"$PKGLEAKS" queue add -q --db "$DB" --mirror "$TMP/copies"
	read -r wall wcpu mcpu < <(drain "$1" "$2" --rescan)
	[ -n "$base" ] || base=$wall
	printf '%-34s %8s %7.2fx %11ss %11ss\n' "$1 process(es), worker $2 --rescan" "$wall" \
		"$(awk -v a="$base" -v b="$wall" 'BEGIN { print a / b }')" "$wcpu" "$mcpu"
done
echo "(\$ pkgleaks queue add --db URL --mirror DIR; N x pkgleaks worker --db URL --exit-when-empty -jJ --rescan)"
echo "machine CPU - workers CPU is PostgreSQL's (and the system's): it shares these $(nproc) cores."

echo
echo "## 2. the queue's cost per artifact: 1000 tiny items, one worker -j1"
mkdir -p "$TMP/tiny"
for i in $(seq 1 1000); do printf 'value_%d = %d\n' "$i" "$i" >"$TMP/tiny/t$i.py"; done
DB=$(pg_new_db tiny)
"$PKGLEAKS" queue add -q --db "$DB" --mirror "$TMP/tiny"
read -r wall wcpu mcpu < <(drain 1 -j1 --log-format json)
per=$(grep '"event":"stop"' "$TMP/worker.1.log" | "$PYTHON" -c 'import json, sys
t = json.loads(sys.stdin.readline())["totals"]
print("%.2f" % t["queue_ms_per_item"])')
DB2=$(pg_new_db tinyscan)
/usr/bin/time -f "%e" -o "$TMP/scan.t" "$PKGLEAKS" scan -q -j1 --db "$DB2" "$TMP/tiny" >/dev/null 2>&1
scanwall=$(tail -n 1 "$TMP/scan.t")
echo "\$ pkgleaks worker --db URL --exit-when-empty -j1   (1000 items)"
echo "  wall $wall s: $(awk -v w="$wall" 'BEGIN { printf "%.2f", w }') ms per item all in"
echo "  claim + commit, as the worker measures them: $per ms per item (mean)"
echo "\$ pkgleaks scan -j1 --db URL DIR   (the same 1000 files, group commits)"
echo "  wall $scanwall s"
echo "  queue overhead by difference: $(awk -v w="$wall" -v s="$scanwall" 'BEGIN { printf "%.2f", (w - s) }') ms per item"
