/* `pkgleaks disclose`: one report per project for its owners, from a
 * findings store, and the record of who was told (issue 8). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "pkgleaks/disclose.h"
#include "pkgleaks/error.h"
#include "pkgleaks/rules.h"
#include "pkgleaks/store.h"

#define DEFAULT_OUT "disclosures"

static const char disclose_usage[] =
	"usage: pkgleaks disclose [--db[=PATH|URL]] [--out DIR] [--only-valid | --all]\n"
	"                         [--ecosystem E] [--project P]\n"
	"       pkgleaks disclose [--db[=PATH|URL]] --mark-notified FINGERPRINT...\n"
	"       pkgleaks disclose [--db[=PATH|URL]] --mark-notified --project P [--all]\n"
	"\n"
	"Writes one report per project for its owners, from what `pkgleaks scan --db`\n"
	"recorded: what leaked (rule, redacted secret, fingerprint), where (files,\n"
	"releases, first and last seen, whether the newest release still has it),\n"
	"whether it was valid when checked, and what to do; with the contacts the\n"
	"package metadata gives. Markdown and JSON, plus index.md / index.json by owner.\n"
	"Secrets are always redacted.\n"
	"\n"
	"  --db[=PATH|URL]     the store: a SQLite file (default pkgleaks.db) or a\n"
	"                      postgresql:// URL\n"
	"  -o, --out DIR       where reports go (default disclosures/; created)\n"
	"      --only-valid    only secrets their issuer accepted at least once (default;\n"
	"                      `pkgleaks scan --validate --db` checks them)\n"
	"      --all           every secret found\n"
	"      --ecosystem E   pypi, npm, debian, rubygems or other\n"
	"      --project P     one project (case-insensitive)\n"
	"      --mark-notified record that the owners were told, now: the secrets named\n"
	"                      by fingerprint (or a unique prefix of 8+ hex digits), or\n"
	"                      every secret --project P reports (with --only-valid or --all)\n"
	"\n"
	"Each secret's disclosure state: new, notified, rotated (a check after the last\n"
	"valid one, or after the notice, says invalid), fixed (a later release no longer\n"
	"holds it). `pkgleaks report` shows it in its persistence table.\n"
	"\n"
	"examples:\n"
	"  pkgleaks scan --validate --db=study.db mirror/\n"
	"  pkgleaks disclose --db=study.db --out reports/\n"
	"  pkgleaks disclose --db=study.db --mark-notified --project acme\n";

enum { OPT_DB = 256, OPT_ALL, OPT_ONLY_VALID, OPT_ECO, OPT_PROJECT, OPT_MARK };

static const struct option longopts[] = {
	{"db", optional_argument, NULL, OPT_DB},
	{"out", required_argument, NULL, 'o'},
	{"all", no_argument, NULL, OPT_ALL},
	{"only-valid", no_argument, NULL, OPT_ONLY_VALID},
	{"ecosystem", required_argument, NULL, OPT_ECO},
	{"project", required_argument, NULL, OPT_PROJECT},
	{"mark-notified", no_argument, NULL, OPT_MARK},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct disclose_args {
	const char *db, *out;
	struct pl_disclose_filter filter;
	int mark, all_given, only_valid_given;
	char **fingerprints;
	size_t nfingerprints;
};

/* mkdir -p */
static int make_dirs(const char *dir)
{
	size_t n = strlen(dir);
	char *p = malloc(n + 1);
	if (!p)
		return cli_fail("out of memory");
	memcpy(p, dir, n + 1);
	int rc = 0;
	for (size_t i = 1; rc == 0 && i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			rc = cli_fail("cannot create %s: %s", p, strerror(errno));
		p[i] = c;
	}
	free(p);
	struct stat sb;
	if (rc == 0 && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
		rc = cli_fail("%s is not a directory", dir);
	return rc;
}

typedef int (*write_fn)(const void *what, const struct pl_disclose_report_options *o, FILE *out);

static int w_md(const void *p, const struct pl_disclose_report_options *o, FILE *out)
{
	return pl_disclose_write_markdown(p, o, out);
}
static int w_json(const void *p, const struct pl_disclose_report_options *o, FILE *out)
{
	return pl_disclose_write_json(p, o, out);
}
static int w_index_md(const void *d, const struct pl_disclose_report_options *o, FILE *out)
{
	return pl_disclose_write_index_markdown(d, o, out);
}
static int w_index_json(const void *d, const struct pl_disclose_report_options *o, FILE *out)
{
	return pl_disclose_write_index_json(d, o, out);
}

/* Writes DIR/NAME.EXT whole or not at all (a temporary file renamed). */
static int write_file(const char *dir, const char *name, const char *ext, write_fn fn,
		      const void *what, const struct pl_disclose_report_options *o)
{
	size_t n = strlen(dir) + strlen(name) + strlen(ext) + 16;
	char *path = malloc(n), *tmp = malloc(n);
	if (!path || !tmp) {
		free(path);
		free(tmp);
		return cli_fail("out of memory");
	}
	snprintf(path, n, "%s/%s.%s", dir, name, ext);
	snprintf(tmp, n, "%s/.%s.%s.tmp", dir, name, ext);
	int rc = 0;
	FILE *out = fopen(tmp, "w");
	if (!out) {
		rc = cli_fail("cannot write %s: %s", tmp, strerror(errno));
	} else {
		int wrc = fn(what, o, out);
		if (fclose(out) != 0 || wrc < 0)
			rc = cli_fail("cannot write %s", tmp);
		else if (rename(tmp, path) != 0)
			rc = cli_fail("cannot rename %s to %s: %s", tmp, path, strerror(errno));
		if (rc)
			remove(tmp);
	}
	free(path);
	free(tmp);
	return rc;
}

static int write_reports(const struct disclose_args *a, const struct pl_disclosure *d,
			 const struct pl_ruleset *rs)
{
	struct pl_disclose_report_options o = {rs, (int64_t)time(NULL), a->filter.only_valid};
	int rc = make_dirs(a->out);
	size_t secrets = 0;
	for (size_t i = 0; rc == 0 && i < d->nprojects; i++) {
		const struct pl_disclose_project *p = &d->projects[i];
		char *stem = pl_disclose_file_stem(p);
		rc = write_file(a->out, stem, "md", w_md, p, &o);
		if (rc == 0)
			rc = write_file(a->out, stem, "json", w_json, p, &o);
		if (rc == 0) {
			const char *owner = pl_disclose_owner(p);
			printf("%s/%s: %zu secret%s, to %s: %s/%s.md\n", p->ecosystem, p->project,
			       p->nsecrets, p->nsecrets == 1 ? "" : "s",
			       owner ? owner : "(no contact in the metadata)", a->out, stem);
		}
		secrets += p->nsecrets;
		free(stem);
	}
	if (rc == 0)
		rc = write_file(a->out, "index", "md", w_index_md, d, &o);
	if (rc == 0)
		rc = write_file(a->out, "index", "json", w_index_json, d, &o);
	if (rc == 0)
		fprintf(stderr,
			"pkgleaks: wrote %zu report%s (%zu secret%s) to %s; index.md lists them by"
			" owner. Once owners are told: pkgleaks disclose --mark-notified --project P\n",
			d->nprojects, d->nprojects == 1 ? "" : "s", secrets, secrets == 1 ? "" : "s",
			a->out);
	return rc;
}

/* Nothing to report: say why, and what would give something. */
static void explain_nothing(const struct disclose_args *a, const struct pl_disclosure *d)
{
	const char *where = a->filter.project ? " in that project" : " in the store";
	if (d->secrets == 0) {
		fprintf(stderr, "pkgleaks: no secret%s: nothing written\n", where);
	} else if (d->checked == 0) {
		fprintf(stderr,
			"pkgleaks: none of the %llu secret%s%s has been validated, and --only-valid"
			" (the default) reports only secrets found valid: nothing written.\n"
			"  Check them with their issuers: pkgleaks scan --validate --db=%s FILES...\n"
			"  or report every secret: pkgleaks disclose --all --db=%s\n",
			(unsigned long long)d->secrets, d->secrets == 1 ? "" : "s", where, a->db,
			a->db);
	} else {
		fprintf(stderr,
			"pkgleaks: none of the %llu secret%s%s was found valid (%llu checked):"
			" nothing written.\n  Report every secret: pkgleaks disclose --all --db=%s\n",
			(unsigned long long)d->secrets, d->secrets == 1 ? "" : "s", where,
			(unsigned long long)d->checked, a->db);
	}
}

static int run_disclose(const struct disclose_args *a, struct pl_store *st)
{
	struct pl_ruleset *rs = pl_ruleset_new();
	if (pl_ruleset_add_builtin(rs) < 0) {
		pl_ruleset_free(rs);
		return cli_fail("built-in rules: %s", pl_error_message());
	}
	int rc = 0;
	if (pl_store_disclosure_refresh(st, &a->filter, (int64_t)time(NULL)) < 0)
		fprintf(stderr, "pkgleaks: warning: disclosure states not updated: %s\n",
			pl_error_message());
	struct pl_disclosure d;
	if (pl_store_disclosure(st, &a->filter, &d) < 0) {
		rc = cli_fail("%s", pl_error_message());
	} else {
		if (d.nprojects == 0)
			explain_nothing(a, &d);
		else
			rc = write_reports(a, &d, rs);
		pl_disclosure_release(&d);
	}
	pl_ruleset_free(rs);
	return rc;
}

static int run_mark(const struct disclose_args *a, struct pl_store *st)
{
	uint64_t marked = 0, already = 0;
	if (pl_store_mark_notified(st, &a->filter, (const char *const *)a->fingerprints,
				   a->nfingerprints, (int64_t)time(NULL), &marked, &already) < 0)
		return cli_fail("%s", pl_error_message());
	if (marked + already == 0) {
		fprintf(stderr, "pkgleaks: nothing to mark in project %s%s\n", a->filter.project,
			a->filter.only_valid ? " (--only-valid, the default, marks only secrets"
					       " found valid; --all marks every one)"
					     : "");
		return 0;
	}
	printf("marked %llu secret%s as notified", (unsigned long long)marked,
	       marked == 1 ? "" : "s");
	if (already)
		printf(" (%llu already %s)", (unsigned long long)already,
		       already == 1 ? "was" : "were");
	putchar('\n');
	return 0;
}

static int parse(int argc, char **argv, struct disclose_args *a)
{
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(disclose_usage, stdout);
			return -1;
		case OPT_DB:
			a->db = cli_db_value(optarg, argc, argv, &optind);
			break;
		case 'o':
			a->out = optarg;
			break;
		case OPT_ALL:
			a->all_given = 1;
			a->filter.only_valid = 0;
			break;
		case OPT_ONLY_VALID:
			a->only_valid_given = 1;
			a->filter.only_valid = 1;
			break;
		case OPT_ECO:
			a->filter.ecosystem = optarg;
			break;
		case OPT_PROJECT:
			a->filter.project = optarg;
			break;
		case OPT_MARK:
			a->mark = 1;
			break;
		default:
			fputs("try `pkgleaks disclose --help`\n", stderr);
			return PL_EXIT_ERROR;
		}
	}
	if (a->all_given && a->only_valid_given)
		return cli_fail("--all and --only-valid contradict each other");
	a->fingerprints = argv + optind;
	a->nfingerprints = (size_t)(argc - optind);
	if (a->nfingerprints && !a->mark)
		return cli_fail("disclose: unexpected argument '%s' (fingerprints go with"
				" --mark-notified; try `pkgleaks disclose --help`)", argv[optind]);
	if (a->mark && !a->nfingerprints && !a->filter.project)
		return cli_fail("--mark-notified needs the fingerprints of the secrets the owners"
				" were told about, or --project P");
	return 0;
}

int cmd_disclose(int argc, char **argv)
{
	struct disclose_args a = {.db = CLI_DEFAULT_DB, .out = DEFAULT_OUT,
				  .filter = {NULL, NULL, 1}};
	int rc = parse(argc, argv, &a);
	if (rc)
		return rc < 0 ? PL_EXIT_CLEAN : rc;
	struct pl_store *st;
	if (pl_store_open(a.db, PL_STORE_EXISTING, &st) < 0)
		return cli_fail("%s", pl_error_message());
	rc = a.mark ? run_mark(&a, st) : run_disclose(&a, st);
	pl_store_free(st);
	return rc;
}
