/* Redis URIs: one AUTH command (hiredis formats it and parses the answer)
 * over a connection to the vetted address, TLS for rediss://, then close.
 * No other command is sent: not even PING or SELECT. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dl/dl_hiredis.h"
#include "dl/dl_ssl.h"
#include "util/alloc.h"
#include "validate/validate_int.h"

struct conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
};

static int conn_tls(struct conn *c, const char *host)
{
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx || SSL_CTX_set_default_verify_paths(c->ctx) != 1)
		return -1;
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 || SSL_set1_host(c->ssl, host) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, host) != 1)
		return -1;
	return SSL_connect(c->ssl) == 1 ? 0 : -1;
}

static int conn_write(struct conn *c, const char *p, size_t n)
{
	while (n) {
		ssize_t w = c->ssl ? SSL_write(c->ssl, p, (int)n) : write(c->fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static ssize_t conn_read(struct conn *c, char *p, size_t n)
{
	return c->ssl ? SSL_read(c->ssl, p, (int)n) : read(c->fd, p, n);
}

static void conn_close(struct conn *c)
{
	if (c->ssl) { /* without TLS, libssl may not be loaded */
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->ctx)
		SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
}

static void classify(const redisReply *r, struct pl_validation *out)
{
	if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0) {
		pl_vset(out, PL_VALIDATION_VALID, NULL);
	} else if (r->type == REDIS_REPLY_ERROR &&
		   (strncmp(r->str, "WRONGPASS", 9) == 0 ||
		    strstr(r->str, "invalid password") || strstr(r->str, "invalid username-password"))) {
		pl_vset(out, PL_VALIDATION_INVALID, NULL);
	} else if (r->type == REDIS_REPLY_ERROR &&
		   (strstr(r->str, "without any password configured") ||
		    strstr(r->str, "no password is set"))) {
		/* The password is not needed at all: the server is open. */
		pl_vset(out, PL_VALIDATION_VALID, "server requires no password");
		pl_vdetail(out, "open_server", "yes", 3);
	} else if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOAUTH", 6) == 0) {
		pl_vset(out, PL_VALIDATION_INVALID, NULL);
	} else {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "unexpected answer");
	}
}

static enum pl_vcheck check_redis(struct pl_vctx *cx, const struct pl_vsecret *s,
				  struct pl_validation *out)
{
	if (pl_dl_hiredis() < 0)
		return pl_vlib_missing(out);
	struct pl_dburi u;
	struct pl_vaddr addr;
	if (pl_db_prepare(cx, s, &u, 6379, &addr, out) != 0)
		return PL_VCHECK_DONE;
	struct conn c = {-1, NULL, NULL};
	redisReader *rd = NULL;
	char *cmd = NULL;
	int n = 0;
	int tls = strcmp(u.scheme, "rediss") == 0 || strcmp(u.scheme, "valkeys") == 0;
	if (tls && pl_dl_ssl() < 0) {
		pl_vlib_missing(out);
		goto done;
	}
	if (strstr(u.scheme, "sentinel")) {
		pl_vset(out, PL_VALIDATION_NOT_CHECKED, "sentinel URIs are not checked");
		goto done;
	}
	c.fd = pl_net_connect(&addr, u.port, cx->opt->connect_timeout, out);
	if (c.fd < 0)
		goto done;
	if (tls && conn_tls(&c, u.host) != 0) {
		ERR_clear_error();
		pl_vset(out, PL_VALIDATION_UNKNOWN, "tls: handshake or certificate failed");
		goto done;
	}
	/* AUTH user pass (Redis 6 ACL) when the URI names a user, else AUTH pass. */
	const char *argv[3] = {"AUTH", u.user, u.password};
	size_t argl[3] = {4, strlen(u.user), strlen(u.password)};
	int argc = u.user[0] ? 3 : 2;
	if (argc == 2) {
		argv[1] = u.password;
		argl[1] = argl[2];
	}
	n = redisFormatCommandArgv(&cmd, argc, argv, argl);
	if (n < 0 || conn_write(&c, cmd, (size_t)n) != 0) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "connection broken");
		goto done;
	}
	rd = redisReaderCreate();
	void *reply = NULL;
	char buf[4096];
	size_t total = 0;
	while (rd && !reply) {
		ssize_t r = conn_read(&c, buf, sizeof(buf));
		if (r <= 0) {
			pl_vset(out, PL_VALIDATION_UNKNOWN, r < 0 ? "timeout" : "connection closed");
			goto done;
		}
		total += (size_t)r;
		if (total > 65536 || redisReaderFeed(rd, buf, (size_t)r) != REDIS_OK ||
		    redisReaderGetReply(rd, &reply) != REDIS_OK) {
			pl_vset(out, PL_VALIDATION_UNKNOWN, "unexpected answer");
			goto done;
		}
	}
	if (reply) {
		classify(reply, out);
		freeReplyObject(reply);
	}
done:
	if (rd)
		redisReaderFree(rd);
	if (cmd) {
		if (n > 0)
			memset(cmd, 0, (size_t)n);
		redisFreeCommand(cmd);
	}
	conn_close(&c);
	pl_dburi_release(&u);
	return PL_VCHECK_DONE;
}

const struct pl_validator_ops pl_vops_redis = {"redis", check_redis};
