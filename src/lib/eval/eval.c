/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eval.c: asking an OpenAI-compatible endpoint the golden questions, and writing what came
 * of it as Prometheus metrics: a node_exporter textfile or a Pushgateway group (eval.h).
 */
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eval.h"
#include "fetch.h"
#include "fsx.h"
#include "json.h"

enum { MAX_REPLY = 1u << 20, DEF_TIMEOUT_MS = 60000, DEF_RETRIES = 2, DEF_MAX_TOKENS = 64 };

const double al_eval_buckets[AL_EVAL_BUCKETS] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120 };

void al_eval_run_release(struct al_eval_run *run)
{
	for (size_t i = 0; run->results && i < run->n; i++) {
		free(run->results[i].answer);
		free(run->results[i].error);
	}
	free(run->results);
	memset(run, 0, sizeof(*run));
}

/* The host of URL, fresh (curl_free), or NULL when it has none. */
static char *url_host(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK)
		curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_cleanup(u);
	return host;
}

static double mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct job {
	const struct al_eval_opts *o;
	const struct al_golden *g;
	struct al_fetch_opts fo;
	char *chat_url, *completions_url;
	struct al_eval_run *run;
	atomic_size_t next;      /* the next pair a worker takes */
};

/* The request's body. */
static json_t *request(const struct job *j, const struct al_golden_pair *p)
{
	int max = p->max_tokens ? p->max_tokens : j->o->max_tokens ? j->o->max_tokens : DEF_MAX_TOKENS;
	json_t *b = json_pack("{s:s, s:i, s:i}", "model", j->o->model, "temperature", 0, "max_tokens", max), *msgs;
	if (!b)
		return NULL;
	if (j->o->completions) {
		char *prompt = p->system ? al_strf("%s\n\n%s", p->system, p->question) : strdup(p->question);
		if (!prompt || json_object_set_new(b, "prompt", json_string(prompt)))
			json_decref(b), b = NULL;
		free(prompt);
		return b;
	}
	msgs = json_array();
	if (!msgs || json_object_set_new(b, "messages", msgs) ||
	    (p->system && json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "system", "content", p->system))) ||
	    json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "user", "content", p->question)))
		json_decref(b), b = NULL;
	return b;
}

/* The answer's text: choices[0].message.content (chat) or choices[0].text, fresh. */
static enum al_code answer_text(const struct job *j, const struct al_buf *reply, char **out, struct al_err *err)
{
	json_t *r = NULL, *c;
	const char *t;
	enum al_code rc = al_json_parse(reply->data, reply->len, "the endpoint's answer", &r, err);
	if (rc)
		return rc;
	c = json_array_get(json_object_get(r, "choices"), 0);
	t = j->o->completions ? al_json_str(c, "text") : al_json_str(json_object_get(c, "message"), "content");
	if (!t)
		rc = al_fail(err, AL_EVERIFY, "the endpoint's answer has no %s", j->o->completions ? "choices[0].text" : "choices[0].message.content");
	else if (!(*out = strdup(t)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	json_decref(r);
	return rc;
}

/* Asks one question on the worker's connection C (kept alive between its questions). */
static enum al_code ask(const struct job *j, struct al_fetch_conn *c, const struct al_golden_pair *p, char **text,
			struct al_err *err)
{
	struct al_fetch_answer ans = { 0 };
	struct al_buf reply;
	char *body = NULL;
	json_t *b = request(j, p);
	enum al_code rc = b && (body = json_dumps(b, JSON_COMPACT)) ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
	al_buf_init(&reply, MAX_REPLY);
	if (!rc) {
		struct al_fetch_req q = { .method = "POST", .url = j->o->completions ? j->completions_url : j->chat_url,
					  .what = p->id, .auth = j->o->token != NULL, .accept = "application/json",
					  .ctype = "application/json", .data = body, .len = strlen(body), .fd = -1,
					  .reply = &reply };
		if (!(rc = al_fetch_send(&j->fo, c, &q, &ans, err)) && !(rc = al_buf_check(&reply, err)))
			rc = answer_text(j, &reply, text, err);
	}
	al_buf_release(&reply);
	free(body);
	json_decref(b);
	return rc;
}

/*
 * A worker: takes the next pair until none is left, each asked on its own connection
 * (a new one when it could not be made: the pair is then the error).
 */
static void *worker(void *arg)
{
	struct job *j = arg;
	struct al_fetch_conn *c = NULL;
	for (size_t i; (i = atomic_fetch_add(&j->next, 1)) < j->g->n;) {
		const struct al_golden_pair *p = &j->g->pairs[i];
		struct al_eval_result *r = &j->run->results[i];
		struct al_err err = { 0 };
		double t0 = mono();
		if ((c || !al_fetch_conn_new(&c, &err)) && !ask(j, c, p, &r->answer, &err))
			r->score = al_eval_score(p, r->answer, &r->pass);
		else
			r->error = strdup(err.msg[0] ? err.msg : "the request failed");
		r->latency = mono() - t0;
	}
	al_fetch_conn_free(c);
	return NULL;
}

/* CONCURRENCY workers over the pairs; the caller's thread is one of them. */
static enum al_code run_workers(struct job *j, unsigned concurrency, struct al_err *err)
{
	pthread_t t[64];
	unsigned n = 0;
	enum al_code rc = AL_OK;
	if (concurrency > 64)
		concurrency = 64;
	while (n + 1 < concurrency && n + 1 < j->g->n && !pthread_create(&t[n], NULL, worker, j))
		n++;
	if (n + 1 < concurrency && n + 1 < j->g->n)
		rc = al_fail(err, AL_EIO, "cannot start the eval's worker threads (%u of %u)", n + 1, concurrency);
	worker(j);
	while (n > 0)
		pthread_join(t[--n], NULL);
	return rc;
}

static enum al_code job_init(struct job *j, const struct al_eval_opts *o, struct al_err *err)
{
	size_t n = strlen(o->endpoint);
	while (n && o->endpoint[n - 1] == '/')
		n--;
	j->fo.timeout_ms = o->timeout_ms ? o->timeout_ms : DEF_TIMEOUT_MS;
	j->fo.retries = o->retries ? o->retries : DEF_RETRIES;
	j->fo.backoff_ms = 250;
	j->fo.token = o->token;
	j->fo.token_from = "--token-file";
	j->chat_url = al_strf("%.*s/chat/completions", (int)n, o->endpoint);
	j->completions_url = al_strf("%.*s/completions", (int)n, o->endpoint);
	if (!j->chat_url || !j->completions_url)
		return al_fail(err, AL_ENOMEM, "out of memory");
	return AL_OK;
}

enum al_code al_eval_run(const struct al_eval_opts *o, const struct al_golden *g, struct al_eval_run *run,
			 struct al_err *err)
{
	struct job j = { .o = o, .g = g, .run = run };
	char *host = url_host(o->endpoint);
	const char *plain[2] = { host, NULL };
	double t0 = mono();
	enum al_code rc = AL_OK;
	memset(run, 0, sizeof(*run));
	run->started = (int64_t)time(NULL);
	if (!host || (strncmp(o->endpoint, "http://", 7) && strncmp(o->endpoint, "https://", 8)))
		rc = al_fail(err, AL_EUSAGE, "--endpoint '%s': give the API's base URL, e.g. http://HOST:8000/v1", o->endpoint);
	j.fo.plain_http = plain; /* the endpoint was named: plain HTTP to it is what was asked for */
	if (!rc && !(rc = job_init(&j, o, err)) && !(run->results = calloc(g->n, sizeof(*run->results))))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc) {
		run->n = g->n;
		atomic_init(&j.next, 0);
		rc = run_workers(&j, o->concurrency ? o->concurrency : 1, err);
	}
	for (size_t i = 0; !rc && i < run->n; i++) {
		run->score += run->results[i].score; /* summed, then divided: 4.8 / 5 is 0.96 */
		run->passed += (size_t)run->results[i].pass;
		run->errors += run->results[i].error != NULL;
	}
	if (!rc && run->n)
		run->score /= (double)run->n;
	run->seconds = mono() - t0;
	free(j.chat_url);
	free(j.completions_url);
	curl_free(host);
	if (rc)
		al_eval_run_release(run);
	return rc;
}

/* ---- metrics ---- */

/* A label value, escaped as the text format wants. */
static enum al_code label(struct al_buf *b, const char *name, const char *v, struct al_err *err)
{
	enum al_code rc = al_buf_addf(b, err, "%s=\"", name);
	for (const char *p = v ? v : ""; !rc && *p; p++)
		rc = *p == '\\' ? al_buf_adds(b, "\\\\", err) : *p == '"' ? al_buf_adds(b, "\\\"", err)
			: *p == '\n' ? al_buf_adds(b, "\\n", err) : al_buf_add(b, p, 1, err);
	return rc ? rc : al_buf_adds(b, "\"", err);
}

static enum al_code head(struct al_buf *b, const char *name, const char *type, const char *help, struct al_err *err)
{
	return al_buf_addf(b, err, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* V in the fewest digits that read back as V (0.96, not 0.95999999999999996). */
static const char *shortest(double v, char out[32])
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, 32, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
	return out;
}

/* NAME{release=…,model=…[,EXTRA=…][,le=…]} VALUE */
static enum al_code sample(struct al_buf *b, const char *name, const struct al_eval_labels *l, const char *extra,
			   const char *ev, const char *le, double v, struct al_err *err)
{
	char num[32];
	enum al_code rc = al_buf_addf(b, err, "%s{", name);
	if (!rc && !(rc = label(b, "release", l->release, err)) && !(rc = al_buf_adds(b, ",", err)))
		rc = label(b, "model", l->model, err);
	if (!rc && extra && !(rc = al_buf_adds(b, ",", err)))
		rc = label(b, extra, ev, err);
	if (!rc && le)
		rc = al_buf_addf(b, err, ",le=\"%s\"", le);
	return rc ? rc : al_buf_addf(b, err, "} %s\n", shortest(v, num));
}

static enum al_code gauge(struct al_buf *b, const char *name, const char *help, const struct al_eval_labels *l, double v,
			  struct al_err *err)
{
	enum al_code rc = head(b, name, "gauge", help, err);
	return rc ? rc : sample(b, name, l, NULL, NULL, NULL, v, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Mean score per tag, from each pair's tags. */
static enum al_code tag_scores(const struct al_golden *g, const struct al_eval_run *run, const struct al_eval_labels *l,
			       struct al_buf *b, struct al_err *err)
{
	json_t *acc = json_object(), *t, *v;
	const char *k;
	size_t i, x;
	enum al_code rc = acc ? head(b, "airlock_eval_tag_score_ratio", "gauge",
				     "Mean score of the golden pairs with each tag in the last eval run (0 to 1).", err)
			      : al_fail(err, AL_ENOMEM, "out of memory");
	for (i = 0; !rc && i < g->n; i++) {
		if (!(t = json_loads(g->pairs[i].tags, 0, NULL)))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		json_array_foreach(t, x, v) {
			json_t *s = json_object_get(acc, json_string_value(v));
			double sum = s ? json_real_value(json_array_get(s, 0)) : 0, n = s ? json_real_value(json_array_get(s, 1)) : 0;
			if (!rc && json_object_set_new(acc, json_string_value(v), json_pack("[f, f]", sum + run->results[i].score, n + 1)))
				rc = al_fail(err, AL_ENOMEM, "out of memory");
		}
		json_decref(t);
	}
	if (!rc) {
		const char **keys = malloc((json_object_size(acc) + 1) * sizeof(*keys));
		size_t n = 0;
		if (!keys)
			rc = al_fail(err, AL_ENOMEM, "out of memory");
		json_object_foreach(acc, k, v)
			if (keys)
				keys[n++] = k;
		if (keys)
			qsort(keys, n, sizeof(*keys), cmp_str);
		for (i = 0; !rc && i < n; i++) {
			v = json_object_get(acc, keys[i]);
			rc = sample(b, "airlock_eval_tag_score_ratio", l, "tag", keys[i], NULL,
				    json_real_value(json_array_get(v, 0)) / json_real_value(json_array_get(v, 1)), err);
		}
		free(keys);
	}
	json_decref(acc);
	return rc;
}

static enum al_code histogram(const struct al_eval_run *run, const struct al_eval_labels *l, struct al_buf *b,
			      struct al_err *err)
{
	static const char *const name = "airlock_eval_request_duration_seconds";
	double sum = 0;
	char le[32];
	enum al_code rc = head(b, name, "histogram", "Time to an answer of each golden pair, retries included.", err);
	for (size_t k = 0; !rc && k <= AL_EVAL_BUCKETS; k++) {
		size_t n = 0;
		for (size_t i = 0; i < run->n; i++)
			n += k == AL_EVAL_BUCKETS || run->results[i].latency <= al_eval_buckets[k];
		if (k < AL_EVAL_BUCKETS)
			snprintf(le, sizeof(le), "%g", al_eval_buckets[k]);
		rc = sample(b, "airlock_eval_request_duration_seconds_bucket", l, NULL, NULL, k < AL_EVAL_BUCKETS ? le : "+Inf",
			    (double)n, err);
	}
	for (size_t i = 0; i < run->n; i++)
		sum += run->results[i].latency;
	if (!rc)
		rc = sample(b, "airlock_eval_request_duration_seconds_sum", l, NULL, NULL, NULL, sum, err);
	return rc ? rc : sample(b, "airlock_eval_request_duration_seconds_count", l, NULL, NULL, NULL, (double)run->n, err);
}

enum al_code al_eval_metrics(const struct al_golden *g, const struct al_eval_run *run,
			     const struct al_eval_labels *l, struct al_buf *b, struct al_err *err)
{
	enum al_code rc = gauge(b, "airlock_eval_score_ratio", "Mean score of the golden pairs in the last eval run (0 to 1).", l,
				run->score, err);
	if (!rc)
		rc = tag_scores(g, run, l, b, err);
	if (!rc)
		rc = gauge(b, "airlock_eval_pairs", "Golden pairs asked in the last eval run.", l, (double)run->n, err);
	if (!rc)
		rc = gauge(b, "airlock_eval_passed_pairs", "Golden pairs whose answer passed its scorer in the last eval run.", l,
			   (double)run->passed, err);
	if (!rc)
		rc = gauge(b, "airlock_eval_error_pairs", "Golden pairs the endpoint gave no usable answer to in the last eval run.", l,
			   (double)run->errors, err);
	if (!rc)
		rc = histogram(run, l, b, err);
	if (!rc && l->baseline)
		rc = gauge(b, "airlock_eval_baseline_score_ratio", "Score of the baseline the last eval run was compared with.", l,
			   *l->baseline, err);
	if (!rc && l->baseline)
		rc = gauge(b, "airlock_eval_regression", "1 when the last eval run scored below its baseline minus the tolerance.", l,
			   l->regression, err);
	if (!rc)
		rc = gauge(b, "airlock_eval_duration_seconds", "Wall time of the last eval run.", l, run->seconds, err);
	if (!rc)
		rc = gauge(b, "airlock_eval_last_run_timestamp_seconds", "When the last eval run finished, as Unix time.", l,
			   (double)run->started + round(run->seconds), err);
	return rc ? rc : al_buf_check(b, err);
}

enum al_code al_eval_textfile(const char *dir, const struct al_buf *m, struct al_err *err)
{
	size_t n = strlen(dir);
	char *path = n > 5 && !strcmp(dir + n - 5, ".prom") ? strdup(dir) : al_join(dir, "airlock_eval.prom");
	enum al_code rc = path ? al_write_atomic(path, m->data, m->len, err) : al_fail(err, AL_ENOMEM, "out of memory");
	free(path);
	return rc;
}

enum al_code al_eval_push(const char *url, const char *instance, const struct al_buf *m, struct al_err *err)
{
	struct al_fetch_opts fo = { .timeout_ms = 30000, .retries = 2, .backoff_ms = 250 };
	struct al_fetch_conn *c = NULL;
	struct al_fetch_answer ans = { 0 };
	size_t n = strlen(url), in = strlen(instance);
	char *b64 = malloc(sodium_base64_ENCODED_LEN(in, sodium_base64_VARIANT_URLSAFE_NO_PADDING)), *host = url_host(url), *to = NULL;
	const char *plain[2] = { host, NULL };
	enum al_code rc = b64 && host ? AL_OK : al_fail(err, AL_EUSAGE, "--pushgateway '%s': give the gateway's URL, e.g. http://HOST:9091", url);
	while (n && url[n - 1] == '/')
		n--;
	fo.plain_http = plain;
	if (!rc) {
		sodium_bin2base64(b64, sodium_base64_ENCODED_LEN(in, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
				  (const unsigned char *)instance, in, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		/* an empty value is a single '=' in the @base64 form */
		if (!(to = al_strf("%.*s/metrics/job/airlock_eval/instance@base64/%s", (int)n, url, in ? b64 : "=")))
			rc = al_fail(err, AL_ENOMEM, "out of memory");
	}
	if (!rc && !(rc = al_fetch_conn_new(&c, err))) {
		struct al_fetch_req q = { .method = "PUT", .url = to, .what = "the Pushgateway", .ctype = "text/plain; version=0.0.4",
					  .data = m->data, .len = m->len, .fd = -1 };
		rc = al_fetch_send(&fo, c, &q, &ans, err);
	}
	al_fetch_conn_free(c);
	curl_free(host);
	free(b64);
	free(to);
	return rc;
}
