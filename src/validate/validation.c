/* struct pl_validation (finding.h): names, copies, and the helpers the
 * validators fill it with. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/error.h"
#include "util/alloc.h"
#include "util/escape.h"
#include "validate/validate_int.h"

const char *pl_validation_status_name(enum pl_validation_status s)
{
	switch (s) {
	case PL_VALIDATION_VALID:
		return "valid";
	case PL_VALIDATION_INVALID:
		return "invalid";
	case PL_VALIDATION_UNKNOWN:
		return "unknown";
	case PL_VALIDATION_NOT_CHECKED:
		return "not_checked";
	case PL_VALIDATION_NONE:
		break;
	}
	return "";
}

void pl_validation_free(struct pl_validation *v)
{
	if (!v)
		return;
	free(v->reason);
	for (size_t i = 0; i < v->ndetails; i++) {
		free(v->details[i].key);
		free(v->details[i].value);
	}
	free(v->details);
	free(v);
}

struct pl_validation *pl_validation_copy(const struct pl_validation *v)
{
	if (!v)
		return NULL;
	struct pl_validation *c = pl_xcalloc(1, sizeof(*c));
	*c = *v;
	c->reason = v->reason ? pl_xstrdup(v->reason) : NULL;
	c->details = v->ndetails ? pl_xcalloc(v->ndetails, sizeof(*c->details)) : NULL;
	for (size_t i = 0; i < v->ndetails; i++) {
		c->details[i].key = pl_xstrdup(v->details[i].key);
		c->details[i].value = pl_xstrdup(v->details[i].value);
	}
	return c;
}

void pl_vset(struct pl_validation *out, enum pl_validation_status st, const char *fmt, ...)
{
	out->status = st;
	free(out->reason);
	out->reason = NULL;
	if (!fmt)
		return;
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* Reasons can quote servers (database error texts): escape them. */
	out->reason = pl_escape(buf, strlen(buf));
}

enum pl_vcheck pl_vlib_missing(struct pl_validation *out)
{
	pl_vset(out, PL_VALIDATION_NOT_CHECKED, "%s", pl_error_message());
	return PL_VCHECK_DONE;
}

void pl_vdetail(struct pl_validation *out, const char *key, const char *value, size_t len)
{
	if (len > PL_VDETAIL_MAX)
		len = PL_VDETAIL_MAX;
	out->details = pl_xrealloc(out->details, (out->ndetails + 1) * sizeof(*out->details));
	out->details[out->ndetails].key = pl_xstrdup(key);
	out->details[out->ndetails].value = pl_escape(value, len);
	out->ndetails++;
}
