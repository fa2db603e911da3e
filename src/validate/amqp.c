/* AMQP URIs (RabbitMQ): librabbitmq opens a connection to the vetted
 * address and logs in (SASL PLAIN); the connection is closed right after
 * Connection.Open. Nothing is declared, published or consumed. A refused
 * virtual host (530) still proves the credentials. */
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "dl/dl_rabbitmq.h"
#include "util/alloc.h"
#include "validate/validate_int.h"

static void classify(amqp_rpc_reply_t r, struct pl_validation *out)
{
	if (r.reply_type == AMQP_RESPONSE_NORMAL) {
		pl_vset(out, PL_VALIDATION_VALID, NULL);
		return;
	}
	if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
	    r.reply.id == AMQP_CONNECTION_CLOSE_METHOD && r.reply.decoded) {
		const amqp_connection_close_t *c = r.reply.decoded;
		if (c->reply_code == 403)
			pl_vset(out, PL_VALIDATION_INVALID, NULL);
		else if (c->reply_code == 530)
			pl_vset(out, PL_VALIDATION_VALID, "authenticated; virtual host refused");
		else
			pl_vset(out, PL_VALIDATION_UNKNOWN, "unexpected answer (close %u)",
				(unsigned)c->reply_code);
		return;
	}
	if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "timeout");
		return;
	}
	pl_vset(out, PL_VALIDATION_UNKNOWN, "connection closed during login");
}

static enum pl_vcheck check_amqp(struct pl_vctx *cx, const struct pl_vsecret *s,
				 struct pl_validation *out)
{
	if (pl_dl_rabbitmq() < 0)
		return pl_vlib_missing(out);
	struct pl_dburi u;
	struct pl_vaddr addr;
	int tls = s->len > 8 && strncmp(s->secret, "amqps://", 8) == 0;
	if (pl_db_prepare(cx, s, &u, tls ? 5671 : 5672, &addr, out) != 0)
		return PL_VCHECK_DONE;
	amqp_connection_state_t conn = amqp_new_connection();
	amqp_socket_t *sock = NULL;
	if (conn)
		sock = tls ? amqp_ssl_socket_new(conn) : amqp_tcp_socket_new(conn);
	if (!sock) {
		pl_vset(out, PL_VALIDATION_UNKNOWN, "out of memory");
		goto done;
	}
	if (tls) {
		/* The chain is verified; the name cannot be, as we connect to the
		 * vetted address rather than the name. */
		amqp_ssl_socket_set_verify_peer(sock, 1);
		amqp_ssl_socket_set_verify_hostname(sock, 0);
	}
	struct timeval ct = {(time_t)cx->opt->connect_timeout, 0};
	struct timeval rt = {(time_t)cx->opt->timeout, 0};
	(void)amqp_set_handshake_timeout(conn, &rt);
	(void)amqp_set_rpc_timeout(conn, &rt);
	int rc = amqp_socket_open_noblock(sock, addr.ip, (int)u.port, &ct);
	if (rc != AMQP_STATUS_OK) {
		if (rc == AMQP_STATUS_TIMEOUT)
			pl_vset(out, PL_VALIDATION_UNKNOWN, "timeout");
		else
			pl_vset(out, PL_VALIDATION_UNKNOWN, "connect: %s", amqp_error_string2(rc));
		goto done;
	}
	const char *vhost = u.path[0] ? u.path : "/";
	amqp_rpc_reply_t r = amqp_login(conn, vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, u.user,
					u.password);
	classify(r, out);
	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		(void)amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
done:
	if (conn)
		amqp_destroy_connection(conn);
	pl_dburi_release(&u);
	return PL_VCHECK_DONE;
}

const struct pl_validator_ops pl_vops_amqp = {"amqp", check_amqp};
