#!/usr/bin/env bash
# npm as npm itself is configured: credentials in .npmrc (project, user,
# NPM_CONFIG_USERCONFIG) and npm_config_* variables scoped by nerf dart,
# ${VAR} in values, Bearer and Basic; a credential goes only to the
# registry's scheme, host and port (never to a tarball on another port, never
# across a redirect), and is never printed. @scope:registry picks the
# registry of scoped packages. crawl --all --npm reads _all_docs in pages.
# The layers npm reads: the project's .npmrc in the nearest directory up
# with a package.json or node_modules, the global npmrc (PREFIX/etc/npmrc
# from the node on $PATH, npm_config_prefix, or globalconfig) and npm's
# builtin npmrc, each beaten by the ones above it. TLS (a throwaway CA made
# here): cafile=, ca=, ca[]=, strict-ssl=false, and per-registry client
# certificates (certfile/keyfile) that go to their registry's host and port
# only, never across a redirect.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/registry.sh"
require_binary

ROOTDIR=$TMP/registry
registry_root "$ROOTDIR"
export TMPDIR=$TMP/tmpdir
mkdir -p "$TMPDIR" "$TMP/home" "$TMP/work"
export HOME=$TMP/home
# Not this machine's global npmrc (the checks of the global one unset this).
export npm_config_globalconfig=$TMP/no-global-npmrc
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
assert_eq "$(log_py '[(r["server"], r["status"], r["auth"]) for r in sorted(files, key=lambda r: r["start"])]')" \
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


# ---- where the configuration comes from: project (up the tree), global, builtin ----
start_npm --require-auth "Bearer $TOKEN"
: >"$HOME/.npmrc"
mkdir -p "$TMP/proj/src/deep"
echo '{"name": "proj"}' >"$TMP/proj/package.json"
printf 'registry=%s/npm/\n//%s/npm/:_authToken=%s\n' "$IDX_URL" "$HOSTPORT" "$TOKEN" \
	>"$TMP/proj/.npmrc"
# a .npmrc where there is no package.json is not the project's (npm's rule)
printf 'registry=http://127.0.0.1:9/\n' >"$TMP/proj/src/deep/.npmrc"
cd "$TMP/proj/src/deep" || exit 1
run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "project .npmrc: read from the nearest directory up with a package.json"
rm "$TMP/proj/package.json"
mkdir "$TMP/proj/src/node_modules"
printf 'registry=%s/npm/\n//%s/npm/:_authToken=%s\n' "$IDX_URL" "$HOSTPORT" "$TOKEN" \
	>"$TMP/proj/src/.npmrc"
run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "project .npmrc: ...or with a node_modules directory"
mkdir "$TMP/proj/src/deep/node_modules"
run_pl npm "${NET[@]}" npmpkg
assert_exit 2 "project .npmrc: the nearest one only (its registry is wrong here)"
assert_contains "$ERR" "127.0.0.1:9" "project .npmrc: ...which the error shows"
rm -r "$TMP/proj/src/deep/node_modules"
printf 'registry=http://127.0.0.1:9/\n' >"$HOME/.npmrc"
run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "the project's registry= beats the user's"
cd "$TMP/work" || exit 1

# The global npmrc: PREFIX/etc/npmrc, PREFIX being the directory above the
# bin/ of the node on $PATH (no real node or npm here: stand-ins).
unset npm_config_globalconfig
mkdir -p "$TMP/node/bin" "$TMP/node/etc" "$TMP/node/lib/node_modules/npm/bin"
printf '#!/bin/sh\nexit 1\n' >"$TMP/node/bin/node"
printf '#!/bin/sh\nexit 1\n' >"$TMP/node/lib/node_modules/npm/bin/npm-cli.js"
chmod +x "$TMP/node/bin/node" "$TMP/node/lib/node_modules/npm/bin/npm-cli.js"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$TMP/node/bin/npm"
SAVED_PATH=$PATH
export PATH=$TMP/node/bin:$PATH
: >"$HOME/.npmrc"
printf 'registry=%s/npm/\n//%s/npm/:_authToken=%s\n' "$IDX_URL" "$HOSTPORT" "$TOKEN" \
	>"$TMP/node/etc/npmrc"
run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "global npmrc: PREFIX/etc/npmrc beside the node on \$PATH"
printf 'registry=http://127.0.0.1:9/\n' >"$HOME/.npmrc"
run_pl npm "${NET[@]}" npmpkg
assert_exit 2 "the user's registry= beats the global one"
: >"$HOME/.npmrc"
mkdir -p "$TMP/prefix2/etc"
mv "$TMP/node/etc/npmrc" "$TMP/prefix2/etc/npmrc"
npm_config_prefix=$TMP/prefix2 run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "global npmrc: npm_config_prefix/etc/npmrc"
run_pl npm "${NET[@]}" npmpkg
assert_exit 2 "global npmrc: ...and not without it"
# npm's builtin npmrc (Debian's names /etc/npmrc as globalconfig this way)
printf 'globalconfig=%s/prefix2/etc/npmrc\n' "$TMP" >"$TMP/node/lib/node_modules/npm/npmrc"
run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "builtin npmrc (npm's directory): its globalconfig= is read"
npm_config_globalconfig=$TMP/no-such-file run_pl npm "${NET[@]}" npmpkg
assert_exit 2 "npm_config_globalconfig beats the builtin globalconfig="
export PATH=$SAVED_PATH
export npm_config_globalconfig=$TMP/no-global-npmrc
: >"$HOME/.npmrc"

# ---- TLS: a private CA, strict-ssl, client certificates ----
if ! command -v openssl >/dev/null; then
	note "no openssl: TLS checks skipped"
	finish
fi
T=$TMP/tls
mkdir -p "$T"
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/san.cnf"
mkcert() { # NAME CN [CA]: NAME.pem and NAME.key, self-signed or signed by CA
	if [ $# -eq 2 ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/$1.key" -out "$T/$1.pem" \
			-days 2 -subj "/CN=$2" 2>/dev/null
	else
		openssl req -newkey rsa:2048 -nodes -keyout "$T/$1.key" -out "$T/$1.csr" \
			-subj "/CN=$2" 2>/dev/null &&
			openssl x509 -req -in "$T/$1.csr" -CA "$T/$3.pem" -CAkey "$T/$3.key" \
				-CAcreateserial -out "$T/$1.pem" -days 2 -extfile "$T/san.cnf" 2>/dev/null
	fi
}
mkcert ca "pkgleaks test CA" && mkcert other "another CA" &&
	mkcert server 127.0.0.1 ca && mkcert client pkgleaks-client ca ||
	{ fail "openssl could not make the certificates"; finish; }
TLS=(--tls-cert "$T/server.pem" --tls-key "$T/server.key")

# start_tls [fake_index options]: the index over HTTPS; REG is its registry URL.
start_tls() {
	start_npm "${TLS[@]}" "$@"
	REG=https://$HOSTPORT/npm/
	printf 'registry=%s\n' "$REG" >"$HOME/.npmrc"
}
start_tls
run_pl npm "${NET[@]}" npmpkg
assert_exit 2 "TLS: a registry signed by an unknown CA is refused"
assert_contains "$ERR" "certificate" "TLS: ...the message says it is the certificate"
assert_contains "$ERR" "cafile=" "TLS: ...and how to trust its CA"
printf 'cafile=%s/ca.pem\n' "$T" >>"$HOME/.npmrc"
: >"$IDX_LOG"
run_pl npm "${NET[@]}" -f jsonl --show-secrets npmpkg
assert_exit 1 "TLS: cafile= trusts the registry's CA (document and tarball)"
assert_contains "$OUT" "$SECRET_NPM" "TLS: cafile: the tarball's planted secret"
assert_eq "$(log_py '[(r["server"], r["status"]) for r in rows]')" \
	"[('main', 200), ('files', 200)]" "TLS: cafile: both over HTTPS"
# npm's ca= (a quoted JSON string, \n for newlines) and ca[]= lists
CA_ONE_LINE=$(awk '{ printf "%s\\n", $0 }' "$T/ca.pem")
OTHER_ONE_LINE=$(awk '{ printf "%s\\n", $0 }' "$T/other.pem")
printf 'registry=%s\nca="%s"\n' "$REG" "$CA_ONE_LINE" >"$HOME/.npmrc"
run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "TLS: ca=\"PEM\" inline"
printf 'registry=%s\nca[]="%s"\nca[]="%s"\n' "$REG" "$OTHER_ONE_LINE" "$CA_ONE_LINE" \
	>"$HOME/.npmrc"
run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "TLS: ca[]= lists, the right CA second"
printf 'registry=%s\nca="%s"\n' "$REG" "$OTHER_ONE_LINE" >"$HOME/.npmrc"
run_pl npm "${NET[@]}" npmpkg
assert_exit 2 "TLS: ca= of another CA: only those CAs are trusted"
assert_contains "$ERR" "not signed by the npm configuration's cafile= or ca=" \
	"TLS: ...the message says the configured CA does not sign it"
# cafile wins over ca, whatever the layer (npm's rule)
printf 'cafile=%s/ca.pem\n' "$T" >.npmrc
run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "TLS: cafile= (project) wins over ca= (user)"
rm -f .npmrc
# strict-ssl=false: no verification, and a warning, once
printf 'registry=%s\nstrict-ssl=false\n' "$REG" >"$HOME/.npmrc"
run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "TLS: strict-ssl=false reads a registry no CA vouches for"
assert_eq "$(grep -c 'strict-ssl=false' "$ERR")" 1 "TLS: strict-ssl=false: one warning on stderr"
npm_config_strict_ssl=true run_pl npm "${NET[@]}" npmpkg
assert_exit 2 "TLS: npm_config_strict_ssl=true beats the file's false"

# A registry that requires a client certificate (the tarballs on another
# port ask for one and log what they get).
start_tls --tls-client-ca "$T/ca.pem"
printf 'cafile=%s/ca.pem\n' "$T" >>"$HOME/.npmrc"
# One attempt: a retry may resume the TLS session, and fail otherwise.
run_pl npm --retries 0 --timeout 5 --no-progress -q npmpkg
assert_exit 2 "mTLS: without a client certificate the registry refuses"
assert_contains "$ERR" "certfile" "mTLS: ...the message says what to set"
# client_cert_works LABEL: the npm .npmrc's client certificate reads the
# package, and goes to the registry's port, not to the tarball's other one.
client_cert_works() {
	: >"$IDX_LOG"
	run_pl npm "${NET[@]}" -f jsonl --show-secrets npmpkg
	assert_exit 1 "mTLS: $1"
	assert_contains "$OUT" "$SECRET_NPM" "mTLS: $1: the tarball's planted secret"
	assert_eq "$(log_py '[(r["server"], r["cert"]) for r in rows if r["path"]]')" \
		"[('main', 'pkgleaks-client'), ('files', None)]" \
		"mTLS: $1: the certificate goes to its registry, not to the tarball's other port"
}
printf '//%s/:certfile=%s/client.pem\n//%s/:keyfile=%s/client.key\n' "$HOSTPORT" "$T" \
	"$HOSTPORT" "$T" >>"$HOME/.npmrc"
client_cert_works "//host:port/:certfile and :keyfile"
# npm's rule: the longest dart with credentials wins, and certfile alone is none
printf '//%s/npm/:certfile=%s/client.pem\n' "$HOSTPORT" "$T" >>"$HOME/.npmrc"
run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "mTLS: a longer dart with certfile but no keyfile does not count"
# npm's deprecated top-level cert= and key=: the PEM inline, one line (\n),
# presented to the registry's origin only.
CERT_ONE_LINE=$(awk '{ printf "%s\\n", $0 }' "$T/client.pem")
KEY_ONE_LINE=$(awk '{ printf "%s\\n", $0 }' "$T/client.key")
printf 'registry=%s\ncafile=%s/ca.pem\ncert="%s"\nkey="%s"\n' "$REG" "$T" "$CERT_ONE_LINE" \
	"$KEY_ONE_LINE" >"$HOME/.npmrc"
client_cert_works "top-level cert= and key= (inline PEM)"
printf 'registry=%s\ncafile=%s/ca.pem\ncert="%s"\n' "$REG" "$T" "$CERT_ONE_LINE" >"$HOME/.npmrc"
run_pl npm --retries 0 --timeout 5 --no-progress -q npmpkg
assert_exit 2 "mTLS: cert= without key= is no certificate"

# ...and across a redirect to another port: neither it nor the token follows.
printf '[{"match": "/files/", "fault": "redirect", "times": -1}]' >"$TMP/faults.json"
start_tls --tls-client-ca "$T/ca.pem" --tarballs-on-main --faults "$TMP/faults.json" \
	--require-auth "Bearer $TOKEN"
printf 'cafile=%s/ca.pem\n//%s/:certfile=%s/client.pem\n//%s/:keyfile=%s/client.key\n' \
	"$T" "$HOSTPORT" "$T" "$HOSTPORT" "$T" >>"$HOME/.npmrc"
printf '//%s/:_authToken=%s\n' "$HOSTPORT" "$TOKEN" >>"$HOME/.npmrc"
: >"$IDX_LOG"
run_pl npm "${NET[@]}" npmpkg
assert_exit 1 "mTLS: a tarball redirected to another port is fetched"
assert_eq "$(log_py '[(r["server"], r["status"], r["cert"], r["auth"]) for r in sorted(rows, key=lambda r: r["start"] or 0) if r["path"]]')" \
	"[('main', 200, 'pkgleaks-client', 'Bearer $TOKEN'), ('main', 302, 'pkgleaks-client', 'Bearer $TOKEN'), ('files', 200, None, None)]" \
	"mTLS: redirect: the certificate and the token stay with their registry's port"
never_shown "mTLS"
stop_index

finish
