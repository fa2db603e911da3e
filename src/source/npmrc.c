/* npm's configuration (npmrc.h): ini files in npm's layers and
 * npm_config_* variables, registries by scope, credentials and client
 * certificates by nerf dart, TLS settings. The rules are npm's own
 * (@npmcli/config for the sources and ${VAR}, npm-registry-fetch's auth.js
 * for which credential a request gets), so that a setup that works with
 * npm works here. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dl/dl_crypto.h"
#include "pkgleaks/error.h"
#include "pkgleaks/source.h"
#include "source/npmrc.h"
#include "util/alloc.h"
#include "util/fs.h"
#include "util/base64.h"
#include "util/buf.h"

extern char **environ;

/* Longest line of an .npmrc read whole; a longer one is skipped. */
#define NPMRC_LINE_MAX 8192

struct npm_kv {
	char *key, *value; /* value: a list's entries joined by "\n" */
	int list;          /* set by key[]= (npm's ini arrays) */
};

/* One source of settings: a file, or the environment. */
struct npm_layer {
	struct npm_kv *kv;
	size_t n, cap;
	char *file; /* the file read (whether or not it exists), or NULL */
};

struct npm_config {
	struct npm_layer layer[NPM_LAYERS]; /* by enum npm_layer_id, lowest first */
	char *local_prefix;                 /* npm's localPrefix */
	/* TLS, worked out once loaded (npm_config_tls) */
	char *cafile; /* absolute, readable */
	char *ca_pem; /* ca= entries, real newlines */
	int insecure; /* strict-ssl is false */
	char *cert_pem, *key_pem; /* npm's deprecated top-level cert= and key= */
};

static const char *const layer_names[NPM_LAYERS] = {"builtin", "global", "user", "project",
						    "environment"};

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

/* key[]=v appends to a list (npm's ini: a key once a list stays one in
 * its file); key=v replaces. Takes key and value. */
static void set(struct npm_layer *l, char *key, char *value, int append)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->kv[i].key, key) == 0) {
			free(key);
			struct npm_kv *kv = &l->kv[i];
			if (append || kv->list) {
				char *joined = pl_xasprintf("%s\n%s", kv->value, value);
				wipe_free(kv->value);
				wipe_free(value);
				kv->value = joined;
				kv->list = 1;
			} else {
				wipe_free(kv->value);
				kv->value = value;
			}
			return;
		}
	PL_GROW(l->kv, l->cap, l->n + 1);
	l->kv[l->n++] = (struct npm_kv){key, value, append};
}

static const char *layer_get(const struct npm_layer *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->kv[i].key, key) == 0)
			return l->kv[i].value;
	return NULL;
}

/* The value of the highest layer up to top that sets key, or NULL. */
static const char *get_upto(const struct npm_config *c, const char *key, int top,
			    int *where)
{
	for (int i = top; c && i >= 0; i--) {
		const char *v = layer_get(&c->layer[i], key);
		if (v) {
			if (where)
				*where = i;
			return v;
		}
	}
	return NULL;
}

const char *npm_config_get(const struct npm_config *c, const char *key)
{
	return get_upto(c, key, NPM_LAYERS - 1, NULL);
}

const char *npm_config_where(const struct npm_config *c, const char *key)
{
	int w;
	return get_upto(c, key, NPM_LAYERS - 1, &w) ? layer_names[w] : NULL;
}

const char *npm_config_file(const struct npm_config *c, enum npm_layer_id layer)
{
	return c && layer >= 0 && layer < NPM_LAYERS ? c->layer[layer].file : NULL;
}

const char *npm_config_local_prefix(const struct npm_config *c)
{
	return c ? c->local_prefix : NULL;
}

void npm_config_free(struct npm_config *c)
{
	if (!c)
		return;
	for (int l = 0; l < NPM_LAYERS; l++) {
		for (size_t i = 0; i < c->layer[l].n; i++) {
			free(c->layer[l].kv[i].key);
			wipe_free(c->layer[l].kv[i].value);
		}
		free(c->layer[l].kv);
		free(c->layer[l].file);
	}
	free(c->local_prefix);
	free(c->cafile);
	free(c->ca_pem);
	free(c->cert_pem);
	wipe_free(c->key_pem);
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

/* A key or value as the ini parser npm uses reads it ("unsafe"): a
 * "double-quoted" one is a JSON string (\n, \", \uXXXX; kept as written,
 * quotes and all, when it is not valid JSON), a 'single-quoted' one loses
 * its quotes; else it is cut at an unescaped ';' or '#' (a comment), with
 * \; \# and \\ unescaped. */
static char *ini_value(char *v)
{
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		json_t *j = json_loadb(v, n, JSON_DECODE_ANY, NULL);
		char *out = pl_xstrdup(json_is_string(j) ? json_string_value(j) : v);
		if (json_is_string(j)) /* it may be a credential: not left in freed memory */
			memset((char *)json_string_value(j), 0, json_string_length(j));
		json_decref(j);
		return out;
	}
	if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') {
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

/* Reads an ini file into a layer. 0 when read; a missing file is no error
 * (-1, errno ENOENT), as for npm. */
static int read_file(struct npm_layer *l, const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return -1;
	char *line = pl_xmalloc(NPMRC_LINE_MAX);
	int in_section = 0, skipping = 0;
	while (fgets(line, NPMRC_LINE_MAX, fp)) {
		size_t len = strlen(line);
		int whole = len && line[len - 1] == '\n';
		if (skipping || (!whole && !feof(fp))) { /* too long: skip it all */
			skipping = !whole;
			continue;
		}
		char *l0 = trim(line);
		if (!l0[0] || l0[0] == '#' || l0[0] == ';')
			continue;
		if (l0[0] == '[' && l0[strlen(l0) - 1] == ']') { /* keys in a [section] are not npm's */
			in_section = 1;
			continue;
		}
		if (in_section)
			continue;
		char *eq = strchr(l0, '=');
		if (eq)
			*eq = 0;
		/* a key without '=' is true (npm's ini) */
		char *raw = eq ? ini_value(trim(eq + 1)) : pl_xstrdup("true");
		char *rawkey = ini_value(trim(l0));
		size_t klen = strlen(rawkey);
		int append = klen > 2 && strcmp(rawkey + klen - 2, "[]") == 0;
		if (append)
			rawkey[klen - 2] = 0;
		char *key = env_replace(rawkey);
		char *value = env_replace(raw);
		free(rawkey);
		wipe_free(raw);
		if (key[0])
			set(l, key, value, append);
		else {
			free(key);
			wipe_free(value);
		}
	}
	memset(line, 0, NPMRC_LINE_MAX);
	free(line);
	fclose(fp);
	return 0;
}

/* npm_config_KEY (any case): a key starting with // is taken as written,
 * others lowercased with '_' as '-' (npm_config_@acme:registry,
 * NPM_CONFIG_REGISTRY). */
static void read_env(struct npm_layer *l)
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
		set(l, ekey, value, 0);
	}
}

/* ---- paths ---- */

/* p made absolute (against the current directory) and normalised: "." and
 * ".." and repeated slashes gone, as node's path.resolve. A new string. */
static char *resolve_path(const char *p)
{
	char cwd[PATH_MAX];
	char *full = p[0] == '/' ? pl_xstrdup(p)
				 : pl_xasprintf("%s/%s", getcwd(cwd, sizeof(cwd)) ? cwd : "", p);
	char *out = pl_xmalloc(strlen(full) + 2);
	size_t n = 0;
	for (const char *s = full; *s;) {
		while (*s == '/')
			s++;
		size_t len = strcspn(s, "/");
		if (len == 0 || (len == 1 && s[0] == '.')) {
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (n && out[n - 1] != '/')
				n--;
			if (n)
				n--;
		} else {
			out[n++] = '/';
			memcpy(out + n, s, len);
			n += len;
		}
		s += len;
	}
	if (!n)
		out[n++] = '/';
	out[n] = 0;
	free(full);
	return out;
}

/* A value of npm's "path" type: ~/ is $HOME, then resolved. NULL for
 * none (unset, empty, "null"). */
static char *path_value(const char *v)
{
	if (!v || !v[0] || strcmp(v, "null") == 0)
		return NULL;
	const char *home = getenv("HOME");
	if (strncmp(v, "~/", 2) == 0 && home && home[0]) {
		char *h = pl_xasprintf("%s/%s", home, v + 2);
		char *r = resolve_path(h);
		free(h);
		return r;
	}
	return resolve_path(v);
}

static char *parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash == path ? pl_xstrdup("/")
			     : pl_xstrndup(path, slash ? (size_t)(slash - path) : 0);
}

/* The real path of the first executable name on $PATH, or NULL. */
static char *find_on_path(const char *name)
{
	const char *path = getenv("PATH");
	for (const char *p = path; p && *p;) {
		size_t len = strcspn(p, ":");
		char *cand = len ? pl_xasprintf("%.*s/%s", (int)len, p, name)
				 : pl_xasprintf("./%s", name);
		struct stat st;
		char *real = NULL;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			real = realpath(cand, NULL);
		free(cand);
		if (real)
			return real;
		p += len;
		if (*p == ':')
			p++;
	}
	return NULL;
}

/* npm's own directory (its builtin npmrc is there): npm on $PATH is
 * <dir>/bin/npm-cli.js (a link to it, or it). NULL when not found. */
static char *npm_dir(void)
{
	char *cli = find_on_path("npm");
	if (!cli)
		return NULL;
	char *bin = parent_dir(cli), *dir = NULL;
	const char *base = strrchr(bin, '/');
	if (base && strcmp(base, "/bin") == 0)
		dir = parent_dir(bin);
	free(bin);
	free(cli);
	return dir;
}

/* npm's default global prefix: $PREFIX, else the directory above the bin/
 * of the node on $PATH (its real path, as node's execPath), under
 * $DESTDIR when set. NULL when neither is known. */
static char *default_prefix(void)
{
	const char *env = getenv("PREFIX");
	if (env && env[0])
		return pl_xstrdup(env);
	char *node = find_on_path("node");
	if (!node)
		return NULL;
	char *bin = parent_dir(node), *prefix = parent_dir(bin);
	free(bin);
	free(node);
	const char *destdir = getenv("DESTDIR");
	if (destdir && destdir[0]) {
		char *j = pl_xasprintf("%s/%s", destdir, prefix);
		free(prefix);
		prefix = resolve_path(j);
		free(j);
	}
	return prefix;
}

/* Whether the package.json in root lists dir among its workspaces
 * ("workspaces": [globs] or {"packages": [globs]}; a "!glob" excludes).
 * The globs are matched as fnmatch(3) patterns with '/' matched only by
 * '/' (unless "**" is in the pattern) on dir's path relative to root, and
 * dir must hold a package.json, as for @npmcli/map-workspaces. */
static int is_workspace_of(const char *root, const char *dir)
{
	size_t rl = strlen(root);
	const char *rel = strcmp(root, "/") == 0 ? dir + 1 : dir + rl + 1;
	if ((strcmp(root, "/") && (strncmp(dir, root, rl) || dir[rl] != '/')) ||
	    !pl_fs_has(dir, "package.json", S_IFREG))
		return 0;
	char *pj = pl_xasprintf("%s/package.json", root);
	json_t *doc = json_load_file(pj, 0, NULL);
	free(pj);
	json_t *ws = json_object_get(doc, "workspaces");
	if (json_is_object(ws))
		ws = json_object_get(ws, "packages");
	int in = 0, out = 0;
	size_t i;
	json_t *g;
	json_array_foreach(ws, i, g) {
		const char *pat = json_string_value(g);
		if (!pat)
			continue;
		int neg = pat[0] == '!';
		pat += neg;
		while (strncmp(pat, "./", 2) == 0)
			pat += 2;
		char *pp = pl_xstrdup(pat);
		size_t n = strlen(pp);
		while (n > 1 && pp[n - 1] == '/')
			pp[--n] = 0;
		int flags = strstr(pp, "**") ? 0 : FNM_PATHNAME;
		if (fnmatch(pp, rel, flags) == 0)
			*(neg ? &out : &in) = 1;
		free(pp);
	}
	json_decref(doc);
	return in && !out;
}

/* npm's localPrefix: the nearest directory, from the current one up, with
 * a package.json or a node_modules directory (else the current one); when
 * a package.json further up names it among its workspaces, that root. */
static char *local_prefix(int global_mode)
{
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	char *found = NULL;
	for (char *p = pl_xstrdup(cwd);;) {
		int pkg = pl_fs_has(p, "package.json", S_IFREG);
		if (!found && (pkg || pl_fs_has(p, "node_modules", S_IFDIR))) {
			found = pl_xstrdup(p);
			if (global_mode) {
				free(p);
				break;
			}
		} else if (found && pkg && is_workspace_of(p, found)) {
			free(found);
			found = p;
			break;
		}
		if (strcmp(p, "/") == 0) {
			free(p);
			break;
		}
		char *up = parent_dir(p);
		free(p);
		p = up;
	}
	return found ? found : pl_xstrdup(cwd);
}

/* npm's Boolean: false for "false", "null" and a number equal to 0 ("" too:
 * nopt reads it as the number 0). */
static int npm_false(const char *v)
{
	if (!v)
		return 0;
	if (strcmp(v, "false") == 0 || strcmp(v, "null") == 0)
		return 1;
	if (!v[0])
		return 1;
	char *end;
	double d = strtod(v, &end);
	return end != v && !*end && d == 0;
}

/* Warnings printed once a process, however often the configuration is read. */
static atomic_int warned_cafile, warned_insecure;

/* The CA settings (npm's cafile wins over ca, whatever their layers; a
 * cafile that does not exist is ignored, as npm does, with a warning). */
/* A PEM value (ca=, cert=, key=) with real newlines: "\n" written as two
 * characters (an unquoted value) is one; NULL when unset or null. */
static char *pem_value(const char *v)
{
	if (!v || !v[0] || strcmp(v, "null") == 0)
		return NULL;
	char *pem = pl_xmalloc(strlen(v) + 2), *o = pem;
	for (const char *p = v; *p; p++)
		if (p[0] == '\\' && p[1] == 'n') {
			*o++ = '\n';
			p++;
		} else {
			*o++ = *p;
		}
	*o++ = '\n';
	*o = 0;
	return pem;
}

static int load_tls(struct npm_config *c)
{
	c->insecure = npm_false(npm_config_get(c, "strict-ssl"));
	c->ca_pem = pem_value(npm_config_get(c, "ca"));
	c->cert_pem = pem_value(npm_config_get(c, "cert"));
	c->key_pem = pem_value(npm_config_get(c, "key"));
	if (!c->cert_pem || !c->key_pem) { /* one without the other is no certificate */
		free(c->cert_pem);
		wipe_free(c->key_pem);
		c->cert_pem = c->key_pem = NULL;
	}
	char *cafile = path_value(npm_config_get(c, "cafile"));
	if (!cafile)
		return 0;
	FILE *fp = fopen(cafile, "r");
	if (!fp && errno == ENOENT) {
		if (!atomic_exchange(&warned_cafile, 1))
			fprintf(stderr, "pkgleaks: warning: npm configuration: cafile %s does not "
					"exist: ignored (as npm does)\n", cafile);
		free(cafile);
		return 0;
	}
	if (!fp) {
		int rc = pl_error_set(PL_EIO, "npm configuration: cafile %s: %s", cafile,
				      strerror(errno));
		free(cafile);
		return rc;
	}
	fclose(fp);
	free(c->ca_pem);
	c->ca_pem = NULL;
	c->cafile = cafile;
	return 0;
}

/* Reads a file into a layer, unless another layer read that file. */
static void load_layer(struct npm_config *c, enum npm_layer_id id, char *path)
{
	c->layer[id].file = path;
	if (!path)
		return;
	for (int i = 0; i < NPM_LAYERS; i++)
		if (i != (int)id && c->layer[i].file && strcmp(c->layer[i].file, path) == 0)
			return;
	(void)read_file(&c->layer[id], path);
}

/* In npm's order (@npmcli/config load()): builtin, environment, project
 * (its place found with what is known so far), user (userconfig may be
 * set by those), global (globalconfig, or prefix/etc/npmrc, may be set
 * by any of them). */
int npm_config_load(struct npm_config **out)
{
	struct npm_config *c = pl_xcalloc(1, sizeof(*c));
	char *npm = npm_dir();
	load_layer(c, NPM_BUILTIN, npm ? pl_xasprintf("%s/npmrc", npm) : NULL);
	free(npm);
	read_env(&c->layer[NPM_ENV]);

	const char *global_flag = npm_config_get(c, "global");
	const char *location = npm_config_get(c, "location");
	int global_mode = (global_flag && !npm_false(global_flag)) ||
			  (location && strcmp(location, "global") == 0);
	c->local_prefix = local_prefix(global_mode);

	char *user = path_value(npm_config_get(c, "userconfig"));
	const char *home = getenv("HOME");
	if (!user && home && home[0]) {
		char *h = pl_xasprintf("%s/.npmrc", home);
		user = resolve_path(h);
		free(h);
	}
	char *project = pl_xasprintf("%s%s.npmrc", c->local_prefix,
				     strcmp(c->local_prefix, "/") ? "/" : "");
	if (global_mode || (user && strcmp(project, user) == 0)) { /* npm skips it then */
		free(project);
		project = NULL;
	}
	load_layer(c, NPM_PROJECT, project);
	/* the project file may name another user file */
	char *user2 = path_value(npm_config_get(c, "userconfig"));
	if (user2) {
		free(user);
		user = user2;
	}
	load_layer(c, NPM_USER, user);

	char *global = path_value(npm_config_get(c, "globalconfig"));
	if (!global) {
		char *prefix = path_value(npm_config_get(c, "prefix"));
		if (!prefix)
			prefix = default_prefix();
		global = prefix ? pl_xasprintf("%s/etc/npmrc", prefix) : NULL;
		free(prefix);
	}
	load_layer(c, NPM_GLOBAL, global);

	int rc = load_tls(c);
	if (rc < 0) {
		npm_config_free(c);
		*out = NULL;
		return rc;
	}
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
			"npm_config_registry=URL, or put a registry=URL line in the project's "
			".npmrc, ~/.npmrc or the global npmrc (pkgleaks has no default "
			"registry; pkgleaks npm --help says where each is)");
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

/* npm-registry-fetch's hasAuth: a client certificate counts. */
static int has_auth(const struct npm_config *c, const char *dart)
{
	return cred(c, dart, "_authToken") || cred(c, dart, "_auth") ||
	       (cred(c, dart, "username") && cred(c, dart, "_password")) ||
	       (cred(c, dart, "certfile") && cred(c, dart, "keyfile"));
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

static int same_origin(const char *a, const char *b);

/* The dart whose credentials a request to url gets: its own longest with
 * any, else (url on registry's scheme, host and port) the registry's. */
static char *request_dart(const struct npm_config *c, const char *url, const char *registry)
{
	char *dart = dart_with_auth(c, url);
	if (!dart && registry && same_origin(url, registry))
		dart = dart_with_auth(c, registry);
	return dart;
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
	if (!user || !pass64) /* a client certificate only */
		return NULL;
	size_t plen;
	unsigned char *pass = pl_base64_decode(pass64, strlen(pass64), 1, &plen);
	if (!pass)
		return NULL;
	char *plain = pl_xasprintf("%s:%.*s", user, (int)plen, (const char *)pass);
	memset(pass, 0, plen);
	free(pass);
	if (pl_dl_crypto() < 0) { /* loaded by pl_fetch_new already: not expected */
		wipe_free(plain);
		return NULL;
	}
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
	char *dart = request_dart(c, url, registry);
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


void npm_config_tls(const struct npm_config *c, const char *url, const char *registry,
		    struct pl_http_tls *out)
{
	*out = (struct pl_http_tls){0};
	if (!c || !url)
		return;
	out->cafile = c->cafile;
	out->ca_pem = c->ca_pem;
	out->insecure = c->insecure;
	if (c->insecure && strncasecmp(url, "https:", 6) == 0 &&
	    !atomic_exchange(&warned_insecure, 1))
		fprintf(stderr, "pkgleaks: warning: strict-ssl=false (npm configuration, %s): "
				"the TLS certificates of npm registries are not verified\n",
			npm_config_where(c, "strict-ssl"));
	char *dart = request_dart(c, url, registry);
	if (dart) {
		out->certfile = cred(c, dart, "certfile");
		out->keyfile = cred(c, dart, "keyfile");
		if (!out->certfile || !out->keyfile)
			out->certfile = out->keyfile = NULL;
	}
	free(dart);
	/* The top-level cert= and key= when no scoped pair applies (npm lets
	 * the scoped ones override them), on registry requests and on
	 * tarballs of their registry's origin only: npm would present them to
	 * any host. */
	if (!out->certfile && c->cert_pem && (!registry || same_origin(url, registry))) {
		out->cert_pem = c->cert_pem;
		out->key_pem = c->key_pem;
	}
}
