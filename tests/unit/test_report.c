/* Unit tests for the report module: redaction, fingerprints, locations,
 * ordering, the summary line, baselines, and the text/JSON/JSONL/SARIF
 * backends (SARIF checked against the OASIS schema when python3 has
 * jsonschema). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pkgleaks/error.h"
#include "match/inspect.h"
#include "pkgleaks/report.h"
#include "test.h"
#include "util/alloc.h"

static char *refs_a[] = { "https://docs.github.com/en/authentication", NULL };

static struct pl_rule rule_a = {
	.id = "github-pat-classic",
	.name = "GitHub personal access token",
	.confidence = PL_CONF_HIGH,
	.remediation = "Revoke the token at github.com/settings/tokens.",
	.references = refs_a,
};

static struct pl_rule rule_b = {
	.id = "generic-password",
	.name = "Password in code",
	.confidence = PL_CONF_LOW,
};

static struct pl_finding *mk(const struct pl_rule *rule, const char *secret, const char *source,
			     const char *path, uint64_t line, uint64_t col)
{
	struct pl_finding *f = pl_xcalloc(1, sizeof(*f));
	f->rule = rule;
	f->secret = pl_xstrdup(secret);
	f->secret_len = strlen(secret);
	pl_fingerprint(rule->id, f->secret, f->secret_len, f->fingerprint);
	f->source = pl_xstrdup(source);
	f->path = pl_xstrdup(path);
	f->before = pl_xstrdup("token = \"");
	f->after = pl_xstrdup("\"");
	f->positions = pl_xmalloc(sizeof(*f->positions));
	f->positions[0] = (struct pl_position){ line, col };
	f->npositions = 1;
	f->encoding = "";
	f->path_kind = "code";
	return f;
}

/* A finding as inspectors and decoders leave it: details, found inside
 * base64, in a test file. */
static struct pl_finding *mk_inspected(const char *source)
{
	struct pl_finding *f = mk(&rule_a, "pypi-AgEIcHlwaS5vcmcCJDRm", source, "pkg/tests/conf.py", 5, 3);
	pl_finding_add_detail(f, "scope", "projects: requests");
	pl_finding_add_detail(f, "expires", "2026-01-01T00:00:00Z");
	f->encoding = "base64";
	f->path_kind = "test";
	return f;
}

static void add_position(struct pl_finding *f, uint64_t line, uint64_t col)
{
	f->positions = pl_xrealloc(f->positions, (f->npositions + 1) * sizeof(*f->positions));
	f->positions[f->npositions++] = (struct pl_position){ line, col };
}

static char *redact(const char *secret, size_t len, int show)
{
	struct pl_finding f = { .rule = &rule_a, .secret = (char *)secret, .secret_len = len };
	return pl_finding_display_secret(&f, show);
}

#define CHECK_REDACT(secret, len, show, want)           \
	do {                                            \
		char *got_ = redact((secret), (len), (show)); \
		CHECK_STR(got_, (want));                \
		free(got_);                             \
	} while (0)

static void test_redaction(void)
{
	CHECK_REDACT("ghp_0123456789abcdefghijABCDEFGHIJ012345", 40, 0, "ghp_\u2026");
	CHECK_REDACT("\u00e9\u00e9\u6f22\U0001F511abcdefgh", 17, 0, "\u00e9\u00e9\u6f22\U0001F511\u2026");
	/* Invalid bytes are one character each and come out escaped. */
	CHECK_REDACT("\xff\x1b" "abcdefgh", 10, 0, "\\xff\\x1bab\u2026");
	CHECK_REDACT("abc", 3, 0, "a\u2026");
	CHECK_REDACT("ab", 2, 0, "a\u2026");
	CHECK_REDACT("a", 1, 0, "\u2026");
	CHECK_REDACT("", 0, 0, "\u2026");
	CHECK_REDACT("abcdefg", 7, 0, "abc\u2026");
	CHECK_REDACT("abcdefgh", 8, 0, "abcd\u2026");
	CHECK_REDACT("pa\\ss\x01word", 10, 1, "pa\\\\ss\\x01word");
}

static void test_fingerprint(void)
{
	char fp[65];
	/* printf 'rule:secret' | sha256sum */
	pl_fingerprint("rule", "secret", 6, fp);
	CHECK_STR(fp, "49558c5b72eb43b6eebd978d1cf09af657d0b8ce3c302bb4cc0dc031a841f0be");
	/* Only len bytes of the secret count. */
	pl_fingerprint("rule", "secretXYZ", 6, fp);
	CHECK_STR(fp, "49558c5b72eb43b6eebd978d1cf09af657d0b8ce3c302bb4cc0dc031a841f0be");
}

static void test_location(void)
{
	struct pl_finding *f = mk(&rule_a, "x", "dist/foo-1.0.tar.gz", "foo-1.0/x.whl!/x/s.py", 1, 1);
	char *loc = pl_finding_location(f);
	CHECK_STR(loc, "dist/foo-1.0.tar.gz!/foo-1.0/x.whl!/x/s.py");
	free(loc);
	free(f->path);
	f->path = pl_xstrdup("");
	loc = pl_finding_location(f);
	CHECK_STR(loc, "dist/foo-1.0.tar.gz");
	free(loc);
	pl_finding_free(f);
	pl_finding_free(NULL);
}

/* ---- a report with a known shape ---- */

#define SECRET_A "ghp_0123456789abcdefghijABCDEFGHIJ012345"

static void fill(struct pl_report *r)
{
	const struct pl_sink_ops *s = &pl_report_sink;
	struct pl_finding *f = mk(&rule_a, SECRET_A, "b.tar.gz", "pkg/settings.py", 3, 9);
	s->finding(r, f);
	f = mk(&rule_a, SECRET_A, "a.txt", "", 7, 2);
	add_position(f, 9, 4);
	add_position(f, 12, 1);
	s->finding(r, f);
	s->finding(r, mk(&rule_b, "hunter2hunter2", "a.txt", "", 2, 5));
	s->error(r, "c.zip", "", "truncated archive");
	s->warning(r, "d.whl", "", "named .whl but is a tar");
	s->file_done(r, "a.txt", 2000000);
	s->file_done(r, "b.tar.gz", 10345678);
	s->file_done(r, "c.zip", 0);
	r->seconds = 0.4201;
	r->ruleset_version = "abc123";
}

static char *write_report(struct pl_report *r, enum pl_report_format fmt, char **summary)
{
	char *out = NULL, *sum = NULL;
	size_t n = 0, m = 0;
	FILE *fo = open_memstream(&out, &n), *fs = open_memstream(&sum, &m);
	CHECK(fo && fs);
	r->opt.format = fmt;
	CHECK(pl_report_write(r, fo, fs) == 0);
	fclose(fo);
	fclose(fs);
	if (summary)
		*summary = sum;
	else
		free(sum);
	return out;
}

static void test_sink_and_summary(void)
{
	struct pl_report_options opt = { .format = PL_FORMAT_TEXT, .min_confidence = PL_CONF_LOW };
	struct pl_report r;
	pl_report_init(&r, &opt);
	fill(&r);
	CHECK(r.nfindings == 3);
	CHECK(r.nerrors == 2 && r.nwarnings == 1 && pl_report_error_count(&r) == 1);
	CHECK(r.files == 3 && r.bytes == 12345678);
	char *sum = NULL, *out = write_report(&r, PL_FORMAT_JSONL, &sum);
	CHECK_STR(sum, "2 secrets (5 occurrences) in 2 files with findings; 3 files scanned, "
		       "1 error, 12.3 MB in 0.42 s\n");
	free(out);
	free(sum);
	pl_report_release(&r);
}

static void test_summary_singular(void)
{
	struct pl_report r;
	pl_report_init(&r, NULL);
	pl_report_sink.finding(&r, mk(&rule_a, SECRET_A, "a.txt", "", 1, 1));
	pl_report_sink.file_done(&r, "a.txt", 49999);
	char *sum = NULL, *out = write_report(&r, PL_FORMAT_JSON, &sum);
	CHECK_STR(sum, "1 secret (1 occurrence) in 1 file with findings; 1 file scanned, "
		       "0 errors, 0.0 MB in 0.00 s\n");
	free(out);
	free(sum);
	/* Quiet: no summary stream, no summary. */
	r.opt.format = PL_FORMAT_JSONL;
	FILE *devnull = fopen("/dev/null", "w");
	CHECK(devnull && pl_report_write(&r, devnull, NULL) == 0);
	if (devnull)
		fclose(devnull);
	pl_report_release(&r);
}

static void test_min_confidence(void)
{
	struct pl_report_options opt = { .min_confidence = PL_CONF_MEDIUM };
	struct pl_report r;
	pl_report_init(&r, &opt);
	pl_report_sink.finding(&r, mk(&rule_b, "hunter2hunter2", "a.txt", "", 1, 1));
	pl_report_sink.finding(&r, mk(&rule_a, SECRET_A, "a.txt", "", 1, 1));
	CHECK(r.nfindings == 1 && r.findings[0]->rule == &rule_a);
	pl_report_release(&r);
}

static void test_sorting(void)
{
	struct pl_report r;
	pl_report_init(&r, NULL);
	fill(&r);
	char *out = write_report(&r, PL_FORMAT_JSONL, NULL);
	/* a.txt line 2 (rule b), a.txt line 7 (rule a), then b.tar.gz. */
	CHECK(r.findings[0]->rule == &rule_b);
	CHECK(strcmp(r.findings[1]->source, "a.txt") == 0 && r.findings[1]->rule == &rule_a);
	CHECK_STR(r.findings[2]->source, "b.tar.gz");
	CHECK(!r.errors[0].warning && r.errors[1].warning);
	free(out);
	pl_report_release(&r);
}

/* ---- text ---- */

static void test_text(void)
{
	struct pl_report_options opt = { .format = PL_FORMAT_TEXT };
	struct pl_report r;
	pl_report_init(&r, &opt);
	fill(&r);
	pl_report_sink.finding(&r, mk(&rule_a, "ghp_evil", "x\x1b[31m.txt", "", 1, 1));
	pl_report_sink.finding(&r, mk_inspected("c.tar.gz"));
	char *sum = NULL, *out = write_report(&r, PL_FORMAT_TEXT, &sum);
	CHECK(strstr(out, "a.txt\n  2:5  Password in code (generic-password, low)\n") != NULL);
	CHECK(strstr(out, "    token = \"ghp_\u2026\"\n    also at 9:4, 12:1\n") != NULL);
	CHECK(strstr(out, "b.tar.gz!/pkg/settings.py\n  3:9  GitHub personal access token") != NULL);
	CHECK(strstr(out, "    fingerprint ") != NULL);
	CHECK(strstr(out, "errors:\n  c.zip: truncated archive\n") != NULL);
	CHECK(strstr(out, "warnings:\n  d.whl: named .whl but is a tar\n") != NULL);
	CHECK(strstr(out, "x\\x1b[31m.txt") != NULL);
	CHECK(strchr(out, '\033') == NULL);
	CHECK(strstr(out, "hunter2hunter2") == NULL);
	/* Details on one line under the secret; decoded findings say so. */
	CHECK(strstr(out, "c.tar.gz!/pkg/tests/conf.py\n"
			  "  5:3  GitHub personal access token (github-pat-classic, high) (in base64)\n"
			  "    token = \"pypi\u2026\"\n"
			  "    scope=projects: requests, expires=2026-01-01T00:00:00Z\n"
			  "    fingerprint ") != NULL);
	/* Plain findings have neither. */
	CHECK(strstr(out, "(in )") == NULL);
	CHECK(strstr(out, "    token = \"ghp_\u2026\"\n    also at") != NULL);
	/* The caller chooses where the summary goes. */
	CHECK(sum && strncmp(sum, "4 secrets (7 occurrences) in 4 files with findings;", 51) == 0);
	free(sum);
	free(out);
	r.opt.color = 1;
	out = write_report(&r, PL_FORMAT_TEXT, NULL);
	CHECK(strstr(out, "\033[1ma.txt\033[0m\n") != NULL);
	CHECK(strstr(out, "(github-pat-classic, high) (in base64)\033[0m\n") != NULL);
	CHECK(strstr(out, "\033[31mghp_\u2026\033[0m") != NULL);
	free(out);
	pl_report_release(&r);
}

/* ---- JSON and JSONL ---- */

static void check_finding_json(json_t *f)
{
	static const char *keys[] = { "rule",       "name",      "secret",      "fingerprint",
				      "source",     "path",      "line",        "column",
				      "confidence", "locations", "remediation", "path_kind",
				      "encoding",   "details" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK(json_object_get(f, keys[i]) != NULL);
	/* details is always an object of strings; encoding a string or null. */
	json_t *details = json_object_get(f, "details"), *v;
	const char *k;
	CHECK(json_is_object(details));
	json_object_foreach(details, k, v)
		CHECK(json_is_string(v));
	json_t *enc = json_object_get(f, "encoding");
	CHECK(json_is_null(enc) || (json_is_string(enc) && json_string_length(enc) > 0));
	CHECK(json_is_string(json_object_get(f, "path_kind")));
}

static void test_json(void)
{
	struct pl_report r;
	pl_report_init(&r, NULL);
	fill(&r);
	char *out = write_report(&r, PL_FORMAT_JSON, NULL);
	json_error_t err;
	json_t *doc = json_loads(out, 0, &err);
	CHECK(doc != NULL);
	CHECK_STR(json_string_value(json_object_get(doc, "ruleset")), "abc123");
	CHECK(json_is_string(json_object_get(doc, "version")));
	json_t *fs = json_object_get(doc, "findings");
	CHECK(json_array_size(fs) == 3);
	for (size_t i = 0; i < json_array_size(fs); i++)
		check_finding_json(json_array_get(fs, i));
	json_t *f = json_array_get(fs, 1);
	CHECK_STR(json_string_value(json_object_get(f, "secret")), "ghp_\u2026");
	CHECK_STR(json_string_value(json_object_get(f, "confidence")), "high");
	CHECK(json_array_size(json_object_get(f, "locations")) == 3);
	CHECK(json_integer_value(json_object_get(f, "line")) == 7);
	CHECK(json_is_null(json_object_get(json_array_get(fs, 0), "remediation")));
	CHECK(json_object_size(json_object_get(f, "details")) == 0);
	CHECK(json_is_null(json_object_get(f, "encoding")));
	CHECK_STR(json_string_value(json_object_get(f, "path_kind")), "code");
	CHECK(json_array_size(json_object_get(doc, "errors")) == 1);
	CHECK(json_array_size(json_object_get(doc, "warnings")) == 1);
	json_t *sum = json_object_get(doc, "summary");
	CHECK(json_integer_value(json_object_get(sum, "secrets")) == 2);
	CHECK(json_integer_value(json_object_get(sum, "occurrences")) == 5);
	CHECK(json_integer_value(json_object_get(sum, "bytes")) == 12345678);
	json_decref(doc);
	free(out);
	pl_report_release(&r);
}

static void test_jsonl(void)
{
	struct pl_report r;
	pl_report_init(&r, NULL);
	fill(&r);
	/* A member name that is not UTF-8 must still give valid JSON. */
	pl_report_sink.finding(&r, mk(&rule_a, "ghp_x", "z.zip", "bad\xff.py", 1, 1));
	/* So must a detail value that broke the escaping contract. */
	struct pl_finding *g = mk_inspected("y.tar.gz");
	pl_finding_add_detail(g, "raw", "bad\xff\x01");
	pl_report_sink.finding(&r, g);
	char *out = write_report(&r, PL_FORMAT_JSONL, NULL);
	size_t lines = 0, inspected = 0;
	char *save = NULL;
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), lines++) {
		json_t *f = json_loads(line, 0, NULL);
		CHECK(f != NULL);
		check_finding_json(f);
		json_t *d = json_object_get(f, "details");
		if (json_object_size(d)) {
			inspected++;
			CHECK_STR(json_string_value(json_object_get(d, "scope")), "projects: requests");
			CHECK_STR(json_string_value(json_object_get(d, "expires")), "2026-01-01T00:00:00Z");
			CHECK_STR(json_string_value(json_object_get(d, "raw")), "bad\\xff\\x01");
			CHECK_STR(json_string_value(json_object_get(f, "encoding")), "base64");
			CHECK_STR(json_string_value(json_object_get(f, "path_kind")), "test");
		}
		json_decref(f);
	}
	CHECK(lines == 5 && inspected == 1);
	free(out);
	pl_report_release(&r);
}

/* ---- temporary files ---- */

static char tmpdir[] = "/tmp/pl_test_report_XXXXXX";

static char *tmp_path(const char *name)
{
	return pl_xasprintf("%s/%s", tmpdir, name);
}

static char *read_file(const char *path)
{
	char *buf = pl_xcalloc(1, 1 << 16);
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	if (f) {
		size_t n = fread(buf, 1, (1 << 16) - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

/* ---- baselines ---- */

static void check_baseline_error(const char *text, int want)
{
	char *path = tmp_path("bad.json");
	pl_test_write_file(path, text);
	struct pl_report r;
	pl_report_init(&r, NULL);
	int rc = pl_report_apply_baseline(&r, path);
	CHECK(rc == want);
	CHECK(strstr(pl_error_message(), path) != NULL);
	pl_report_release(&r);
	unlink(path);
	free(path);
}

static void test_baseline(void)
{
	char *path = tmp_path("baseline.json");
	struct pl_report r;
	pl_report_init(&r, NULL);
	fill(&r);
	CHECK(pl_report_write_baseline(&r, path) == 0);
	char *text = read_file(path);
	char fa[65], fb[65];
	pl_fingerprint(rule_a.id, SECRET_A, strlen(SECRET_A), fa);
	pl_fingerprint(rule_b.id, "hunter2hunter2", 14, fb);
	/* Sorted and unique: fb < fa here. */
	char *want = pl_xasprintf("{\n  \"pkgleaks_baseline\": 1,\n  \"fingerprints\": [\n"
				  "    \"%s\",\n    \"%s\"\n  ]\n}\n",
				  strcmp(fa, fb) < 0 ? fa : fb, strcmp(fa, fb) < 0 ? fb : fa);
	CHECK_STR(text, want);
	free(want);
	free(text);
	pl_report_release(&r);

	pl_report_init(&r, NULL);
	fill(&r);
	pl_report_sink.finding(&r, mk(&rule_a, "ghp_new_one_here", "e.txt", "", 1, 1));
	CHECK(pl_report_apply_baseline(&r, path) == 3);
	CHECK(r.nfindings == 1 && strcmp(r.findings[0]->source, "e.txt") == 0);
	pl_report_release(&r);
	unlink(path);
	free(path);
}

static void test_baseline_errors(void)
{
	struct pl_report r;
	pl_report_init(&r, NULL);
	CHECK(pl_report_apply_baseline(&r, "/nonexistent/pkgleaks-baseline.json") == PL_ENOTFOUND);
	CHECK(pl_report_apply_baseline(&r, tmpdir) == PL_EIO);
	pl_report_release(&r);
	check_baseline_error("not json", PL_EFORMAT);
	check_baseline_error("[1, 2]", PL_EFORMAT);
	check_baseline_error("{\"pkgleaks_baseline\": 2, \"fingerprints\": []}", PL_EFORMAT);
	check_baseline_error("{\"pkgleaks_baseline\": 1}", PL_EFORMAT);
	check_baseline_error("{\"pkgleaks_baseline\": 1, \"fingerprints\": [\"abc\"]}", PL_EFORMAT);
	check_baseline_error("{\"pkgleaks_baseline\": 1, \"fingerprints\": []}", 0);
}

/* ---- SARIF ---- */

static void check_sarif_shape(const char *text)
{
	json_t *doc = json_loads(text, 0, NULL);
	CHECK(doc != NULL);
	json_t *run = json_array_get(json_object_get(doc, "runs"), 0);
	json_t *rules = json_object_get(json_object_get(json_object_get(run, "tool"), "driver"), "rules");
	CHECK(json_array_size(rules) == 2);
	json_t *results = json_object_get(run, "results");
	CHECK(json_array_size(results) == 5);
	size_t inspected = 0;
	for (size_t i = 0; i < json_array_size(results); i++) {
		json_t *res = json_array_get(results, i);
		json_t *rule = json_array_get(rules, (size_t)json_integer_value(json_object_get(res, "ruleIndex")));
		CHECK_STR(json_string_value(json_object_get(rule, "id")),
			  json_string_value(json_object_get(res, "ruleId")));
		json_t *props = json_object_get(res, "properties");
		CHECK(json_is_object(json_object_get(props, "details")));
		CHECK(json_is_string(json_object_get(props, "pathKind")));
		json_t *enc = json_object_get(props, "encoding");
		if (json_is_string(enc)) {
			inspected++;
			CHECK_STR(json_string_value(enc), "base64");
			CHECK_STR(json_string_value(json_object_get(props, "pathKind")), "test");
			CHECK_STR(json_string_value(json_object_get(json_object_get(props, "details"), "scope")),
				  "projects: requests");
		} else {
			CHECK(json_is_null(enc));
		}
	}
	CHECK(inspected == 1);
	CHECK(strstr(text, "\"uri\": \"my%20dir/caf%C3%A9%3A1.tar.gz\"") != NULL);
	CHECK(strstr(text, "\"fullyQualifiedName\": \"b.tar.gz!/pkg/settings.py\"") != NULL);
	CHECK(strstr(text, "\"pkgleaks/v1\": \"") != NULL);
	CHECK(strstr(text, "\"level\": \"note\"") != NULL);
	json_decref(doc);
}

static void validate_sarif(const char *path)
{
	if (system("python3 -c 'import jsonschema' >/dev/null 2>&1") != 0) {
		fprintf(stderr, "test_report: SKIP SARIF schema validation (python3 jsonschema missing)\n");
		return;
	}
	const char *data = getenv("PL_TEST_DATA");
	char *cmd = pl_xasprintf("$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3) '%s/validate_sarif.py' '%s'", data ? data : "tests/data", path);
	CHECK(system(cmd) == 0);
	free(cmd);
}

static void test_sarif(void)
{
	struct pl_report r;
	pl_report_init(&r, NULL);
	fill(&r);
	pl_report_sink.finding(&r, mk(&rule_a, "ghp_x", "my dir/caf\u00e9:1.tar.gz", "", 4, 0));
	pl_report_sink.finding(&r, mk_inspected("c.tar.gz"));
	char *out = write_report(&r, PL_FORMAT_SARIF, NULL);
	check_sarif_shape(out);
	char *path = tmp_path("report.sarif");
	pl_test_write_file(path, out);
	validate_sarif(path);
	unlink(path);
	free(path);
	free(out);
	pl_report_release(&r);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_redaction();
	test_fingerprint();
	test_location();
	test_sink_and_summary();
	test_summary_singular();
	test_min_confidence();
	test_sorting();
	test_text();
	test_json();
	test_jsonl();
	test_baseline();
	test_baseline_errors();
	test_sarif();
	rmdir(tmpdir);
	TEST_MAIN_END();
}
