/* Unit tests for the offline inspectors (match/inspect.h).
 *
 * Every vector was made for this file: PyPI macaroons built by hand in the
 * v2 binary layout (a throwaway python script: version byte 2, packets of
 * varint type + varint length + data, caveats as warehouse serialises
 * them), JWTs from python base64 + json, keys from `openssl genpkey` and
 * `ssh-keygen -N ''` (throwaway keys generated for these tests, never used
 * anywhere), AWS key ids whose account python computed with the published
 * formula. Hostile inputs (cut at every length, random bytes, huge length
 * fields) must neither crash nor leak (run under ASan + UBSan). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl/dl_crypto.h"
#include "match/inspect.h"
#include "test.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/escape.h"

/* Runs an inspector; *keep gets its verdict; details as "k=v; k=v". */
static char *inspect(const char *name, const char *secret, size_t len, int *keep)
{
	struct pl_finding *f = pl_xcalloc(1, sizeof(*f));
	*keep = pl_inspect(name, secret, len, f);
	struct pl_buf b;
	pl_buf_init(&b, 0);
	for (size_t i = 0; i < f->ndetails; i++) {
		(void)pl_buf_appendf(&b, "%s%s=%s", i ? "; " : "", f->details[i].key,
				     f->details[i].value);
		/* Details are printed as they are: printable UTF-8, no control bytes. */
		size_t n = strlen(f->details[i].value);
		CHECK(pl_utf8_printable_len(f->details[i].value, n) == n);
	}
	pl_finding_free(f);
	return pl_buf_detach(&b);
}

#define CHECK_KEEP(name, secret, want)                                                   \
	do {                                                                             \
		int keep_;                                                               \
		char *got_ = inspect((name), (secret), strlen(secret), &keep_);          \
		if (!keep_)                                                              \
			fprintf(stderr, "%s:%d: %s rejected its input\n", __FILE__,      \
				__LINE__, (name));                                       \
		CHECK(keep_ == 1);                                                       \
		CHECK_STR(got_, (want));                                                 \
		free(got_);                                                              \
	} while (0)

#define CHECK_DROP(name, secret, len)                                                    \
	do {                                                                             \
		int keep_;                                                               \
		char *got_ = inspect((name), (secret), (len), &keep_);                   \
		if (keep_)                                                               \
			fprintf(stderr, "%s:%d: %s kept it: \"%s\"\n", __FILE__,         \
				__LINE__, (name), got_);                                 \
		CHECK(keep_ == 0);                                                       \
		CHECK_STR(got_, "");                                                     \
		free(got_);                                                              \
	} while (0)

/* Cuts s at every length and flips each byte: nothing may crash or read
 * past the end (the copy is exactly n bytes, so ASan sees any overread). */
static void hostile_prefixes(const char *name, const char *s)
{
	size_t len = strlen(s);
	for (size_t n = 0; n <= len; n++) {
		char *cut = pl_xmalloc(n ? n : 1);
		memcpy(cut, s, n);
		int keep;
		free(inspect(name, cut, n, &keep));
		if (n < len) {
			memcpy(cut, s, n);
			if (n)
				cut[n - 1] ^= 0x5a;
			free(inspect(name, cut, n, &keep));
		}
		free(cut);
	}
}

/* base64url without padding, as tokens carry it. */
static char *b64url(const unsigned char *data, size_t n)
{
	char *out = pl_xmalloc(4 * ((n + 2) / 3) + 1);
	int len = EVP_EncodeBlock((unsigned char *)out, data, (int)n);
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
}

static char *pypi_token(const unsigned char *mac, size_t n)
{
	char *b = b64url(mac, n);
	char *t = pl_xasprintf("pypi-%s", b);
	free(b);
	return t;
}

/* ---- the table ---- */

static void test_known(void)
{
	static const char *const names[] = { "pypi-macaroon",	"aws-access-key-id",
					     "jwt",		"private-key",
					     "discord-bot-token", "gcp-service-account" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK(pl_inspect_known(names[i]));
	CHECK(!pl_inspect_known("no-such-inspector"));
	CHECK(!pl_inspect_known(""));
	CHECK(!pl_inspect_known(NULL));
	/* Unknown or absent inspector: kept, nothing added. */
	CHECK_KEEP("no-such-inspector", "whatever", "");
	int keep;
	struct pl_finding f = { 0 };
	CHECK(pl_inspect(NULL, "x", 1, &f) == 1 && f.ndetails == 0);
	/* Over the input cap: kept untouched, even by a rejecting inspector. */
	size_t big = 70 * 1024;
	char *huge = pl_xmalloc(big);
	memset(huge, '!', big);
	char *got = inspect("jwt", huge, big, &keep);
	CHECK(keep == 1);
	CHECK_STR(got, "");
	free(got);
	free(huge);
	/* A rejected finding loses what the inspector added, not what it had. */
	struct pl_finding *g = pl_xcalloc(1, sizeof(*g));
	pl_finding_add_detail(g, "before", "kept");
	CHECK(pl_inspect("jwt", "eyJhbGciOiJIUzI1NiJ9.WzEsMiwzXQ.c2ln", 35, g) == 0);
	CHECK(g->ndetails == 1);
	pl_finding_free(g);
}

/* ---- PyPI ---- */

#define PYPI_CORPUS                                                                      \
	"pypi-AgEIcHlwaS5vcmcCOHsibm9uY2UiOiJhNzFkZDRiZmE4NGRlODExMDg5YTFlMmQ2ZjIwZDQ0ZSIs" \
	"InZlcnNpb24iOjF9AAIleyJwZXJtaXNzaW9ucyI6ICJ1c2VyIiwgInZlcnNpb24iOiAxfQAABiDpmVjw1s0C" \
	"6QO6SvaERolnXpJVyTqDVGOM_hdMZ9HCGw"
/* [0, 2100-01-01, nbf], [1, ["requests", "urllib3"]], [2, [id]] */
#define PYPI_PROJECTS                                                                    \
	"pypi-AgEIcHlwaS5vcmcCJDRmNmIyYTFlLThjM2QtNGU1Zi05YTBiLTFjMmQzZTRmNWE2YgACGVswLDQx" \
	"MDI0NDQ4MDAsMTcwMDAwMDAwMF0AAhpbMSxbInJlcXVlc3RzIiwidXJsbGliMyJdXQACLFsyLFsiMGI3ZjNj" \
	"MWUtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAxIl1dAAAGIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZ" \
	"GhscHR4f"
/* [3, user], [0, 2020-01-01, nbf] */
#define PYPI_ACCOUNT                                                                     \
	"pypi-AgEIcHlwaS5vcmcCJDRmNmIyYTFlLThjM2QtNGU1Zi05YTBiLTFjMmQzZTRmNWE2YgACKlszLCI5" \
	"ZTFkMmMzYi1hYWFhLTRiYmItOGNjYy1kZGRkZGRkZGRkZGQiXQACGVswLDE1Nzc4MzY4MDAsMTU3NzgwMDAw" \
	"MF0AAAYgAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
/* test.pypi.org, legacy {"version":1,"permissions":{"projects":["foo-bar"]}} */
#define PYPI_LEGACY_TEST                                                                 \
	"pypi-AgENdGVzdC5weXBpLm9yZwIbeyJub25jZSI6ImFiYyIsInZlcnNpb24iOjF9AAI0eyJ2ZXJzaW9u" \
	"IjoxLCJwZXJtaXNzaW9ucyI6eyJwcm9qZWN0cyI6WyJmb28tYmFyIl19fQAABiAAAQIDBAUGBwgJCgsMDQ4P" \
	"EBESExQVFhcYGRobHB0eHw"
/* [4, publisher], [0, 2100-01-01, nbf] */
#define PYPI_OIDC                                                                        \
	"pypi-AgEIcHlwaS5vcmcCJDRmNmIyYTFlLThjM2QtNGU1Zi05YTBiLTFjMmQzZTRmNWE2YgACKls0LCIx" \
	"MTExMTExMS0yMjIyLTMzMzMtNDQ0NC01NTU1NTU1NTU1NTUiXQACGVswLDQxMDI0NDQ4MDAsMTcwMDAwMDAw" \
	"MF0AAAYgAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
/* {"foo":1} (unknown), [3, "u"] */
#define PYPI_UNKNOWN                                                                     \
	"pypi-AgEIcHlwaS5vcmcCJDRmNmIyYTFlLThjM2QtNGU1Zi05YTBiLTFjMmQzZTRmNWE2YgACCXsiZm9v" \
	"IjoxfQACB1szLCJ1Il0AAAYgAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
/* [1, ["p00" .. "p14"]] */
#define PYPI_MANY                                                                        \
	"pypi-AgEIcHlwaS5vcmcCJDRmNmIyYTFlLThjM2QtNGU1Zi05YTBiLTFjMmQzZTRmNWE2YgACX1sxLFsi" \
	"cDAwIiwicDAxIiwicDAyIiwicDAzIiwicDA0IiwicDA1IiwicDA2IiwicDA3IiwicDA4IiwicDA5IiwicDEw" \
	"IiwicDExIiwicDEyIiwicDEzIiwicDE0Il1dAAAGIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
/* [1, ["evil\x1b[31m"]] */
#define PYPI_CTRL                                                                        \
	"pypi-AgEIcHlwaS5vcmcCJDRmNmIyYTFlLThjM2QtNGU1Zi05YTBiLTFjMmQzZTRmNWE2YgACFlsxLFsi" \
	"ZXZpbFx1MDAxYlszMW0iXV0AAAYgAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
/* [1, ["a"]], then nothing after the caveats: no signature */
#define PYPI_NOSIG                                                                       \
	"pypi-AgEIcHlwaS5vcmcCJDRmNmIyYTFlLThjM2QtNGU1Zi05YTBiLTFjMmQzZTRmNWE2YgACCVsxLFsi" \
	"YSJdXQAA"

static void test_pypi(void)
{
	CHECK_KEEP("pypi-macaroon", PYPI_CORPUS, "location=pypi.org; scope=account");
	CHECK_KEEP("pypi-macaroon", PYPI_PROJECTS,
		   "location=pypi.org; scope=projects: requests, urllib3; "
		   "expires=2100-01-01T00:00:00Z; expired=no");
	CHECK_KEEP("pypi-macaroon", PYPI_ACCOUNT,
		   "location=pypi.org; scope=account; expires=2020-01-01T00:00:00Z; expired=yes");
	CHECK_KEEP("pypi-macaroon", PYPI_LEGACY_TEST, "location=test.pypi.org; scope=projects: foo-bar");
	CHECK_KEEP("pypi-macaroon", PYPI_OIDC,
		   "location=pypi.org; scope=trusted publisher; expires=2100-01-01T00:00:00Z; "
		   "expired=no");
	CHECK_KEEP("pypi-macaroon", PYPI_UNKNOWN, "location=pypi.org; scope=account; unknown_caveats=1");
	/* Only a caveat we cannot read: it may restrict anything. */
	static const unsigned char only_unknown[] = "\x02\x02\x04uuid\x00\x02\x09{\"foo\":1}\x00\x00\x06\x01x";
	char *tok = pypi_token(only_unknown, sizeof(only_unknown) - 1);
	CHECK_KEEP("pypi-macaroon", tok, "scope=unknown; unknown_caveats=1");
	free(tok);
	CHECK_KEEP("pypi-macaroon", PYPI_MANY,
		   "location=pypi.org; scope=projects: p00, p01, p02, p03, p04, p05, p06, p07, "
		   "p08, p09, \u2026 (5 more)");
	CHECK_KEEP("pypi-macaroon", PYPI_CTRL, "location=pypi.org; scope=projects: evil\\x1b[31m");
	CHECK_KEEP("pypi-macaroon", PYPI_NOSIG, "location=pypi.org; scope=projects: a; truncated=yes");
	/* Without the prefix (a rule that captures only the body). */
	CHECK_KEEP("pypi-macaroon", &PYPI_CORPUS[5], "location=pypi.org; scope=account");
	/* Cut inside the first caveat: the header is enough to keep it, and
	 * the scope is unknown rather than "account". */
	CHECK_KEEP("pypi-macaroon",
		   "pypi-AgEIcHlwaS5vcmcCOHsibm9uY2UiOiJhNzFkZDRiZmE4NGRlODExMDg5YTFlMmQ2ZjIwZDQ0ZSIs"
		   "InZlcnNpb24iOjF9AAI",
		   "location=pypi.org; scope=unknown; truncated=yes");

	/* Not macaroons. */
	CHECK_DROP("pypi-macaroon", "", 0);
	CHECK_DROP("pypi-macaroon", "pypi-", 5);
	CHECK_DROP("pypi-macaroon", "pypi-!!!!", 9);
	/* version byte 1 */
	CHECK_DROP("pypi-macaroon", "pypi-AQEIcHlwaS5vcmcCJDRmNmIyYTFlLThjM2QtNGU1Zi05YTBiLTFjMmQzZTRmNWE2YgAABiAA", 78);
	/* location, then EOS: no identifier */
	CHECK_DROP("pypi-macaroon", "pypi-AgEIcHlwaS5vcmcAAA", 23);
	/* identifier of 2^62 bytes */
	CHECK_DROP("pypi-macaroon", "pypi-AgEIcHlwaS5vcmcCgICAgICAgIBAYWJj", 37);
	/* a varint that never ends */
	CHECK_DROP("pypi-macaroon", "pypi-AgH_______________8", 24);
	/* a binary identifier: random bytes after a copied prefix */
	const char *binid = "pypi-AgEIcHlwaS5vcmcCJMjJysvMzc7P0NHS09TV1tfY2drb3N3e3-Dh4uPk5ebn6Onq6wAABiAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHw";
	CHECK_DROP("pypi-macaroon", binid, strlen(binid));
	/* The research note's TruffleHog prefix followed by filler. */
	const char *filler = "pypi-AgEIcHlwaS5vcmcCJxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	CHECK_DROP("pypi-macaroon", filler, strlen(filler));

	/* 1000 caveats: only the first PL_INSPECT_MAX_CAVEATS are read. */
	struct pl_buf b;
	pl_buf_init(&b, 0);
	static const char head[] = "\x02\x01\x08pypi.org\x02\x04uuid\x00";
	(void)pl_buf_append(&b, head, sizeof(head) - 1);
	for (int i = 0; i < 1000; i++)
		(void)pl_buf_append(&b, "\x02\x07[3,\"u\"]\x00", 10);
	(void)pl_buf_append(&b, "\x00", 1);
	tok = pypi_token((const unsigned char *)b.data, b.len);
	CHECK_KEEP("pypi-macaroon", tok, "location=pypi.org; scope=account; truncated=yes");
	free(tok);
	pl_buf_release(&b);
	/* A caveat that is deeply nested JSON. */
	pl_buf_init(&b, 0);
	static const char deep[] = "\x02\x02\x04uuid\x00\x02\xa0\x1f"; /* caveat of 4000 bytes */
	(void)pl_buf_append(&b, deep, sizeof(deep) - 1);
	for (int i = 0; i < 4000; i++)
		(void)pl_buf_append(&b, "[", 1);
	(void)pl_buf_append(&b, "\x00\x00", 2);
	tok = pypi_token((const unsigned char *)b.data, b.len);
	CHECK_KEEP("pypi-macaroon", tok, "scope=unknown; unknown_caveats=1; truncated=yes");
	free(tok);
	pl_buf_release(&b);

	hostile_prefixes("pypi-macaroon", PYPI_PROJECTS);
	hostile_prefixes("pypi-macaroon", PYPI_CORPUS);
}

/* ---- AWS ---- */

static void test_aws(void)
{
	/* The corpus's two key ids; accounts from python with the formula. */
	CHECK_KEEP("aws-access-key-id", "ASIATYNN33BD2LG6XBHX",
		   "key_type=temporary access key (STS); account=258599540807");
	CHECK_KEEP("aws-access-key-id", "AKIA4VP3AYTIY6O52WDU",
		   "key_type=long-term access key; account=870794183889");
	/* The worked example in Tal Beery's "A short note on AWS KEY ID". */
	CHECK_KEEP("aws-access-key-id", "ASIAY34FZKBOKMUTVV7A",
		   "key_type=temporary access key (STS); account=609629065308");
	/* Built for account 052310077262, a canarytokens.org account. */
	CHECK_KEEP("aws-access-key-id", "AKIAAYLPMN5HKUISEM2E",
		   "key_type=long-term access key; account=052310077262; canary=yes");
	CHECK_KEEP("aws-access-key-id", "ABIABZPUZDIKKUISEM2E",
		   "key_type=STS service bearer token; account=123456789012");
	CHECK_KEEP("aws-access-key-id", "ACCABZPUZDIKKUISEM2E",
		   "key_type=context-specific credential; account=123456789012");
	/* Legacy AKIAI/AKIAJ ids carry no account. */
	CHECK_KEEP("aws-access-key-id", "AKIAIOSFODNN7EXAMPLE", "key_type=long-term access key");
	CHECK_KEEP("aws-access-key-id", "AKIAJ2345672345672ZZ", "key_type=long-term access key");
	/* Not base32 (0, 1, 8, 9): no account, still kept. */
	CHECK_KEEP("aws-access-key-id", "AKIA0000111188889999", "key_type=long-term access key");
	/* A3T…: no known type; wrong lengths: nothing. */
	CHECK_KEEP("aws-access-key-id", "A3TXBZPUZDIKKUISEM2E", "account=123456789012");
	/* An id paired with its secret key, as the paired rules report it. */
	CHECK_KEEP("aws-access-key-id", "AKIA4VP3AYTIY6O52WDU:LVNc0mnNzc5h0+7AjaKdVNjC+yoVY7rSYpGppkQY",
		   "key_type=long-term access key; account=870794183889");
	CHECK_KEEP("aws-access-key-id", "AKIA4VP3AYTIY6O52WDUX:LVNc0mnNzc5h0", "");
	CHECK_KEEP("aws-access-key-id", "AKIA123", "");
	CHECK_KEEP("aws-access-key-id", "AKIAAYLPMN5HKUISEM2EXX", "");
	hostile_prefixes("aws-access-key-id", "AKIAAYLPMN5HKUISEM2E");
}

/* ---- JWT ---- */

#define JWT_HS256                                                                        \
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5jb20i" \
	"LCJzdWIiOiJ1c2VyLTQyIiwiYXVkIjoiYXBpIiwiaWF0IjoxNjAwMDAwMDAwLCJleHAiOjE2MDAwMDM2MDB9" \
	".c2lnLWJ5dGVzLWhlcmUteHg"
/* sub of 100 x, aud ["a","b"], exp 4102444800.5 (fractional NumericDate) */
#define JWT_RS256                                                                        \
	"eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4" \
	"eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4" \
	"eHh4eHh4eHh4eHh4IiwiYXVkIjpbImEiLCJiIl0sImV4cCI6NDEwMjQ0NDgwMC41fQ.c2ln"
/* The corpus's JWT (fake, HS256). */
#define JWT_CORPUS                                                                       \
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJlNDk3MzA0OS1mZWRmLTQ0MzMtYjUwYS0x" \
	"NWVhODU4MGJjYjEiLCJuYW1lIjoiT3JiaXQiLCJyb2xlIjoic2VydmljZSIsImlhdCI6MTYxNDE3MDA4NSwi" \
	"ZXhwIjoxNjQ1NzA2MDg1fQ.ZN0poIP5BZlyfwsxlusZgBy3Hyi_TY7d0Ebhp8RYtUc"

static void test_jwt(void)
{
	CHECK_KEEP("jwt", JWT_HS256,
		   "alg=HS256; typ=JWT; iss=https://auth.example.com; sub=user-42; aud=api; "
		   "iat=2020-09-13T12:26:40Z; exp=2020-09-13T13:26:40Z; expired=yes");
	CHECK_KEEP("jwt", JWT_RS256,
		   "alg=RS256; sub=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\u2026; "
		   "aud=a, b; exp=2100-01-01T00:00:00Z; expired=no");
	CHECK_KEEP("jwt", JWT_CORPUS,
		   "alg=HS256; typ=JWT; sub=e4973049-fedf-4433-b50a-15ea8580bcb1; "
		   "iat=2021-02-24T12:34:45Z; exp=2022-02-24T12:34:45Z; expired=yes");
	/* alg none, empty signature, a control byte and UTF-8 in a claim. */
	CHECK_KEEP("jwt", "eyJhbGciOiJub25lIn0.eyJpc3MiOiJhXHUwMDAxYlx1MDBlOSJ9.",
		   "alg=none; iss=a\\x01b\u00e9");
	/* Padding is tolerated. */
	CHECK_KEEP("jwt", "eyJhbGciOiJub25lIn0=.eyJhIjoxfQ==.", "alg=none");

	/* Parts that are not JSON objects. */
	CHECK_DROP("jwt", "eyJhbGciOiJIUzI1NiJ9.WzEsMiwzXQ.c2ln", 35);         /* payload [1,2,3] */
	CHECK_DROP("jwt", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24gYXQgYWxs.c2ln", 45); /* "not json at all" */
	CHECK_DROP("jwt", "ImV5SiI.eyJhIjoxfQ.sig", 22);                         /* header "eyJ" */
	CHECK_DROP("jwt", "eyJhbGciOiJIUzI1NiJ9", 20);                          /* no payload */
	CHECK_DROP("jwt", "eyJ!!!.eyJhIjoxfQ.sig", 21);
	CHECK_DROP("jwt", ".", 1);
	CHECK_DROP("jwt", "", 0);
	hostile_prefixes("jwt", JWT_HS256);
}

/* ---- Discord ---- */

#define DISCORD_CORPUS "Mjk2MTQyNjAzOTMxMjAyNjg1.YWbtqB.OuQAyabVouo0_USkLllybQ7tuOfMOHZpQDEnII"

static void test_discord(void)
{
	CHECK_KEEP("discord-bot-token", DISCORD_CORPUS,
		   "bot_id=296142603931202685; bot_created=2017-03-28T04:44:58Z");
	CHECK_KEEP("discord-bot-token", "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA.YWbtqB.x",
		   "bot_id=12345678901234567890; bot_created=2108-04-10T14:00:21Z");
	/* base64 of letters; of 16 digits; of 20 nines (past 2^64). */
	CHECK_DROP("discord-bot-token", "YWJjZGVmZ2hpamtsbW5vcHFy.YWbtqB.OuQAyabVouo0_USkLllybQ7tuOfMOHZpQDEnII", 70);
	CHECK_DROP("discord-bot-token", "MTIzNDU2Nzg5MDEyMzQ1Ng.YWbtqB.OuQAyabVouo0_USkLllybQ7tuOfMOHZpQDEnII", 68);
	CHECK_DROP("discord-bot-token", "OTk5OTk5OTk5OTk5OTk5OTk5OTk.YWbtqB.x", 36);
	CHECK_DROP("discord-bot-token", "!!!!!!!!!!!!!!!!!!!!!!!!.YWbtqB.x", 33);
	CHECK_DROP("discord-bot-token", "", 0);
	hostile_prefixes("discord-bot-token", DISCORD_CORPUS);
}

/* ---- private keys ---- */

static const char RSA_PKCS1[] =
	"-----BEGIN RSA PRIVATE KEY-----\n"
	"MIICXAIBAAKBgQDxQ7togU9MPLLDzb+jcvbBE8yTBgiFoV5dePk8+XHiSeZH7R1+\n"
	"xJalcFD2yRuHxMoxkaMwdXi/SqaHTb4V91E3kAunUi47MeOOCDk8RuMgtUvxyo1o\n"
	"4z2TkVJphD65wbK+2MRcmArrn+xR5QAuY5VEsfGTV0swsLYns21w2GvCOQIDAQAB\n"
	"AoGAMG99n0RejBqfdOnIcGLzIN39swKCEXnM/Qz9VH1rnJdjcMssobeL2tjKmFDV\n"
	"gxNB2GO5lE/xFs5A0mcMI1LMbexhDWTmuCaTAINNNn+f9fq6K7Xx21S9dCquwtHx\n"
	"3eNqw3yDhhqlLFELQ/C+tJmgtcXGn46ndwxP2fJfF++LojUCQQD91pKarVnbSqZl\n"
	"Ifmw6zcSbSJidHTjdn0zPv5fpDGScevbfSBOqhWZsJrGcTeyRCY2QluvlAhzhWW4\n"
	"RHkZv6vTAkEA81G++CNx9XaejKlyZUb5tsquyz2u5QIzVjdsm6ZOkOCcDlKbI0aC\n"
	"0hOJRxhOYVxWkbPSgrUKyPRReXnnfErOQwJAWvxFkmHemob4e7mg6XR2SgmKUKYT\n"
	"m9DF8c97mEafajGhbAw+v1Oh6HPwFn9Qinp5A+vnN1klalr/afxJOByG9wJBALoO\n"
	"7lrMr92lgQPKpsEvDtBqGFMtrclMb3kkFJbJCxbZyjthi2PkDTEa40RMH9NvSntL\n"
	"6FMuoTqdKJgdUZfHlAUCQH9s5VC9b1x75KCJ4/s3N2aR0K0/yJDBN8Xs1FqKQaQa\n"
	"BCY3VaRE2QA+EcIx6TYBh5mAF81d4X4Y1XgVjHv9trU=\n"
	"-----END RSA PRIVATE KEY-----\n"
	;
static const char RSA_PKCS8[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAPFDu2iBT0w8ssPN\n"
	"v6Ny9sETzJMGCIWhXl14+Tz5ceJJ5kftHX7ElqVwUPbJG4fEyjGRozB1eL9KpodN\n"
	"vhX3UTeQC6dSLjsx444IOTxG4yC1S/HKjWjjPZORUmmEPrnBsr7YxFyYCuuf7FHl\n"
	"AC5jlUSx8ZNXSzCwtiezbXDYa8I5AgMBAAECgYAwb32fRF6MGp906chwYvMg3f2z\n"
	"AoIRecz9DP1UfWucl2Nwyyyht4va2MqYUNWDE0HYY7mUT/EWzkDSZwwjUsxt7GEN\n"
	"ZOa4JpMAg002f5/1+rortfHbVL10Kq7C0fHd42rDfIOGGqUsUQtD8L60maC1xcaf\n"
	"jqd3DE/Z8l8X74uiNQJBAP3WkpqtWdtKpmUh+bDrNxJtImJ0dON2fTM+/l+kMZJx\n"
	"69t9IE6qFZmwmsZxN7JEJjZCW6+UCHOFZbhEeRm/q9MCQQDzUb74I3H1dp6MqXJl\n"
	"Rvm2yq7LPa7lAjNWN2ybpk6Q4JwOUpsjRoLSE4lHGE5hXFaRs9KCtQrI9FF5eed8\n"
	"Ss5DAkBa/EWSYd6ahvh7uaDpdHZKCYpQphOb0MXxz3uYRp9qMaFsDD6/U6Hoc/AW\n"
	"f1CKenkD6+c3WSVqWv9p/Ek4HIb3AkEAug7uWsyv3aWBA8qmwS8O0GoYUy2tyUxv\n"
	"eSQUlskLFtnKO2GLY+QNMRrjREwf029Ke0voUy6hOp0omB1Rl8eUBQJAf2zlUL1v\n"
	"XHvkoInj+zc3ZpHQrT/IkME3xezUWopBpBoEJjdVpETZAD4RwjHpNgGHmYAXzV3h\n"
	"fhjVeBWMe/22tQ==\n"
	"-----END PRIVATE KEY-----\n"
	;
static const char EC_SEC1[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHcCAQEEIGp7nk/NOv4OrvzOQr5fr80TiXHDEAZQfQalPObBwdzuoAoGCCqGSM49\n"
	"AwEHoUQDQgAEPdKCSptgA0TebLjayixqBty63TY+h0jsBh7nxw3tOFTldbT2A04Z\n"
	"PSSPN8m670RU/KubET+tbtYzNjBufuMPJg==\n"
	"-----END EC PRIVATE KEY-----\n"
	;
static const char EC_PKCS8[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQganueT806/g6u/M5C\n"
	"vl+vzROJccMQBlB9BqU85sHB3O6hRANCAAQ90oJKm2ADRN5suNrKLGoG3LrdNj6H\n"
	"SOwGHufHDe04VOV1tPYDThk9JI83ybrvRFT8q5sRP61u1jM2MG5+4w8m\n"
	"-----END PRIVATE KEY-----\n"
	;
static const char ED25519_PKCS8[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIPdZ0SQ+Ku/6nhSQMNdOXq+I9aN+R++HiFzHhOnRKvJ2\n"
	"-----END PRIVATE KEY-----\n"
	;
static const char ENC_PKCS8[] =
	"-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
	"MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAh1Bqog+WweMwICCAAw\n"
	"DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEIZCrLrL0Y4VrstsLxVrGAoEQOJX\n"
	"cYD+bfsjrc8uSCVYUtv/AzyWLT9tOmMNfZSjflysUB0j8sQhqnQG8npqFSkVA2ze\n"
	"Xh2JK+jJVqOffoIUPAI=\n"
	"-----END ENCRYPTED PRIVATE KEY-----\n"
	;
static const char EC_LEGACY_ENC[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"Proc-Type: 4,ENCRYPTED\n"
	"DEK-Info: AES-128-CBC,49A3E09D82555FB2F1FA5A9030E8717E\n"
	"\n"
	"zkyxL1EFFGgngbuepYlAAid29sablAc62ObGPkELMVIE8y3CHSmnO9scB84HyPIO\n"
	"mTPtzbpy4ggaJwCvCGy6HAu65+QHq6+N/nisr/HL7XLCuM/8EPbo55A7DZh+XJWY\n"
	"3Sf7i9iwsbC/5GTKO8cA8TRaD1Ok+4jhdQTzs8JBFmE=\n"
	"-----END EC PRIVATE KEY-----\n"
	;
static const char SSH_ED25519[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
	"QyNTUxOQAAACAjloPElU477Z5jUwoCzbKB1cAvUnJtXE9rFPfaasFg3AAAAIgbYlDoG2JQ\n"
	"6AAAAAtzc2gtZWQyNTUxOQAAACAjloPElU477Z5jUwoCzbKB1cAvUnJtXE9rFPfaasFg3A\n"
	"AAAEBrYSSx+C4wWErHf8reT0IlOzzGYnSOQt9SmnFJY2W85COWg8SVTjvtnmNTCgLNsoHV\n"
	"wC9Scm1cT2sU99pqwWDcAAAAAAECAwQF\n"
	"-----END OPENSSH PRIVATE KEY-----\n"
	;
static const char SSH_ED25519_ENC[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABCQMpOfeE\n"
	"x/WRod7chp3GlDAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIOUgaxWqhsCPb1O0\n"
	"fWrXCW2weqUhD0PNArG5hcvoqHyyAAAAkOzRBTSgr/T2b5dSnK0uy+AY2sPi2YgZJWsmxl\n"
	"lopNm27wZHT3ndYcJOiw6bQH88wfJCmBfnn7cNTBp3aNni727QaZStj3OH4ACjlWjBtvo1\n"
	"hC5+2PyZXZL5b5X6Qa+KWUCY7lpfvvsa0y3Ms/4cXGaXaEgk5yc+lBNqMoossfdjdwEPUB\n"
	"oi5f6IP4lLNSvlJA==\n"
	"-----END OPENSSH PRIVATE KEY-----\n"
	;
static const char SSH_ECDSA[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAaAAAABNlY2RzYS\n"
	"1zaGEyLW5pc3RwMjU2AAAACG5pc3RwMjU2AAAAQQRb3YNNakSKXe/LmF4JYKDjm4yTNOzF\n"
	"X011oisWR22QVN2j6szTC6TgYScJXMTjRzFoz2qPdiapWUXg+gZNuUWtAAAAoFZsg35WbI\n"
	"N+AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFvdg01qRIpd78uY\n"
	"XglgoOObjJM07MVfTXWiKxZHbZBU3aPqzNMLpOBhJwlcxONHMWjPao92JqlZReD6Bk25Ra\n"
	"0AAAAhAOPKjWvVOD0lgXffxQobao1Rbpd1ZezDNa/Om86wOqTwAAAAAAECAwQFBgc=\n"
	"-----END OPENSSH PRIVATE KEY-----\n"
	;
static const char SSH_RSA[] =
	"-----BEGIN OPENSSH PRIVATE KEY-----\n"
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAlwAAAAdzc2gtcn\n"
	"NhAAAAAwEAAQAAAIEAyiFmQZ9gylGRdGU+R422xNP7FNRuovIhvxUjC1j7FY5vQJZRBL5r\n"
	"uct18D37ueyXYT9nvESMzVi/GScYBceNPZLUulbehQxmtAbL+2fj1YJZPcLtNWe8z+Tqza\n"
	"V+soALiPDDGyVtERqRwQMAAulCAdusU+l6JL0Qjq5PREFgcg0AAAH4oBQDyaAUA8kAAAAH\n"
	"c3NoLXJzYQAAAIEAyiFmQZ9gylGRdGU+R422xNP7FNRuovIhvxUjC1j7FY5vQJZRBL5ruc\n"
	"t18D37ueyXYT9nvESMzVi/GScYBceNPZLUulbehQxmtAbL+2fj1YJZPcLtNWe8z+TqzaV+\n"
	"soALiPDDGyVtERqRwQMAAulCAdusU+l6JL0Qjq5PREFgcg0AAAADAQABAAAAgQCI1AswqP\n"
	"8Qdh8Mt+xs65WpsAXrl9I9I8OMYnaSm+18LitJgXfeyjiKURzJQGxC89GV1yIV5CGccFMM\n"
	"Z9ZvMyJ8M1zHoMk0nBcFZKicvjk8cYRjuOg/nKcZSpBdsyPAJJB5jCG/TCBymOR9Pbkqcv\n"
	"DyWYVsNms/GWXpMjgEBrGhAQAAAEEA5BLYBkZwl5s1uOKdsz90uzBguRl+zPu6ICvtRfva\n"
	"JE78tQ1arjxKT+xA3rkE0giXrFCjp2hqgtzq703XduXGYwAAAEEA8yAIZbo1LC4B2HlZXw\n"
	"uB7iCWizUfI368fQzZsGQz+gR4fuKHHu2Y0DaYsiHyppCU8TaH9sajVupG1waR/UFC/QAA\n"
	"AEEA1NWdkyXlh9ftu9lCyGOn4X6JpHUfrcG5GagIS5sKcYcEdj5osKiEQx0Z8j3IXDOxCf\n"
	"29A9qktd5AIYIKp1dAUQAAAAAB\n"
	"-----END OPENSSH PRIVATE KEY-----\n"
	;

static const char PGP_KEY[] =
	"-----BEGIN PGP PRIVATE KEY BLOCK-----\n"
	"\n"
	"lFgEZmVzdBYJKwYBBAHaRw8BAQdAexampleexampleexampleexampleexampleAA\n"
	"=abcd\n"
	"-----END PGP PRIVATE KEY BLOCK-----\n";

/* s with every "\n" replaced by rep (the caller frees). */
static char *replace_newlines(const char *s, const char *rep)
{
	struct pl_buf b;
	pl_buf_init(&b, 0);
	for (; *s; s++)
		if (*s == '\n')
			(void)pl_buf_appends(&b, rep);
		else
			(void)pl_buf_append(&b, s, 1);
	return pl_buf_detach(&b);
}

/* The fixed-size fields' writer: whole escapes and characters only. */
static void test_escape_into(void)
{
	char out[8];
	pl_escape_into(out, sizeof(out), "abc", 3);
	CHECK_STR(out, "abc");
	pl_escape_into(out, 6, "\x01\x02", 2); /* 8 escaped bytes, 5 fit */
	CHECK_STR(out, "\\x01");
	pl_escape_into(out, 4, "a\xe2\x82\xac", 4); /* "a€": the euro sign does not fit */
	CHECK_STR(out, "a");
	pl_escape_into(out, 5, "a\xe2\x82\xac", 4);
	CHECK_STR(out, "a\xe2\x82\xac");
	pl_escape_into(out, 4, "a\\b", 3); /* a backslash is written \\: two bytes */
	CHECK_STR(out, "a\\\\");
	pl_escape_into(out, 3, "a\\b", 3);
	CHECK_STR(out, "a");
	pl_escape_into(out, 1, "abc", 3);
	CHECK_STR(out, "");
	/* ... and the check every detail passes: printable UTF-8 from the start. */
	CHECK(pl_utf8_printable_len("a\xc3\xa9" "b", 4) == 4);
	CHECK(pl_utf8_printable_len("a\x01b", 3) == 1);
	CHECK(pl_utf8_printable_len("a\x7f", 2) == 1);
	CHECK(pl_utf8_printable_len("a\xe2\x82", 3) == 1);
	CHECK(pl_utf8_printable_len("\xff", 1) == 0);
}

/* An SSH string: big-endian length, then the bytes. */
static void ssh_put(struct pl_buf *b, const void *s, size_t n)
{
	unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
				(unsigned char)(n >> 8), (unsigned char)n};
	(void)pl_buf_append(b, len, 4);
	(void)pl_buf_append(b, s, n);
}

/* n control bytes, "a", then a 3-byte UTF-8 character: escaped, the last
 * character crosses the end of the inspector's fixed-size field. */
static size_t long_name(char *out, size_t n)
{
	memset(out, 0x01, n);
	memcpy(out + n, "a\xe2\x82\xac", 4);
	return n + 4;
}

/* Unknown key type and cipher names are kept escaped and cut whole: a cut
 * inside a UTF-8 character printed an invalid byte (found by fuzz_inspect). */
static void test_ssh_long_names(void)
{
	char type[32], cipher[32];
	size_t tn = long_name(type, 15), cn = long_name(cipher, 11);
	struct pl_buf pub, key;
	pl_buf_init(&pub, 0);
	pl_buf_init(&key, 0);
	ssh_put(&pub, type, tn);
	(void)pl_buf_append(&key, "openssh-key-v1", 15);
	ssh_put(&key, cipher, cn);
	ssh_put(&key, "bcrypt", 6);
	ssh_put(&key, "", 0);
	(void)pl_buf_append(&key, "\0\0\0\x01", 4);
	ssh_put(&key, pub.data, pub.len);
	char *b = b64url((const unsigned char *)key.data, key.len);
	char *s = pl_xasprintf("-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n"
			       "-----END OPENSSH PRIVATE KEY-----\n", b);
	char want[512] = "type=";
	for (int i = 0; i < 15; i++)
		strcat(want, "\\x01");
	strcat(want, "a; encrypted=yes; cipher=");
	for (int i = 0; i < 11; i++)
		strcat(want, "\\x01");
	strcat(want, "a; format=openssh");
	CHECK_KEEP("private-key", s, want);
	free(s);
	free(b);
	pl_buf_release(&pub);
	pl_buf_release(&key);
}

static void test_private_key(void)
{
	CHECK_KEEP("private-key", RSA_PKCS1, "type=RSA 1024; encrypted=no; format=pkcs1");
	CHECK_KEEP("private-key", RSA_PKCS8, "type=RSA 1024; encrypted=no; format=pkcs8");
	CHECK_KEEP("private-key", EC_SEC1, "type=EC P-256; encrypted=no; format=sec1");
	CHECK_KEEP("private-key", EC_PKCS8, "type=EC P-256; encrypted=no; format=pkcs8");
	CHECK_KEEP("private-key", ED25519_PKCS8, "type=Ed25519; encrypted=no; format=pkcs8");
	CHECK_KEEP("private-key", ENC_PKCS8, "encrypted=yes; format=pkcs8");
	CHECK_KEEP("private-key", EC_LEGACY_ENC,
		   "type=EC; encrypted=yes; cipher=AES-128-CBC; format=sec1");
	CHECK_KEEP("private-key", SSH_ED25519, "type=Ed25519; encrypted=no; format=openssh");
	CHECK_KEEP("private-key", SSH_ED25519_ENC,
		   "type=Ed25519; encrypted=yes; cipher=aes256-ctr; format=openssh");
	CHECK_KEEP("private-key", SSH_ECDSA, "type=EC P-256; encrypted=no; format=openssh");
	CHECK_KEEP("private-key", SSH_RSA, "type=RSA 1024; encrypted=no; format=openssh");
	CHECK_KEEP("private-key", PGP_KEY, "format=pgp");

	/* Written into JSON or a string: "\n" as two characters. */
	char *s = replace_newlines(RSA_PKCS1, "\\n");
	CHECK_KEEP("private-key", s, "type=RSA 1024; encrypted=no; format=pkcs1");
	free(s);
	/* ... escaped twice (a JSON string inside a Python string). */
	s = replace_newlines(EC_SEC1, "\\\\n");
	CHECK_KEEP("private-key", s, "type=EC P-256; encrypted=no; format=sec1");
	free(s);
	/* Joined with spaces (an environment variable), or CRLF, or indented. */
	s = replace_newlines(EC_PKCS8, " ");
	CHECK_KEEP("private-key", s, "type=EC P-256; encrypted=no; format=pkcs8");
	free(s);
	s = replace_newlines(SSH_ED25519, "\r\n");
	CHECK_KEEP("private-key", s, "type=Ed25519; encrypted=no; format=openssh");
	free(s);
	s = replace_newlines(ED25519_PKCS8, "\n      ");
	CHECK_KEEP("private-key", s, "type=Ed25519; encrypted=no; format=pkcs8");
	free(s);

	/* Truncated or mangled unencrypted keys still leak: kept, marked. */
	char cut[301];
	memcpy(cut, RSA_PKCS1, 300);
	cut[300] = '\0';
	CHECK_KEEP("private-key", cut, "encrypted=no; format=pkcs1; parse=failed");
	CHECK_KEEP("private-key", "-----BEGIN RSA PRIVATE KEY-----",
		   "encrypted=no; format=pkcs1; parse=failed");
	CHECK_KEEP("private-key", "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
		   "encrypted=no; format=pkcs8; parse=failed");
	CHECK_KEEP("private-key", "MIICXAIBAAKBgQDxQ7togU9MPLLDzb", "format=pem; parse=failed");
	CHECK_KEEP("private-key", "-----BEGIN FOO PRIVATE KEY-----\nAAAA\n-----END FOO PRIVATE KEY-----",
		   "encrypted=no; format=pem; parse=failed");
	CHECK_KEEP("private-key", "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nP2/56wAAAA==\n", "format=ssh2");
	memcpy(cut, SSH_ED25519, 120);
	cut[120] = '\0';
	CHECK_KEEP("private-key", cut, "encrypted=no; format=openssh; parse=failed");
	/* Encrypted and cut: still known to be encrypted. */
	memcpy(cut, ENC_PKCS8, 100);
	cut[100] = '\0';
	CHECK_KEEP("private-key", cut, "encrypted=yes; format=pkcs8");

	/* OpenSSH with a cipher-name length of 2^32 - 1. */
	static const unsigned char bad_ssh[] = "openssh-key-v1\0\xff\xff\xff\xff" "abc";
	char *b = b64url(bad_ssh, sizeof(bad_ssh) - 1);
	s = pl_xasprintf("-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n", b);
	CHECK_KEEP("private-key", s, "format=openssh; parse=failed");
	free(s);
	free(b);
	/* A public key blob whose RSA modulus length points past the end. */
	static const unsigned char bad_rsa[] =
		"openssh-key-v1\0"
		"\0\0\0\x04none\0\0\0\x04none\0\0\0\0\0\0\0\x01"
		"\0\0\0\x13\0\0\0\x07ssh-rsa\0\0\0\x01\x03\0\0\xff\xff";
	b = b64url(bad_rsa, sizeof(bad_rsa) - 1);
	s = pl_xasprintf("-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n", b);
	CHECK_KEEP("private-key", s, "type=ssh-rsa; encrypted=no; format=openssh");
	free(s);
	free(b);

	test_ssh_long_names();

	hostile_prefixes("private-key", EC_SEC1);
	hostile_prefixes("private-key", SSH_ECDSA);
	hostile_prefixes("private-key", EC_LEGACY_ENC);
}

/* ---- GCP service accounts ---- */

static void test_gcp(void)
{
	char *key = replace_newlines(EC_SEC1, "\\n");
	char *json = pl_xasprintf("{\n  \"type\": \"service_account\",\n  \"project_id\": \"demo-proj\",\n"
				  "  \"private_key_id\": \"0123abcd\",\n  \"private_key\": \"%s\",\n"
				  "  \"client_email\": \"svc@demo-proj.iam.gserviceaccount.com\"\n}\n",
				  key);
	CHECK_KEEP("gcp-service-account", json,
		   "client_email=svc@demo-proj.iam.gserviceaccount.com; project_id=demo-proj; "
		   "type=EC P-256; encrypted=no; format=sec1");
	/* Cut short: no longer JSON, the fields are found by text. */
	json[strlen(json) - 3] = '\0';
	CHECK_KEEP("gcp-service-account", json,
		   "client_email=svc@demo-proj.iam.gserviceaccount.com; project_id=demo-proj; "
		   "type=EC P-256; encrypted=no; format=sec1");
	free(json);
	/* Only the key, as a rule that captures the PEM inside the JSON sees it. */
	CHECK_KEEP("gcp-service-account", key, "type=EC P-256; encrypted=no; format=sec1");
	CHECK_KEEP("gcp-service-account", "-----BEGIN PRIVATE KEY-----",
		   "encrypted=no; format=pkcs8; parse=failed");
	CHECK_KEEP("gcp-service-account", "{\"client_email\": 5, \"project_id\": [\"x\"]}", "");
	CHECK_KEEP("gcp-service-account", "\"client_email\": \"a\\u0040b\"", "");
	CHECK_KEEP("gcp-service-account", "\"client_email\" : \"evil\x1b\"", "client_email=evil\\x1b");
	hostile_prefixes("gcp-service-account", key);
	free(key);
}

/* ---- random bytes ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_random(void)
{
	static const char *const names[] = { "pypi-macaroon",	"aws-access-key-id",
					     "jwt",		"private-key",
					     "discord-bot-token", "gcp-service-account" };
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=\n";
	for (int round = 0; round < 3000; round++) {
		size_t n = rng() % 300;
		char *s = pl_xmalloc(n ? n : 1);
		int text = round % 2;
		for (size_t i = 0; i < n; i++)
			s[i] = text ? alphabet[rng() % (sizeof(alphabet) - 1)] : (char)rng();
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			int keep;
			free(inspect(names[k], s, n, &keep));
		}
		free(s);
	}
}

int main(void)
{
	CHECK(pl_dl_crypto() == 0); /* b64url() calls OpenSSL itself */
	test_known();
	test_pypi();
	test_aws();
	test_jwt();
	test_discord();
	test_escape_into();
	test_private_key();
	test_gcp();
	test_random();
	TEST_MAIN_END();
}
