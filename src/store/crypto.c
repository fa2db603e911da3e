/* Raw secret values at rest: AES-256-GCM under a key derived from
 * PKGLEAKS_KEY with PBKDF2-HMAC-SHA256 and a random per-store salt. A sealed
 * value is "v1:" + base64(nonce[12] | ciphertext | tag[16]); the secret's
 * fingerprint is the associated data, so a value moved to another row does
 * not open. The store's meta table keeps the salt, the KDF and a sealed
 * known text that tells a wrong key before anything is written with it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl/dl_crypto.h"
#include "pkgleaks/error.h"
#include "store/store_int.h"
#include "util/alloc.h"
#include "util/hex.h"

#define NONCE_LEN 12
#define TAG_LEN 16
#define SALT_LEN 16
/* OWASP's figure for PBKDF2-HMAC-SHA256 (2023); derived once per run. */
#define KDF_ITERATIONS 600000
#define SEALED_PREFIX "v1:"
#define CHECK_TEXT "pkgleaks key check"
#define CHECK_AAD "key-check"
/* Longest raw secret sealed (the scan caps secrets far below this). */
#define SEAL_MAX (1u << 20)

static char *b64(const unsigned char *data, size_t len)
{
	char *out = pl_xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

/* Decodes base64 into a new buffer; -1 when malformed. */
static int unb64(const char *s, unsigned char **out, size_t *len)
{
	size_t n = strlen(s);
	if (n % 4 || n > 4 * (size_t)SEAL_MAX)
		return -1;
	unsigned char *buf = pl_xmalloc(n / 4 * 3 + 1);
	int got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n);
	if (got < 0) {
		free(buf);
		return -1;
	}
	size_t pad = n >= 2 && s[n - 1] == '=' ? (s[n - 2] == '=' ? 2 : 1) : 0;
	*out = buf;
	*len = (size_t)got - pad;
	return 0;
}

static char *seal(const unsigned char key[32], const char *aad, const char *text, size_t len)
{
	if (len > SEAL_MAX)
		return NULL;
	size_t total = NONCE_LEN + len + TAG_LEN;
	unsigned char *buf = pl_xmalloc(total);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl = 0, finl = 0;
	int ok = c && RAND_bytes(buf, NONCE_LEN) == 1 &&
		 EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf) == 1 &&
		 EVP_EncryptUpdate(c, NULL, &outl, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
		 EVP_EncryptUpdate(c, buf + NONCE_LEN, &outl, (const unsigned char *)text, (int)len) == 1 &&
		 EVP_EncryptFinal_ex(c, buf + NONCE_LEN + outl, &finl) == 1 &&
		 EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, buf + NONCE_LEN + len) == 1;
	EVP_CIPHER_CTX_free(c);
	char *out = NULL;
	if (ok) {
		char *enc = b64(buf, total);
		out = pl_xasprintf(SEALED_PREFIX "%s", enc);
		free(enc);
	}
	OPENSSL_cleanse(buf, total);
	free(buf);
	return out;
}

/* Opens a sealed value: a new NUL-terminated buffer, or -1. */
static int unseal(const unsigned char key[32], const char *aad, const char *sealed, char **out,
		  size_t *outlen)
{
	unsigned char *buf = NULL;
	size_t n = 0;
	if (strncmp(sealed, SEALED_PREFIX, 3) != 0 || unb64(sealed + 3, &buf, &n) < 0)
		return -1;
	if (n < NONCE_LEN + TAG_LEN) {
		free(buf);
		return -1;
	}
	size_t len = n - NONCE_LEN - TAG_LEN;
	char *text = pl_xmalloc(len + 1);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl = 0, finl = 0;
	int ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf) == 1 &&
		 EVP_DecryptUpdate(c, NULL, &outl, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
		 EVP_DecryptUpdate(c, (unsigned char *)text, &outl, buf + NONCE_LEN, (int)len) == 1 &&
		 EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, buf + NONCE_LEN + len) == 1 &&
		 EVP_DecryptFinal_ex(c, (unsigned char *)text + outl, &finl) == 1;
	EVP_CIPHER_CTX_free(c);
	free(buf);
	if (!ok) {
		OPENSSL_cleanse(text, len);
		free(text);
		return -1;
	}
	text[len] = '\0';
	*out = text;
	*outlen = len;
	return 0;
}

char *pl_store_seal(const struct pl_store *st, const char *fingerprint, const char *secret,
		    size_t len)
{
	return st->unlocked ? seal(st->key, fingerprint, secret, len) : NULL; /* unlock loaded libcrypto */
}

/* ---- meta values ---- */

struct text_out {
	char *s;
};

static int take_text(void *ctx, size_t ncols, const char *const *v)
{
	struct text_out *t = ctx;
	if (!t->s && ncols > 0 && v[0])
		t->s = pl_xstrdup(v[0]);
	return 0;
}

/* The meta value for key, set to def first when there is none (the first
 * writer wins when several processes race). *out is owned by the caller. */
static int meta_get_or_set(struct pl_store *st, const char *key, const char *def, char **out)
{
	struct pl_sql_value p[] = {pl_sql_text(key), pl_sql_text(def)};
	struct text_out t = {NULL};
	int rc = pl_store_exec(st, "INSERT INTO meta (key, value) VALUES ($1, $2)"
				   " ON CONFLICT (key) DO NOTHING", p, 2);
	if (rc == 0)
		rc = pl_store_query(st, "SELECT value FROM meta WHERE key = $1", p, 1, take_text, &t);
	if (rc == 0 && !t.s)
		rc = pl_error_set(PL_EIO, "store: meta value %s missing after writing it", key);
	*out = t.s;
	return rc;
}

static char *hex(const unsigned char *b, size_t n)
{
	char *s = pl_xmalloc(2 * n + 1);
	pl_hex_encode(b, n, s);
	return s;
}

static int unhex(const char *s, unsigned char *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

static int derive(struct pl_store *st, const char *pass, const char *salt_hex, const char *kdf)
{
	unsigned char salt[SALT_LEN];
	long iter = 0;
	if (unhex(salt_hex, salt, SALT_LEN) < 0 || sscanf(kdf, "pbkdf2-sha256:%ld", &iter) != 1 ||
	    iter < 1000 || iter > 100000000)
		return pl_error_set(PL_EFORMAT, "store: unreadable key parameters in meta");
	if (PKCS5_PBKDF2_HMAC(pass, (int)strlen(pass), salt, SALT_LEN, (int)iter, EVP_sha256(),
			      (int)sizeof(st->key), st->key) != 1)
		return pl_error_set(PL_ERROR, "store: key derivation failed");
	return 0;
}

/* The first unlock seals the check text; every later one must open it. */
static int check_key(struct pl_store *st)
{
	char *mine = seal(st->key, CHECK_AAD, CHECK_TEXT, strlen(CHECK_TEXT));
	char *stored = NULL, *text = NULL;
	size_t len = 0;
	int rc = mine ? meta_get_or_set(st, "secrets_check", mine, &stored)
		      : pl_error_set(PL_ERROR, "store: cannot seal the key check");
	if (rc == 0 && (unseal(st->key, CHECK_AAD, stored, &text, &len) < 0 ||
			strcmp(text, CHECK_TEXT) != 0))
		rc = pl_error_set(PL_EINVAL, "PKGLEAKS_KEY is not the key this store's secrets "
					     "were sealed with");
	free(mine);
	free(stored);
	free(text);
	return rc;
}

int pl_store_unlock(struct pl_store *st, const char *passphrase)
{
	if (!passphrase || !passphrase[0])
		return pl_error_set(PL_EINVAL, "PKGLEAKS_KEY is not set: it is needed to keep or "
					       "read raw secrets");
	int lrc = pl_dl_crypto();
	if (lrc < 0)
		return lrc;
	unsigned char salt[SALT_LEN];
	if (RAND_bytes(salt, SALT_LEN) != 1)
		return pl_error_set(PL_ERROR, "no random bytes for the key salt");
	char *salt_hex = hex(salt, SALT_LEN), *stored_salt = NULL, *kdf = NULL;
	char default_kdf[40];
	snprintf(default_kdf, sizeof(default_kdf), "pbkdf2-sha256:%d", KDF_ITERATIONS);
	int rc = pl_store_begin(st);
	if (rc == 0)
		rc = meta_get_or_set(st, "secrets_salt", salt_hex, &stored_salt);
	if (rc == 0)
		rc = meta_get_or_set(st, "secrets_kdf", default_kdf, &kdf);
	if (rc == 0)
		rc = derive(st, passphrase, stored_salt, kdf);
	if (rc == 0)
		rc = check_key(st);
	if (rc == 0)
		rc = pl_store_commit(st);
	else if (st->in_tx)
		pl_store_rollback(st);
	st->unlocked = rc == 0;
	if (rc < 0)
		OPENSSL_cleanse(st->key, sizeof(st->key));
	free(salt_hex);
	free(stored_salt);
	free(kdf);
	return rc;
}

int pl_store_secret_reveal(struct pl_store *st, const char *fingerprint, char **out, size_t *len)
{
	if (!st->unlocked) /* else unlock loaded libcrypto */
		return pl_error_set(PL_EINVAL, "the store is locked: set PKGLEAKS_KEY");
	struct pl_sql_value p = pl_sql_text(fingerprint);
	struct text_out t = {NULL};
	int rc = pl_store_query(st, "SELECT sealed FROM secrets WHERE fingerprint = $1", &p, 1,
				take_text, &t);
	if (rc < 0)
		return rc;
	if (!t.s)
		return pl_error_set(PL_ENOTFOUND, "no raw value kept for %s", fingerprint);
	rc = unseal(st->key, fingerprint, t.s, out, len) < 0
		     ? pl_error_set(PL_EFORMAT, "the raw value of %s does not decrypt", fingerprint)
		     : 0;
	free(t.s);
	return rc;
}

/* ---- the blob key ---- */

int pl_store_blob_key(struct pl_store *st, unsigned char key[PL_BLOB_KEY_LEN])
{
	/* Read first: loading libcrypto and making random bytes (its DRBG)
	 * take about 2% of a scan of the corpus, and only the first scan into
	 * a store needs them here; the scan's workers load it in parallel. */
	struct pl_sql_value name = pl_sql_text("blob_key");
	struct text_out t = {NULL};
	int rc = pl_store_query(st, "SELECT value FROM meta WHERE key = $1", &name, 1, take_text, &t);
	if (rc == 0 && t.s) {
		if (unhex(t.s, key, PL_BLOB_KEY_LEN) < 0)
			rc = pl_error_set(PL_EFORMAT, "store: unreadable blob_key in meta");
		free(t.s);
		return rc;
	}
	free(t.s);
	int lrc = pl_dl_crypto();
	if (lrc < 0)
		return lrc;
	unsigned char fresh[PL_BLOB_KEY_LEN];
	if (RAND_bytes(fresh, sizeof(fresh)) != 1)
		return pl_error_set(PL_ERROR, "no random bytes for the blob key");
	char *fresh_hex = hex(fresh, sizeof(fresh)), *stored = NULL;
	rc = meta_get_or_set(st, "blob_key", fresh_hex, &stored);
	if (rc == 0 && unhex(stored, key, PL_BLOB_KEY_LEN) < 0)
		rc = pl_error_set(PL_EFORMAT, "store: unreadable blob_key in meta");
	OPENSSL_cleanse(fresh, sizeof(fresh));
	free(fresh_hex);
	free(stored);
	return rc;
}
