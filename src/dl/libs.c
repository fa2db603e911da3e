/* The tables of the libraries loaded on first use (dl/dl.h). */
#include "dl/dl_curl.h"
#include "dl/dl_pq.h"
#include "dl/dl_mongoc.h"
#include "dl/dl_mariadb.h"
#include "dl/dl_hiredis.h"
#include "dl/dl_rabbitmq.h"
#include "pl_sonames.h"

struct pl_curl_api pl_curl_api;

#define SYM_CURL(f) {#f, (void **)&pl_curl_api.p_##f},
static const struct pl_dl_sym curl_syms[] = {PL_CURL_FUNCS(SYM_CURL)};
static struct pl_dl_lib curl_lib = {
	.what = "libcurl",
	.soname = PL_SONAME_CURL,
	.syms = curl_syms,
	.n = sizeof(curl_syms) / sizeof(curl_syms[0]),
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
};

int pl_dl_rabbitmq(void)
{
	return pl_dl_load(&rabbitmq_lib);
}
