/* The findings store: what many scans found, kept in SQLite (a file) or
 * PostgreSQL (a URL), behind one interface (src/store/store_int.h holds the
 * backend table; sqlite.c and postgres.c implement it).
 *
 * Tables (docs/internals/store.md): artifacts, blobs, secrets, occurrences,
 * blob_findings, validations; schema_version records the migrations applied.
 * Every artifact is written in one transaction, so a killed scan leaves whole
 * artifacts or none; writing the same artifact again replaces its rows.
 *
 * Text columns hold printable UTF-8: names from packages go through
 * pl_escape before they are stored, so both back ends accept them and
 * readers need no second escaping for a terminal.
 *
 * A store is one connection; it is not shared between threads (the scan sink
 * is called under the scan's lock). */
#ifndef PKGLEAKS_STORE_H
#define PKGLEAKS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "pkgleaks/finding.h"
#include "pkgleaks/scan.h"

struct pl_store;

/* How pl_store_open treats a SQLite path that does not exist yet. */
enum pl_store_mode {
	PL_STORE_CREATE = 0, /* create the file (scan) */
	PL_STORE_EXISTING,   /* refuse with PL_ENOTFOUND (report) */
};

/* True when url names a PostgreSQL database (postgresql:// or postgres://). */
int pl_store_is_postgres_url(const char *url);

/* Opens the store named by url (a postgresql:// or postgres:// URL, anything
 * else is a SQLite file path) and brings its schema up to date. On success
 * *out is the store (pl_store_free releases it). */
int pl_store_open(const char *url, enum pl_store_mode mode, struct pl_store **out);
void pl_store_free(struct pl_store *st);

/* "sqlite" or "postgresql". */
const char *pl_store_backend(const struct pl_store *st);
/* The url with any password replaced by "***" (for messages); the store owns it. */
const char *pl_store_display_name(const struct pl_store *st);
/* The schema version applied, and the newest this build knows. */
int pl_store_schema_version(struct pl_store *st, int *version);
int pl_store_schema_latest(const struct pl_store *st);

/* ---- raw secrets, encrypted at rest ---- */

/* Derives the key for raw secret values from passphrase (PKGLEAKS_KEY) with
 * HKDF-SHA256 and this store's random salt, and checks it against the key
 * check the store keeps: the first unlock of a store sets both, a later one
 * with another passphrase fails with PL_EINVAL. Values are sealed with
 * AES-256-GCM, the fingerprint as associated data. */
int pl_store_unlock(struct pl_store *st, const char *passphrase);
/* The raw value kept for a fingerprint (needs pl_store_unlock): *out is a
 * new NUL-terminated string of *len bytes the caller frees. PL_ENOTFOUND
 * when no raw value is kept; PL_EFORMAT when it does not decrypt. */
int pl_store_secret_reveal(struct pl_store *st, const char *fingerprint, char **out,
			   size_t *len);

/* ---- validations (written by the validator, issue 6) ---- */

/* Records one check of a secret: status is "valid", "invalid" or "unknown";
 * detail may be NULL. PL_ENOTFOUND when the fingerprint is not stored. */
int pl_store_add_validation(struct pl_store *st, const char *fingerprint, int64_t checked_at,
			    const char *status, const char *detail);

/* ---- the scan sink ---- */

struct pl_store_sink_options {
	const char *ruleset_version; /* borrowed; blobs are deduplicated per version */
	int store_secrets;           /* keep raw values (the store must be unlocked) */
	int force;                   /* match every blob, rewrite every artifact, even
	                                those already stored under this ruleset */
	/* Called when an artifact could not be written (may be NULL). */
	void (*on_error)(void *ctx, const char *source, const char *message);
	void *on_error_ctx;
};

/* What a scan wrote. */
struct pl_store_sink_stats {
	uint64_t artifacts;         /* artifacts written */
	uint64_t unchanged;         /* artifacts already stored whole under this ruleset */
	uint64_t failed;            /* artifacts whose transaction failed */
	uint64_t blobs;             /* blobs the scan asked about (<= PL_BLOB_DEDUP_MAX) */
	uint64_t blobs_skipped;     /* ...of which already scanned under this ruleset */
	uint64_t occurrences;       /* occurrence rows written (replayed ones included) */
	uint64_t replayed;          /* occurrences in the skipped blobs (not matched again,
	                               so not delivered to other sinks) */
};

/* A sink writing each top-level file whole at its file_facts (the scan must
 * run with hash_inputs set): all of an artifact's rows or none, in group
 * transactions committed about once a second (docs/internals/store.md).
 * Its context is the struct pl_store_sink; pl_store_sink_ops.finding takes
 * ownership like every sink. */
struct pl_store_sink;
struct pl_store_sink *pl_store_sink_new(struct pl_store *st,
					const struct pl_store_sink_options *opt);
extern const struct pl_sink_ops pl_store_sink_ops;
/* Records a finding it only borrows (for a sink that forwards the finding
 * to another sink afterwards: the CLI's tee). */
void pl_store_sink_record(struct pl_store_sink *s, const struct pl_finding *f);
/* Once the scan is over: commits what is written and not committed yet
 * (artifacts are committed in groups, about once a second) and drops what
 * never reached file_facts (files that could not be opened). Negative when
 * the last commit failed; those artifacts went to on_error and count as
 * failed. pl_store_sink_free does it too when it was not called. */
int pl_store_sink_finish(struct pl_store_sink *s);
/* The totals so far (final after pl_store_sink_finish). */
void pl_store_sink_stats(const struct pl_store_sink *s, struct pl_store_sink_stats *out);
void pl_store_sink_free(struct pl_store_sink *s);

/* ---- package identity, from the artifact itself ---- */

/* Project, version and ecosystem of an artifact: from its metadata files
 * (PKG-INFO, METADATA, package.json, a .deb's control, a gem's metadata),
 * else from its file name (name-1.2.3.tar.gz, name-1.2.3-py3-none-any.whl,
 * name_1.2.3-1_all.deb, name-1.2.3.tgz, name-1.2.3.gem). Strings owned. */
struct pl_package_id {
	char *ecosystem; /* pypi, npm, debian, rubygems, or other */
	char *project;
	char *version;   /* "" when unknown */
	int depth;       /* '/' in the metadata path used; -1 = none used yet */
};
#define PL_PACKAGE_ID_INIT {NULL, NULL, NULL, -1}

/* Reads one metadata text (path inside the artifact as the scan gave it);
 * keeps the shallowest metadata file's answer. Unknown text is ignored. */
void pl_package_id_from_metadata(struct pl_package_id *id, const char *path, const char *text,
				 size_t len);
/* Fills what metadata did not give from the file name (a path is allowed). */
void pl_package_id_finish(struct pl_package_id *id, const char *filename);
void pl_package_id_release(struct pl_package_id *id);

/* ---- statistics (computed in SQL by the store) ---- */

enum pl_period { PL_PERIOD_MONTH = 0, PL_PERIOD_QUARTER, PL_PERIOD_YEAR };

/* Which artifacts count; NULL / -1 means no filter. Times are Unix seconds
 * over the artifact's upload time: since <= t < until. */
struct pl_stats_filter {
	const char *ecosystem;
	const char *project;
	int64_t since, until;
	enum pl_period period;
};

struct pl_stats_headline {
	uint64_t secrets;          /* distinct fingerprints */
	uint64_t occurrences;      /* (secret, artifact, path, line, column) rows */
	uint64_t artifacts, projects, projects_with_secrets, kinds;
	uint64_t valid, invalid, unknown, unchecked; /* by each secret's latest check */
};

struct pl_stats_rule {
	char *rule;
	uint64_t secrets, occurrences, projects, valid;
};

/* Distinct secrets first seen (earliest upload time) in a period, per rule. */
struct pl_stats_trend {
	char *period; /* "2021-03", "2021-Q1" or "2021" */
	char *rule;
	uint64_t secrets, valid;
};

/* Where secrets sit: by file extension (".py", "" for none) or path kind. */
struct pl_stats_where {
	char *key;
	uint64_t secrets, occurrences;
};

/* One secret in one project: the first and last release holding it, and
 * whether the project's newest release still does. Times are upload times
 * (-1 when unknown). */
struct pl_stats_persist {
	char *fingerprint, *rule, *redacted, *ecosystem, *project;
	char *first_version, *last_version, *newest_version;
	int64_t first_time, last_time;
	uint64_t releases; /* releases (versions) holding it */
	int still;         /* 1 yes, 0 no */
};

/* One artifact as stored (the "artifacts" table of the report). */
struct pl_stats_artifact {
	char *ecosystem, *project, *version, *filename, *sha256, *status, *error;
	uint64_t size, secrets, occurrences;
	int64_t upload_time, scan_time; /* -1 when unknown */
};

/* Rows in each table of the store. */
struct pl_store_totals {
	uint64_t artifacts, blobs, secrets, occurrences, blob_findings, validations;
};

struct pl_stats {
	struct pl_stats_headline headline;
	struct pl_stats_rule *rules;
	size_t nrules;
	struct pl_stats_trend *trends; /* by period, then rule */
	size_t ntrends;
	struct pl_stats_where *extensions, *kinds;
	size_t nextensions, nkinds;
	struct pl_stats_persist *persist;
	size_t npersist;
	struct pl_stats_artifact *artifacts; /* only with want_artifacts */
	size_t nartifacts;
	struct pl_store_totals totals;
};

/* Computes every table for the filter; artifacts are listed only when
 * want_artifacts is set. pl_stats_release frees what it filled. */
int pl_store_stats(struct pl_store *st, const struct pl_stats_filter *f, int want_artifacts,
		   struct pl_stats *out);
void pl_stats_release(struct pl_stats *s);
int pl_store_totals(struct pl_store *st, struct pl_store_totals *out);

const char *pl_period_name(enum pl_period p);

#endif
