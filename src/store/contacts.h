/* Owner contacts from package metadata (meta.c calls these while it reads
 * the same files for the package's name). Every value is trimmed, capped at
 * PL_CONTACT_FIELD_MAX bytes and made printable (pl_escape); placeholders
 * setuptools writes for missing fields ("UNKNOWN", "None") are dropped.
 * Exact duplicates are dropped; past PL_CONTACTS_MAX the rest is ignored. */
#ifndef PL_STORE_CONTACTS_H
#define PL_STORE_CONTACTS_H

#include <jansson.h>
#include <stddef.h>

#include "pkgleaks/store.h"

#define PL_CONTACT_FIELD_MAX 200

struct pl_contacts {
	struct pl_contact *v;
	size_t n, cap;
};

/* RFC 822 headers of PKG-INFO / METADATA (debian 0) or a .deb's control
 * (debian 1). Stops at the first empty line (the body). */
void pl_contacts_from_headers(struct pl_contacts *c, const char *text, size_t len, int debian);
/* package.json: author, maintainers, repository, bugs, homepage. */
void pl_contacts_from_package_json(struct pl_contacts *c, json_t *doc);
/* One person: "Name <mail@host> (https://url)", any part optional. */
void pl_contacts_add_person(struct pl_contacts *c, const char *role, const char *text,
			    size_t len);
/* Moves the list into (*out, *n), freeing what they held. */
void pl_contacts_move(struct pl_contacts *c, struct pl_contact **out, size_t *n);
void pl_contacts_release(struct pl_contacts *c);
void pl_contact_array_free(struct pl_contact *v, size_t n);

#endif
