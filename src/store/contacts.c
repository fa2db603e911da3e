/* Owner contacts from package metadata: who to tell when a package leaks.
 * Metadata is as hostile as the rest of a package: every value is bounded,
 * escaped, and counted against PL_CONTACTS_MAX. */
#include "store/contacts.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/escape.h"

/* Longest folded header value read (Uploaders lists can be long). */
#define PL_HEADER_MAX 4096
/* Entries read from a package.json "maintainers" array. */
#define PL_JSON_PEOPLE_MAX 32

/* ---- the list ---- */

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void contact_free(struct pl_contact *k)
{
	free(k->role);
	free(k->name);
	free(k->email);
	free(k->url);
}

void pl_contact_array_free(struct pl_contact *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		contact_free(&v[i]);
	free(v);
}

void pl_contacts_release(struct pl_contacts *c)
{
	pl_contact_array_free(c->v, c->n);
	*c = (struct pl_contacts){0};
}

void pl_contacts_move(struct pl_contacts *c, struct pl_contact **out, size_t *n)
{
	pl_contact_array_free(*out, *n);
	*out = c->v;
	*n = c->n;
	*c = (struct pl_contacts){0};
}

/* Takes ownership of name, email and url (any may be NULL). */
static void add(struct pl_contacts *c, const char *role, char *name, char *email, char *url)
{
	int dup = !name && !email && !url;
	for (size_t i = 0; !dup && i < c->n; i++)
		dup = strcmp(c->v[i].role, role) == 0 && same(c->v[i].name, name) &&
		      same(c->v[i].email, email) && same(c->v[i].url, url);
	if (dup || c->n >= PL_CONTACTS_MAX) {
		free(name);
		free(email);
		free(url);
		return;
	}
	PL_GROW(c->v, c->cap, c->n + 1);
	c->v[c->n++] = (struct pl_contact){pl_xstrdup(role), name, email, url};
}

/* ---- values ---- */

static void trim(const char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s))
		(*s)++, (*len)--;
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* What setuptools and friends write for a field nobody filled in. */
static int placeholder(const char *s, size_t len)
{
	static const char *const words[] = {"UNKNOWN", "None", "null", "n/a", "-"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (len == strlen(words[i]) && strncasecmp(s, words[i], len) == 0)
			return 1;
	return 0;
}

/* Trimmed (quotes too), capped, printable copy; NULL when nothing is left. */
static char *value(const char *s, size_t len)
{
	trim(&s, &len);
	if (len >= 2 && ((s[0] == '"' && s[len - 1] == '"') || (s[0] == '\'' && s[len - 1] == '\''))) {
		s++;
		len -= 2;
		trim(&s, &len);
	}
	if (!len || placeholder(s, len))
		return NULL;
	return pl_escape(s, len > PL_CONTACT_FIELD_MAX ? PL_CONTACT_FIELD_MAX : len);
}

/* An address: one '@' inside, no spaces; "mailto:" dropped. */
static char *email_value(const char *s, size_t len)
{
	trim(&s, &len);
	if (len > 7 && strncasecmp(s, "mailto:", 7) == 0)
		s += 7, len -= 7;
	const char *at = memchr(s, '@', len);
	if (!at || at == s || at == s + len - 1 || len > PL_CONTACT_FIELD_MAX)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (isspace((unsigned char)s[i]) || s[i] == '<' || s[i] == '>' || s[i] == ',')
			return NULL;
	return value(s, len);
}

static int starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && strncasecmp(s, prefix, n) == 0;
}

/* ---- people ---- */

/* "Name <mail@host> (https://url)"; each part optional; a bare address is
 * an address, not a name. */
void pl_contacts_add_person(struct pl_contacts *c, const char *role, const char *text,
			    size_t len)
{
	const char *s = text;
	trim(&s, &len);
	char *url = NULL, *email = NULL;
	/* "(https://...)" at the end is npm's url; "(Acme Corp)" is part of the name. */
	const char *open = len && s[len - 1] == ')' ? memrchr(s, '(', len) : NULL;
	size_t ulen = open ? (size_t)(s + len - 1 - open - 1) : 0;
	if (open && (memmem(open + 1, ulen, "://", 3) || starts_with(open + 1, ulen, "www."))) {
		url = value(open + 1, ulen);
		len = (size_t)(open - s);
		trim(&s, &len);
	}
	const char *lt = memchr(s, '<', len);
	const char *gt = lt ? memchr(lt, '>', (size_t)(s + len - lt)) : NULL;
	if (lt && gt) {
		email = email_value(lt + 1, (size_t)(gt - lt - 1));
		len = (size_t)(lt - s);
		trim(&s, &len);
	} else {
		/* "Jane Doe jane@example.org": the word with '@' is the address. */
		for (size_t i = 0; i < len && !email;) {
			size_t j = i;
			while (j < len && !isspace((unsigned char)s[j]))
				j++;
			if (memchr(s + i, '@', j - i) && (email = email_value(s + i, j - i))) {
				if (i == 0) {
					s += j;
					len -= j;
				} else {
					len = i;
				}
				trim(&s, &len);
			}
			while (j < len && isspace((unsigned char)s[j]))
				j++;
			i = j;
		}
	}
	add(c, role, value(s, len), email, url);
}

/* A list of people: split at commas outside quotes, <> and (), but only
 * when it names more than one address ("Doe, Jane <j@x>" is one person). */
static void add_people(struct pl_contacts *c, const char *role, const char *s, size_t len)
{
	size_t ats = 0;
	for (size_t i = 0; i < len; i++)
		ats += s[i] == '@';
	if (ats < 2) {
		pl_contacts_add_person(c, role, s, len);
		return;
	}
	int quote = 0, angle = 0, paren = 0;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		char ch = i < len ? s[i] : ',';
		if (ch == '"')
			quote = !quote;
		else if (!quote && ch == '<')
			angle = 1;
		else if (!quote && ch == '>')
			angle = 0;
		else if (!quote && ch == '(')
			paren++;
		else if (!quote && ch == ')' && paren)
			paren--;
		else if (ch == ',' && !quote && !angle && !paren) {
			pl_contacts_add_person(c, role, s + start, i - start);
			start = i + 1;
		}
	}
}

/* PKG-INFO's Author + Author-email are one person when the addresses do
 * not name anyone else: "Jane" and "jane@example.org" become one contact. */
static void add_named(struct pl_contacts *c, const char *role, const char *name, size_t nlen,
		      const char *mail, size_t mlen)
{
	struct pl_contacts people = {0};
	if (mail)
		add_people(&people, role, mail, mlen);
	if (name && people.n == 0) {
		pl_contacts_add_person(c, role, name, nlen);
	} else if (name && people.n == 1 && !people.v[0].name) {
		people.v[0].name = value(name, nlen);
	}
	/* Several addresses and one name: which is whose is not said; the
	 * addresses (with their own names, if any) are what reaches them. */
	for (size_t i = 0; i < people.n; i++) {
		struct pl_contact *k = &people.v[i];
		add(c, role, k->name, k->email, k->url);
		k->name = k->email = k->url = NULL;
	}
	pl_contacts_release(&people);
}

static void add_url(struct pl_contacts *c, const char *role, const char *label, size_t llen,
		    const char *url, size_t ulen)
{
	char *u = value(url, ulen);
	if (!u)
		return;
	add(c, role, label ? value(label, llen) : NULL, NULL, u);
}

/* ---- RFC 822 headers ---- */

struct header {
	const char *name;
	char buf[PL_HEADER_MAX];
	size_t len;
	int seen;
};

enum { H_AUTHOR, H_AUTHOR_EMAIL, H_MAINT, H_MAINT_EMAIL, H_HOME, H_ORIG_MAINT, H_UPLOADERS,
       H_VCS, H_COUNT };

static void append(struct header *h, const char *s, size_t n)
{
	trim(&s, &n);
	if (h->len && n && h->len < sizeof(h->buf) - 1)
		h->buf[h->len++] = ' ';
	size_t room = sizeof(h->buf) - 1 - h->len;
	n = n < room ? n : room;
	memcpy(h->buf + h->len, s, n);
	h->len += n;
	h->buf[h->len] = '\0';
}

void pl_contacts_from_headers(struct pl_contacts *c, const char *text, size_t len, int debian)
{
	struct header *h = pl_xcalloc(H_COUNT, sizeof(*h));
	static const char *const pypi_names[H_COUNT] = {"Author", "Author-email", "Maintainer",
							"Maintainer-email", "Home-page", NULL,
							NULL, NULL};
	static const char *const deb_names[H_COUNT] = {NULL, NULL, "Maintainer", NULL,
						       "Homepage", "Original-Maintainer",
						       "Uploaders", "Vcs-Browser"};
	const char *const *names = debian ? deb_names : pypi_names;
	struct pl_contacts urls = {0};
	const char *p = text, *end = text + len;
	struct header *cur = NULL; /* the header continuation lines extend */
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		size_t n = (size_t)(le - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n == 0)
			break; /* the body starts */
		if (p[0] == ' ' || p[0] == '\t') {
			if (cur)
				append(cur, p, n);
			p = le + 1;
			continue;
		}
		cur = NULL;
		const char *colon = memchr(p, ':', n);
		size_t k = colon ? (size_t)(colon - p) : 0, vn = colon ? n - k - 1 : 0;
		for (int i = 0; colon && i < H_COUNT; i++) {
			if (names[i] && strlen(names[i]) == k && strncasecmp(p, names[i], k) == 0 &&
			    !h[i].seen) {
				h[i].seen = 1;
				cur = &h[i];
				append(cur, colon + 1, vn);
			}
		}
		/* Project-URL: Label, https://... (repeated) */
		if (!debian && colon && k == 11 && strncasecmp(p, "Project-URL", 11) == 0) {
			const char *v = colon + 1, *comma = memchr(v, ',', vn);
			if (comma)
				add_url(&urls, "project-url", v, (size_t)(comma - v), comma + 1,
					vn - (size_t)(comma - v) - 1);
			else
				add_url(&urls, "project-url", NULL, 0, v, vn);
		}
		p = le + 1;
	}
#define H(i) (h[i].len ? h[i].buf : NULL), h[i].len
	add_named(c, "author", H(H_AUTHOR), H(H_AUTHOR_EMAIL));
	add_named(c, "maintainer", H(H_MAINT), H(H_MAINT_EMAIL));
	if (h[H_ORIG_MAINT].len)
		add_people(c, "maintainer", h[H_ORIG_MAINT].buf, h[H_ORIG_MAINT].len);
	if (h[H_UPLOADERS].len)
		add_people(c, "uploader", h[H_UPLOADERS].buf, h[H_UPLOADERS].len);
#undef H
	if (h[H_HOME].len)
		add_url(c, "homepage", NULL, 0, h[H_HOME].buf, h[H_HOME].len);
	if (h[H_VCS].len)
		add_url(c, "repository", NULL, 0, h[H_VCS].buf, h[H_VCS].len);
	for (size_t i = 0; i < urls.n; i++) {
		add(c, urls.v[i].role, urls.v[i].name, NULL, urls.v[i].url);
		urls.v[i].name = urls.v[i].url = NULL;
	}
	pl_contacts_release(&urls);
	free(h);
}

/* ---- package.json ---- */

static const char *jstr(json_t *obj, const char *key, size_t *len)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		return NULL;
	*len = json_string_length(v);
	return json_string_value(v);
}

static void json_person(struct pl_contacts *c, const char *role, json_t *v)
{
	if (json_is_string(v)) {
		pl_contacts_add_person(c, role, json_string_value(v), json_string_length(v));
	} else if (json_is_object(v)) {
		size_t nl = 0, el = 0, ul = 0;
		const char *n = jstr(v, "name", &nl), *e = jstr(v, "email", &el), *u = jstr(v, "url", &ul);
		add(c, role, n ? value(n, nl) : NULL, e ? email_value(e, el) : NULL,
		    u ? value(u, ul) : NULL);
	}
}

/* npm's shorthands: "user/repo", "github:user/repo", "gitlab:...";
 * "git+https://..." is an https URL. */
static char *repository_url(const char *s, size_t len)
{
	static const struct {
		const char *prefix, *base;
	} hosts[] = {{"github:", "https://github.com/"},
		     {"gitlab:", "https://gitlab.com/"},
		     {"bitbucket:", "https://bitbucket.org/"},
		     {"gist:", "https://gist.github.com/"}};
	trim(&s, &len);
	if (starts_with(s, len, "git+"))
		s += 4, len -= 4;
	const char *base = NULL;
	for (size_t i = 0; !base && i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (starts_with(s, len, hosts[i].prefix)) {
			base = hosts[i].base;
			s += strlen(hosts[i].prefix);
			len -= strlen(hosts[i].prefix);
		}
	/* "user/repo": exactly one slash, no scheme. */
	const char *slash = memchr(s, '/', len);
	size_t after = slash ? len - (size_t)(slash - s) - 1 : 0;
	if (!base && !memchr(s, ':', len) && slash && !memchr(slash + 1, '/', after))
		base = "https://github.com/";
	if (!base || len > PL_CONTACT_FIELD_MAX)
		return value(s, len);
	char *joined = pl_xasprintf("%s%.*s", base, (int)len, s);
	char *v = value(joined, strlen(joined));
	free(joined);
	return v;
}

void pl_contacts_from_package_json(struct pl_contacts *c, json_t *doc)
{
	if (!json_is_object(doc))
		return;
	json_person(c, "author", json_object_get(doc, "author"));
	json_t *m = json_object_get(doc, "maintainers");
	for (size_t i = 0; json_is_array(m) && i < json_array_size(m) && i < PL_JSON_PEOPLE_MAX; i++)
		json_person(c, "maintainer", json_array_get(m, i));
	size_t l = 0, el = 0;
	const char *s;
	json_t *bugs = json_object_get(doc, "bugs");
	if (json_is_string(bugs)) {
		add_url(c, "bugs", NULL, 0, json_string_value(bugs), json_string_length(bugs));
	} else if (json_is_object(bugs)) {
		const char *u = jstr(bugs, "url", &l), *e = jstr(bugs, "email", &el);
		add(c, "bugs", NULL, e ? email_value(e, el) : NULL, u ? value(u, l) : NULL);
	}
	json_t *repo = json_object_get(doc, "repository");
	if (json_is_object(repo))
		repo = json_object_get(repo, "url");
	if (json_is_string(repo))
		add(c, "repository", NULL, NULL,
		    repository_url(json_string_value(repo), json_string_length(repo)));
	if ((s = jstr(doc, "homepage", &l)))
		add_url(c, "homepage", NULL, 0, s, l);
}
