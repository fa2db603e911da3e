/* Filters that decide whether a confirmed match is a secret: checksums,
 * entropy, and placeholders / documented example values. */
#include <ctype.h>
#include <math.h>
#include <string.h>
#include <zlib.h>

#include "pkgleaks/match.h"

double pl_entropy(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	size_t counts[256] = {0};
	for (size_t i = 0; i < len; i++)
		counts[(unsigned char)s[i]]++;
	double h = 0;
	for (int c = 0; c < 256; c++) {
		if (!counts[c])
			continue;
		double p = (double)counts[c] / (double)len;
		h -= p * log2(p);
	}
	return h;
}

/* Values published in providers' documentation as examples. */
static const char *const known_examples[] = {
	"AKIAIOSFODNN7EXAMPLE",
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
	"sk_test_4eC39HqLyjWDarjtT1zdp7dc",
	"pk_test_TYooMQauvdEDq54NiTphI7jx",
	NULL,
};

/* Substrings that mark a value as a placeholder (compared case-insensitively). */
static const char *const placeholder_parts[] = {
	"example", "xxxx", "${", "{{", "your_", "your-", "yourkey", "changeme", "change_me",
	"replace", "dummy", "redacted", "placeholder", "****", "....", "process.env",
	"os.environ", "getenv", "<your", "insert_", "_here", "#{", "\xe2\x80\xa6", NULL,
};

/* Whole values that are placeholders or throwaway documentation passwords. */
static const char *const placeholder_values[] = {
	"password", "passw0rd", "pass", "passwd", "pwd", "secret", "admin", "root", "guest",
	"test", "testing", "user", "username", "foobar", "foo", "bar", "qwerty", "123456",
	"12345678", "letmein", "default", "none", "null", "empty", "mypassword", "yourpassword",
	"tiger", "p@ssw0rd", "pa$$word", "s3cr3t", "hunter2", "secret123", "password123",
	"token", "apikey", "api_key", "my_secret", "mysecret", "supersecret", "topsecret", NULL,
};

static int distinct_chars(const char *s, size_t len)
{
	unsigned char seen[256] = {0};
	int n = 0;
	for (size_t i = 0; i < len; i++)
		if (!seen[(unsigned char)s[i]]++)
			n++;
	return n;
}

static int contains_ci(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0)
		return 1;
	int first = tolower((unsigned char)needle[0]);
	/* The first byte decides most positions without a call (this runs for
	 * every confirmed candidate, placeholder part by part). */
	for (size_t i = 0; i + n <= len; i++)
		if (tolower((unsigned char)s[i]) == first && strncasecmp(s + i, needle, n) == 0)
			return 1;
	return 0;
}

static int step(unsigned char a, unsigned char b)
{
	if (!isdigit(a) != !isdigit(b))
		return 0;
	return b == a + 1 ? 1 : b + 1 == a ? -1 : 0;
}

/* Keyboard fillers rather than keys: a run of 6 or more consecutive
 * characters that is more than half of the value ("12345678abcdef",
 * "abcdefghijklmno1234", "987654321"; case and punctuation ignored),
 * a value made only of ascending runs of 3 or more ("abc123def456"), or one
 * short unit repeated ("abc123ABC123abc123"). */
static int filler(const char *s, size_t len)
{
	unsigned char a[256];
	size_t n = 0;
	for (size_t i = 0; i < len && n < sizeof(a); i++)
		if (isalnum((unsigned char)s[i]))
			a[n++] = (unsigned char)tolower((unsigned char)s[i]);
	size_t covered = 0, run = 1;
	int dir = 0;
	for (size_t i = 1; i < n; i++) {
		int d = step(a[i - 1], a[i]);
		if (d != 0 && (dir == 0 || d == dir)) {
			dir = d;
			/* most of the value, not "123456" after a word or in a long value */
			if (++run >= 6 && run * 2 > n)
				return 1;
			continue;
		}
		if (run >= 3 && dir > 0)
			covered += run;
		/* a turn ("abcba") starts the next run at the previous character */
		dir = d;
		run = d ? 2 : 1;
	}
	if (run >= 3 && dir > 0)
		covered += run;
	if (n >= 8 && covered == n)
		return 1;
	for (size_t p = 1; len >= 9 && p <= len / 3; p++) {
		size_t i = 0;
		while (i + p < len && tolower((unsigned char)s[i]) == tolower((unsigned char)s[i + p]))
			i++;
		if (i + p == len)
			return 1;
	}
	return 0;
}

/* A lowercase name that says what belongs there: "oplog_reader_password",
 * "randompassword". */
static int names_itself(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!islower((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return contains_ci(s, len, "passw") || contains_ci(s, len, "secret");
}

/* (whatever), [password], %DB_PASSWORD%: a name in brackets or a Windows
 * environment variable. */
static int bracketed_name(const char *s, size_t len)
{
	if (len < 3)
		return 0;
	char open = s[0], close = s[len - 1];
	if (!((open == '(' && close == ')') || (open == '[' && close == ']') ||
	      (open == '%' && close == '%')))
		return 0;
	for (size_t i = 1; i + 1 < len; i++)
		if (!isalnum((unsigned char)s[i]) && !(s[i] && strchr("_- ", s[i])))
			return 0;
	return 1;
}

int pl_is_placeholder(const char *s, size_t len)
{
	for (const char *const *k = known_examples; *k; k++)
		if (strlen(*k) == len && memcmp(*k, s, len) == 0)
			return 1;
	for (const char *const *v = placeholder_values; *v; v++)
		if (strlen(*v) == len && strncasecmp(*v, s, len) == 0)
			return 1;
	for (const char *const *p = placeholder_parts; *p; p++)
		if (contains_ci(s, len, *p))
			return 1;
	/* <token>, %(name)s, $VAR: templates, not values. */
	if (len >= 2 && s[0] == '<' && s[len - 1] == '>')
		return 1;
	if (len >= 2 && s[0] == '$' && (isalpha((unsigned char)s[1]) || s[1] == '_'))
		return 1;
	if (contains_ci(s, len, "%(") || contains_ci(s, len, "%s"))
		return 1;
	/* Elided in documentation: "ABAQDAwXxn7kIMNWzcDfo..." */
	if (len >= 3 && memcmp(s + len - 3, "...", 3) == 0)
		return 1;
	if (bracketed_name(s, len) || names_itself(s, len) || filler(s, len))
		return 1;
	return len >= 8 && distinct_chars(s, len) < 4;
}

static void base62_6(unsigned long v, char out[7])
{
	static const char alphabet[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	for (int i = 5; i >= 0; i--) {
		out[i] = alphabet[v % 62];
		v /= 62;
	}
	out[6] = '\0';
}

/* prefix(4) + 30 random + base62(CRC32(random)) left-padded to 6. */
static int github_crc32_ok(const char *s, size_t len)
{
	if (len != 40)
		return 0;
	char want[7];
	base62_6(crc32(0L, (const Bytef *)s + 4, 30), want);
	return memcmp(want, s + 34, 6) == 0;
}

/* ...=XXXXXXXX where the 8 hex digits are the CRC32 of everything before them. */
static int atlassian_crc32_ok(const char *s, size_t len)
{
	if (len < 10 || s[len - 9] != '=')
		return 0;
	char want[9];
	unsigned long crc = crc32(0L, (const Bytef *)s, (uInt)(len - 8));
	for (int i = 7; i >= 0; i--, crc >>= 4)
		want[i] = "0123456789ABCDEF"[crc & 15];
	return strncasecmp(want, s + len - 8, 8) == 0;
}

int pl_checksum_ok(enum pl_checksum kind, const char *s, size_t len)
{
	switch (kind) {
	case PL_CHECKSUM_GITHUB_CRC32:
		return github_crc32_ok(s, len);
	case PL_CHECKSUM_ATLASSIAN_CRC32:
		return atlassian_crc32_ok(s, len);
	default:
		return 1;
	}
}
