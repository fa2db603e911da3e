#include "pkgleaks/finding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dl/dl_crypto.h"
#include "pkgleaks/error.h"
#include "util/alloc.h"
#include "util/hex.h"
#include "util/escape.h"

/* How many leading characters a redacted secret keeps. */
#define PL_REDACT_KEEP 4

void pl_finding_free(struct pl_finding *f)
{
	if (!f)
		return;
	free(f->secret);
	free(f->source);
	free(f->path);
	free(f->before);
	free(f->after);
	free(f->positions);
	for (size_t i = 0; i < f->ndetails; i++) {
		free(f->details[i].key);
		free(f->details[i].value);
	}
	free(f->details);
	pl_validation_free(f->validation);
	free(f);
}

/* Bytes taken by the first n characters of s; an invalid byte is one
 * character, so hostile bytes cannot stretch the prefix. Counts characters
 * into *nchars when the string is shorter. */
static size_t utf8_prefix(const char *s, size_t len, size_t n, size_t *nchars)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, c = 0;
	while (i < len && c < n) {
		size_t k = pl_utf8_seq_len(u + i, len - i);
		i += k ? k : 1;
		c++;
	}
	*nchars = c;
	return i;
}

char *pl_finding_display_secret(const struct pl_finding *f, int show)
{
	if (show)
		return pl_escape(f->secret, f->secret_len);
	size_t nchars;
	(void)utf8_prefix(f->secret, f->secret_len, 2 * PL_REDACT_KEEP, &nchars);
	/* Short secrets would be nearly whole after 4 characters: keep half. */
	size_t keep = nchars < 2 * PL_REDACT_KEEP ? nchars / 2 : PL_REDACT_KEEP;
	size_t bytes = utf8_prefix(f->secret, f->secret_len, keep, &nchars);
	char *prefix = pl_escape(f->secret, bytes);
	char *out = pl_xasprintf("%s\u2026", prefix);
	free(prefix);
	return out;
}

char *pl_finding_location(const struct pl_finding *f)
{
	if (f->path && f->path[0])
		return pl_xasprintf("%s!/%s", f->source, f->path);
	return pl_xstrdup(f->source);
}

/* The digest only fails when OpenSSL cannot allocate: treat it as OOM. */
static void digest_failed(void)
{
	fprintf(stderr, "pkgleaks: SHA-256 failed (out of memory?)\n");
	abort();
}

void pl_fingerprint(const char *rule_id, const char *secret, size_t len, char out[65])
{
	/* Loaded only now: a scan that finds nothing never starts OpenSSL.
	 * Every finding is named by this hash, so without libcrypto none can be
	 * reported: a clear error, then out (from a worker thread too, without
	 * running exit handlers under the other threads' feet). */
	if (pl_dl_crypto() < 0) {
		fprintf(stderr, "pkgleaks: cannot fingerprint a finding: %s\n", pl_error_message());
		_exit(2);
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		digest_failed();
	int ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(ctx, rule_id, strlen(rule_id)) &&
		 EVP_DigestUpdate(ctx, ":", 1) && EVP_DigestUpdate(ctx, secret, len) &&
		 EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok || mdlen != 32)
		digest_failed();
	pl_hex_encode(md, mdlen, out);
}
