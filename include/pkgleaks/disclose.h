/* Disclosure (issue 8): telling owners what leaked from their packages, and
 * following what became of each leak.
 *
 * The store keeps, per secret and project, a disclosure state (table
 * `disclosures`, docs/internals/store.md):
 *   new       found, nobody told yet
 *   notified  the owner was told (pl_store_mark_notified)
 *   rotated   a validation after the last one that said valid (or after the
 *             notice) says invalid: the issuer no longer accepts it
 *   fixed     a later release of the project no longer holds it
 * The furthest one reached is the state (fixed > rotated > notified > new);
 * every time stays recorded. Rotated and fixed are computed from what the
 * store holds by pl_store_disclosure_refresh: when an artifact of the
 * project is written, and before a report.
 *
 * Reports (src/report/disclose.c) are one per project, in Markdown and JSON
 * (docs/disclosure.md); secrets in them are always the redacted forms. */
#ifndef PKGLEAKS_DISCLOSE_H
#define PKGLEAKS_DISCLOSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pkgleaks/rules.h"
#include "pkgleaks/store.h"

/* Most locations kept per secret and project (the total is still counted). */
#define PL_DISCLOSE_MAX_LOCATIONS 100

/* Which secrets; NULL means any. project is compared case-insensitively. */
struct pl_disclose_filter {
	const char *ecosystem;
	const char *project;
	int only_valid; /* only secrets an issuer accepted at least once */
};

/* ---- state in the store (src/store/disclose.c) ---- */

/* Brings the disclosure rows of the projects the filter selects (only_valid
 * is ignored) up to date at time now (Unix seconds): a row for every secret
 * found in each, rotated and fixed recomputed, the state set. In the open
 * transaction if there is one, else in its own. */
int pl_store_disclosure_refresh(struct pl_store *st, const struct pl_disclose_filter *f,
				int64_t now);

/* Records that owners were told, at time at: the secrets whose fingerprints
 * (or unique prefixes of 8 hex digits or more) are given, in the projects
 * the filter selects; or, with n == 0, every secret the filter selects
 * (f->project must then be set). The first notice is kept. *marked counts
 * rows newly notified, *already those notified before. PL_ENOTFOUND for a
 * fingerprint not stored, PL_EINVAL for an ambiguous or malformed one. */
int pl_store_mark_notified(struct pl_store *st, const struct pl_disclose_filter *f,
			   const char *const *fingerprints, size_t n, int64_t at, uint64_t *marked,
			   uint64_t *already);

/* One place a secret sits: a file inside a release's artifact. */
struct pl_disclose_location {
	char *version, *filename; /* the release and its artifact file */
	char *path;               /* inside the artifact ("" for a plain file) */
	int64_t line, column;
};

/* A contact of the project and the newest release whose metadata gave it. */
struct pl_disclose_contact {
	struct pl_contact c;
	char *version;
};

/* One secret in one project. Strings owned; times Unix seconds, -1 unknown. */
struct pl_disclose_secret {
	char *fingerprint, *rule;
	char *redacted;                      /* the only form ever written */
	char *first_version, *last_version;  /* first and last release holding it */
	int64_t first_time, last_time;       /* their upload times */
	int in_newest;                       /* the project's newest release holds it */
	char **releases;                     /* every release holding it, oldest first */
	size_t nreleases;
	char *validation;                    /* latest check: valid, invalid, unknown,
	                                        or "unchecked" */
	int64_t checked_at;                  /* of the latest check */
	char *validation_detail;             /* what the issuer said (may be NULL) */
	int64_t valid_at;                    /* the last check that said valid */
	char *state;                         /* new, notified, rotated, fixed */
	int64_t notified_at, rotated_at, fixed_at, state_at;
	char *fixed_version;                 /* the release that dropped it (fixed) */
	struct pl_disclose_location *locations; /* at most PL_DISCLOSE_MAX_LOCATIONS */
	size_t nlocations;
	uint64_t locations_total;
};

struct pl_disclose_project {
	char *ecosystem, *project;
	char *newest_version;
	int64_t newest_time;
	struct pl_disclose_contact *contacts; /* newest release's first, deduplicated */
	size_t ncontacts;
	struct pl_disclose_secret *secrets;   /* by rule, then fingerprint */
	size_t nsecrets;
};

struct pl_disclosure {
	struct pl_disclose_project *projects; /* by ecosystem, then project */
	size_t nprojects;
	/* Over the projects the filter selects, only_valid aside: distinct
	 * secrets, those checked at least once, those found valid at least once. */
	uint64_t secrets, checked, valid;
};

/* Reads what reports need (call pl_store_disclosure_refresh first for
 * current states). pl_disclosure_release frees it. */
int pl_store_disclosure(struct pl_store *st, const struct pl_disclose_filter *f,
			struct pl_disclosure *out);
void pl_disclosure_release(struct pl_disclosure *d);

/* ---- reports (src/report/disclose.c) ---- */

struct pl_disclose_report_options {
	const struct pl_ruleset *rules; /* remediation and references by rule id */
	int64_t generated_at;
	int only_valid;                 /* what was selected (said in the report) */
};

/* The report of one project; PL_EIO when writing fails. */
int pl_disclose_write_markdown(const struct pl_disclose_project *p,
			       const struct pl_disclose_report_options *o, FILE *out);
int pl_disclose_write_json(const struct pl_disclose_project *p,
			   const struct pl_disclose_report_options *o, FILE *out);
/* The index of a run: each owner and their projects, with the file names. */
int pl_disclose_write_index_markdown(const struct pl_disclosure *d,
				     const struct pl_disclose_report_options *o, FILE *out);
int pl_disclose_write_index_json(const struct pl_disclosure *d,
				 const struct pl_disclose_report_options *o, FILE *out);

/* A file name for the project's reports, without extension: "pypi-acme";
 * a name with characters outside [A-Za-z0-9._-] has them replaced by '_'
 * and a short hash of the real name appended, so names never collide and
 * never leave the directory. Caller frees. */
char *pl_disclose_file_stem(const struct pl_disclose_project *p);

/* Who a project is addressed to: the first maintainer's e-mail, else the
 * first author's or uploader's, else the bugs e-mail, else a person's name;
 * NULL when metadata named nobody. Borrowed from p. */
const char *pl_disclose_owner(const struct pl_disclose_project *p);

#endif
