/* PyPI API tokens. PyPI has no read-only endpoint that takes a token, so a
 * token is judged offline from its macaroon caveats (match/inspect.c):
 * expired is invalid, anything else is not checked. With
 * --validate-pypi-upload-probe, an upload that PyPI must reject (no digest)
 * tells a live token (400 "Include at least one message digest") from a dead
 * one (403): a write endpoint, hence opt-in. */
#include <stdlib.h>
#include <string.h>

#include "match/inspect.h"
#include "util/alloc.h"
#include "validate/validate_int.h"

#define BOUNDARY "pkgleaks-probe-0b9f3c1e"

static void offline(const struct pl_vsecret *s, struct pl_validation *out, int *expired)
{
	struct pl_finding tmp = {0};
	(void)pl_inspect("pypi-macaroon", s->secret, s->len, &tmp);
	*expired = 0;
	for (size_t i = 0; i < tmp.ndetails; i++) {
		const char *k = tmp.details[i].key, *v = tmp.details[i].value;
		if (strcmp(k, "expired") == 0)
			*expired = strcmp(v, "yes") == 0;
		if (strcmp(k, "scope") == 0 || strcmp(k, "expires") == 0)
			pl_vdetail(out, k, v, strlen(v));
		free(tmp.details[i].key);
		free(tmp.details[i].value);
	}
	free(tmp.details);
}

static char *probe_body(void)
{
	static const char *const fields[][2] = {
		{":action", "file_upload"}, {"protocol_version", "1"}, {"name", "pkgleaks-validation-probe"},
		{"version", "0.0.1"},       {"filetype", "sdist"},     {"pyversion", "source"},
		{"metadata_version", "2.1"},
	};
	char *b = pl_xstrdup("");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char *n = pl_xasprintf("%s--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"%s\""
				       "\r\n\r\n%s\r\n",
				       b, fields[i][0], fields[i][1]);
		free(b);
		b = n;
	}
	char *n = pl_xasprintf("%s--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"content\"; "
			       "filename=\"pkgleaks-validation-probe-0.0.1.tar.gz\"\r\nContent-Type: "
			       "application/octet-stream\r\n\r\nnot a package\r\n--" BOUNDARY "--\r\n",
			       b);
	free(b);
	return n;
}

static enum pl_vcheck check_pypi(struct pl_vctx *cx, const struct pl_vsecret *s,
				 struct pl_validation *out)
{
	int expired;
	offline(s, out, &expired);
	if (expired) {
		pl_vset(out, PL_VALIDATION_INVALID, "expired (macaroon caveat)");
		return PL_VCHECK_DONE;
	}
	if (!cx->opt->pypi_upload_probe) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED,
			"policy: no read-only check exists; judged offline "
			"(--validate-pypi-upload-probe asks PyPI)");
		return PL_VCHECK_DONE;
	}
	int trusted;
	const char *base = pl_vbase(s->spec->service, s->spec->url, &trusted);
	char *url = base == s->spec->url ? pl_xstrdup(base) : pl_vurl_rebase(base, s->spec->url);
	char *cred = pl_xasprintf("__token__:%.*s", (int)s->len, s->secret);
	char *b64 = pl_b64((const unsigned char *)cred, strlen(cred));
	char *h_auth = pl_xasprintf("Authorization: Basic %s", b64);
	char *body = probe_body();
	const char *headers[] = {h_auth, "Content-Type: multipart/form-data; boundary=" BOUNDARY, NULL};
	struct pl_http_request rq = {"POST", url, headers, body, strlen(body), trusted};
	struct pl_http_response rs;
	enum pl_vcheck ret = PL_VCHECK_DONE;
	if (pl_http_send(cx, &rq, &rs, out) == 0) {
		const char *b = rs.body.data ? rs.body.data : "";
		if (rs.status == 400 && strstr(b, "Include at least one message digest"))
			pl_vset(out, PL_VALIDATION_VALID, NULL);
		else if (rs.status == 403)
			pl_vset(out, PL_VALIDATION_INVALID, NULL);
		else
			ret = pl_http_unmatched(cx, &rs, out);
	}
	pl_http_response_release(&rs);
	free(url);
	free(cred);
	free(b64);
	free(h_auth);
	free(body);
	return ret;
}

const struct pl_validator_ops pl_vops_pypi = {"pypi", check_pypi};
