/* The tables of the libraries loaded on first use (dl/dl.h). */
#include <stdlib.h>

#include "dl/dl_crypto.h"
#include "dl/dl_curl.h"
#include "dl/dl_pq.h"
#include "dl/dl_mongoc.h"
#include "dl/dl_mariadb.h"
#include "dl/dl_hiredis.h"
#include "dl/dl_rabbitmq.h"
#include "dl/dl_ssl.h"
#include "pl_sonames.h"

/* OpenSSL picks its AVX-512 code on CPUs that have it (Poly1305, which
 * named a store's blobs until schema 6; AES-GCM), and those 512-bit multiplies lower the
 * core's clock for everything that runs after them: a -j1 scan of the
 * shared corpus into a store took ~217 ms CPU with it and ~193 ms with
 * AVX512F masked (its AVX2 code is used instead). OpenSSL reads
 * OPENSSL_ia32cap once, in libcrypto's ELF .init (OPENSSL_cpuid_setup), so
 * it must be in the environment before libcrypto is mapped: that is why
 * libcrypto is not linked, and why this runs before libcrypto is opened and
 * before every library that brings it in (libssl, libcurl, libpq, libmongoc,
 * libmariadb, librabbitmq). ":~0x10000" clears AVX512F in the capability
 * vector's second word. A value the user set is kept. pkgleaks sets it at
 * start-up (pl_dl_env_init, from main, before any thread); after that the
 * setenv here changes nothing, whichever thread loads a library. */
static void openssl_env(void)
{
	static int done;
	if (!done)
		setenv("OPENSSL_ia32cap", ":~0x10000", 0);
	done = 1;
}

void pl_dl_env_init(void)
{
	openssl_env();
}

struct pl_crypto_api pl_crypto_api;

#define SYM_CRYPTO(f) {#f, (void **)&pl_crypto_api.p_##f},
static const struct pl_dl_sym crypto_syms[] = {PL_CRYPTO_FUNCS(SYM_CRYPTO)};
static struct pl_dl_lib crypto_lib = {
	.what = "libcrypto",
	.soname = PL_SONAME_CRYPTO,
	.syms = crypto_syms,
	.n = sizeof(crypto_syms) / sizeof(crypto_syms[0]),
	.before_open = openssl_env,
};

int pl_dl_crypto(void)
{
	return pl_dl_load(&crypto_lib);
}

struct pl_ssl_api pl_ssl_api;

#define SYM_SSL(f) {#f, (void **)&pl_ssl_api.p_##f},
static const struct pl_dl_sym ssl_syms[] = {PL_SSL_FUNCS(SYM_SSL)};
static struct pl_dl_lib ssl_lib = {
	.what = "libssl",
	.soname = PL_SONAME_SSL,
	.syms = ssl_syms,
	.n = sizeof(ssl_syms) / sizeof(ssl_syms[0]),
	.before_open = openssl_env,
};

int pl_dl_ssl(void)
{
	int rc = pl_dl_crypto();
	return rc < 0 ? rc : pl_dl_load(&ssl_lib);
}

struct pl_curl_api pl_curl_api;

#define SYM_CURL(f) {#f, (void **)&pl_curl_api.p_##f},
static const struct pl_dl_sym curl_syms[] = {PL_CURL_FUNCS(SYM_CURL)};
static struct pl_dl_lib curl_lib = {
	.what = "libcurl",
	.soname = PL_SONAME_CURL,
	.syms = curl_syms,
	.n = sizeof(curl_syms) / sizeof(curl_syms[0]),
	.before_open = openssl_env, /* it brings libcrypto */
};

int pl_dl_curl(void)
{
	return pl_dl_load(&curl_lib);
}

struct pl_pq_api pl_pq_api;

#define SYM_PQ(f) {#f, (void **)&pl_pq_api.p_##f},
static const struct pl_dl_sym pq_syms[] = {PL_PQ_FUNCS(SYM_PQ)};
static struct pl_dl_lib pq_lib = {
	.what = "libpq",
	.soname = PL_SONAME_PQ,
	.syms = pq_syms,
	.n = sizeof(pq_syms) / sizeof(pq_syms[0]),
	.before_open = openssl_env, /* it brings libcrypto */
};

int pl_dl_pq(void)
{
	return pl_dl_load(&pq_lib);
}

struct pl_mongoc_api pl_mongoc_api;

#define SYM_MONGOC(f) {#f, (void **)&pl_mongoc_api.p_##f},
static const struct pl_dl_sym mongoc_syms[] = {PL_MONGOC_FUNCS(SYM_MONGOC)};
static struct pl_dl_lib mongoc_lib = {
	.what = "libmongoc",
	.soname = PL_SONAME_MONGOC,
	.syms = mongoc_syms,
	.n = sizeof(mongoc_syms) / sizeof(mongoc_syms[0]),
	.before_open = openssl_env, /* it brings libcrypto */
};

int pl_dl_mongoc(void)
{
	return pl_dl_load(&mongoc_lib);
}

struct pl_mariadb_api pl_mariadb_api;

#define SYM_MARIADB(f) {#f, (void **)&pl_mariadb_api.p_##f},
static const struct pl_dl_sym mariadb_syms[] = {PL_MARIADB_FUNCS(SYM_MARIADB)};
static struct pl_dl_lib mariadb_lib = {
	.what = "libmariadb",
	.soname = PL_SONAME_MARIADB,
	.syms = mariadb_syms,
	.n = sizeof(mariadb_syms) / sizeof(mariadb_syms[0]),
	.before_open = openssl_env, /* it brings libcrypto */
};

int pl_dl_mariadb(void)
{
	return pl_dl_load(&mariadb_lib);
}

struct pl_hiredis_api pl_hiredis_api;

#define SYM_HIREDIS(f) {#f, (void **)&pl_hiredis_api.p_##f},
static const struct pl_dl_sym hiredis_syms[] = {PL_HIREDIS_FUNCS(SYM_HIREDIS)};
static struct pl_dl_lib hiredis_lib = {
	.what = "libhiredis",
	.soname = PL_SONAME_HIREDIS,
	.syms = hiredis_syms,
	.n = sizeof(hiredis_syms) / sizeof(hiredis_syms[0]),
};

int pl_dl_hiredis(void)
{
	return pl_dl_load(&hiredis_lib);
}

struct pl_rabbitmq_api pl_rabbitmq_api;

#define SYM_RABBITMQ(f) {#f, (void **)&pl_rabbitmq_api.p_##f},
static const struct pl_dl_sym rabbitmq_syms[] = {PL_RABBITMQ_FUNCS(SYM_RABBITMQ)};
static struct pl_dl_lib rabbitmq_lib = {
	.what = "librabbitmq",
	.soname = PL_SONAME_RABBITMQ,
	.syms = rabbitmq_syms,
	.n = sizeof(rabbitmq_syms) / sizeof(rabbitmq_syms[0]),
	.before_open = openssl_env, /* it brings libcrypto */
};

int pl_dl_rabbitmq(void)
{
	return pl_dl_load(&rabbitmq_lib);
}
