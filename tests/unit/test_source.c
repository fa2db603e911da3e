/* Unit tests for the registry sources' helpers: PEP 440 ordering, URL
 * resolution (PyPI's Simple pages use relative links), index times, and
 * where the npm registry comes from (never a built-in default), and which
 * npm credential a URL gets (nerf darts, as npm-registry-fetch does). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pkgleaks/error.h"
#include "pkgleaks/source.h"
#include "source/fetch_int.h"
#include "source/npmrc.h"
#include "test.h"

static void test_versions(void)
{
	CHECK(pl_version_cmp("1.0", "1.0.0") == 0 || pl_version_cmp("1.0", "1.0.0") < 0);
	CHECK(pl_version_cmp("1.10", "1.9") > 0);
	CHECK(pl_version_cmp("2.0", "2.0rc1") > 0);
	CHECK(pl_version_cmp("2.0rc1", "2.0b2") > 0);
	CHECK(pl_version_cmp("2.0b2", "2.0a9") > 0);
	CHECK(pl_version_cmp("2.0a1", "2.0.dev3") > 0);
	CHECK(pl_version_cmp("2.0.post1", "2.0") > 0);
	CHECK(pl_version_cmp("1!0.1", "9.9") > 0);
	CHECK(pl_version_cmp("1.0.dev1", "1.0.dev2") < 0);
	CHECK(pl_version_cmp("v3.1", "3.0") > 0);
	CHECK(pl_version_is_pre("1.0rc1"));
	CHECK(pl_version_is_pre("1.0.dev0"));
	CHECK(!pl_version_is_pre("1.0"));
	CHECK(!pl_version_is_pre("1.0.post2"));
}

static void check_resolve(const char *page, const char *url, const char *want)
{
	char *got = pl_url_resolve(page, url);
	CHECK_STR(got, want);
	free(got);
}

static void test_urls(void)
{
	check_resolve("https://pypi.org/simple/foo/", "../../packages/ab/cd/foo-1.0.tar.gz#sha256=x",
		      "https://pypi.org/packages/ab/cd/foo-1.0.tar.gz");
	check_resolve("https://pypi.org/simple/foo/", "/files/1/foo.whl",
		      "https://pypi.org/files/1/foo.whl");
	check_resolve("https://pypi.org/simple/foo/", "https://files.example/x.whl#frag",
		      "https://files.example/x.whl");
	check_resolve("https://pypi.org/simple/foo/", "//cdn.example/x.whl",
		      "https://cdn.example/x.whl");
	check_resolve("http://127.0.0.1:8/simple/foo/", "foo-1.0.zip",
		      "http://127.0.0.1:8/simple/foo/foo-1.0.zip");
	char *d = pl_http_display_url("https://me:s3cret@idx.example/simple/");
	CHECK_STR(d, "https://***@idx.example/simple/");
	free(d);
	d = pl_http_display_url("https://idx.example/a@b");
	CHECK_STR(d, "https://idx.example/a@b");
	free(d);
	char *j = pl_url_join("https://idx.example/root/", "/pypi/x/json");
	CHECK_STR(j, "https://idx.example/root/pypi/x/json");
	free(j);
}

static void test_times(void)
{
	CHECK(pl_parse_iso_time("2023-05-22T15:12:44.175568Z") == 1684768364);
	CHECK(pl_parse_iso_time("2023-05-22T15:12:44") == 1684768364);
	CHECK(pl_parse_iso_time("2023-05-22T17:12:44+02:00") == 1684768364);
	CHECK(pl_parse_iso_time("yesterday") == -1);
	CHECK(pl_parse_iso_time(NULL) == -1);
}

/* A new empty directory as cwd and $HOME (for .npmrc files); leave_tmp
 * goes back to cwd and removes it. */
static void enter_tmp(char *dir, char *cwd, size_t n)
{
	CHECK(mkdtemp(dir) != NULL);
	CHECK(getcwd(cwd, n) != NULL);
	CHECK(chdir(dir) == 0);
	setenv("HOME", dir, 1);
}

static void leave_tmp(const char *dir, const char *cwd)
{
	CHECK(chdir(cwd) == 0);
	CHECK(rmdir(dir) == 0);
}

static void test_npm_registry(void)
{
	char dir[] = "/tmp/pkgleaks-test-source-XXXXXX", cwd[4096];
	enter_tmp(dir, cwd, sizeof(cwd));
	unsetenv("npm_config_registry");
	unsetenv("NPM_CONFIG_REGISTRY");
	char *r = NULL;
	CHECK(pl_npm_registry_find(NULL, &r) == PL_ENOTFOUND && r == NULL);
	CHECK(strstr(pl_error_message(), "--registry") && strstr(pl_error_message(), ".npmrc"));
	FILE *fp = fopen(".npmrc", "w");
	CHECK(fp != NULL);
	fputs("# c\n@acme:registry=http://127.0.0.1:1/scoped/\nregistry = \"http://127.0.0.1:2/r/\"\n",
	      fp);
	fclose(fp);
	CHECK(pl_npm_registry_find(NULL, &r) == 0);
	CHECK_STR(r, "http://127.0.0.1:2/r/");
	free(r);
	setenv("npm_config_registry", "http://127.0.0.1:3/env/", 1);
	CHECK(pl_npm_registry_find(NULL, &r) == 0);
	CHECK_STR(r, "http://127.0.0.1:3/env/");
	free(r);
	CHECK(pl_npm_registry_find("http://127.0.0.1:4/flag/", &r) == 0);
	CHECK_STR(r, "http://127.0.0.1:4/flag/");
	free(r);
	unsetenv("npm_config_registry");
	CHECK(unlink(".npmrc") == 0);
	leave_tmp(dir, cwd);
}

static void check_auth(const struct npm_config *c, const char *url, const char *registry,
		       const char *want)
{
	char *h = npm_config_auth(c, url, registry);
	if (want)
		CHECK_STR(h ? h : "(none)", want);
	else
		CHECK(h == NULL);
	npm_auth_free(h);
}

static void test_npm_auth(void)
{
	char *d;
	CHECK_STR((d = npm_nerf_dart("https://u:p@Reg.Example:443/npm/pkg?x=1#f")), "//reg.example/npm/");
	free(d);
	CHECK_STR((d = npm_nerf_dart("http://127.0.0.1:8080/npm")), "//127.0.0.1:8080/");
	free(d);
	CHECK_STR((d = npm_nerf_dart("http://h:80")), "//h/");
	free(d);
	CHECK(npm_nerf_dart("ftp://h/x") == NULL);

	char dir[] = "/tmp/pkgleaks-test-npmrc-XXXXXX", cwd[4096];
	enter_tmp(dir, cwd, sizeof(cwd));
	setenv("PL_T_TOKEN", "from-env", 1);
	unsetenv("PL_T_UNSET");
	FILE *fp = fopen(".npmrc", "w");
	CHECK(fp != NULL);
	fputs("//a.test/npm/:_authToken=${PL_T_TOKEN}\n"
	      "//a.test/:_authToken=host-wide ; a comment\n"
	      "//b.test:8443/:_auth=dXNlcjpwYXNz\n"
	      "//c.test/r/:username=bob\n//c.test/r/:_password=\"c2VjcmV0\"\n"
	      "//d.test/:_authToken=${PL_T_UNSET?}x\\${PL_T_TOKEN}\n"
	      "@acme:registry=https://a.test/scoped/\n[section]\n//e.test/:_authToken=no\n", fp);
	fclose(fp);
	setenv("npm_config_//f.test/:_authToken", "env-token", 1);
	setenv("npm_config_//g.test/:_authToken", "two\r\nX-Injected: 1", 1);
	struct npm_config *c;
	CHECK(npm_config_load(&c) == 0);
	check_auth(c, "https://a.test/npm/pkg", NULL, "Bearer from-env");
	check_auth(c, "https://a.test/npm", NULL, "Bearer host-wide");
	check_auth(c, "https://a.test/other/x.tgz", NULL, "Bearer host-wide");
	check_auth(c, "https://a.test:444/npm/pkg", NULL, NULL);
	check_auth(c, "https://b.test:8443/x", NULL, "Basic dXNlcjpwYXNz");
	check_auth(c, "https://b.test/x", NULL, NULL);
	check_auth(c, "https://c.test/r/pkg", NULL, "Basic Ym9iOnNlY3JldA==");
	check_auth(c, "https://c.test/pkg", NULL, NULL);
	/* a tarball elsewhere on the registry's origin gets the registry's */
	check_auth(c, "https://c.test/tarballs/p.tgz", "https://c.test/r/", "Basic Ym9iOnNlY3JldA==");
	check_auth(c, "http://c.test/tarballs/p.tgz", "https://c.test/r/", NULL);
	check_auth(c, "https://cdn.test/r/p.tgz", "https://c.test/r/", NULL);
	check_auth(c, "https://d.test/", NULL, "Bearer x${PL_T_TOKEN}");
	check_auth(c, "https://e.test/", NULL, NULL);
	check_auth(c, "https://f.test/p", NULL, "Bearer env-token");
	check_auth(c, "https://g.test/p", NULL, NULL); /* no header injection */
	CHECK_STR(npm_config_registry_for(c, "@acme/x", "https://dflt/"), "https://a.test/scoped/");
	CHECK_STR(npm_config_registry_for(c, "@other/x", "https://dflt/"), "https://dflt/");
	CHECK_STR(npm_config_registry_for(c, "plain", "https://dflt/"), "https://dflt/");
	npm_config_free(c);
	unsetenv("npm_config_//f.test/:_authToken");
	unsetenv("npm_config_//g.test/:_authToken");
	unsetenv("PL_T_TOKEN");
	CHECK(unlink(".npmrc") == 0);
	leave_tmp(dir, cwd);
}

int main(void)
{
	test_versions();
	test_urls();
	test_times();
	test_npm_registry();
	test_npm_auth();
	TEST_MAIN_END();
}
