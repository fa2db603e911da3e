/* kind http: the declarative validator. The rule's `validator:` block gives
 * the request (URL, method, headers, body, Basic credentials, all templates)
 * and how to read the answer (status codes, body text, JSON fields) into
 * valid or invalid; anything else is unknown. See docs/rules.md. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "validate/validate_int.h"

static int status_matches(const int *codes, long status)
{
	if (!codes)
		return 1;
	for (const int *c = codes; *c; c++)
		if (*c == status || (*c < 10 && status / 100 == *c))
			return 1;
	return 0;
}

static int value_matches(json_t *v, const char *want)
{
	if (strcmp(want, "*") == 0) {
		if (!v || json_is_null(v) || json_is_false(v))
			return 0;
		if (json_is_string(v))
			return json_string_length(v) > 0;
		if (json_is_array(v))
			return json_array_size(v) > 0;
		if (json_is_object(v))
			return json_object_size(v) > 0;
		if (json_is_integer(v))
			return json_integer_value(v) != 0;
		return 1;
	}
	if (!v || json_is_object(v) || json_is_array(v))
		return 0;
	char *text = pl_json_text(v);
	int ok = 0;
	if (text) {
		/* want is '|'-separated alternatives. */
		const char *p = want;
		size_t tl = strlen(text);
		while (!ok) {
			size_t n = strcspn(p, "|");
			ok = n == tl && memcmp(p, text, n) == 0;
			if (!p[n])
				break;
			p += n + 1;
		}
	}
	free(text);
	return ok;
}

static int answer_matches(const struct pl_rule_answer *a, const struct pl_http_response *rs,
			  json_t *doc)
{
	if (!status_matches(a->status, rs->status))
		return 0;
	if (a->body_contains && !(rs->body.data && strstr(rs->body.data, a->body_contains)))
		return 0;
	for (size_t i = 0; a->json_paths && a->json_paths[i]; i++)
		if (!doc || !value_matches(pl_json_path(doc, a->json_paths[i]), a->json_values[i]))
			return 0;
	return 1;
}

static void read_details(const struct pl_rule_validator *spec, const struct pl_http_response *rs,
			 json_t *doc, struct pl_validation *out)
{
	for (size_t i = 0; spec->detail_names && spec->detail_names[i]; i++) {
		const char *path = spec->detail_paths[i];
		char *text = NULL;
		if (strncmp(path, "header:", 7) == 0)
			text = pl_http_header(rs, path + 7);
		else if (doc)
			text = pl_json_text(pl_json_path(doc, path));
		if (text && *text)
			pl_vdetail(out, spec->detail_names[i], text, strlen(text));
		free(text);
	}
}

/* Whether url's host is under the reserved .invalid domain: a template
 * written so has no built-in issuer address and needs a configured base. */
static int host_is_invalid(const char *url)
{
	size_t origin = pl_vurl_origin_len(url);
	static const char tld[] = ".invalid";
	size_t n = sizeof(tld) - 1;
	return origin > n && strncmp(url + origin - n, tld, n) == 0;
}

/* The request's URL: the template expanded, then moved to the service's
 * base (pl_vbase) when one is configured. A template whose host holds a
 * variable (https://{dc}.api.mailchimp.com) must keep a plain host name.
 * NULL with *why set when the template's host is a placeholder and no base
 * is configured, or when the expansion left the template's host. */
static char *build_url(const struct pl_rule_validator *spec, const struct pl_vars *vars,
		       int *trusted, const char **why)
{
	char *url = pl_template_expand(spec->url, vars, PL_TPL_URL);
	if (!url)
		return NULL;
	if (!pl_vurl_host_is_plain(url)) {
		free(url);
		return NULL;
	}
	if (!pl_vurl_keeps_origin(spec->url, url)) {
		*why = "the secret would move the request off the issuer's host";
		free(url);
		return NULL;
	}
	const char *base = pl_vbase(spec->service, NULL, trusted);
	if (!base && host_is_invalid(url)) {
		*why = "no registry configured for this issuer: set npm_config_registry (npm) or "
		       "PKGLEAKS_<SERVICE>_URL";
		free(url);
		return NULL;
	}
	if (base) {
		char *moved = pl_vurl_rebase(base, url);
		free(url);
		url = moved;
	}
	return url;
}

static enum pl_vcheck check_http(struct pl_vctx *cx, const struct pl_vsecret *s,
				 struct pl_validation *out)
{
	const struct pl_rule_validator *spec = s->spec;
	struct pl_vars vars;
	if (pl_vars_init(&vars, s->secret, s->len, spec->extract) != 0) {
		pl_vars_release(&vars);
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "secret lacks what the validator needs");
		return PL_VCHECK_DONE;
	}
	enum pl_vcheck ret = PL_VCHECK_DONE;
	size_t nh = 0;
	while (spec->headers && spec->headers[nh])
		nh++;
	char **headers = pl_xcalloc(nh + 2, sizeof(char *));
	char *body = NULL, *url = NULL;
	json_t *doc = NULL;
	struct pl_http_response rs = {0};
	int trusted = 0, have_rs = 0;
	const char *why = NULL;
	url = build_url(spec, &vars, &trusted, &why);
	if (!url && why) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "%s", why);
		goto cleanup;
	}
	if (!url)
		goto unusable;
	size_t k = 0;
	for (size_t i = 0; i < nh; i++)
		if (!(headers[k++] = pl_template_expand(spec->headers[i], &vars, PL_TPL_RAW)))
			goto unusable;
	if (spec->basic_auth) {
		char *cred = pl_template_expand(spec->basic_auth, &vars, PL_TPL_RAW);
		if (!cred)
			goto unusable;
		char *b = pl_b64((const unsigned char *)cred, strlen(cred));
		headers[k++] = pl_xasprintf("Authorization: Basic %s", b);
		free(b);
		free(cred);
	}
	if (spec->body && !(body = pl_template_expand(spec->body, &vars, PL_TPL_RAW)))
		goto unusable;
	struct pl_http_request rq = {spec->method, url, (const char *const *)headers, body,
				     body ? strlen(body) : 0, trusted};
	have_rs = 1;
	if (pl_http_send(cx, &rq, &rs, out) != 0)
		goto cleanup;
	if (rs.body.len)
		doc = json_loadb(rs.body.data, rs.body.len, 0, NULL);
	for (size_t i = 0; i < spec->nanswers; i++) {
		if (answer_matches(&spec->answers[i], &rs, doc)) {
			pl_vset(out, (enum pl_validation_status)spec->answers[i].result, NULL);
			read_details(spec, &rs, doc, out);
			goto cleanup;
		}
	}
	ret = pl_http_unmatched(cx, &rs, out);
	goto cleanup;
unusable:
	pl_vset(out, PL_VALIDATION_NOT_CHECKED, "secret has characters the request cannot carry");
cleanup:
	json_decref(doc);
	if (have_rs)
		pl_http_response_release(&rs);
	for (size_t i = 0; i < nh + 2; i++)
		free(headers[i]);
	free(headers);
	free(body);
	free(url);
	pl_vars_release(&vars);
	return ret;
}

const struct pl_validator_ops pl_vops_http = {"http", check_http};
