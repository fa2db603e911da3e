/* libFuzzer target for what pkgleaks decodes from a secret a package holds,
 * before any issuer is asked: the offline inspectors (match/inspect.c: PyPI
 * macaroons, JWTs, AWS key ids, Discord tokens, private keys, GCP service
 * account files) and the database URI reader (validate/dburi.c) that a
 * validator connects with. The first byte picks the reader; the rest is the
 * secret. Checked: every detail an inspector keeps has a key and a value,
 * and the value is printable, valid UTF-8 (text output prints it as it is);
 * a parsed URI has a host and a port of at most 65535. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/inspect.h"
#include "util/escape.h"
#include "validate/validate_int.h"

static const char *const inspectors[] = {"pypi-macaroon", "aws-access-key-id",  "jwt",
					 "private-key",   "discord-bot-token", "gcp-service-account"};
#define NINSPECTORS (sizeof(inspectors) / sizeof(inspectors[0]))

static void check_printable(const char *what, const char *s)
{
	size_t n = strlen(s), ok = pl_utf8_printable_len(s, n);
	if (ok != n) {
		fprintf(stderr, "fuzz_inspect: %s: byte 0x%02x at %zu is not printable\n", what,
			(unsigned char)s[ok], ok);
		abort();
	}
}

static void run_inspector(const char *name, const char *secret, size_t len)
{
	struct pl_finding *f = calloc(1, sizeof(*f));
	if (!f)
		return;
	int keep = pl_inspect(name, secret, len, f);
	if (!keep && f->ndetails)
		abort(); /* a dropped finding carries nothing */
	for (size_t i = 0; i < f->ndetails; i++) {
		if (!f->details[i].key || !f->details[i].value)
			abort();
		check_printable(f->details[i].key, f->details[i].key);
		check_printable(f->details[i].key, f->details[i].value);
	}
	pl_finding_free(f);
}

static void run_dburi(const char *uri, size_t len)
{
	struct pl_dburi u;
	if (pl_dburi_parse(uri, len, &u) != 0)
		return;
	if (!u.scheme || !u.user || !u.password || !u.host || !u.host[0] || !u.path || !u.query ||
	    u.port > 65535)
		abort();
	free(pl_dburi_param(&u, "sslmode"));
	free(pl_dburi_param(&u, "authSource"));
	pl_dburi_release(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* The matcher hands over a span of its chunk, with no NUL after it: a
	 * copy of exactly its length makes a read past the end an ASan report. */
	char *secret = malloc(size - 1 ? size - 1 : 1);
	if (!secret)
		return 0;
	memcpy(secret, data + 1, size - 1);
	size_t which = data[0] % (NINSPECTORS + 1);
	if (which < NINSPECTORS)
		run_inspector(inspectors[which], secret, size - 1);
	else
		run_dburi(secret, size - 1);
	free(secret);
	return 0;
}
