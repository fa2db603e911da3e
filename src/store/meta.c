/* Project, version and ecosystem of an artifact, from its own metadata files
 * or, failing that, from its file name. Every value is trimmed, capped and
 * made printable before it is kept: metadata is as hostile as the rest. */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "pkgleaks/store.h"
#include "store/contacts.h"
#include "util/alloc.h"
#include "util/escape.h"

/* Longest project or version name kept. */
#define PL_ID_MAX 200
/* YAML events read from a gem's metadata before giving up. */
#define PL_YAML_MAX_EVENTS 200000
#define PL_YAML_MAX_DEPTH 64

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Trimmed, capped, printable copy; NULL when nothing is left. */
static char *clean(const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (!len)
		return NULL;
	return pl_escape(s, len > PL_ID_MAX ? PL_ID_MAX : len);
}

static void set(char **field, char *value)
{
	if (!value)
		return;
	free(*field);
	*field = value;
}

/* PyPI compares names after PEP 503 normalisation: "Foo_Bar" is "foo-bar". */
static void pep503(char *name)
{
	char *w = name;
	for (const char *r = name; *r; r++) {
		if (*r == '-' || *r == '_' || *r == '.') {
			if (w == name || w[-1] != '-')
				*w++ = '-';
		} else {
			*w++ = (char)tolower((unsigned char)*r);
		}
	}
	*w = '\0';
}

/* ---- RFC 822 style headers: PKG-INFO, METADATA, Debian control ---- */

static void headers(const char *text, size_t len, const char *name_key, char **name,
		    char **version)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		size_t n = (size_t)(le - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n == 0)
			break; /* the body starts */
		const char *colon = memchr(p, ':', n);
		if (colon && p[0] != ' ' && p[0] != '\t') {
			size_t k = (size_t)(colon - p), vn = n - k - 1;
			if (k == strlen(name_key) && strncasecmp(p, name_key, k) == 0 && !*name)
				*name = clean(colon + 1, vn);
			else if (k == 7 && strncasecmp(p, "Version", 7) == 0 && !*version)
				*version = clean(colon + 1, vn);
		}
		p = le + 1;
	}
}

/* ---- package.json ---- */

static void package_json(const char *text, size_t len, char **name, char **version,
			 struct pl_contacts *contacts)
{
	json_t *doc = json_loadb(text, len, JSON_DISABLE_EOF_CHECK, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return;
	}
	json_t *n = json_object_get(doc, "name"), *v = json_object_get(doc, "version");
	if (json_is_string(n))
		*name = clean(json_string_value(n), json_string_length(n));
	if (json_is_string(v))
		*version = clean(json_string_value(v), json_string_length(v));
	pl_contacts_from_package_json(contacts, doc);
	json_decref(doc);
}

/* ---- a gem's metadata: YAML, name: and version: version: ---- */

struct yaml_level {
	int is_map, expect_key;
	char key[16];
};

struct yaml_walk {
	struct yaml_level st[PL_YAML_MAX_DEPTH];
	int depth;
	char **name, **version;
};

static void yaml_value(struct yaml_walk *w, const char *v, size_t len)
{
	if (w->depth == 1 && strcmp(w->st[0].key, "name") == 0 && !*w->name)
		*w->name = clean(v, len);
	else if (w->depth == 2 && strcmp(w->st[0].key, "version") == 0 &&
		 strcmp(w->st[1].key, "version") == 0 && !*w->version)
		*w->version = clean(v, len);
}

/* One event; returns 0 to go on, -1 to stop. */
static int yaml_step(struct yaml_walk *w, const yaml_event_t *ev)
{
	struct yaml_level *top = w->depth ? &w->st[w->depth - 1] : NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
	case YAML_ALIAS_EVENT:
		if (!top || !top->is_map)
			return 0;
		if (top->expect_key) {
			const char *k = ev->type == YAML_SCALAR_EVENT ? (const char *)ev->data.scalar.value : "";
			snprintf(top->key, sizeof(top->key), "%s", k);
		} else if (ev->type == YAML_SCALAR_EVENT) {
			yaml_value(w, (const char *)ev->data.scalar.value, ev->data.scalar.length);
		}
		top->expect_key = !top->expect_key;
		return 0;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		if (w->depth == PL_YAML_MAX_DEPTH)
			return -1;
		w->st[w->depth++] = (struct yaml_level){ev->type == YAML_MAPPING_START_EVENT, 1, ""};
		return 0;
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		if (w->depth)
			w->depth--;
		if (w->depth && w->st[w->depth - 1].is_map)
			w->st[w->depth - 1].expect_key = 1;
		return 0;
	case YAML_DOCUMENT_END_EVENT:
	case YAML_STREAM_END_EVENT:
		return -1;
	default:
		return 0;
	}
}

static void gem_metadata(const char *text, size_t len, char **name, char **version)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	struct yaml_walk w = {.name = name, .version = version};
	for (int i = 0; i < PL_YAML_MAX_EVENTS; i++) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev))
			break;
		int stop = yaml_step(&w, &ev);
		yaml_event_delete(&ev);
		if (stop)
			break;
	}
	yaml_parser_delete(&parser);
}

/* ---- the public entry points ---- */

static size_t depth_of(const char *path)
{
	size_t n = 0;
	for (; *path; path++)
		n += *path == '/';
	return n;
}

void pl_package_id_from_metadata(struct pl_package_id *id, const char *path, const char *text,
				 size_t len)
{
	const char *base = base_name(path);
	int depth = (int)depth_of(path);
	if (id->depth >= 0 && depth >= id->depth)
		return; /* a shallower metadata file already answered */
	char *name = NULL, *version = NULL;
	struct pl_contacts contacts = {0};
	const char *eco;
	if (strcmp(base, "PKG-INFO") == 0 || strcmp(base, "METADATA") == 0) {
		eco = "pypi";
		headers(text, len, "Name", &name, &version);
		pl_contacts_from_headers(&contacts, text, len, 0);
	} else if (strcmp(base, "package.json") == 0) {
		eco = "npm";
		package_json(text, len, &name, &version, &contacts);
	} else if (strcmp(base, "control") == 0) {
		eco = "debian";
		headers(text, len, "Package", &name, &version);
		pl_contacts_from_headers(&contacts, text, len, 1);
	} else if (strcmp(base, "metadata") == 0 || strcmp(base, "metadata.gz") == 0) {
		eco = "rubygems";
		gem_metadata(text, len, &name, &version);
	} else {
		return;
	}
	if (!name) {
		free(version);
		pl_contacts_release(&contacts);
		return;
	}
	id->depth = depth;
	set(&id->ecosystem, pl_xstrdup(eco));
	set(&id->project, name);
	set(&id->version, version);
	pl_contacts_move(&contacts, &id->contacts, &id->ncontacts);
}

/* "1.2.3", "2022.9.24", "7" start a version; "3parclient" does not. */
static int looks_like_version(const char *s)
{
	if (!isdigit((unsigned char)*s))
		return 0;
	while (isdigit((unsigned char)*s))
		s++;
	return *s == '\0' || *s == '.' || *s == '-' || *s == '+' || *s == '_';
}

static const struct {
	const char *suffix, *ecosystem;
	char sep;        /* between name and version */
	int version_cut; /* the version ends at the next separator */
} conventions[] = {
	{".whl", "pypi", '-', 1},      {".egg", "pypi", '-', 1},
	{".deb", "debian", '_', 1},    {".gem", "rubygems", '-', 1},
	{".tgz", "npm", '-', 0},       {".tar.gz", "other", '-', 0},
	{".tar.bz2", "other", '-', 0}, {".tar.xz", "other", '-', 0},
	{".tar.zst", "other", '-', 0}, {".tar", "other", '-', 0},
	{".zip", "other", '-', 0},
};

/* name-1.2.3.tar.gz and friends: the name ends at the first separator that
 * a version follows. */
static void from_file_name(struct pl_package_id *id, const char *base)
{
	size_t k = 0, n = sizeof(conventions) / sizeof(conventions[0]);
	while (k < n && !ends_with(base, conventions[k].suffix))
		k++;
	size_t stem = k < n ? strlen(base) - strlen(conventions[k].suffix) : strlen(base);
	char sep = k < n ? conventions[k].sep : '-';
	const char *v = NULL;
	for (const char *p = base; p < base + stem && !v; p++)
		if (*p == sep && p > base && looks_like_version(p + 1))
			v = p + 1;
	size_t vlen = v ? stem - (size_t)(v - base) : 0;
	if (v && k < n && conventions[k].version_cut) {
		const char *cut = memchr(v, sep, vlen);
		vlen = cut ? (size_t)(cut - v) : vlen;
	}
	if (!id->ecosystem)
		id->ecosystem = pl_xstrdup(k < n ? conventions[k].ecosystem : "other");
	if (!id->project)
		id->project = clean(base, v ? (size_t)(v - base) - 1 : stem);
	if (!id->version && v)
		id->version = clean(v, vlen);
}

void pl_package_id_finish(struct pl_package_id *id, const char *filename)
{
	const char *base = base_name(filename);
	from_file_name(id, base);
	/* The name part was white space alone ("\r", "\t-1.0.tgz"): the whole
	 * base name, escaped as every kept value is. */
	if (!id->project && base[0])
		id->project = pl_escape(base, strnlen(base, PL_ID_MAX));
	if (!id->project)
		id->project = pl_xstrdup("-");
	if (!id->version)
		id->version = pl_xstrdup("");
	if (strcmp(id->ecosystem, "pypi") == 0)
		pep503(id->project);
}

void pl_package_id_release(struct pl_package_id *id)
{
	free(id->ecosystem);
	free(id->project);
	free(id->version);
	pl_contact_array_free(id->contacts, id->ncontacts);
	*id = (struct pl_package_id){.depth = -1};
}
