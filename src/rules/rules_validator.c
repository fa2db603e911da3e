/* A rule's `validator:` block: parsed and checked here, run by src/validate/.
 * See docs/rules.md ("Validators") for the format. */
#include "rules/rules_validator.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "pkgleaks/finding.h"
#include "util/alloc.h"
#include "util/buf.h"

/* Built-in validators (src/validate/registry.c has the same list). */
static const char *const kinds[] = {
	"http",  "none",    "aws-sigv4", "azure-storage", "gcp-service-account",
	"postgres", "mysql", "redis",    "mongodb",       "amqp",
	"pypi",
};

int pl_rule_validator_kind_known(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return 1;
	return 0;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void pl_rule_validator_free(struct pl_rule_validator *v)
{
	if (!v)
		return;
	free(v->kind);
	free(v->service);
	free(v->url);
	free(v->method);
	free_strv(v->headers);
	free(v->body);
	free(v->basic_auth);
	free(v->extract);
	for (size_t i = 0; i < v->nanswers; i++) {
		free(v->answers[i].status);
		free(v->answers[i].body_contains);
		free_strv(v->answers[i].json_paths);
		free_strv(v->answers[i].json_values);
	}
	free(v->answers);
	free_strv(v->detail_names);
	free_strv(v->detail_paths);
	free(v->reason);
	free(v);
}

struct vload {
	yaml_document_t *doc;
	const char *origin, *rule_id;
};

static yaml_node_t *node(struct vload *l, int id)
{
	return yaml_document_get_node(l->doc, id);
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int bad(struct vload *l, yaml_node_t *n, const char *what, const char *detail)
{
	return pl_error_set(PL_EFORMAT, "%s:%lu: rule %s: validator: %s%s", l->origin,
			    n ? (unsigned long)n->start_mark.line + 1 : 0UL,
			    l->rule_id ? l->rule_id : "(no id)", what, detail ? detail : "");
}

static int set_str(struct vload *l, yaml_node_t *n, const char *key, char **dst)
{
	const char *s = scalar(n);
	if (!s)
		return bad(l, n, key, " must be a string");
	free(*dst);
	*dst = pl_xstrdup(s);
	return 0;
}

/* "200", "2xx" or a list of them, into a 0-terminated array. */
static int load_status(struct vload *l, yaml_node_t *n, int **out)
{
	size_t count = n->type == YAML_SEQUENCE_NODE
			       ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
			       : 1;
	int *v = pl_xcalloc(count + 1, sizeof(int));
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *e = n->type == YAML_SEQUENCE_NODE
					 ? node(l, n->data.sequence.items.start[i])
					 : n;
		const char *s = scalar(e);
		char *end = NULL;
		long code = s ? strtol(s, &end, 10) : 0;
		if (s && strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' && strcmp(s + 1, "xx") == 0) {
			v[i] = s[0] - '0';
			continue;
		}
		if (!s || *end || code < 100 || code > 599) {
			free(v);
			return bad(l, e, "status must be an HTTP code (200) or a class (2xx)", NULL);
		}
		v[i] = (int)code;
	}
	free(*out);
	*out = v;
	return 0;
}

/* A scalar or a list of scalars, '|'-joined. */
static char *joined(struct vload *l, yaml_node_t *n)
{
	if (n->type == YAML_SCALAR_NODE)
		return pl_xstrdup(scalar(n));
	if (n->type != YAML_SEQUENCE_NODE)
		return NULL;
	struct pl_buf b;
	pl_buf_init(&b, 0);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		const char *s = scalar(node(l, *it));
		if (!s) {
			pl_buf_release(&b);
			return NULL;
		}
		/* Appends cannot fail: the buffer has no cap (rule files are bounded). */
		if (it != n->data.sequence.items.start)
			(void)pl_buf_append(&b, "|", 1);
		(void)pl_buf_appends(&b, s);
	}
	return pl_buf_detach(&b);
}

/* A mapping of string keys into two parallel NULL-terminated vectors. */
static int load_pairs(struct vload *l, yaml_node_t *n, const char *what, char ***keys,
		      char ***values, int allow_lists)
{
	if (n->type != YAML_MAPPING_NODE)
		return bad(l, n, what, " must be a mapping");
	size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start), k = 0;
	char **kv = pl_xcalloc(count + 1, sizeof(char *));
	char **vv = pl_xcalloc(count + 1, sizeof(char *));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++, k++) {
		const char *key = scalar(node(l, p->key));
		yaml_node_t *vn = node(l, p->value);
		char *val = NULL;
		if (vn && allow_lists)
			val = joined(l, vn);
		else if (scalar(vn))
			val = pl_xstrdup(scalar(vn));
		if (!key || !val) {
			free(val);
			free_strv(kv);
			free_strv(vv);
			return bad(l, vn, what, allow_lists ? " values must be strings or lists of strings"
							    : " values must be strings");
		}
		kv[k] = pl_xstrdup(key);
		vv[k] = val;
	}
	free_strv(*keys);
	free_strv(*values);
	*keys = kv;
	*values = vv;
	return 0;
}

static int parse_result(const char *s)
{
	if (s && strcmp(s, "valid") == 0)
		return PL_VALIDATION_VALID;
	if (s && strcmp(s, "invalid") == 0)
		return PL_VALIDATION_INVALID;
	return -1;
}

static struct pl_rule_answer *add_answer(struct pl_rule_validator *v)
{
	v->answers = pl_xrealloc(v->answers, (v->nanswers + 1) * sizeof(*v->answers));
	struct pl_rule_answer *a = &v->answers[v->nanswers++];
	memset(a, 0, sizeof(*a));
	return a;
}

static int load_answer(struct vload *l, yaml_node_t *n, struct pl_rule_validator *v)
{
	if (n->type != YAML_MAPPING_NODE)
		return bad(l, n, "each answer must be a mapping", NULL);
	struct pl_rule_answer *a = add_answer(v);
	a->result = -1;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const char *key = scalar(node(l, p->key));
		yaml_node_t *vn = node(l, p->value);
		int rc = 0;
		if (!key || !vn)
			rc = bad(l, n, "answer keys must be strings", NULL);
		else if (strcmp(key, "status") == 0)
			rc = load_status(l, vn, &a->status);
		else if (strcmp(key, "body_contains") == 0)
			rc = set_str(l, vn, key, &a->body_contains);
		else if (strcmp(key, "json") == 0)
			rc = load_pairs(l, vn, "json", &a->json_paths, &a->json_values, 1);
		else if (strcmp(key, "result") == 0) {
			a->result = parse_result(scalar(vn));
			if (a->result < 0)
				rc = bad(l, vn, "result must be valid or invalid", NULL);
		} else
			rc = bad(l, vn, "unknown answer field: ", key);
		if (rc)
			return rc;
	}
	if (a->result < 0)
		return bad(l, n, "an answer needs a result", NULL);
	return 0;
}

static int load_answers(struct vload *l, yaml_node_t *n, struct pl_rule_validator *v)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return bad(l, n, "answers must be a list", NULL);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		int rc = load_answer(l, node(l, *it), v);
		if (rc)
			return rc;
	}
	return 0;
}

static int load_number(struct vload *l, yaml_node_t *n, const char *key, double max,
		       double *out)
{
	const char *s = scalar(n);
	char *end = NULL;
	errno = 0;
	double d = s ? strtod(s, &end) : -1;
	if (!s || errno || *end || !(d > 0) || d > max)
		return bad(l, n, key, " must be a positive number");
	*out = d;
	return 0;
}

static int load_key(struct vload *l, const char *key, yaml_node_t *vn,
		    struct pl_rule_validator *v, yaml_node_t **valid, yaml_node_t **invalid)
{
	if (strcmp(key, "kind") == 0)
		return set_str(l, vn, key, &v->kind);
	if (strcmp(key, "service") == 0)
		return set_str(l, vn, key, &v->service);
	if (strcmp(key, "url") == 0)
		return set_str(l, vn, key, &v->url);
	if (strcmp(key, "method") == 0)
		return set_str(l, vn, key, &v->method);
	if (strcmp(key, "body") == 0)
		return set_str(l, vn, key, &v->body);
	if (strcmp(key, "basic_auth") == 0)
		return set_str(l, vn, key, &v->basic_auth);
	if (strcmp(key, "extract") == 0)
		return set_str(l, vn, key, &v->extract);
	if (strcmp(key, "reason") == 0)
		return set_str(l, vn, key, &v->reason);
	if (strcmp(key, "headers") == 0) {
		char **names = NULL, **values = NULL;
		int rc = load_pairs(l, vn, "headers", &names, &values, 0);
		if (rc)
			return rc;
		size_t n = 0;
		while (names[n])
			n++;
		free_strv(v->headers);
		v->headers = pl_xcalloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			/* "Name:" with no value makes curl drop a header it would add. */
			v->headers[i] = pl_xasprintf("%s:%s%s", names[i], *values[i] ? " " : "",
						     values[i]);
		free_strv(names);
		free_strv(values);
		return 0;
	}
	if (strcmp(key, "details") == 0)
		return load_pairs(l, vn, "details", &v->detail_names, &v->detail_paths, 0);
	if (strcmp(key, "answers") == 0)
		return load_answers(l, vn, v);
	if (strcmp(key, "valid") == 0) {
		*valid = vn;
		return 0;
	}
	if (strcmp(key, "invalid") == 0) {
		*invalid = vn;
		return 0;
	}
	if (strcmp(key, "rate") == 0)
		return load_number(l, vn, key, 1000, &v->rate);
	if (strcmp(key, "concurrency") == 0) {
		double d;
		int rc = load_number(l, vn, key, 64, &d);
		v->concurrency = rc ? 0 : (unsigned)d;
		return rc;
	}
	return bad(l, vn, "unknown field: ", key);
}

/* `valid: [200]` and `invalid: [401]` are answers with only a status, read
 * after the explicit `answers`. */
static int add_sugar(struct vload *l, yaml_node_t *n, int result, struct pl_rule_validator *v)
{
	if (!n)
		return 0;
	struct pl_rule_answer *a = add_answer(v);
	a->result = result;
	return load_status(l, n, &a->status);
}

static int check(struct vload *l, yaml_node_t *n, struct pl_rule_validator *v)
{
	if (!v->kind)
		v->kind = pl_xstrdup("http");
	if (!pl_rule_validator_kind_known(v->kind))
		return bad(l, n, "unknown kind: ", v->kind);
	int none = strcmp(v->kind, "none") == 0, http = strcmp(v->kind, "http") == 0;
	if (none && !v->reason)
		return bad(l, n, "kind none needs a reason", NULL);
	if (!none && !v->service)
		return bad(l, n, "service is required", NULL);
	for (const char *c = v->service; c && *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return bad(l, n, "service must be lowercase letters, digits and '-': ",
				   v->service);
	if (http && !v->url)
		return bad(l, n, "kind http needs a url", NULL);
	if (v->url && strncmp(v->url, "https://", 8) != 0)
		return bad(l, n, "url must be https: ", v->url);
	if (http && !v->nanswers)
		return bad(l, n, "kind http needs answers (or valid/invalid)", NULL);
	if (!v->method)
		v->method = pl_xstrdup("GET");
	if (strcmp(v->method, "GET") && strcmp(v->method, "POST") && strcmp(v->method, "HEAD"))
		return bad(l, n, "method must be GET, POST or HEAD: ", v->method);
	return 0;
}

int pl_rule_validator_load(yaml_document_t *doc, yaml_node_t *n, const char *origin,
			   const char *rule_id, struct pl_rule_validator **out)
{
	struct vload l = {doc, origin, rule_id};
	if (!n || n->type != YAML_MAPPING_NODE)
		return bad(&l, n, "must be a mapping", NULL);
	struct pl_rule_validator *v = pl_xcalloc(1, sizeof(*v));
	yaml_node_t *valid = NULL, *invalid = NULL;
	int rc = 0;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top && rc == 0; p++) {
		const char *key = scalar(node(&l, p->key));
		yaml_node_t *vn = node(&l, p->value);
		rc = key && vn ? load_key(&l, key, vn, v, &valid, &invalid)
			       : bad(&l, n, "keys must be strings", NULL);
	}
	if (rc == 0)
		rc = add_sugar(&l, valid, PL_VALIDATION_VALID, v);
	if (rc == 0)
		rc = add_sugar(&l, invalid, PL_VALIDATION_INVALID, v);
	if (rc == 0)
		rc = check(&l, n, v);
	if (rc) {
		pl_rule_validator_free(v);
		return rc;
	}
	pl_rule_validator_free(*out);
	*out = v;
	return 0;
}
