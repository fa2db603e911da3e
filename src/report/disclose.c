/* Disclosure reports (issue 8): one per project, Markdown for people and
 * JSON for tools, and an index by owner (docs/disclosure.md). Every value
 * that came from a package is printable already (the store escapes it);
 * here it is escaped once more for Markdown, so that a name cannot add
 * links, HTML or table cells. Secrets exist here only in redacted form. */
#include "pkgleaks/disclose.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkgleaks/error.h"
#include "report/report_int.h"
#include "util/alloc.h"

/* Longest part of a file name taken from the ecosystem and project. */
#define STEM_MAX 120

/* ---- small helpers ---- */

static void date_of(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t < 0 || !gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%d", &tm))
		snprintf(out, 32, "%s", "unknown date");
}

static json_t *json_time(int64_t t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;
	if (t < 0 || !gmtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_null();
	return pl_json_str(buf);
}

static int state_after_notice(const struct pl_disclose_secret *s)
{
	return s->notified_at >= 0 && s->state_at >= s->notified_at &&
	       (strcmp(s->state, "fixed") == 0 || strcmp(s->state, "rotated") == 0);
}

static uint64_t fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

char *pl_disclose_file_stem(const struct pl_disclose_project *p)
{
	char *raw = pl_xasprintf("%s-%s", p->ecosystem, p->project);
	size_t n = strlen(raw);
	int changed = n > STEM_MAX || raw[0] == '.' || raw[0] == '-';
	if (n > STEM_MAX)
		raw[n = STEM_MAX] = '\0';
	for (size_t i = 0; i < n; i++) {
		char c = raw[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-')) {
			raw[i] = '_';
			changed = 1;
		}
	}
	if (!changed)
		return raw;
	uint64_t h = fnv1a(p->project, fnv1a("/", fnv1a(p->ecosystem, 14695981039346656037u)));
	char *stem = pl_xasprintf("%s-%08" PRIx32, raw, (uint32_t)(h ^ (h >> 32)));
	free(raw);
	return stem;
}

const char *pl_disclose_owner(const struct pl_disclose_project *p)
{
	static const char *const roles[] = {"maintainer", "author", "uploader", "bugs"};
	for (size_t r = 0; r < sizeof(roles) / sizeof(roles[0]); r++)
		for (size_t i = 0; i < p->ncontacts; i++)
			if (strcmp(p->contacts[i].c.role, roles[r]) == 0 && p->contacts[i].c.email)
				return p->contacts[i].c.email;
	for (size_t r = 0; r < 3; r++)
		for (size_t i = 0; i < p->ncontacts; i++)
			if (strcmp(p->contacts[i].c.role, roles[r]) == 0 && p->contacts[i].c.name)
				return p->contacts[i].c.name;
	return NULL;
}

static const char *rule_name(const struct pl_disclose_report_options *o, const char *id,
			     const struct pl_rule **out)
{
	const struct pl_rule *r = o->rules ? pl_ruleset_find(o->rules, id) : NULL;
	*out = r;
	return r && r->name ? r->name : id;
}

/* ---- Markdown ---- */

/* Text inside a line with what Markdown or HTML could act on escaped
 * (emphasis, code, links, tags, entities, table cells); values never start
 * a line here, so list and heading markers need nothing. */
static void md_text(const char *s, FILE *out)
{
	for (; s && *s; s++) {
		if (strchr("\\`*_[]<>|~&", *s))
			fputc('\\', out);
		fputc(*s, out);
	}
}

/* A code span: a fence longer than any run of backticks inside; in a
 * table cell '|' is escaped too (GitHub's tables split on it even there). */
static void md_code(const char *s, int in_table, FILE *out)
{
	size_t run = 0, longest = 0;
	for (const char *c = s; *c; c++) {
		run = *c == '`' ? run + 1 : 0;
		longest = run > longest ? run : longest;
	}
	size_t n = strlen(s);
	int pad = n && (s[0] == '`' || s[n - 1] == '`' || s[0] == ' ');
	for (size_t i = 0; i <= longest; i++)
		fputc('`', out);
	if (pad)
		fputc(' ', out);
	for (const char *c = s; *c; c++) {
		if (in_table && *c == '|')
			fputc('\\', out);
		fputc(*c, out);
	}
	if (pad)
		fputc(' ', out);
	for (size_t i = 0; i <= longest; i++)
		fputc('`', out);
}

/* A link when it is a plain http(s) URL, else text. */
static void md_url(const char *u, FILE *out)
{
	int plain = strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0;
	for (const char *c = u; plain && *c; c++)
		plain = *c > ' ' && !strchr("<>\\`|", *c);
	if (plain)
		fprintf(out, "<%s>", u);
	else
		md_text(u, out);
}

static void md_contacts(const struct pl_disclose_project *p, FILE *out)
{
	fputs("## Contacts\n\n", out);
	if (!p->ncontacts) {
		fputs("The package metadata names no contact. Look for a security policy in the"
		      " project's repository, or ask the registry's security team.\n\n", out);
		return;
	}
	fputs("From the package metadata, newest release first.\n\n"
	      "| role | name | e-mail | URL | release |\n|---|---|---|---|---|\n", out);
	for (size_t i = 0; i < p->ncontacts; i++) {
		const struct pl_disclose_contact *c = &p->contacts[i];
		fputs("| ", out);
		md_text(c->c.role, out);
		fputs(" | ", out);
		md_text(c->c.name, out);
		fputs(" | ", out);
		md_text(c->c.email, out);
		fputs(" | ", out);
		if (c->c.url)
			md_url(c->c.url, out);
		fputs(" | ", out);
		md_text(c->version, out);
		fputs(" |\n", out);
	}
	fputc('\n', out);
}

static void md_validity(const struct pl_disclose_secret *s, FILE *out)
{
	char d[32], v[32];
	date_of(s->checked_at, d);
	date_of(s->valid_at, v);
	if (strcmp(s->validation, "unchecked") == 0) {
		fputs("not checked with its issuer", out);
		return;
	}
	fprintf(out, "**%s** when checked on %s", s->validation, d);
	if (s->validation_detail && s->validation_detail[0]) {
		fputs(" (", out);
		md_text(s->validation_detail, out);
		fputc(')', out);
	}
	if (s->valid_at >= 0 && strcmp(s->validation, "valid") != 0)
		fprintf(out, "; last found valid on %s", v);
}

static void md_state(const struct pl_disclose_secret *s, FILE *out)
{
	char n[32], r[32], f[32];
	date_of(s->notified_at, n);
	date_of(s->rotated_at, r);
	date_of(s->fixed_at, f);
	fprintf(out, "**%s**", s->state);
	if (s->notified_at >= 0)
		fprintf(out, "; owner notified on %s", n);
	if (s->rotated_at >= 0)
		fprintf(out, "; the issuer rejected it on %s", r);
	if (s->fixed_version) {
		fputs("; removed in release ", out);
		md_text(s->fixed_version, out);
		fprintf(out, " (seen on %s)", f);
	}
	if (state_after_notice(s))
		fputs(", after notice", out);
}

static void md_where(const struct pl_disclose_secret *s, FILE *out)
{
	fputs("| release | file | path | line |\n|---|---|---|---|\n", out);
	for (size_t i = 0; i < s->nlocations; i++) {
		const struct pl_disclose_location *l = &s->locations[i];
		fputs("| ", out);
		md_text(l->version, out);
		fputs(" | ", out);
		md_code(l->filename, 1, out);
		fputs(" | ", out);
		if (l->path[0])
			md_code(l->path, 1, out);
		fprintf(out, " | %" PRId64 " |\n", l->line);
	}
	if (s->locations_total > s->nlocations)
		fprintf(out, "\n... and %" PRIu64 " more places (the JSON report has the first %zu).\n",
			s->locations_total - s->nlocations, s->nlocations);
	fputc('\n', out);
}

static void md_secret(const struct pl_disclose_project *p, const struct pl_disclose_secret *s,
		      size_t k, const struct pl_disclose_report_options *o, FILE *out)
{
	const struct pl_rule *rule;
	const char *name = rule_name(o, s->rule, &rule);
	char d1[32], d2[32];
	date_of(s->first_time, d1);
	date_of(s->last_time, d2);
	fprintf(out, "## %zu. ", k + 1);
	md_text(name, out);
	fputs("\n\n- **Secret (redacted):** ", out);
	md_code(s->redacted, 0, out);
	fputs("\n- **Rule:** ", out);
	md_code(s->rule, 0, out);
	fputs("\n- **Fingerprint:** ", out);
	md_code(s->fingerprint, 0, out);
	fputs(" (SHA-256 of the rule id and the secret: it names this secret without"
	      " revealing it)\n- **Valid:** ", out);
	md_validity(s, out);
	fprintf(out, "\n- **Releases holding it (%zu):** ", s->nreleases);
	for (size_t i = 0; i < s->nreleases; i++) {
		if (i)
			fputs(", ", out);
		md_text(s->releases[i], out);
	}
	fputs("\n- **First seen:** release ", out);
	md_text(s->first_version, out);
	fprintf(out, " (uploaded %s); **last seen:** release ", d1);
	md_text(s->last_version, out);
	fprintf(out, " (uploaded %s)\n- **Newest release (", d2);
	md_text(p->newest_version, out);
	fprintf(out, "):** %s\n- **Disclosure:** ",
		s->in_newest ? "still holds it" : "no longer holds it");
	md_state(s, out);
	fputs("\n\n### Where\n\n", out);
	md_where(s, out);
	fputs("### What to do\n\n", out);
	if (rule && rule->remediation)
		fprintf(out, "%s\n\n", rule->remediation);
	else
		fputs("Revoke or rotate this credential with its issuer, then load the new value"
		      " from the environment or a secrets manager at run time.\n\n", out);
	if (!s->in_newest || s->nreleases > 1)
		fputs("Removing it from a new release does not remove it from the releases"
		      " already published: every copy is public until the credential is"
		      " revoked. Revoke it first.\n\n", out);
	for (size_t i = 0; rule && rule->references && rule->references[i]; i++) {
		fputs(i ? "" : "References:\n\n", out);
		fputs("- ", out);
		md_url(rule->references[i], out);
		fputc('\n', out);
		if (!rule->references[i + 1])
			fputc('\n', out);
	}
}

int pl_disclose_write_markdown(const struct pl_disclose_project *p,
			       const struct pl_disclose_report_options *o, FILE *out)
{
	char gen[32], newest[32];
	date_of(o->generated_at, gen);
	date_of(p->newest_time, newest);
	fputs("# Secrets published in ", out);
	md_text(p->ecosystem, out);
	fputc('/', out);
	md_text(p->project, out);
	fprintf(out, "\n\nPrepared with pkgleaks %s on %s (UTC) from the project's published"
		     " releases. Secrets are shown redacted (their first characters and ...);"
		     " the fingerprint identifies each one.\n\n",
		PKGLEAKS_VERSION, gen);
	fputs("- **Newest release scanned:** ", out);
	md_text(p->newest_version, out);
	fprintf(out, " (uploaded %s)\n- **Selection:** %s\n- **Secrets:** %zu\n\n", newest,
		o->only_valid ? "secrets their issuer accepted at least once (--only-valid)"
			      : "every secret found (--all)",
		p->nsecrets);
	md_contacts(p, out);
	fputs("## Summary\n\n| # | secret | kind | valid | in newest release | state |\n"
	      "|---|---|---|---|---|---|\n", out);
	for (size_t i = 0; i < p->nsecrets; i++) {
		const struct pl_disclose_secret *s = &p->secrets[i];
		const struct pl_rule *rule;
		fprintf(out, "| %zu | ", i + 1);
		md_code(s->redacted, 1, out);
		fputs(" | ", out);
		md_text(rule_name(o, s->rule, &rule), out);
		fprintf(out, " | %s | %s | %s%s |\n", s->validation, s->in_newest ? "yes" : "no",
			s->state, state_after_notice(s) ? " after notice" : "");
	}
	fputc('\n', out);
	for (size_t i = 0; i < p->nsecrets; i++)
		md_secret(p, &p->secrets[i], i, o, out);
	return pl_report_flush(out);
}

/* ---- JSON ---- */

static json_t *json_contact(const struct pl_disclose_contact *c)
{
	json_t *j = pl_json_obj();
	pl_json_set(j, "role", pl_json_str(c->c.role));
	pl_json_set(j, "name", pl_json_str(c->c.name));
	pl_json_set(j, "email", pl_json_str(c->c.email));
	pl_json_set(j, "url", pl_json_str(c->c.url));
	pl_json_set(j, "release", pl_json_str(c->version));
	return j;
}

static json_t *json_secret(const struct pl_disclose_secret *s,
			   const struct pl_disclose_report_options *o)
{
	const struct pl_rule *rule;
	json_t *j = pl_json_obj();
	pl_json_set(j, "rule", pl_json_str(s->rule));
	pl_json_set(j, "name", pl_json_str(rule_name(o, s->rule, &rule)));
	pl_json_set(j, "secret", pl_json_str(s->redacted));
	pl_json_set(j, "fingerprint", pl_json_str(s->fingerprint));
	json_t *v = pl_json_obj();
	pl_json_set(v, "status", pl_json_str(s->validation));
	pl_json_set(v, "checked_at", json_time(s->checked_at));
	pl_json_set(v, "detail", pl_json_str(s->validation_detail));
	pl_json_set(v, "last_valid_at", json_time(s->valid_at));
	pl_json_set(j, "validation", v);
	json_t *rel = pl_json_arr();
	for (size_t i = 0; i < s->nreleases; i++)
		pl_json_push(rel, pl_json_str(s->releases[i]));
	pl_json_set(j, "releases", rel);
	pl_json_set(j, "first_release", pl_json_str(s->first_version));
	pl_json_set(j, "first_upload", json_time(s->first_time));
	pl_json_set(j, "last_release", pl_json_str(s->last_version));
	pl_json_set(j, "last_upload", json_time(s->last_time));
	pl_json_set(j, "in_newest_release", json_boolean(s->in_newest));
	json_t *d = pl_json_obj();
	pl_json_set(d, "state", pl_json_str(s->state));
	pl_json_set(d, "since", json_time(s->state_at));
	pl_json_set(d, "notified_at", json_time(s->notified_at));
	pl_json_set(d, "rotated_at", json_time(s->rotated_at));
	pl_json_set(d, "fixed_in", pl_json_str(s->fixed_version));
	pl_json_set(d, "fixed_seen_at", json_time(s->fixed_at));
	pl_json_set(d, "after_notice", json_boolean(state_after_notice(s)));
	pl_json_set(j, "disclosure", d);
	json_t *locs = pl_json_arr();
	for (size_t i = 0; i < s->nlocations; i++) {
		const struct pl_disclose_location *l = &s->locations[i];
		json_t *x = pl_json_obj();
		pl_json_set(x, "release", pl_json_str(l->version));
		pl_json_set(x, "file", pl_json_str(l->filename));
		pl_json_set(x, "path", pl_json_str(l->path));
		pl_json_set(x, "line", json_integer(l->line));
		pl_json_set(x, "column", json_integer(l->column));
		pl_json_push(locs, x);
	}
	pl_json_set(j, "locations", locs);
	pl_json_set(j, "locations_total", pl_json_uint(s->locations_total));
	pl_json_set(j, "remediation", pl_json_str(rule ? rule->remediation : NULL));
	json_t *refs = pl_json_arr();
	for (size_t i = 0; rule && rule->references && rule->references[i]; i++)
		pl_json_push(refs, pl_json_str(rule->references[i]));
	pl_json_set(j, "references", refs);
	return j;
}

int pl_disclose_write_json(const struct pl_disclose_project *p,
			   const struct pl_disclose_report_options *o, FILE *out)
{
	json_t *doc = pl_json_obj();
	pl_json_set(doc, "format", pl_json_str("pkgleaks-disclosure"));
	pl_json_set(doc, "format_version", pl_json_uint(1));
	pl_json_set(doc, "tool", pl_json_str("pkgleaks " PKGLEAKS_VERSION));
	pl_json_set(doc, "generated_at", json_time(o->generated_at));
	pl_json_set(doc, "selection", pl_json_str(o->only_valid ? "only-valid" : "all"));
	pl_json_set(doc, "ecosystem", pl_json_str(p->ecosystem));
	pl_json_set(doc, "project", pl_json_str(p->project));
	pl_json_set(doc, "newest_release", pl_json_str(p->newest_version));
	pl_json_set(doc, "newest_upload", json_time(p->newest_time));
	pl_json_set(doc, "owner", pl_json_str(pl_disclose_owner(p)));
	json_t *cs = pl_json_arr();
	for (size_t i = 0; i < p->ncontacts; i++)
		pl_json_push(cs, json_contact(&p->contacts[i]));
	pl_json_set(doc, "contacts", cs);
	json_t *ss = pl_json_arr();
	for (size_t i = 0; i < p->nsecrets; i++)
		pl_json_push(ss, json_secret(&p->secrets[i], o));
	pl_json_set(doc, "secrets", ss);
	int rc = pl_json_dump(doc, out, JSON_INDENT(2));
	return rc < 0 ? rc : pl_report_flush(out);
}

/* ---- the index: projects by owner ---- */

struct owned {
	const char *owner; /* NULL: nobody named */
	size_t project;
};

static int by_owner(const void *a, const void *b)
{
	const struct owned *x = a, *y = b;
	if (!x->owner || !y->owner)
		return x->owner ? -1 : y->owner ? 1 : (x->project > y->project) - (x->project < y->project);
	int c = strcasecmp(x->owner, y->owner);
	if (!c)
		c = strcmp(x->owner, y->owner);
	return c ? c : (x->project > y->project) - (x->project < y->project);
}

static struct owned *owners(const struct pl_disclosure *d)
{
	struct owned *o = pl_xcalloc(d->nprojects + 1, sizeof(*o));
	for (size_t i = 0; i < d->nprojects; i++)
		o[i] = (struct owned){pl_disclose_owner(&d->projects[i]), i};
	qsort(o, d->nprojects, sizeof(*o), by_owner);
	return o;
}

static size_t count_valid(const struct pl_disclose_project *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nsecrets; i++)
		n += strcmp(p->secrets[i].validation, "valid") == 0;
	return n;
}

static int same_owner(const struct owned *a, const struct owned *b)
{
	return (!a->owner && !b->owner) || (a->owner && b->owner && strcmp(a->owner, b->owner) == 0);
}

int pl_disclose_write_index_markdown(const struct pl_disclosure *d,
				     const struct pl_disclose_report_options *o, FILE *out)
{
	char gen[32];
	date_of(o->generated_at, gen);
	size_t secrets = 0;
	for (size_t i = 0; i < d->nprojects; i++)
		secrets += d->projects[i].nsecrets;
	fprintf(out, "# Disclosure reports\n\nPrepared with pkgleaks %s on %s (UTC): %zu"
		     " project%s, %zu secret%s (%s). One report per project, in Markdown and"
		     " JSON; grouped here by the owner their metadata names.\n",
		PKGLEAKS_VERSION, gen, d->nprojects, d->nprojects == 1 ? "" : "s", secrets,
		secrets == 1 ? "" : "s", o->only_valid ? "accepted by their issuer at least once"
						       : "every secret found");
	struct owned *ow = owners(d);
	for (size_t i = 0; i < d->nprojects; i++) {
		const struct pl_disclose_project *p = &d->projects[ow[i].project];
		if (i == 0 || !same_owner(&ow[i], &ow[i - 1])) {
			fputs("\n## ", out);
			if (ow[i].owner)
				md_text(ow[i].owner, out);
			else
				fputs("No contact in the metadata", out);
			fputs("\n\n", out);
		}
		char *stem = pl_disclose_file_stem(p);
		fputs("- ", out);
		md_text(p->ecosystem, out);
		fputc('/', out);
		md_text(p->project, out);
		fprintf(out, ": %zu secret%s, %zu valid at the last check: [%s.md](%s.md),"
			     " [%s.json](%s.json)\n",
			p->nsecrets, p->nsecrets == 1 ? "" : "s", count_valid(p), stem, stem, stem, stem);
		free(stem);
	}
	free(ow);
	return pl_report_flush(out);
}

int pl_disclose_write_index_json(const struct pl_disclosure *d,
				 const struct pl_disclose_report_options *o, FILE *out)
{
	json_t *doc = pl_json_obj();
	pl_json_set(doc, "format", pl_json_str("pkgleaks-disclosure-index"));
	pl_json_set(doc, "format_version", pl_json_uint(1));
	pl_json_set(doc, "tool", pl_json_str("pkgleaks " PKGLEAKS_VERSION));
	pl_json_set(doc, "generated_at", json_time(o->generated_at));
	pl_json_set(doc, "selection", pl_json_str(o->only_valid ? "only-valid" : "all"));
	json_t *list = pl_json_arr(), *cur = NULL;
	struct owned *ow = owners(d);
	for (size_t i = 0; i < d->nprojects; i++) {
		const struct pl_disclose_project *p = &d->projects[ow[i].project];
		if (i == 0 || !same_owner(&ow[i], &ow[i - 1])) {
			json_t *e = pl_json_obj();
			pl_json_set(e, "owner", pl_json_str(ow[i].owner));
			cur = pl_json_arr();
			pl_json_set(e, "projects", cur);
			pl_json_push(list, e);
		}
		char *stem = pl_disclose_file_stem(p);
		char *md = pl_xasprintf("%s.md", stem), *js = pl_xasprintf("%s.json", stem);
		json_t *e = pl_json_obj();
		pl_json_set(e, "ecosystem", pl_json_str(p->ecosystem));
		pl_json_set(e, "project", pl_json_str(p->project));
		pl_json_set(e, "secrets", pl_json_uint(p->nsecrets));
		pl_json_set(e, "valid", pl_json_uint(count_valid(p)));
		pl_json_set(e, "markdown", pl_json_str(md));
		pl_json_set(e, "json", pl_json_str(js));
		pl_json_push(cur, e);
		free(stem);
		free(md);
		free(js);
	}
	free(ow);
	pl_json_set(doc, "owners", list);
	int rc = pl_json_dump(doc, out, JSON_INDENT(2));
	return rc < 0 ? rc : pl_report_flush(out);
}
