/* npm registries: a package document (GET <registry>/<name>, scoped names
 * as @scope%2fname) lists every version with its tarball, its integrity
 * (SHA-512) or shasum (SHA-1), and its publication time. pkgleaks names no
 * registry of its own: it is always the user's configuration. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "source/fetch_int.h"
#include "util/alloc.h"

/* ---- which registry ---- */

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		s[n - 1] = 0;
		s++;
	}
	return s;
}

/* The value of a registry= line (not @scope:registry=) in an .npmrc. */
static char *npmrc_registry(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return NULL;
	char line[4096], *found = NULL;
	while (!found && fgets(line, sizeof(line), fp)) {
		char *l = trim(line), *eq = strchr(l, '=');
		if (!eq || l[0] == '#' || l[0] == ';')
			continue;
		*eq = 0;
		char *value = trim(eq + 1);
		if (strcmp(trim(l), "registry") == 0 && *value)
			found = pl_xstrdup(value);
	}
	fclose(fp);
	return found;
}

int pl_npm_registry_find(const char *flag, char **out)
{
	*out = NULL;
	const char *env = getenv("npm_config_registry");
	if (!env || !env[0])
		env = getenv("NPM_CONFIG_REGISTRY");
	if (flag && flag[0])
		*out = pl_xstrdup(flag);
	else if (env && env[0])
		*out = pl_xstrdup(env);
	else if (!(*out = npmrc_registry(".npmrc"))) {
		const char *home = getenv("HOME");
		char *rc = home ? pl_xasprintf("%s/.npmrc", home) : NULL;
		*out = rc ? npmrc_registry(rc) : NULL;
		free(rc);
	}
	if (!*out)
		return pl_error_set(
			PL_ENOTFOUND,
			"no npm registry is configured: pass --registry URL, set "
			"npm_config_registry=URL, or put a registry=URL line in ./.npmrc "
			"or ~/.npmrc (pkgleaks has no default registry)");
	return 0;
}

/* ---- one package ---- */

/* NAME or NAME@VERSION; a scope's '@' is part of the name. */
static void split_spec(const char *spec, char **name, char **version)
{
	const char *at = strchr(spec[0] == '@' ? spec + 1 : spec, '@');
	*name = at ? pl_xstrndup(spec, (size_t)(at - spec)) : pl_xstrdup(spec);
	*version = at && at[1] ? pl_xstrdup(at + 1) : NULL;
}

/* @scope/name -> @scope%2fname */
static char *escape_name(const char *name)
{
	const char *slash = strchr(name, '/');
	return slash ? pl_xasprintf("%.*s%%2f%s", (int)(slash - name), name, slash + 1)
		     : pl_xstrdup(name);
}

struct npm_read {
	struct pl_fetch *f;
	struct fetch_project *p;
	json_t *doc;
	const char *canonical;
};

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* 1 added or skipped, 0 not wanted, negative when the fetch stopped. */
static int add_version(struct npm_read *r, const char *version, json_t *meta)
{
	json_t *dist = json_object_get(meta, "dist");
	const char *tarball = jstr(dist, "tarball");
	int64_t t = pl_parse_iso_time(jstr(json_object_get(r->doc, "time"), version));
	const struct pl_source_options *o = fetch_options(r->f);
	if (!tarball || (o->versions == PL_VERSIONS_SINCE && (t < 0 || t < o->since)))
		return 0;
	char *url = pl_xstrndup(tarball, strcspn(tarball, "?#"));
	const char *base = strrchr(url, '/');
	struct fetch_file ff = {.project = r->canonical, .url = url,
				.filename = base ? base + 1 : url, .version = version,
				.integrity = jstr(dist, "integrity"), .sha1 = jstr(dist, "shasum"),
				.upload_time = t, .size = -1, .yanked = -1};
	int rc = fetch_project_add(r->f, r->p, &ff);
	free(url);
	return rc < 0 ? rc : 1;
}

/* The version a spec names: itself, or a dist-tag ("latest", "next"). */
static const char *resolve_version(json_t *doc, const char *spec)
{
	json_t *versions = json_object_get(doc, "versions");
	if (spec && json_object_get(versions, spec))
		return spec;
	return jstr(json_object_get(doc, "dist-tags"), spec ? spec : "latest");
}

static int read_versions(struct npm_read *r, const char *spec, const char **fetched)
{
	json_t *versions = json_object_get(r->doc, "versions");
	if (spec || fetch_options(r->f)->versions == PL_VERSIONS_LATEST) {
		const char *v = resolve_version(r->doc, spec);
		json_t *meta = v ? json_object_get(versions, v) : NULL;
		if (!meta)
			return pl_error_set(PL_ENOTFOUND, "version %s not found",
					    spec ? spec : "latest");
		*fetched = v;
		return add_version(r, v, meta) < 0 ? PL_ERROR : 0;
	}
	const char *v;
	json_t *meta;
	json_object_foreach(versions, v, meta)
		if (add_version(r, v, meta) < 0)
			return PL_ERROR;
	return 0;
}

void pl_npm_project(struct pl_fetch *f, const struct fetch_item *it)
{
	char *name, *spec;
	split_spec(it->name, &name, &spec);
	struct npm_read r = {.f = f, .p = fetch_project_begin(f, PL_ECO_NPM, name, it->serial)};
	char *esc = escape_name(name);
	char *url = pl_url_join(fetch_options(f)->registry_url, esc);
	struct pl_http_info info;
	int rc = pl_fetch_json(f, url, "application/json", NULL, &r.doc, &info);
	pl_http_info_release(&info);
	const char *fetched = "";
	if (rc == 0) {
		r.canonical = jstr(r.doc, "name");
		rc = read_versions(&r, spec, &fetched);
	}
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s%s", rc == PL_ENOTFOUND ? "" : "cannot read the registry: ",
		 pl_error_message());
	fetch_project_end(f, r.p, fetched, rc < 0 && rc != PL_ERROR ? msg : NULL, 0);
	json_decref(r.doc);
	free(url);
	free(esc);
	free(name);
	free(spec);
}
