#!/usr/bin/env bash
# Disclosure (issue 8), the same checks on SQLite and on a real PostgreSQL
# started here on loopback: owner contacts from package metadata (PKG-INFO,
# package.json), `pkgleaks disclose` reports (Markdown and JSON, one per
# project, an index by owner, secrets redacted), --only-valid with nothing
# validated (writes nothing, says why, exits 0), validity from a fake issuer
# on loopback, --mark-notified (by project and by fingerprint prefix), a
# rotation seen after notice, a fix seen when the next release is scanned,
# and `pkgleaks report` showing each state. Fake secrets are made at run time
# (lib/disclose_fixtures.py); nothing leaves loopback.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB_DIR/postgres.sh"
require_binary
FAKE=
stop_fake() {
	[ -n "$FAKE" ] && kill "$FAKE" 2>/dev/null && wait "$FAKE" 2>/dev/null
	FAKE=
}
trap 'stop_fake; pg_stop; cleanup' EXIT

"$PYTHON" "$LIB_DIR/disclose_fixtures.py" "$FX" || { fail "disclose_fixtures.py failed"; finish; }
cd "$FX" || exit 1
GITHUB=$("$PYTHON" -c 'import json; print(json.load(open("notes.json"))["github"])')
export PKGLEAKS_VALIDATE_LOOPBACK_ONLY=1 PKGLEAKS_CACHE_DIR=$TMP/cache

# start_fake VERDICT: the fake issuer (tests/validators) answers VERDICT for
# the GitHub token and "invalid" for every other credential.
start_fake() {
	stop_fake
	rm -f "$TMP/port"
	printf '{"credentials": {"github:%s": "%s"}}\n' "$GITHUB" "$1" >"$TMP/table.json"
	"$PYTHON" "$TESTS_DIR/validators/fake_issuer.py" --table "$TMP/table.json" \
		--log "$TMP/fake.log" --port-file "$TMP/port" >"$TMP/fake.out" 2>&1 &
	FAKE=$!
	local _
	for _ in $(seq 1 100); do [ -s "$TMP/port" ] && break; sleep 0.1; done
	[ -s "$TMP/port" ] || { fail "the fake issuer did not start"; cat "$TMP/fake.out"; return 1; }
	local s port
	port=$(cat "$TMP/port")
	for s in github slack stripe; do
		export "PKGLEAKS_$(echo "$s" | tr 'a-z' 'A-Z')_URL=http://127.0.0.1:$port/$s"
	done
}

new_db() {
	if [ "$1" = sqlite ]; then
		rm -f "$TMP/$2.db" "$TMP/$2.db-wal" "$TMP/$2.db-shm"
		echo "$TMP/$2.db"
	else
		pg_new_db "$2"
	fi
}

# db_rows BACKEND DB SQL: the rows, one per line, columns joined by '|'.
db_rows() {
	if [ "$1" = sqlite ]; then
		"$PYTHON" -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in r))' "$2" "$3"
	else
		"$PG_BIN/psql" -X -q -t -A "$2" -c "$3"
	fi
}

# state_of BACKEND DB PROJECT: the disclosure row of the project's one secret.
state_of() {
	db_rows "$1" "$2" "SELECT d.state, d.fixed_version, CASE WHEN d.notified_at IS NULL
		THEN 'unnotified' ELSE 'notified' END FROM disclosures d WHERE d.project = '$3'"
}

# The raw secrets must appear in no report.
assert_redacted() {
	local dir=$1 desc=$2 s leaked=0
	for s in $("$PYTHON" -c 'import json; print(" ".join(json.load(open("notes.json")).values()))'); do
		grep -rqF -- "$s" "$dir" && leaked=1
		grep -rqF -- "${s:8}" "$dir" && leaked=1
	done
	[ "$leaked" = 0 ] && pass "$desc" || fail "$desc: a raw secret is in $dir"
}

check_backend() {
	local b=$1 db out
	db=$(new_db "$b" disclose)
	out=$TMP/out-$b

	# Release 1.0 of acme, an npm package and a package naming nobody.
	run_pl scan -q --db="$db" acme-1.0.tar.gz widget-1.0.tgz bare-0.1.tar.gz
	assert_exit 1 "$b: scan --db finds the three secrets"
	local contacts
	contacts=$(db_rows "$b" "$db" "SELECT a.project, c.role, COALESCE(c.name, ''),
		COALESCE(c.email, ''), COALESCE(c.url, '') FROM contacts c
		JOIN artifacts a ON a.id = c.artifact_id ORDER BY a.project, c.seq")
	printf '%s\n' "$contacts" >"$TMP/contacts"
	assert_contains "$TMP/contacts" "acme|author|Jane Doe|jane@example.org|" \
		"$b: Author + Author-email are one contact"
	assert_contains "$TMP/contacts" "acme|maintainer|Ops Team|ops@example.org|" \
		"$b: a folded Maintainer-email list, quoted name"
	assert_contains "$TMP/contacts" "acme|maintainer||bob@example.com|" \
		"$b: ...and its second address"
	assert_contains "$TMP/contacts" "acme|project-url|Security||https://acme.example.org/security" \
		"$b: Project-URL with its label"
	assert_contains "$TMP/contacts" "@acme/widget|author|Carol Widget|carol@example.net|https://carol.example.net" \
		"$b: package.json author object"
	assert_contains "$TMP/contacts" "@acme/widget|bugs||security@example.net|https://github.com/acme/widget/issues" \
		"$b: package.json bugs e-mail"
	assert_contains "$TMP/contacts" "@acme/widget|repository|||https://github.com/acme/widget" \
		"$b: repository shorthand expanded"
	assert_not_contains "$TMP/contacts" "bare|" "$b: setuptools' UNKNOWN is no contact"
	assert_not_contains "$TMP/contacts" "not a header" "$b: the PKG-INFO body is not read as headers"

	# --only-valid (the default) with nothing validated: nothing written, exit 0.
	run_pl disclose --db="$db" --out "$out"
	assert_exit 0 "$b: disclose with no validation exits 0"
	assert_contains "$ERR" "none of the 3 secrets in the store has been validated" \
		"$b: ...and says that nothing was validated"
	assert_contains "$ERR" "pkgleaks scan --validate --db=" "$b: ...suggests scan --validate"
	assert_contains "$ERR" "pkgleaks disclose --all" "$b: ...and --all"
	[ ! -e "$out" ] && pass "$b: ...and writes nothing" || fail "$b: $out was written"

	# Validity from the issuer (a fake on loopback): the GitHub token works.
	start_fake valid || return
	run_pl scan -q --validate --rescan --db="$db" acme-1.0.tar.gz widget-1.0.tgz bare-0.1.tar.gz
	assert_exit 1 "$b: scan --validate --db records the issuers' answers"
	run_pl disclose --db="$db" --out "$out"
	assert_exit 0 "$b: disclose --only-valid"
	assert_contains "$OUT" "pypi/acme: 1 secret, to ops@example.org: $out/pypi-acme.md" \
		"$b: one report, for the valid secret's project, addressed to its maintainer"
	[ "$(ls "$out" | sort | tr '\n' ' ')" = "index.json index.md pypi-acme.json pypi-acme.md " ] &&
		pass "$b: only that project's reports and the index" || fail "$b: files: $(ls "$out")"
	local md=$out/pypi-acme.md
	assert_contains "$md" "| author | Jane Doe | jane@example.org |" "$b: the report names the author"
	assert_contains "$md" "| 1.0 | \`acme-1.0.tar.gz\` | \`acme-1.0/acme/settings.py\` | 2 |" \
		"$b: ...the file, release and line"
	assert_contains "$md" "**Releases holding it (1):** 1.0" "$b: ...the releases affected"
	assert_contains "$md" "**First seen:** release 1.0 (uploaded 2024-01-01)" "$b: ...first seen"
	assert_contains "$md" "**valid** when checked on" "$b: ...valid when checked"
	assert_contains "$md" "\`ghp_…\`" "$b: ...the redacted secret"
	assert_contains "$md" "https://github.com/settings/tokens" "$b: ...the rule's remediation"
	assert_redacted "$out" "$b: no raw secret in any report"
	cp "$out/pypi-acme.json" "$OUT"
	assert_json "$b: the JSON report" "(s := j['secrets'][0]) and j['format'] == 'pkgleaks-disclosure' and
j['project'] == 'acme' and j['owner'] == 'ops@example.org' and
s['rule'] == 'github-pat-classic' and s['secret'] == 'ghp_\u2026' and len(s['fingerprint']) == 64 and
s['validation']['status'] == 'valid' and s['validation']['checked_at'] and
s['releases'] == ['1.0'] and s['first_release'] == '1.0' and s['in_newest_release'] and
s['locations'] == [{'release': '1.0', 'file': 'acme-1.0.tar.gz', 'path': 'acme-1.0/acme/settings.py',
                    'line': 2, 'column': 17}] and
s['disclosure']['state'] == 'new' and s['remediation'] and s['references'] and
{'role': 'author', 'name': 'Jane Doe', 'email': 'jane@example.org', 'url': None, 'release': '1.0'}
in j['contacts']"

	# --all: every project; the index groups them by owner.
	run_pl disclose --db="$db" --all --out "$out-all"
	assert_exit 0 "$b: disclose --all"
	cp "$out-all/index.json" "$OUT"
	assert_json "$b: index by owner (maintainer first, none last); a scoped npm name gets a safe file name" "
[o['owner'] for o in j['owners']] == ['dave@example.net', 'ops@example.org', None] and
(w := j['owners'][0]['projects'][0])['project'] == '@acme/widget' and
re.fullmatch(r'npm-_acme_widget-[0-9a-f]{8}\.md', w['markdown']) and
j['owners'][2]['projects'][0]['project'] == 'bare'"
	assert_contains "$out-all/pypi-bare.md" "The package metadata names no contact" \
		"$b: a project whose metadata names nobody says so"
	assert_redacted "$out-all" "$b: no raw secret in any --all report"

	# The owners were told.
	run_pl disclose --db="$db" --mark-notified --project ACME
	assert_exit 0 "$b: --mark-notified --project (case-insensitive)"
	assert_contains "$OUT" "marked 1 secret as notified" "$b: ...marks the valid secret"
	run_pl disclose --db="$db" --mark-notified --project acme
	assert_contains "$OUT" "marked 0 secrets as notified (1 already was)" "$b: ...once"
	local wfp
	wfp=$("$PYTHON" -c 'import json, glob, sys
print(json.load(open(glob.glob(sys.argv[1] + "/npm-*.json")[0]))["secrets"][0]["fingerprint"][:12])' "$out-all")
	run_pl disclose --db="$db" --mark-notified "$wfp"
	assert_exit 0 "$b: --mark-notified by fingerprint prefix"
	assert_contains "$OUT" "marked 1 secret as notified" "$b: ...marks that secret"
	run_pl disclose --db="$db" --mark-notified 0123456789abcdef
	assert_exit 2 "$b: an unknown fingerprint is an error"
	run_pl disclose --db="$db" --mark-notified
	assert_exit 2 "$b: --mark-notified with nothing named is an error"
	state_of "$b" "$db" acme >"$TMP/st"
	assert_match "$TMP/st" '^notified\|\|notified$' "$b: acme's secret is notified in the store"

	# After notice the issuers reject both tokens: rotated.
	sleep 1
	start_fake invalid || return
	run_pl scan -q --validate --validate-cache-ttl 0 --rescan --db="$db" acme-1.0.tar.gz widget-1.0.tgz
	assert_exit 1 "$b: validated again"
	run_pl report --db="$db" --table persistence -f json
	assert_exit 0 "$b: report"
	assert_json "$b: report: rotated after notice (valid then invalid; never valid but notified), new" "
(p := {r['project']: r for r in j['persistence']}) and
p['acme']['disclosure_state'] == 'rotated' and p['acme']['after_notice'] and
p['@acme/widget']['disclosure_state'] == 'rotated' and p['@acme/widget']['after_notice'] and
p['bare']['disclosure_state'] == 'new' and p['bare']['notified_at'] is None"
	stop_fake

	# Release 1.1 drops the token: the scan that stores it finds the leak fixed.
	run_pl scan -q --db="$db" acme-1.1.tar.gz
	assert_exit 0 "$b: scan acme 1.1 (no secret)"
	state_of "$b" "$db" acme >"$TMP/st"
	assert_match "$TMP/st" '^fixed\|1\.1\|notified$' \
		"$b: the scan of 1.1 made acme's secret fixed (in 1.1), notified before"
	run_pl report --db="$db" --table persistence
	assert_exit 0 "$b: report (text)"
	assert_match "$OUT" 'github-pat-classic +ghp_… +pypi/acme +1\.0 +1\.0 +1 +1\.1 +no +fixed after notice' \
		"$b: the persistence table shows the leak fixed after notice"
	assert_match "$OUT" 'stripe-secret-key .* yes +new' "$b: ...and an untold one as new"
	run_pl report --db="$db" --table persistence -f csv
	assert_contains "$OUT" ",fixed after notice" "$b: ...in CSV too"
	run_pl disclose --db="$db" --all --out "$out-after"
	assert_contains "$out-after/pypi-acme.md" "removed in release 1.1" "$b: the report says where it was fixed"
	assert_contains "$out-after/pypi-acme.md" "last found valid on" "$b: ...and when it last worked"
	assert_contains "$out-after/pypi-acme.md" "**Newest release (1.1):** no longer holds it" \
		"$b: ...and that the newest release no longer holds it"
	assert_redacted "$out-after" "$b: no raw secret after the fix either"
	cp -r "$out-after" "$TMP/final-$b"
}

check_backend sqlite
if pg_start; then
	note "PostgreSQL on 127.0.0.1:$PG_PORT ($PG_BIN)"
	check_backend postgresql
	# Both back ends write the same reports (times aside).
	"$PYTHON" - "$TMP/final-sqlite" "$TMP/final-postgresql" >"$TMP/cmp" 2>&1 <<'PY'
import json, os, re, sys
def load(d):
    out = {}
    for f in sorted(os.listdir(d)):
        if f.endswith(".json"):
            out[f] = re.sub(r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"', '"T"', open(os.path.join(d, f)).read())
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
# Fingerprints are the same (same secrets); times differ between runs.
sys.exit(0 if a == b else 1)
PY
	if [ $? = 0 ]; then pass "SQLite and PostgreSQL write the same JSON reports (times aside)"
	else fail "the back ends' reports differ"; fi
else
	fail "$PG_ERROR"
fi
finish
