/* The client libraries opened on first use (src/dl). */
#include <stdlib.h>

#include "dl/dl.h"
#include "dl/dl_crypto.h"
#include "dl/dl_hiredis.h"
#include "pkgleaks/error.h"
#include "test.h"

static void (*p_missing)(void);
static void (*p_exit)(void);

static void test_missing_library(void)
{
	const struct pl_dl_sym syms[] = {{"nothing", (void **)&p_missing}};
	struct pl_dl_lib lib = {.what = "libnothing", .soname = "libpkgleaks-nothing.so.9",
				.syms = syms, .n = 1};
	CHECK(pl_dl_load(&lib) == PL_ENOTFOUND);
	CHECK(strstr(pl_error_message(), "libnothing is not installed (libpkgleaks-nothing.so.9)"));
	pl_error_clear();
	/* The second call gives the same answer and message, without retrying. */
	CHECK(pl_dl_load(&lib) == PL_ENOTFOUND);
	CHECK(strstr(pl_error_message(), "libnothing is not installed"));
	CHECK(p_missing == NULL);
}

static void test_missing_symbol(void)
{
	const struct pl_dl_sym syms[] = {{"exit", (void **)&p_exit},
					 {"pkgleaks_no_such_function", (void **)&p_missing}};
	struct pl_dl_lib lib = {.what = "libc", .soname = "libc.so.6", .syms = syms, .n = 2};
	CHECK(pl_dl_load(&lib) == PL_ENOTFOUND);
	CHECK(strstr(pl_error_message(), "lacks pkgleaks_no_such_function"));
	CHECK(p_exit == NULL); /* nothing half-filled */
}

static void test_real_library(void)
{
	CHECK(pl_dl_hiredis() == 0);
	redisReader *r = redisReaderCreate();
	CHECK(r != NULL);
	CHECK(redisReaderFeed(r, "+OK\r\n", 5) == REDIS_OK);
	void *reply = NULL;
	CHECK(redisReaderGetReply(r, &reply) == REDIS_OK && reply != NULL);
	freeReplyObject(reply);
	redisReaderFree(r);
}

/* libcrypto is opened with AVX512F masked (dl/libs.c), unless the user
 * set the mask: then theirs stands. */
static void test_openssl_mask(void)
{
	const char *was = getenv("OPENSSL_ia32cap");
	char *before = was ? strdup(was) : NULL;
	pl_dl_env_init(); /* what main does first: the mask set, nothing loaded */
	CHECK(getenv("OPENSSL_ia32cap") &&
	      strcmp(getenv("OPENSSL_ia32cap"), before ? before : ":~0x10000") == 0);
	CHECK(pl_dl_crypto() == 0);
	const char *now = getenv("OPENSSL_ia32cap");
	CHECK(now && strcmp(now, before ? before : ":~0x10000") == 0);
	char want[128];
	snprintf(want, sizeof(want), "env:%s", now ? now : "");
	CHECK(strstr(OpenSSL_version(OPENSSL_CPU_INFO), want) != NULL);
	CHECK(pl_dl_crypto() == 0); /* once */
	free(before);
}

int main(void)
{
	test_missing_library();
	test_missing_symbol();
	test_real_library();
	test_openssl_mask();
	TEST_MAIN_END();
}
