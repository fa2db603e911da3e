/* Compiled Python (.pyc, CPython 3.3 to 3.14): the str and bytes constants
 * of every code object, one per line, under the names the code uses.
 *
 * Why a marshal reader by hand: no C library reads marshal, and embedding
 * CPython to unmarshal untrusted data is unsafe (marshal is documented as
 * not secure against erroneous or malicious data, and loading builds live
 * objects). This reader only walks the bytes: strings are kept as spans of
 * the input, nothing is allocated per object but a bounded back-reference
 * table and per-code-object lists, nesting stops at PYC_MAX_DEPTH, and any
 * malformation stops it with what it collected so far.
 *
 * The view (docs/internals/decode.md), for each code object that has
 * text-like constants, innermost first:
 *     NAME1 NAME2 local1 ...        its co_names, then its local names
 *     NAME1 = "constant"            a constant stored straight into a name
 *     "constant"                    any other str/bytes constant
 * so a rule that wants a keyword next to a value (HEROKU_API_KEY near a
 * UUID) sees one. Pairs come from LOAD_CONST + STORE_NAME/GLOBAL/FAST in the
 * bytecode, read for 3.6-3.13 whose opcode numbers are known. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode_int.h"
#include "pkgleaks/error.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/escape.h"

#define PYC_MAX_DEPTH 64
#define PYC_MAX_REFS (1u << 20)
/* Strings held at once in the per-code-object lists (20 bytes each). */
#define PYC_MAX_STRINGS (1u << 20)
/* Objects visited, counting names re-read through a back-reference. */
#define PYC_MAX_OBJECTS(len) (2 * (len) + 4096)
/* Constants shorter than this are not worth a line. */
#define PYC_MIN_TEXT 4
/* Names longer than this are not identifiers anyone wrote; the names line
 * is cut at PYC_MAX_NAMES_LINE bytes. */
#define PYC_MAX_NAME 128
#define PYC_MAX_NAMES_LINE 4096

#define FLAG_REF 0x80

/* Code object layouts, by magic number. */
enum layout {
	LAYOUT_33, /* 3.3-3.7: argcount kwonly nlocals stacksize flags, varnames */
	LAYOUT_38, /* 3.8-3.10: + posonlyargcount */
	LAYOUT_311 /* 3.11+: no nlocals; localsplusnames/kinds, qualname, exceptiontable */
};

/* Opcodes for pairing constants with names, by magic number: read from
 * each version's opcode module (3.6 final to 3.12 share them; 3.13
 * renumbered; 3.14 is left out until its numbers are checked). */
struct opcodes {
	unsigned min_magic, max_magic;
	unsigned load_const, store_name, store_global, store_fast, extended_arg;
};

static const struct opcodes opcode_table[] = {
	{3379, 3549, 100, 90, 97, 125, 144},
	{3571, 3571, 83, 114, 113, 110, 71},
};

enum ref_kind { REF_PENDING, REF_STR, REF_TUPLE, REF_OTHER };

/* One back-reference slot: a string's span, or where a tuple starts. */
struct ref {
	uint32_t off, len;
	uint8_t kind;    /* enum ref_kind */
	uint8_t emitted; /* this string already has its line */
};

/* A string met while reading: a span of the input. */
struct str {
	uint32_t off, len;
	int32_t ref;  /* its back-reference slot, or -1 */
	int32_t item; /* index in the tuple it is an item of (co_consts, co_names), or -1 */
	int32_t name; /* constants: index in the code's names (or locals + NAMES_LOCAL) stored into, or -1 */
};

#define NAMES_LOCAL (1 << 30)

struct strs {
	struct str *v;
	size_t n, cap;
};

/* Where the strings of the object being read go. Lists that get numbered
 * items (co_consts, co_names) receive them in increasing order, so they are
 * sorted by item and searched by bisection; strings nested deeper go to a
 * separate list. */
struct want {
	struct strs *to;   /* this object's own string; NULL: not collected */
	int items;         /* a tuple's items are numbered (consts, names) */
	int32_t item;      /* this object's number */
	struct strs *deep; /* strings inside items (nested containers); NULL: none */
};

/* What an object was, for the code reader. */
enum val_kind { VAL_OTHER, VAL_NULL, VAL_STR, VAL_TUPLE_REF };

struct val {
	enum val_kind kind;
	uint32_t off, len; /* VAL_STR: the span; VAL_TUPLE_REF: where the tuple starts */
};

struct reader {
	const unsigned char *d;
	size_t len, pos;
	enum layout layout;
	const struct opcodes *ops; /* the bytecode's opcodes, when known */
	unsigned depth;
	size_t objects, max_objects;
	size_t strings;     /* held in lists now */
	struct ref *refs;
	size_t nrefs, crefs;
	struct strs top;    /* strings outside any code object */
	struct pl_buf out;
	int stopped;        /* malformed or a bound reached */
	int full;           /* the view reached the decode budget */
};

static int stop(struct reader *r)
{
	r->stopped = 1;
	return -1;
}

static int take(struct reader *r, size_t n, const unsigned char **p)
{
	if (r->len - r->pos < n)
		return stop(r);
	*p = r->d + r->pos;
	r->pos += n;
	return 0;
}

static int r_byte(struct reader *r, unsigned *b)
{
	const unsigned char *p;
	if (take(r, 1, &p) < 0)
		return -1;
	*b = p[0];
	return 0;
}

static int r_i32(struct reader *r, int32_t *v)
{
	const unsigned char *p;
	if (take(r, 4, &p) < 0)
		return -1;
	*v = (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		       (uint32_t)p[3] << 24);
	return 0;
}

/* A count or length: non-negative and no larger than the bytes left (every
 * item or byte takes at least one). */
static int r_size(struct reader *r, size_t *n)
{
	int32_t v;
	if (r_i32(r, &v) < 0)
		return -1;
	if (v < 0 || (size_t)v > r->len - r->pos)
		return stop(r);
	*n = (size_t)v;
	return 0;
}

static int push_str(struct reader *r, struct strs *s, uint32_t off, uint32_t len, int32_t ref,
		    int32_t item)
{
	if (r->strings >= PYC_MAX_STRINGS)
		return stop(r);
	r->strings++;
	PL_GROW(s->v, s->cap, s->n + 1);
	s->v[s->n++] = (struct str){off, len, ref, item, -1};
	return 0;
}

static void free_strs(struct reader *r, struct strs *s)
{
	r->strings -= s->n;
	free(s->v);
}

static int32_t ref_reserve(struct reader *r)
{
	if (r->nrefs >= PYC_MAX_REFS)
		return stop(r);
	PL_GROW(r->refs, r->crefs, r->nrefs + 1);
	r->refs[r->nrefs] = (struct ref){0, 0, REF_PENDING, 0};
	return (int32_t)r->nrefs++;
}

static void ref_fill(struct reader *r, int32_t idx, const struct val *v, size_t start)
{
	struct ref *e = &r->refs[idx];
	if (v->kind == VAL_STR) {
		e->kind = REF_STR;
		e->off = v->off;
		e->len = v->len;
	} else if (v->kind == VAL_OTHER &&
		   ((r->d[start] & ~FLAG_REF) == '(' || (r->d[start] & ~FLAG_REF) == ')')) {
		e->kind = REF_TUPLE;
		e->off = (uint32_t)start;
	} else {
		e->kind = REF_OTHER;
	}
}

static int r_object(struct reader *r, const struct want *w, struct val *v);
static int r_body(struct reader *r, unsigned type, const struct want *w, int32_t ref,
		  struct val *v);

/* Re-reads the string items of a tuple met earlier through a
 * back-reference (CPython shares equal tuples: a co_varnames tuple may come
 * back as a constant, or as another code's co_names). Items are numbered
 * when numbered is set; FLAG_REF slots were taken the first time, and
 * anything but a string ends the replay (no recursion). */
static void replay_strs(struct reader *r, uint32_t at, struct strs *to, int numbered)
{
	size_t saved = r->pos, n;
	unsigned type, b;
	r->pos = at;
	if (r_byte(r, &type) < 0)
		goto out;
	type &= ~FLAG_REF;
	if (type == ')' ? r_byte(r, &b) < 0 : r_size(r, &n) < 0)
		goto out;
	if (type == ')')
		n = b;
	for (size_t i = 0; i < n && !r->stopped; i++) {
		struct want w = {to, 0, numbered ? (int32_t)i : -1, NULL};
		struct val v;
		if (++r->objects > r->max_objects || r_byte(r, &type) < 0)
			break;
		type &= ~FLAG_REF;
		if (type != 'r' && !strchr("stuaAzZ", (int)type))
			break;
		if (r_body(r, type, &w, -1, &v) < 0)
			break;
	}
out:
	r->pos = saved;
}


static int r_string(struct reader *r, size_t n, const struct want *w, int32_t ref,
		    struct val *v)
{
	const unsigned char *p;
	if (take(r, n, &p) < 0)
		return -1;
	v->kind = VAL_STR;
	v->off = (uint32_t)(p - r->d);
	v->len = (uint32_t)n;
	return w->to ? push_str(r, w->to, v->off, v->len, ref, w->item) : 0;
}

/* Items of a tuple, list or set; items of the consts and names tuples are
 * numbered so bytecode arguments can find them. */
/* What the items of a container with want w get. */
static struct want item_want(const struct want *w)
{
	return (struct want){w->items ? w->to : w->deep, 0, -1, w->deep};
}

static int r_items(struct reader *r, size_t n, const struct want *w)
{
	struct want iw = item_want(w);
	for (size_t i = 0; i < n; i++) {
		struct val v;
		iw.item = w->items ? (int32_t)i : -1;
		if (r_object(r, &iw, &v) < 0)
			return -1;
		if (v.kind == VAL_NULL)
			return stop(r);
		if (v.kind == VAL_TUPLE_REF && w->deep)
			replay_strs(r, v.off, w->deep, 0);
	}
	return 0;
}

static int r_dict(struct reader *r, const struct want *w)
{
	struct want iw = item_want(w);
	for (;;) {
		struct val k, v;
		if (r_object(r, &iw, &k) < 0)
			return -1;
		if (k.kind == VAL_NULL)
			return 0;
		if (r_object(r, &iw, &v) < 0)
			return -1;
		if (v.kind == VAL_NULL)
			return stop(r);
	}
}

static int r_back_ref(struct reader *r, const struct want *w, struct val *v)
{
	int32_t idx;
	if (r_i32(r, &idx) < 0)
		return -1;
	if (idx < 0 || (size_t)idx >= r->nrefs)
		return stop(r);
	const struct ref *e = &r->refs[idx];
	/* A slot still pending is an object referring to itself: no value. */
	if (e->kind == REF_STR) {
		v->kind = VAL_STR;
		v->off = e->off;
		v->len = e->len;
		if (w->to)
			return push_str(r, w->to, e->off, e->len, idx, w->item);
	} else if (e->kind == REF_TUPLE) {
		v->kind = VAL_TUPLE_REF;
		v->off = e->off;
	}
	return 0;
}

static int skip(struct reader *r, size_t n)
{
	const unsigned char *p;
	return take(r, n, &p);
}

static int r_long(struct reader *r)
{
	int32_t n;
	if (r_i32(r, &n) < 0)
		return -1;
	/* n digits of 15 bits, 2 bytes each; the sign of n is the number's. */
	uint64_t digits = n < 0 ? (uint64_t)(-(int64_t)n) : (uint64_t)n;
	if (digits > (r->len - r->pos) / 2)
		return stop(r);
	return skip(r, (size_t)digits * 2);
}

static int r_float_str(struct reader *r)
{
	unsigned n;
	return r_byte(r, &n) < 0 ? -1 : skip(r, n);
}

static int r_code(struct reader *r, struct val *v);

static int r_slice(struct reader *r, const struct want *w)
{
	return r_items(r, 3, w);
}

/* The object whose type byte (without FLAG_REF) is type. */
static int r_body(struct reader *r, unsigned type, const struct want *w, int32_t ref,
		  struct val *v)
{
	size_t n;
	unsigned b;
	switch (type) {
	case '0':
		v->kind = VAL_NULL;
		return 0;
	case 'N': case 'F': case 'T': case 'S': case '.':
		return 0;
	case 'i':
		return skip(r, 4);
	case 'I': case 'g':
		return skip(r, 8);
	case 'y':
		return skip(r, 16);
	case 'f':
		return r_float_str(r);
	case 'x':
		return r_float_str(r) < 0 ? -1 : r_float_str(r);
	case 'l':
		return r_long(r);
	case 's': case 't': case 'u': case 'a': case 'A':
		return r_size(r, &n) < 0 ? -1 : r_string(r, n, w, ref, v);
	case 'z': case 'Z':
		return r_byte(r, &b) < 0 ? -1 : r_string(r, b, w, ref, v);
	case '(': case '[': case '<': case '>':
		return r_size(r, &n) < 0 ? -1 : r_items(r, n, w);
	case ')':
		return r_byte(r, &b) < 0 ? -1 : r_items(r, b, w);
	case '{':
		return r_dict(r, w);
	case 'r':
		return r_back_ref(r, w, v);
	case 'c':
		return r_code(r, v);
	case ':':
		return r_slice(r, w); /* 3.14: start, stop, step */
	default:
		return stop(r); /* '?' and anything unknown */
	}
}

static int r_object(struct reader *r, const struct want *w, struct val *v)
{
	unsigned code;
	*v = (struct val){VAL_OTHER, 0, 0};
	if (r->stopped || r->depth >= PYC_MAX_DEPTH || ++r->objects > r->max_objects)
		return stop(r);
	size_t start = r->pos;
	if (r_byte(r, &code) < 0)
		return -1;
	int32_t ref = -1;
	/* The slot is taken before the items are read, as CPython numbers it. */
	if ((code & FLAG_REF) && (ref = ref_reserve(r)) < 0)
		return -1;
	r->depth++;
	int rc = r_body(r, code & ~FLAG_REF, w, ref, v);
	r->depth--;
	if (rc == 0 && ref >= 0)
		ref_fill(r, ref, v, start);
	return rc;
}

/* ---- code objects ---- */

struct code {
	struct strs consts;         /* co_consts' own str/bytes items, by item */
	struct strs nested;         /* strings in tuples/frozensets among them */
	struct strs names, locals;  /* co_names, then varnames/localsplusnames */
	struct val bytecode;
};

/* Reads a tuple of names into to, following a back-reference to a tuple. */
static int r_names(struct reader *r, struct strs *to)
{
	struct want w = {to, 1, -1, NULL};
	struct val v;
	if (r_object(r, &w, &v) < 0)
		return -1;
	if (v.kind == VAL_TUPLE_REF)
		replay_strs(r, v.off, to, 1);
	return r->stopped ? -1 : 0;
}

static int r_skip_objects(struct reader *r, int n)
{
	static const struct want none = {NULL, 0, -1, NULL};
	struct val v;
	for (int i = 0; i < n; i++)
		if (r_object(r, &none, &v) < 0)
			return -1;
	return 0;
}

/* The fields of a code object after co_consts and co_names. */
static int r_code_tail(struct reader *r, struct code *c)
{
	if (r->layout == LAYOUT_311) {
		/* localsplusnames, localspluskinds, filename, name, qualname,
		 * firstlineno, linetable, exceptiontable */
		if (r_names(r, &c->locals) < 0 || r_skip_objects(r, 4) < 0 || skip(r, 4) < 0)
			return -1;
		return r_skip_objects(r, 2);
	}
	/* varnames, freevars, cellvars, filename, name, firstlineno, lnotab */
	if (r_names(r, &c->locals) < 0 || r_skip_objects(r, 4) < 0 || skip(r, 4) < 0)
		return -1;
	return r_skip_objects(r, 1);
}

static void emit_code(struct reader *r, struct code *c);

static int r_code(struct reader *r, struct val *v)
{
	static const struct want none = {NULL, 0, -1, NULL};
	struct code c = {0};
	int ints = r->layout == LAYOUT_38 ? 6 : 5;
	int rc = skip(r, (size_t)ints * 4);
	if (rc == 0)
		rc = r_object(r, &none, &c.bytecode);
	if (rc == 0) {
		struct want cw = {&c.consts, 1, -1, &c.nested};
		struct val cv;
		rc = r_object(r, &cw, &cv);
		if (rc == 0 && cv.kind == VAL_TUPLE_REF)
			replay_strs(r, cv.off, &c.consts, 1);
	}
	if (rc == 0)
		rc = r_names(r, &c.names);
	if (rc == 0)
		rc = r_code_tail(r, &c);
	/* Also after a malformation: what was read is kept. */
	emit_code(r, &c);
	free_strs(r, &c.consts);
	free_strs(r, &c.nested);
	free_strs(r, &c.names);
	free_strs(r, &c.locals);
	v->kind = VAL_OTHER;
	return rc;
}

/* ---- the view ---- */

static int looks_text(const unsigned char *s, size_t n)
{
	if (n < PYC_MIN_TEXT)
		return 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t k = 1;
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			return 0;
		if (c >= 0x80 && !(k = pl_utf8_seq_len(s + i, n - i)))
			return 0;
		i += k;
	}
	return 1;
}

static int looks_name(const unsigned char *s, size_t n)
{
	if (n == 0 || n > PYC_MAX_NAME)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] == 0x7f || s[i] == '"' || s[i] == '=')
			return 0;
	return 1;
}

/* The entry for item in a list sorted by item, or NULL. */
static struct str *find_item(const struct strs *s, int32_t item)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->v[mid].item < item)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->v[lo].item == item ? &s->v[lo] : NULL;
}

/* LOAD_CONST k right before STORE_NAME/STORE_GLOBAL n (or STORE_FAST n):
 * the constant k is the value of that name. */
static void pair_names(struct reader *r, struct code *c)
{
	const struct opcodes *ops = r->ops;
	if (!ops || c->bytecode.kind != VAL_STR)
		return;
	const unsigned char *b = r->d + c->bytecode.off;
	size_t n = c->bytecode.len & ~(size_t)1;
	uint32_t ext = 0, last_const = 0;
	int after_load = 0;
	for (size_t i = 0; i < n; i += 2) {
		unsigned op = b[i];
		uint32_t arg = ext << 8 | b[i + 1];
		if (op == ops->extended_arg) {
			ext = arg;
			continue;
		}
		ext = 0;
		int local = op == ops->store_fast;
		if (after_load && (op == ops->store_name || op == ops->store_global || local)) {
			int32_t name = (int32_t)(arg & (NAMES_LOCAL - 1)) | (local ? NAMES_LOCAL : 0);
			struct str *k = find_item(&c->consts, (int32_t)last_const);
			if (k && k->name < 0)
				k->name = name;
		}
		after_load = op == ops->load_const;
		last_const = arg;
	}
}

static int append(struct reader *r, const void *p, size_t n)
{
	if (r->full)
		return -1;
	if (pl_buf_append(&r->out, p, n) < 0) {
		r->full = 1;
		return stop(r);
	}
	return 0;
}

static int emit_names_line(struct reader *r, const struct code *c)
{
	const struct strs *lists[] = {&c->names, &c->locals};
	size_t start = r->out.len;
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->n; i++) {
			const struct str *s = &lists[l]->v[i];
			if (!looks_name(r->d + s->off, s->len))
				continue;
			if (r->out.len - start + s->len + 1 > PYC_MAX_NAMES_LINE)
				break;
			if (append(r, r->d + s->off, s->len) < 0 || append(r, " ", 1) < 0)
				return -1;
		}
	}
	if (r->out.len == start)
		return 0;
	r->out.data[--r->out.len] = '\0'; /* the last space */
	return append(r, "\n", 1);
}

/* The constant's line: `NAME = "value"` when paired, else `"value"`. */
static int emit_const(struct reader *r, const struct code *c, const struct str *s)
{
	if (s->name >= 0) {
		const struct strs *names = s->name & NAMES_LOCAL ? &c->locals : &c->names;
		const struct str *n = find_item(names, s->name & (NAMES_LOCAL - 1));
		if (n && looks_name(r->d + n->off, n->len) &&
		    (append(r, r->d + n->off, n->len) < 0 || append(r, " = ", 3) < 0))
			return -1;
	}
	if (append(r, "\"", 1) < 0 || append(r, r->d + s->off, s->len) < 0 ||
	    append(r, "\"\n", 2) < 0)
		return -1;
	if (s->ref >= 0)
		r->refs[s->ref].emitted = 1;
	return 0;
}

/* A constant gets a line once: a string shared through back-references is
 * not written again (each reference costs the input 5 bytes, so repeating
 * it would let a small file make a huge view). */
static int wanted(const struct reader *r, const struct str *s)
{
	return (s->ref < 0 || !r->refs[s->ref].emitted) && looks_text(r->d + s->off, s->len);
}

static int any_wanted(const struct reader *r, const struct strs *s)
{
	for (size_t k = 0; s && k < s->n; k++)
		if (wanted(r, &s->v[k]))
			return 1;
	return 0;
}

static int emit_list(struct reader *r, const struct code *c, const struct strs *s)
{
	for (size_t k = 0; s && k < s->n; k++)
		if (wanted(r, &s->v[k]) && emit_const(r, c, &s->v[k]) < 0)
			return -1;
	return 0;
}

/* One code object's block: its names line, then its constants (those
 * nested in tuples and frozensets last); nothing without a constant. */
static void emit_strs(struct reader *r, const struct code *c, const struct strs *consts,
		      const struct strs *nested)
{
	if (!any_wanted(r, consts) && !any_wanted(r, nested))
		return;
	if ((c && emit_names_line(r, c) < 0) || emit_list(r, c, consts) < 0)
		return;
	(void)emit_list(r, c, nested); /* a full view is recorded in r->full */
}

static void emit_code(struct reader *r, struct code *c)
{
	if (r->full)
		return;
	pair_names(r, c);
	emit_strs(r, c, &c->consts, &c->nested);
}

/* ---- entry points ---- */

static unsigned magic_of(const unsigned char *d)
{
	return (unsigned)d[0] | (unsigned)d[1] << 8;
}

size_t pl_pyc_header(const unsigned char *d, size_t len)
{
	if (len < 17 || d[2] != '\r' || d[3] != '\n')
		return 0;
	unsigned magic = magic_of(d);
	size_t hdr;
	if (magic >= 3390 && magic < 4000) {
		/* PEP 552 flags: bit 0 hash-based, bit 1 check_source. */
		if (d[4] & ~3u || d[5] || d[6] || d[7])
			return 0;
		hdr = 16;
	} else if (magic >= 3190 && magic < 3390) {
		hdr = 12;
	} else {
		return 0;
	}
	return (d[hdr] & ~FLAG_REF) == 'c' ? hdr : 0;
}

static const struct opcodes *opcodes_of(unsigned magic)
{
	for (size_t i = 0; i < sizeof(opcode_table) / sizeof(opcode_table[0]); i++)
		if (magic >= opcode_table[i].min_magic && magic <= opcode_table[i].max_magic)
			return &opcode_table[i];
	return NULL;
}

static enum layout layout_of(unsigned magic)
{
	if (magic >= 3450)
		return LAYOUT_311;
	return magic >= 3410 ? LAYOUT_38 : LAYOUT_33;
}

int pl_pyc_views(const unsigned char *d, size_t len, struct pl_views *out)
{
	size_t hdr = pl_pyc_header(d, len);
	if (!hdr || len > UINT32_MAX)
		return 0;
	if (pl_views_room(out) == 0)
		return pl_error_set(PL_ELIMIT, "decode budget spent; .pyc constants not scanned");
	unsigned magic = magic_of(d);
	struct reader r = {.d = d, .len = len, .pos = hdr, .layout = layout_of(magic),
			   .ops = opcodes_of(magic),
			   .max_objects = PYC_MAX_OBJECTS(len)};
	pl_buf_init(&r.out, pl_views_room(out));
	struct want w = {&r.top, 0, -1, &r.top};
	struct val v;
	(void)r_object(&r, &w, &v); /* a malformation only ends the reading */
	if (!r.full)
		emit_strs(&r, NULL, &r.top, NULL);
	free(r.refs);
	free_strs(&r, &r.top);
	int rc = 0;
	size_t n = r.out.len;
	if (n)
		rc = pl_views_add(out, pl_buf_detach(&r.out), n, "pyc", PL_VIEW_NO_LINES, 0);
	pl_buf_release(&r.out);
	if (rc == 0 && r.full)
		rc = pl_error_set(PL_ELIMIT, "constants of this .pyc pass the decode budget; the rest not scanned");
	return rc;
}
