/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn.c: connection tracking for `airlock serve`: every open connection is
 * registered, and the main loop cuts off those too slow to send a request
 * head and those on which nothing moves. It reads the kernel's TCP counters;
 * it never reads or writes a socket itself.
 */
#include <linux/tcp.h> /* TCP_INFO with byte counts (glibc's netinet/tcp.h lacks them) */
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "serve.h"
#include "sv_internal.h"

int64_t sv_mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}


/* ------------------------------------------------------------------ slow clients */

/*
 * libmicrohttpd's own timeout counts only what it reads and writes itself, so
 * it gets both slow clients wrong: a client that sends its head a byte at a
 * time (or never finishes a TLS handshake) holds its connection for ever, and
 * a client that reads a large answer slowly but steadily is cut off as soon
 * as the kernel's send buffer (megabytes on a fast link) stays full for
 * longer than the timeout. So libmicrohttpd's timeout is off, and the main
 * loop judges every open connection once a second, by what the kernel saw:
 *   - one waiting for a request head is cut once it has waited longer than
 *     the timeout, whatever trickles in;
 *   - any other is cut once no byte has moved either way (none received,
 *     none acknowledged by the client) for longer than the timeout, plus the
 *     pause that its last burst bought (SV_PAUSE_RATE in serve.h).
 * Cutting is a shutdown(2) of the socket under the registry's lock, and a
 * connection leaves the registry (in the CLOSED notification) before
 * libmicrohttpd closes its descriptor, so the number can never be another
 * connection's.
 */

/* The connection's TCP byte counts: received from the client, and sent and
 * acknowledged by it. Returns -1 when the kernel cannot say. */
int sv_tcp_counts(int fd, uint64_t *rx, uint64_t *acked)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
		return -1;
	*rx = ti.tcpi_bytes_received;
	*acked = ti.tcpi_bytes_acked;
	return 0;
}

void sv_on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct sv_server *srv = cls;
	struct sv_conn *conn = *socket_ctx;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!ci || !(conn = calloc(1, sizeof(*conn))))
			return;
		conn->fd = ci->connect_fd;
		conn->moved_ns = sv_mono_ns();
		atomic_init(&conn->since_ns, conn->moved_ns);
		pthread_mutex_lock(&srv->conns_lock);
		conn->next = srv->conns;
		if (srv->conns)
			srv->conns->prev = conn;
		srv->conns = conn;
		atomic_fetch_add(&srv->nconns, 1);
		pthread_mutex_unlock(&srv->conns_lock);
		*socket_ctx = conn;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && conn) {
		pthread_mutex_lock(&srv->conns_lock);
		if (conn->prev)
			conn->prev->next = conn->next;
		else
			srv->conns = conn->next;
		if (conn->next)
			conn->next->prev = conn->prev;
		atomic_fetch_sub(&srv->nconns, 1);
		pthread_mutex_unlock(&srv->conns_lock);
		free(conn);
		*socket_ctx = NULL;
	}
}

struct sv_conn *sv_conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

void sv_cut_slow(struct sv_server *srv)
{
	int64_t now = sv_mono_ns();
	pthread_mutex_lock(&srv->conns_lock);
	for (struct sv_conn *c = srv->conns; c; c = c->next) {
		int64_t since = atomic_load(&c->since_ns);
		uint64_t rx = 0, acked = 0;
		int cut;
		if (sv_tcp_counts(c->fd, &rx, &acked) == 0 && (rx != c->rx || acked != c->acked)) {
			uint64_t moved = (rx - c->rx) + (acked - c->acked);
			uint64_t cap = 10 * (uint64_t)srv->head_timeout_ns / 1000000000u;
			c->grace_ns = (int64_t)((moved / SV_PAUSE_RATE < cap ? moved / SV_PAUSE_RATE : cap) * 1000000000u);
			c->rx = rx;
			c->acked = acked;
			c->moved_ns = now;
		}
		if (since)
			cut = now - since > srv->head_timeout_ns;
		else
			cut = now - c->moved_ns > srv->head_timeout_ns + c->grace_ns;
		if (cut) {
			shutdown(c->fd, SHUT_RDWR);
			atomic_store(&c->since_ns, 0);
			c->moved_ns = INT64_MAX / 2; /* once is enough */
		}
	}
	pthread_mutex_unlock(&srv->conns_lock);
}

