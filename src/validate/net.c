/* Where a validator may connect: resolve once, classify every address, and
 * refuse hosts that are not on the public Internet unless allowed. The
 * vetted address is then what the caller connects to (CURLOPT_RESOLVE,
 * libpq hostaddr, a socket of our own), so a second lookup cannot rebind
 * the name to an internal address. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "validate/validate_int.h"

static enum pl_addr_class classify4(uint32_t a)
{
	uint8_t b0 = (uint8_t)(a >> 24), b1 = (uint8_t)(a >> 16), b2 = (uint8_t)(a >> 8);
	if (b0 == 0)
		return PL_ADDR_UNSPECIFIED;
	if (b0 == 127)
		return PL_ADDR_LOOPBACK;
	if (b0 == 10 || (b0 == 172 && (b1 & 0xf0) == 16) || (b0 == 192 && b1 == 168))
		return PL_ADDR_PRIVATE;
	if (b0 == 169 && b1 == 254)
		return PL_ADDR_LINKLOCAL;
	if (b0 == 100 && (b1 & 0xc0) == 64)
		return PL_ADDR_CGNAT;
	if (b0 >= 224 && b0 <= 239)
		return PL_ADDR_MULTICAST;
	if (b0 >= 240)
		return PL_ADDR_RESERVED; /* 240/4 and 255.255.255.255 */
	if ((b0 == 192 && b1 == 0 && (b2 == 0 || b2 == 2)) || (b0 == 198 && (b1 & 0xfe) == 18) ||
	    (b0 == 198 && b1 == 51 && b2 == 100) || (b0 == 203 && b1 == 0 && b2 == 113) ||
	    (b0 == 192 && b1 == 88 && b2 == 99))
		return PL_ADDR_RESERVED; /* IETF protocol, documentation, benchmarking, 6to4 relay */
	return PL_ADDR_PUBLIC;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static enum pl_addr_class classify6(const uint8_t *a)
{
	static const uint8_t zero[16];
	if (memcmp(a, zero, 16) == 0)
		return PL_ADDR_UNSPECIFIED;
	if (memcmp(a, zero, 15) == 0 && a[15] == 1)
		return PL_ADDR_LOOPBACK;
	/* IPv4-mapped ::ffff:a.b.c.d: the IPv4 rules decide. */
	if (memcmp(a, zero, 10) == 0 && a[10] == 0xff && a[11] == 0xff)
		return classify4(be32(a + 12));
	/* IPv4-compatible ::a.b.c.d (deprecated) and NAT64 64:ff9b::/96 carry an
	 * IPv4 address too; 64:ff9b:1::/48 (local NAT64) is private. */
	if (memcmp(a, zero, 12) == 0)
		return classify4(be32(a + 12)) == PL_ADDR_PUBLIC ? PL_ADDR_RESERVED
								 : classify4(be32(a + 12));
	if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b) {
		if (memcmp(a + 4, zero, 8) == 0)
			return classify4(be32(a + 12));
		return PL_ADDR_PRIVATE;
	}
	if ((a[0] & 0xfe) == 0xfc)
		return PL_ADDR_PRIVATE; /* fc00::/7 unique local */
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return PL_ADDR_LINKLOCAL; /* fe80::/10 */
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
		return PL_ADDR_PRIVATE; /* fec0::/10 site-local (deprecated) */
	if (a[0] == 0xff)
		return PL_ADDR_MULTICAST;
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
		return PL_ADDR_RESERVED; /* 2001:db8::/32 documentation */
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x00 && a[3] == 0x00)
		return PL_ADDR_RESERVED; /* Teredo 2001::/32: the real peer is hidden */
	if (a[0] == 0x20 && a[1] == 0x02)
		return classify4(be32(a + 2)) == PL_ADDR_PUBLIC ? PL_ADDR_PUBLIC
								: classify4(be32(a + 2)); /* 6to4 */
	if (a[0] == 0x01 && a[1] == 0x00 && memcmp(a + 2, zero, 6) == 0)
		return PL_ADDR_RESERVED; /* 100::/64 discard */
	return PL_ADDR_PUBLIC;
}

enum pl_addr_class pl_addr_classify(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return classify4(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
	if (sa->sa_family == AF_INET6)
		return classify6(((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
	return PL_ADDR_RESERVED;
}

const char *pl_addr_class_name(enum pl_addr_class c)
{
	switch (c) {
	case PL_ADDR_PUBLIC:
		return "public";
	case PL_ADDR_LOOPBACK:
		return "loopback";
	case PL_ADDR_PRIVATE:
		return "private";
	case PL_ADDR_LINKLOCAL:
		return "link-local";
	case PL_ADDR_CGNAT:
		return "CGNAT";
	case PL_ADDR_UNSPECIFIED:
		return "unspecified";
	case PL_ADDR_MULTICAST:
		return "multicast";
	case PL_ADDR_RESERVED:
		break;
	}
	return "reserved";
}

static int loopback_only(void)
{
	const char *e = getenv("PKGLEAKS_VALIDATE_LOOPBACK_ONLY");
	return e && *e && strcmp(e, "0") != 0;
}

/* Host names are bounded and plain: a secret cannot smuggle control bytes,
 * spaces or '%' zone ids into a lookup. */
static int host_ok(const char *h, size_t n)
{
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == ':' || c == '_'))
			return 0;
	}
	return 1;
}

int pl_net_vet(struct pl_vctx *cx, const char *host, int trusted, struct pl_vaddr *addr,
	       struct pl_validation *out)
{
	char name[256];
	size_t n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host++;
		n -= 2;
	}
	if (!host_ok(host, n)) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "host name not usable");
		return -1;
	}
	memcpy(name, host, n);
	name[n] = '\0';
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	int rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0 || !res) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "dns: %s", gai_strerror(rc));
		return -1;
	}
	int allow = cx->opt->allow_private;
	const struct addrinfo *chosen = NULL;
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		enum pl_addr_class c = pl_addr_classify(ai->ai_addr);
		/* One bad address refuses the host: a name that answers with both
		 * public and internal addresses is not an issuer we trust. */
		if (c != PL_ADDR_PUBLIC && !allow && !(trusted && c == PL_ADDR_LOOPBACK)) {
			pl_vset(out, PL_VALIDATION_NOT_CHECKED, "private host (%s address)",
				pl_addr_class_name(c));
			freeaddrinfo(res);
			return -1;
		}
		if (loopback_only() && c != PL_ADDR_LOOPBACK) {
			pl_vset(out, PL_VALIDATION_NOT_CHECKED,
				"policy: PKGLEAKS_VALIDATE_LOOPBACK_ONLY refuses a %s address",
				pl_addr_class_name(c));
			freeaddrinfo(res);
			return -1;
		}
		if (!chosen && (ai->ai_family == AF_INET || ai->ai_family == AF_INET6))
			chosen = ai;
	}
	if (!chosen) {
		freeaddrinfo(res);
		pl_vset(out, PL_VALIDATION_UNKNOWN, "dns: no usable address");
		return -1;
	}
	addr->family = chosen->ai_family;
	const void *src;
	struct in_addr mapped;
	if (chosen->ai_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)(const void *)chosen->ai_addr)
					   ->sin6_addr.s6_addr;
		static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(a, pre, 12) == 0) {
			/* Connect to the IPv4 address itself: an IPv6-only socket
			 * cannot reach it, and servers may listen on IPv4 only. */
			memcpy(&mapped.s_addr, a + 12, 4);
			addr->family = AF_INET;
			src = &mapped;
		} else {
			src = a;
		}
	} else {
		src = &((const struct sockaddr_in *)(const void *)chosen->ai_addr)->sin_addr;
	}
	const char *ok = inet_ntop(addr->family, src, addr->ip, sizeof(addr->ip));
	freeaddrinfo(res);
	if (!ok) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "dns: unprintable address");
		return -1;
	}
	return 0;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int pl_net_connect(const struct pl_vaddr *addr, unsigned port, double timeout,
		   struct pl_validation *out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	if (addr->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, addr->ip, &s6->sin6_addr) != 1)
			goto bad;
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, addr->ip, &s4->sin_addr) != 1)
			goto bad;
		sl = sizeof(*s4);
	}
	int fd = socket(addr->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "connect: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	double end = mono() + timeout;
	for (;;) {
		struct pollfd p = {fd, POLLOUT, 0};
		double left = end - mono();
		if (left <= 0) {
			pl_vset(out, PL_VALIDATION_UNKNOWN, "timeout (connect)");
			close(fd);
			return -1;
		}
		int r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		int err = 0;
		socklen_t el = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err) {
			pl_vset(out, PL_VALIDATION_UNKNOWN, "connect: %s", strerror(err ? err : errno));
			close(fd);
			return -1;
		}
		break;
	}
	/* Back to blocking, with the time left as send/receive timeouts. */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	struct timeval tv = {(time_t)timeout, (suseconds_t)((timeout - (double)(time_t)timeout) * 1e6)};
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
bad:
	pl_vset(out, PL_VALIDATION_UNKNOWN, "connect: bad address");
	return -1;
}
