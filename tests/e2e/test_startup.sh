#!/usr/bin/env bash
# Start-up stays lean: a plain scan never loads the client libraries of the
# store, the registries or validation (src/dl/dl.h opens them on first use),
# nor libxml2 and ICU (src/walk/walk.c support_formats), nor OpenSSL until a
# finding needs a fingerprint, and a use that needs one loads it. OpenSSL
# runs with AVX-512 masked (OPENSSL_ia32cap, src/dl/libs.c).
. "$(dirname "$0")/../lib/common.sh"
require_binary
make_fixtures --set formats
cd "$FX" || exit 1
printf 'nothing to see here\n' >clean.txt

# loaded FILE ARGS...: the shared objects the run mapped, one per line, into FILE.
loaded() {
	local out=$1
	shift
	LD_DEBUG=files "$PKGLEAKS" "$@" 2>&1 >/dev/null | grep -o 'file=[^ ]*' | sort -u >"$out"
}

# The time zone is read once (src/util/tz.h), not for every zip member.
if command -v strace >/dev/null 2>&1; then
	"$PYTHON" - "$FX/many.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for i in range(200):
        z.writestr("pkg/m%03d.py" % i, "x = %d\n" % i)
PY
	strace -f -e trace=stat,newfstatat,statx -o "$TMP/strace.txt" "$PKGLEAKS" scan -q --no-progress many.zip >/dev/null 2>&1
	n=$(grep -c 'localtime' "$TMP/strace.txt")
	if [ "$n" -le 2 ]; then pass "a zip of 200 members looks at /etc/localtime $n times, not per member"
	else fail "/etc/localtime looked at $n times for a zip of 200 members"; fi
	TZ=UTC strace -f -e trace=stat,newfstatat,statx -o "$TMP/strace-utc.txt" "$PKGLEAKS" scan -q --no-progress many.zip >/dev/null 2>&1
	assert_not_contains "$TMP/strace-utc.txt" "localtime" "a TZ the user set is kept (UTC: /etc/localtime never read)"
else
	note "strace not installed: the time zone check is skipped"
fi

note "a scan maps none of the client libraries"
loaded libs.txt scan -q --no-progress clean.txt
for lib in libcurl libpq libmongoc libbson libmariadb libhiredis librabbitmq libcrypto libssl; do
	assert_not_contains libs.txt "$lib" "scan does not load $lib"
done
# libxml2 (and ICU with it) served only libarchive's xar reader, left out.
for lib in libxml2 libicu; do
	assert_not_contains libs.txt "$lib" "scan does not load $lib"
done
assert_contains libs.txt "libhs" "scan loads Hyperscan (sanity check of LD_DEBUG)"

note "the binary does not link them either"
readelf -d "$PKGLEAKS" 2>/dev/null | grep NEEDED >needed.txt || true
if [ -s needed.txt ]; then
	for lib in libcurl libpq libmongoc libmariadb libhiredis librabbitmq libcrypto libssl; do
		assert_not_contains needed.txt "$lib" "pkgleaks has no NEEDED entry for $lib"
	done
fi

note "a use that needs one opens it"
loaded libs.txt report --db "$FX/none.db" --format json
assert_not_contains libs.txt "libpq" "a SQLite report does not load libpq"
loaded libs.txt report --db "postgresql://127.0.0.1:1/none?connect_timeout=1" --format json
assert_contains libs.txt "libpq" "a PostgreSQL store loads libpq"

note "OpenSSL: loaded for a finding's fingerprint, and for a store"
printf 'token = "%s"\n' "$(fake_secret github)" >secret.txt
loaded libs.txt scan -q --no-progress secret.txt
assert_contains libs.txt "libcrypto" "a scan that finds a secret loads libcrypto"
assert_not_contains libs.txt "libssl" "... but not libssl"
loaded libs.txt scan -q --no-progress --db "$FX/startup.db" clean.txt
assert_contains libs.txt "libcrypto" "a scan into a store loads libcrypto (blob ids)"

note "OpenSSL runs with AVX512F masked, unless the user says otherwise"
run_pl version --verbose
assert_exit 0 "version --verbose"
assert_contains "$OUT" "OpenSSL 3" "version --verbose names OpenSSL"
assert_match "$OUT" '^Hyperscan [0-9]' "version --verbose names Hyperscan"
assert_contains "$OUT" "env::~0x10000" "OpenSSL saw OPENSSL_ia32cap=:~0x10000"
OPENSSL_ia32cap=":~0x20000" run_pl version --verbose
assert_contains "$OUT" "env::~0x20000" "a value the user set is kept"
assert_not_contains "$OUT" "env::~0x10000" "... and not replaced"
finish
