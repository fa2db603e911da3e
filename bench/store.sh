#!/usr/bin/env bash
# The findings store's figures (issue 4), printed with the commands that made
# them:
#   1. the report on the corpus scanned into SQLite and into PostgreSQL (the
#      same numbers from both);
#   2. scan time of the corpus with --db against without it (median of N runs,
#      wall and CPU; a fresh store each run);
#   3. what blob dedup saves on a multi-version set: versions of the corpus's
#      biggest package, each with one file edited;
#   4. the same for a second version of every tar package of the corpus
#      (version 2 into a store holding version 1, into an empty one, and
#      without a store);
#   5. a blob-heavy first scan: COPIES (default 6) copies of the corpus's tar
#      and zip packages with every member changed, so no blob repeats; the
#      store's CPU per blob.
# PostgreSQL is a throw-away server on loopback (tests/lib/postgres.sh).
#     bench/store.sh [BUILD_DIR] [RUNS]      (defaults: build, 7)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
RUNS=${2:-7}
PKGLEAKS=$BUILD/pkgleaks
CORPUS=${CORPUS:-$ROOT/../shared/corpus}/packages
PYTHON=${PYTHON:-python3}
export LC_ALL=C.UTF-8
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pkgleaks-bench-store.XXXXXX")
. "$ROOT/tests/lib/postgres.sh"
trap 'pg_stop; rm -rf "$TMP"' EXIT
[ -x "$PKGLEAKS" ] || { echo "no $PKGLEAKS (run make)"; exit 1; }
[ -d "$CORPUS" ] || { echo "no corpus at $CORPUS"; exit 1; }
pg_start || { echo "PostgreSQL: $PG_ERROR"; exit 1; }
echo "# pkgleaks $("$PKGLEAKS" version), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# run_timed OUT ERR CMD...: runs CMD (stdout to OUT, stderr to ERR) and
# writes "wall user sys" to $TMP/one, in milliseconds from bash's rusage
# (/usr/bin/time rounds to 10 ms: 5% of a scan of the corpus).
run_timed() {
	local out=$1 err=$2 TIMEFORMAT='%3R %3U %3S'
	shift 2
	{ time "$@" >"$out" 2>"$err"; } 2>"$TMP/one"
}
# timed LABEL CMD...: appends "wall cpu" of one run to $TMP/t.LABEL.
timed() {
	local label=$1
	shift
	run_timed /dev/null "$TMP/err" "$@"
	wall_cpu >>"$TMP/t.$label"
}
# "wall cpu" of the last run_timed.
wall_cpu() { tail -n 1 "$TMP/one" | awk '{ printf "%s %.3f\n", $1, $2 + $3 }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
stat_of() { # stat_of LABEL COLUMN: median of a column
	awk -v c="$2" '{ print $c }' "$TMP/t.$1" | median
}
fresh_sqlite() { rm -f "$TMP/s.db" "$TMP/s.db-wal" "$TMP/s.db-shm"; echo "$TMP/s.db"; }

echo
echo "## 1. the corpus report, SQLite and PostgreSQL"
sq=$(fresh_sqlite)
pg=$(pg_new_db corpus)
echo "\$ pkgleaks scan -q --db=$sq $CORPUS"
"$PKGLEAKS" scan -q --db="$sq" "$CORPUS" >/dev/null
echo "\$ pkgleaks scan -q --db=$pg $CORPUS"
"$PKGLEAKS" scan -q --db="$pg" "$CORPUS" >/dev/null
report_json() {
	"$PKGLEAKS" report --db="$1" -f json --table headline --table rules --table trends \
		--table extensions --table kinds --table persistence --table artifacts |
		"$PYTHON" -c 'import json, sys; d = json.load(sys.stdin); d.pop("store"); print(json.dumps(d, indent=1))'
}
report_json "$sq" >"$TMP/report-sqlite.json"
report_json "$pg" >"$TMP/report-postgresql.json"
if cmp -s "$TMP/report-sqlite.json" "$TMP/report-postgresql.json"; then
	echo "same report from both back ends (every table, JSON compared)"
else
	echo "THE REPORTS DIFFER:"
	diff "$TMP/report-sqlite.json" "$TMP/report-postgresql.json" | head -n 20
fi
echo "\$ pkgleaks report --db=$pg --period year"
"$PKGLEAKS" report --db="$pg" --period year

echo "## 2. scan time with the store against without ($RUNS runs each, interleaved; median)"
# Empty stores with the schema already there (it is made once per store):
# a SQLite file copied, a PostgreSQL database made from a template.
mkdir -p "$TMP/none"
"$PKGLEAKS" scan -q --db="$TMP/empty.db" "$TMP/none" >/dev/null
tmpl=$(pg_new_db tmpl)
"$PKGLEAKS" scan -q --db="$tmpl" "$TMP/none" >/dev/null
migrated_sqlite() { fresh_sqlite >/dev/null; cp "$TMP/empty.db" "$TMP/s.db"; echo "$TMP/s.db"; }
migrated_pg() {
	pg_psql postgres -c "DROP DATABASE IF EXISTS timing" -c "CREATE DATABASE timing TEMPLATE tmpl" >/dev/null &&
		echo "$PG_URL_BASE/timing"
}
rm -f "$TMP"/t.*
for i in $(seq 1 "$RUNS"); do
	timed none "$PKGLEAKS" scan -q "$CORPUS"
	timed sqlite "$PKGLEAKS" scan -q --db="$(migrated_sqlite)" "$CORPUS"
	timed postgresql "$PKGLEAKS" scan -q --db="$(migrated_pg)" "$CORPUS"
	timed new-sqlite "$PKGLEAKS" scan -q --db="$(fresh_sqlite)" "$CORPUS"
	timed new-postgresql "$PKGLEAKS" scan -q --db="$(pg_new_db timing)" "$CORPUS"
	timed rescan-sqlite "$PKGLEAKS" scan -q --db="$TMP/s.db" "$CORPUS"
done
base_w=$(stat_of none 1)
base_c=$(stat_of none 2)
printf '%-36s %8s %8s %10s %10s\n' "command" "wall s" "cpu s" "wall +%" "cpu +%"
for l in none sqlite postgresql new-sqlite new-postgresql rescan-sqlite; do
	case $l in
	none) cmd="pkgleaks scan -q CORPUS" ;;
	sqlite) cmd="... --db=empty.db" ;;
	postgresql) cmd="... --db=postgresql://.../empty" ;;
	new-sqlite) cmd="... --db=new.db (schema made)" ;;
	new-postgresql) cmd="... --db=postgresql://.../new (same)" ;;
	rescan-sqlite) cmd="... --db=full.db (all stored)" ;;
	esac
	w=$(stat_of "$l" 1)
	c=$(stat_of "$l" 2)
	printf '%-36s %8s %8s %9.0f%% %9.0f%%\n' "$cmd" "$w" "$c" \
		"$(awk -v a="$w" -v b="$base_w" 'BEGIN { print (a / b - 1) * 100 }')" \
		"$(awk -v a="$c" -v b="$base_c" 'BEGIN { print (a / b - 1) * 100 }')"
done
echo "(CPU is the client's; the PostgreSQL server's own time is not counted)"

echo
echo "## 3. blob dedup across versions"
big=$(ls -S "$CORPUS"/*/* | head -n 1)
echo "versions of $(basename "$big"), each with one file edited:"
"$PYTHON" - "$big" "$TMP/versions" <<'EOF'
import gzip, io, os, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
members = []
with tarfile.open(src) as tf:
    for m in tf.getmembers():
        members.append((m, tf.extractfile(m).read() if m.isfile() else None))
files = [i for i, (m, d) in enumerate(members) if d is not None and len(d) > 1000]
base = os.path.basename(src).rsplit("-", 1)[0]
for v in range(5):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w") as tf:
        for i, (m, d) in enumerate(members):
            if d is not None and i == files[v % len(files)] and v:
                d = d + (b"\n// edited in version %d\n" % v)
            if d is not None:
                m.size = len(d)
                tf.addfile(m, io.BytesIO(d))
            else:
                tf.addfile(m)
    name = "%s/%s-9.0.%d.tgz" % (out, base, v)
    open(name, "wb").write(gzip.compress(bio.getvalue(), mtime=0))
    print("  " + os.path.basename(name))
EOF
dedup=$(fresh_sqlite)
rm -f "$TMP"/t.*
for f in "$TMP"/versions/*; do
	if [ "$f" = "$(ls "$TMP"/versions/* | head -n 1)" ]; then
		"$PKGLEAKS" scan -q --db="$dedup" "$f" >/dev/null
		continue
	fi
	run_timed "$TMP/out" "$TMP/err" "$PKGLEAKS" scan --db="$dedup" "$f"
	wall_cpu >>"$TMP/t.dedup"
	grep -o '[0-9]* of [0-9]* blobs' "$TMP/err" >>"$TMP/blobs"
	grep -oE '[0-9.]+ MB in' "$TMP/out" | cut -d' ' -f1 >>"$TMP/mb.dedup"
	rm -f "$TMP/f.db"*
	run_timed "$TMP/out" "$TMP/err" "$PKGLEAKS" scan --db="$TMP/f.db" "$f"
	wall_cpu >>"$TMP/t.fresh"
	grep -oE '[0-9.]+ MB in' "$TMP/out" | cut -d' ' -f1 >>"$TMP/mb.fresh"
done
echo "\$ pkgleaks scan --db=store.db V0; then for each later version V:"
echo "\$ pkgleaks scan --db=store.db V      (against: pkgleaks scan --db=empty.db V)"
echo "blobs skipped per version: $(tr '\n' ';' <"$TMP/blobs")"
sum() { awk '{ s += $1 } END { printf "%.2f", s }'; }
printf 'matched: %s MB with dedup, %s MB without\n' "$(sum <"$TMP/mb.dedup")" "$(sum <"$TMP/mb.fresh")"
printf 'wall:    %s s with dedup, %s s without (4 versions)\n' \
	"$(awk '{ print $1 }' "$TMP/t.dedup" | sum)" "$(awk '{ print $1 }' "$TMP/t.fresh" | sum)"
printf 'cpu:     %s s with dedup, %s s without\n' \
	"$(awk '{ print $2 }' "$TMP/t.dedup" | sum)" "$(awk '{ print $2 }' "$TMP/t.fresh" | sum)"

echo
echo "## 4. blob dedup on a second version of every tar package of the corpus"
# Each .tgz / .tar.gz of the corpus again as version 2 with one file edited
# (a release as registries see it: most files unchanged). Version 1 is
# scanned into a store once; version 2 is timed into a copy of that store,
# into an empty store, and without a store (median of RUNS).
"$PYTHON" - "$CORPUS" "$TMP/mv" <<'PY'
import glob, gzip, io, os, shutil, sys, tarfile
corpus, out = sys.argv[1], sys.argv[2]
for d in ("v1", "v2"):
    os.makedirs(os.path.join(out, d), exist_ok=True)
for src in sorted(glob.glob(corpus + "/*/*.tgz") + glob.glob(corpus + "/*/*.tar.gz")):
    with tarfile.open(src) as tf:
        members = [(m, tf.extractfile(m).read() if m.isfile() else None) for m in tf.getmembers()]
    edit = next((i for i, (m, d) in enumerate(members) if d is not None and len(d) > 1000), -1)
    shutil.copy(src, os.path.join(out, "v1"))
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w") as tf:
        for i, (m, d) in enumerate(members):
            if d is not None:
                d = d + b"\n// edited in version 2\n" if i == edit else d
                m.size = len(d)
                tf.addfile(m, io.BytesIO(d))
            else:
                tf.addfile(m)
    name = os.path.join(out, "v2", "v2-" + os.path.basename(src))
    open(name, "wb").write(gzip.compress(bio.getvalue(), mtime=0))
print("%d packages, %d versions each" % (len(os.listdir(os.path.join(out, "v1"))), 2))
PY
rm -f "$TMP/v1.db"*
"$PKGLEAKS" scan -q --db="$TMP/v1.db" "$TMP/mv/v1" >/dev/null
with_v1() {
	fresh_sqlite >/dev/null
	cp "$TMP/v1.db" "$TMP/s.db"
	if [ -f "$TMP/v1.db-wal" ]; then cp "$TMP/v1.db-wal" "$TMP/s.db-wal"; fi
	echo "$TMP/s.db"
}
rm -f "$TMP"/t.*
for i in $(seq 1 "$RUNS"); do
	timed v2-none "$PKGLEAKS" scan -q "$TMP/mv/v2"
	timed v2-empty "$PKGLEAKS" scan -q --db="$(migrated_sqlite)" "$TMP/mv/v2"
	timed v2-dedup "$PKGLEAKS" scan -q --db="$(with_v1)" "$TMP/mv/v2"
done
"$PKGLEAKS" scan --db="$(with_v1)" "$TMP/mv/v2" 2>&1 >/dev/null | grep -o '[0-9]* of [0-9]* blobs[^;]*' || true
base_w=$(stat_of v2-none 1)
base_c=$(stat_of v2-none 2)
printf '%-44s %8s %8s %10s %10s\n' "command (version 2 of each)" "wall s" "cpu s" "wall +%" "cpu +%"
for l in v2-none v2-empty v2-dedup; do
	case $l in
	v2-none) cmd="pkgleaks scan -q V2" ;;
	v2-empty) cmd="... --db=empty.db V2" ;;
	v2-dedup) cmd="... --db=with-v1.db V2 (dedup)" ;;
	esac
	w=$(stat_of "$l" 1)
	c=$(stat_of "$l" 2)
	printf '%-44s %8s %8s %9.0f%% %9.0f%%\n' "$cmd" "$w" "$c" \
		"$(awk -v a="$w" -v b="$base_w" 'BEGIN { print (a / b - 1) * 100 }')" \
		"$(awk -v a="$c" -v b="$base_c" 'BEGIN { print (a / b - 1) * 100 }')"
done

echo
echo "## 5. a blob-heavy set: the store's cost per blob"
# COPIES copies of every .tgz / .tar.gz / .zip / .whl of the corpus, every
# member changed in each copy (a line of the copy's own length appended), so
# that no blob repeats and sizes spread as they would over many projects:
# a first scan as long as a small registry crawl, with the store's per-blob
# work (blob id, blob row, bookkeeping) on every file. Timed without a store
# and into an empty one (median of RUNS).
COPIES=${COPIES:-6}
"$PYTHON" - "$CORPUS" "$TMP/heavy" "$COPIES" <<'PY'
import glob, io, os, sys, tarfile, zipfile
corpus, out, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out, exist_ok=True)
srcs = sorted(f for f in glob.glob(corpus + "/*/*")
              if f.endswith((".tgz", ".tar.gz", ".zip", ".whl")))
for k in range(copies):
    tag = b"\n# copy %d%s\n" % (k, b"#" * k)  # a length of its own: sizes differ too
    for src in srcs:
        name = os.path.join(out, "c%d-%s" % (k, os.path.basename(src)))
        if src.endswith((".zip", ".whl")):
            with zipfile.ZipFile(src) as z, zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as o:
                for i in z.infolist():
                    o.writestr(i, z.read(i) + (b"" if i.is_dir() else tag))
            continue
        with tarfile.open(src) as t, tarfile.open(name, "w:gz") as o:
            for m in t.getmembers():
                if m.isfile():
                    d = t.extractfile(m).read() + tag
                    m.size = len(d)
                    o.addfile(m, io.BytesIO(d))
                else:
                    o.addfile(m)
print("%d archives (%d copies of %d), %.1f MB" % (copies * len(srcs), copies, len(srcs),
      sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out)) / 1e6))
PY
rm -f "$TMP"/t.*
for i in $(seq 1 "$RUNS"); do
	timed heavy-none "$PKGLEAKS" scan -q "$TMP/heavy"
	timed heavy-empty "$PKGLEAKS" scan -q --db="$(migrated_sqlite)" "$TMP/heavy"
done
"$PKGLEAKS" scan --db="$(migrated_sqlite)" "$TMP/heavy" 2>"$TMP/err" >/dev/null
blobs=$(grep -o 'of [0-9]* blobs' "$TMP/err" | grep -o '[0-9]*')
base_w=$(stat_of heavy-none 1)
base_c=$(stat_of heavy-none 2)
w=$(stat_of heavy-empty 1)
c=$(stat_of heavy-empty 2)
printf '%-44s %8s %8s\n' "command" "wall s" "cpu s"
printf '%-44s %8s %8s\n' "pkgleaks scan -q HEAVY" "$base_w" "$base_c"
printf '%-44s %8s %8s  (%+.0f%% wall, %+.0f%% cpu)\n' "... --db=empty.db HEAVY" "$w" "$c" \
	"$(awk -v a="$w" -v b="$base_w" 'BEGIN { print (a / b - 1) * 100 }')" \
	"$(awk -v a="$c" -v b="$base_c" 'BEGIN { print (a / b - 1) * 100 }')"
awk -v a="$c" -v b="$base_c" -v n="$blobs" \
	'BEGIN { if (n > 0) printf "%d blobs: the store adds %.1f us of CPU per blob\n", n, (a - b) * 1e6 / n }'
