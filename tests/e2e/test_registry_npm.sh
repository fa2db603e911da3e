#!/usr/bin/env bash
# npm as npm itself is configured: credentials in .npmrc (project, user,
# NPM_CONFIG_USERCONFIG) and npm_config_* variables scoped by nerf dart,
# ${VAR} in values, Bearer and Basic; a credential goes only to the
# registry's scheme, host and port (never to a tarball on another port, never
# across a redirect), and is never printed. @scope:registry picks the
# registry of scoped packages. crawl --all --npm reads _all_docs in pages.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/registry.sh"
require_binary

ROOTDIR=$TMP/registry
registry_root "$ROOTDIR"
export TMPDIR=$TMP/tmpdir
mkdir -p "$TMPDIR" "$TMP/home" "$TMP/work"
export HOME=$TMP/home
cd "$TMP/work" || exit 1
NET=(--retries 1 --backoff 0.05 --timeout 5 --no-progress -q)
TOKEN=tok-$RANDOM$RANDOM-s3cr3t
SECRET_NPM=$(manifest npm.tgz secret)

# start_npm [fake_index options]: the index requiring credentials; FILES is
# the origin of its second listener (tarballs there need none).
start_npm() {
	stop_index
	start_index "$ROOTDIR" --files-port-file "$TMP/files.port" "$@"
	FILES=http://127.0.0.1:$(cat "$TMP/files.port")
	HOSTPORT=${IDX_URL#http://}
	unset npm_config_registry
	rm -f .npmrc "$HOME/.npmrc"
	printf 'registry=%s/npm/\n' "$IDX_URL" >"$HOME/.npmrc"
}

# never_shown DESC: the token is in no output, no store, no spool.
never_shown() {
	if grep -rqF -- "$TOKEN" "$OUT" "$ERR" ./*.db "$TMPDIR" 2>/dev/null; then
		fail "$1: the token was written somewhere"
	else pass "$1: the token is in no output or store"; fi
}

# ---- Bearer: a tarball on another port gets no credential ----
start_npm --require-auth "Bearer $TOKEN"
run_pl npm "${NET[@]}" npmpkg
assert_exit 2 "no credential: the registry's 401 is an error"
assert_contains "$ERR" "HTTP 401" "no credential: the message says 401"
assert_contains "$ERR" "no credential was sent" "no credential: ...and that none was sent"

printf '//%s/npm/:_authToken=${PL_TEST_NPM_TOKEN}\n' "$HOSTPORT" >>"$HOME/.npmrc"
: >"$IDX_LOG"
PL_TEST_NPM_TOKEN=$TOKEN run_pl npm "${NET[@]}" -f jsonl --show-secrets --db a.db npmpkg
assert_exit 1 "~/.npmrc _authToken with \${VAR}: the package is read and scanned"
assert_contains "$OUT" "$SECRET_NPM" "_authToken: the tarball's planted secret"
assert_eq "$(log_py '[(r["server"], r["auth"]) for r in rows if r["path"].startswith("/npm/")]')" \
	"[('main', 'Bearer $TOKEN')]" "_authToken: the registry document is asked for with Bearer"
assert_eq "$(log_py '[(r["server"], r["auth"]) for r in files]')" "[('files', None)]" \
	"_authToken: the tarball on another port gets no Authorization"
never_shown "_authToken"

# Not set: ${VAR} stays as written (npm's rule), so the registry refuses it.
run_pl npm "${NET[@]}" npmpkg
assert_exit 2 "\${VAR} unset: the credential is refused"
assert_contains "$ERR" "credential was refused" "\${VAR} unset: the message says so"

# The nerf dart: a credential for another path or port does not apply.
printf 'registry=%s/npm/\n//%s/other/:_authToken=%s\n//127.0.0.1:9/npm/:_authToken=%s\n' \
	"$IDX_URL" "$HOSTPORT" "$TOKEN" "$TOKEN" >"$HOME/.npmrc"
: >"$IDX_LOG"
run_pl npm "${NET[@]}" npmpkg
assert_exit 2 "a credential for another path or port is not sent"
assert_eq "$(log_py '[r["auth"] for r in rows]')" "[None]" "...no Authorization at all"

# The host's root dart covers every path under it; the project file and
# NPM_CONFIG_USERCONFIG are read too.
printf '//%s/:_authToken=%s\n' "$HOSTPORT" "$TOKEN" >"$TMP/userconfig"
printf 'registry=%s/npm/\n' "$IDX_URL" >.npmrc
NPM_CONFIG_USERCONFIG=$TMP/userconfig run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "NPM_CONFIG_USERCONFIG with the host's root dart, registry from ./.npmrc"
rm -f .npmrc

# npm_config_//host/:_authToken in the environment.
printf 'registry=%s/npm/\n' "$IDX_URL" >"$HOME/.npmrc"
env "npm_config_//$HOSTPORT/npm/:_authToken=$TOKEN" "$PKGLEAKS" npm "${NET[@]}" npmpkg \
	>"$OUT" 2>"$ERR"
RC=$?
check_sane "npm with npm_config_//host/:_authToken"
assert_exit 1 "npm_config_//host/path/:_authToken from the environment"
never_shown "environment credential"

# A redirect to another port: curl drops the credential.
stop_index
start_npm --require-auth "Bearer $TOKEN" --tarballs-on-main
printf '//%s/npm/:_authToken=%s\n' "$HOSTPORT" "$TOKEN" >>"$HOME/.npmrc"
run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "a tarball on the registry's own host and port gets the registry's credential"
set_faults '[{"match": "/files/", "fault": "redirect", "times": -1}]'
: >"$IDX_LOG"
run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "a tarball redirected to another port is still fetched"
assert_eq "$(log_py '[(r["server"], r["status"], r["auth"]) for r in files]')" \
	"[('main', 302, 'Bearer $TOKEN'), ('files', 200, None)]" \
	"redirect: the credential is not sent to the other port"
set_faults '[]'
never_shown "redirect"

# ---- Basic: _auth, and username with _password (base64) ----
BASIC=$(printf 'pkguser:pa55-%s' "$TOKEN" | base64 -w0)
start_npm --require-auth "Basic $BASIC"
printf '//%s/npm/:_auth=%s\n' "$HOSTPORT" "$BASIC" >>"$HOME/.npmrc"
run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "_auth (base64 user:pass) as Basic"
printf 'registry=%s/npm/\n//%s/npm/:username=pkguser\n//%s/npm/:_password="%s"\n' "$IDX_URL" \
	"$HOSTPORT" "$HOSTPORT" "$(printf 'pa55-%s' "$TOKEN" | base64 -w0)" >"$HOME/.npmrc"
run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "username and _password (base64, quoted) as Basic"
never_shown "Basic"

# ---- @scope:registry ----
start_npm
publish npmpkg-2.3.4.tgz acme-tool-1.0.0.tgz @acme/tool 1.0.0
printf 'registry=http://127.0.0.1:9/\n@acme:registry=%s/npm/\n' "$IDX_URL" >"$HOME/.npmrc"
: >"$IDX_LOG"
run_pl npm "${NET[@]}" -f jsonl --db s.db @acme/tool
assert_exit 1 "@scope:registry: a scoped package is read from its scope's registry"
assert_eq "$(db_py s.db 'q("select project, version, status from artifacts")')" \
	"[('@acme/tool', '1.0.0', 'ok')]" "@scope:registry: stored under its scoped name"
run_pl npm "${NET[@]}" npmpkg
assert_exit 2 "@scope:registry: an unscoped package still goes to registry="

# ---- crawl --all --npm: _all_docs, in pages ----
start_npm --all-docs-max 2
publish npmpkg-2.3.4.tgz acme-tool-1.0.0.tgz @acme/tool 1.0.0
publish npmpkg-2.3.4.tgz acme-other-0.1.0.tgz @acme/other 0.1.0
: >"$IDX_LOG"
run_pl crawl --npm --all --db c.db "${NET[@]}"
assert_exit 0 "crawl --all --npm"
assert_eq "$(db_py c.db 'q("select project, status from queue order by project")')" \
	"[('@acme/other', 'done'), ('@acme/tool', 'done'), ('npmpkg', 'done')]" \
	"crawl --all --npm: every package queued and done"
assert_eq "$(log_py 'len([r for r in rows if r["path"].startswith("/npm/_all_docs")])')" 3 \
	"crawl --all --npm: _all_docs read page by page (two rows a page here)"
assert_eq "$(db_py c.db 'q("select count(*) from artifacts where status = ?", "ok")')" "[(3,)]" \
	"crawl --all --npm: the latest tarball of each stored"
run_pl crawl --npm --all --db c2.db "${NET[@]}" --registry "$IDX_URL/elsewhere/"
assert_exit 2 "crawl --all --npm: a registry without _all_docs is an error"
assert_contains "$ERR" "does not list its packages" "crawl --all --npm: ...that says what to give instead"

# A registry that ignores startkey (and limit) answers every page with all
# it has: read once, not in an endless loop.
start_npm --all-docs-no-startkey
publish npmpkg-2.3.4.tgz acme-tool-1.0.0.tgz @acme/tool 1.0.0
: >"$IDX_LOG"
run_pl crawl --npm --all --db c3.db "${NET[@]}"
assert_exit 0 "crawl --all --npm: a registry that ignores startkey"
assert_eq "$(db_py c3.db 'q("select count(*) from queue where status = ?", "done")')" "[(2,)]" \
	"crawl --all --npm: ...every package once"
assert_eq "$(log_py 'len([r for r in rows if r["path"].startswith("/npm/_all_docs")])')" 2 \
	"crawl --all --npm: ...and two pages read (the second repeats the first)"

finish
