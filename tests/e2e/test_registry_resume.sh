#!/usr/bin/env bash
# crawl and follow killed mid-run (kill -9) resume without missing or
# repeating an artifact: the files stored before the kill are not fetched
# again, and the store ends as after an uninterrupted run. Also: follow's
# serial, ETag and RSS feed, and `mirror` skipping what the store holds.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/registry.sh"
require_binary

ROOTDIR=$TMP/registry
registry_root "$ROOTDIR"
# More projects, so that a kill lands in the middle.
"$PYTHON" -c '
import sys; sys.path.insert(0, sys.argv[1])
import fake_index
d = open(sys.argv[2] + "/pkg-gz-1.0.tar.gz", "rb").read()
for i in range(10):
    open(sys.argv[2] + "/extra%d-1.0.tar.gz" % i, "wb").write(fake_index.variant(d, "extra%d" % i))
' "$REGISTRY_DIR" "$ROOTDIR"
start_index "$ROOTDIR"
export TMPDIR=$TMP/tmpdir
mkdir -p "$TMPDIR"
cd "$TMP" || exit 1
NET=(--index-url "$IDX_URL" --retries 2 --backoff 0.05 --timeout 5 --no-progress --concurrency 2)
PROJECTS="pkg-gz wheelpkg pkg-zip pkg-bz2 pkg-xz nest extra0 extra1 extra2 extra3 extra4 extra5 extra6 extra7 extra8 extra9"
printf '%s\n' $PROJECTS '# a comment' '' >projects.txt

# The store's artifacts, with the occurrences of each.
summary() {
	db_py "$1" 'sorted((f, s, st, n) for f, s, st, n in q("select a.filename, a.sha256, a.status, (select count(*) from occurrences o where o.artifact_id = a.id) from artifacts a"))'
}
stored_urls() { db_py "$1" 'sorted(r[0] for r in q("select url from artifacts"))'; }

# run_killed DB ARGS...: starts pkgleaks, kill -9 once DB holds a first
# committed artifact (so the kill lands mid-run whatever the machine's speed).
run_killed() {
	local db=$1 i
	shift
	"$PKGLEAKS" "$@" >"$OUT" 2>"$ERR" &
	local pid=$!
	for i in $(seq 1 600); do
		[ -f "$db" ] && [ "$(db_py "$db" 'q("select count(*) from artifacts")[0][0]' 2>/dev/null)" -gt 0 ] 2>/dev/null && break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	RC=$?
}

# check_resumed DB REF KILLED_URLS LOG_FROM DESC: nothing stored before the
# kill was fetched again, and the store equals the reference.
check_resumed() {
	local db=$1 ref=$2 before=$3 from=$4 desc=$5
	local again
	again=$("$PYTHON" -c '
import json, sys
before = set(json.loads(open(sys.argv[1]).read().replace("'"'"'", "\"")))
rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()][int(sys.argv[3]):]
got = {r["path"].split("/", 3)[-1] for r in rows if r["path"].startswith("/files/")}
print(sorted(u for u in before if u.split("/", 5)[-1] in got or u.rsplit("/", 1)[-1] in got))
' "$before" "$IDX_LOG" "$from")
	assert_eq "$again" "[]" "$desc: nothing stored before the kill was fetched again"
	assert_eq "$(summary "$db")" "$(summary "$ref")" "$desc: the store equals an uninterrupted run's"
}

# ---- crawl ----
run_pl crawl "${NET[@]}" --db ref.db --projects projects.txt --all-versions -q
assert_exit 0 "crawl: uninterrupted reference run"
assert_eq "$(db_py ref.db 'q("select count(*), min(status) from artifacts")')" "[(17, 'ok')]" \
	"crawl: 17 files of 16 projects stored"
assert_eq "$(db_py ref.db 'q("select status, count(*) from queue group by status")')" \
	"[('done', 16)]" "crawl: every project done in the queue"

set_faults '[{"match": "/files/", "fault": "slow:0.5", "times": -1}]'
run_killed c.db crawl "${NET[@]}" --db c.db --projects projects.txt --all-versions -q
stored_urls c.db >"$TMP/before"
n_before=$(db_py c.db 'len(q("select 1 from artifacts"))')
if [ "$n_before" -gt 0 ] && [ "$n_before" -lt 17 ]; then
	pass "crawl killed mid-run: $n_before of 17 files stored"
else
	fail "crawl killed mid-run: $n_before of 17 files stored (the kill did not land mid-run)"
fi
set_faults '[]'
from=$(wc -l <"$IDX_LOG")
run_pl crawl "${NET[@]}" --db c.db --all-versions -q
assert_exit 0 "crawl resumed (no --projects: the queue is in the store)"
check_resumed c.db ref.db "$TMP/before" "$from" "crawl"
assert_eq "$(db_py c.db 'q("select status, count(*) from queue group by status")')" \
	"[('done', 16)]" "crawl resumed: every project done"
: >"$IDX_LOG"
run_pl crawl "${NET[@]}" --db c.db --projects projects.txt -q
assert_eq "$(log_py 'len(rows)')" 0 "crawl again: done projects are not read again"

# ---- crawl stopped with Ctrl-C: finishes what is in flight, resumes ----
set_faults '[{"match": "/files/", "fault": "slow:0.5", "times": -1}]'
"$PKGLEAKS" crawl "${NET[@]}" --db i.db --projects projects.txt --all-versions >"$OUT" 2>"$ERR" &
pid=$!
for _ in $(seq 1 600); do
	[ -f i.db ] && [ "$(db_py i.db 'q("select count(*) from artifacts")[0][0]' 2>/dev/null)" -gt 0 ] 2>/dev/null && break
	sleep 0.1
done
kill -INT "$pid"
wait "$pid"
RC=$?
check_sane "crawl interrupted"
assert_exit 0 "crawl after SIGINT: a normal exit"
assert_contains "$ERR" "stopping" "crawl after SIGINT: says it is finishing what is in flight"
assert_eq "$(db_py i.db '(lambda p, a: 0 < p < 16 and a >= 16 - p)(q("select count(*) from queue where status = ?", "pending")[0][0], q("select count(*) from artifacts")[0][0])')" \
	True "crawl after SIGINT: projects left pending, every file of the done ones stored"
set_faults '[]'
run_pl crawl "${NET[@]}" --db i.db --all-versions -q
assert_eq "$(summary i.db)" "$(summary ref.db)" "crawl after SIGINT, resumed: the store equals an uninterrupted run's"

# ---- follow: serial ----
run_pl follow "${NET[@]}" --db f.db --once
assert_exit 0 "follow: first poll"
assert_contains "$ERR" "0 projects queued" "follow: the first poll starts from now"
i=0
for f in pkg-gz-1.0.tar.gz wheelpkg-1.0-py3-none-any.whl pkg-zip-1.0.zip nest-1.0.tar.gz; do
	for v in 2.0 3.0; do
		i=$((i + 1))
		case $f in
		*.whl) new=wheelpkg-$v-py3-none-any.whl ;;
		*) new=${f/1.0/$v} ;;
		esac
		publish "$f" "$new"
	done
done
# The reference: a copy of the store, followed without a kill.
cp f.db fref.db
run_pl follow "${NET[@]}" --db fref.db --once -q
assert_exit 0 "follow: reference run"
assert_eq "$(db_py fref.db 'q("select count(*), min(status) from artifacts")')" "[(8, 'ok')]" \
	"follow: the 8 new uploads, and none of the older files"

set_faults '[{"match": "/files/", "fault": "slow:1", "times": -1}]'
run_killed f.db follow "${NET[@]}" --db f.db --once -q
stored_urls f.db >"$TMP/before"
n_before=$(db_py f.db 'len(q("select 1 from artifacts"))')
if [ "$n_before" -gt 0 ] && [ "$n_before" -lt 8 ]; then
	pass "follow killed mid-run: $n_before of 8 files stored"
else
	fail "follow killed mid-run: $n_before of 8 files stored (the kill did not land mid-run)"
fi
set_faults '[]'
from=$(wc -l <"$IDX_LOG")
run_pl follow "${NET[@]}" --db f.db --once -q
assert_exit 0 "follow resumed"
check_resumed f.db fref.db "$TMP/before" "$from" "follow"
: >"$IDX_LOG"
run_pl follow "${NET[@]}" --db f.db --once
assert_contains "$ERR" "0 projects queued" "follow: nothing new"
assert_eq "$(log_py '[(r["status"], r["inm"] is not None) for r in rows if r["path"] == "/simple/"]')" \
	"[(304, True)]" "follow: the index is asked with If-None-Match and answers 304"

# ---- follow: RSS ----
run_pl follow "${NET[@]}" --db r.db --once --feed rss
assert_exit 0 "follow --feed rss: first poll"
publish pkg-xz-1.0.tar.xz pkg-xz-4.0.tar.xz
publish pkg-bz2-1.0.tar.bz2 pkg-bz2-4.0.tar.bz2
sleep 1
run_pl follow "${NET[@]}" --db r.db --once --feed rss -q
assert_eq "$(db_py r.db 'sorted(r[0] for r in q("select filename from artifacts"))')" \
	"['pkg-bz2-4.0.tar.bz2', 'pkg-xz-4.0.tar.xz']" "follow --feed rss: the new uploads only"

# ---- mirror ----
mkdir -p m/web/simple/pkg-gz
echo '<a href="x">x</a>' >m/web/simple/pkg-gz/index.html
for f in pkg-gz-1.0.tar.gz wheelpkg-1.0-py3-none-any.whl pkg-zip-1.0.zip nest-1.0.tar.gz; do
	h=$(sha256sum "$ROOTDIR/$f" | cut -c1-64)
	d=m/web/packages/${h:0:2}/${h:2:2}/${h:4}
	mkdir -p "$d"
	cp "$ROOTDIR/$f" "$d/"
done
echo "Name: wheelpkg" >"$(dirname m/web/packages/*/*/*/wheelpkg-1.0-py3-none-any.whl)/wheelpkg-1.0-py3-none-any.whl.metadata"
run_pl mirror --db m.db --no-progress -f json m
assert_exit 1 "mirror: secrets found"
assert_contains "$ERR" "mirror: 4 files to scan" "mirror: web/packages only, *.metadata skipped"
assert_eq "$(db_py m.db 'sorted(q("select project, version from artifacts"))')" \
	"[('nest', '1.0'), ('pkg-gz', '1.0'), ('pkg-zip', '1.0'), ('wheelpkg', '1.0')]" \
	"mirror: project and version from the files"
run_pl mirror --db m.db --no-progress m
assert_exit 0 "mirror again: nothing new"
assert_contains "$ERR" "mirror: 0 files to scan (0.0 MB), 4 already in the store" \
	"mirror again: every file skipped by its SHA-256"
d=m/web/packages/zz/zz/new
mkdir -p "$d"
cp "$ROOTDIR/pkg-bz2-1.0.tar.bz2" "$d/"
run_pl mirror --db m.db --no-progress m
assert_contains "$ERR" "mirror: 1 files to scan" "mirror after a sync: only the new file"
run_pl mirror --db m.db --no-progress "$ROOTDIR"
assert_contains "$ERR" "already in the store" "mirror: any tree of package files"

# A killed run cannot remove its directory, but its spools were unlinked.
left=$(find "$TMPDIR" -type f | head -n 3)
if [ -z "$left" ]; then pass "no file left in \$TMPDIR, even by killed runs"; else
	fail "files left in \$TMPDIR: $left"
fi
finish
