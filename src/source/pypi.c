/* PyPI-compatible indexes: a project's files through the JSON API
 * (/pypi/NAME/json, /pypi/NAME/VERSION/json) or the Simple API in its JSON
 * form (PEP 691, /simple/NAME/), the whole project list (PEP 691 root,
 * with each project's _last-serial) and the RSS updates feed. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkgleaks/error.h"
#include "source/fetch_int.h"
#include "util/alloc.h"

#define PEP691 "application/vnd.pypi.simple.v1+json"

/* PEP 503: lower case, runs of -_. become one '-'. */
static char *normalize(const char *name)
{
	char *out = pl_xmalloc(strlen(name) + 1), *w = out;
	for (const char *s = name; *s; s++) {
		if (*s == '-' || *s == '_' || *s == '.') {
			if (w == out || w[-1] != '-')
				*w++ = '-';
		} else {
			*w++ = (char)tolower((unsigned char)*s);
		}
	}
	*w = 0;
	return out;
}

/* The index URL may be the site (https://pypi.org) or, as pip takes it, its
 * Simple root (https://pypi.org/simple, devpi's .../+simple). */
static int names_simple_root(const char *url)
{
	size_t n = strlen(url);
	while (n && url[n - 1] == '/')
		n--;
	return (n >= 7 && strncmp(url + n - 7, "/simple", 7) == 0) ||
	       (n >= 8 && strncmp(url + n - 8, "/+simple", 8) == 0);
}

/* A URL under the Simple root. */
static char *simple_url(const char *index, const char *path)
{
	if (names_simple_root(index))
		return pl_url_join(index, path);
	char *p = pl_xasprintf("simple/%s", path);
	char *u = pl_url_join(index, p);
	free(p);
	return u;
}

/* A URL under the site (the JSON API, RSS): the Simple root's parent. */
static char *site_url(const char *index, const char *path)
{
	if (!names_simple_root(index))
		return pl_url_join(index, path);
	size_t n = strlen(index);
	while (n && index[n - 1] == '/')
		n--;
	while (n && index[n - 1] != '/')
		n--;
	char *site = pl_xstrndup(index, n);
	char *u = pl_url_join(site, path);
	free(site);
	return u;
}

/* NAME or NAME==VERSION. */
static void split_spec(const char *spec, char **name, char **version)
{
	const char *eq = strstr(spec, "==");
	*name = eq ? pl_xstrndup(spec, (size_t)(eq - spec)) : pl_xstrdup(spec);
	*version = eq && eq[2] ? pl_xstrdup(eq + 2) : NULL;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : NULL;
}

static int64_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* PEP 592: yanked is true, or a string giving the reason. */
static int yanked(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return -1;
	return json_is_true(v) || (json_is_string(v) && json_string_length(v) > 0) ? 1 : 0;
}

/* What one project read needs along the way. */
struct pypi_read {
	struct pl_fetch *f;
	struct fetch_project *p;
	const struct fetch_item *it;
	char *name, *version; /* as asked */
	const char *canonical; /* the index's spelling (borrowed from the document) */
	char *fetched;         /* the version fetched, "" for several */
	int stale;             /* the index is behind the serial that queued us */
	size_t matched;        /* Simple API files of the version wanted */
	int stopped;
};

static int add_file(struct pypi_read *r, const struct fetch_file *ff)
{
	const struct pl_source_options *o = fetch_options(r->f);
	if (o->versions == PL_VERSIONS_SINCE && (ff->upload_time < 0 || ff->upload_time < o->since))
		return 0;
	if (fetch_project_add(r->f, r->p, ff) < 0) {
		r->stopped = 1;
		return -1;
	}
	return 0;
}

/* ---- the JSON API ---- */

static int json_file(struct pypi_read *r, json_t *file, const char *version)
{
	int64_t t = pl_parse_iso_time(jstr(file, "upload_time_iso_8601"));
	if (t < 0)
		t = pl_parse_iso_time(jstr(file, "upload_time"));
	struct fetch_file ff = {.project = r->canonical,
				.url = jstr(file, "url"),
				.filename = jstr(file, "filename"),
				.version = version,
				.sha256 = jstr(json_object_get(file, "digests"), "sha256"),
				.upload_time = t,
				.size = jint(file, "size"),
				.yanked = yanked(file, "yanked")};
	if (!ff.url || !ff.filename)
		return 0;
	return add_file(r, &ff);
}

static int json_files(struct pypi_read *r, json_t *files, const char *version)
{
	size_t i;
	json_t *file;
	json_array_foreach(files, i, file)
		if (json_file(r, file, version) < 0)
			return -1;
	return 0;
}

static int json_releases(struct pypi_read *r, json_t *releases)
{
	const char *version;
	json_t *files;
	json_object_foreach(releases, version, files)
		if (json_files(r, files, version) < 0)
			return -1;
	return 0;
}

static int via_json(struct pypi_read *r)
{
	const struct pl_source_options *o = fetch_options(r->f);
	char *path = r->version ? pl_xasprintf("pypi/%s/%s/json", r->name, r->version)
				: pl_xasprintf("pypi/%s/json", r->name);
	char *url = site_url(o->index_url, path);
	free(path);
	json_t *doc;
	struct pl_http_info info;
	int rc = pl_fetch_json(r->f, url, "application/json", NULL, NULL, NULL, &doc, &info);
	free(url);
	pl_http_info_release(&info);
	if (rc < 0)
		return rc;
	if (r->it->serial >= 0 && info.serial >= 0 && info.serial < r->it->serial) {
		r->stale = 1; /* a cache has not caught up: come back later */
		json_decref(doc);
		return 0;
	}
	json_t *inf = json_object_get(doc, "info");
	r->canonical = jstr(inf, "name");
	const char *latest = jstr(inf, "version");
	if (r->version || o->versions == PL_VERSIONS_LATEST) {
		r->fetched = pl_xstrdup(latest ? latest : r->version ? r->version : "");
		rc = json_files(r, json_object_get(doc, "urls"), r->fetched);
	} else {
		r->fetched = pl_xstrdup("");
		rc = json_releases(r, json_object_get(doc, "releases"));
	}
	json_decref(doc);
	return rc < 0 ? pl_error_set(PL_ERROR, "stopped") : 0;
}

/* ---- the Simple API (PEP 691) ---- */

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n > k && strcmp(s + n - k, suf) == 0;
}

/* The version a file name carries: the second field of a wheel or egg,
 * what follows the last '-' of an sdist. */
static char *file_version(const char *filename)
{
	static const char *const sdist[] = {".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip",
					    ".tar"};
	if (has_suffix(filename, ".whl") || has_suffix(filename, ".egg")) {
		const char *a = strchr(filename, '-');
		const char *b = a ? strchr(a + 1, '-') : NULL;
		if (!b && a) /* an egg without a python tag */
			b = strrchr(filename, '.');
		return a && b ? pl_xstrndup(a + 1, (size_t)(b - a - 1)) : pl_xstrdup("");
	}
	for (size_t i = 0; i < sizeof(sdist) / sizeof(sdist[0]); i++)
		if (has_suffix(filename, sdist[i])) {
			size_t n = strlen(filename) - strlen(sdist[i]);
			char *stem = pl_xstrndup(filename, n);
			char *dash = strrchr(stem, '-');
			char *v = pl_xstrdup(dash ? dash + 1 : "");
			free(stem);
			return v;
		}
	return pl_xstrdup("");
}

/* The newest version among files: not yanked and final if there is one. */
static char *pick_latest(json_t *files)
{
	char *best[3] = {NULL, NULL, NULL}; /* final unyanked, unyanked, any */
	size_t i;
	json_t *file;
	json_array_foreach(files, i, file) {
		const char *fn = jstr(file, "filename");
		char *v = fn ? file_version(fn) : NULL;
		if (!v || !v[0]) {
			free(v);
			continue;
		}
		int y = yanked(file, "yanked") == 1;
		int ok[3] = {!y && !pl_version_is_pre(v), !y, 1};
		for (int k = 0; k < 3; k++)
			if (ok[k] && (!best[k] || pl_version_cmp(v, best[k]) > 0)) {
				free(best[k]);
				best[k] = pl_xstrdup(v);
			}
		free(v);
	}
	char *r = best[0] ? best[0] : best[1] ? best[1] : best[2];
	for (int k = 0; k < 3; k++)
		if (best[k] != r)
			free(best[k]);
	return r;
}

static int simple_file(struct pypi_read *r, const char *page, json_t *file, const char *want)
{
	const char *fn = jstr(file, "filename"), *href = jstr(file, "url");
	if (!fn || !href)
		return 0;
	char *v = file_version(fn);
	int rc = 0;
	if (!want || pl_version_cmp(v, want) == 0) {
		r->matched++;
		char *url = pl_url_resolve(page, href);
		struct fetch_file ff = {
			.project = r->canonical, .url = url, .filename = fn, .version = v,
			.sha256 = jstr(json_object_get(file, "hashes"), "sha256"),
			.upload_time = pl_parse_iso_time(jstr(file, "upload-time")),
			.size = jint(file, "size"), .yanked = yanked(file, "yanked")};
		rc = add_file(r, &ff);
		free(url);
	}
	free(v);
	return rc;
}

static int via_simple(struct pypi_read *r)
{
	const struct pl_source_options *o = fetch_options(r->f);
	char *norm = normalize(r->name);
	char *path = pl_xasprintf("%s/", norm);
	char *url = simple_url(o->index_url, path);
	free(norm);
	free(path);
	json_t *doc;
	struct pl_http_info info;
	int rc = pl_fetch_json(r->f, url, PEP691, NULL, NULL, NULL, &doc, &info);
	pl_http_info_release(&info);
	if (rc == 0) {
		json_t *files = json_object_get(doc, "files");
		r->canonical = jstr(doc, "name");
		char *want = r->version ? pl_xstrdup(r->version)
			     : o->versions == PL_VERSIONS_LATEST ? pick_latest(files) : NULL;
		r->fetched = pl_xstrdup(want ? want : "");
		size_t i;
		json_t *file;
		json_array_foreach(files, i, file)
			if ((rc = simple_file(r, url, file, want)) < 0)
				break;
		if (rc == 0 && r->version && !r->matched)
			rc = pl_error_set(PL_ENOTFOUND, "version %s not found", r->version);
		free(want);
		json_decref(doc);
	}
	free(url);
	return rc;
}

/* ---- one project ---- */

static void read_project(struct pypi_read *r)
{
	enum pl_pypi_api api = fetch_options(r->f)->api;
	int rc = api == PL_PYPI_SIMPLE ? PL_ENOTFOUND : via_json(r);
	/* No JSON API (devpi, a bare Simple index): the Simple API. */
	if (api != PL_PYPI_JSON && rc == PL_ENOTFOUND && !r->stopped) {
		free(r->fetched);
		r->fetched = NULL;
		rc = via_simple(r);
	}
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s%s", rc == PL_ENOTFOUND ? "" : "cannot read the index: ",
		 pl_error_message());
	fetch_project_end(r->f, r->p, r->fetched, rc < 0 && !r->stopped ? msg : NULL, r->stale);
}

void pl_pypi_project(struct pl_fetch *f, const struct fetch_item *it)
{
	struct pypi_read r = {.f = f, .it = it};
	split_spec(it->name, &r.name, &r.version);
	r.p = fetch_project_begin(f, PL_ECO_PYPI, r.name, it->serial);
	read_project(&r);
	free(r.name);
	free(r.version);
	free(r.fetched);
}

/* ---- the project list and what changed ---- */

void pl_pypi_index_release(struct pypi_index *x)
{
	pl_queue_items_free(x->items, x->n);
	free(x->etag);
	*x = (struct pypi_index){0};
}

int pl_pypi_index(struct pl_fetch *f, const char *etag, struct pypi_index *out)
{
	*out = (struct pypi_index){.serial = -1};
	char *url = simple_url(fetch_options(f)->index_url, "");
	json_t *doc;
	struct pl_http_info info;
	int rc = pl_fetch_json(f, url, PEP691, etag, NULL, NULL, &doc, &info);
	free(url);
	out->etag = info.etag;
	out->serial = info.serial;
	if (rc < 0 || info.status == 304) {
		out->unchanged = rc == 0;
		return rc;
	}
	json_t *projects = json_object_get(doc, "projects");
	int64_t s = jint(json_object_get(doc, "meta"), "_last-serial");
	if (s >= 0)
		out->serial = s;
	out->items = pl_xcalloc(json_array_size(projects) + 1, sizeof(*out->items));
	size_t i;
	json_t *p;
	json_array_foreach(projects, i, p) {
		const char *name = jstr(p, "name");
		if (name)
			out->items[out->n++] = (struct pl_queue_item){pl_xstrdup(name),
								      jint(p, "_last-serial")};
	}
	json_decref(doc);
	return 0;
}

/* ---- RSS ---- */

/* The text of <tag>...</tag> in [s, end), entities &amp; &lt; &gt; decoded. */
static char *xml_text(const char *s, const char *end, const char *tag)
{
	char open[32], close[32];
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	const char *a = strstr(s, open);
	if (!a || a >= end)
		return NULL;
	a += strlen(open);
	const char *b = strstr(a, close);
	if (!b || b > end)
		return NULL;
	char *t = pl_xstrndup(a, (size_t)(b - a)), *w = t;
	for (const char *r = t; *r;) {
		static const char *const ent[][2] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"},
						     {"&quot;", "\""}, {"&#39;", "'"}};
		size_t k = 0;
		for (; k < 5 && strncmp(r, ent[k][0], strlen(ent[k][0])); k++)
			;
		if (k < 5) {
			*w++ = ent[k][1][0];
			r += strlen(ent[k][0]);
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
	return t;
}

static int64_t rss_time(const char *s)
{
	struct tm tm = {0};
	return s && strptime(s, "%a, %d %b %Y %H:%M:%S", &tm) ? (int64_t)timegm(&tm) : -1;
}

/* One <item>: "name version" as its title. */
static void rss_item(const char *s, const char *end, int64_t since, int64_t *newest,
		     struct pl_queue_item **items, size_t *n, size_t *cap)
{
	char *title = xml_text(s, end, "title"), *date = xml_text(s, end, "pubDate");
	int64_t t = rss_time(date);
	if (title && t >= since) {
		char *sp = strchr(title, ' ');
		if (sp)
			*sp = 0;
		PL_GROW(*items, *cap, *n + 1);
		(*items)[(*n)++] = (struct pl_queue_item){pl_xstrdup(title), -1};
		if (t > *newest)
			*newest = t;
	}
	free(title);
	free(date);
}

int pl_pypi_rss(struct pl_fetch *f, int64_t *since, struct pl_queue_item **items, size_t *n)
{
	*items = NULL;
	*n = 0;
	char *url = site_url(fetch_options(f)->index_url, "rss/updates.xml");
	struct pl_buf body;
	pl_buf_init(&body, 0);
	struct pl_http_request rq = {.url = url,
				     .accept = "application/rss+xml, text/xml",
				     .max_bytes = fetch_options(f)->max_index_bytes,
				     .compressed = 1};
	struct pl_http_info info;
	int rc = pl_http_get(fetch_http(f), &rq, &body, &info);
	if (rc == 0 && info.status != 200)
		rc = pl_error_set(PL_EIO, "rss/updates.xml: HTTP %ld", info.status);
	pl_http_info_release(&info);
	free(url);
	size_t cap = 0;
	int64_t newest = *since;
	for (const char *s = body.data; rc == 0 && s && (s = strstr(s, "<item>"));) {
		const char *end = strstr(s, "</item>");
		if (!end)
			break;
		rss_item(s, end, *since, &newest, items, n, &cap);
		s = end;
	}
	*since = newest;
	pl_buf_release(&body);
	return rc;
}
