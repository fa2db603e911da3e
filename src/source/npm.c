/* npm registries: a package document (GET <registry>/<name>, scoped names
 * as @scope%2fname) lists every version with its tarball, its integrity
 * (SHA-512) or shasum (SHA-1), and its publication time; _all_docs lists
 * every package (crawl --all). pkgleaks names no registry of its own: it
 * is always the user's configuration (npmrc.c: the registry, @scope
 * registries, credentials). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "source/fetch_int.h"
#include "source/npmrc.h"
#include "util/alloc.h"

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

/* What to set when the registry's TLS failed: the message gets a hint. */
static void tls_hint(int rc, const struct pl_http_info *info, const struct pl_http_tls *tls)
{
	const char *hint = NULL, *m = pl_error_message();
	if (info->tls_untrusted)
		hint = tls->cafile || tls->ca_pem
			       ? "its certificate is not signed by the npm configuration's "
				 "cafile= or ca="
			       : "its certificate is not signed by a CA this system trusts: put "
				 "cafile=/path/to/ca.pem in .npmrc (pkgleaks(1), NPM CONFIGURATION)";
	else if (!tls->certfile && !tls->cert_pem &&
		 strstr(m, "certificate required")) /* TLS 1.3's alert */
		hint = "the registry asks for a client certificate: put //host:port/:certfile= "
		       "and :keyfile= in .npmrc (pkgleaks(1), NPM CONFIGURATION)";
	else if (!tls->certfile && !tls->cert_pem &&
		 strstr(m, "alert handshake failure")) /* TLS 1.2's */
		hint = "if the registry wants a client certificate, put //host:port/:certfile= "
		       "and :keyfile= in .npmrc (pkgleaks(1), NPM CONFIGURATION)";
	if (!hint)
		return;
	char *was = pl_xstrdup(m);
	(void)pl_error_set(rc, "%s (%s)", was, hint);
	free(was);
}

struct npm_read {
	struct pl_fetch *f;
	struct fetch_project *p;
	json_t *doc;
	const char *canonical;
	const char *registry; /* the package's (its scope's, else the default) */
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
				.upload_time = t, .size = -1, .yanked = -1,
				.registry = r->registry};
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
	const struct npm_config *cfg = fetch_npm_config(f);
	r.registry = npm_config_registry_for(cfg, name, fetch_options(f)->registry_url);
	char *esc = escape_name(name);
	char *url = r.registry ? pl_url_join(r.registry, esc) : NULL;
	char *auth = url ? npm_config_auth(cfg, url, r.registry) : NULL;
	struct pl_http_tls tls;
	npm_config_tls(cfg, url, r.registry, &tls);
	struct pl_http_info info = {0};
	int rc = url ? pl_fetch_json(f, url, "application/json", NULL, auth, &tls, &r.doc, &info)
		     : pl_error_set(PL_EINVAL, "no registry for %s", name);
	if (rc < 0)
		tls_hint(rc, &info, &tls);
	if (rc < 0 && !auth && (info.status == 401 || info.status == 403)) {
		char *dart = npm_nerf_dart(r.registry), *was = pl_xstrdup(pl_error_message());
		rc = pl_error_set(rc, "%s: put %s:_authToken=... in .npmrc (pkgleaks(1), NPM "
				      "CONFIGURATION)", was, dart ? dart : "//host/");
		free(was);
		free(dart);
	}
	npm_auth_free(auth);
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

/* ---- every package: _all_docs ---- */

/* Rows asked for per _all_docs page. */
#define NPM_ALL_PAGE 10000

/* "name" as a JSON string, percent-encoded for a query. */
static char *startkey_param(const char *name)
{
	json_t *s = json_string(name);
	char *js = json_dumps(s, JSON_ENCODE_ANY);
	json_decref(s);
	if (!js)
		return NULL;
	char *out = pl_xmalloc(3 * strlen(js) + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)js; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~')
			*o++ = (char)*p;
		else
			o += snprintf(o, 4, "%%%02X", *p);
	}
	*o = 0;
	free(js);
	return out;
}

int pl_npm_all(struct pl_fetch *f,
	       int (*each)(void *ctx, const struct pl_queue_item *items, size_t n), void *ctx)
{
	const char *registry = fetch_options(f)->registry_url;
	if (!registry)
		return pl_error_set(PL_EINVAL, "crawl --all --npm needs a registry");
	char *base = pl_url_join(registry, "_all_docs");
	char *shown = pl_http_display_url(base); /* no password in messages */
	char *auth = npm_config_auth(fetch_npm_config(f), base, registry);
	struct pl_http_tls tls;
	npm_config_tls(fetch_npm_config(f), base, registry, &tls);
	char *last = NULL;
	size_t prev_n = 0; /* rows of the page before */
	int rc = 0;
	while (rc == 0 && !fetch_stopping(f)) {
		char *key = last ? startkey_param(last) : NULL;
		char *url = key ? pl_xasprintf("%s?limit=%d&startkey=%s", base, NPM_ALL_PAGE + 1, key)
				: pl_xasprintf("%s?limit=%d", base, NPM_ALL_PAGE + 1);
		free(key);
		json_t *doc = NULL;
		struct pl_http_info info = {0};
		rc = pl_fetch_json(f, url, "application/json", NULL, auth, &tls, &doc, &info);
		if (rc < 0)
			tls_hint(rc, &info, &tls);
		pl_http_info_release(&info);
		free(url);
		if (rc == PL_ENOTFOUND)
			rc = pl_error_set(rc, "%s: not found: this registry does not list its "
					      "packages (give a mirror or a replication endpoint "
					      "that has _all_docs as --registry)", shown);
		json_t *rows = json_object_get(doc, "rows");
		if (rc == 0 && !json_is_array(rows))
			rc = pl_error_set(PL_EFORMAT, "%s: no rows in its answer", shown);
		size_t n = rc == 0 ? json_array_size(rows) : 0, k = 0;
		struct pl_queue_item *items = pl_xcalloc(n + 1, sizeof(*items));
		const char *next = NULL;
		for (size_t i = 0; i < n; i++) {
			const char *id = jstr(json_array_get(rows, i), "id");
			if (id && last && strcmp(id, last) == 0 && i > 0) {
				/* The last page again: startkey is not honoured. Fine when
				 * that page was all there is (fewer rows than asked). */
				if (prev_n > NPM_ALL_PAGE)
					rc = pl_error_set(PL_EFORMAT, "%s ignores startkey: it "
								      "cannot be read a page at a time",
							  shown);
				k = 0;
				next = NULL;
				break;
			}
			if (!id || (last && strcmp(id, last) == 0)) /* the page's start */
				continue;
			next = id;
			if (strncmp(id, "_design/", 8) != 0)
				items[k++] = (struct pl_queue_item){(char *)id, -1};
		}
		if (rc == 0 && k)
			rc = each(ctx, items, k);
		free(items);
		prev_n = n;
		/* Until a page brings nothing new: a server may send fewer rows
		 * than asked for. */
		int more = rc == 0 && next;
		free(last);
		last = more ? pl_xstrdup(next) : NULL;
		json_decref(doc);
		if (!more)
			break;
	}
	free(last);
	free(base);
	free(shown);
	npm_auth_free(auth);
	return rc;
}
