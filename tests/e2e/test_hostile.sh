#!/usr/bin/env bash
# Hostile inputs: bombs, deep nesting, truncated and corrupt archives, evil
# member names, symlinks, a 50 MB line, a fake .whl, loops and FIFOs on disk,
# every limit flag. Each must give a clear per-file error or a partial result:
# never a crash (exit >= 128), a hang, a sanitizer report, or memory over 256 MB.
. "$(dirname "$0")/../lib/common.sh"
require_binary
make_fixtures --set hostile --bombs
cd "$FX" || exit 1
have_time || note "no /usr/bin/time: memory checks skipped"
is_asan && note "ASan build: memory caps not checked, time limits tripled"
ERRLINE='^pkgleaks: error: '

# expect_error FILE ERE DESC: a per-file error naming FILE whose text matches ERE.
expect_error() {
	local re="${ERRLINE}$(printf '%s' "$1" | sed 's/[].[*^$+?(){}|\\]/\\&/g')[^ ]*: .*($2)"
	if grep -qE -- "$re" "$ERR"; then pass "$3"; else
		fail "$3: no line like /$re/ on stderr"
		show_run
	fi
}

note "gzip bomb: 2 GiB of zeros in ~2 MB"
run_pl scan --format json hostile/bomb-2g.gz
assert_exit 0 "gzip bomb: no findings, scan completes (exit 0)"
expect_error hostile/bomb-2g.gz 'ratio|bomb' "gzip bomb: a per-file error about the compression ratio"
assert_json "gzip bomb: the error is in the JSON report" "[e for e in j['errors'] if e['source'] == 'hostile/bomb-2g.gz']"
assert_mem "gzip bomb"
assert_wall 30 "gzip bomb is stopped early"
run_pl scan --fail-on-error hostile/bomb-2g.gz
assert_exit 2 "gzip bomb with --fail-on-error exits 2"
PL_STDIN=hostile/bomb-2g.gz run_pl scan -
assert_exit 0 "gzip bomb on stdin: scan completes"
assert_match "$ERR" "${ERRLINE}.*(ratio|bomb|limit)" "gzip bomb on stdin: a limit error"
assert_mem "gzip bomb on stdin"
run_pl scan --max-ratio 100000 --max-archive-bytes 32M hostile/bomb-2g.gz
expect_error hostile/bomb-2g.gz 'archive-bytes|uncompressed|bytes|size' "--max-archive-bytes 32M stops the bomb"
assert_wall 30 "--max-archive-bytes stops it quickly"

note "an endless input: stdin from /dev/zero (plain data: only --max-seconds bounds it)"
PL_STDIN=/dev/zero PL_TIMEOUT=60 run_pl scan --max-entry-bytes 64G --max-archive-bytes 64G --max-seconds 1 -
assert_exit 0 "endless stdin with --max-seconds 1: exit 0"
assert_match "$ERR" "${ERRLINE}.*(seconds|time)" "--max-seconds 1 stops an endless stream"
assert_wall 15 "--max-seconds 1 is honoured"
assert_mem "endless stdin read to the time limit"

note "zip bomb: one 2 GiB entry of zeros"
run_pl scan --format json hostile/zipbomb.zip
assert_exit 0 "zip bomb: exit 0"
expect_error hostile/zipbomb.zip 'ratio|bomb|entry-bytes|limit' "zip bomb: a per-file limit error"
assert_mem "zip bomb"
assert_wall 30 "zip bomb is stopped early"

note "tar.gz bomb with a secret in its first member"
run_pl scan --format jsonl --show-secrets hostile/bomb-1.0.tar.gz
assert_exit 1 "tar.gz bomb: the secret before the bomb is reported (exit 1)"
check_findings --case bomb_tar
expect_error hostile/bomb-1.0.tar.gz 'ratio|bomb|limit' "tar.gz bomb: a limit error too"
assert_mem "tar.gz bomb"

note "30-deep nesting"
run_pl scan --format json --show-secrets hostile/deep30.tar.gz
assert_exit 0 "30-deep: nothing reported at the default depth (exit 0)"
expect_error hostile/deep30.tar.gz 'depth|nested|deep' "30-deep: a per-file error about nesting depth"
assert_json "30-deep: the depth error names the path inside the archive" \
	"[e for e in j['errors'] if e['source'] == 'hostile/deep30.tar.gz' and e['path'].startswith('d01/l02.tar.gz!/')]"
run_pl scan --fail-on-error hostile/deep30.tar.gz
assert_exit 2 "30-deep with --fail-on-error exits 2"
run_pl scan --format jsonl --show-secrets --max-depth 40 hostile/deep30.tar.gz
assert_exit 1 "30-deep with --max-depth 40: the secret is found"
check_findings --case deep30
assert_mem "30-deep nesting"

note "truncated .tar.gz: the first member's secret survives"
run_pl scan --format jsonl --show-secrets hostile/trunc-1.0.tar.gz
assert_exit 1 "truncated: exit 1 (a finding)"
check_findings --case truncated
expect_error hostile/trunc-1.0.tar.gz 'trunc|EOF|end of (file|stream|input)|unexpected|damaged|corrupt|premature|short' \
	"truncated: a per-file error says the archive is cut short"
run_pl scan --format json --show-secrets --fail-on-error hostile/trunc-1.0.tar.gz
assert_exit 2 "truncated with --fail-on-error exits 2"
assert_json "truncated: the JSON report has the finding and the error" \
	"[f for f in j['findings'] if f['path'] == 'trunc-1.0/pkg/settings.py'] and [e for e in j['errors'] if e['source'] == 'hostile/trunc-1.0.tar.gz']"

note "zip with a corrupt central directory"
run_pl scan --format json --show-secrets hostile/corrupt-cd.zip
assert_exit "0|1" "corrupt central directory: exit 0 or 1"
assert_json "corrupt central directory: the secret (from local headers) or a per-file error" \
	"j['findings'] or [e for e in j['errors'] if e['source'] == 'hostile/corrupt-cd.zip']"
if grep -q "$(manifest corrupt_cd secret)" "$OUT"; then note "corrupt-cd.zip: secret recovered from the local headers"
else note "corrupt-cd.zip: secret not recovered (error only)"; fi
run_pl scan --format json --show-secrets hostile/corrupt-data.zip
assert_exit "0|1" "corrupt deflate data: exit 0 or 1"
assert_json "corrupt deflate data: a per-file error naming the bad member" \
	"[e for e in j['errors'] if e['source'] == 'hostile/corrupt-data.zip' and 'garbage' in e['path'] + e['reason']]"
if grep -q "$(notes corrupt_data_secret)" "$OUT"; then note "corrupt-data.zip: the member after the bad one was scanned"
else note "corrupt-data.zip: the member after the bad one was not scanned"; fi

note "hostile member names: ../, absolute, control characters, invalid UTF-8"
for fmt in text json jsonl sarif; do
	run_pl scan --format "$fmt" --show-secrets hostile/names.tar hostile/names.zip
	assert_exit 1 "names ($fmt): exit 1"
	assert_py "names ($fmt): no raw ESC/BEL/CSI bytes on stdout or stderr" \
		"not any(c in outb + errb for c in (b'\\x1b', b'\\x07', b'\\x9b'))"
	assert_py "names ($fmt): stdout and stderr are valid UTF-8" \
		"outb.decode('utf-8') is not None and errb.decode('utf-8') is not None"
	if [ "$fmt" = text ]; then
		assert_py "names (text): the control-character name stays on one line" \
			"[l for l in out.splitlines() if 'ctl' in l and 'next.py' in l]"
		assert_py "names (text): bytes are escaped once (bad\\xff\\xfename.py, not double backslashes)" \
			"'bad\\\\xff\\\\xfename.py' in out and 'bad\\\\\\\\xff' not in out"
	fi
done
run_pl scan --format jsonl --show-secrets hostile/names.tar hostile/names.zip
check_findings --case names-dotdot --case names-absolute --case names-control --case names-invalid_utf8 \
	--case names-zip-dotdot --case names-zip-absolute --case names-zip-control --exact
assert_json "names: each finding's path still names its member" \
	"all(any(k in f['path'] for k in ('evil.py','pkgleaks-root.py','next.py','name.py','zipslip.py','abs-zip.py','title.py')) for f in findings)"
assert_json "names: the control-character name is reported (JSON-escaped or text-escaped)" \
	"[f for f in findings if 'red' in f['path'] and 'next.py' in f['path']]"
assert_json "names: invalid UTF-8 is shown escaped (not dropped)" \
	"[f for f in findings if re.search(r'bad.+name\\.py', f['path'])]"
written=""
for p in "$FX/../escape" "$TMP/../escape" /escape /abs/pkgleaks-root.py /abs-zip.py "$FX/../zipslip.py" \
	"$FX/abs" "$FX/escape"; do
	[ -e "$p" ] && written="$written $p"
done
if [ -z "$written" ]; then pass "names: nothing was written to the filesystem"; else fail "names: files appeared:$written"; fi

note "symlink and hard link members are not followed"
run_pl scan --format jsonl --show-secrets hostile/links.tar
assert_exit 1 "links.tar: exit 1"
check_findings --case symlinks
assert_json "links.tar: the file a symlink points to outside the archive is not read" \
	"not F(secret=notes['outside_secret'])"
assert_py "links.tar: /etc/passwd was not read" "'root:' not in out"

note "a 50 MB single line with a secret near its end"
run_pl scan --format jsonl --show-secrets hostile/long-line.min.js
assert_exit 1 "long line: exit 1"
check_findings --case longline
assert_mem "50 MB line"
assert_wall 60 "50 MB line"
run_pl scan --format jsonl --show-secrets hostile/long-line-hex.js.gz
assert_exit 1 "a 50 MB line inside a .gz: exit 1"
check_findings --case longline_gz
assert_mem "50 MB line inside a .gz"

note "a text file named .whl, empty files"
run_pl scan --format jsonl --show-secrets hostile/fake-1.0-py3-none-any.whl
assert_exit 1 "fake .whl is scanned as text"
check_findings --case fake_whl
run_pl scan --format json hostile/empty.txt hostile/empty.tar.gz
assert_exit 0 "empty files: exit 0"
assert_json "empty files: no error" "j['errors'] == []"

note "on disk: a directory symlink loop, a FIFO"
PL_TIMEOUT=60 run_pl scan --format jsonl --show-secrets hostile/loop
assert_exit 1 "symlink loop: the scan terminates with the finding"
check_findings --case loop
PL_TIMEOUT=30 run_pl scan --format jsonl --show-secrets hostile/fifo
assert_exit 1 "a FIFO in a directory does not block the scan"
check_findings --case fifo

note "limit flags"
run_pl scan --format jsonl --show-secrets hostile/many-entries.tar
assert_json "many-entries.tar: the 15th member's secret is found by default" "F(secret=notes['many_entries_secret'])"
run_pl scan --format jsonl --show-secrets --max-entries 5 hostile/many-entries.tar
expect_error hostile/many-entries.tar 'entries' "--max-entries 5: a per-file error about entries"
assert_json "--max-entries 5: the 15th member is not read" "not F(secret=notes['many_entries_secret'])"
run_pl scan --format jsonl --show-secrets hostile/big-entry.tar
assert_json "big-entry.tar: found by default" "F(secret=notes['big_entry_secret'])"
run_pl scan --format jsonl --show-secrets --max-entry-bytes 16K hostile/big-entry.tar
expect_error hostile/big-entry.tar 'entry|bytes|size' "--max-entry-bytes 16K: a per-file error"
run_pl scan --format jsonl --show-secrets --max-archive-bytes 32K hostile/big-entry.tar
expect_error hostile/big-entry.tar 'archive|bytes|size' "--max-archive-bytes 32K: a per-file error"

note "everything at once, two workers: errors do not stop the scan"
PL_TIMEOUT=300 run_pl scan -j2 --format json --show-secrets hostile
assert_exit 1 "the whole hostile directory: exit 1"
assert_json "all hostile cases that must be found are found in one run" \
	"all(F(secret=r['secret']) for r in man if r['case'] in ('truncated','symlinks','longline','longline_gz','loop','fifo','fake_whl','bomb_tar'))"
assert_json "and the errors are all reported" \
	"{e['source'] for e in j['errors']} >= {'hostile/bomb-2g.gz','hostile/zipbomb.zip','hostile/deep30.tar.gz','hostile/trunc-1.0.tar.gz'}"
assert_mem "the whole hostile directory with -j2"

finish
