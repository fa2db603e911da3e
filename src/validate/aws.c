/* AWS access keys: STS GetCallerIdentity, signed with SigV4 (HMAC-SHA256 by
 * OpenSSL). GetCallerIdentity needs no permission, reads nothing and changes
 * nothing; keys of known canary-token accounts are never sent (using one
 * alerts whoever planted it). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dl/dl_crypto.h"
#include "match/inspect.h"
#include "util/alloc.h"
#include "util/hex.h"
#include "validate/sign.h"
#include "validate/validate_int.h"

#define STS_QUERY "Action=GetCallerIdentity&Version=2011-06-15"

static int sha256_hex(const char *s, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (!EVP_Digest(s, n, md, &len, EVP_sha256(), NULL) || len != 32)
		return -1;
	pl_hex_encode(md, 32, out);
	return 0;
}

static int hmac(const unsigned char *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int len = 0;
	return HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len) &&
			       len == 32
		       ? 0
		       : -1;
}

char *pl_aws_sigv4(const char *key_id, const char *secret, const char *method, const char *host,
		   const char *path, const char *query, const char *region, const char *service,
		   const char *amz_date)
{
	char payload[65], creq_hash[65], sig[65];
	char date[9];
	if (pl_dl_crypto() < 0)
		return NULL;
	snprintf(date, sizeof(date), "%.8s", amz_date);
	if (sha256_hex("", 0, payload) != 0)
		return NULL;
	char *creq = pl_xasprintf("%s\n%s\n%s\nhost:%s\nx-amz-date:%s\n\nhost;x-amz-date\n%s", method,
				  path, query, host, amz_date, payload);
	int rc = sha256_hex(creq, strlen(creq), creq_hash);
	free(creq);
	if (rc != 0)
		return NULL;
	char *scope = pl_xasprintf("%s/%s/%s/aws4_request", date, region, service);
	char *sts = pl_xasprintf("AWS4-HMAC-SHA256\n%s\n%s\n%s", amz_date, scope, creq_hash);
	char *k0 = pl_xasprintf("AWS4%s", secret);
	unsigned char kd[32], kr[32], ks[32], kk[32], s[32];
	rc = hmac((const unsigned char *)k0, strlen(k0), date, kd) ||
	     hmac(kd, 32, region, kr) || hmac(kr, 32, service, ks) ||
	     hmac(ks, 32, "aws4_request", kk) || hmac(kk, 32, sts, s);
	OPENSSL_cleanse(k0, strlen(k0));
	free(k0);
	free(sts);
	char *auth = NULL;
	if (rc == 0) {
		pl_hex_encode(s, 32, sig);
		auth = pl_xasprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=host;x-amz-date, "
				    "Signature=%s",
				    key_id, scope, sig);
	}
	free(scope);
	return auth;
}

static void read_identity(const struct pl_http_response *rs, struct pl_validation *out)
{
	json_t *doc = json_loadb(rs->body.data ? rs->body.data : "", rs->body.len, 0, NULL);
	json_t *r = pl_json_path(doc, "GetCallerIdentityResponse.GetCallerIdentityResult");
	static const char *const keys[][2] = {{"Account", "account"}, {"Arn", "arn"},
					      {"UserId", "user_id"}};
	for (size_t i = 0; i < 3; i++) {
		char *t = pl_json_text(json_object_get(r, keys[i][0]));
		if (t)
			pl_vdetail(out, keys[i][1], t, strlen(t));
		free(t);
	}
	json_decref(doc);
}

static int is_canary(const char *id)
{
	struct pl_finding tmp = {0};
	int canary = 0;
	(void)pl_inspect("aws-access-key-id", id, strlen(id), &tmp);
	for (size_t i = 0; i < tmp.ndetails; i++) {
		canary |= strcmp(tmp.details[i].key, "canary") == 0;
		free(tmp.details[i].key);
		free(tmp.details[i].value);
	}
	free(tmp.details);
	return canary;
}

static enum pl_vcheck check_aws(struct pl_vctx *cx, const struct pl_vsecret *s,
				struct pl_validation *out)
{
	if (pl_dl_crypto() < 0)
		return pl_vlib_missing(out);
	const char *colon = memchr(s->secret, ':', s->len);
	if (!colon) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "needs the key id with its secret");
		return PL_VCHECK_DONE;
	}
	char *id = pl_xstrndup(s->secret, (size_t)(colon - s->secret));
	char *secret = pl_xstrndup(colon + 1, s->len - (size_t)(colon - s->secret) - 1);
	enum pl_vcheck ret = PL_VCHECK_DONE;
	char *url = NULL, *auth = NULL, *h_auth = NULL, *h_date = NULL, *host = NULL, *path = NULL;
	if (strncmp(id, "ASIA", 4) == 0) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "temporary key: needs its session token");
		goto done;
	}
	if (is_canary(id)) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "canary token (using it alerts its owner)");
		goto done;
	}
	int trusted;
	const char *base = pl_vbase(s->spec->service, s->spec->url ? s->spec->url
								   : "https://sts.amazonaws.com",
				    &trusted);
	size_t olen = pl_vurl_origin_len(base);
	const char *auth_start = strstr(base, "://");
	if (!olen || !auth_start) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "policy: malformed base URL");
		goto done;
	}
	/* The Host header curl sends: the URL's authority, port included. */
	host = pl_xstrndup(auth_start + 3, olen - (size_t)(auth_start + 3 - base));
	/* An override may add a path prefix (http://127.0.0.1:8080/aws): it is
	 * part of what is sent, so it is what is signed. */
	size_t bl = strlen(base);
	while (bl > olen && base[bl - 1] == '/')
		bl--;
	path = pl_xasprintf("%.*s/", (int)(bl - olen), base + olen);
	url = pl_xasprintf("%.*s%s?%s", (int)olen, base, path, STS_QUERY);
	char amz[17];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(amz, sizeof(amz), "%Y%m%dT%H%M%SZ", &tm);
	auth = pl_aws_sigv4(id, secret, "GET", host, path, STS_QUERY, "us-east-1", "sts", amz);
	if (!auth) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "signing failed");
		goto done;
	}
	h_auth = pl_xasprintf("Authorization: %s", auth);
	h_date = pl_xasprintf("X-Amz-Date: %s", amz);
	const char *headers[] = {h_auth, h_date, "Accept: application/json", NULL};
	struct pl_http_request rq = {"GET", url, headers, NULL, 0, trusted};
	struct pl_http_response rs;
	if (pl_http_send(cx, &rq, &rs, out) == 0) {
		const char *b = rs.body.data ? rs.body.data : "";
		if (rs.status == 200) {
			pl_vset(out, PL_VALIDATION_VALID, NULL);
			read_identity(&rs, out);
		} else if (rs.status == 403 && (strstr(b, "RequestExpired") ||
						strstr(b, "Signature expired"))) {
			pl_vset(out, PL_VALIDATION_UNKNOWN, "clock skew: the signature was refused as "
							    "expired");
		} else if (rs.status == 403 &&
			   (strstr(b, "InvalidClientTokenId") || strstr(b, "SignatureDoesNotMatch") ||
			    strstr(b, "ExpiredToken"))) {
			pl_vset(out, PL_VALIDATION_INVALID, NULL);
		} else {
			ret = pl_http_unmatched(cx, &rs, out);
		}
	}
	pl_http_response_release(&rs);
done:
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
	free(id);
	free(url);
	free(auth);
	if (h_auth)
		OPENSSL_cleanse(h_auth, strlen(h_auth));
	free(h_auth);
	free(h_date);
	free(host);
	free(path);
	return ret;
}

const struct pl_validator_ops pl_vops_aws = {"aws-sigv4", check_aws};
