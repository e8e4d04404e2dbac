/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c: what `airlock serve` records of each exchange once it has ended:
 * the access log (one JSON object a line) and the request metrics, both with
 * what was actually sent (an aborted transfer counts the bytes the client
 * acknowledged, not the body it asked for).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "serve.h"
#include "sv_internal.h"

static void log_line(struct sv_server *srv, struct sv_req *rq, double secs, struct MHD_Connection *c)
{
	static const char *const routes[] = { "oci",     "pypi",    "packages", "hf_api", "hf_resolve",
					      "files",   "metrics", "healthz",  "page",   "other" };
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char remote[INET6_ADDRSTRLEN] = "-", when[64];
	struct timespec now;
	struct tm tm;
	struct al_buf b;
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, remote,
				  sizeof(remote));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, remote,
				  sizeof(remote));
	}
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (now.tv_nsec / 1000000) % 1000);
	al_buf_init(&b, 64 << 10);
	al_buf_addf(&b, NULL, "{\"time\":\"%s\",\"remote\":\"%s\",\"method\":", when, remote);
	sv_json_str(&b, rq->method_name ? rq->method_name : "", NULL);
	al_buf_adds(&b, ",\"path\":", NULL);
	sv_json_str(&b, rq->path ? rq->path : "", NULL);
	al_buf_addf(&b, NULL, ",\"route\":\"%s\",\"status\":%u,\"bytes\":%llu,\"ms\":%.3f%s}\n", routes[rq->route],
		    rq->status, (unsigned long long)rq->bytes, secs * 1000, rq->aborted ? ",\"aborted\":true" : "");
	if (al_buf_check(&b, NULL)) {
		/* never half a line: the line that could not be built says so, with what it can */
		al_buf_release(&b);
		al_buf_addf(&b, NULL,
			    "{\"time\":\"%s\",\"remote\":\"%s\",\"route\":\"%s\",\"status\":%u,\"bytes\":%llu,"
			    "\"error\":\"the log line could not be built\"}\n",
			    when, remote, routes[rq->route], rq->status, (unsigned long long)rq->bytes);
	}
	if (!al_buf_check(&b, NULL) && b.data && write(srv->log_fd, b.data, b.len) < 0) {
		/* a full log disk must not stop serving */
	}
	al_buf_release(&b);
}


void sv_log_done(struct sv_server *srv, struct sv_req *rq, struct MHD_Connection *c,
		 enum MHD_RequestTerminationCode toe)
{
	struct sv_conn *conn = sv_conn_of(c);
	struct timespec t1;
	double secs;
	size_t b = 0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && rq->status) {
		/*
		 * Cut off, timed out or gone: what the client got is what its TCP
		 * acknowledged since the head came (the response head included), never
		 * more than the body.
		 */
		uint64_t rx, acked, took = 0;
		rq->aborted = 1;
		if (conn && rq->acked0 != UINT64_MAX && sv_tcp_counts(conn->fd, &rx, &acked) == 0 && acked > rq->acked0)
			took = acked - rq->acked0;
		if (took < rq->bytes)
			rq->bytes = took;
	}
	if (conn) /* a kept-alive connection now waits for its next head */
		atomic_store(&conn->since_ns, sv_mono_ns());
	secs = (double)(t1.tv_sec - rq->t0.tv_sec) + (double)(t1.tv_nsec - rq->t0.tv_nsec) / 1e9;
	atomic_fetch_add(&srv->m.requests[rq->route][rq->method][sv_code_index(rq->status)], 1);
	atomic_fetch_add(&srv->m.sent[rq->route], rq->bytes);
	while (b < SV_HIST_BUCKETS && secs > sv_buckets[b])
		b++;
	atomic_fetch_add(&srv->m.hist[rq->route][b], 1);
	atomic_fetch_add(&srv->m.sum_ns[rq->route], (unsigned long)(secs * 1e9));
	log_line(srv, rq, secs, c);
}
