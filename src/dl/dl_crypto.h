/* libcrypto (OpenSSL), loaded on first use: fingerprints of findings,
 * blob ids and file hashes for a store, sealed secrets, request signing,
 * key inspection. See dl/dl.h, and docs/internals/dl.md for why OpenSSL is
 * not linked (its AVX-512 code, chosen in its ELF .init, slows the CPU for
 * everything after it; pl_dl_crypto() masks it first).
 *
 * Every OpenSSL header a consumer needs is included here, before the names
 * become macros: a consumer includes no <openssl/...> header of its own
 * (after this one, its prototypes would be rewritten into nonsense). */
#ifndef PL_DL_CRYPTO_H
#define PL_DL_CRYPTO_H

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "dl/dl.h"

#define PL_CRYPTO_FUNCS(X) \
	X(BIO_free) \
	X(BIO_new_mem_buf) \
	X(EC_curve_nid2nist) \
	X(ERR_clear_error) \
	X(EVP_CIPHER_CTX_ctrl) \
	X(EVP_CIPHER_fetch) \
	X(EVP_CIPHER_CTX_free) \
	X(EVP_CIPHER_CTX_new) \
	X(EVP_DecodeBlock) \
	X(EVP_DecryptFinal_ex) \
	X(EVP_DecryptInit_ex) \
	X(EVP_DecryptUpdate) \
	X(EVP_Digest) \
	X(EVP_DigestFinal_ex) \
	X(EVP_DigestInit_ex) \
	X(EVP_DigestInit_ex2) \
	X(EVP_DigestSign) \
	X(EVP_DigestSignInit) \
	X(EVP_DigestUpdate) \
	X(EVP_EncodeBlock) \
	X(EVP_EncryptFinal_ex) \
	X(EVP_EncryptInit_ex) \
	X(EVP_EncryptInit_ex2) \
	X(EVP_EncryptUpdate) \
	X(EVP_MD_CTX_free) \
	X(EVP_MD_CTX_new) \
	X(EVP_MD_fetch) \
	X(EVP_PKEY_free) \
	X(EVP_PKEY_get0_type_name) \
	X(EVP_PKEY_get_base_id) \
	X(EVP_PKEY_get_bits) \
	X(EVP_PKEY_get_group_name) \
	X(EVP_aes_256_gcm) \
	X(EVP_sha1) \
	X(EVP_sha256) \
	X(EVP_sha512) \
	X(HMAC) \
	X(OBJ_sn2nid) \
	X(OPENSSL_cleanse) \
	X(OpenSSL_version) \
	X(PEM_read_bio_PrivateKey) \
	X(PKCS5_PBKDF2_HMAC) \
	X(RAND_bytes)

struct pl_crypto_api {
	PL_CRYPTO_FUNCS(PL_DL_FIELD)
};
extern struct pl_crypto_api pl_crypto_api;

/* Loads libcrypto (once), OPENSSL_ia32cap set first (libs.c says why); 0,
 * or PL_ENOTFOUND with the message set. */
int pl_dl_crypto(void);

#define BIO_free (pl_crypto_api.p_BIO_free)
#define BIO_new_mem_buf (pl_crypto_api.p_BIO_new_mem_buf)
#define EC_curve_nid2nist (pl_crypto_api.p_EC_curve_nid2nist)
#define ERR_clear_error (pl_crypto_api.p_ERR_clear_error)
#define EVP_CIPHER_CTX_ctrl (pl_crypto_api.p_EVP_CIPHER_CTX_ctrl)
#define EVP_CIPHER_fetch (pl_crypto_api.p_EVP_CIPHER_fetch)
#define EVP_CIPHER_CTX_free (pl_crypto_api.p_EVP_CIPHER_CTX_free)
#define EVP_CIPHER_CTX_new (pl_crypto_api.p_EVP_CIPHER_CTX_new)
#define EVP_DecodeBlock (pl_crypto_api.p_EVP_DecodeBlock)
#define EVP_DecryptFinal_ex (pl_crypto_api.p_EVP_DecryptFinal_ex)
#define EVP_DecryptInit_ex (pl_crypto_api.p_EVP_DecryptInit_ex)
#define EVP_DecryptUpdate (pl_crypto_api.p_EVP_DecryptUpdate)
#define EVP_Digest (pl_crypto_api.p_EVP_Digest)
#define EVP_DigestFinal_ex (pl_crypto_api.p_EVP_DigestFinal_ex)
#define EVP_DigestInit_ex (pl_crypto_api.p_EVP_DigestInit_ex)
#define EVP_DigestInit_ex2 (pl_crypto_api.p_EVP_DigestInit_ex2)
#define EVP_DigestSign (pl_crypto_api.p_EVP_DigestSign)
#define EVP_DigestSignInit (pl_crypto_api.p_EVP_DigestSignInit)
#define EVP_DigestUpdate (pl_crypto_api.p_EVP_DigestUpdate)
#define EVP_EncodeBlock (pl_crypto_api.p_EVP_EncodeBlock)
#define EVP_EncryptFinal_ex (pl_crypto_api.p_EVP_EncryptFinal_ex)
#define EVP_EncryptInit_ex (pl_crypto_api.p_EVP_EncryptInit_ex)
#define EVP_EncryptInit_ex2 (pl_crypto_api.p_EVP_EncryptInit_ex2)
#define EVP_EncryptUpdate (pl_crypto_api.p_EVP_EncryptUpdate)
#define EVP_MD_CTX_free (pl_crypto_api.p_EVP_MD_CTX_free)
#define EVP_MD_CTX_new (pl_crypto_api.p_EVP_MD_CTX_new)
#define EVP_MD_fetch (pl_crypto_api.p_EVP_MD_fetch)
#define EVP_PKEY_free (pl_crypto_api.p_EVP_PKEY_free)
#define EVP_PKEY_get0_type_name (pl_crypto_api.p_EVP_PKEY_get0_type_name)
#define EVP_PKEY_get_base_id (pl_crypto_api.p_EVP_PKEY_get_base_id)
#define EVP_PKEY_get_bits (pl_crypto_api.p_EVP_PKEY_get_bits)
#define EVP_PKEY_get_group_name (pl_crypto_api.p_EVP_PKEY_get_group_name)
#define EVP_aes_256_gcm (pl_crypto_api.p_EVP_aes_256_gcm)
#define EVP_sha1 (pl_crypto_api.p_EVP_sha1)
#define EVP_sha256 (pl_crypto_api.p_EVP_sha256)
#define EVP_sha512 (pl_crypto_api.p_EVP_sha512)
#define HMAC (pl_crypto_api.p_HMAC)
#define OBJ_sn2nid (pl_crypto_api.p_OBJ_sn2nid)
#define OPENSSL_cleanse (pl_crypto_api.p_OPENSSL_cleanse)
#define OpenSSL_version (pl_crypto_api.p_OpenSSL_version)
#define PEM_read_bio_PrivateKey (pl_crypto_api.p_PEM_read_bio_PrivateKey)
#define PKCS5_PBKDF2_HMAC (pl_crypto_api.p_PKCS5_PBKDF2_HMAC)
#define RAND_bytes (pl_crypto_api.p_RAND_bytes)

#endif
