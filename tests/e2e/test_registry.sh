#!/usr/bin/env bash
# Registry commands against the fake index on loopback (tests/registry/):
# pypi (JSON API and PEP 691), npm and its registry configuration, what the
# store records, the good-citizen behaviour (User-Agent, connection reuse,
# bounded concurrency, conditional requests, size cap, temp dir), and every
# fault ending as the right outcome for its artifact alone.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/registry.sh"
require_binary

ROOTDIR=$TMP/registry
registry_root "$ROOTDIR"
start_index "$ROOTDIR"
export TMPDIR=$TMP/tmpdir
mkdir -p "$TMPDIR" "$TMP/home"
export HOME=$TMP/home
cd "$TMP" || exit 1
NET=(--index-url "$IDX_URL" --retries 2 --backoff 0.05 --timeout 2 --no-progress)
SECRET_GZ=$(manifest tar.gz secret)
SECRET_WHL=$(manifest whl secret)

tmp_empty() {
	if [ -z "$(ls -A "$TMPDIR")" ]; then pass "$1: nothing left in \$TMPDIR"; else
		fail "$1: left in \$TMPDIR: $(ls -A "$TMPDIR")"
	fi
}

# ---- pypi: JSON API ----
run_pl pypi "${NET[@]}" -f jsonl --show-secrets --db a.db pkg-gz wheelpkg
assert_exit 1 "pypi: secrets found in two projects"
assert_contains "$OUT" "$SECRET_GZ" "pypi: the sdist's planted secret"
assert_contains "$OUT" "$SECRET_WHL" "pypi: the wheel's planted secret (zip read from the spool)"
assert_contains "$OUT" '"path":"pkg-gz-1.0/pkg/settings.py"' "pypi: path inside the sdist"
assert_contains "$ERR" "pypi pkg-gz 1.0: 1 file scanned" "pypi: one line per project"
tmp_empty "pypi"
assert_eq "$(db_py a.db 'q("select ecosystem, project, version, filename, status, yanked, upload_time > 1600000000, url like \"http://127.0.0.1:%/files/%\" from artifacts order by filename")')" \
	"[('pypi', 'pkg-gz', '1.0', 'pkg-gz-1.0.tar.gz', 'ok', 0, 1, 1), ('pypi', 'wheelpkg', '1.0', 'wheelpkg-1.0-py3-none-any.whl', 'ok', 0, 1, 1)]" \
	"pypi: store has project, version, upload time, yanked and URL from the index"
assert_eq "$(log_py 'all(r["ua"].startswith("pkgleaks/") and "(+https://" in r["ua"] for r in rows)')" True \
	"pypi: every request names pkgleaks and its version in its User-Agent"

# Again with the store: nothing is downloaded.
: >"$IDX_LOG"
run_pl pypi "${NET[@]}" -q --db a.db pkg-gz wheelpkg
assert_exit 0 "pypi again: files already in the store are not scanned"
assert_eq "$(log_py 'len(files)')" 0 "pypi again: no file downloaded"

# The progress bar (forced: stderr is not a terminal here).
set_faults '[{"match": "/files/", "fault": "slow:0.8", "times": -1}]'
run_pl pypi --index-url "$IDX_URL" --progress -q pkg-gz
set_faults '[]'
assert_match "$ERR" "projects, .* files, .* MB, .* findings, .* MB/s, ETA" \
	"--progress: projects, files, bytes, findings, rate and ETA"

# ---- versions ----
run_pl pypi "${NET[@]}" -q -f jsonl --all-versions pkg-gz
assert_eq "$(log_py 'sorted({r["path"].rsplit("/", 1)[1] for r in files[-2:]})')" \
	"['pkg-gz-0.9.tar.gz', 'pkg-gz-1.0.tar.gz']" "pypi --all-versions: both releases"
: >"$IDX_LOG"
run_pl pypi "${NET[@]}" -q pkg-gz==0.9
assert_exit 1 "pypi NAME==VERSION"
assert_eq "$(log_py '[r["path"].rsplit("/", 1)[1] for r in files]')" "['pkg-gz-0.9.tar.gz']" \
	"pypi NAME==VERSION: that release only"
run_pl pypi "${NET[@]}" -q pkg-gz==7.7
assert_exit 2 "pypi: a version that does not exist is an error"

# ---- pypi: the Simple API (PEP 691 JSON, relative URLs) ----
: >"$IDX_LOG"
run_pl pypi "${NET[@]}" --api simple -f jsonl --show-secrets --db s.db pkg-gz pkg-zip
assert_exit 1 "pypi --api simple"
assert_contains "$OUT" "$SECRET_GZ" "pypi --api simple: secret found"
assert_eq "$(log_py 'sorted(r["path"] for r in rows if not r["path"].startswith("/files/"))')" \
	"['/simple/pkg-gz/', '/simple/pkg-zip/']" "pypi --api simple: only the PEP 691 pages are read"
assert_eq "$(db_py s.db 'q("select project, version from artifacts order by project")')" \
	"[('pkg-gz', '1.0'), ('pkg-zip', '1.0')]" "pypi --api simple: newest version picked from file names"

# ---- the index URL as pip takes it: the Simple root ----
: >"$IDX_LOG"
run_pl pypi "${NET[@]}" -q --index-url "$IDX_URL/simple/" pkg-gz
assert_exit 1 "pypi --index-url .../simple/ (pip's form)"
assert_eq "$(log_py '[r["path"] for r in rows if not r["path"].startswith("/files/")]')" \
	"['/pypi/pkg-gz/json']" "pypi --index-url .../simple/: the JSON API of its site"
: >"$IDX_LOG"
run_pl pypi "${NET[@]}" -q --api simple --index-url "$IDX_URL/simple" pkg-gz
assert_eq "$(log_py '[r["path"] for r in rows if not r["path"].startswith("/files/")]')" \
	"['/simple/pkg-gz/']" "pypi --api simple --index-url .../simple: pages under that root"

# A password in the index URL is used, never shown or stored.
run_pl pypi "${NET[@]}" -f json --db pw.db --api simple \
	--index-url "http://reader:s3cretpw@${IDX_URL#http://}/simple/" pkg-gz nosuchproject
assert_not_contains "$OUT" "s3cretpw" "index password: not in the report"
assert_not_contains "$ERR" "s3cretpw" "index password: not in messages"
assert_eq "$(db_py pw.db 'q("select count(*) from artifacts where url like ?", "%s3cretpw%")')" "[(0,)]" \
	"index password: not in the store"

# ---- missing project ----
run_pl pypi "${NET[@]}" -f json nosuchproject pkg-gz
assert_exit 2 "pypi: a project that does not exist makes the run an error"
assert_json "pypi: the missing project is in the report's errors, the other one scanned" \
	"any(e['source'] == 'pypi:nosuchproject' and '404' in e['reason'] for e in j['errors']) and j['summary']['files'] == 1"

# ---- npm: where the registry comes from ----
FAILS0=$FAILS
(
	unset npm_config_registry NPM_CONFIG_REGISTRY
	run_pl npm npmpkg
	assert_exit 2 "npm: no registry configured is an error"
	assert_contains "$ERR" "--registry" "npm: the message says how to set one (--registry)"
	assert_contains "$ERR" "npm_config_registry" "npm: ...npm_config_registry"
	assert_contains "$ERR" ".npmrc" "npm: ...or .npmrc"
	run_pl npm "${NET[@]}" --registry "$IDX_URL/npm" -q npmpkg
	assert_exit 1 "npm --registry"
	printf '; comment\n@scope:registry=http://127.0.0.1:9/\nregistry = %s/npm\n' "$IDX_URL" >.npmrc
	run_pl npm "${NET[@]}" -q npmpkg
	assert_exit 1 "npm: registry= from ./.npmrc"
	mv .npmrc "$HOME/.npmrc"
	run_pl npm "${NET[@]}" -q npmpkg
	assert_exit 1 "npm: registry= from ~/.npmrc"
	rm -f "$HOME/.npmrc"
	[ "$FAILS" -eq "$FAILS0" ] || exit 1
) || fail "npm registry configuration (above)"
: >"$IDX_LOG"
run_pl npm "${NET[@]}" -f jsonl --db n.db npmpkg npmpkg@2.3.3
assert_exit 1 "npm: latest and a named version (env npm_config_registry)"
assert_eq "$(db_py n.db 'q("select ecosystem, project, version, status from artifacts order by version")')" \
	"[('npm', 'npmpkg', '2.3.3', 'ok'), ('npm', 'npmpkg', '2.3.4', 'ok')]" "npm: store has both versions"
run_pl npm "${NET[@]}" -q --all-versions nosuch-package
assert_exit 2 "npm: a package that does not exist is an error"

# ---- faults: each ends as its artifact's outcome, the rest goes on ----
run_faults() { # JSON, then pkgleaks args
	set_faults "$1"
	shift
	: >"$IDX_LOG"
	rm -f f.db
	run_pl pypi "${NET[@]}" -q -f json --db f.db "$@"
}
status_of() { db_py f.db "(lambda r: r[0] if r else None)(q('select status, error from artifacts where filename = ?', '$1'))"; }

run_faults '[{"match": "pkg-gz-1.0", "fault": "500", "times": -1}]' pkg-gz wheelpkg
assert_exit 1 "500 always: the run goes on"
assert_re "$(status_of pkg-gz-1.0.tar.gz)" "'error', '.*HTTP 500 \\(after 3 attempts\\)" \
	"500 always: artifact error after 3 attempts"
assert_eq "$(status_of wheelpkg-1.0-py3-none-any.whl)" "('ok', None)" "500 always: the other artifact ok"
assert_eq "$(log_py 'sum(1 for r in files if "pkg-gz-1.0" in r["path"])')" 3 "500 always: 1 + 2 retries"

run_faults '[{"match": "pkg-gz-1.0", "fault": "500", "times": 1}]' pkg-gz
assert_exit 1 "500 once: retried"
assert_eq "$(status_of pkg-gz-1.0.tar.gz)" "('ok', None)" "500 once: artifact ok after a retry"

run_faults '[{"match": "pkg-gz-1.0", "fault": "429:1", "times": 1}]' pkg-gz
assert_eq "$(status_of pkg-gz-1.0.tar.gz)" "('ok', None)" "429 + Retry-After: artifact ok"
assert_eq "$(log_py '(lambda f: f[1]["start"] - f[0]["time"] >= 0.95)([r for r in files if "pkg-gz-1.0" in r["path"]])')" \
	True "429 + Retry-After: 1: the retry waited at least 1 s"

run_faults '[{"match": "pkg-gz-1.0", "fault": "429:3600", "times": -1}]' pkg-gz
assert_re "$(status_of pkg-gz-1.0.tar.gz)" "Retry-After 3600 s is longer" \
	"429 with a Retry-After past --max-retry-after: error, no hour-long wait"

run_faults '[{"match": "pkg-gz-1.0", "fault": "truncate", "times": 1}]' pkg-gz
assert_eq "$(status_of pkg-gz-1.0.tar.gz)" "('ok', None)" "truncated once: resumed, artifact ok"
assert_eq "$(log_py '[r["status"] for r in files if "pkg-gz-1.0" in r["path"]][-1]')" 206 \
	"truncated once: the retry asked for the rest (Range, 206)"

run_faults '[{"match": "pkg-gz-1.0", "fault": "truncate", "times": -1}]' pkg-gz wheelpkg
assert_re "$(status_of pkg-gz-1.0.tar.gz)" "'error', .*download failed" "truncated always: artifact error"
assert_eq "$(status_of wheelpkg-1.0-py3-none-any.whl)" "('ok', None)" "truncated always: other artifact ok"

run_faults '[{"match": "pkg-gz-1.0", "fault": "wrong-hash", "times": -1}]' pkg-gz wheelpkg
assert_re "$(status_of pkg-gz-1.0.tar.gz)" "'error', 'sha256 mismatch: the index says" \
	"wrong hash: artifact error (sha256 mismatch)"
assert_json "wrong hash: in the report's errors" "any('sha256 mismatch' in e['reason'] for e in j['errors'])"

run_faults '[{"match": "pkg-gz-1.0", "fault": "slow:4", "times": -1}]' --timeout 1 --retries 1 pkg-gz wheelpkg
assert_re "$(status_of pkg-gz-1.0.tar.gz)" "'error', .*timed out" "slow answer: artifact error (timed out)"
assert_eq "$(status_of wheelpkg-1.0-py3-none-any.whl)" "('ok', None)" "slow answer: other artifact ok"

run_faults '[{"match": "/files/", "fault": "404", "times": 1}]' pkg-gz
assert_re "$(status_of pkg-gz-1.0.tar.gz)" "'error', .*HTTP 404" "file 404: artifact error"

run_faults "[]" --max-download 100 pkg-gz
assert_re "$(status_of pkg-gz-1.0.tar.gz)" "'error', .*larger than 100 bytes" "--max-download: artifact error"

set_faults '[{"match": "npmpkg-2.3.4", "fault": "wrong-hash", "times": -1}]'
rm -f f.db
run_pl npm "${NET[@]}" -q --db f.db npmpkg
assert_re "$(status_of npmpkg-2.3.4.tgz)" "'error', 'integrity mismatch" "npm wrong integrity: artifact error"
assert_eq "$(db_py f.db 'q("select sha256 like \"unfetched:http%\" from artifacts")')" "[(1,)]" \
	"npm wrong integrity: keyed by its URL (the bytes are not the registry's file)"
set_faults '[{"match": "npmpkg-2.3.4", "fault": "500", "times": -1}]'
run_pl npm "${NET[@]}" -q --db f.db npmpkg@2.3.4 npmpkg@2.3.3
assert_eq "$(db_py f.db 'q("select count(*) from artifacts where sha256 like ? and status = ?", "unfetched:http%npmpkg-2.3.4.tgz", "error")')" \
	"[(1,)]" "npm 500: an artifact that never arrived is recorded by its URL"
set_faults '[]'
run_pl npm "${NET[@]}" -q --db f.db npmpkg@2.3.4
assert_eq "$(db_py f.db 'q("select count(*), min(status) from artifacts where url like \"%npmpkg-2.3.4.tgz\"")')" \
	"[(1, 'ok')]" "npm: fetched whole later, the unfetched row is replaced"
tmp_empty "faults"

# ---- good citizen ----
set_faults '[{"match": "/files/", "fault": "slow:0.3", "times": -1}]'
: >"$IDX_LOG"
run_pl pypi "${NET[@]}" -q --concurrency 2 --all-versions pkg-gz wheelpkg pkg-zip pkg-bz2 pkg-xz nest
assert_exit 1 "concurrency 2: run"
assert_eq "$(log_py 'max(sum(1 for o in files if o["start"] < r["start"] + 0.05 < o["time"]) for r in files) <= 2')" \
	True "--concurrency 2: never more than 2 downloads at once"
assert_eq "$(log_py 'len({r["peer"] for r in rows}) <= 4 and len(rows) >= 12')" True \
	"connections are reused (12+ requests over at most 4 connections)"
set_faults '[]'

: >"$IDX_LOG"
mkdir -p kept
run_pl pypi "${NET[@]}" -q --keep kept pkg-gz wheelpkg
assert_eq "$(ls kept | sort | tr '\n' ' ')" "pkg-gz-1.0.tar.gz wheelpkg-1.0-py3-none-any.whl " \
	"--keep: verified downloads kept"
assert_eq "$(cmp -s kept/pkg-gz-1.0.tar.gz "$ROOTDIR/pkg-gz-1.0.tar.gz" && echo same)" same \
	"--keep: the kept file is the index's file"
tmp_empty "--keep"

# ---- a file that has arrived is scanned before one still arriving ----
# Three files of one project, listed F1 F2 F3 (the order of a one-at-a-time
# run): F1 answers after 1 s, F2 after 3 s, F3 at once. The one worker
# takes F1 or F3 first (whatever is there), then F3 or F1, and F2 only when
# nothing that has arrived is left: F2 is written last (in list order, F3
# would be).
publish pkg-gz-1.0.tar.gz pkg-gz-2.0.tar.gz
: >"$IDX_LOG"
run_pl pypi "${NET[@]}" -q --all-versions --concurrency 1 -j 1 pkg-gz
mapfile -t LISTED < <(log_py '"\n".join(r["path"].rsplit("/", 1)[-1] for r in files)')
assert_eq "${#LISTED[@]}" 3 "scan order: pkg-gz lists three files"
set_faults "[{\"match\": \"/${LISTED[0]}\", \"fault\": \"slow:1\", \"times\": -1},
	{\"match\": \"/${LISTED[1]}\", \"fault\": \"slow:3\", \"times\": -1}]"
run_pl pypi "${NET[@]}" --timeout 10 -q --all-versions --concurrency 3 -j 1 --db order.db pkg-gz
set_faults '[]'
assert_exit 1 "scan order: the three files scanned"
assert_eq "$(db_py order.db '(len(q("select 1 from artifacts")), q("select filename from artifacts order by id desc limit 1")[0][0])')" \
	"(3, '${LISTED[1]}')" "scan order: files that have arrived first, the one still arriving last"

finish
