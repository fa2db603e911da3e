#!/usr/bin/env bash
# Output formats: JSON / JSON lines keys, redaction by default and
# --show-secrets, one finding per secret per file with all its locations, the
# summary line, text output, SARIF 2.1.0.
. "$(dirname "$0")/../lib/common.sh"
require_binary
make_fixtures --set formats
cd "$FX" || exit 1
PLAIN=formats/plain        # settings.py (1 secret), kinds.env (4), twice.py (1 secret, 2 places)

note "jsonl"
run_pl scan --format jsonl --show-secrets $PLAIN
assert_exit 1 "jsonl scan exits 1"
assert_json "every line is a finding with the documented keys" \
	"rows and all({'rule','name','secret','fingerprint','source','path','line','column','confidence','locations'} <= set(r) for r in rows)"
assert_json "types: line/column ints, path '' for plain files, confidence low|medium|high" \
	"all(isinstance(r['line'], int) and isinstance(r['column'], int) and r['path'] == '' and r['confidence'] in ('low','medium','high') for r in rows)"
assert_json "fingerprint = sha256(rule:secret)" "all(r['fingerprint'] == fp(r['rule'], r['secret']) for r in rows)"
check_findings --case plain --case kinds --case twice --exact
assert_json "same secret twice in one file: one finding, two locations" \
	"len([r for r in rows if r['source'].endswith('twice.py')]) == 1 and len([r for r in rows if r['source'].endswith('twice.py')][0]['locations']) == 2"
cp "$OUT" shown.jsonl
assert_match "$ERR" "$SUMMARY_RE" "jsonl: the summary line goes to stderr"
assert_match "$ERR" '^6 secrets \(7 occurrences\) in 3 files with findings; 3 files scanned, 0 errors, ' \
	"summary counts: 6 secrets, 7 occurrences, 3 files with findings, 3 scanned, 0 errors"

note "redaction by default"
for fmt in text json jsonl sarif; do
	run_pl scan --format "$fmt" $PLAIN
	assert_exit 1 "$fmt: exit 1"
	"$PYTHON" - "$FX/manifest.jsonl" "$OUT" "$ERR" >"$TMP/leak" <<'EOF'
import json, sys
secrets = [json.loads(l)["secret"] for l in open(sys.argv[1], encoding="utf-8")]
blob = open(sys.argv[2], encoding="utf-8", errors="replace").read() + open(sys.argv[3], encoding="utf-8", errors="replace").read()
# no full secret, and not even its first 12 characters
for s in secrets:
    if s in blob or s[:12] in blob:
        print(s[:6] + "...")
EOF
	if [ -s "$TMP/leak" ]; then fail "$fmt: a secret is printed in full without --show-secrets: $(head -n 3 "$TMP/leak" | tr '\n' ' ')"
	else pass "$fmt: no secret printed in full without --show-secrets"; fi
done
run_pl scan --format jsonl $PLAIN
assert_json "redacted secret = first 4 characters + U+2026" \
	"rows and all(len(r['secret']) == 5 and r['secret'].endswith('\u2026') for r in rows)"
assert_json "fingerprints do not depend on redaction" \
	"sorted(r['fingerprint'] for r in rows) == sorted(json.loads(l)['fingerprint'] for l in open('shown.jsonl'))"
assert_json "redacted secrets are the shown ones' prefixes" \
	"sorted(r['secret'] for r in rows) == sorted(json.loads(l)['secret'][:4] + '\u2026' for l in open('shown.jsonl'))"

note "json report"
run_pl scan --format json formats/plain formats/pkg-gz-1.0.tar.gz does-not-exist.txt
assert_exit 1 "json scan exits 1"
assert_json "json report has version, ruleset, findings, errors, warnings, summary" \
	"{'version','ruleset','findings','errors','warnings','summary'} <= set(j)"
assert_json "json summary counts" \
	"j['summary'].get('secrets') == 7 and j['summary'].get('occurrences') == 8 and j['summary'].get('files_with_findings') == 4 and j['summary'].get('errors') == 1"
assert_json "json errors carry source, path, reason" \
	"j['errors'] == [{'source': 'does-not-exist.txt', 'path': '', 'reason': j['errors'][0]['reason']}] and j['errors'][0]['reason']"
assert_json "findings are sorted by location" \
	"[(f['source'], f['path'], f['line']) for f in j['findings']] == sorted((f['source'], f['path'], f['line']) for f in j['findings'])"
assert_match "$ERR" '^pkgleaks: error: does-not-exist\.txt: ' "the per-file error also goes to stderr"
assert_match "$ERR" "$SUMMARY_RE" "json: the summary line goes to stderr"

note "text report"
run_pl scan --format text formats/pkg-gz-1.0.tar.gz formats/nest-1.0.tar.gz formats/plain/twice.py
assert_exit 1 "text scan exits 1"
assert_py "text names archive!/member and line:column" \
	"text_has('formats/pkg-gz-1.0.tar.gz!/pkg-gz-1.0/pkg/settings.py', 7, 13)"
assert_py "text names a nested location joined with !/" \
	"text_has('formats/nest-1.0.tar.gz!/nest-1.0/vendor/inner-0.1-py3-none-any.whl!/inner/data/bundle.zip!/conf/secret.ini', 4, 12)"
assert_py "text lists the second occurrence of a secret too" \
	"text_has('formats/plain/twice.py', 5, 12)"
assert_contains "$OUT" "ghp_…" "text shows the redacted secret"
assert_py "text ends with the summary line on stdout" \
	"re.match(r'$SUMMARY_RE', out.rstrip('\n').splitlines()[-1])"
run_pl scan --format text --show-secrets formats/plain/settings.py
assert_contains "$OUT" "$(manifest plain secret)" "text --show-secrets shows the secret"

note "sarif"
run_pl scan --format sarif -o report.sarif formats
assert_exit 1 "sarif scan exits 1"
if [ -f "$TESTS_DIR/data/validate_sarif.py" ]; then
	if msg=$("$PYTHON" "$TESTS_DIR/data/validate_sarif.py" report.sarif 2>&1); then
		pass "SARIF validates against the 2.1.0 schema (tests/data/validate_sarif.py)"
	else
		fail "SARIF does not validate: $(printf '%s' "$msg" | head -c 600)"
	fi
else
	note "tests/data/validate_sarif.py absent: structural SARIF checks only"
fi
cp report.sarif "$OUT"
assert_json "SARIF: version 2.1.0, one run, tool driver pkgleaks with rules" \
	"j.get('version') == '2.1.0' and 'sarif' in j.get('\$schema', '') and len(j['runs']) == 1 and j['runs'][0]['tool']['driver']['name'] == 'pkgleaks' and j['runs'][0]['tool']['driver'].get('rules')"
assert_json "SARIF results: ruleId, message, artifact uri, startLine >= 1; every ruleId is a driver rule" \
	"(lambda run: run['results'] and all(r['ruleId'] in {x['id'] for x in run['tool']['driver']['rules']} and r['message']['text'] and r['locations'][0]['physicalLocation']['artifactLocation']['uri'] and r['locations'][0]['physicalLocation']['region']['startLine'] >= 1 for r in run['results']))(j['runs'][0])"
run_pl scan --format jsonl formats
cp "$OUT" all.jsonl
cp report.sarif "$OUT"
assert_json "SARIF: one result per finding or one per occurrence" \
	"(lambda rs: len(j['runs'][0]['results']) in (len(rs), sum(len(r['locations']) for r in rs)))([json.loads(l) for l in open('all.jsonl')])"
assert_py "SARIF: no full secret without --show-secrets" \
	"not [r for r in man if r['secret'] in out]"

finish
