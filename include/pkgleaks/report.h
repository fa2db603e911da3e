/* Reports: a sink that collects findings and errors, then writes them in one
 * format. Formats are backends behind one table (report/text.c, json.c, ...). */
#ifndef PKGLEAKS_REPORT_H
#define PKGLEAKS_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include "pkgleaks/finding.h"
#include "pkgleaks/scan.h"

enum pl_report_format { PL_FORMAT_TEXT, PL_FORMAT_JSON, PL_FORMAT_JSONL, PL_FORMAT_SARIF };

struct pl_report_options {
	enum pl_report_format format;
	int show_secrets;   /* print full secrets (default: redacted) */
	int color;          /* ANSI colour in text output */
	enum pl_confidence min_confidence;
};

/* Collected results. Findings are sorted by location, then rule, on write. */
struct pl_report {
	struct pl_report_options opt;
	struct pl_finding **findings;
	size_t nfindings, cap_findings;
	/* Per-file errors and warnings, in one array of nerrors entries (all
	 * strings owned, raw as the scan gave them); nwarnings of the entries
	 * have warning set, so nerrors - nwarnings are real errors. */
	struct pl_report_error {
		char *source, *path, *reason;
		int warning;
	} *errors;
	size_t nerrors, cap_errors, nwarnings;
	uint64_t files, bytes;
	double seconds;              /* wall time of the scan, set by the caller */
	const char *ruleset_version; /* borrowed; may be NULL */
};

void pl_report_init(struct pl_report *r, const struct pl_report_options *opt);
void pl_report_release(struct pl_report *r);

/* The sink to pass to pl_scan_run() with the report as its context. */
extern const struct pl_sink_ops pl_report_sink;

/* Drops findings whose fingerprint is in the baseline file (JSON written by
 * pl_report_write_baseline). Returns the number dropped, or negative. */
int pl_report_apply_baseline(struct pl_report *r, const char *path);
int pl_report_write_baseline(const struct pl_report *r, const char *path);

/* Sorts findings and errors, writes them in the chosen format to out, then
 * the summary line to summary (NULL: none). The CLI passes out for text,
 * stderr for machine formats, NULL with --quiet. PL_EIO when writing fails. */
int pl_report_write(struct pl_report *r, FILE *out, FILE *summary);

/* Per-file errors recorded so far, warnings not counted (for exit codes). */
size_t pl_report_error_count(const struct pl_report *r);

/* One format backend. */
struct pl_report_ops {
	const char *name;
	int (*write)(const struct pl_report *r, FILE *out);
};
extern const struct pl_report_ops pl_report_text, pl_report_json, pl_report_jsonl,
	pl_report_sarif;

#endif
