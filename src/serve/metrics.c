/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.c: /metrics, in the Prometheus text format (0.0.4): the request
 * counters and histograms kept by log.c, the store as the snapshot saw it,
 * the server's build and connections, and the standard process_* metrics
 * read from /proc. A metrics page that could not be built whole is a 500,
 * never a partial page a scraper would take as complete.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "buf.h"
#include "serve.h"
#include "sv_internal.h"

/* A label value: backslash, double quote and newline escaped, as the text format requires. */
static void label_value(struct al_buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			al_buf_addf(b, NULL, "\\%c", *v);
		else if (*v == '\n')
			al_buf_adds(b, "\\n", NULL);
		else
			al_buf_add(b, v, 1, NULL);
	}
}

/*
 * The process_* metrics every Prometheus client library exports, from the
 * kernel: CPU time, memory, descriptors and the start time. A value the
 * kernel will not give is left out rather than reported as 0.
 */
static void process_metrics(struct al_buf *b, double started)
{
	struct rusage ru;
	struct rlimit rl;
	long page = sysconf(_SC_PAGESIZE);
	unsigned long long vsz = 0, rss = 0;
	FILE *f;
	DIR *d;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		al_buf_addf(b, NULL,
			    "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
			    "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.6f\n",
			    (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
				    (double)ru.ru_stime.tv_usec / 1e6);
	f = fopen("/proc/self/statm", "re");
	if (f) {
		char line[128], *end = NULL;
		if (fgets(line, sizeof(line), f)) {
			vsz = strtoull(line, &end, 10);
			if (end && *end == ' ')
				rss = strtoull(end + 1, &end, 10);
			else
				end = NULL;
		}
		if (end && end != line && rss && page > 0)
			al_buf_addf(b, NULL,
				    "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
				    "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes %llu\n"
				    "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
				    "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %llu\n",
				    vsz * (unsigned long long)page, rss * (unsigned long long)page);
		fclose(f);
	}
	d = opendir("/proc/self/fd");
	if (d) {
		unsigned long n = 0;
		for (struct dirent *e = readdir(d); e; e = readdir(d))
			if (e->d_name[0] != '.')
				n++;
		closedir(d);
		al_buf_addf(b, NULL,
			    "# HELP process_open_fds Number of open file descriptors.\n"
			    "# TYPE process_open_fds gauge\nprocess_open_fds %lu\n",
			    n > 0 ? n - 1 : 0); /* less the one this listing used */
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		al_buf_addf(b, NULL,
			    "# HELP process_max_fds Maximum number of open file descriptors.\n"
			    "# TYPE process_max_fds gauge\nprocess_max_fds %llu\n",
			    (unsigned long long)rl.rlim_cur);
	al_buf_addf(b, NULL,
		    "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
		    "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.3f\n",
		    started);
}

static const char *const route_names[SV_R_COUNT] = { "oci",   "pypi",    "packages", "hf_api", "hf_resolve",
						     "files", "metrics", "healthz",  "page",   "other" };
static const char *const method_names[SV_M_COUNT] = { "GET",    "HEAD",    "POST",  "PUT",
						      "PATCH",  "DELETE",  "OPTIONS", "other" };

/* The release on each channel, and when the channel last changed. */
static void release_metrics(struct al_buf *b, const struct sv_snap *s)
{
	al_buf_adds(b, "# HELP airlock_release_info The release on each channel (always 1; the label names it).\n"
		       "# TYPE airlock_release_info gauge\n", NULL);
	for (size_t i = 0; i < s->nchannels; i++) {
		al_buf_adds(b, "airlock_release_info{channel=\"", NULL);
		label_value(b, s->channels[i].name);
		al_buf_adds(b, "\",release=\"", NULL);
		label_value(b, s->channels[i].release);
		al_buf_adds(b, "\"} 1\n", NULL);
	}
	al_buf_adds(b, "# HELP airlock_release_changed_timestamp_seconds When each channel last changed release.\n"
		       "# TYPE airlock_release_changed_timestamp_seconds gauge\n", NULL);
	for (size_t i = 0; i < s->nchannels; i++) {
		al_buf_adds(b, "airlock_release_changed_timestamp_seconds{channel=\"", NULL);
		label_value(b, s->channels[i].name);
		al_buf_addf(b, NULL, "\"} %lld\n", (long long)s->channels[i].since);
	}
}

/* The file system the store lives on: its size and what is free for an import (as statvfs says). */
static void store_fs(struct al_buf *b, const char *root)
{
	struct statvfs v;
	if (statvfs(root, &v))
		return; /* no figure rather than a wrong one; the gauges are simply absent */
	al_buf_addf(b, NULL,
		    "# HELP airlock_store_filesystem_size_bytes Size of the file system that holds the store.\n"
		    "# TYPE airlock_store_filesystem_size_bytes gauge\nairlock_store_filesystem_size_bytes %llu\n"
		    "# HELP airlock_store_filesystem_avail_bytes Bytes of it an import may still use.\n"
		    "# TYPE airlock_store_filesystem_avail_bytes gauge\nairlock_store_filesystem_avail_bytes %llu\n",
		    (unsigned long long)v.f_blocks * v.f_frsize, (unsigned long long)v.f_bavail * v.f_frsize);
}

enum MHD_Result sv_metrics(struct sv_req *rq)
{
	struct sv_metrics *m = &rq->srv->m;
	const struct sv_snap *s = rq->snap;
	struct al_buf b;
	enum MHD_Result ret;
	al_buf_init(&b, 16u << 20);
	al_buf_adds(&b, "# HELP airlock_http_requests_total HTTP requests answered, by route, method and status code.\n"
			"# TYPE airlock_http_requests_total counter\n", NULL);
	for (int r = 0; r < SV_R_COUNT; r++)
		for (int me = 0; me < SV_M_COUNT; me++)
			for (int c = 0; c < SV_CODES; c++) {
				unsigned long v = atomic_load(&m->requests[r][me][c]);
				if (v)
					al_buf_addf(&b, NULL,
						    "airlock_http_requests_total{route=\"%s\",method=\"%s\",code=\"%u\"} %lu\n",
						    route_names[r], method_names[me], sv_code_at((size_t)c), v);
			}
	al_buf_adds(&b, "# HELP airlock_http_sent_bytes_total Bytes of response bodies sent, by route.\n"
			"# TYPE airlock_http_sent_bytes_total counter\n", NULL);
	for (int r = 0; r < SV_R_COUNT; r++)
		al_buf_addf(&b, NULL, "airlock_http_sent_bytes_total{route=\"%s\"} %lu\n", route_names[r],
			    atomic_load(&m->sent[r]));
	al_buf_adds(&b, "# HELP airlock_http_request_duration_seconds Time from request to response done, by route.\n"
			"# TYPE airlock_http_request_duration_seconds histogram\n", NULL);
	for (int r = 0; r < SV_R_COUNT; r++) {
		unsigned long cum = 0;
		for (int k = 0; k <= SV_HIST_BUCKETS; k++) {
			cum += atomic_load(&m->hist[r][k]);
			if (k < SV_HIST_BUCKETS)
				al_buf_addf(&b, NULL, "airlock_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lu\n",
					    route_names[r], sv_buckets[k], cum);
			else
				al_buf_addf(&b, NULL, "airlock_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lu\n",
					    route_names[r], cum);
		}
		al_buf_addf(&b, NULL, "airlock_http_request_duration_seconds_sum{route=\"%s\"} %.9f\n", route_names[r],
			    (double)atomic_load(&m->sum_ns[r]) / 1e9);
		al_buf_addf(&b, NULL, "airlock_http_request_duration_seconds_count{route=\"%s\"} %lu\n", route_names[r], cum);
	}
	al_buf_addf(&b, NULL,
		    "# HELP airlock_store_blobs Blobs the catalog holds.\n# TYPE airlock_store_blobs gauge\n"
		    "airlock_store_blobs %llu\n"
		    "# HELP airlock_store_blob_bytes Bytes of the blobs the catalog holds.\n# TYPE airlock_store_blob_bytes gauge\n"
		    "airlock_store_blob_bytes %llu\n"
		    "# HELP airlock_store_artifacts Artifacts in the store, by kind.\n# TYPE airlock_store_artifacts gauge\n",
		    (unsigned long long)s->store_blobs, (unsigned long long)s->store_bytes);
	for (int k = AL_KIND_MODEL; k <= AL_KIND_VULNDB; k++)
		al_buf_addf(&b, NULL, "airlock_store_artifacts{kind=\"%s\"} %llu\n", al_kind_name((enum al_kind)k),
			    (unsigned long long)s->artifacts[k]);
	al_buf_addf(&b, NULL,
		    "# HELP airlock_last_import_timestamp_seconds When the last import was tried (0: never).\n"
		    "# TYPE airlock_last_import_timestamp_seconds gauge\nairlock_last_import_timestamp_seconds %lld\n"
		    "# HELP airlock_last_import_success Whether the last import was installed (1) or refused (0).\n"
		    "# TYPE airlock_last_import_success gauge\nairlock_last_import_success %d\n"
		    "# HELP airlock_verification_failures_total Imports the store refused because verification failed.\n"
		    "# TYPE airlock_verification_failures_total counter\nairlock_verification_failures_total %llu\n"
		    "# HELP airlock_snapshot_timestamp_seconds When the server last loaded the catalog.\n"
		    "# TYPE airlock_snapshot_timestamp_seconds gauge\nairlock_snapshot_timestamp_seconds %lld\n",
		    (long long)s->last_import, s->last_import ? s->last_import_ok : 0, (unsigned long long)s->failures,
		    (long long)s->loaded);
	al_buf_adds(&b, "# HELP airlock_bundle_expiry_timestamp_seconds When each imported bundle expires "
			"(alert before a release does).\n# TYPE airlock_bundle_expiry_timestamp_seconds gauge\n", NULL);
	for (size_t i = 0; i < s->nexpiry; i++) {
		al_buf_adds(&b, "airlock_bundle_expiry_timestamp_seconds{bundle=\"", NULL);
		label_value(&b, s->expiry[i].name);
		al_buf_addf(&b, NULL, "\",version=\"%lld\"} %lld\n", (long long)s->expiry[i].version,
			    (long long)s->expiry[i].expires);
	}
	release_metrics(&b, s);
	store_fs(&b, rq->srv->root);
	al_buf_addf(&b, NULL,
		    "# HELP airlock_build_info The airlock serving, by version (always 1).\n"
		    "# TYPE airlock_build_info gauge\nairlock_build_info{version=\"%s\"} 1\n"
		    "# HELP airlock_http_connections Connections open now.\n"
		    "# TYPE airlock_http_connections gauge\nairlock_http_connections %lu\n",
		    AL_VERSION, atomic_load(&rq->srv->nconns));
	al_buf_addf(&b, NULL,
		    "# HELP airlock_push_blobs_total Blobs pushed and committed (digest checked).\n"
		    "# TYPE airlock_push_blobs_total counter\nairlock_push_blobs_total %lu\n"
		    "# HELP airlock_push_mounts_total Blobs mounted from another repository by a push.\n"
		    "# TYPE airlock_push_mounts_total counter\nairlock_push_mounts_total %lu\n"
		    "# HELP airlock_push_manifests_total Manifests pushed and committed.\n"
		    "# TYPE airlock_push_manifests_total counter\nairlock_push_manifests_total %lu\n"
		    "# HELP airlock_upload_received_bytes_total Bytes of upload bodies received (kept or refused).\n"
		    "# TYPE airlock_upload_received_bytes_total counter\nairlock_upload_received_bytes_total %lu\n",
		    atomic_load(&m->push_blobs), atomic_load(&m->push_mounts), atomic_load(&m->push_manifests),
		    atomic_load(&m->upload_bytes));
	process_metrics(&b, rq->srv->started);
	if (al_buf_check(&b, NULL) || !b.data) {
		al_buf_release(&b);
		return sv_reply_text(rq, 500, "the metrics could not be built\n");
	}
	ret = sv_reply(rq, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
	al_buf_release(&b);
	return ret;
}
