/* Google Cloud service-account keys: a JWT signed (RS256, OpenSSL) with the
 * key, exchanged at Google's token endpoint (jwt-bearer grant). The token
 * host is fixed: token_uri and the other URLs in the leaked JSON are never
 * followed. The access token granted is dropped unused (it expires in an
 * hour). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dl/dl_crypto.h"
#include "util/alloc.h"
#include "validate/sign.h"
#include "validate/validate_int.h"

char *pl_jwt_rs256(const char *header_json, const char *claims_json, const char *pem,
		   size_t pem_len)
{
	if (pl_dl_crypto() < 0)
		return NULL;
	BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
	EVP_PKEY *pk = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"") : NULL;
	BIO_free(bio);
	if (!pk)
		return NULL;
	char *h = pl_b64url((const unsigned char *)header_json, strlen(header_json));
	char *c = pl_b64url((const unsigned char *)claims_json, strlen(claims_json));
	char *input = pl_xasprintf("%s.%s", h, c);
	free(h);
	free(c);
	char *jwt = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t slen = 0;
	unsigned char *sig = NULL;
	if (md && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA &&
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
	    EVP_DigestSign(md, NULL, &slen, (const unsigned char *)input, strlen(input)) == 1) {
		sig = pl_xmalloc(slen);
		if (EVP_DigestSign(md, sig, &slen, (const unsigned char *)input, strlen(input)) == 1) {
			char *s = pl_b64url(sig, slen);
			jwt = pl_xasprintf("%s.%s", input, s);
			free(s);
		}
	}
	free(sig);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	free(input);
	return jwt;
}

static void add(struct pl_validation *out, const char *key, json_t *v)
{
	if (json_is_string(v))
		pl_vdetail(out, key, json_string_value(v), json_string_length(v));
}

static enum pl_vcheck check_gcp(struct pl_vctx *cx, const struct pl_vsecret *s,
				struct pl_validation *out)
{
	if (pl_dl_crypto() < 0)
		return pl_vlib_missing(out);
	json_t *doc = json_loadb(s->secret, s->len, 0, NULL);
	json_t *email = json_object_get(doc, "client_email");
	json_t *key = json_object_get(doc, "private_key");
	if (!json_is_string(email) || !json_is_string(key)) {
		json_decref(doc);
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "needs client_email and private_key");
		return PL_VCHECK_DONE;
	}
	enum pl_vcheck ret = PL_VCHECK_DONE;
	int trusted;
	const char *base = pl_vbase(s->spec->service, "https://oauth2.googleapis.com", &trusted);
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	char *url = pl_xasprintf("%.*s/token", (int)bl, base);
	json_t *hdr = json_pack("{ss ss}", "alg", "RS256", "typ", "JWT");
	json_t *kid = json_object_get(doc, "private_key_id");
	if (json_is_string(kid))
		json_object_set(hdr, "kid", kid);
	json_int_t now = (json_int_t)time(NULL);
	/* aud is Google's token endpoint even when a test points the URL
	 * elsewhere: the fake checks the claims Google would. */
	json_t *claims = json_pack("{sO ss ss sI sI}", "iss", email, "scope",
				   "https://www.googleapis.com/auth/cloud-platform", "aud",
				   "https://oauth2.googleapis.com/token", "iat", now, "exp",
				   now + 3600);
	char *hs = json_dumps(hdr, JSON_COMPACT), *cs = json_dumps(claims, JSON_COMPACT);
	char *jwt = hs && cs ? pl_jwt_rs256(hs, cs, json_string_value(key), json_string_length(key))
			     : NULL;
	char *body = NULL;
	if (!jwt) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "private key unusable (not an RSA key?)");
		goto done;
	}
	body = pl_xasprintf("grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer"
			    "&assertion=%s",
			    jwt);
	const char *headers[] = {"Content-Type: application/x-www-form-urlencoded",
				 "Accept: application/json", NULL};
	struct pl_http_request rq = {"POST", url, headers, body, strlen(body), trusted};
	struct pl_http_response rs;
	if (pl_http_send(cx, &rq, &rs, out) == 0) {
		json_t *ans = json_loadb(rs.body.data ? rs.body.data : "", rs.body.len, 0, NULL);
		const char *err = json_string_value(json_object_get(ans, "error"));
		if (rs.status == 200 && json_is_string(json_object_get(ans, "access_token"))) {
			pl_vset(out, PL_VALIDATION_VALID, NULL);
			add(out, "client_email", email);
			add(out, "project_id", json_object_get(doc, "project_id"));
		} else if ((rs.status == 400 || rs.status == 401) && err &&
			   (strcmp(err, "invalid_grant") == 0 || strcmp(err, "invalid_client") == 0 ||
			    strcmp(err, "unauthorized_client") == 0)) {
			pl_vset(out, PL_VALIDATION_INVALID, NULL);
			add(out, "error", json_object_get(ans, "error_description"));
		} else {
			ret = pl_http_unmatched(cx, &rs, out);
		}
		json_decref(ans);
	}
	pl_http_response_release(&rs);
done:
	free(body);
	if (jwt)
		OPENSSL_cleanse(jwt, strlen(jwt));
	free(jwt);
	free(hs);
	free(cs);
	free(url);
	json_decref(hdr);
	json_decref(claims);
	json_decref(doc);
	return ret;
}

const struct pl_validator_ops pl_vops_gcp = {"gcp-service-account", check_gcp};
