/* npm's own configuration, read as npm reads it (@npmcli/config): the
 * registry, the registries of @scopes, the credentials scoped to a
 * registry by its "nerf dart" (//host[:port]/path/), and the TLS settings
 * a private registry may need. Layers, a higher one winning:
 *
 *   environment  npm_config_* variables (npm_config_//host/:_authToken too)
 *   project      .npmrc in npm's localPrefix: the nearest directory, from
 *                the current one up, holding a package.json or node_modules
 *                (a workspace's root when a package.json above lists it);
 *                not read when it is the user file, or with global=true
 *   user         $npm_config_userconfig (also from the project file), else
 *                ~/.npmrc
 *   global       $npm_config_globalconfig (also from the files above), else
 *                PREFIX/etc/npmrc: PREFIX is the prefix setting, else
 *                $PREFIX, else the directory above the bin/ of the node on
 *                $PATH
 *   builtin      npmrc in npm's own directory (npm on $PATH is
 *                DIR/bin/npm-cli.js; Debian's sets globalconfig=/etc/npmrc)
 *
 * (the command line, above them all, is pkgleaks' own --registry). ${VAR}
 * in a key or value is replaced by the environment variable (${VAR?}:
 * empty when unset). Values are wiped when freed. No registry host is
 * named here. */
#ifndef PL_SOURCE_NPMRC_H
#define PL_SOURCE_NPMRC_H

#include "source/http.h"

struct npm_config;

enum npm_layer_id { NPM_BUILTIN, NPM_GLOBAL, NPM_USER, NPM_PROJECT, NPM_ENV, NPM_LAYERS };

/* Reads every layer (a missing or unreadable file is no error, as for
 * npm; an unset ${VAR} stays as written). 0, or negative with the message
 * set (a cafile that exists but cannot be read). */
int npm_config_load(struct npm_config **out);
/* Wipes the credentials it holds. */
void npm_config_free(struct npm_config *c);

/* The value of key (exactly as npm spells it) from the highest layer that
 * sets it, or NULL. Borrowed. A key[]= list's entries are joined by "\n". */
const char *npm_config_get(const struct npm_config *c, const char *key);
/* The name of the layer key's value comes from ("builtin", "global",
 * "user", "project", "environment"), or NULL. Static. */
const char *npm_config_where(const struct npm_config *c, const char *key);
/* The file a layer was read from (absolute; it may not exist), or NULL
 * when the layer has none. Borrowed. */
const char *npm_config_file(const struct npm_config *c, enum npm_layer_id layer);
/* npm's localPrefix (the project file's directory). Borrowed. */
const char *npm_config_local_prefix(const struct npm_config *c);

/* The registry a package is read from: "@scope:registry" for an @scope/
 * name when configured, else dflt (may be NULL). Borrowed. */
const char *npm_config_registry_for(const struct npm_config *c, const char *name,
				    const char *dflt);

/* The Authorization header value for a request to url ("Bearer TOKEN" or
 * "Basic BASE64"), as a new string, or NULL when no credential applies:
 * the longest nerf dart that prefixes url's and has _authToken, _auth,
 * username with _password, or certfile with keyfile (npm-registry-fetch's
 * rule: that dart's credentials, whichever it has); else, when url is on
 * the same scheme, host and port as registry (may be NULL), the
 * registry's. A tarball on any other host never gets the registry's
 * credential. The caller wipes and frees it (npm_auth_free). */
char *npm_config_auth(const struct npm_config *c, const char *url, const char *registry);
void npm_auth_free(char *auth);

/* The TLS settings of a request to url, strings borrowed from c: cafile
 * (npm's cafile, when it exists; it wins over ca), ca_pem (npm's ca= or
 * ca[]= entries, "\n" written out as two characters read as a newline),
 * insecure (strict-ssl=false: a warning is printed on stderr the first
 * time it applies to an https URL), and certfile/keyfile of the dart
 * npm_config_auth picks (both, or neither). All zero when c is NULL. */
void npm_config_tls(const struct npm_config *c, const char *url, const char *registry,
		    struct pl_http_tls *out);

/* "//host[:port]/dir/" of a URL: scheme, user, query, fragment and the
 * last path segment dropped (npm's nerfDart). A new string, NULL when url
 * is not http(s)://. */
char *npm_nerf_dart(const char *url);

#endif
