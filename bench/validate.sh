#!/usr/bin/env bash
# Validation of N unique secrets (default 1000 GitHub tokens, all valid)
# against the fake issuer on loopback: wall time, requests the issuer saw
# (goal: one per unique secret), then a second run within the cache window
# (goal: none); then the same from a store with `pkgleaks validate --db`.
# Usage: bench/validate.sh [BUILD_DIR] [N]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/${1:-build}/pkgleaks
N=${2:-1000}
T=$(mktemp -d)
trap 'kill $FAKE 2>/dev/null; rm -rf "$T"' EXIT
python3 "$ROOT/tests/validators/make_secrets.py" "$T" --bulk "$N" >/dev/null
python3 "$ROOT/tests/validators/fake_issuer.py" --table "$T/table.json" --log "$T/log" --port-file "$T/port" &
FAKE=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.1; done
export PKGLEAKS_VALIDATE_LOOPBACK_ONLY=1 PKGLEAKS_CACHE_DIR=$T/cache
export PKGLEAKS_GITHUB_URL=http://127.0.0.1:$(cat "$T/port")/github
# Every check goes to one service: lift its politeness limit for the fake.
OPTS=(--validate --validate-rate 1000 --validate-jobs 16 -f json)
for run in 1 2; do
	t0=$(date +%s.%N)
	"$BIN" scan "${OPTS[@]}" "$T/secrets.txt" >"$T/out$run" 2>"$T/err$run" || true
	t1=$(date +%s.%N)
	echo "run $run: $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s wall;" \
		"the issuer saw $(wc -l <"$T/log") requests in total;" \
		"$(grep '^validation:' "$T/err$run")"
done
# The same secrets kept in a store (scan --db --store-secrets), checked again
# by `pkgleaks validate --db`: one request each, then none with --older-than
# (each was just checked). The file cache is not used by `validate`.
export PKGLEAKS_KEY=bench-validate-key
"$BIN" scan --db "$T/v.db" --store-secrets -q "$T/secrets.txt" >/dev/null 2>&1 || true
for run in "validate" "validate --older-than 7d"; do
	before=$(wc -l <"$T/log")
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086
	"$BIN" $run --db "$T/v.db" --validate-rate 1000 --validate-jobs 16 -q >/dev/null 2>"$T/err" || true
	t1=$(date +%s.%N)
	echo "pkgleaks $run --db: $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s wall;" \
		"the issuer saw $(( $(wc -l <"$T/log") - before )) requests; $(grep '^validate:' "$T/err")"
done
