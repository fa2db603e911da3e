/* The source module's private parts: the fetch pipeline (fetch.c) that the
 * index readers (pypi.c, npm.c) hand files to, and the planners (crawl.c)
 * that give them projects. */
#ifndef PL_SOURCE_FETCH_INT_H
#define PL_SOURCE_FETCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pkgleaks/source.h"
#include "pkgleaks/store.h"
#include "source/http.h"
#include "util/buf.h"

/* One file an index lists; fetch_project_add copies what it keeps. */
struct fetch_file {
	const char *project; /* as the index spells it; NULL: the name asked for */
	const char *url, *filename, *version;
	const char *sha256;    /* hex (PyPI), or NULL */
	const char *integrity; /* npm's "sha512-<base64>", or NULL */
	const char *sha1;      /* hex (npm's shasum, when there is no integrity), or NULL */
	int64_t upload_time;   /* -1 unknown */
	int64_t size;          /* -1 unknown */
	int yanked;            /* -1 unknown */
	const char *registry;  /* npm: the registry the file was listed by (its
	                          credential also goes to a tarball on its scheme,
	                          host and port); NULL: the fetch's registry_url */
};

/* A project to read: its name as given (NAME, NAME==V, NAME@V) and the
 * serial that queued it (-1). */
struct fetch_item {
	char *name;
	int64_t serial;
};

/* One project being worked on. Its files are counted as they are added and
 * as the scan finishes them; it is done when both are over. */
struct fetch_project;
struct fetch_project *fetch_project_begin(struct pl_fetch *f, enum pl_ecosystem eco,
					  const char *name, int64_t serial);
/* Hands a file to the download and the scan; blocks while too many files
 * are in flight. 1 when the store already had it (skipped), 0 when queued,
 * negative when the fetch is shutting down. */
int fetch_project_add(struct pl_fetch *f, struct fetch_project *p, const struct fetch_file *file);
/* No more files: version is what was fetched ("" for several), error why
 * the project could not be read (NULL). retry_later leaves it pending in
 * its queue (an index that has not caught up with the serial yet). */
void fetch_project_end(struct pl_fetch *f, struct fetch_project *p, const char *version,
		       const char *error, int retry_later);

struct pl_http *fetch_http(struct pl_fetch *f);
/* npm's configuration (npmrc.h), read on first use; NULL when it could
 * not be (a warning said why). */
struct npm_config;
const struct npm_config *fetch_npm_config(struct pl_fetch *f);
const struct pl_source_options *fetch_options(const struct pl_fetch *f);
int fetch_stopping(const struct pl_fetch *f);

/* The store (NULL without one), used between lock and unlock only. */
struct pl_store *fetch_store_lock(struct pl_fetch *f);
void fetch_store_unlock(struct pl_fetch *f);

/* Runs the scan over what planner adds from its own thread; planner
 * returns 0 or negative (message set). The queue name (may be NULL) is
 * where projects are marked done. */
int fetch_run(struct pl_fetch *f, const char *queue, int (*planner)(struct pl_fetch *f, void *arg),
	      void *arg, const struct pl_ruleset *rs, const struct pl_scan_options *opt,
	      const struct pl_sink_ops *sink, void *sink_ctx);
/* Reads items with `concurrency` threads, each through read_project;
 * returns when all have been read (their files may still be in flight). */
void fetch_items(struct pl_fetch *f, enum pl_ecosystem eco, const struct fetch_item *items,
		 size_t n);
/* Waits until every project begun so far is done. */
void fetch_wait_idle(struct pl_fetch *f);
/* Sleeps up to seconds, less when stopped. */
void fetch_sleep(struct pl_fetch *f, double seconds);
/* Commits what the store sink holds (an idle follow). */
void fetch_store_flush(struct pl_fetch *f);

/* ---- index readers ---- */

/* One project: reads its index and adds its files (pypi.c, npm.c). */
void pl_pypi_project(struct pl_fetch *f, const struct fetch_item *it);
void pl_npm_project(struct pl_fetch *f, const struct fetch_item *it);

/* Every project the PyPI index lists (PEP 691 root), with its serial;
 * *serial is the index's serial. etag (may be NULL) makes the request
 * conditional: *unchanged is then set on a 304. */
struct pypi_index {
	struct pl_queue_item *items;
	size_t n;
	int64_t serial;
	char *etag;
	int unchanged;
};
int pl_pypi_index(struct pl_fetch *f, const char *etag, struct pypi_index *out);
void pl_pypi_index_release(struct pypi_index *x);
/* Every package an npm registry lists (CouchDB's _all_docs under the
 * registry URL, read in pages by startkey): each page goes to each, which
 * returns 0 or negative to stop. */
int pl_npm_all(struct pl_fetch *f,
	       int (*each)(void *ctx, const struct pl_queue_item *items, size_t n), void *ctx);
/* The RSS updates feed: projects with an item newer than *since (Unix
 * seconds); *since becomes the newest item's time. */
int pl_pypi_rss(struct pl_fetch *f, int64_t *since, struct pl_queue_item **items, size_t *n);

/* ---- helpers ---- */

/* PEP 440 ordering, simplified: epoch, release, then dev < a < b < rc <
 * final < post. */
int pl_version_cmp(const char *a, const char *b);
/* True for a pre-release or development version. */
int pl_version_is_pre(const char *v);
/* "2023-05-22T15:12:44.175568Z" (or with an offset) to Unix seconds; -1. */
int64_t pl_parse_iso_time(const char *s);
/* base and path joined with one '/'. */
char *pl_url_join(const char *base, const char *path);
/* url resolved against the page it came from (absolute, /path, relative),
 * without its #fragment. */
char *pl_url_resolve(const char *page, const char *url);
/* Reads a JSON document from url (Accept: accept; Authorization: auth when
 * not NULL; TLS settings tls when not NULL) into a new json_t (the caller
 * json_decref's it). 0, PL_ENOTFOUND on a 404/410, else negative; info is
 * filled (status, serial, etag). */
struct json_t;
int pl_fetch_json(struct pl_fetch *f, const char *url, const char *accept, const char *etag,
		  const char *auth, const struct pl_http_tls *tls, struct json_t **out,
		  struct pl_http_info *info);

#endif
