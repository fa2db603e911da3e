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
 * is called under the scan's lock; others borrow the sink's connection with
 * pl_store_sink_lock). */
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

/* One check to record (pl_store_add_validation's arguments; borrowed). */
struct pl_validation_record {
	const char *fingerprint;
	int64_t checked_at;
	const char *status; /* valid, invalid or unknown */
	const char *detail; /* may be NULL */
};
/* Records n checks in one transaction: all or none. */
int pl_store_add_validations(struct pl_store *st, const struct pl_validation_record *r, size_t n);

/* A stored secret to check again (pkgleaks validate; src/store/validations.c). */
struct pl_stored_secret {
	char fingerprint[65];
	char *rule;           /* owned: the rule id it was found under */
	char *redacted;       /* owned, printable: the redacted form stored by the scan */
	int has_raw;          /* a raw value is kept (scan --store-secrets) */
	int64_t last_checked; /* Unix seconds of its newest validation; -1: never */
	int64_t first_seen;   /* earliest upload time of an artifact holding it; -1 unknown */
};

/* Which secrets: -1 / NULL / 0 mean no filter. */
struct pl_stored_secret_filter {
	int64_t checked_before; /* newest validation at or before this time, or none */
	const char *rule;       /* this rule id only */
	uint64_t limit;         /* at most this many */
};

/* The secrets the filter selects: those with a raw value first, then the
 * never checked, then the longest unchecked (fingerprint order breaks ties,
 * so both back ends choose the same ones). pl_stored_secrets_free frees
 * *out. */
int pl_store_secrets_to_validate(struct pl_store *st, const struct pl_stored_secret_filter *f,
				 struct pl_stored_secret **out, size_t *n);
void pl_stored_secrets_free(struct pl_stored_secret *s, size_t n);

/* ---- the scan sink ---- */

struct pl_store_sink_options {
	const char *ruleset_version; /* borrowed; blobs are deduplicated per version */
	int store_secrets;           /* keep raw values (the store must be unlocked) */
	int force;                   /* match every blob, rewrite every artifact, even
	                                those already stored under this ruleset */
	/* Called when an artifact could not be written, or a raw value could
	 * not be sealed (may be NULL); source is escaped, printable. */
	void (*on_error)(void *ctx, const char *source, const char *message);
	void *on_error_ctx;
	/* Optional (may be NULL): more writes in each artifact's transaction
	 * (a worker marks its work item done there). Called after the
	 * artifact's rows are written, or when it is left unchanged (status is
	 * then "ok"), with the status stored and its error (NULL when none).
	 * Negative fails the artifact: its rows are rolled back, and the
	 * message goes to on_error. */
	int (*in_transaction)(void *ctx, struct pl_store *st, const char *source,
			      const char *status, const char *error);
	void *in_transaction_ctx;
	/* 1: file_facts only takes the artifact out of what is pending, and
	 * file_write (the scan calls it without its lock) writes it, under the
	 * sink's own lock, so a worker never waits for another's write. Only
	 * when nothing else uses the store during the scan but through
	 * pl_store_sink_lock (as registry sources do; a work queue's slot
	 * leaves this 0, and file_facts writes). An
	 * artifact whose file_write never comes (a wrapper that does not pass
	 * it on) is written at its thread's next file_facts, or at finish. */
	int defer_writes;
	/* With defer_writes, more than 1: file_write collects artifacts and the
	 * one that makes this many writes them all, one after another (SQLite's
	 * code and pages are then still in the caches: a first scan of the
	 * corpus spent 26 us per artifact row written between two scans, 9 us
	 * in a row of writes). A batch older than a second, pl_store_sink_lock,
	 * pl_store_sink_flush and finish write what is collected. 0 or 1: each
	 * artifact at its file_write. */
	unsigned write_batch;
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
/* Commits what is written and not committed yet, now (a long-running
 * `follow` that goes idle); negative when that commit failed. */
int pl_store_sink_flush(struct pl_store_sink *s);
/* The sink's connection for other work while a scan writes through it (a
 * registry planner reading and marking its queue): between the two the sink
 * neither writes nor reads, and the caller sees every artifact the sink has
 * written, committed or not. Lock order: the scan's lock, then this one. */
struct pl_store *pl_store_sink_lock(struct pl_store_sink *s);
void pl_store_sink_unlock(struct pl_store_sink *s);
/* Whether an artifact of this SHA-256 was read whole under the sink's
 * ruleset: stored, or collected for the next write_batch (which this does
 * not write: a registry asks it for every file it lists). -1 on a store
 * error. Takes the sink's lock itself. */
int pl_store_sink_known(struct pl_store_sink *s, const char *sha256, const char *url);
/* The totals so far (final after pl_store_sink_finish). */
void pl_store_sink_stats(const struct pl_store_sink *s, struct pl_store_sink_stats *out);
void pl_store_sink_free(struct pl_store_sink *s);

/* ---- registry sources: what was fetched, the crawl and follow queues ----
 * (src/store/queue.c). Artifacts from an index carry its identity
 * (struct pl_artifact_meta through the scan's file_facts) and their URL. */

/* 1 when an artifact is stored whole (status ok or partial) under the
 * ruleset version: by its SHA-256 when sha256 is not NULL, else by url.
 * With ruleset_version NULL: stored at all (errors too). 0 when not. */
int pl_store_artifact_known(struct pl_store *st, const char *sha256, const char *url,
			    const char *ruleset_version);

/* A value kept in the store's meta table (the follow serial, its ETag):
 * *out is a new string, or NULL when none is kept. */
int pl_store_meta_get(struct pl_store *st, const char *key, char **out);
int pl_store_meta_set(struct pl_store *st, const char *key, const char *value);

/* The key naming this store's blobs (PL_BLOB_KEY_LEN in scan.h): made at
 * random the first time (the first writer wins when processes race) and
 * kept in meta; a scan deduplicating against the store needs it. */
int pl_store_blob_key(struct pl_store *st, unsigned char key[PL_BLOB_KEY_LEN]);

/* A queue (named "crawl" or "follow") holds projects of one ecosystem:
 * pending, done or error (with the reason), and the index serial that put
 * them there. */
struct pl_queue_item {
	char *project;  /* owned */
	int64_t serial; /* -1 when unknown */
};

/* Adds projects as pending; one already there keeps its state unless
 * requeue is set or the new serial is higher (a newer upload). All or none,
 * with the meta key/value (may be NULL) in the same transaction: a follow
 * keeps the serial it has queued up to. */
int pl_store_queue_add(struct pl_store *st, const char *queue, const char *ecosystem,
		       const struct pl_queue_item *items, size_t n, int requeue,
		       const char *meta_key, const char *meta_value);
/* The pending projects (at most max, 0 = all), oldest first. */
int pl_store_queue_pending(struct pl_store *st, const char *queue, const char *ecosystem,
			   size_t max, struct pl_queue_item **out, size_t *n);
void pl_queue_items_free(struct pl_queue_item *items, size_t n);
/* Marks a project done (error NULL) or error, unless its serial has moved
 * past serial since (then it stays pending). */
int pl_store_queue_finish(struct pl_store *st, const char *queue, const char *ecosystem,
			  const char *project, int64_t serial, const char *error);
/* Projects in each state. */
int pl_store_queue_counts(struct pl_store *st, const char *queue, const char *ecosystem,
			  uint64_t *pending, uint64_t *done, uint64_t *error);
/* Puts the projects in error back to pending. */
int pl_store_queue_retry_errors(struct pl_store *st, const char *queue, const char *ecosystem);

/* ---- the work queue: one item per artifact, leased by workers ----
 * (src/store/work.c; PostgreSQL only: claims use SELECT ... FOR UPDATE
 * SKIP LOCKED). Projects are expanded into items through the queue above
 * (a project is done once its files are items); times are the server's
 * clock, so that machines need not agree on theirs.
 *
 * An item is queued, leased (by one worker, with a random lease token and
 * an expiry time the worker keeps pushing forward), done or failed. A
 * worker writes the artifact's rows and marks the item done in one
 * transaction that checks the token: a worker whose lease expired (killed,
 * cut off, stuck) and was taken over writes nothing. An expired lease goes
 * back to the queue; a claim counts as an attempt, and an item that has
 * used max_attempts is parked as failed with its error. */

/* One artifact to scan. Strings: read by pl_store_work_add; owned by the
 * item after pl_store_work_claim (pl_work_item_release frees them). */
struct pl_work_item {
	int64_t id;           /* the queue's id (claim) */
	char *key;            /* unique: "sha256:<hex>", else the URL, or "file:<path>" */
	char *ecosystem, *project, *version, *filename; /* as the index names it ("" unknown) */
	char *url;            /* a download, or NULL */
	char *path;           /* a local file (mirror), or NULL; exactly one of url, path */
	char *sha256;         /* hex the download must hash to, or NULL */
	char *integrity;      /* npm: "sha512-<base64>" or a SHA-1 hex, or NULL */
	int64_t size, upload_time; /* -1 unknown */
	int yanked;           /* 1, 0, -1 unknown */
	int priority;         /* higher first; then oldest first */
	int attempts;         /* claims so far, this one included (claim) */
	int64_t lease;        /* the claim's token (claim) */
};
void pl_work_item_release(struct pl_work_item *it);

/* Adds items, all or none; an item whose key is already there is left as
 * it is, unless requeue is set and it is done or failed (a rescan under new
 * rules): then it is queued again with its new priority. *added counts the
 * items new or queued again. */
int pl_store_work_add(struct pl_store *st, const struct pl_work_item *items, size_t n,
		      int requeue, uint64_t *added);

/* Claims the next queued item (highest priority, then oldest; skipping
 * rows other workers hold) for worker, leased for lease_seconds: 1 with
 * *out filled, 0 when nothing is ready. */
int pl_store_work_claim(struct pl_store *st, const char *worker, double lease_seconds,
			struct pl_work_item *out);

/* What became of an item. */
enum pl_work_outcome {
	PL_WORK_LOST = 0, /* the lease was not ours any more: nothing written */
	PL_WORK_DONE,     /* scanned; its artifact is stored */
	PL_WORK_RETRY,    /* failed; queued again after a delay */
	PL_WORK_PARKED,   /* failed max_attempts times: status failed, with its error */
};
const char *pl_work_outcome_name(enum pl_work_outcome o);

/* Marks a leased item done (error NULL) or failed (error set: queued again
 * after retry_delay * 2^(attempts - 1) seconds, or parked once it has had
 * max_attempts), if lease is still its token. Runs in the open transaction
 * when there is one (the artifact's), so the artifact and its item commit
 * together; it locks that one row only. */
int pl_store_work_finish(struct pl_store *st, int64_t id, int64_t lease, const char *error,
			 int max_attempts, double retry_delay, enum pl_work_outcome *out);
/* Gives a leased item back (not counted as an attempt): a worker stopping,
 * or one that lost its store mid-item. 1 when it was given back; 0 when
 * lease is not its token, or a transaction is finishing it right now. */
int pl_store_work_release(struct pl_store *st, int64_t id, int64_t lease, const char *why);
/* Pushes the expiry of the leases given forward to now + lease_seconds. */
int pl_store_work_renew(struct pl_store *st, const int64_t *leases, size_t n,
			double lease_seconds);
/* Expired leases go back to the queue, or are parked when they have had
 * max_attempts; the counts of each. */
int pl_store_work_expire(struct pl_store *st, int max_attempts, uint64_t *requeued,
			 uint64_t *parked);
/* Failed items (ids, or all when n is 0) are queued again with no attempt
 * used; *requeued says how many. */
int pl_store_work_retry(struct pl_store *st, const int64_t *ids, size_t n, uint64_t *requeued);
/* What is left: items queued (ready or waiting for a retry delay) and leased. */
int pl_store_work_left(struct pl_store *st, uint64_t *queued, uint64_t *leased);

/* A parked item. */
struct pl_work_failed {
	int64_t id;
	char *key, *ecosystem, *project, *version, *filename, *error;
	int attempts;
	int64_t finished; /* Unix seconds, -1 unknown */
};
/* The failed items, oldest first (at most max; 0 = all). */
int pl_store_work_failed(struct pl_store *st, size_t max, struct pl_work_failed **out,
			 size_t *n);
void pl_work_failed_free(struct pl_work_failed *f, size_t n);

/* A worker process, as its heartbeats leave it. */
struct pl_worker_info {
	char *id, *host, *state; /* state: running, stopping, stopped */
	int64_t pid;
	unsigned jobs;
	int64_t started, last_seen; /* Unix seconds */
	uint64_t leased;            /* items it holds now */
	uint64_t done, failed;      /* items it finished, attempts that failed (as of its
	                               last beat, since it started) */
	uint64_t recent;            /* items it finished in the status window */
};

/* Records a heartbeat of worker id (host, pid, jobs) in state, with the
 * items it finished and the attempts that failed since it started (first:
 * this is its first beat, which starts its row afresh). Never waits for an
 * item's transaction: the counters are the process's, not written there. */
int pl_store_worker_beat(struct pl_store *st, const char *id, const char *host, int64_t pid,
			 unsigned jobs, const char *state, uint64_t done, uint64_t failed,
			 int first);

struct pl_work_status {
	uint64_t queued;   /* ready or waiting for a retry delay */
	uint64_t waiting;  /* ...of which waiting */
	uint64_t leased;   /* being worked on */
	uint64_t expired;  /* ...of which past their lease (a worker died) */
	uint64_t done, failed;
	double window;     /* seconds the recent counts cover: the window asked for,
	                      or since the first item done in it (at least 60) */
	uint64_t recent;   /* items done in the window */
	int64_t now;       /* the server's clock */
	struct pl_worker_info *workers; /* seen within max_age seconds, newest first */
	size_t nworkers;
};
/* Counts, the rate over the last window seconds, and each worker seen in
 * the last max_age seconds. pl_work_status_release frees it. */
int pl_store_work_status(struct pl_store *st, double window, double max_age,
			 struct pl_work_status *out);
void pl_work_status_release(struct pl_work_status *s);

/* ---- package identity, from the artifact itself ---- */

/* A way to reach a package's owner, as its metadata gives it (disclosure,
 * issue 8). Strings owned, printable (pl_escape), each may be NULL. */
struct pl_contact {
	char *role;  /* author, maintainer, uploader, homepage, repository, bugs,
	                project-url (never NULL) */
	char *name;  /* a person, or a Project-URL's label ("Bug Tracker") */
	char *email;
	char *url;
};

/* Project, version and ecosystem of an artifact: from its metadata files
 * (PKG-INFO, METADATA, package.json, a .deb's control, a gem's metadata),
 * else from its file name (name-1.2.3.tar.gz, name-1.2.3-py3-none-any.whl,
 * name_1.2.3-1_all.deb, name-1.2.3.tgz, name-1.2.3.gem). Strings owned. */
struct pl_package_id {
	char *ecosystem; /* pypi, npm, debian, rubygems, or other */
	char *project;
	char *version;   /* "" when unknown */
	int depth;       /* '/' in the metadata path used; -1 = none used yet */
	/* The owner's contacts from the same metadata file (Author, Maintainer,
	 * *-email, Home-page, Project-URL; package.json author, maintainers,
	 * repository, bugs, homepage; a .deb's Maintainer, Uploaders, Homepage);
	 * at most PL_CONTACTS_MAX. */
	struct pl_contact *contacts;
	size_t ncontacts;
};
#define PL_CONTACTS_MAX 24
#define PL_PACKAGE_ID_INIT {NULL, NULL, NULL, -1, NULL, 0}

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
	/* Disclosure (issue 8; pl_store_disclosure_refresh): new, notified,
	 * rotated or fixed; when the owner was told (-1: not recorded); the
	 * release that dropped it (NULL unless fixed). */
	char *state;
	int64_t notified_at, state_at; /* state_at: when the state last changed */
	char *fixed_version;
	/* Validity over time (issue 6): the secret's first upload anywhere in
	 * the store, and its newest check that said valid (-1: none). "Still
	 * valid after" is the time between the two. */
	int64_t first_seen, last_valid;
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
