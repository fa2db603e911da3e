/* npm's configuration (npmrc.h): ini files and npm_config_* variables,
 * registries by scope, credentials by nerf dart. The rules are npm's own
 * (@npmcli/config for the sources and ${VAR}, npm-registry-fetch's auth.js
 * for which credential a request gets), so that a setup that works with
 * npm works here. */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pkgleaks/error.h"
#include "pkgleaks/source.h"
#include "source/npmrc.h"
#include "util/alloc.h"
#include "util/base64.h"
#include "util/buf.h"

extern char **environ;

/* Longest line of an .npmrc read whole; a longer one is skipped. */
#define NPMRC_LINE_MAX 8192

struct npm_kv {
	char *key, *value;
};

struct npm_config {
	struct npm_kv *kv;
	size_t n, cap;
};

static void wipe_free(char *s)
{
	if (s) {
		volatile char *v = s;
		while (*v)
			*v++ = 0;
		free(s);
	}
}

void npm_auth_free(char *auth)
{
	wipe_free(auth);
}

static void set(struct npm_config *c, char *key, char *value)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->kv[i].key, key) == 0) {
			free(key);
			wipe_free(c->kv[i].value);
			c->kv[i].value = value;
			return;
		}
	PL_GROW(c->kv, c->cap, c->n + 1);
	c->kv[c->n++] = (struct npm_kv){key, value};
}

const char *npm_config_get(const struct npm_config *c, const char *key)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (strcmp(c->kv[i].key, key) == 0)
			return c->kv[i].value;
	return NULL;
}

void npm_config_free(struct npm_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->kv[i].key);
		wipe_free(c->kv[i].value);
	}
	free(c->kv);
	free(c);
}

/* ---- ${VAR} ---- */

/* npm's envReplace: ${NAME} is the variable (left as written when unset),
 * ${NAME?} the variable or nothing; a backslash before the $ escapes it
 * (an even run of backslashes is halved and does not). */
static char *env_replace(const char *s)
{
	struct pl_buf out;
	pl_buf_init(&out, 1u << 20);
	for (const char *p = s; *p;) {
		const char *dollar = strstr(p, "${");
		const char *close = dollar ? strchr(dollar + 2, '}') : NULL;
		if (!dollar || !close) {
			(void)pl_buf_append(&out, p, strlen(p));
			break;
		}
		const char *esc = dollar;
		while (esc > p && esc[-1] == '\\')
			esc--;
		size_t nesc = (size_t)(dollar - esc);
		size_t namelen = (size_t)(close - dollar - 2);
		int optional = namelen && dollar[2 + namelen - 1] == '?';
		char *name = pl_xstrndup(dollar + 2, namelen - (size_t)optional);
		int valid = name[0] && !strpbrk(name, "${}?");
		(void)pl_buf_append(&out, p, (size_t)(esc - p));
		if (!valid) {
			(void)pl_buf_append(&out, esc, (size_t)(dollar + 2 - esc));
			p = dollar + 2;
		} else if (nesc % 2) {
			(void)pl_buf_append(&out, esc, (nesc - 1) / 2);
			(void)pl_buf_append(&out, dollar, (size_t)(close + 1 - dollar));
			p = close + 1;
		} else {
			const char *v = getenv(name);
			(void)pl_buf_append(&out, esc, nesc / 2);
			if (v)
				(void)pl_buf_append(&out, v, strlen(v));
			else if (!optional)
				(void)pl_buf_append(&out, dollar, (size_t)(close + 1 - dollar));
			p = close + 1;
		}
		free(name);
	}
	char *r = pl_xstrndup(out.data ? out.data : "", out.len);
	if (out.data)
		memset(out.data, 0, out.len);
	pl_buf_release(&out);
	return r;
}

/* ---- files ---- */

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

/* A value as the ini parser npm uses reads it: quotes stripped, else cut
 * at an unescaped ';' or '#' (a comment), with \; and \# unescaped. */
static char *ini_value(char *v)
{
	size_t n = strlen(v);
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = 0;
		return pl_xstrdup(v + 1);
	}
	char *out = pl_xmalloc(n + 1), *o = out;
	for (const char *p = v; *p; p++) {
		if (*p == '\\' && (p[1] == ';' || p[1] == '#' || p[1] == '\\'))
			*o++ = *++p;
		else if (*p == ';' || *p == '#')
			break;
		else
			*o++ = *p;
	}
	*o = 0;
	char *t = trim(out);
	memmove(out, t, strlen(t) + 1);
	return out;
}

static void read_file(struct npm_config *c, const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return;
	char *line = pl_xmalloc(NPMRC_LINE_MAX);
	int in_section = 0, skipping = 0;
	while (fgets(line, NPMRC_LINE_MAX, fp)) {
		size_t len = strlen(line);
		int whole = len && line[len - 1] == '\n';
		if (skipping || (!whole && !feof(fp))) { /* too long: skip it all */
			skipping = !whole;
			continue;
		}
		char *l = trim(line);
		if (!l[0] || l[0] == '#' || l[0] == ';')
			continue;
		if (l[0] == '[') { /* keys in a [section] are not npm's */
			in_section = 1;
			continue;
		}
		char *eq = strchr(l, '=');
		if (in_section || !eq)
			continue;
		*eq = 0;
		char *raw = ini_value(trim(eq + 1));
		char *key = env_replace(trim(l));
		char *value = env_replace(raw);
		wipe_free(raw);
		if (key[0])
			set(c, key, value);
		else {
			free(key);
			wipe_free(value);
		}
	}
	memset(line, 0, NPMRC_LINE_MAX);
	free(line);
	fclose(fp);
}

/* npm_config_KEY (any case): a key starting with // is taken as written,
 * others lowercased with '_' as '-' (npm_config_@acme:registry,
 * NPM_CONFIG_REGISTRY). */
static void read_env(struct npm_config *c)
{
	for (char **e = environ; e && *e; e++) {
		if (strncasecmp(*e, "npm_config_", 11) != 0)
			continue;
		const char *k = *e + 11, *eq = strchr(k, '=');
		if (!eq || eq == k || !eq[1]) /* npm skips empty ones */
			continue;
		char *key = pl_xstrndup(k, (size_t)(eq - k));
		if (strncmp(key, "//", 2) != 0)
			for (char *p = key; *p; p++)
				*p = p > key && *p == '_' ? '-' : (char)tolower((unsigned char)*p);
		char *value = env_replace(eq + 1);
		char *ekey = env_replace(key);
		free(key);
		set(c, ekey, value);
	}
}

static char *user_config_path(void)
{
	const char *u = getenv("npm_config_userconfig");
	if (!u || !u[0])
		u = getenv("NPM_CONFIG_USERCONFIG");
	if (u && u[0])
		return pl_xstrdup(u);
	const char *home = getenv("HOME");
	return home && home[0] ? pl_xasprintf("%s/.npmrc", home) : NULL;
}

int npm_config_load(struct npm_config **out)
{
	struct npm_config *c = pl_xcalloc(1, sizeof(*c));
	char *user = user_config_path();
	if (user)
		read_file(c, user);
	free(user);
	read_file(c, ".npmrc");
	read_env(c);
	*out = c;
	return 0;
}

/* ---- which registry ---- */

const char *npm_config_registry_for(const struct npm_config *c, const char *name,
				    const char *dflt)
{
	const char *slash = name && name[0] == '@' ? strchr(name, '/') : NULL;
	if (!slash)
		return dflt;
	char *key = pl_xasprintf("%.*s:registry", (int)(slash - name), name);
	const char *r = npm_config_get(c, key);
	free(key);
	return r && r[0] ? r : dflt;
}

int pl_npm_registry_find(const char *flag, char **out)
{
	*out = NULL;
	if (flag && flag[0]) {
		*out = pl_xstrdup(flag);
		return 0;
	}
	struct npm_config *c;
	int rc = npm_config_load(&c);
	if (rc < 0)
		return rc;
	const char *r = npm_config_get(c, "registry");
	*out = r && r[0] ? pl_xstrdup(r) : NULL;
	npm_config_free(c);
	if (!*out)
		return pl_error_set(
			PL_ENOTFOUND,
			"no npm registry is configured: pass --registry URL, set "
			"npm_config_registry=URL, or put a registry=URL line in ./.npmrc "
			"or ~/.npmrc (pkgleaks has no default registry)");
	return 0;
}

/* ---- credentials ---- */

/* The parts of an http(s) URL a credential is scoped by: scheme, host
 * (lowercase) with its port unless the default, and the path. */
struct url_parts {
	char scheme[8];
	char *hostport; /* owned */
	const char *path, *path_end;
};

static int url_split(const char *url, struct url_parts *u)
{
	const char *rest;
	if (strncasecmp(url, "https://", 8) == 0) {
		snprintf(u->scheme, sizeof(u->scheme), "https");
		rest = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		snprintf(u->scheme, sizeof(u->scheme), "http");
		rest = url + 7;
	} else {
		return -1;
	}
	size_t alen = strcspn(rest, "/?#");
	const char *at = NULL;
	for (const char *p = rest; p < rest + alen; p++)
		if (*p == '@')
			at = p;
	const char *host = at ? at + 1 : rest;
	size_t hlen = (size_t)(rest + alen - host);
	if (!hlen)
		return -1;
	u->hostport = pl_xstrndup(host, hlen);
	for (char *p = u->hostport; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	char *colon = strrchr(u->hostport, ':');
	if (colon && !strchr(colon, ']') &&
	    ((strcmp(u->scheme, "http") == 0 && strcmp(colon, ":80") == 0) ||
	     (strcmp(u->scheme, "https") == 0 && strcmp(colon, ":443") == 0)))
		*colon = 0;
	u->path = rest + alen;
	u->path_end = u->path + strcspn(u->path, "?#");
	return 0;
}

char *npm_nerf_dart(const char *url)
{
	struct url_parts u;
	if (url_split(url, &u) < 0)
		return NULL;
	const char *last = NULL;
	for (const char *p = u.path; p < u.path_end; p++)
		if (*p == '/')
			last = p;
	char *d = last ? pl_xasprintf("//%s%.*s", u.hostport, (int)(last + 1 - u.path), u.path)
		       : pl_xasprintf("//%s/", u.hostport);
	free(u.hostport);
	return d;
}

static const char *cred(const struct npm_config *c, const char *dart, const char *what)
{
	char *key = pl_xasprintf("%s:%s", dart, what);
	const char *v = npm_config_get(c, key);
	free(key);
	return v && v[0] ? v : NULL;
}

static int has_auth(const struct npm_config *c, const char *dart)
{
	return cred(c, dart, "_authToken") || cred(c, dart, "_auth") ||
	       (cred(c, dart, "username") && cred(c, dart, "_password"));
}

/* The longest nerf dart prefix of url's with a credential (npm's
 * regKeyFromURI: drop a segment, then its slash, and so on). */
static char *dart_with_auth(const struct npm_config *c, const char *url)
{
	char *d = npm_nerf_dart(url);
	if (!d)
		return NULL;
	size_t n = strlen(d);
	while (n > 2) {
		if (has_auth(c, d))
			return d;
		if (d[n - 1] == '/')
			n--;
		else
			while (n > 2 && d[n - 1] != '/')
				n--;
		d[n] = 0;
	}
	free(d);
	return NULL;
}

static char *header_for(const struct npm_config *c, const char *dart)
{
	const char *token = cred(c, dart, "_authToken");
	if (token)
		return pl_xasprintf("Bearer %s", token);
	const char *auth = cred(c, dart, "_auth");
	if (auth)
		return pl_xasprintf("Basic %s", auth);
	const char *user = cred(c, dart, "username"), *pass64 = cred(c, dart, "_password");
	size_t plen;
	unsigned char *pass = pl_base64_decode(pass64, strlen(pass64), 1, &plen);
	if (!pass)
		return NULL;
	char *plain = pl_xasprintf("%s:%.*s", user, (int)plen, (const char *)pass);
	memset(pass, 0, plen);
	free(pass);
	size_t len = strlen(plain);
	char *out = pl_xmalloc(6 + 4 * ((len + 2) / 3) + 1);
	memcpy(out, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)plain, (int)len);
	wipe_free(plain);
	return out;
}

static int same_origin(const char *a, const char *b)
{
	struct url_parts ua, ub;
	if (url_split(a, &ua) < 0)
		return 0;
	if (url_split(b, &ub) < 0) {
		free(ua.hostport);
		return 0;
	}
	int same = strcmp(ua.scheme, ub.scheme) == 0 && strcmp(ua.hostport, ub.hostport) == 0;
	free(ua.hostport);
	free(ub.hostport);
	return same;
}

char *npm_config_auth(const struct npm_config *c, const char *url, const char *registry)
{
	if (!c || !url)
		return NULL;
	char *dart = dart_with_auth(c, url);
	if (!dart && registry && same_origin(url, registry))
		dart = dart_with_auth(c, registry);
	if (!dart)
		return NULL;
	char *h = header_for(c, dart);
	free(dart);
	/* A line break would end the header and start another. */
	for (const char *p = h; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			wipe_free(h);
			return NULL;
		}
	return h;
}
