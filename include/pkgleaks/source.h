/* Registry sources: PyPI and npm packages by name, whole crawls, following
 * new PyPI uploads, and local mirrors.
 *
 * A fetch (struct pl_fetch) resolves projects through an index with a few
 * planner threads, downloads their files through one libcurl client
 * (src/source/http.c) and feeds each download to the scan as a stream
 * while it arrives (pl_scan_streams): the bytes go through a spool (in
 * memory for small files, else a file unlinked at once in a private
 * temporary directory removed at the end), so that zip archives (wheels)
 * can seek; nothing is kept unless keep_dir is set. Each file is checked against the hash the index gives; a file
 * that cannot be fetched whole and verified is an error for that artifact
 * alone. With a store, files it already holds are not fetched again, and
 * crawl and follow keep their queue (and follow its serial) in it. */
#ifndef PKGLEAKS_SOURCE_H
#define PKGLEAKS_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "pkgleaks/rules.h"
#include "pkgleaks/scan.h"

struct pl_store;
struct pl_store_sink;

/* PyPI's public index; any compatible one can be given instead. */
#define PL_PYPI_DEFAULT_URL "https://pypi.org"

enum pl_ecosystem { PL_ECO_PYPI = 0, PL_ECO_NPM };
/* "pypi", "npm". */
const char *pl_ecosystem_name(enum pl_ecosystem e);

/* How PyPI projects are read: the JSON API (/pypi/NAME/json: upload times,
 * sizes, yanked), the Simple API in its JSON form (PEP 691), or the JSON
 * API with the Simple API when the index has no JSON API. */
enum pl_pypi_api { PL_PYPI_AUTO = 0, PL_PYPI_JSON, PL_PYPI_SIMPLE };

/* Which releases of a project are fetched. */
enum pl_versions {
	PL_VERSIONS_LATEST = 0, /* the newest release (or the one named) */
	PL_VERSIONS_ALL,        /* every release */
	PL_VERSIONS_SINCE,      /* every file uploaded at or after `since` (follow) */
};

struct pl_source_options {
	const char *index_url;    /* PyPI-compatible index; NULL: PL_PYPI_DEFAULT_URL */
	const char *registry_url; /* npm registry; see pl_npm_registry_find */
	enum pl_pypi_api api;
	enum pl_versions versions;
	int64_t since;            /* PL_VERSIONS_SINCE: Unix seconds */
	unsigned concurrency;     /* transfers in flight, and planner threads (default 4) */
	unsigned retries;         /* attempts after the first (default 4) */
	double backoff;           /* first retry delay in seconds, doubled each time (1) */
	double timeout;           /* seconds without a byte before giving up an attempt (30) */
	double max_retry_after;   /* longest Retry-After obeyed, in seconds (300) */
	uint64_t max_file_bytes;  /* download cap per file (default 2 GiB) */
	uint64_t max_index_bytes; /* cap per index document (default 256 MiB: PyPI's
	                             whole Simple index is tens of MiB) */
	const char *keep_dir;     /* keep each verified download here; NULL: keep none */
	const char *tmp_dir;      /* where the private spool directory goes; NULL:
	                             $TMPDIR, else /tmp */
	int rescan;               /* with a store: fetch files it already holds too */
};
void pl_source_options_default(struct pl_source_options *o);

/* The npm registry to use: --registry (flag, may be NULL), else the
 * npm_config_registry (or NPM_CONFIG_REGISTRY) environment variable, else
 * the registry= line of ./.npmrc, then of ~/.npmrc. *out is a new string;
 * PL_ENOTFOUND (with a message saying how to set one) when none is
 * configured: pkgleaks has no built-in default. */
int pl_npm_registry_find(const char *flag, char **out);

/* What happened to one project; given to the on_project callback. */
struct pl_project_result {
	const char *ecosystem, *project;
	const char *version;   /* the version fetched ("" for several or none) */
	const char *error;     /* the project could not be read (404, ...), or NULL */
	uint64_t files;        /* files fetched and scanned */
	uint64_t failed;       /* ...of which could not be fetched whole and verified */
	uint64_t skipped;      /* files the store already had */
};

/* Live counters (a progress line); read from any thread. */
struct pl_fetch_progress {
	uint64_t projects, projects_done;   /* known so far, finished */
	uint64_t files, files_done, files_failed, files_skipped;
	uint64_t bytes_expected;            /* sizes the index gave (0: none did) */
	uint64_t bytes_done;                /* bytes of files received */
	uint64_t bytes_expected_done;       /* bytes_expected of the files finished */
};

struct pl_fetch;

/* A fetch with its HTTP client and private temporary directory. */
int pl_fetch_new(const struct pl_source_options *o, struct pl_fetch **out);
/* Loads and starts libcurl (with the ~25 libraries it brings) in a thread of
 * its own, so that it overlaps the rules' loading and the store's opening;
 * pl_fetch_new then finds it ready. Every call must be paired with
 * pl_source_preload_wait before the process exits (no thread is left inside
 * the dynamic loader). */
void pl_source_preload(void);
void pl_source_preload_wait(void);
/* Removes the temporary directory and everything in it. */
void pl_fetch_free(struct pl_fetch *f);

/* With a store: files it holds whole under ruleset_version are skipped
 * (unless rescan), and crawl/follow keep their state in it. sink (may be
 * NULL) is the store sink of the scan's sink chain, writing to st: the
 * fetch then borrows st through it (pl_store_sink_lock), so the sink may
 * defer its writes (defer_writes) provided every sink in the chain passes
 * file_write on; a project is finished only after its files' file_write. */
void pl_fetch_set_store(struct pl_fetch *f, struct pl_store *st, const char *ruleset_version,
			struct pl_store_sink *sink);
/* Called from worker threads as each project finishes. */
void pl_fetch_on_project(struct pl_fetch *f,
			 void (*fn)(void *ctx, const struct pl_project_result *r), void *ctx);
void pl_fetch_progress(const struct pl_fetch *f, struct pl_fetch_progress *out);
/* Asks a running fetch to stop taking new projects (async-signal-safe):
 * what is being fetched is finished and recorded. */
void pl_fetch_stop(struct pl_fetch *f);

/* ---- what to fetch; each runs the scan (pl_scan_streams) until done ---- */

/* Projects named on the command line: NAME or NAME==VERSION (PyPI),
 * NAME or NAME@VERSION (npm, scoped names too). */
int pl_fetch_run_names(struct pl_fetch *f, enum pl_ecosystem eco, const char *const *names,
		       size_t n, const struct pl_ruleset *rs, const struct pl_scan_options *opt,
		       const struct pl_sink_ops *sink, void *sink_ctx);

/* crawl: puts names (may be NULL) or, with all, every project the PyPI
 * index lists into the store's "crawl" queue, then works through what is
 * pending there; a project is done once each of its files is recorded. */
struct pl_crawl_options {
	enum pl_ecosystem eco;
	const char *const *names;
	size_t nnames;
	int all;          /* every project of the index (PyPI: the Simple index;
	                     npm: the registry's _all_docs) */
	int retry_errors; /* projects that failed before are tried again */
	const char *queue; /* the store's project queue; NULL: "crawl" */
	int requeue;       /* projects named (or listed by --all) that are done are
	                      read again, not only those still pending */
};
int pl_fetch_run_crawl(struct pl_fetch *f, const struct pl_crawl_options *c,
		       const struct pl_ruleset *rs, const struct pl_scan_options *opt,
		       const struct pl_sink_ops *sink, void *sink_ctx);

/* follow: new PyPI uploads. Each poll reads what changed since the serial
 * kept in the store (the PEP 691 Simple index with its _last-serial, or
 * the RSS updates feed), queues those projects and the new serial in one
 * transaction, then fetches the files uploaded since the follow began. */
enum pl_follow_feed { PL_FOLLOW_SERIAL = 0, PL_FOLLOW_RSS };
struct pl_follow_options {
	enum pl_follow_feed feed;
	double interval; /* seconds between polls (default 60) */
	int once;        /* one poll, then stop when its work is done */
	int64_t since;   /* first run: files uploaded from then on (-1: now) */
	/* Called after each poll with what it queued (may be NULL). */
	void (*on_poll)(void *ctx, int64_t serial, size_t queued);
	void *ctx;
};
int pl_fetch_run_follow(struct pl_fetch *f, const struct pl_follow_options *fo,
			const struct pl_ruleset *rs, const struct pl_scan_options *opt,
			const struct pl_sink_ops *sink, void *sink_ctx);

/* ---- listing instead of fetching (the work queue, issue 7) ---- */

/* One file an index lists. Strings are borrowed for the call. */
struct pl_listed_file {
	const char *ecosystem, *project, *version, *filename, *url;
	const char *sha256;    /* hex (PyPI), or NULL */
	const char *integrity; /* npm's "sha512-<base64>", or NULL */
	const char *sha1;      /* npm's shasum (hex) when there is no integrity, or NULL */
	int64_t upload_time;   /* -1 unknown */
	int64_t size;          /* -1 unknown */
	int yanked;            /* -1 unknown */
};

/* List mode: each project's files (those the store does not hold, as
 * for a fetch) go to fn, with the store (NULL without one) locked, once
 * the project has been read, instead of being downloaded; a project is
 * marked done in its queue only after fn returned 0. The runs above then
 * only read indexes (pl_fetch_run_crawl fills a work queue this way). */
void pl_fetch_set_lister(struct pl_fetch *f,
			 int (*fn)(void *ctx, struct pl_store *st,
				   const struct pl_listed_file *files, size_t n),
			 void *ctx);

/* Downloads, verifies and scans files already listed (a work item): as a
 * project's files are, against the hashes they carry. */
int pl_fetch_run_files(struct pl_fetch *f, const struct pl_listed_file *files, size_t n,
		       const struct pl_ruleset *rs, const struct pl_scan_options *opt,
		       const struct pl_sink_ops *sink, void *sink_ctx);

/* ---- mirrors ---- */

/* The package files under dir (a bandersnatch mirror's web/packages when
 * there is one, else every file), minus those the store (may be NULL)
 * holds whole under ruleset_version, found by their SHA-256. *paths is a
 * new array of new strings (pl_mirror_free). */
struct pl_mirror_list {
	char **paths;
	size_t n;
	uint64_t skipped;   /* files already in the store */
	uint64_t bytes;     /* bytes of the files listed */
};
int pl_mirror_list(const char *dir, struct pl_store *st, const char *ruleset_version, int rescan,
		   struct pl_mirror_list *out);
void pl_mirror_list_release(struct pl_mirror_list *l);

#endif
