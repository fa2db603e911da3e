#!/usr/bin/env bash
# MongoDB URIs against a protocol-level fake server on loopback
# (tests/validators/fake_mongo.py; Debian 12 has no MongoDB server): the
# validator (src/validate/mongodb.c, libmongoc) logs in with SCRAM-SHA-256
# (speculative authentication in the handshake, as MongoDB >= 4.4 answers it)
# and SCRAM-SHA-1; the right password is valid, a wrong one invalid (code 18);
# after the login it sends only `ping`, and only once authenticated; without
# --validate-private the server sees no connection; mongodb+srv:// is not
# checked.
. "$(dirname "$0")/../lib/common.sh"
require_binary
export PKGLEAKS_VALIDATE_LOOPBACK_ONLY=1 PKGLEAKS_CACHE_DIR=
PW=$("$PYTHON" -c 'import random,string; r=random.SystemRandom(); print("".join(r.choice(string.ascii_letters+string.digits) for _ in range(18)))')
"$PYTHON" "$TESTS_DIR/validators/fake_mongo.py" --user pl_user --password "$PW" --log "$TMP/mongo.log" \
	--port-file "$TMP/port" >"$TMP/fake.out" 2>&1 &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
[ -s "$TMP/port" ] || { fail "fake server did not start"; cat "$TMP/fake.out"; finish; }
PORT=$(cat "$TMP/port")
mkdir -p "$FX"
{
	printf 'MONGO_URL=mongodb://pl_user:%s@127.1:%s/admin\n' "$PW" "$PORT"
	printf 'OLD_MONGO=mongodb://pl_user:Wr0ng%s@127.1:%s/admin\n' "$PW" "$PORT"
	printf 'LEGACY=mongodb://pl_user:%s@127.1:%s/app?authSource=admin&authMechanism=SCRAM-SHA-1\n' "$PW" "$PORT"
	printf 'LEGACY_OLD=mongodb://pl_user:0ld%s@127.1:%s/app?authSource=admin&authMechanism=SCRAM-SHA-1\n' "$PW" "$PORT"
	printf 'ATLAS=mongodb+srv://pl_user:%s@cluster0.q81zk.mongodb.net/app\n' "$PW"
} >"$FX/uris.txt"

run_pl scan --validate -f json "$FX/uris.txt"
assert_json "without --validate-private: not checked (private host)" \
	"len(j['findings']) == 5 and all(f['validation']['status'] == 'not_checked' for f in j['findings'])"
[ ! -s "$TMP/mongo.log" ] && pass "the server saw no connection" || fail "the server saw a connection"

run_pl scan --validate --validate-private --validate-timeout 5 --show-secrets -f json "$FX/uris.txt"
assert_exit 1 "scan --validate --validate-private"
# status_of LINE STATUS: the finding of line LINE of uris.txt has STATUS.
status_of() { echo "[f['validation']['status'] for f in j['findings'] if f['line'] == $1] == ['$2']"; }
assert_json "SCRAM-SHA-256: the right password is valid" "$(status_of 1 valid)"
assert_json "SCRAM-SHA-256: a wrong password is invalid" "$(status_of 2 invalid)"
assert_json "SCRAM-SHA-1: the right password is valid" "$(status_of 3 valid)"
assert_json "SCRAM-SHA-1: a wrong password is invalid" "$(status_of 4 invalid)"
assert_json "mongodb+srv: not checked (SRV records are not vetted)" \
	"[f['validation']['reason'] for f in j['findings'] if f['secret'].startswith('mongodb+srv')][0].startswith('mongodb+srv')"
"$PYTHON" - "$TMP/mongo.log" <<'PY' >"$TMP/check" 2>&1
import json, sys
conns = [json.loads(l)["events"] for l in open(sys.argv[1])]
bad = []
for ev in conns:
    if any(e.startswith("UNEXPECTED") for e in ev):
        bad.append(f"unexpected: {ev}")
    if any(e.startswith("ping") for e in ev) and "ping:authenticated" not in ev:
        bad.append(f"ping before the login: {ev}")
    if "auth:ok" in ev and ev[-1] != "ping:authenticated":
        bad.append(f"after the login, not just a ping: {ev}")
    if "auth:ok" not in ev and any(e.startswith("ping") for e in ev):
        bad.append(f"a ping without a login: {ev}")
mechs = {e for ev in conns for e in ev if e.startswith("saslStart:")}
ok = sum("auth:ok" in ev for ev in conns)
print(f"{len(conns)} connections, {ok} logins, mechanisms {sorted(mechs)}")
for b in bad: print(b)
sys.exit(1 if bad or len(conns) != 4 or ok != 2 or len(mechs) != 2 else 0)
PY
[ $? = 0 ] && pass "the server saw only logins and a ping after each ($(head -n 1 "$TMP/check"))" ||
	{ fail "what the server saw"; sed 's/^/    | /' "$TMP/check"; }
finish
