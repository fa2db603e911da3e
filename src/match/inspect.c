/* Offline inspectors (see inspect.h): what a secret says about itself.
 *
 * Every input here is hostile: a "token" is whatever bytes a regex accepted
 * in a package. Lengths are bounded before anything is decoded, every read
 * checks what is left, and every value that reaches a detail is truncated and
 * escaped (details are printed as they are). Nothing here touches the network
 * or decrypts anything: an encrypted key is reported as encrypted, never
 * opened, so a hostile key cannot make us run its key-derivation function. */
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dl/dl_crypto.h"
#include "match/inspect.h"
#include "util/base64.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/escape.h"

/* Longer secrets are kept untouched: no token we decode is near this size,
 * and a private key of 64 KiB is already a 100 000-bit RSA key. */
#define PL_INSPECT_MAX_INPUT (64 * 1024)
/* Bytes of one detail value before it is cut (then "…" is appended). */
#define PL_INSPECT_MAX_VALUE 200
/* JWT subjects are often e-mail addresses or long opaque ids. */
#define PL_INSPECT_MAX_SUB 64
/* Names listed in a PyPI scope before "… (N more)". */
#define PL_INSPECT_MAX_NAMES 10
/* Caveats read from one macaroon; PyPI issues two or three. */
#define PL_INSPECT_MAX_CAVEATS 64

void pl_finding_add_detail(struct pl_finding *f, const char *key, const char *value)
{
	f->details = pl_xrealloc(f->details, (f->ndetails + 1) * sizeof(*f->details));
	f->details[f->ndetails].key = pl_xstrdup(key);
	f->details[f->ndetails].value = pl_xstrdup(value);
	f->ndetails++;
}

/* ---- small helpers ---- */

/* Adds value[0, n) cut to max bytes (at a UTF-8 boundary) and escaped. */
static void add_raw(struct pl_finding *f, const char *key, const char *value, size_t n, size_t max)
{
	size_t keep = 0;
	while (keep < n && keep < max) {
		size_t k = pl_utf8_seq_len((const unsigned char *)value + keep, n - keep);
		if (!k)
			k = 1;
		if (keep + k > max)
			break;
		keep += k;
	}
	char *esc = pl_escape(value, keep);
	if (keep < n) {
		char *cut = pl_xasprintf("%s\u2026", esc);
		free(esc);
		esc = cut;
	}
	pl_finding_add_detail(f, key, esc);
	free(esc);
}

/* "2026-01-01T00:00:00Z", or 0 when t has no such form (hostile numbers). */
static int iso_time(int64_t t, char out[32])
{
	/* Years 0..9999 only: strftime output stays 20 characters. */
	if (t < -62167219200LL || t > 253402300799LL)
		return 0;
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm))
		return 0;
	return strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) != 0;
}

static void add_time(struct pl_finding *f, const char *key, int64_t t)
{
	char buf[32];
	if (iso_time(t, buf))
		pl_finding_add_detail(f, key, buf);
	else {
		snprintf(buf, sizeof(buf), "%" PRId64, t);
		pl_finding_add_detail(f, key, buf);
	}
}

static void add_expired(struct pl_finding *f, int64_t exp)
{
	pl_finding_add_detail(f, "expired", (int64_t)time(NULL) >= exp ? "yes" : "no");
}

static const void *find_mem(const void *hay, size_t n, const char *needle)
{
	return memmem(hay, n, needle, strlen(needle));
}

/* ---- base64 and base32 ---- */

/* RFC 4648 base32 (A-Z, 2-7), no padding; 0 on a bad character. */
static int b32_decode(const char *s, size_t len, unsigned char *out, size_t cap, size_t *out_len)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		int c = toupper((unsigned char)s[i]), v;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return 0;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return 0;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	*out_len = n;
	return 1;
}

/* ---- PyPI macaroons ---- */

/* Macaroon v2 binary (libmacaroons, pymacaroons): a version byte 2, then
 * packets of varint field type, varint length and data; a lone 0 byte (EOS)
 * ends a section. Header section: location (1), identifier (2). Then one
 * section per caveat: optional location (1), identifier (2) = the caveat
 * body, optional verification id (4). An empty section ends the caveats;
 * the signature (6) follows. */
enum { MAC_EOS = 0, MAC_LOCATION = 1, MAC_IDENTIFIER = 2, MAC_VID = 4, MAC_SIGNATURE = 6 };

struct mac_reader {
	const unsigned char *p;
	size_t len, off;
};

static int read_varint(struct mac_reader *r, uint64_t *v)
{
	uint64_t x = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (r->off >= r->len)
			return 0;
		unsigned char b = r->p[r->off++];
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 1;
		}
	}
	return 0;
}

/* 1 with a packet, 0 at EOS, -1 when truncated or malformed. */
static int read_packet(struct mac_reader *r, uint64_t *type, const unsigned char **data,
		       size_t *n)
{
	uint64_t len;
	if (!read_varint(r, type))
		return -1;
	if (*type == MAC_EOS)
		return 0;
	if (!read_varint(r, &len) || len > r->len - r->off)
		return -1;
	*data = r->p + r->off;
	*n = (size_t)len;
	r->off += (size_t)len;
	return 1;
}

/* What the caveats said, gathered before anything is written. */
struct pypi_scope {
	json_t *names;   /* project names (strings), owned */
	json_t *ids;     /* project ids (strings), owned */
	int user;        /* [3, user] or legacy "user": the whole account */
	int oidc;        /* [4, publisher]: minted for a trusted publisher */
	int have_exp;
	int64_t exp;     /* earliest expiry seen */
	size_t unknown;  /* caveats we could not read */
};

static void extend_strings(json_t *dst, json_t *src)
{
	size_t i;
	json_t *v;
	json_array_foreach(src, i, v)
		if (json_is_string(v))
			json_array_append(dst, v);
}

static void note_expiry(struct pypi_scope *s, json_t *exp)
{
	if (!json_is_integer(exp))
		return;
	int64_t t = json_integer_value(exp);
	if (!s->have_exp || t < s->exp)
		s->exp = t;
	s->have_exp = 1;
}

/* Warehouse macaroons/caveats/__init__.py (tagged arrays) and _legacy.py
 * (the objects older tokens carry). */
static void read_caveat(struct pypi_scope *s, const unsigned char *body, size_t n)
{
	json_t *c = json_loadb((const char *)body, n, 0, NULL);
	int known = 0;
	if (json_is_array(c) && json_is_integer(json_array_get(c, 0))) {
		json_t *arg = json_array_get(c, 1);
		known = 1;
		switch (json_integer_value(json_array_get(c, 0))) {
		case 0:
			note_expiry(s, arg);
			break;
		case 1:
			extend_strings(s->names, arg);
			break;
		case 2:
			extend_strings(s->ids, arg);
			break;
		case 3:
			s->user = 1;
			break;
		case 4:
			s->oidc = 1;
			break;
		default:
			known = 0;
		}
	} else if (json_is_object(c)) {
		json_t *perm = json_object_get(c, "permissions");
		json_t *projects = json_object_get(perm, "projects");
		known = 1;
		if (json_is_integer(json_object_get(c, "version")) &&
		    json_integer_value(json_object_get(c, "version")) == 1 && perm) {
			if (json_is_string(perm) && strcmp(json_string_value(perm), "user") == 0)
				s->user = 1;
			else if (json_is_array(projects))
				extend_strings(s->names, projects);
			else
				known = 0;
		} else if (json_object_get(c, "exp") && json_object_get(c, "nbf")) {
			note_expiry(s, json_object_get(c, "exp"));
		} else if (json_is_array(json_object_get(c, "project_ids"))) {
			extend_strings(s->ids, json_object_get(c, "project_ids"));
		} else {
			known = 0;
		}
	}
	s->unknown += !known;
	json_decref(c);
}

static void add_name_list(struct pl_finding *f, const char *key, const char *label, json_t *names)
{
	struct pl_buf b;
	pl_buf_init(&b, 0);
	size_t n = json_array_size(names), shown = n < PL_INSPECT_MAX_NAMES ? n : PL_INSPECT_MAX_NAMES;
	/* Appends cannot fail: the buffer has no cap and holds at most
	 * PL_INSPECT_MAX_NAMES values of bounded size. */
	(void)pl_buf_appends(&b, label);
	for (size_t i = 0; i < shown; i++) {
		const char *v = json_string_value(json_array_get(names, i));
		size_t vn = json_string_length(json_array_get(names, i));
		char *esc = pl_escape(v, vn < PL_INSPECT_MAX_VALUE ? vn : PL_INSPECT_MAX_VALUE);
		(void)pl_buf_appendf(&b, "%s%s", i ? ", " : "", esc);
		free(esc);
	}
	if (n > shown)
		(void)pl_buf_appendf(&b, ", \u2026 (%zu more)", n - shown);
	char *v = pl_buf_detach(&b);
	pl_finding_add_detail(f, key, v);
	free(v);
}

static int printable_ascii(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return n > 0;
}

/* Reads the caveat sections into sc; 1 when the macaroon ran to its
 * signature, 0 when it was cut short (what was read is kept). */
static int read_caveats(struct mac_reader *r, struct pypi_scope *sc)
{
	uint64_t type;
	const unsigned char *data;
	size_t dn;
	for (size_t ncav = 0; ncav < PL_INSPECT_MAX_CAVEATS; ncav++) {
		int fields = 0, third_party = 0, rc;
		const unsigned char *cid = NULL;
		size_t cid_len = 0;
		while ((rc = read_packet(r, &type, &data, &dn)) == 1) {
			fields++;
			if (type == MAC_IDENTIFIER) {
				cid = data;
				cid_len = dn;
			} else if (type == MAC_LOCATION || type == MAC_VID) {
				third_party = 1;
			} else {
				return 0;
			}
		}
		if (rc < 0)
			return 0;
		if (fields == 0) /* the empty section that ends the caveats */
			return read_packet(r, &type, &data, &dn) == 1 && type == MAC_SIGNATURE;
		if (cid && !third_party)
			read_caveat(sc, cid, cid_len);
		else
			sc->unknown++;
	}
	return 0;
}

static int inspect_pypi(const char *s, size_t len, struct pl_finding *f)
{
	if (len > 5 && memcmp(s, "pypi-", 5) == 0) {
		s += 5;
		len -= 5;
	}
	size_t n;
	unsigned char *raw = pl_base64_decode(s, len, 0, &n);
	if (!raw)
		return 0;
	struct mac_reader r = { raw, n, 1 };
	const unsigned char *loc = NULL, *id = NULL, *data;
	size_t loc_len = 0, id_len = 0, dn;
	uint64_t type;
	int rc = -1;
	if (n >= 1 && raw[0] == 2) {
		while ((rc = read_packet(&r, &type, &data, &dn)) == 1 &&
		       (type == MAC_LOCATION || type == MAC_IDENTIFIER)) {
			if (type == MAC_LOCATION) {
				loc = data;
				loc_len = dn;
			} else {
				id = data;
				id_len = dn;
			}
		}
	}
	/* The identifier is text in every PyPI token (a UUID, or JSON in older
	 * ones): random bytes after a copied prefix fail here. */
	if (!id || !printable_ascii(id, id_len) || rc == 1) {
		free(raw);
		return 0;
	}
	/* From here on be lenient: a token cut short still leaks what it
	 * decoded, and test fixtures are often hand-made after the header. */
	struct pypi_scope sc = { .names = json_array(), .ids = json_array() };
	if (!sc.names || !sc.ids) {
		fprintf(stderr, "pkgleaks: out of memory (inspecting a PyPI token)\n");
		abort();
	}
	int complete = rc == 0 && read_caveats(&r, &sc);
	if (loc)
		add_raw(f, "location", (const char *)loc, loc_len, PL_INSPECT_MAX_VALUE);
	if (json_array_size(sc.names))
		add_name_list(f, "scope", "projects: ", sc.names);
	else if (json_array_size(sc.ids))
		add_name_list(f, "scope", "project ids: ", sc.ids);
	else if (sc.oidc)
		pl_finding_add_detail(f, "scope", "trusted publisher");
	else if (sc.user || (complete && !sc.unknown))
		pl_finding_add_detail(f, "scope", "account");
	else
		pl_finding_add_detail(f, "scope", "unknown");
	if (sc.have_exp) {
		add_time(f, "expires", sc.exp);
		add_expired(f, sc.exp);
	}
	if (sc.unknown) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%zu", sc.unknown);
		pl_finding_add_detail(f, "unknown_caveats", buf);
	}
	if (!complete)
		pl_finding_add_detail(f, "truncated", "yes");
	json_decref(sc.names);
	json_decref(sc.ids);
	free(raw);
	return 1;
}

/* ---- AWS access key ids ---- */

/* IAM "unique identifier prefixes" (docs.aws.amazon.com/IAM/latest/
 * UserGuide/reference_identifiers.html); only those that are credentials. */
static const struct {
	const char *prefix, *type;
} aws_types[] = {
	{ "AKIA", "long-term access key" },
	{ "ASIA", "temporary access key (STS)" },
	{ "ABIA", "STS service bearer token" },
	{ "ACCA", "context-specific credential" },
};

/* AWS accounts behind public canary-token services, as published in
 * TruffleHog pkg/detectors/aws/access_keys/canary.go (thinkstCanaryList:
 * canarytokens.org; thinkstKnockoffsCanaryList: look-alike services). A key
 * of these accounts is a tripwire: using it alerts whoever planted it. */
static const char *const aws_canary_accounts[] = {
	"052310077262", "171436882533", "534261010715", "595918472158", "717712589309",
	"819147034852", "992382622183", "730335385048", "266735846894", "893192397702",
	"044858866125", "251535659677", "344043088457", "351906852752", "390477818340",
	"426127672474", "427150556519", "439872796651", "445142720921", "465867158099",
	"637958123769", "693412236332", "732624840810", "735421457923", "959235150393",
	"982842642351",
};

static int inspect_aws(const char *s, size_t len, struct pl_finding *f)
{
	/* A paired finding holds "<key id>:<secret key>": read the id. */
	if (len < 20 || (len > 20 && s[20] != ':'))
		return 1;
	for (size_t i = 0; i < sizeof(aws_types) / sizeof(aws_types[0]); i++)
		if (memcmp(s, aws_types[i].prefix, 4) == 0)
			pl_finding_add_detail(f, "key_type", aws_types[i].type);
	/* The account is encoded in ids issued since about 2019 (Tal Beery,
	 * "A short note on AWS KEY ID"); older AKIAI/AKIAJ ids do not carry it. */
	if (s[4] == 'I' || s[4] == 'J')
		return 1;
	unsigned char b[10];
	size_t n;
	if (!b32_decode(s + 4, 16, b, sizeof(b), &n) || n < 6)
		return 1;
	uint64_t z = 0;
	for (int i = 0; i < 6; i++)
		z = z << 8 | b[i];
	char account[24];
	snprintf(account, sizeof(account), "%012" PRIu64, (uint64_t)((z & 0x7fffffffff80ULL) >> 7));
	pl_finding_add_detail(f, "account", account);
	for (size_t i = 0; i < sizeof(aws_canary_accounts) / sizeof(aws_canary_accounts[0]); i++)
		if (strcmp(account, aws_canary_accounts[i]) == 0)
			pl_finding_add_detail(f, "canary", "yes");
	return 1;
}

/* ---- JWT ---- */

static json_t *b64_json_object(const char *s, size_t len)
{
	size_t n;
	unsigned char *raw = pl_base64_decode(s, len, 0, &n);
	if (!raw)
		return NULL;
	json_t *v = json_loadb((const char *)raw, n, 0, NULL);
	free(raw);
	if (!json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static void add_json_str(struct pl_finding *f, const char *key, json_t *v, size_t max)
{
	if (json_is_string(v))
		add_raw(f, key, json_string_value(v), json_string_length(v), max);
}

/* exp/iat are NumericDate: seconds, possibly fractional (RFC 7519 §2). */
static int json_time(json_t *v, int64_t *t)
{
	if (json_is_integer(v)) {
		*t = json_integer_value(v);
		return 1;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d > -1e15 && d < 1e15) {
			*t = (int64_t)d;
			return 1;
		}
	}
	return 0;
}

static void add_audience(struct pl_finding *f, json_t *aud)
{
	if (json_is_string(aud)) {
		add_json_str(f, "aud", aud, PL_INSPECT_MAX_VALUE);
		return;
	}
	if (!json_is_array(aud) || !json_array_size(aud))
		return;
	json_t *names = json_array();
	if (!names) {
		fprintf(stderr, "pkgleaks: out of memory (inspecting a JWT)\n");
		abort();
	}
	extend_strings(names, aud);
	if (json_array_size(names))
		add_name_list(f, "aud", "", names);
	json_decref(names);
}

static int inspect_jwt(const char *s, size_t len, struct pl_finding *f)
{
	const char *dot1 = memchr(s, '.', len);
	if (!dot1)
		return 0;
	const char *p2 = dot1 + 1;
	const char *dot2 = memchr(p2, '.', len - (size_t)(p2 - s));
	size_t n2 = dot2 ? (size_t)(dot2 - p2) : len - (size_t)(p2 - s);
	json_t *hdr = b64_json_object(s, (size_t)(dot1 - s));
	json_t *claims = hdr ? b64_json_object(p2, n2) : NULL;
	if (!claims) {
		json_decref(hdr);
		return 0;
	}
	int64_t t;
	add_json_str(f, "alg", json_object_get(hdr, "alg"), PL_INSPECT_MAX_VALUE);
	add_json_str(f, "typ", json_object_get(hdr, "typ"), PL_INSPECT_MAX_VALUE);
	add_json_str(f, "iss", json_object_get(claims, "iss"), PL_INSPECT_MAX_VALUE);
	add_json_str(f, "sub", json_object_get(claims, "sub"), PL_INSPECT_MAX_SUB);
	add_audience(f, json_object_get(claims, "aud"));
	if (json_time(json_object_get(claims, "iat"), &t))
		add_time(f, "iat", t);
	if (json_time(json_object_get(claims, "exp"), &t)) {
		add_time(f, "exp", t);
		add_expired(f, t);
	}
	json_decref(hdr);
	json_decref(claims);
	return 1;
}

/* ---- Discord bot tokens ---- */

/* The first segment is the bot's user id, a snowflake, in base64
 * (CredSweeper value_discord_bot_check.py). Its top 42 bits are
 * milliseconds since the Discord epoch, 2015-01-01. */
static int inspect_discord(const char *s, size_t len, struct pl_finding *f)
{
	const char *dot = memchr(s, '.', len);
	size_t seg = dot ? (size_t)(dot - s) : len;
	if (seg < 20 || seg > 32)
		return 0;
	size_t n;
	unsigned char *raw = pl_base64_decode(s, seg, 0, &n);
	if (!raw)
		return 0;
	int ok = n >= 17 && n <= 20;
	uint64_t id = 0;
	for (size_t i = 0; ok && i < n; i++) {
		ok = raw[i] >= '0' && raw[i] <= '9' && id <= (UINT64_MAX - 9) / 10;
		if (ok)
			id = id * 10 + (uint64_t)(raw[i] - '0');
	}
	ok = ok && raw[0] != '0';
	if (ok) {
		pl_finding_add_detail(f, "bot_id", (const char *)raw);
		add_time(f, "bot_created", (int64_t)((id >> 22) / 1000 + 1420070400ULL));
	}
	free(raw);
	return ok;
}

/* ---- private keys ---- */

struct key_facts {
	const char *format;   /* pkcs1, pkcs8, sec1, openssh, pgp, ... */
	char type[64];        /* "RSA 2048", "EC P-256", "Ed25519"; "" unknown */
	int encrypted;        /* 1 yes, 0 no, -1 unknown */
	char cipher[48];      /* for encrypted keys, when the format names it */
	int parsed;
};

/* A PEM inside a JSON or source string has its newlines as the two
 * characters '\' 'n' (GCP service-account JSON). Returns a new buffer when
 * anything was unescaped, else NULL. Two passes cover a JSON string that
 * was itself escaped into a string. */
static char *unescape_newlines(const char *s, size_t len, size_t *out_len)
{
	char *cur = NULL;
	const char *in = s;
	size_t n = len;
	for (int pass = 0; pass < 2 && (find_mem(in, n, "\\n") || find_mem(in, n, "\\r")); pass++) {
		char *out = pl_xmalloc(n + 1);
		size_t j = 0;
		for (size_t i = 0; i < n; i++) {
			if (in[i] == '\\' && i + 1 < n && strchr("nr/\\", in[i + 1]) && in[i + 1]) {
				char c = in[++i];
				out[j++] = c == 'n' ? '\n' : c == 'r' ? '\r' : c;
			} else {
				out[j++] = in[i];
			}
		}
		out[j] = '\0';
		free(cur);
		in = cur = out;
		n = j;
	}
	*out_len = n;
	return cur;
}

struct pem_frame {
	const char *label;  /* between "BEGIN " and the closing dashes */
	size_t label_len;
	const char *body;   /* after the BEGIN line up to END (or end of input) */
	size_t body_len;
};

/* Finds "-----BEGIN <label>-----" and the body after it; tolerant of
 * spaces around the label and of a missing END (a truncated key). */
static int pem_find(const char *s, size_t len, struct pem_frame *fr)
{
	const char *b = find_mem(s, len, "BEGIN ");
	if (!b)
		return 0;
	const char *label = b + 6, *end = s + len;
	while (label < end && *label == ' ')
		label++;
	const char *close = find_mem(label, (size_t)(end - label), "-----");
	if (!close)
		close = find_mem(label, (size_t)(end - label), "----");
	if (!close || close - label > 64)
		return 0;
	const char *le = close;
	while (le > label && le[-1] == ' ')
		le--;
	fr->label = label;
	fr->label_len = (size_t)(le - label);
	const char *body = close;
	while (body < end && *body == '-')
		body++;
	const char *stop = find_mem(body, (size_t)(end - body), "-----END");
	if (!stop)
		stop = find_mem(body, (size_t)(end - body), "----END");
	if (!stop)
		stop = find_mem(body, (size_t)(end - body), "-----");
	fr->body = body;
	fr->body_len = (size_t)((stop ? stop : end) - body);
	return 1;
}

static int label_is(const struct pem_frame *fr, const char *want)
{
	return fr->label_len == strlen(want) && memcmp(fr->label, want, fr->label_len) == 0;
}

/* OpenSSH PROTOCOL.key: "openssh-key-v1\0", string ciphername, string
 * kdfname, string kdfoptions, uint32 number of keys, then the public keys
 * (each a string holding the usual ssh wire key: string type, ...). */
struct ssh_reader {
	const unsigned char *p;
	size_t len, off;
};

static int ssh_u32(struct ssh_reader *r, uint32_t *v)
{
	if (r->len - r->off < 4)
		return 0;
	const unsigned char *p = r->p + r->off;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	r->off += 4;
	return 1;
}

static int ssh_string(struct ssh_reader *r, const unsigned char **s, size_t *n)
{
	uint32_t len;
	if (!ssh_u32(r, &len) || len > r->len - r->off)
		return 0;
	*s = r->p + r->off;
	*n = len;
	r->off += len;
	return 1;
}

static int ssh_is(const unsigned char *s, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(s, want, n) == 0;
}

/* Bits of an SSH mpint (big-endian, maybe a leading 0 for the sign). */
static size_t mpint_bits(const unsigned char *s, size_t n)
{
	while (n && *s == 0) {
		s++;
		n--;
	}
	if (!n)
		return 0;
	size_t bits = (n - 1) * 8;
	for (unsigned c = *s; c; c >>= 1)
		bits++;
	return bits;
}

static void ssh_key_type(const unsigned char *blob, size_t n, struct key_facts *k)
{
	struct ssh_reader r = { blob, n, 0 };
	const unsigned char *t, *a, *b;
	size_t tn, an, bn;
	if (!ssh_string(&r, &t, &tn))
		return;
	if (ssh_is(t, tn, "ssh-rsa") && ssh_string(&r, &a, &an) && ssh_string(&r, &b, &bn))
		snprintf(k->type, sizeof(k->type), "RSA %zu", mpint_bits(b, bn));
	else if (ssh_is(t, tn, "ssh-dss") && ssh_string(&r, &a, &an))
		snprintf(k->type, sizeof(k->type), "DSA %zu", mpint_bits(a, an));
	else if (ssh_is(t, tn, "ssh-ed25519"))
		snprintf(k->type, sizeof(k->type), "Ed25519");
	else if (ssh_is(t, tn, "sk-ssh-ed25519@openssh.com"))
		snprintf(k->type, sizeof(k->type), "Ed25519 (security key)");
	else if (ssh_is(t, tn, "ssh-ed448"))
		snprintf(k->type, sizeof(k->type), "Ed448");
	else if ((ssh_is(t, tn, "sk-ecdsa-sha2-nistp256@openssh.com") ||
		  (tn > 11 && memcmp(t, "ecdsa-sha2-", 11) == 0)) &&
		 ssh_string(&r, &a, &an)) {
		const char *curve = ssh_is(a, an, "nistp256")	? "P-256"
				    : ssh_is(a, an, "nistp384") ? "P-384"
				    : ssh_is(a, an, "nistp521") ? "P-521"
								: NULL;
		snprintf(k->type, sizeof(k->type), "EC %s%s", curve ? curve : "(other curve)",
			 t[0] == 's' ? " (security key)" : "");
	} else {
		/* An unknown name: keep it, escaped and short. */
		pl_escape_into(k->type, sizeof(k->type), (const char *)t, tn < 40 ? tn : 40);
	}
}

static void inspect_openssh(const struct pem_frame *fr, struct key_facts *k)
{
	static const char magic[] = "openssh-key-v1";
	size_t n;
	k->format = "openssh";
	unsigned char *raw = pl_base64_decode(fr->body, fr->body_len, 1, &n);
	if (!raw)
		return;
	struct ssh_reader r = { raw, n, sizeof(magic) };
	const unsigned char *cipher, *kdf, *kdfopt, *pub;
	size_t cn, kn, on, pn;
	uint32_t nkeys;
	if (n < sizeof(magic) || memcmp(raw, magic, sizeof(magic)) != 0 ||
	    !ssh_string(&r, &cipher, &cn) || !ssh_string(&r, &kdf, &kn)) {
		free(raw);
		return;
	}
	k->encrypted = !ssh_is(cipher, cn, "none");
	if (k->encrypted) {
		pl_escape_into(k->cipher, sizeof(k->cipher), (const char *)cipher, cn < 32 ? cn : 32);
	}
	if (ssh_string(&r, &kdfopt, &on) && ssh_u32(&r, &nkeys) && nkeys >= 1 &&
	    ssh_string(&r, &pub, &pn)) {
		ssh_key_type(pub, pn, k);
		k->parsed = 1;
	}
	free(raw);
}

/* The password callback: there is never a password. OpenSSL 3 takes 0 as
 * "the empty password" and would run the key's KDF with it, so say -1
 * (error); encrypted keys are recognised before OpenSSL is called anyway. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static void evp_key_type(EVP_PKEY *pk, struct key_facts *k)
{
	int bits = EVP_PKEY_get_bits(pk);
	char group[80];
	size_t glen = 0;
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		snprintf(k->type, sizeof(k->type), "RSA %d", bits);
		break;
	case EVP_PKEY_DSA:
		snprintf(k->type, sizeof(k->type), "DSA %d", bits);
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) == 1) {
			const char *nist = EC_curve_nid2nist(OBJ_sn2nid(group));
			snprintf(k->type, sizeof(k->type), "EC %.48s", nist ? nist : group);
		} else {
			snprintf(k->type, sizeof(k->type), "EC");
		}
		break;
	case EVP_PKEY_ED25519:
		snprintf(k->type, sizeof(k->type), "Ed25519");
		break;
	case EVP_PKEY_ED448:
		snprintf(k->type, sizeof(k->type), "Ed448");
		break;
	case EVP_PKEY_X25519:
		snprintf(k->type, sizeof(k->type), "X25519");
		break;
	case EVP_PKEY_X448:
		snprintf(k->type, sizeof(k->type), "X448");
		break;
	default: {
		const char *name = EVP_PKEY_get0_type_name(pk);
		snprintf(k->type, sizeof(k->type), "%s", name ? name : "unknown");
	}
	}
}

/* Rebuilds a canonical PEM (64-column body, real newlines) from a frame
 * whose body may be one line, indented, or joined with spaces, and lets
 * OpenSSL parse it. The body must be pure base64 (no headers). */
static void parse_with_openssl(const struct pem_frame *fr, struct key_facts *k)
{
	if (pl_dl_crypto() < 0) /* without libcrypto the key's type stays unknown */
		return;
	struct pl_buf b;
	pl_buf_init(&b, PL_INSPECT_MAX_INPUT * 2);
	int rc = pl_buf_appendf(&b, "-----BEGIN %.*s-----\n", (int)fr->label_len, fr->label);
	size_t col = 0;
	for (size_t i = 0; rc == 0 && i < fr->body_len; i++) {
		unsigned char c = (unsigned char)fr->body[i];
		if (isspace(c))
			continue;
		if (pl_base64_value(c) < 0 && c != '=') {
			rc = -1;
			break;
		}
		rc = pl_buf_append(&b, &c, 1);
		if (rc == 0 && ++col == 64) {
			rc = pl_buf_append(&b, "\n", 1);
			col = 0;
		}
	}
	if (rc == 0 && col)
		rc = pl_buf_append(&b, "\n", 1);
	if (rc == 0)
		rc = pl_buf_appendf(&b, "-----END %.*s-----\n", (int)fr->label_len, fr->label);
	if (rc == 0 && b.len <= INT32_MAX) {
		BIO *bio = BIO_new_mem_buf(b.data, (int)b.len);
		EVP_PKEY *pk = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL) : NULL;
		if (pk) {
			evp_key_type(pk, k);
			k->parsed = 1;
		}
		EVP_PKEY_free(pk);
		BIO_free(bio);
		/* The failure stays on this thread's OpenSSL error queue otherwise. */
		ERR_clear_error();
	}
	pl_buf_release(&b);
}

/* "Proc-Type: 4,ENCRYPTED" and "DEK-Info: AES-128-CBC,<iv>" (RFC 1421
 * headers, OpenSSL's legacy encryption). */
static int legacy_encrypted(const struct pem_frame *fr, struct key_facts *k)
{
	const char *pt = find_mem(fr->body, fr->body_len, "Proc-Type:");
	if (!pt)
		return 0;
	size_t rest = fr->body_len - (size_t)(pt - fr->body);
	const char *eol = memchr(pt, '\n', rest);
	if (!find_mem(pt, eol ? (size_t)(eol - pt) : rest, "ENCRYPTED"))
		return 0;
	const char *dek = find_mem(fr->body, fr->body_len, "DEK-Info:");
	if (dek) {
		const char *v = dek + 9, *end = fr->body + fr->body_len;
		while (v < end && *v == ' ')
			v++;
		size_t n = 0;
		while (v + n < end && n < 32 && (isalnum((unsigned char)v[n]) || v[n] == '-'))
			n++;
		snprintf(k->cipher, sizeof(k->cipher), "%.*s", (int)n, v);
	}
	return 1;
}

static void key_facts_read(const char *s, size_t len, struct key_facts *k)
{
	memset(k, 0, sizeof(*k));
	k->encrypted = -1;
	size_t un = 0;
	char *unesc = unescape_newlines(s, len, &un);
	if (unesc) {
		s = unesc;
		len = un;
	}
	struct pem_frame fr;
	if (!pem_find(s, len, &fr)) {
		k->format = "pem";
		goto cleanup;
	}
	const char *kind = NULL; /* the key type the label names */
	if (label_is(&fr, "OPENSSH PRIVATE KEY")) {
		inspect_openssh(&fr, k);
		goto cleanup;
	}
	if (fr.label_len >= 3 && memcmp(fr.label, "PGP", 3) == 0) {
		k->format = "pgp";
		k->parsed = 1; /* not parsed, not a failure: we do not read PGP */
		goto cleanup;
	}
	if (label_is(&fr, "ENCRYPTED PRIVATE KEY")) {
		k->format = "pkcs8";
		k->encrypted = 1;
		goto cleanup;
	}
	if (label_is(&fr, "PRIVATE KEY")) {
		k->format = "pkcs8";
	} else if (label_is(&fr, "RSA PRIVATE KEY")) {
		k->format = "pkcs1";
		kind = "RSA";
	} else if (label_is(&fr, "EC PRIVATE KEY")) {
		k->format = "sec1";
		kind = "EC";
	} else if (label_is(&fr, "DSA PRIVATE KEY")) {
		k->format = "openssl-dsa";
		kind = "DSA";
	} else if (label_is(&fr, "SSH2 ENCRYPTED PRIVATE KEY")) {
		/* ssh.com's format says ENCRYPTED even with cipher "none"; not read. */
		k->format = "ssh2";
		k->parsed = 1;
		goto cleanup;
	} else {
		k->format = "pem";
		if (find_mem(fr.label, fr.label_len, "ENCRYPTED")) {
			k->encrypted = 1;
			goto cleanup;
		}
	}
	if (legacy_encrypted(&fr, k)) {
		k->encrypted = 1;
		if (kind)
			snprintf(k->type, sizeof(k->type), "%s", kind);
		goto cleanup;
	}
	k->encrypted = 0;
	parse_with_openssl(&fr, k);
cleanup:
	free(unesc);
}

static void add_key_facts(struct pl_finding *f, const struct key_facts *k)
{
	if (k->type[0])
		pl_finding_add_detail(f, "type", k->type);
	if (k->encrypted >= 0)
		pl_finding_add_detail(f, "encrypted", k->encrypted ? "yes" : "no");
	if (k->cipher[0])
		pl_finding_add_detail(f, "cipher", k->cipher);
	pl_finding_add_detail(f, "format", k->format);
	/* A truncated or mangled unencrypted key still leaks: keep it, say so. */
	if (!k->parsed && k->encrypted != 1)
		pl_finding_add_detail(f, "parse", "failed");
}

static int inspect_private_key(const char *s, size_t len, struct pl_finding *f)
{
	struct key_facts k;
	key_facts_read(s, len, &k);
	add_key_facts(f, &k);
	return 1;
}

/* ---- GCP service-account JSON ---- */

/* The string value of "key": "…" found by text search, for a secret that
 * is a fragment of JSON rather than a whole object. */
static int json_field_text(const char *s, size_t len, const char *key, const char **v, size_t *n)
{
	char quoted[32];
	snprintf(quoted, sizeof(quoted), "\"%s\"", key);
	const char *p = find_mem(s, len, quoted), *end = s + len;
	if (!p)
		return 0;
	p += strlen(quoted);
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end || *p++ != ':')
		return 0;
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end || *p++ != '"')
		return 0;
	const char *q = p;
	while (q < end && *q != '"' && *q != '\\')
		q++;
	if (q == end || *q != '"')
		return 0;
	*v = p;
	*n = (size_t)(q - p);
	return 1;
}

static int inspect_gcp(const char *s, size_t len, struct pl_finding *f)
{
	size_t i = 0;
	while (i < len && isspace((unsigned char)s[i]))
		i++;
	json_t *doc = i < len && s[i] == '{' ? json_loadb(s, len, 0, NULL) : NULL;
	struct key_facts k;
	if (json_is_object(doc)) {
		add_json_str(f, "client_email", json_object_get(doc, "client_email"), PL_INSPECT_MAX_VALUE);
		add_json_str(f, "project_id", json_object_get(doc, "project_id"), PL_INSPECT_MAX_VALUE);
		json_t *pk = json_object_get(doc, "private_key");
		if (json_is_string(pk)) {
			key_facts_read(json_string_value(pk), json_string_length(pk), &k);
			add_key_facts(f, &k);
		}
	} else {
		static const char *const fields[] = { "client_email", "project_id" };
		for (size_t j = 0; j < sizeof(fields) / sizeof(fields[0]); j++) {
			const char *v;
			size_t n;
			if (json_field_text(s, len, fields[j], &v, &n))
				add_raw(f, fields[j], v, n, PL_INSPECT_MAX_VALUE);
		}
		if (find_mem(s, len, "PRIVATE KEY")) {
			key_facts_read(s, len, &k);
			add_key_facts(f, &k);
		}
	}
	json_decref(doc);
	return 1;
}

/* ---- the table ---- */

static const struct {
	const char *name;
	int (*fn)(const char *secret, size_t len, struct pl_finding *f);
} inspectors[] = {
	{ "pypi-macaroon", inspect_pypi },
	{ "aws-access-key-id", inspect_aws },
	{ "jwt", inspect_jwt },
	{ "private-key", inspect_private_key },
	{ "discord-bot-token", inspect_discord },
	{ "gcp-service-account", inspect_gcp },
};

int pl_inspect_known(const char *name)
{
	for (size_t i = 0; name && i < sizeof(inspectors) / sizeof(inspectors[0]); i++)
		if (strcmp(name, inspectors[i].name) == 0)
			return 1;
	return 0;
}

int pl_inspect(const char *inspector, const char *secret, size_t len, struct pl_finding *f)
{
	if (!inspector || !secret || len > PL_INSPECT_MAX_INPUT)
		return 1;
	for (size_t i = 0; i < sizeof(inspectors) / sizeof(inspectors[0]); i++) {
		if (strcmp(inspector, inspectors[i].name) != 0)
			continue;
		size_t before = f->ndetails;
		if (inspectors[i].fn(secret, len, f))
			return 1;
		/* A dropped finding carries nothing this inspector started. */
		while (f->ndetails > before) {
			f->ndetails--;
			free(f->details[f->ndetails].key);
			free(f->details[f->ndetails].value);
		}
		return 0;
	}
	return 1;
}
