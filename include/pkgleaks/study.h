/* The study report: the figures a store computed (pl_store_stats) written as
 * text, JSON, CSV, or one self-contained HTML page with its charts drawn as
 * inline SVG. Formatting only: every number comes from the store. */
#ifndef PKGLEAKS_STUDY_H
#define PKGLEAKS_STUDY_H

#include <stdio.h>

#include "pkgleaks/store.h"

enum pl_study_format { PL_STUDY_TEXT = 0, PL_STUDY_JSON, PL_STUDY_CSV, PL_STUDY_HTML };

/* Tables, as bits; PL_STUDY_DEFAULT is every one but the artifact list. */
enum {
	PL_STUDY_HEADLINE = 1 << 0,
	PL_STUDY_RULES = 1 << 1,
	PL_STUDY_TRENDS = 1 << 2,
	PL_STUDY_EXTENSIONS = 1 << 3,
	PL_STUDY_KINDS = 1 << 4,
	PL_STUDY_PERSISTENCE = 1 << 5,
	PL_STUDY_ARTIFACTS = 1 << 6,
	PL_STUDY_DEFAULT = (1 << 6) - 1,
};

struct pl_study_options {
	enum pl_study_format format;
	unsigned tables;                     /* PL_STUDY_* bits */
	const struct pl_stats_filter *filter; /* what was selected (for the heading) */
	const char *store_name;              /* pl_store_display_name */
	const char *backend;                 /* pl_store_backend */
	/* Raw secrets to print, parallel to stats->persist (entries may be NULL),
	 * or NULL to print the redacted forms. Raw values are escaped on output. */
	char *const *revealed;
};

/* Writes the report; PL_EIO when writing fails. */
int pl_study_write(const struct pl_stats *s, const struct pl_study_options *o, FILE *out);

/* "rules" -> PL_STUDY_RULES; -1 for an unknown name. Names: headline, rules,
 * trends, extensions, kinds, persistence, artifacts. */
int pl_study_table(const char *name);

#endif
