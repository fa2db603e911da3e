/* libFuzzer target for what the store reads from an artifact's own metadata
 * (store/meta.c, store/contacts.c): PKG-INFO, METADATA, package.json, a
 * .deb's control, a gem's metadata, then the file-name fall-back. The first
 * byte picks the metadata file's name and depth; the rest is its text, and
 * its first line is also the artifact's file name. Checked: every kept value
 * is NUL-terminated, printable and within its cap; at most PL_CONTACTS_MAX
 * contacts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkgleaks/store.h"
#include "store/contacts.h"
#include "util/escape.h"

static const char *const names[] = {
	"pkg-1.0/PKG-INFO", "pkg-1.0.dist-info/METADATA", "package/package.json", "control",
	"metadata",         "a/b/c/PKG-INFO",             "node_modules/x/package.json",
};

/* pl_escape's output: valid UTF-8 without control bytes. */
static void check_text(const char *s, size_t cap)
{
	if (!s)
		return;
	size_t n = strlen(s);
	/* An escaped byte takes up to four characters (\xNN). */
	if (n > 4 * cap || pl_utf8_printable_len(s, n) != n)
		abort();
}

static void check_id(const struct pl_package_id *id)
{
	if (!id->ecosystem || !id->project || !id->version)
		abort();
	check_text(id->ecosystem, 16);
	check_text(id->project, 4096); /* a file name may be long; metadata is capped */
	check_text(id->version, 4096);
	if (id->ncontacts > PL_CONTACTS_MAX)
		abort();
	for (size_t i = 0; i < id->ncontacts; i++) {
		const struct pl_contact *c = &id->contacts[i];
		if (!c->role)
			abort();
		check_text(c->name, PL_CONTACT_FIELD_MAX);
		check_text(c->email, PL_CONTACT_FIELD_MAX);
		check_text(c->url, PL_CONTACT_FIELD_MAX);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *path = names[data[0] % (sizeof(names) / sizeof(names[0]))];
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	/* The artifact's file name: the text's first line, NUL-free. */
	size_t fn = 0;
	while (fn < len && fn < 255 && text[fn] != '\n' && text[fn] != '\0')
		fn++;
	char filename[256];
	memcpy(filename, text, fn);
	filename[fn] = '\0';

	struct pl_package_id id = PL_PACKAGE_ID_INIT;
	pl_package_id_from_metadata(&id, path, text, len);
	/* A second, deeper file never replaces the first answer. */
	pl_package_id_from_metadata(&id, "deeper/still/deeper/PKG-INFO", text, len);
	pl_package_id_finish(&id, filename);
	check_id(&id);
	pl_package_id_release(&id);

	/* Each contact parser on its own, on the whole input. */
	struct pl_contacts c = {0};
	pl_contacts_add_person(&c, "author", text, len);
	pl_contacts_from_headers(&c, text, len, data[0] & 1);
	struct pl_contact *v = NULL;
	size_t n = 0;
	pl_contacts_move(&c, &v, &n);
	if (n > PL_CONTACTS_MAX)
		abort();
	pl_contact_array_free(v, n);
	return 0;
}
