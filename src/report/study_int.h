/* Shared by the study report's writers (study.c, study_html.c). */
#ifndef PL_REPORT_STUDY_INT_H
#define PL_REPORT_STUDY_INT_H

#include <stdint.h>
#include <stdio.h>

#include "pkgleaks/study.h"

/* The HTML page: tables and inline SVG charts, nothing fetched at view time. */
int pl_study_html(const struct pl_stats *s, const struct pl_study_options *o, FILE *out);

/* "2021-03-05" (UTC), or "unknown" for a negative time. */
void pl_study_date(int64_t t, char out[32]);

/* The secret to print for persistence row i: the revealed raw value
 * (escaped, in *owned, which the caller frees) or the redacted form. */
const char *pl_study_secret(const struct pl_stats *s, const struct pl_study_options *o, size_t i,
			    char **owned);

/* The disclosure state of a persistence row as shown: "new", "notified",
 * "rotated", "fixed", with " after notice" when it was rotated or fixed
 * after the owner was told. Static text. */
const char *pl_study_state(const struct pl_stats_persist *p);

/* How long after it was first seen the secret was last found valid
 * ("7.2 years", "45 days", "5 hours") into out; 0, or -1 with out = "-"
 * when it never was (or either time is unknown). */
int pl_study_valid_after(const struct pl_stats_persist *p, char out[32]);

#endif
