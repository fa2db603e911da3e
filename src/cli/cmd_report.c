/* `pkgleaks report`: the study's tables from a findings store. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "pkgleaks/disclose.h"
#include "pkgleaks/error.h"
#include "pkgleaks/store.h"
#include "pkgleaks/study.h"

static const char report_usage[] =
	"usage: pkgleaks report [--db[=PATH|URL]] [options]\n"
	"\n"
	"The study report over everything `pkgleaks scan --db` recorded: unique secrets,\n"
	"occurrences, projects, kinds and validity; per rule; distinct secrets first\n"
	"seen per period (by upload time); where they sit (file extension, path kind);\n"
	"and for each secret the first and last release holding it.\n"
	"\n"
	"  --db[=PATH|URL]       the store: a SQLite file (default pkgleaks.db) or a\n"
	"                        postgresql:// URL\n"
	"  -f, --format FMT      text (default), json or csv\n"
	"  -o, --output FILE     write it to FILE instead of stdout\n"
	"      --html FILE       write a self-contained HTML page with charts to FILE\n"
	"                        (alone, nothing else is printed unless -f is given)\n"
	"      --table NAME      only this table (repeatable): headline, rules, trends,\n"
	"                        extensions, kinds, persistence, artifacts (the artifact\n"
	"                        list is printed only when asked for)\n"
	"      --period P        month (default), quarter or year, for trends\n"
	"      --since DATE      artifacts uploaded from DATE (YYYY, YYYY-MM or YYYY-MM-DD, UTC)\n"
	"      --until DATE      ...up to and including DATE\n"
	"      --ecosystem E     pypi, npm, debian, rubygems or other\n"
	"      --project P       one project (case-insensitive)\n"
	"      --show-secrets    print raw values kept with --store-secrets (needs\n"
	"                        PKGLEAKS_KEY)\n"
	"\n"
	"examples:\n"
	"  pkgleaks report --db=study.db\n"
	"  pkgleaks report --db postgresql://localhost/leaks --period year -f csv > study.csv\n"
	"  pkgleaks report --db=study.db --ecosystem pypi --since 2020 --html study.html\n";

enum { OPT_HTML = 256, OPT_TABLE, OPT_PERIOD, OPT_SINCE, OPT_UNTIL, OPT_ECO, OPT_PROJECT,
       OPT_SHOW, OPT_DB };

static const struct option longopts[] = {
	{"db", optional_argument, NULL, OPT_DB},
	{"format", required_argument, NULL, 'f'},
	{"output", required_argument, NULL, 'o'},
	{"html", required_argument, NULL, OPT_HTML},
	{"table", required_argument, NULL, OPT_TABLE},
	{"period", required_argument, NULL, OPT_PERIOD},
	{"since", required_argument, NULL, OPT_SINCE},
	{"until", required_argument, NULL, OPT_UNTIL},
	{"ecosystem", required_argument, NULL, OPT_ECO},
	{"project", required_argument, NULL, OPT_PROJECT},
	{"show-secrets", no_argument, NULL, OPT_SHOW},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct report_args {
	const char *db, *output, *html;
	enum pl_study_format format;
	int format_given, show_secrets;
	unsigned tables;
	struct pl_stats_filter filter;
};

/* YYYY, YYYY-MM or YYYY-MM-DD (UTC): the start of that year, month or day,
 * or with end set the start of the next one (so --until is inclusive). */
static int parse_date(const char *s, int end, int64_t *out)
{
	int y = 0, m = 1, d = 1, n = 0, len = (int)strlen(s);
	int got = sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n);
	if (got < 3) {
		d = 1;
		got = sscanf(s, "%4d-%2d%n", &y, &m, &n);
		if (got < 2) {
			m = 1;
			got = sscanf(s, "%4d%n", &y, &n);
		}
	}
	if (got < 1 || n != len || y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
	if (end)
		*(got == 3 ? &tm.tm_mday : got == 2 ? &tm.tm_mon : &tm.tm_year) += 1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

static int parse_format(const char *v, struct report_args *a)
{
	static const char *const names[] = {"text", "json", "csv"};
	for (int i = 0; i < 3; i++)
		if (strcmp(v, names[i]) == 0) {
			a->format = (enum pl_study_format)i;
			a->format_given = 1;
			return 0;
		}
	return cli_fail("invalid value '%s' for --format: expected text, json or csv", v);
}

static int parse_period(const char *v, enum pl_period *p)
{
	static const char *const names[] = {"month", "quarter", "year"};
	for (int i = 0; i < 3; i++)
		if (strcmp(v, names[i]) == 0) {
			*p = (enum pl_period)i;
			return 0;
		}
	return cli_fail("invalid value '%s' for --period: expected month, quarter or year", v);
}

static int parse_option(int c, const char *v, struct report_args *a)
{
	int bit;
	switch (c) {
	case 'f':
		return parse_format(v, a);
	case 'o':
		a->output = v;
		return 0;
	case OPT_HTML:
		a->html = v;
		return 0;
	case OPT_TABLE:
		if ((bit = pl_study_table(v)) < 0)
			return cli_fail("unknown table '%s' (headline, rules, trends, extensions, "
					"kinds, persistence, artifacts)", v);
		a->tables |= (unsigned)bit;
		return 0;
	case OPT_PERIOD:
		return parse_period(v, &a->filter.period);
	case OPT_SINCE:
	case OPT_UNTIL:
		if (parse_date(v, c == OPT_UNTIL, c == OPT_SINCE ? &a->filter.since : &a->filter.until))
			return cli_fail("invalid date '%s': expected YYYY, YYYY-MM or YYYY-MM-DD", v);
		return 0;
	case OPT_ECO:
		a->filter.ecosystem = v;
		return 0;
	case OPT_PROJECT:
		a->filter.project = v;
		return 0;
	default: /* OPT_SHOW */
		a->show_secrets = 1;
		return 0;
	}
}

/* Raw values for the persistence rows (NULL where none was kept). */
static char **reveal(struct pl_store *st, const struct pl_stats *s)
{
	char **out = calloc(s->npersist + 1, sizeof(*out));
	if (!out)
		return NULL;
	for (size_t i = 0; i < s->npersist; i++) {
		size_t len;
		if (pl_store_secret_reveal(st, s->persist[i].fingerprint, &out[i], &len) < 0)
			out[i] = NULL;
	}
	return out;
}

static int write_to(const char *path, const struct pl_stats *s, struct pl_study_options *o)
{
	FILE *out = path ? fopen(path, "w") : stdout;
	if (!out)
		return cli_fail("cannot write %s: %s", path, strerror(errno));
	int rc = pl_study_write(s, o, out);
	if (path && fclose(out) != 0)
		rc = -1;
	return rc < 0 ? cli_fail("cannot write the report%s%s", path ? " to " : "",
				 path ? path : "")
		      : 0;
}

static int write_all(struct report_args *a, struct pl_store *st, const struct pl_stats *s,
		     char **revealed)
{
	struct pl_study_options o = {a->format, a->tables, &a->filter, pl_store_display_name(st),
				     pl_store_backend(st), revealed};
	int rc = 0;
	if (a->html) {
		o.format = PL_STUDY_HTML;
		rc = write_to(a->html, s, &o);
		if (rc == 0 && !a->format_given && !a->output)
			fprintf(stderr, "pkgleaks: wrote %s\n", a->html);
		o.format = a->format;
	}
	if (rc == 0 && (!a->html || a->format_given || a->output))
		rc = write_to(a->output, s, &o);
	return rc;
}

static int run_report(struct report_args *a)
{
	const char *key = getenv("PKGLEAKS_KEY");
	struct pl_store *st;
	if (pl_store_open(a->db, PL_STORE_EXISTING, &st) < 0)
		return cli_fail("%s", pl_error_message());
	if (a->show_secrets && pl_store_unlock(st, key) < 0) {
		pl_store_free(st);
		return cli_fail("--show-secrets: %s", pl_error_message());
	}
	/* Disclosure states (persistence table) as of now; a store we may not
	 * write to still gets its report, with the states last computed. */
	struct pl_disclose_filter df = {a->filter.ecosystem, a->filter.project, 0};
	if (pl_store_disclosure_refresh(st, &df, (int64_t)time(NULL)) < 0)
		fprintf(stderr, "pkgleaks: warning: disclosure states not updated: %s\n",
			pl_error_message());
	struct pl_stats s;
	int rc = pl_store_stats(st, &a->filter, (a->tables & PL_STUDY_ARTIFACTS) != 0, &s);
	if (rc < 0) {
		pl_store_free(st);
		return cli_fail("%s", pl_error_message());
	}
	char **revealed = a->show_secrets ? reveal(st, &s) : NULL;
	rc = a->show_secrets && !revealed ? cli_fail("out of memory")
					  : write_all(a, st, &s, revealed);
	for (size_t i = 0; revealed && i < s.npersist; i++)
		free(revealed[i]);
	free(revealed);
	pl_stats_release(&s);
	pl_store_free(st);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	struct report_args a = {.db = CLI_DEFAULT_DB, .filter = {.since = -1, .until = -1}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(report_usage, stdout);
			return PL_EXIT_CLEAN;
		}
		if (c == '?') {
			fputs("try `pkgleaks report --help`\n", stderr);
			return PL_EXIT_ERROR;
		}
		if (c == OPT_DB) {
			a.db = cli_db_value(optarg, argc, argv, &optind);
			continue;
		}
		int rc = parse_option(c, optarg, &a);
		if (rc)
			return rc;
	}
	if (optind < argc)
		return cli_fail("report: unexpected argument '%s' (try `pkgleaks report --help`)",
				argv[optind]);
	if (!a.tables)
		a.tables = PL_STUDY_DEFAULT;
	return run_report(&a);
}
