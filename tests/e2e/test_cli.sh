#!/usr/bin/env bash
# The command line: exit codes 0/1/2, help, usage errors, stdin, per-file
# errors and --fail-on-error, -o, -q, rules list/check, --rules, -j1 == -j2.
. "$(dirname "$0")/../lib/common.sh"
require_binary
make_fixtures --set formats
cd "$FX" || exit 1
mkdir -p clean && printf 'nothing to see here\nx = 1\n' >clean/a.txt

note "version and help"
run_pl --version
assert_exit 0 "--version"
assert_match "$OUT" '^pkgleaks [0-9]+\.[0-9]+' "--version prints 'pkgleaks X.Y'"
run_pl --help
assert_exit 0 "--help"
assert_contains "$OUT" "scan" "--help lists the scan command"
run_pl scan --help
assert_exit 0 "scan --help"
for opt in --format --output --show-secrets --fail-on-error --baseline --write-baseline --ignore \
	--no-ignore-files --rules --min-confidence --jobs --color --quiet --max-depth \
	--max-entry-bytes --max-archive-bytes --max-ratio --max-entries --max-seconds; do
	assert_contains "$OUT" "$opt" "scan --help documents $opt"
done

note "usage errors exit 2 with a message"
usage_error() {
	run_pl "$@"
	if [ "$RC" -eq 2 ] && [ -s "$ERR" ]; then pass "usage error: pkgleaks $* (exit 2)"; else
		fail "usage error: pkgleaks $*: exit $RC, expected 2 and a message on stderr"
		show_run 5
	fi
}
usage_error
usage_error frobnicate
usage_error scan
usage_error scan --no-such-option clean
usage_error scan --format yaml clean
usage_error scan -f clean
usage_error scan --jobs abc clean
usage_error scan --max-depth -1 clean
usage_error scan --max-depth lots clean
usage_error scan --max-entry-bytes 12Q clean
usage_error scan --max-archive-bytes '' clean
usage_error scan --max-ratio 0 clean
usage_error scan --max-entries -5 clean
usage_error scan --max-seconds never clean
usage_error scan --min-confidence extreme clean
usage_error scan --color sometimes clean
usage_error scan --rules does-not-exist.yaml clean
usage_error scan --baseline does-not-exist.json clean
usage_error rules frobnicate

note "size suffixes are accepted"
run_pl scan --max-entry-bytes 1K --max-archive-bytes 64M --max-ratio 50 --max-entries 10 \
	--max-seconds 30 --max-depth 3 clean
assert_exit 0 "limits with K/M suffixes parse"
run_pl scan --max-archive-bytes 4G --max-entry-bytes 256M clean
assert_exit 0 "limits with G suffix parse"

note "exit codes"
run_pl scan clean
assert_exit 0 "a clean directory exits 0"
assert_match "$OUT" "$SUMMARY_RE" "text output ends with the summary line"
run_pl scan formats/plain/settings.py
assert_exit 1 "a file with a secret exits 1"
run_pl scan -q clean
assert_exit 0 "-q on a clean directory"
assert_py "-q prints no summary" "not re.search(r'files? scanned', out + err)"
run_pl scan --format jsonl -q formats/plain/settings.py
assert_py "-q with jsonl: one line of JSON, nothing on stderr" "len(rows) == 1 and err.strip() == ''"

note "stdin"
PL_STDIN=formats/plain/settings.py run_pl scan --format jsonl --show-secrets -
assert_exit 1 "a secret on stdin exits 1"
assert_py "the stdin secret is found at its line" \
	"F(secret=[r for r in man if r['case']=='plain'][0]['secret'], line=3)"
PL_STDIN=formats/pkg-gz-1.0.tar.gz run_pl scan --format jsonl --show-secrets -
assert_exit 1 "a tar.gz on stdin is unpacked"
assert_py "the stdin archive member is named" "F(path='pkg-gz-1.0/pkg/settings.py', line=7)"
PL_STDIN=clean/a.txt run_pl scan -
assert_exit 0 "clean stdin exits 0"

note "per-file errors: reported, the scan goes on"
run_pl scan --format jsonl --show-secrets does-not-exist.txt formats/plain/settings.py
assert_exit 1 "a missing input plus a secret: exit 1"
assert_py "the secret after the missing file is still reported" "len(findings) == 1"
assert_match "$ERR" '^pkgleaks: error: does-not-exist\.txt: .+' "the missing file is named on stderr with a reason"
run_pl scan --fail-on-error does-not-exist.txt formats/plain/settings.py
assert_exit 2 "--fail-on-error with a per-file error exits 2"
run_pl scan does-not-exist.txt clean
assert_exit 0 "a missing input alone is a per-file error (exit 0 without --fail-on-error)"
run_pl scan --fail-on-error clean
assert_exit 0 "--fail-on-error without errors exits 0"
run_pl scan --format json does-not-exist.txt clean
assert_json "the error is in the JSON report" \
	"j['errors'] and j['errors'][0]['source'] == 'does-not-exist.txt' and j['errors'][0]['reason']"
if [ "$(id -u)" != 0 ]; then
	printf 'x\n' >unreadable.txt && chmod 000 unreadable.txt
	run_pl scan unreadable.txt
	assert_match "$ERR" 'unreadable\.txt: .*([Pp]ermission|denied)' "an unreadable file is a per-file error"
	chmod 644 unreadable.txt
else
	note "skip unreadable-file check: running as root"
fi

note "-o FILE"
run_pl scan --format jsonl -o report.jsonl formats/plain
assert_exit 1 "-o keeps the exit code"
assert_py "-o leaves stdout empty" "out == ''"
if [ -s report.jsonl ] && "$PYTHON" -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' report.jsonl; then
	pass "-o writes the JSON lines to the file"
else
	fail "-o writes the JSON lines to the file"
fi

note "no colour and no progress line in pipes; colour on request"
run_pl scan formats/plain
assert_py "no ANSI escapes and no carriage returns when piped" \
	"b'\\x1b' not in outb and b'\\x1b' not in errb and b'\\r' not in errb"
run_pl scan --color always formats/plain
assert_py "--color always colours text output" "re.search(rb'\\x1b\\[[0-9;]*m', outb)"
run_pl scan --color never --format jsonl formats/plain
assert_py "--color never: no escapes" "b'\\x1b' not in outb"
run_pl scan --no-progress formats/plain
assert_exit 1 "--no-progress is accepted"
if command -v script >/dev/null; then
	# a pseudo-terminal: colour by default (--color auto)
	timeout 60 script -qec "$(printf '%q ' "$PKGLEAKS" scan formats/plain)" /dev/null </dev/null >"$OUT" 2>&1
	RC=$?
	assert_exit 1 "on a terminal: exit 1"
	assert_py "on a terminal, text output is coloured" "re.search(rb'\\x1b\\[[0-9;]*m', outb)"
	timeout 60 script -qec "$(printf '%q ' "$PKGLEAKS" scan --color never formats/plain)" /dev/null </dev/null >"$OUT" 2>&1
	assert_py "on a terminal, --color never disables colour (SGR codes)" "not re.search(rb'\\x1b\\[[0-9;]*m', outb)"
else
	note "skip terminal checks: no script(1)"
fi

note "-j1 and -j2 give identical results"
run_pl scan -j1 --format jsonl --show-secrets formats
cp "$OUT" j1.jsonl
run_pl scan -j2 --format jsonl --show-secrets formats
if cmp -s j1.jsonl "$OUT"; then pass "-j1 and -j2 jsonl are byte-identical on the fixtures"; else
	fail "-j1 and -j2 differ on the fixtures"
	diff j1.jsonl "$OUT" | head -n 10 | sed 's/^/    | /'
fi
if [ -d "$CORPUS/packages" ]; then
	run_pl scan -j1 --format jsonl --show-secrets "$CORPUS/packages"
	cp "$OUT" c1.jsonl
	run_pl scan -j2 --format jsonl --show-secrets "$CORPUS/packages"
	if cmp -s c1.jsonl "$OUT"; then pass "-j1 and -j2 jsonl are byte-identical on the corpus"; else
		fail "-j1 and -j2 differ on the corpus"
		diff c1.jsonl "$OUT" | head -n 10 | sed 's/^/    | /'
	fi
	run_pl scan -j4 --format json "$CORPUS/packages"
	assert_json "-j4 on the corpus: as many findings as -j1" \
		"len(j['findings']) == len(open('c1.jsonl').read().splitlines())"
else
	note "skip corpus -j comparison: no corpus at $CORPUS"
fi

note "rules list / rules check"
run_pl rules list
assert_exit 0 "rules list"
assert_contains "$OUT" "github-pat-classic" "rules list names github-pat-classic"
run_pl rules list --format json
assert_exit 0 "rules list --format json"
assert_py "rules list json: at least 60 rules, each with id and name, ids unique" \
	"(lambda rs: len(rs) >= 60 and all(r.get('id') and r.get('name') for r in rs) and len({r['id'] for r in rs}) == len(rs))(j if isinstance(j, list) else j['rules'])"
run_pl rules check
assert_exit 0 "rules check passes on the built-in rules"

cat >extra.yaml <<'EOF'
rules:
  - id: e2e-zq-token
    name: E2E ZQ token
    remediation: Revoke it and load it from an environment variable.
    pattern: '\b(?P<secret>ZQTOK_[0-9a-f]{32})\b'
    keywords: [ZQTOK_]
    confidence: high
    remediation: Revoke it in the ZQ console and load the replacement from the environment.
    references: [https://example.invalid/zq-tokens]
    examples:
      - 'token = ZQTOK_0f1e2d3c4b5a69788796a5b4c3d2e1f0'
    negative_examples:
      - 'token = ZQTOK_short'
EOF
cat >broken.yaml <<'EOF'
rules:
  - id: e2e-broken
    name: E2E broken example
    pattern: '\b(?P<secret>QQBROKEN_[0-9]{8})\b'
    keywords: [QQBROKEN_]
    remediation: Revoke it and load the replacement from the environment.
    references: [https://example.invalid/qq]
    examples:
      - 'this text has no match at all'
    negative_examples:
      - 'QQBROKEN_12'
EOF
printf 'rules: [ {id: x, pattern: "(unclosed" ]\n' >malformed.yaml
printf 'cfg = "ZQTOK_9a8b7c6d5e4f30211203f4e5d6c7b8a9"\n' >custom.txt
run_pl rules check --rules extra.yaml
assert_exit 0 "rules check --rules with a good file"
run_pl rules check --rules broken.yaml
if [ "$RC" -ne 0 ] && [ "$RC" -lt 128 ]; then pass "rules check fails on a failing example (exit $RC)"; else
	fail "rules check --rules broken.yaml: exit $RC, expected non-zero"; fi
assert_py "the failing rule and its example are named" "re.search(r'e2e-broken.*example', out + err)"
run_pl scan --rules extra.yaml --format jsonl --show-secrets custom.txt
assert_exit 1 "--rules adds a rule to scan"
assert_py "the extra rule finds its secret" \
	"F(rule='e2e-zq-token', secret='ZQTOK_9a8b7c6d5e4f30211203f4e5d6c7b8a9', line=1, column=8)"
run_pl scan --rules malformed.yaml custom.txt
assert_exit 2 "a malformed rules file is a fatal error"
assert_py "the error names the file" "'malformed.yaml' in err"

note "--min-confidence"
printf 'db_password = "Tr0ub4dor&3-horse-Battery"\nGH_VALUE = "%s"\n' "$(fake_secret github)" >conf.py
run_pl scan --format jsonl --min-confidence high conf.py
assert_exit 1 "--min-confidence high still reports the checksummed token"
assert_py "--min-confidence high reports only high-confidence findings" \
	"findings and all(f['confidence'] == 'high' for f in findings)"
run_pl scan --format jsonl --min-confidence low conf.py
assert_py "--min-confidence low reports the generic password too" "len(findings) >= 2"

finish
