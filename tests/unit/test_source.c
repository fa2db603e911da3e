/* Unit tests for the registry sources' helpers: PEP 440 ordering, URL
 * resolution (PyPI's Simple pages use relative links), index times, and
 * where the npm registry comes from (never a built-in default), and which
 * npm credential a URL gets (nerf darts, as npm-registry-fetch does), and
 * npm's configuration layers (builtin, global, user, project, environment;
 * the project's place found up the tree) and TLS settings. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	/* A registry may list any digits: numbers saturate, never overflow. */
	CHECK(pl_version_cmp("99999999999999999999999", "1") > 0);
	CHECK(pl_version_cmp("1.99999999999999999999.0", "1.2") > 0);
	CHECK(pl_version_cmp("1.0rc99999999999999999999", "1.0rc1") > 0);
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
	setenv("npm_config_globalconfig", "/nonexistent", 1); /* not this machine's */
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
	unsetenv("npm_config_globalconfig");
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


/* ---- npm's configuration layers ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	CHECK(nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0);
}

/* Writes text to dir/name (dir/name's parents made first). */
static void put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		(void)mkdir(path, 0755);
		*p = '/';
	}
	FILE *fp = fopen(path, "w");
	CHECK(fp != NULL);
	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
}

static void make_dir(const char *dir, const char *name)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CHECK(mkdir(path, 0755) == 0);
}

static void go(const char *dir, const char *sub)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	CHECK(chdir(path) == 0);
}

/* Every setting pkgleaks reads from the environment, gone. */
static void clear_npm_env(void)
{
	static const char *const vars[] = {
		"npm_config_registry", "NPM_CONFIG_REGISTRY", "npm_config_userconfig",
		"NPM_CONFIG_USERCONFIG", "npm_config_globalconfig", "NPM_CONFIG_GLOBALCONFIG",
		"npm_config_prefix", "NPM_CONFIG_PREFIX", "PREFIX", "DESTDIR", "npm_config_global",
		"npm_config_location", "npm_config_cafile", "npm_config_ca", "npm_config_strict_ssl"};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

static struct npm_config *load(void)
{
	struct npm_config *c = NULL;
	CHECK(npm_config_load(&c) == 0 && c);
	return c;
}

/* registry's value and the layer it came from. */
static void check_registry(const char *want, const char *where)
{
	struct npm_config *c = load();
	CHECK_STR(npm_config_get(c, "registry"), want);
	CHECK_STR(npm_config_where(c, "registry"), where);
	npm_config_free(c);
}

static void test_npm_layers(void)
{
	char tmpl[] = "/tmp/pkgleaks-test-layers-XXXXXX", cwd[4096], d[PATH_MAX], path[PATH_MAX * 2];
	CHECK(mkdtemp(tmpl) != NULL);
	CHECK(realpath(tmpl, d) != NULL); /* as getcwd will say it */
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	char *old_path = strdup(getenv("PATH") ? getenv("PATH") : "");
	clear_npm_env();
	setenv("HOME", d, 1);
	/* a node and an npm on $PATH: the global prefix is node's bin/.. */
	put(d, "node/bin/node", "#!/bin/sh\n");
	put(d, "node/lib/node_modules/npm/bin/npm-cli.js", "#!/bin/sh\n");
	snprintf(path, sizeof(path), "%s/node/bin/node", d);
	CHECK(chmod(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/node/lib/node_modules/npm/bin/npm-cli.js", d);
	CHECK(chmod(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/node/bin/npm", d);
	CHECK(symlink("../lib/node_modules/npm/bin/npm-cli.js", path) == 0);
	snprintf(path, sizeof(path), "%s/node/bin:/nonexistent", d);
	setenv("PATH", path, 1);

	put(d, "node/lib/node_modules/npm/npmrc", "registry=http://builtin/\n");
	put(d, "node/etc/npmrc", "registry=http://global/\n//g.test/:_authToken=global\n");
	put(d, ".npmrc", "registry=http://user/\n");
	put(d, "proj/package.json", "{}\n");
	put(d, "proj/.npmrc", "registry=http://project/\n");
	put(d, "proj/a/b/.npmrc", "registry=http://not-a-project/\n"); /* no package.json */
	go(d, "proj/a/b");

	setenv("npm_config_registry", "http://env/", 1);
	check_registry("http://env/", "environment");
	unsetenv("npm_config_registry");
	check_registry("http://project/", "project");
	struct npm_config *c = load();
	snprintf(path, sizeof(path), "%s/proj", d);
	CHECK_STR(npm_config_local_prefix(c), path);
	snprintf(path, sizeof(path), "%s/proj/.npmrc", d);
	CHECK_STR(npm_config_file(c, NPM_PROJECT), path);
	snprintf(path, sizeof(path), "%s/.npmrc", d);
	CHECK_STR(npm_config_file(c, NPM_USER), path);
	snprintf(path, sizeof(path), "%s/node/etc/npmrc", d);
	CHECK_STR(npm_config_file(c, NPM_GLOBAL), path);
	snprintf(path, sizeof(path), "%s/node/lib/node_modules/npm/npmrc", d);
	CHECK_STR(npm_config_file(c, NPM_BUILTIN), path);
	/* the global file's credentials count too */
	check_auth(c, "https://g.test/x", NULL, "Bearer global");
	npm_config_free(c);

	/* node_modules marks a project too; the nearest one wins */
	make_dir(d, "proj/a/node_modules");
	put(d, "proj/a/.npmrc", "registry=http://nearer/\n");
	check_registry("http://nearer/", "project");
	snprintf(path, sizeof(path), "%s/proj/a/node_modules", d);
	CHECK(rmdir(path) == 0);
	/* global=true: no project file (npm's global mode) */
	setenv("npm_config_global", "true", 1);
	check_registry("http://user/", "user");
	unsetenv("npm_config_global");

	/* a workspace's project file is its root's */
	put(d, "mono/package.json", "{\"workspaces\": [\"packages/*\", \"!packages/skip\"]}\n");
	put(d, "mono/.npmrc", "registry=http://mono-root/\n");
	put(d, "mono/packages/w1/package.json", "{}\n");
	put(d, "mono/packages/w1/.npmrc", "registry=http://w1/\n");
	put(d, "mono/packages/skip/package.json", "{}\n");
	put(d, "mono/packages/skip/.npmrc", "registry=http://skip/\n");
	go(d, "mono/packages/w1");
	check_registry("http://mono-root/", "project");
	go(d, "mono/packages/skip");
	check_registry("http://skip/", "project");
	go(d, "proj/a/b");

	/* the user file, then global, then builtin, as each goes */
	snprintf(path, sizeof(path), "%s/proj/.npmrc", d);
	CHECK(unlink(path) == 0);
	snprintf(path, sizeof(path), "%s/proj/a/.npmrc", d);
	CHECK(unlink(path) == 0);
	check_registry("http://user/", "user");
	snprintf(path, sizeof(path), "%s/.npmrc", d);
	CHECK(unlink(path) == 0);
	check_registry("http://global/", "global");
	/* npm_config_prefix, $PREFIX, npm_config_globalconfig move the global file */
	put(d, "p2/etc/npmrc", "registry=http://p2/\n");
	snprintf(path, sizeof(path), "%s/p2", d);
	setenv("npm_config_prefix", path, 1);
	check_registry("http://p2/", "global");
	unsetenv("npm_config_prefix");
	setenv("PREFIX", path, 1);
	check_registry("http://p2/", "global");
	unsetenv("PREFIX");
	put(d, "elsewhere/g.npmrc", "registry=http://gc/\n");
	snprintf(path, sizeof(path), "%s/elsewhere/g.npmrc", d);
	setenv("npm_config_globalconfig", path, 1);
	check_registry("http://gc/", "global");
	unsetenv("npm_config_globalconfig");
	/* the user file may name it, as prefix= (~/ is $HOME) */
	put(d, ".npmrc", "prefix=~/p2\n");
	check_registry("http://p2/", "global");
	/* the builtin file may name it too (Debian's names /etc/npmrc) */
	snprintf(path, sizeof(path), "globalconfig=%s/elsewhere/g.npmrc\nregistry=http://builtin/\n",
		 d);
	put(d, "node/lib/node_modules/npm/npmrc", path);
	put(d, ".npmrc", "");
	check_registry("http://gc/", "global");
	snprintf(path, sizeof(path), "%s/elsewhere/g.npmrc", d);
	CHECK(unlink(path) == 0);
	check_registry("http://builtin/", "builtin");
	/* the project file may name the user file */
	put(d, "proj/.npmrc", "userconfig=~/elsewhere/u.npmrc\n");
	put(d, "elsewhere/u.npmrc", "registry=http://u2/\n");
	check_registry("http://u2/", "user");
	/* no node, no npm on $PATH: neither file */
	setenv("PATH", "/nonexistent", 1);
	c = load();
	CHECK(npm_config_file(c, NPM_BUILTIN) == NULL);
	CHECK(npm_config_file(c, NPM_GLOBAL) == NULL);
	npm_config_free(c);

	setenv("PATH", old_path, 1);
	free(old_path);
	CHECK(chdir(cwd) == 0);
	rm_tree(d);
}

static void test_npm_ini(void)
{
	char tmpl[] = "/tmp/pkgleaks-test-ini-XXXXXX", cwd[4096];
	enter_tmp(tmpl, cwd, sizeof(cwd));
	clear_npm_env();
	setenv("npm_config_globalconfig", "/nonexistent", 1);
	put(tmpl, ".npmrc",
	    "a=\"x\\ty\\u0041\\\"q\"\n" /* a JSON string */
	    "b=\"not json\\q\"\n"       /* kept as written */
	    "c='single ; kept'\n"
	    "d = plain ; comment\n"
	    "bare-key\n"
	    "ca[]=one\nca[]=two\nca=three\n" /* a list stays one in its file */
	    "[section]\ne=no\n");
	struct npm_config *c = load();
	CHECK_STR(npm_config_get(c, "a"), "x\tyA\"q");
	CHECK_STR(npm_config_get(c, "b"), "\"not json\\q\"");
	CHECK_STR(npm_config_get(c, "c"), "single ; kept");
	CHECK_STR(npm_config_get(c, "d"), "plain");
	CHECK_STR(npm_config_get(c, "bare-key"), "true");
	CHECK_STR(npm_config_get(c, "ca"), "one\ntwo\nthree");
	CHECK(npm_config_get(c, "e") == NULL);
	npm_config_free(c);
	unsetenv("npm_config_globalconfig");
	CHECK(chdir(cwd) == 0);
	rm_tree(tmpl);
}

static void check_tls(const struct npm_config *c, const char *url, const char *registry,
		      const char *cert, const char *key)
{
	struct pl_http_tls t;
	npm_config_tls(c, url, registry, &t);
	if (cert) {
		CHECK_STR(t.certfile, cert);
		CHECK_STR(t.keyfile, key);
	} else {
		CHECK(t.certfile == NULL && t.keyfile == NULL);
	}
}

static void test_npm_tls(void)
{
	char tmpl[] = "/tmp/pkgleaks-test-tls-XXXXXX", cwd[4096], d[PATH_MAX], buf[PATH_MAX * 2];
	enter_tmp(tmpl, cwd, sizeof(cwd));
	CHECK(realpath(tmpl, d) != NULL);
	clear_npm_env();
	setenv("npm_config_globalconfig", "/nonexistent", 1);
	put(d, "ca.pem", "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n");

	/* ca= with \n written out; no cafile */
	put(d, ".npmrc", "ca=-----BEGIN CERTIFICATE-----\\nAAA\\n-----END CERTIFICATE-----\n");
	struct npm_config *c = load();
	struct pl_http_tls t;
	npm_config_tls(c, "https://r.test/x", NULL, &t);
	CHECK_STR(t.ca_pem, "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n");
	CHECK(t.cafile == NULL && !t.insecure && !t.certfile);
	npm_config_free(c);

	/* cafile (~/ is $HOME) wins over ca, whatever the layer */
	setenv("npm_config_ca", "-----BEGIN CERTIFICATE-----\\nBBB", 1);
	put(d, ".npmrc", "cafile=~/ca.pem\n");
	c = load();
	npm_config_tls(c, "https://r.test/x", NULL, &t);
	snprintf(buf, sizeof(buf), "%s/ca.pem", d);
	CHECK_STR(t.cafile, buf);
	CHECK(t.ca_pem == NULL);
	npm_config_free(c);
	/* a cafile that does not exist is ignored (npm's rule): ca stays */
	put(d, ".npmrc", "cafile=/nonexistent/ca.pem\n");
	c = load();
	npm_config_tls(c, "https://r.test/x", NULL, &t);
	CHECK(t.cafile == NULL);
	CHECK_STR(t.ca_pem, "-----BEGIN CERTIFICATE-----\nBBB\n");
	npm_config_free(c);
	unsetenv("npm_config_ca");

	/* strict-ssl: npm's Boolean */
	static const struct {
		const char *v;
		int insecure;
	} ss[] = {{"false", 1}, {"null", 1}, {"0", 1}, {"", 1}, {"true", 0}, {"1", 0}, {"no", 0}};
	for (size_t i = 0; i < sizeof(ss) / sizeof(ss[0]); i++) {
		snprintf(buf, sizeof(buf), "strict-ssl=%s\n", ss[i].v);
		put(d, ".npmrc", buf);
		c = load();
		npm_config_tls(c, "http://r.test/x", NULL, &t); /* http: no warning */
		if (t.insecure != ss[i].insecure)
			fprintf(stderr, "strict-ssl=%s\n", ss[i].v);
		CHECK(t.insecure == ss[i].insecure);
		npm_config_free(c);
	}
	setenv("npm_config_strict_ssl", "true", 1); /* the environment beats the file */
	put(d, ".npmrc", "strict-ssl=false\n");
	c = load();
	npm_config_tls(c, "http://r.test/x", NULL, &t);
	CHECK(!t.insecure);
	npm_config_free(c);
	unsetenv("npm_config_strict_ssl");

	/* client certificates: scoped like tokens */
	put(d, ".npmrc",
	    "//r.test:8443/:certfile=/c/host.pem\n//r.test:8443/:keyfile=/c/host.key\n"
	    "//r.test:8443/deep/:certfile=/c/deep.pem\n//r.test:8443/deep/:keyfile=/c/deep.key\n"
	    "//r.test:8443/half/:certfile=/c/half.pem\n"
	    "//r.test:8443/tok/:_authToken=t\n");
	c = load();
	check_tls(c, "https://r.test:8443/npm/x", NULL, "/c/host.pem", "/c/host.key");
	check_tls(c, "https://r.test:8443/deep/x", NULL, "/c/deep.pem", "/c/deep.key");
	/* certfile without keyfile is no credential: the shorter dart's */
	check_tls(c, "https://r.test:8443/half/x", NULL, "/c/host.pem", "/c/host.key");
	/* a longer dart with a token wins, and has no certificate (npm's rule) */
	check_tls(c, "https://r.test:8443/tok/x", NULL, NULL, NULL);
	check_auth(c, "https://r.test:8443/tok/x", NULL, "Bearer t");
	/* a certificate alone gives no Authorization */
	check_auth(c, "https://r.test:8443/npm/x", NULL, NULL);
	/* another port, host or scheme: none */
	check_tls(c, "https://r.test/npm/x", NULL, NULL, NULL);
	check_tls(c, "https://cdn.test/x.tgz", "https://r.test:8443/npm/", NULL, NULL);
	npm_config_free(c);
	put(d, ".npmrc", "//r.test/npm/:certfile=/c/r.pem\n//r.test/npm/:keyfile=/c/r.key\n");
	c = load();
	/* a tarball elsewhere on its registry's origin: the registry's */
	check_tls(c, "https://r.test/tarballs/x.tgz", "https://r.test/npm/", "/c/r.pem", "/c/r.key");
	check_tls(c, "https://r.test/tarballs/x.tgz", NULL, NULL, NULL);
	check_tls(c, "http://r.test/tarballs/x.tgz", "https://r.test/npm/", NULL, NULL);
	npm_config_free(c);

	/* npm's deprecated top-level cert= and key= (inline PEM, "\n" written
	 * out or, quoted, a JSON string): on registry requests and their
	 * origin's tarballs; a scoped pair wins; one without the other is none */
	put(d, ".npmrc", "cert=-----BEGIN CERTIFICATE-----\\nCCC\\n-----END CERTIFICATE-----\n"
			 "key=\"-----BEGIN PRIVATE KEY-----\\nKKK\\n-----END PRIVATE KEY-----\"\n"
			 "//r.test/own/:certfile=/c/own.pem\n//r.test/own/:keyfile=/c/own.key\n");
	c = load();
	npm_config_tls(c, "https://r.test/npm/x", NULL, &t);
	CHECK_STR(t.cert_pem, "-----BEGIN CERTIFICATE-----\nCCC\n-----END CERTIFICATE-----\n");
	CHECK_STR(t.key_pem, "-----BEGIN PRIVATE KEY-----\nKKK\n-----END PRIVATE KEY-----\n");
	CHECK(t.certfile == NULL);
	npm_config_tls(c, "https://r.test/tarballs/x.tgz", "https://r.test/npm/", &t);
	CHECK(t.cert_pem && t.key_pem);
	npm_config_tls(c, "https://cdn.test/x.tgz", "https://r.test/npm/", &t);
	CHECK(t.cert_pem == NULL && t.key_pem == NULL);
	npm_config_tls(c, "https://r.test/own/x", NULL, &t);
	CHECK_STR(t.certfile, "/c/own.pem");
	CHECK(t.cert_pem == NULL);
	npm_config_free(c);
	put(d, ".npmrc", "cert=-----BEGIN CERTIFICATE-----\\nCCC\n");
	c = load();
	npm_config_tls(c, "https://r.test/npm/x", NULL, &t);
	CHECK(t.cert_pem == NULL && t.key_pem == NULL);
	npm_config_free(c);

	unsetenv("npm_config_globalconfig");
	CHECK(chdir(cwd) == 0);
	rm_tree(d);
}

/* libcurl loaded ahead in a thread of its own: waiting twice is harmless,
 * and a fetch made afterwards (or without any preload) works. */
static void test_preload(void)
{
	pl_source_preload();
	pl_source_preload_wait();
	pl_source_preload_wait();
	struct pl_source_options o;
	pl_source_options_default(&o);
	struct pl_fetch *f = NULL;
	CHECK(pl_fetch_new(&o, &f) == 0 && f);
	pl_fetch_free(f);
	pl_source_preload(); /* already loaded: the thread finds it done */
	pl_source_preload_wait();
}

int main(void)
{
	test_versions();
	test_urls();
	test_times();
	test_npm_registry();
	test_npm_auth();
	test_npm_layers();
	test_npm_ini();
	test_npm_tls();
	test_preload();
	TEST_MAIN_END();
}
