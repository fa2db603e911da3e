/* Azure Storage account keys: a SharedKey-signed `List Containers` on the
 * account's blob endpoint (read-only). The secret must carry its account:
 * rule azure-storage-connection-string captures "AccountName=...;AccountKey=...". */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dl/dl_crypto.h"
#include "util/alloc.h"
#include "validate/sign.h"
#include "validate/validate_int.h"

#define MS_VERSION "2019-12-12"

char *pl_azure_sharedkey(const char *account, const char *path, const char *key_b64,
			 const char *ms_date, const char *ms_version)
{
	if (pl_dl_crypto() < 0)
		return NULL;
	size_t klen;
	unsigned char *key = pl_b64_decode(key_b64, strlen(key_b64), &klen);
	if (!key || klen == 0) {
		free(key);
		return NULL;
	}
	/* VERB, then 11 empty standard headers (Content-Encoding ... Range),
	 * then the canonical x-ms- headers and the canonical resource. */
	char *sts = pl_xasprintf("GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:%s\nx-ms-version:%s\n/%s%s\ncomp:list",
				 ms_date, ms_version, account, path);
	unsigned char mac[32];
	unsigned int mlen = 0;
	int ok = HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)sts, strlen(sts), mac,
		      &mlen) != NULL && mlen == 32;
	OPENSSL_cleanse(key, klen);
	free(key);
	free(sts);
	return ok ? pl_b64(mac, 32) : NULL;
}

/* "AccountName=x;AccountKey=y" in any order and case, other fields ignored. */
static int split(const char *s, size_t len, char **account, char **key)
{
	*account = *key = NULL;
	const char *p = s, *end = s + len;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *fe = semi ? semi : end;
		const char *eq = memchr(p, '=', (size_t)(fe - p));
		if (eq) {
			size_t kl = (size_t)(eq - p);
			while (kl && isspace((unsigned char)*p)) {
				p++;
				kl--;
			}
			if (kl == 11 && strncasecmp(p, "AccountName", 11) == 0 && !*account)
				*account = pl_xstrndup(eq + 1, (size_t)(fe - eq - 1));
			else if (kl == 10 && strncasecmp(p, "AccountKey", 10) == 0 && !*key)
				*key = pl_xstrndup(eq + 1, (size_t)(fe - eq - 1));
		}
		p = fe + 1;
	}
	if (!*account || !*key)
		return -1;
	size_t al = strlen(*account);
	if (al < 3 || al > 24)
		return -1;
	for (const char *c = *account; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
			return -1;
	return 0;
}

static enum pl_vcheck check_azure(struct pl_vctx *cx, const struct pl_vsecret *s,
				  struct pl_validation *out)
{
	if (pl_dl_crypto() < 0)
		return pl_vlib_missing(out);
	char *account, *key;
	if (split(s->secret, s->len, &account, &key) != 0) {
		free(account);
		if (key)
			OPENSSL_cleanse(key, strlen(key));
		free(key);
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "needs the storage account name");
		return PL_VCHECK_DONE;
	}
	enum pl_vcheck ret = PL_VCHECK_DONE;
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	int trusted;
	char *dflt = pl_xasprintf("https://%s.blob.core.windows.net", account);
	const char *base = pl_vbase(s->spec->service, dflt, &trusted);
	/* The canonical resource is the account and the path sent (an
	 * override may add a prefix: it is signed as sent). */
	size_t olen = pl_vurl_origin_len(base), bl = strlen(base);
	while (bl > olen && base[bl - 1] == '/')
		bl--;
	char *path = pl_xasprintf("%.*s/", (int)(bl - olen), base + olen);
	char *url = pl_xasprintf("%.*s%s?comp=list", (int)olen, base, path);
	free(dflt);
	char *sig = pl_azure_sharedkey(account, path, key, date, MS_VERSION);
	char *h_auth = NULL, *h_date = NULL;
	if (!sig) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "account key is not base64");
		goto done;
	}
	h_auth = pl_xasprintf("Authorization: SharedKey %s:%s", account, sig);
	h_date = pl_xasprintf("x-ms-date: %s", date);
	const char *headers[] = {h_auth, h_date, "x-ms-version: " MS_VERSION, NULL};
	struct pl_http_request rq = {"GET", url, headers, NULL, 0, trusted};
	struct pl_http_response rs;
	if (pl_http_send(cx, &rq, &rs, out) == 0) {
		const char *b = rs.body.data ? rs.body.data : "";
		if (rs.status == 200) {
			pl_vset(out, PL_VALIDATION_VALID, NULL);
			pl_vdetail(out, "account", account, strlen(account));
			size_t n = 0;
			for (const char *p = b; (p = strstr(p, "<Container>")); p++)
				n++;
			char cnt[32];
			snprintf(cnt, sizeof(cnt), "%zu", n);
			pl_vdetail(out, "containers", cnt, strlen(cnt));
		} else if (rs.status == 403 && strstr(b, "AuthenticationFailed")) {
			pl_vset(out, PL_VALIDATION_INVALID, NULL);
		} else {
			ret = pl_http_unmatched(cx, &rs, out);
		}
	}
	pl_http_response_release(&rs);
done:
	OPENSSL_cleanse(key, strlen(key));
	free(key);
	free(account);
	free(sig);
	free(url);
	free(path);
	free(h_auth);
	free(h_date);
	return ret;
}

const struct pl_validator_ops pl_vops_azure_storage = {"azure-storage", check_azure};
