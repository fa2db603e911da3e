/* `pkgleaks rules list|check`. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char rules_usage[] =
	"usage: pkgleaks rules list [--format text|json] [--rules FILE]...\n"
	"       pkgleaks rules check [--rules FILE]...\n"
	"\n"
	"list   prints every rule: id, confidence, name (json adds the pattern,\n"
	"       keywords, references and remediation).\n"
	"check  runs each rule's examples and negative examples through the real\n"
	"       engine (Hyperscan prefilter, PCRE2 confirmation, filters) and exits\n"
	"       1 if any example is missed or any negative example matches.\n"
	"--rules FILE adds the rules of a YAML file (see docs/rules.md).\n";

static json_t *strv_json(char **v)
{
	json_t *a = json_array();
	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static void list_text(const struct pl_ruleset *rs)
{
	for (size_t i = 0; i < pl_ruleset_count(rs); i++) {
		const struct pl_rule *r = pl_ruleset_get(rs, i);
		printf("%-40s %-6s  %s\n", r->id, pl_confidence_name(r->confidence), r->name);
	}
	printf("%zu rules (ruleset %s)\n", pl_ruleset_count(rs), pl_ruleset_version(rs));
}

static int list_json(const struct pl_ruleset *rs)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < pl_ruleset_count(rs); i++) {
		const struct pl_rule *r = pl_ruleset_get(rs, i);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:f, s:o, s:o}", "id", r->id, "name",
				      r->name, "pattern", r->pattern ? r->pattern : "", "confidence",
				      pl_confidence_name(r->confidence), "min_entropy", r->min_entropy,
				      "keywords", strv_json(r->keywords), "references",
				      strv_json(r->references));
		if (!o)
			continue;
		json_object_set_new(o, "remediation",
				    r->remediation ? json_string(r->remediation) : json_null());
		json_object_set_new(o, "origin", json_string(r->origin));
		json_array_append_new(arr, o);
	}
	int rc = json_dumpf(arr, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(arr);
	return rc == 0 ? PL_EXIT_CLEAN : cli_fail("cannot write JSON");
}

int cmd_rules(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(rules_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? PL_EXIT_ERROR : PL_EXIT_CLEAN;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "list") != 0 && strcmp(sub, "check") != 0)
		return cli_fail("unknown rules command '%s' (list or check)", sub);
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"rules", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char *extra[64];
	int nextra = 0, json = 0, c;
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "json") && strcmp(optarg, "text"))
				return cli_fail("--format must be text or json");
			json = !strcmp(optarg, "json");
			break;
		case 'r':
			if (nextra == 64)
				return cli_fail("too many --rules files (64 at most)");
			extra[nextra++] = optarg;
			break;
		case 'h':
			fputs(rules_usage, stdout);
			return PL_EXIT_CLEAN;
		default:
			fputs(rules_usage, stderr);
			return PL_EXIT_ERROR;
		}
	}
	struct pl_ruleset *rs = cli_load_rules(extra, nextra);
	if (!rs)
		return PL_EXIT_ERROR;
	int rc;
	if (strcmp(sub, "list") == 0) {
		if (json)
			rc = list_json(rs);
		else {
			list_text(rs);
			rc = PL_EXIT_CLEAN;
		}
	} else {
		int failures = pl_ruleset_check(rs, stdout);
		printf("%zu rules checked, %d failure%s\n", pl_ruleset_count(rs), failures,
		       failures == 1 ? "" : "s");
		rc = failures ? PL_EXIT_FOUND : PL_EXIT_CLEAN;
	}
	pl_ruleset_free(rs);
	return rc;
}
