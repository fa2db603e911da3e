/* npm's own configuration, read as npm reads it: the registry, the
 * registries of @scopes, and the credentials scoped to a registry by its
 * "nerf dart" (//host[:port]/path/). Sources, later ones winning: the user
 * file (~/.npmrc, or $NPM_CONFIG_USERCONFIG), the project file (./.npmrc),
 * then npm_config_* environment variables (npm_config_//host/:_authToken
 * too). ${VAR} in a key or value is replaced by the environment variable
 * (${VAR?}: empty when unset). Values are wiped when freed. No registry
 * host is named here. */
#ifndef PL_SOURCE_NPMRC_H
#define PL_SOURCE_NPMRC_H

struct npm_config;

/* Reads every source (a missing or unreadable file is no error, as for
 * npm; an unset ${VAR} stays as written). 0, or negative with the message
 * set. */
int npm_config_load(struct npm_config **out);
/* Wipes the credentials it holds. */
void npm_config_free(struct npm_config *c);

/* The value of key (exactly as npm spells it), or NULL. Borrowed. */
const char *npm_config_get(const struct npm_config *c, const char *key);

/* The registry a package is read from: "@scope:registry" for an @scope/
 * name when configured, else dflt (may be NULL). Borrowed. */
const char *npm_config_registry_for(const struct npm_config *c, const char *name,
				    const char *dflt);

/* The Authorization header value for a request to url ("Bearer TOKEN" or
 * "Basic BASE64"), as a new string, or NULL when no credential applies:
 * the longest nerf dart that prefixes url's and has _authToken, _auth or
 * username with _password; else, when url is on the same scheme, host and
 * port as registry (may be NULL), the registry's. A tarball on any other
 * host never gets the registry's credential. The caller wipes and frees it
 * (npm_auth_free). */
char *npm_config_auth(const struct npm_config *c, const char *url, const char *registry);
void npm_auth_free(char *auth);

/* "//host[:port]/dir/" of a URL: scheme, user, query, fragment and the
 * last path segment dropped (npm's nerfDart). A new string, NULL when url
 * is not http(s)://. */
char *npm_nerf_dart(const char *url);

#endif
