/* Classifying where a file sits (see scan_int.h): researchers count leaks
 * in tests, examples and docs apart from those in code and config.
 *
 * A path gets the strongest kind that any of its parts gives, in this order:
 *
 *   test > example > docs > config > code > other
 *
 * The order says which intent wins when two overlap, most specific first.
 * A file under tests/ is a test fixture whatever its type (a README or a
 * settings.py in tests/ is still test data). An example is something users
 * copy, so a config.yaml or a README under examples/ is an example. Docs
 * come next: docs/conf.py configures the docs, it is not the package's
 * config. Config beats code because config/ or settings.py is where
 * deployment secrets live, and everything else with a source extension is
 * code. "other" is for what none of these name (data, binaries, lockfiles).
 *
 * The path examined is the innermost member (after the last "!/"), or the
 * source when there is no path. The directories of the outer members count
 * too: "pkg/tests/fixture.tar.gz!/conf/settings.json" is a test fixture,
 * though its own path says config. The source itself is ignored when there
 * is a path: where the user keeps a package says nothing about it.
 *
 * Everything is matched case-insensitively (README.MD, Tests/), except the
 * Java-style "FooTest" suffix, which needs its capital to not catch
 * "latest". No allocation: the path may be hostile and long, so it is
 * walked in place. */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "scan/scan_int.h"

enum kind { K_OTHER, K_CODE, K_CONFIG, K_DOCS, K_EXAMPLE, K_TEST };

static const char *const kind_names[] = { "other", "code", "config", "docs", "example", "test" };

/* A piece of the path: not NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

static int eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

static int starts(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n >= n && strncasecmp(s.p, lit, n) == 0;
}

static int ends(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n >= n && strncasecmp(s.p + s.n - n, lit, n) == 0;
}

static int ends_exact(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n > n && memcmp(s.p + s.n - n, lit, n) == 0;
}

static int contains(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	for (size_t i = 0; n <= s.n && i <= s.n - n; i++)
		if (strncasecmp(s.p + i, lit, n) == 0)
			return 1;
	return 0;
}

static int in_list(struct span s, const char *const *list)
{
	for (; *list; list++)
		if (eq(s, *list))
			return 1;
	return 0;
}

static int starts_any(struct span s, const char *const *list)
{
	for (; *list; list++)
		if (starts(s, *list))
			return 1;
	return 0;
}

static int ends_any(struct span s, const char *const *list)
{
	for (; *list; list++)
		if (ends(s, *list))
			return 1;
	return 0;
}

/* ---- directories ---- */

static const char *const test_dirs[] = {
	"test", "tests", "testing", "__tests__", "spec", "specs", "fixture", "fixtures",
	"__fixtures__", "__mocks__", "__snapshots__", "testdata", "test_data", "test-data",
	"testfiles", "unittests", "e2e", NULL,
};
static const char *const test_dir_prefixes[] = { "test_", "test-", "tests_", "tests-", NULL };
static const char *const test_dir_suffixes[] = { "_test", "_tests", "-test", "-tests", NULL };
static const char *const example_dirs[] = { "sample", "samples", "demo", "demos", NULL };
static const char *const docs_dirs[] = {
	"doc", "docs", "documentation", "man", "manpages", "wiki", "gtk-doc", NULL,
};
static const char *const config_dirs[] = {
	"config", "configs", "conf", "cfg", "settings", "etc", ".config", ".github", ".circleci",
	".vscode", ".devcontainer", ".aws", ".ssh", ".kube", ".docker", "secrets", NULL,
};

static enum kind dir_kind(struct span d, struct span prev)
{
	if (in_list(d, test_dirs) || starts_any(d, test_dir_prefixes) || ends_any(d, test_dir_suffixes))
		return K_TEST;
	if (starts(d, "example") || in_list(d, example_dirs))
		return K_EXAMPLE;
	if (in_list(d, docs_dirs) || (d.n == 4 && starts(d, "man") && d.p[3] >= '1' && d.p[3] <= '9') ||
	    (eq(prev, "share") && (eq(d, "info") || eq(d, "help"))))
		return K_DOCS;
	if (in_list(d, config_dirs))
		return K_CONFIG;
	return K_OTHER;
}

/* ---- file names ---- */

static const char *const code_exts[] = {
	"py", "pyw", "pyi", "pyx", "pxd", "pyc", "pyo", "ipynb", "js", "mjs", "cjs", "jsx", "ts",
	"mts", "cts", "tsx", "vue", "svelte", "coffee", "rb", "go", "java", "kt", "kts", "scala",
	"groovy", "clj", "sh", "bash", "zsh", "fish", "ps1", "psm1", "bat", "cmd", "php", "pl",
	"pm", "lua", "r", "jl", "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "cs", "fs", "vb",
	"swift", "m", "mm", "rs", "dart", "ex", "exs", "erl", "hs", "nim", "zig", "sql", "html",
	"htm", "xhtml", NULL,
};
/* Languages whose tests are named FooTest / FooTests / FooSpec. */
static const char *const class_test_exts[] = {
	"java", "kt", "scala", "groovy", "cs", "swift", "php", "m", NULL,
};
static const char *const test_stem_prefixes[] = { "test_", "test-", "test.", "tests_", NULL };
static const char *const test_stem_suffixes[] = {
	"_test", "-test", ".test", "_tests", "-tests", "_spec", "-spec", ".spec", NULL,
};
static const char *const example_exts[] = { "example", "sample", "template", "tmpl", "dist", NULL };
static const char *const example_infixes[] = {
	".example", "_example", "-example", ".sample", "_sample", "-sample", NULL,
};
static const char *const docs_prefixes[] = {
	"readme", "changelog", "changes", "history", "news", "authors", "contributing",
	"contributors", "license", "licence", "copying", "notice", "copyright", "code_of_conduct",
	"install", NULL,
};
static const char *const docs_names[] = { "pkg-info", "metadata", NULL };
static const char *const docs_exts[] = {
	"md", "markdown", "mdx", "rst", "txt", "adoc", "asciidoc", "textile", "pod", "rdoc",
	"tex", "texi", "texinfo", "man", "pdf", NULL,
};
/* setuptools' egg-info files: metadata, not prose. */
static const char *const egg_info_txt[] = {
	"entry_points.txt", "top_level.txt", "dependency_links.txt", "sources.txt",
	"namespace_packages.txt", "requires.txt", "installed-files.txt", NULL,
};
static const char *const config_names[] = {
	".env", ".npmrc", ".pypirc", ".netrc", ".pgpass", ".gitconfig", ".git-credentials",
	".dockercfg", ".htpasswd", ".s3cfg", ".boto", "credentials", "config", "dockerfile",
	"containerfile", "procfile", "vagrantfile", "jenkinsfile", "cmakelists.txt", "pom.xml",
	"web.xml", "settings.xml", "app.config", "web.config", "package.json", "composer.json",
	"app.json", "manifest.json", "launch.json", NULL,
};
static const char *const config_prefixes[] = { ".env.", "dockerfile.", "docker-compose", NULL };
static const char *const config_exts[] = {
	"ini", "cfg", "conf", "config", "cnf", "toml", "yaml", "yml", "properties", "env", "tf",
	"tfvars", "hcl", "plist", "dockerfile",
	/* key and keystore files: deployment material, like .npmrc */
	"pem", "key", "p12", "pfx", "jks", "keystore", "ppk", NULL,
};
/* Stems of source files that hold settings (settings.py, config.js,
 * webpack.config.js, local_settings.py, secrets.py). */
static const char *const config_stems[] = {
	"settings", "config", "configuration", "conf", "secrets", "credentials", "env", NULL,
};
static const char *const config_stem_suffixes[] = {
	"_settings", "-settings", ".config", "_config", "-config", "_secrets", NULL,
};
static const char *const config_stem_prefixes[] = { "settings_", "config_", NULL };
/* Words that make a .json file config rather than data: anywhere in the
 * name, or (short ones, which hide in "author" or "monkey") as a word. */
static const char *const json_config_words[] = {
	"config", "setting", "secret", "credential", "token", "account", "firebase", "apikey", NULL,
};
static const char *const json_config_tokens[] = {
	"conf", "auth", "env", "key", "keys", "prod", "production", "staging", "local", NULL,
};

/* The extension after the last dot, and the stem before it. A leading dot
 * is part of the stem (".env" has no extension). */
static void split_name(struct span name, struct span *stem, struct span *ext)
{
	size_t dot = name.n;
	for (size_t i = name.n; i > 1; i--)
		if (name.p[i - 1] == '.') {
			dot = i - 1;
			break;
		}
	*stem = (struct span){ name.p, dot };
	*ext = dot < name.n ? (struct span){ name.p + dot + 1, name.n - dot - 1 } : (struct span){ "", 0 };
}

/* True when one of the words of s (split at . _ - and space) is w. */
static int has_word(struct span s, const char *w)
{
	size_t i = 0;
	while (i < s.n) {
		size_t j = i;
		while (j < s.n && !strchr("._- ", s.p[j]))
			j++;
		if (eq((struct span){ s.p + i, j - i }, w))
			return 1;
		i = j + 1;
	}
	return 0;
}

/* README, README.md, LICENSE-MIT, README.Debian, but not news.json or
 * installer.cfg. */
static int is_docs_name(struct span name, struct span ext, int code)
{
	if (code || in_list(ext, config_exts) || eq(ext, "json"))
		return 0;
	for (const char *const *p = docs_prefixes; *p; p++) {
		size_t n = strlen(*p);
		if (starts(name, *p) && (name.n == n || strchr(".-_", name.p[n])))
			return 1;
	}
	return 0;
}

static enum kind file_kind(struct span name)
{
	struct span stem, ext;
	split_name(name, &stem, &ext);
	int code = in_list(ext, code_exts);
	/* __pycache__/test_x.cpython-312.pyc: the module is test_x */
	if (eq(ext, "pyc") || eq(ext, "pyo")) {
		const char *dot = memchr(stem.p, '.', stem.n);
		if (dot)
			stem.n = (size_t)(dot - stem.p);
	}

	if (eq(name, "conftest.py") || in_list(stem, (const char *const[]){ "test", "tests", NULL }) ||
	    starts_any(stem, test_stem_prefixes) || ends_any(stem, test_stem_suffixes) ||
	    (in_list(ext, class_test_exts) &&
	     (ends_exact(stem, "Test") || ends_exact(stem, "Tests") || ends_exact(stem, "Spec"))))
		return K_TEST;

	if (in_list(ext, example_exts) || eq(stem, "example") || eq(stem, "sample") ||
	    eq(stem, "demo") || starts(stem, "example.") || starts(stem, "example_") ||
	    starts(stem, "example-") || starts(stem, "sample.") || starts(stem, "sample_") ||
	    starts(stem, "sample-") || ends_any(stem, example_infixes) || contains(stem, ".example.") ||
	    contains(stem, ".sample."))
		return K_EXAMPLE;

	if (eq(ext, "txt")) {
		if (in_list(name, egg_info_txt))
			return K_OTHER;
		if (contains(stem, "requirements") || contains(stem, "constraints") ||
		    eq(name, "cmakelists.txt"))
			return K_CONFIG;
	}
	if (is_docs_name(name, ext, code) || in_list(name, docs_names) || in_list(ext, docs_exts))
		return K_DOCS;

	if (in_list(name, config_names) || starts_any(name, config_prefixes) ||
	    in_list(ext, config_exts) ||
	    (name.n > 3 && name.p[0] == '.' && ends(name, "rc")))
		return K_CONFIG;
	if (eq(ext, "json")) {
		for (const char *const *w = json_config_words; *w; w++)
			if (contains(stem, *w))
				return K_CONFIG;
		for (const char *const *w = json_config_tokens; *w; w++)
			if (has_word(stem, *w))
				return K_CONFIG;
		/* .eslintrc.json, .babelrc.json: tool settings */
		return name.p[0] == '.' ? K_CONFIG : K_OTHER;
	}
	if (code && (in_list(stem, config_stems) || ends_any(stem, config_stem_suffixes) ||
		     starts_any(stem, config_stem_prefixes)))
		return K_CONFIG;
	return code ? K_CODE : K_OTHER;
}

/* ---- the whole path ---- */

static int is_sep(char c)
{
	return c == '/' || c == '\\';
}

/* The strongest kind the directories of p[0, n) give; the last component
 * is the file, and counts only when with_file. */
static enum kind path_kind(const char *p, size_t n, int with_file)
{
	enum kind best = K_OTHER;
	struct span prev = { "", 0 };
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && !is_sep(p[j]))
			j++;
		struct span part = { p + i, j - i };
		int last = j == n;
		enum kind k = K_OTHER;
		if (part.n == 0 || eq(part, ".") || eq(part, ".."))
			k = K_OTHER;
		else if (!last)
			k = dir_kind(part, prev);
		else if (with_file)
			k = file_kind(part);
		if (k > best)
			best = k;
		if (part.n)
			prev = part;
		i = j + 1;
	}
	return best;
}

/* The next "!/" in p[0, n), or NULL. A plain loop: a libc or sanitizer
 * strstr may rescan the whole rest of the path on every call. */
static const char *next_member(const char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (p[i] == '!' && p[i + 1] == '/')
			return p + i;
	return NULL;
}

const char *pl_path_kind(const char *source, const char *path)
{
	if (!path || !path[0])
		return kind_names[source ? path_kind(source, strlen(source), 1) : K_OTHER];
	/* Each "!/" starts a member inside the previous one. */
	enum kind best = K_OTHER;
	const char *member = path, *end = path + strlen(path);
	for (;;) {
		const char *next = next_member(member, (size_t)(end - member));
		enum kind k = path_kind(member, (size_t)((next ? next : end) - member), !next);
		if (k > best)
			best = k;
		if (!next)
			break;
		member = next + 2;
	}
	return kind_names[best];
}
