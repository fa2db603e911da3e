#!/usr/bin/env bash
# Validation against a fake issuer on loopback (tests/validators/fake_issuer.py):
# every answer the issue names (valid, invalid, timeout, 5xx, 429 with
# Retry-After, malformed) maps to the right status; the fake asserts each
# request (method, path, headers, AWS SigV4 and Azure SharedKey recomputed,
# the GCP JWT verified); nothing is sent without --validate; one request per
# unique secret; a second run answers from the cache; private hosts, policy
# refusals and example keys are never sent. Nothing leaves loopback:
# PKGLEAKS_VALIDATE_LOOPBACK_ONLY=1 refuses any other address.
. "$(dirname "$0")/../lib/common.sh"
require_binary
VDIR=$TESTS_DIR/validators

"$PYTHON" "$VDIR/make_secrets.py" "$FX" >/dev/null || { fail "make_secrets.py"; finish; }
LOG=$TMP/fake.log
"$PYTHON" "$VDIR/fake_issuer.py" --table "$FX/table.json" --log "$LOG" --port-file "$TMP/port" --sleep 4 \
	>"$TMP/fake.out" 2>&1 &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
[ -s "$TMP/port" ] || { fail "fake issuer did not start"; cat "$TMP/fake.out"; finish; }
PORT=$(cat "$TMP/port")
export PKGLEAKS_VALIDATE_LOOPBACK_ONLY=1 PKGLEAKS_CACHE_DIR=$TMP/cache
for s in github slack slack-webhook telegram stripe datadog mailchimp twilio dropbox aws azure-storage \
	gcp azure-ad pypi; do
	export "PKGLEAKS_$(echo "$s" | tr 'a-z-' 'A-Z_')_URL=http://127.0.0.1:$PORT/$s"
done
requests() { wc -l <"$LOG" | tr -d ' '; }

# 1. Without --validate nothing is sent.
run_pl scan -f json "$FX/secrets.txt"
assert_exit 1 "scan without --validate finds the secrets"
[ "$(requests)" = 0 ] && pass "without --validate the fake issuer saw no request" ||
	fail "without --validate the fake saw $(requests) requests"
assert_json "without --validate findings carry no validation" \
	"all('validation' not in f for f in j['findings'])"

# 2. --validate: every status as expected, every request exactly right.
run_pl scan --validate --show-secrets --validate-timeout 2 -f json "$FX/secrets.txt"
assert_exit 1 "scan --validate"
"$PYTHON" - "$OUT" "$FX/expected.json" <<'PY' >"$TMP/cmp" 2>&1
import json, sys
j = json.load(open(sys.argv[1])); exp = json.load(open(sys.argv[2]))
seen = {}
for f in j["findings"]:
    seen[f["secret"]] = f.get("validation") or {}
bad = 0
for s, (status, reason, _) in exp.items():
    v = seen.get(s)
    if v is None:
        print(f"missing finding {s[:24]}"); bad += 1; continue
    if v.get("status") != status or not (v.get("reason") or "").startswith(reason):
        print(f"{s[:24]}: got {v.get('status')} ({v.get('reason')}), want {status} ({reason})"); bad += 1
print(f"{len(exp) - bad} of {len(exp)} as expected")
sys.exit(1 if bad else 0)
PY
if [ $? = 0 ]; then pass "every secret has the expected status and reason ($(tail -n 1 "$TMP/cmp"))"
else fail "statuses"; sed 's/^/    | /' "$TMP/cmp"; fi
"$PYTHON" - "$LOG" <<'PY' >"$TMP/asserts" 2>&1
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
bad = [r for r in rows if r["errors"]]
for r in bad: print(r)
sys.exit(1 if bad else 0)
PY
[ $? = 0 ] && pass "the fake issuer found every request exactly right ($(requests) requests)" ||
	{ fail "requests the fake issuer rejected"; head -n 20 "$TMP/asserts" | sed 's/^/    | /'; }
WANT=$("$PYTHON" -c 'import json,sys; print(sum(v[2] for v in json.load(open(sys.argv[1])).values()))' "$FX/expected.json")
[ "$(requests)" = "$WANT" ] && pass "one request per unique secret (+1 per 429 retry): $WANT" ||
	fail "requests: $(requests), want $WANT"
assert_json "issuer details are reported" \
	"any(f.get('validation',{}).get('details',{}).get('login') == 'octo-test' for f in j['findings'])"
assert_contains "$ERR" "validation: " "a validation summary line on stderr"
assert_json "the AWS account from STS" \
	"any(f['rule']=='aws-access-key' and f['validation']['details'].get('account')=='123456789012' for f in j['findings'])"

# 3. A second run within the cache window asks again only what stayed
# unknown (only the issuer's decisive answers are cached).
BEFORE=$(requests)
run_pl scan --validate --show-secrets --validate-timeout 2 -f json "$FX/secrets.txt"
WANT=$("$PYTHON" -c 'import json,sys; print(sum(v[2] for v in json.load(open(sys.argv[1])).values() if v[0] == "unknown"))' "$FX/expected.json")
[ "$(( $(requests) - BEFORE ))" = "$WANT" ] &&
	pass "second run: valid and invalid answers from the cache; only the $WANT unknown requests again" ||
	fail "second run sent $(( $(requests) - BEFORE )) requests, want $WANT"
assert_json "cached answers are marked" \
	"all(f['validation'].get('cached') == (f['validation']['status'] in ('valid', 'invalid')) for f in j['findings'])"

# 4. --only-valid, and the text and SARIF formats carry the status.
run_pl scan --only-valid -f jsonl "$FX/secrets.txt"
assert_py "--only-valid keeps only valid findings" \
	"rows and all(r['validation']['status'] == 'valid' for r in rows) and len(rows) >= 10"
run_pl scan --validate "$FX/secrets.txt"
assert_contains "$OUT" "validation: valid" "text report shows the status"
assert_contains "$OUT" "validation: not checked (private host (private address))" "text report says why not checked"
run_pl scan --validate -f sarif "$FX/secrets.txt"
assert_json "SARIF result properties carry the validation" \
	"all('validation' in r['properties'] for r in j['runs'][0]['results'])"

# 5. No full secret in stderr (logs, errors) even with --validate.
run_pl scan --validate --validate-cache-ttl 0 "$FX/secrets.txt"
"$PYTHON" - "$ERR" "$FX/expected.json" <<'PY' && pass "no secret printed in full on stderr" || fail "a secret leaked to stderr"
import json, sys
err = open(sys.argv[1]).read()
sys.exit(1 if any(len(s) > 12 and s in err for s in json.load(open(sys.argv[2]))) else 0)
PY

# 6. PyPI: offline by default; the upload probe only when asked.
BEFORE=$(requests)
run_pl scan --validate --validate-pypi-upload-probe --validate-cache-ttl 0 -f json "$FX/secrets.txt"
assert_json "--validate-pypi-upload-probe: the rejected upload proves the token" \
	"any(f['rule']=='pypi-upload-token' and f['validation']['status']=='valid' for f in j['findings'])"
# 7. scan --validate --db records each check (with its time) in the store.
run_pl scan --validate --validate-timeout 2 --db "$TMP/v.db" -q -f json "$FX/secrets.txt"
"$PYTHON" - "$TMP/v.db" "$OUT" <<'PY' >"$TMP/db" 2>&1
import collections, json, sqlite3, sys
got = dict(sqlite3.connect(sys.argv[1]).execute(
    "SELECT status, COUNT(*) FROM validations GROUP BY status").fetchall())
seen = {f["fingerprint"]: f["validation"]["status"] for f in json.load(open(sys.argv[2]))["findings"]}
want = dict(collections.Counter(s for s in seen.values() if s != "not_checked"))
print(got, "as reported:", want)
sys.exit(0 if got == want else 1)
PY
[ $? = 0 ] && pass "scan --validate --db records every check ($(cat "$TMP/db"))" ||
	{ fail "validations in the store"; sed 's/^/    | /' "$TMP/db"; }
note "npm tokens: only to the registry the environment names"
"$PYTHON" - "$LIB_DIR" >"$TMP/npm.txt" <<'PY'
import random, sys
sys.path.insert(0, sys.argv[1])
import fakesecrets
print('NPM_TOKEN = "%s"' % fakesecrets.github(random.Random(7), prefix="npm_"))
PY
before=$(requests)
run_pl scan --validate -f json "$TMP/npm.txt"
assert_json "without npm_config_registry an npm token is not checked, and says why" \
	"any(f['rule'] == 'npm-access-token' and f['validation']['status'] == 'not_checked' and 'npm_config_registry' in f['validation']['reason'] for f in j['findings'])"
[ "$(requests)" = "$before" ] && pass "no request was sent for it" || fail "a request was sent for an npm token"
finish
