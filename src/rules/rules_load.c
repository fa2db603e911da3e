/* Loading rule files: YAML (libyaml's document API) into struct pl_rule. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "pkgleaks/error.h"
#include "match/inspect.h"
#include "rules/builtin.h"
#include "rules/rules_int.h"
#include "rules/rules_validator.h"
#include "util/alloc.h"
#include "util/buf.h"

/* Rule files are small; anything bigger is a mistake or an attack. */
#define PL_RULE_FILE_MAX (16 * 1024 * 1024)

struct pl_ruleset *pl_ruleset_new(void)
{
	struct pl_ruleset *rs = pl_xcalloc(1, sizeof(struct pl_ruleset));
	pthread_mutex_init(&rs->jit_lock, NULL);
	return rs;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void pl_rule_free(struct pl_rule *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->name);
	free(r->pattern);
	free(r->remediation);
	free(r->inspect);
	free(r->prefilter_pattern);
	pl_rule_validator_free(r->validator);
	free(r->origin);
	free_strv(r->keywords);
	free_strv(r->parts);
	free_strv(r->references);
	free_strv(r->examples);
	free_strv(r->example_secrets);
	free_strv(r->negative_examples);
	free(r);
}

void pl_ruleset_free(struct pl_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		if (rs->progs) {
			pcre2_code_free(rs->progs[i].re);
			pcre2_code_free(rs->progs[i].jit);
		}
		pl_rule_free(rs->rules[i]);
	}
	free(rs->progs);
	free(rs->rules);
	hs_free_scratch(rs->scratch);
	hs_free_database(rs->db);
	pthread_mutex_destroy(&rs->jit_lock);
	free(rs);
}

size_t pl_ruleset_count(const struct pl_ruleset *rs)
{
	return rs->n;
}

const struct pl_rule *pl_ruleset_get(const struct pl_ruleset *rs, size_t i)
{
	return i < rs->n ? rs->rules[i] : NULL;
}

const struct pl_rule *pl_ruleset_find(const struct pl_ruleset *rs, const char *id)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i]->id, id) == 0)
			return rs->rules[i];
	return NULL;
}

const char *pl_ruleset_version(const struct pl_ruleset *rs)
{
	return rs->version;
}

const char *pl_confidence_name(enum pl_confidence c)
{
	switch (c) {
	case PL_CONF_HIGH:
		return "high";
	case PL_CONF_MEDIUM:
		return "medium";
	default:
		return "low";
	}
}

/* ---- YAML tree helpers ---- */

struct loader {
	yaml_document_t *doc;
	const char *origin;
};

static const char *scalar(struct loader *l, yaml_node_t *n)
{
	(void)l;
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int where(struct loader *l, yaml_node_t *n, const char *rule_id, const char *fmt,
		 const char *what)
{
	return pl_error_set(PL_EFORMAT, "%s:%lu: rule %s: %s%s", l->origin,
			    n ? (unsigned long)n->start_mark.line + 1 : 0UL,
			    rule_id ? rule_id : "(no id)", fmt, what ? what : "");
}

/* A scalar or a sequence of scalars into a NULL-terminated string vector. */
static int load_strv(struct loader *l, yaml_node_t *n, const char *id, char ***out)
{
	size_t count = 0;
	char **v;
	if (n->type == YAML_SCALAR_NODE) {
		v = pl_xcalloc(2, sizeof(char *));
		v[0] = pl_xstrdup(scalar(l, n));
	} else if (n->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it = n->data.sequence.items.start;
		size_t total = (size_t)(n->data.sequence.items.top - it);
		v = pl_xcalloc(total + 1, sizeof(char *));
		for (; it < n->data.sequence.items.top; it++) {
			const char *s = scalar(l, yaml_document_get_node(l->doc, *it));
			if (!s) {
				free_strv(v);
				return where(l, n, id, "expected a list of strings", NULL);
			}
			v[count++] = pl_xstrdup(s);
		}
	} else {
		return where(l, n, id, "expected a string or a list of strings", NULL);
	}
	free_strv(*out);
	*out = v;
	return 0;
}

/* Examples are strings or {text, secret} mappings. */
static int load_examples(struct loader *l, yaml_node_t *n, struct pl_rule *r)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return where(l, n, r->id, "examples must be a list", NULL);
	yaml_node_item_t *it = n->data.sequence.items.start;
	size_t total = (size_t)(n->data.sequence.items.top - it), k = 0;
	char **text = pl_xcalloc(total + 1, sizeof(char *));
	char **secret = pl_xcalloc(total + 1, sizeof(char *));
	for (; it < n->data.sequence.items.top; it++, k++) {
		yaml_node_t *e = yaml_document_get_node(l->doc, *it);
		const char *t = scalar(l, e), *s = "";
		if (e && e->type == YAML_MAPPING_NODE) {
			for (yaml_node_pair_t *p = e->data.mapping.pairs.start;
			     p < e->data.mapping.pairs.top; p++) {
				const char *key = scalar(l, yaml_document_get_node(l->doc, p->key));
				const char *val = scalar(l, yaml_document_get_node(l->doc, p->value));
				if (key && val && strcmp(key, "text") == 0)
					t = val;
				else if (key && val && strcmp(key, "secret") == 0)
					s = val;
			}
		}
		if (!t) {
			free_strv(text);
			free_strv(secret);
			return where(l, e, r->id, "an example must be a string or {text, secret}", NULL);
		}
		text[k] = pl_xstrdup(t);
		secret[k] = pl_xstrdup(s);
	}
	free_strv(r->examples);
	free_strv(r->example_secrets);
	r->examples = text;
	r->example_secrets = secret;
	return 0;
}

static int parse_enum(const char *s, const char *const *names, int count)
{
	for (int i = 0; i < count; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int load_field(struct loader *l, struct pl_rule *r, const char *key, yaml_node_t *v)
{
	static const char *const conf[] = {"low", "medium", "high"};
	static const char *const sums[] = {"none", "github-crc32", "atlassian-crc32"};
	const char *s = scalar(l, v);
	char **dst = NULL;
	if (strcmp(key, "id") == 0)
		dst = &r->id;
	else if (strcmp(key, "name") == 0)
		dst = &r->name;
	else if (strcmp(key, "pattern") == 0)
		dst = &r->pattern;
	else if (strcmp(key, "remediation") == 0)
		dst = &r->remediation;
	else if (strcmp(key, "inspect") == 0)
		dst = &r->inspect;
	else if (strcmp(key, "prefilter_pattern") == 0)
		dst = &r->prefilter_pattern;
	if (dst) {
		if (!s)
			return where(l, v, r->id, key, " must be a string");
		free(*dst);
		*dst = pl_xstrdup(s);
		return 0;
	}
	if (strcmp(key, "keywords") == 0)
		return load_strv(l, v, r->id, &r->keywords);
	if (strcmp(key, "parts") == 0) {
		int rc = load_strv(l, v, r->id, &r->parts);
		if (rc == 0 && (!r->parts[0] || !r->parts[1] || r->parts[2]))
			return where(l, v, r->id, "parts must name exactly two rules", NULL);
		return rc;
	}
	if (strcmp(key, "prefilter") == 0) {
		if (!s || (strcmp(s, "keywords") && strcmp(s, "pattern")))
			return where(l, v, r->id, "prefilter must be keywords or pattern", NULL);
		r->by_keyword = strcmp(s, "keywords") == 0;
		return 0;
	}
	if (strcmp(key, "window") == 0) {
		char *end;
		unsigned long w = s ? strtoul(s, &end, 10) : 0;
		if (!s || *end || w == 0 || w > PL_RULE_MAX_WINDOW)
			return where(l, v, r->id, "window must be a number of bytes from 1 to 65536",
				     NULL);
		r->window = (unsigned)w;
		return 0;
	}
	if (strcmp(key, "distance") == 0) {
		char *end;
		unsigned long d = s ? strtoul(s, &end, 10) : 0;
		if (!s || *end || d == 0 || d > 65536)
			return where(l, v, r->id, "distance must be a number of bytes from 1 to 65536",
				     NULL);
		r->distance = (unsigned)d;
		return 0;
	}
	if (strcmp(key, "references") == 0)
		return load_strv(l, v, r->id, &r->references);
	if (strcmp(key, "negative_examples") == 0)
		return load_strv(l, v, r->id, &r->negative_examples);
	if (strcmp(key, "examples") == 0)
		return load_examples(l, v, r);
	if (strcmp(key, "min_entropy") == 0) {
		char *end;
		errno = 0;
		r->min_entropy = s ? strtod(s, &end) : -1;
		if (!s || errno || *end || r->min_entropy < 0 || r->min_entropy > 8)
			return where(l, v, r->id, "min_entropy must be a number from 0 to 8", NULL);
		return 0;
	}
	if (strcmp(key, "confidence") == 0 || strcmp(key, "checksum") == 0) {
		int is_conf = key[1] == 'o';
		int k = s ? parse_enum(s, is_conf ? conf : sums, 3) : -1;
		if (k < 0)
			return where(l, v, r->id, key, is_conf ? " must be low, medium or high"
							       : " must be github-crc32 or atlassian-crc32");
		if (is_conf)
			r->confidence = (enum pl_confidence)k;
		else
			r->checksum = (enum pl_checksum)k;
		return 0;
	}
	if (strcmp(key, "validator") == 0)
		return pl_rule_validator_load(l->doc, v, l->origin, r->id, &r->validator);
	/* Accepted for documentation. */
	if (strcmp(key, "tags") == 0 ||
	    strcmp(key, "description") == 0 || strcmp(key, "category") == 0)
		return 0;
	return where(l, v, r->id, "unknown field: ", key);
}

static int load_rule(struct loader *l, yaml_node_t *n, struct pl_rule **out)
{
	if (n->type != YAML_MAPPING_NODE)
		return where(l, n, NULL, "a rule must be a mapping", NULL);
	struct pl_rule *r = pl_xcalloc(1, sizeof(*r));
	r->confidence = PL_CONF_MEDIUM;
	int rc = 0;
	/* The id first, so later messages can name the rule. */
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top && rc == 0; p++) {
			const char *key = scalar(l, yaml_document_get_node(l->doc, p->key));
			if (!key) {
				rc = where(l, n, r->id, "keys must be strings", NULL);
				break;
			}
			if ((pass == 0) == (strcmp(key, "id") == 0))
				rc = load_field(l, r, key, yaml_document_get_node(l->doc, p->value));
		}
	}
	if (rc == 0 && (!r->id || !r->name || !r->pattern == !r->parts))
		rc = where(l, n, r->id, "id, name and either pattern or parts are required", NULL);
	if (rc == 0 && r->parts && !r->distance)
		r->distance = 512;
	if (rc == 0 && r->inspect && !pl_inspect_known(r->inspect))
		rc = where(l, n, r->id, "unknown inspector: ", r->inspect);
	if (rc == 0 && r->prefilter_pattern && (r->by_keyword || !r->pattern))
		rc = where(l, n, r->id, "prefilter_pattern needs a pattern, and replaces "
				       "prefilter: keywords", NULL);
	if (rc == 0 && r->by_keyword && !r->keywords)
		rc = where(l, n, r->id, "prefilter: keywords needs keywords", NULL);
	if (rc == 0 && !r->examples)
		rc = where(l, n, r->id, "at least one example is required", NULL);
	if (rc) {
		pl_rule_free(r);
		return rc;
	}
	if (!r->keywords)
		r->keywords = pl_xcalloc(1, sizeof(char *));
	if (!r->references)
		r->references = pl_xcalloc(1, sizeof(char *));
	if (!r->negative_examples)
		r->negative_examples = pl_xcalloc(1, sizeof(char *));
	r->origin = pl_xstrdup(l->origin);
	*out = r;
	return 0;
}

void pl_ruleset_put(struct pl_ruleset *rs, struct pl_rule *r)
{
	rs->pristine_builtin = 0;
	for (size_t i = 0; i < rs->n; i++) {
		if (strcmp(rs->rules[i]->id, r->id) == 0) {
			r->index = (unsigned)i;
			pl_rule_free(rs->rules[i]);
			rs->rules[i] = r;
			return;
		}
	}
	PL_GROW(rs->rules, rs->cap, rs->n + 1);
	r->index = (unsigned)rs->n;
	rs->rules[rs->n++] = r;
}

static int load_document(struct pl_ruleset *rs, struct loader *l)
{
	yaml_node_t *root = yaml_document_get_root_node(l->doc);
	yaml_node_t *list = NULL;
	if (root && root->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		     p < root->data.mapping.pairs.top; p++) {
			const char *key = scalar(l, yaml_document_get_node(l->doc, p->key));
			if (key && strcmp(key, "rules") == 0)
				list = yaml_document_get_node(l->doc, p->value);
		}
	}
	if (!list || list->type != YAML_SEQUENCE_NODE)
		return pl_error_set(PL_EFORMAT, "%s: expected a top-level `rules:` list", l->origin);
	/* Two rules with one id in one file is a mistake, not an override. */
	size_t first = rs->n;
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++) {
		struct pl_rule *r = NULL;
		int rc = load_rule(l, yaml_document_get_node(l->doc, *it), &r);
		if (rc)
			return rc;
		for (size_t i = first; i < rs->n; i++) {
			if (strcmp(rs->rules[i]->id, r->id) == 0) {
				rc = pl_error_set(PL_EFORMAT, "%s: duplicate rule id %s", l->origin,
						  r->id);
				pl_rule_free(r);
				return rc;
			}
		}
		pl_ruleset_put(rs, r);
	}
	return 0;
}

int pl_ruleset_add_yaml(struct pl_ruleset *rs, const char *text, size_t len, const char *origin)
{
	if (rs->db)
		return pl_error_set(PL_EINVAL, "ruleset already compiled");
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser))
		return pl_error_set(PL_ERROR, "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int rc;
	if (!yaml_parser_load(&parser, &doc)) {
		rc = pl_error_set(PL_EFORMAT, "%s:%lu: YAML error: %s", origin,
				  (unsigned long)parser.problem_mark.line + 1,
				  parser.problem ? parser.problem : "malformed");
		yaml_parser_delete(&parser);
		return rc;
	}
	struct loader l = {.doc = &doc, .origin = origin};
	rc = load_document(rs, &l);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int pl_ruleset_add_builtin_yaml(struct pl_ruleset *rs)
{
	for (const struct pl_builtin_rules *b = pl_builtin_rules; b->name; b++) {
		char *origin = pl_xasprintf("builtin:%s", b->name);
		int rc = pl_ruleset_add_yaml(rs, b->text, b->len, origin);
		free(origin);
		if (rc)
			return rc;
	}
	return 0;
}

int pl_ruleset_add_builtin(struct pl_ruleset *rs)
{
	if (&pl_embedded_rules && pl_embedded_rules.data) {
		int empty = rs->n == 0;
		int rc = pl_ruleset_add_snapshot(rs, pl_embedded_rules.data, pl_embedded_rules.len);
		rs->pristine_builtin = rc == 0 && empty;
		return rc;
	}
	return pl_ruleset_add_builtin_yaml(rs);
}

int pl_ruleset_add_file(struct pl_ruleset *rs, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return pl_error_set(PL_EIO, "cannot open rules file %s: %s", path, strerror(errno));
	struct pl_buf b;
	pl_buf_init(&b, PL_RULE_FILE_MAX);
	char chunk[65536];
	size_t n;
	int rc = 0;
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = pl_buf_append(&b, chunk, n);
	if (rc == 0 && ferror(f))
		rc = pl_error_set(PL_EIO, "cannot read rules file %s", path);
	else if (rc)
		rc = pl_error_set(PL_ELIMIT, "rules file %s is larger than 16 MiB", path);
	fclose(f);
	if (rc == 0)
		rc = pl_ruleset_add_yaml(rs, b.data ? b.data : "", b.len, path);
	pl_buf_release(&b);
	return rc;
}
