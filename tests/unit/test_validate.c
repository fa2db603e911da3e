/* Unit tests of the validate module's pieces that need no network: request
 * signing against published vectors, the address rules, templates, database
 * URIs, the rule loader's validator block, and the offline decisions. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/rules.h"
#include "pkgleaks/validate.h"
#include "test.h"
#include "validate/sign.h"
#include "validate/validate_int.h"

static void test_sigv4(void)
{
	/* aws-sig-v4-test-suite "get-vanilla" (the AWS documentation's suite). */
	char *auth = pl_aws_sigv4("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "GET",
				  "example.amazonaws.com", "/", "", "us-east-1", "service",
				  "20150830T123600Z");
	CHECK_STR(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
			"aws4_request, SignedHeaders=host;x-amz-date, "
			"Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	free(auth);
}

static void test_sharedkey(void)
{
	/* Computed independently (Python hmac) from the recipe in
	 * shared/research/validators.md section 6. */
	char *sig = pl_azure_sharedkey("acct", "/",
				       "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss"
				       "LS4vMDEyMzQ1Njc4OTo7PD0+Pw==",
				       "Tue, 11 Jun 2024 10:00:00 GMT", "2019-12-12");
	CHECK_STR(sig, "uXfnStyr5PQezBEffOxnUw+6uHDHy4xin7ZT+EwgLg8=");
	free(sig);
	CHECK(pl_azure_sharedkey("acct", "/", "not base64!", "x", "y") == NULL);
}

static enum pl_addr_class cls(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, ip, &s6->sin6_addr) != 1)
			return (enum pl_addr_class)-1;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		if (inet_pton(AF_INET, ip, &s4->sin_addr) != 1)
			return (enum pl_addr_class)-1;
	}
	return pl_addr_classify((struct sockaddr *)&ss);
}

static void test_addresses(void)
{
	CHECK(cls("8.8.8.8") == PL_ADDR_PUBLIC);
	CHECK(cls("140.82.112.3") == PL_ADDR_PUBLIC);
	CHECK(cls("127.0.0.1") == PL_ADDR_LOOPBACK);
	CHECK(cls("127.255.0.9") == PL_ADDR_LOOPBACK);
	CHECK(cls("10.1.2.3") == PL_ADDR_PRIVATE);
	CHECK(cls("172.16.0.1") == PL_ADDR_PRIVATE);
	CHECK(cls("172.32.0.1") == PL_ADDR_PUBLIC);
	CHECK(cls("192.168.1.1") == PL_ADDR_PRIVATE);
	CHECK(cls("169.254.169.254") == PL_ADDR_LINKLOCAL);
	CHECK(cls("100.64.0.1") == PL_ADDR_CGNAT);
	CHECK(cls("100.127.255.255") == PL_ADDR_CGNAT);
	CHECK(cls("100.128.0.1") == PL_ADDR_PUBLIC);
	CHECK(cls("0.0.0.0") == PL_ADDR_UNSPECIFIED);
	CHECK(cls("224.0.0.1") == PL_ADDR_MULTICAST);
	CHECK(cls("255.255.255.255") == PL_ADDR_RESERVED);
	CHECK(cls("::") == PL_ADDR_UNSPECIFIED);
	CHECK(cls("::1") == PL_ADDR_LOOPBACK);
	CHECK(cls("::ffff:127.0.0.1") == PL_ADDR_LOOPBACK);
	CHECK(cls("::ffff:10.0.0.1") == PL_ADDR_PRIVATE);
	CHECK(cls("::ffff:8.8.8.8") == PL_ADDR_PUBLIC);
	CHECK(cls("64:ff9b::a00:1") == PL_ADDR_PRIVATE); /* NAT64 of 10.0.0.1 */
	CHECK(cls("64:ff9b::808:808") == PL_ADDR_PUBLIC);
	CHECK(cls("fe80::1") == PL_ADDR_LINKLOCAL);
	CHECK(cls("fd00::1") == PL_ADDR_PRIVATE);
	CHECK(cls("ff02::1") == PL_ADDR_MULTICAST);
	CHECK(cls("2001:db8::1") == PL_ADDR_RESERVED);
	CHECK(cls("2002:a00:1::1") == PL_ADDR_PRIVATE); /* 6to4 of 10.0.0.1 */
	CHECK(cls("2606:4700::6810:84e5") == PL_ADDR_PUBLIC);
}

static void test_vet(void)
{
	struct pl_validate_options o;
	pl_validate_options_default(&o);
	struct pl_vctx cx = {&o, NULL, 0, 0};
	struct pl_validation v = {0};
	struct pl_vaddr a;
	/* Numeric spellings of loopback are loopback too. */
	const char *const hosts[] = {"127.1", "2130706433", "[::ffff:127.0.0.1]", "0x7f.1", "[::1]"};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		CHECK(pl_net_vet(&cx, hosts[i], 0, &a, &v) == -1);
		CHECK(v.status == PL_VALIDATION_NOT_CHECKED);
		CHECK(v.reason && strstr(v.reason, "private host (loopback"));
	}
	CHECK(pl_net_vet(&cx, "10.9.8.7", 0, &a, &v) == -1 && strstr(v.reason, "private address"));
	CHECK(pl_net_vet(&cx, "bad host\r\n", 0, &a, &v) == -1);
	/* A trusted override may be loopback; --validate-private allows all. */
	CHECK(pl_net_vet(&cx, "127.0.0.1", 1, &a, &v) == 0 && strcmp(a.ip, "127.0.0.1") == 0);
	o.allow_private = 1;
	CHECK(pl_net_vet(&cx, "[::ffff:127.0.0.1]", 0, &a, &v) == 0);
	CHECK_STR(a.ip, "127.0.0.1"); /* mapped addresses are connected to as IPv4 */
	CHECK(a.family == AF_INET);
	free(v.reason);
}

static void test_templates(void)
{
	struct pl_vars v;
	const char *sec = "AKIAEXAMPLEID:se/cr+et";
	CHECK(pl_vars_init(&v, sec, strlen(sec), NULL) == 0);
	CHECK_STR(pl_vars_get(&v, "part1"), "AKIAEXAMPLEID");
	CHECK_STR(pl_vars_get(&v, "part2"), "se/cr+et");
	char *s = pl_template_expand("https://x.test/{part2}/{part2|raw}?k={part1|url}", &v, PL_TPL_URL);
	CHECK_STR(s, "https://x.test/se%2Fcr%2Bet/se/cr+et?k=AKIAEXAMPLEID");
	free(s);
	s = pl_template_expand("a={part2|form}&b={secret|json}", &v, PL_TPL_RAW);
	CHECK_STR(s, "a=se%2Fcr%2Bet&b=AKIAEXAMPLEID:se/cr+et");
	free(s);
	CHECK(pl_template_expand("{nope}", &v, PL_TPL_RAW) == NULL);
	CHECK(pl_template_expand("{secret|bogus}", &v, PL_TPL_RAW) == NULL);
	pl_vars_release(&v);
	/* A value with a line break cannot become a header. */
	const char *evil = "tok\r\nX-Evil: 1";
	CHECK(pl_vars_init(&v, evil, strlen(evil), NULL) == 0);
	CHECK(pl_template_expand("Authorization: Bearer {secret}", &v, PL_TPL_RAW) == NULL);
	pl_vars_release(&v);
	/* extract: named groups; a secret without the shape is refused. */
	const char *mc = "0123456789abcdef0123456789abcdef-us12";
	CHECK(pl_vars_init(&v, mc, strlen(mc), "-(?P<dc>us[0-9]{1,2})$") == 0);
	CHECK_STR(pl_vars_get(&v, "dc"), "us12");
	pl_vars_release(&v);
	CHECK(pl_vars_init(&v, "nodc", 4, "-(?P<dc>us[0-9]{1,2})$") == -1);
	pl_vars_release(&v);
}

/* A template's host stays the host, whatever a found secret holds: only
 * each rule's extract pattern stood between a path variable and
 * "https://discord.com.evil.test/" before. */
static void test_keeps_origin(void)
{
	const char *path = "https://discord.com{path|raw}";
	CHECK(pl_vurl_keeps_origin(path, "https://discord.com/api/webhooks/1/x"));
	CHECK(pl_vurl_keeps_origin(path, "https://discord.com"));
	CHECK(!pl_vurl_keeps_origin(path, "https://discord.com.evil.test/x"));
	CHECK(!pl_vurl_keeps_origin(path, "https://discord.com:8443/x"));
	CHECK(!pl_vurl_keeps_origin(path, "https://discord.com@evil.test/x"));
	const char *host = "https://{dc}.api.mailchimp.com/3.0/";
	CHECK(pl_vurl_keeps_origin(host, "https://us12.api.mailchimp.com/3.0/"));
	CHECK(pl_vurl_keeps_origin(host, "https://a.b-c.api.mailchimp.com/3.0/"));
	CHECK(!pl_vurl_keeps_origin(host, "https://.api.mailchimp.com/3.0/"));
	CHECK(!pl_vurl_keeps_origin(host, "https://evil.test:1.api.mailchimp.com/3.0/"));
	CHECK(!pl_vurl_keeps_origin(host, "https://evil.test/.api.mailchimp.com/3.0/"));
	CHECK(!pl_vurl_keeps_origin(host, "https://us1.api.mailchimp.com.evil.test/3.0/"));
	const char *fixed = "https://api.telegram.org/bot{secret}/getMe";
	CHECK(pl_vurl_keeps_origin(fixed, "https://api.telegram.org/bot1%40evil.test/getMe"));
	CHECK(!pl_vurl_keeps_origin(fixed, "https://api.telegram.org.evil.test/bot1/getMe"));
	/* The characters a host may hold at all, template or not. */
	CHECK(pl_vurl_host_is_plain("https://api.x-1.test:8443/a@b%40"));
	CHECK(!pl_vurl_host_is_plain("https://u@api.test/"));
	CHECK(!pl_vurl_host_is_plain("https://a%2e.test/"));
	CHECK(!pl_vurl_host_is_plain("https://a_b.test/"));
	CHECK(!pl_vurl_keeps_origin("https://{a/b}.x.test/", "https://q.x.test/"));
}

/* Every built-in URL template, expanded with its rule's own example
 * secrets, keeps its host: the new rule refuses none of their real shapes. */
static void test_builtin_urls_keep_origin(void)
{
	struct pl_ruleset *rs = pl_ruleset_new();
	CHECK(pl_ruleset_add_builtin(rs) == 0);
	size_t expanded = 0;
	for (size_t i = 0; i < pl_ruleset_count(rs); i++) {
		const struct pl_rule *r = pl_ruleset_get(rs, i);
		const struct pl_rule_validator *val = r->validator;
		if (!val || !val->url || !r->example_secrets)
			continue;
		for (size_t k = 0; r->example_secrets[k]; k++) {
			const char *ex = r->example_secrets[k];
			struct pl_vars v;
			if (!ex[0] || pl_vars_init(&v, ex, strlen(ex), val->extract) != 0) {
				pl_vars_release(&v);
				continue;
			}
			char *url = pl_template_expand(val->url, &v, PL_TPL_URL);
			if (url) {
				expanded++;
				if (!pl_vurl_keeps_origin(val->url, url))
					fprintf(stderr, "%s: %s moved to %s\n", r->id, val->url, url);
				CHECK(pl_vurl_keeps_origin(val->url, url));
			}
			free(url);
			pl_vars_release(&v);
		}
	}
	CHECK(expanded >= 20); /* 26 now, among them discord-webhook-url and the shopify shop */
	pl_ruleset_free(rs);
}

/* The check itself: a rule whose extract lets anything into a path
 * variable still never sends a secret that would move the host. The base
 * is a closed loopback port: had the request gone out, it would be counted
 * and refused there, never reach the internet. */
static const char hook_yaml[] =
	"rules:\n"
	"  - id: t-hook\n"
	"    name: Test hook\n"
	"    pattern: '(?P<secret>hook[a-z./]{4,40})'\n"
	"    keywords: [hook]\n"
	"    examples: ['url = hook/api/abcd']\n"
	"    validator:\n"
	"      service: hook-test\n"
	"      url: 'https://hooks.example.test{path|raw}'\n"
	"      extract: '^hook(?P<path>.+)$'\n"
	"      valid: [200]\n";

/* One worker, no answer cache: every check is decided (or sent) afresh. */
static struct pl_validator *uncached_validator(void)
{
	struct pl_validate_options o;
	pl_validate_options_default(&o);
	o.cache_ttl = 0;
	o.jobs = 1;
	struct pl_validator *v = NULL;
	CHECK(pl_validator_new(&o, &v) == 0);
	return v;
}

static void test_check_keeps_origin(void)
{
	struct pl_ruleset *rs = pl_ruleset_new();
	CHECK(pl_ruleset_add_yaml(rs, hook_yaml, strlen(hook_yaml), "t") == 0);
	const struct pl_rule *r = pl_ruleset_find(rs, "t-hook");
	CHECK(r != NULL);
	struct pl_validator *v = uncached_validator();
	if (!r || !v) {
		pl_validator_free(v);
		pl_ruleset_free(rs);
		return;
	}
	CHECK(setenv("PKGLEAKS_HOOK_TEST_URL", "http://127.0.0.1:9", 1) == 0);
	struct pl_validation *res = NULL;
	const char *moved = "hook.evil.test/x";
	CHECK(pl_validator_check(v, r, moved, strlen(moved), "fp-moved", &res) == 0);
	CHECK(res->status == PL_VALIDATION_NOT_CHECKED && res->reason &&
	      strstr(res->reason, "off the issuer's host"));
	pl_validation_free(res);
	struct pl_validate_stats st;
	pl_validator_stats(v, &st);
	CHECK(st.requests == 0);
	const char *kept = "hook/api/x";
	CHECK(pl_validator_check(v, r, kept, strlen(kept), "fp-kept", &res) == 0);
	CHECK(res->status == PL_VALIDATION_UNKNOWN); /* sent: the closed port refused it */
	pl_validation_free(res);
	pl_validator_stats(v, &st);
	CHECK(st.requests == 1);
	pl_validator_free(v);
	unsetenv("PKGLEAKS_HOOK_TEST_URL");
	pl_ruleset_free(rs);
}

static void test_dburi(void)
{
	struct pl_dburi u;
	const char *a = "postgresql+psycopg2://us%40er:p%2Fss@db.example.net:6432/app%20db?sslmode=require&x=1";
	CHECK(pl_dburi_parse(a, strlen(a), &u) == 0);
	CHECK_STR(u.scheme, "postgresql");
	CHECK_STR(u.user, "us@er");
	CHECK_STR(u.password, "p/ss");
	CHECK_STR(u.host, "db.example.net");
	CHECK(u.port == 6432);
	CHECK_STR(u.path, "app db");
	char *p = pl_dburi_param(&u, "sslmode");
	CHECK_STR(p, "require");
	free(p);
	pl_dburi_release(&u);
	const char *b = "mongodb+srv://u:pw@[2001:db8::1]:27018,h2:1/db";
	CHECK(pl_dburi_parse(b, strlen(b), &u) == 0);
	CHECK_STR(u.scheme, "mongodb+srv");
	CHECK_STR(u.host, "2001:db8::1");
	CHECK(u.port == 27018 && u.nhosts == 2);
	pl_dburi_release(&u);
	CHECK(pl_dburi_parse("redis://host:6379", 17, &u) == -1); /* no credentials */
	CHECK(pl_dburi_parse("redis://:pw@h:99999", 19, &u) == -1); /* bad port */
	/* 2^64 + 1: a port read by wrapping arithmetic would be 1. */
	const char *w = "redis://:pw@h:18446744073709551617";
	CHECK(pl_dburi_parse(w, strlen(w), &u) == -1);
}

static const char rule_yaml[] =
	"rules:\n"
	"  - id: t-token\n"
	"    name: Test token\n"
	"    pattern: '\\b(?P<secret>tt_[a-z0-9]{20})\\b'\n"
	"    keywords: [tt_]\n"
	"    examples: ['x = tt_abcdefghij0123456789']\n"
	"    validator:\n"
	"      service: test-svc\n"
	"      url: 'https://api.test.invalid/me'\n"
	"      headers: {Authorization: 'Bearer {secret}', Content-Type: ''}\n"
	"      answers:\n"
	"        - {status: 200, json: {ok: 'true', error: [a, b]}, result: valid}\n"
	"      valid: [2xx]\n"
	"      invalid: [401, 403]\n"
	"      details: {login: user.login, scopes: 'header:X-Scopes'}\n"
	"      rate: 2\n";

static void test_rule_loader(void)
{
	struct pl_ruleset *rs = pl_ruleset_new();
	CHECK(pl_ruleset_add_yaml(rs, rule_yaml, strlen(rule_yaml), "t") == 0);
	const struct pl_rule *r = pl_ruleset_find(rs, "t-token");
	CHECK(r && r->validator);
	if (r && r->validator) {
		const struct pl_rule_validator *v = r->validator;
		CHECK_STR(v->kind, "http");
		CHECK_STR(v->method, "GET");
		CHECK_STR(v->headers[0], "Authorization: Bearer {secret}");
		CHECK_STR(v->headers[1], "Content-Type:"); /* empty: curl drops the header */
		CHECK(v->nanswers == 3);
		CHECK_STR(v->answers[0].json_values[1], "a|b");
		CHECK(v->answers[1].status[0] == 2 && v->answers[1].result == PL_VALIDATION_VALID);
		CHECK(v->answers[2].status[1] == 403 && v->answers[2].result == PL_VALIDATION_INVALID);
		CHECK_STR(v->detail_paths[1], "header:X-Scopes");
		CHECK(v->rate == 2);
	}
	pl_ruleset_free(rs);
	static const char *const bad[] = {
		"url: 'http://plain.test/'\n      service: s\n      valid: [200]\n",
		"url: 'https://x.test/'\n      valid: [200]\n",
		"kind: nosuch\n      service: s\n",
		"kind: none\n",
		"url: 'https://x.test/'\n      service: s\n      valid: [200]\n      method: DELETE\n",
		"url: 'https://x.test/'\n      service: S_1\n      valid: [200]\n",
		"url: 'https://x.test/'\n      service: s\n      valid: [999]\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *y = NULL;
		size_t n = strlen(bad[i]) + 300;
		y = malloc(n);
		snprintf(y, n,
			 "rules:\n  - id: b\n    name: B\n    pattern: 'bb_[0-9]{9}'\n"
			 "    examples: ['bb_123456789']\n    validator:\n      %s",
			 bad[i]);
		rs = pl_ruleset_new();
		CHECK(pl_ruleset_add_yaml(rs, y, strlen(y), "bad") < 0);
		pl_ruleset_free(rs);
		free(y);
	}
}

/* Offline decisions: no validator, policy, example keys; and nothing is
 * sent for them (no request counted). */
static void test_offline(void)
{
	struct pl_ruleset *rs = pl_ruleset_new();
	CHECK(pl_ruleset_add_builtin(rs) == 0);
	struct pl_validator *v = uncached_validator();
	if (!v) {
		pl_ruleset_free(rs);
		return;
	}
	struct pl_validation *res = NULL;
	const struct pl_rule *tg = pl_ruleset_find(rs, "telegram-bot-token");
	CHECK(tg && tg->validator && tg->example_secrets);
	/* A secret copied from the rule's own examples is documentation. */
	const char *ex = NULL;
	for (size_t i = 0; tg && tg->example_secrets[i]; i++)
		if (tg->example_secrets[i][0])
			ex = tg->example_secrets[i];
	if (ex) {
		CHECK(pl_validator_check(v, tg, ex, strlen(ex), "fp-example", &res) == 0);
		CHECK(res->status == PL_VALIDATION_NOT_CHECKED && strcmp(res->reason, "example key") == 0);
		pl_validation_free(res);
	}
	const struct pl_rule *dsn = pl_ruleset_find(rs, "sentry-dsn");
	CHECK(dsn && pl_validator_check(v, dsn, "https://abc@o1.ingest.sentry.io/1", 33, "fp-dsn", &res) == 0);
	CHECK(res->status == PL_VALIDATION_NOT_CHECKED && strncmp(res->reason, "policy: ", 8) == 0);
	pl_validation_free(res);
	const char *aws = "AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
	const struct pl_rule *ak = pl_ruleset_find(rs, "aws-access-key");
	CHECK(ak && pl_validator_check(v, ak, aws, strlen(aws), "fp-aws", &res) == 0);
	CHECK(res->status == PL_VALIDATION_NOT_CHECKED && strcmp(res->reason, "example key") == 0);
	pl_validation_free(res);
	/* A raw value read back from a store (pkgleaks validate) has no offline
	 * details: the rule's inspector finds the canary account again. */
	const char *canary = "AKIAAYLPMN5HKUISEM2E:Zq3vH8yJ1xRt5LmN0pQw7sKd2fGh4jB9cXa6uVeT";
	pl_validator_submit_value(v, ak, canary, strlen(canary), "fp-canary");
	pl_validator_wait(v);
	struct pl_finding f = {.fingerprint = "fp-canary"};
	pl_validator_attach(v, &f);
	CHECK(f.validation && f.validation->status == PL_VALIDATION_NOT_CHECKED &&
	      strncmp(f.validation->reason, "canary token", 12) == 0);
	pl_validation_free(f.validation);
	struct pl_validate_stats st;
	pl_validator_stats(v, &st);
	CHECK(st.requests == 0 && st.unique == 4);
	pl_validator_free(v);
	pl_ruleset_free(rs);
}

int main(void)
{
	test_sigv4();
	test_sharedkey();
	test_addresses();
	test_vet();
	test_templates();
	test_keeps_origin();
	test_check_keeps_origin();
	test_builtin_urls_keep_origin();
	test_dburi();
	test_rule_loader();
	test_offline();
	TEST_MAIN_END();
}
