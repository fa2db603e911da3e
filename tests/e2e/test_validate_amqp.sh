#!/usr/bin/env bash
# AMQP URIs against a protocol-level fake broker on loopback
# (tests/validators/fake_amqp.py; RabbitMQ itself is not started here): the
# right password is valid, a wrong one invalid (Connection.Close 403), the
# client stops after Connection.Open, and without --validate-private the
# broker sees no connection.
. "$(dirname "$0")/../lib/common.sh"
require_binary
export PKGLEAKS_VALIDATE_LOOPBACK_ONLY=1 PKGLEAKS_CACHE_DIR=
PW=$("$PYTHON" -c 'import random,string; r=random.SystemRandom(); print("".join(r.choice(string.ascii_letters+string.digits) for _ in range(18)))')
"$PYTHON" "$TESTS_DIR/validators/fake_amqp.py" --user pl_user --password "$PW" --log "$TMP/amqp.log" \
	--port-file "$TMP/port" >"$TMP/fake.out" 2>&1 &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
[ -s "$TMP/port" ] || { fail "fake broker did not start"; finish; }
PORT=$(cat "$TMP/port")
mkdir -p "$FX"
printf 'BROKER_URL=amqp://pl_user:%s@127.1:%s/%%2F\nOLD_BROKER=amqp://pl_user:Wr0ng%s@127.1:%s/prod\n' \
	"$PW" "$PORT" "$PW" "$PORT" >"$FX/uris.txt"

run_pl scan --validate -f json "$FX/uris.txt"
assert_json "without --validate-private: not checked (private host)" \
	"len(j['findings']) == 2 and all(f['validation']['reason'].startswith('private host') for f in j['findings'])"
[ ! -s "$TMP/amqp.log" ] && pass "the broker saw no connection" || fail "the broker saw a connection"

run_pl scan --validate --validate-private --show-secrets -f json "$FX/uris.txt"
assert_json "the right password is valid" \
	"any(f['secret'].startswith('amqp://pl_user:$PW@') and f['validation']['status']=='valid' for f in j['findings'])"
assert_json "a wrong password is invalid" \
	"any(f['secret'].startswith('amqp://pl_user:Wr0ng') and f['validation']['status']=='invalid' for f in j['findings'])"
grep -q UNEXPECTED "$TMP/amqp.log" && fail "the client went past Connection.Open: $(cat "$TMP/amqp.log")" ||
	pass "the client stopped after Connection.Open ($(tr '\n' ' ' <"$TMP/amqp.log"))"
finish
