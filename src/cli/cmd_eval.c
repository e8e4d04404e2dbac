/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_eval.c: `airlock eval run|ls` (docs/cmd/eval.md), and the eval that
 * `release promote --eval` runs before its gates (cli_eval_*).
 */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eval.h"
#include "fsx.h"
#include "json.h"
#include "store.h"
#include "store_wait.h"

enum { SHOW_FAILED = 20 };

/* Reports a failure found here (not in the library) as cli_fail does: its exit code. */
static int cli_fail_with(enum al_code code, const char *fmt, ...) AL_PRINTF(2, 3);
static int cli_fail_with(enum al_code code, const char *fmt, ...)
{
	struct al_err err = { .code = code };
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err.msg, sizeof(err.msg), fmt, ap);
	va_end(ap);
	return cli_fail(&err);
}

int cli_eval_option(struct cli_eval *e, const char *cmd, int c, const char *arg)
{
	char *end;
	unsigned long v;
	switch (c) {
	case CLI_EV_GOLDEN: e->golden = arg; return 0;
	case CLI_EV_ENDPOINT: e->o.endpoint = arg; return 0;
	case CLI_EV_MODEL: e->o.model = arg; return 0;
	case CLI_EV_TOKEN: e->token_file = arg; return 0;
	case CLI_EV_API:
		if (strcmp(arg, "chat") && strcmp(arg, "completions"))
			return cli_usage(cmd, "--api is chat or completions, not '%s'", arg);
		e->o.completions = !strcmp(arg, "completions");
		return 0;
	case CLI_EV_TOLERANCE:
		e->tolerance = strtod(arg, &end);
		if (end != arg && *end == '%' && !end[1])
			e->tolerance /= 100, end++;
		if (end == arg || *end || !(e->tolerance >= 0 && e->tolerance <= 1))
			return cli_usage(cmd, "--tolerance is a share of the score, '2%%' or '0.02', from 0 to 1, not '%s'", arg);
		return 0;
	default:
		break;
	}
	v = strtoul(arg, &end, 10);
	if (end == arg || *end || strspn(arg, "0123456789") != strlen(arg) || v < (c == CLI_EV_RETRIES ? 0ul : 1ul) ||
	    v > (c == CLI_EV_CONCURRENCY ? 64ul : c == CLI_EV_TIMEOUT ? 3600ul : c == CLI_EV_RETRIES ? 10ul : 65536ul))
		return cli_usage(cmd, "--%s: '%s' is out of range (see 'airlock eval --help')",
				 c == CLI_EV_CONCURRENCY ? "concurrency" : c == CLI_EV_TIMEOUT ? "timeout" : c == CLI_EV_RETRIES ? "retries" : "max-tokens",
				 arg);
	if (c == CLI_EV_CONCURRENCY)
		e->o.concurrency = (unsigned)v;
	else if (c == CLI_EV_TIMEOUT)
		e->o.timeout_ms = (unsigned)v * 1000;
	else if (c == CLI_EV_RETRIES)
		e->o.retries = v ? (unsigned)v : 1; /* the client's 0 means its default; 1 is the least */
	else
		e->o.max_tokens = (int)v;
	return 0;
}

/* A bearer token from FILE: its first line. */
static int read_token(const char *file, char *out, size_t cap)
{
	struct al_err err = { 0 };
	struct al_buf b;
	int code = 0;
	al_buf_init(&b, cap - 1);
	if (al_read_file(file, 0, &b, &err))
		code = cli_fail(&err);
	else {
		size_t n = strcspn(b.data ? b.data : "", "\r\n");
		if (!n || memchr(b.data, '\0', n))
			code = cli_usage("eval", "--token-file '%s' holds no token on its first line", file);
		else
			memcpy(out, b.data, n), out[n] = '\0';
	}
	al_buf_release(&b);
	return code;
}

static void show_text(const char *label, const char *s)
{
	char buf[96];
	size_t n = 0;
	for (const char *p = s ? s : ""; *p && n + 4 < sizeof(buf); p++)
		buf[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p; /* an answer cannot drive the terminal */
	buf[n] = '\0';
	printf(" %s '%s%s'", label, buf, s && strlen(s) > n ? "…" : "");
}

/* The pairs that did not pass, at most SHOW_FAILED of them. */
static void print_failed(const struct al_golden *g, const struct al_eval_run *run)
{
	size_t shown = 0, failed = run->n - run->passed;
	for (size_t i = 0; i < run->n && shown < SHOW_FAILED; i++) {
		const struct al_eval_result *r = &run->results[i];
		if (r->pass)
			continue;
		shown++;
		printf(" ");
		show_text("FAIL", g->pairs[i].id);
		printf(" (%s, line %zu):", al_scorer_name(g->pairs[i].scorer), g->pairs[i].line);
		if (r->error)
			cli_line(stdout, " %s", r->error);
		else {
			show_text("got", r->answer);
			show_text("want", g->pairs[i].answer);
			printf(r->score > 0 ? " (score %.3f)\n" : "\n", r->score);
		}
	}
	if (failed > shown)
		printf("  … and %zu more (see --json or 'airlock eval ls --pairs')\n", failed - shown);
}

int cli_eval_load(struct cli_eval *e)
{
	struct al_err err = { 0 };
	if (al_golden_load(e->golden, &e->g, &err))
		return cli_fail(&err);
	e->loaded = 1;
	return 0;
}

int cli_eval_ask(struct cli_eval *e, const char *cmd, int quiet)
{
	struct al_err err = { 0 };
	int code;
	if (!e->golden || !e->o.endpoint || !e->o.model)
		return cli_usage(cmd, "an eval needs --golden FILE, --endpoint URL and --model NAME");
	if (e->token_file && read_token(e->token_file, e->token, sizeof(e->token)))
		return 2;
	e->o.token = e->token_file ? e->token : NULL;
	if (!e->loaded && (code = cli_eval_load(e)))
		return code;
	if (!quiet)
		fprintf(stderr, "airlock: asking %s (model %s) %zu golden questions, %u at a time\n", e->o.endpoint, e->o.model,
			e->g.n, e->o.concurrency ? e->o.concurrency : 1);
	if (al_eval_run(&e->o, &e->g, &e->run, &err))
		return cli_fail(&err);
	e->ran = 1;
	if (!quiet)
		print_failed(&e->g, &e->run);
	return 0;
}

void cli_eval_release(struct cli_eval *e)
{
	if (e->ran)
		al_eval_run_release(&e->run);
	if (e->loaded)
		al_golden_release(&e->g);
	cli_secret_wipe(e->token, sizeof(e->token));
}

int cli_eval_record(struct al_store *s, struct cli_eval *e, const char *release, const char *actor)
{
	struct al_err err = { 0 };
	struct al_eval_record r = { release, e->o.model, e->o.endpoint, actor, &e->g, &e->run };
	int64_t id;
	return al_eval_record(s, &r, &id, &err) ? cli_fail(&err) : 0;
}

/* ---- eval run ---- */

struct run_args {
	struct cli_eval e;
	const char *store, *release, *baseline, *textfile, *pushgateway, *actor;
	int json, pairs;
	unsigned wait, limit;
	char rel[128], base_rel[128];
	double base_score;
	int have_base, regression;
};

/* What --release and --baseline name, and the baseline's score: read before the run. */
static int resolve(struct run_args *a)
{
	struct al_store *s = NULL;
	struct al_err err = { 0 };
	int64_t id;
	int code, found = 0;
	if (!a->store || (!a->release && !a->baseline))
		return 0;
	if ((code = cli_store_open(a->store, 0, 0, &s)))
		return code;
	if ((a->release && al_release_resolve(s, a->release, a->rel, sizeof(a->rel), &err)) ||
	    (a->baseline && al_release_resolve(s, a->baseline, a->base_rel, sizeof(a->base_rel), &err)))
		code = cli_fail(&err);
	else if (a->baseline) { /* the set is loaded once: the run asks what the baseline was found for */
		if (al_eval_latest(s, a->base_rel, a->e.g.digest, &a->base_score, &id, &found, &err))
			code = cli_fail(&err);
		else if (!found)
			code = cli_fail_with(AL_ENOENT,
					     "baseline '%s' (release '%s') has no eval run on golden set %s without errors: run 'airlock eval run --release %s' on it first",
					     a->baseline, a->base_rel, a->e.g.digest, a->base_rel);
		a->have_base = found;
	}
	al_store_free(s);
	return code;
}

static int publish(struct run_args *a)
{
	struct al_err err = { 0 };
	struct al_buf m;
	const char *rel = a->release ? a->rel : "";
	struct al_eval_labels l = { rel, a->e.o.model, a->have_base ? &a->base_score : NULL, a->regression };
	int code = 0;
	if (!a->textfile && !a->pushgateway)
		return 0;
	al_buf_init(&m, 16u << 20);
	if (al_eval_metrics(&a->e.g, &a->e.run, &l, &m, &err) ||
	    (a->textfile && al_eval_textfile(a->textfile, &m, &err)) ||
	    (a->pushgateway && al_eval_push(a->pushgateway, *rel ? rel : a->e.o.model, &m, &err)))
		code = cli_fail(&err);
	al_buf_release(&m);
	return code;
}

static json_t *results_json(const struct cli_eval *e)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < e->run.n; i++) {
		const struct al_eval_result *r = &e->run.results[i];
		if (json_array_append_new(arr, json_pack("{s:s, s:s, s:f, s:b, s:f, s:s?, s:s?}", "id", e->g.pairs[i].id, "scorer",
							 al_scorer_name(e->g.pairs[i].scorer), "score", r->score, "pass",
							 r->pass, "latency", r->latency, "answer", r->answer, "error",
							 r->error)))
			json_decref(arr), arr = NULL;
	}
	return arr;
}

static void report(const struct run_args *a)
{
	const struct cli_eval *e = &a->e;
	if (a->json) {
		cli_json(json_pack("{s:s, s:s?, s:s, s:s, s:f, s:I, s:I, s:I, s:f, s:s?, s:o?, s:b, s:o}", "golden", e->g.digest,
				   "release", a->release ? a->rel : NULL, "model", e->o.model, "endpoint", e->o.endpoint, "score",
				   e->run.score, "pairs", (json_int_t)e->run.n, "passed", (json_int_t)e->run.passed, "errors",
				   (json_int_t)e->run.errors, "seconds", e->run.seconds, "baseline",
				   a->have_base ? a->base_rel : NULL, "baseline_score",
				   a->have_base ? json_real(a->base_score) : NULL, "regression", a->regression, "results",
				   results_json(e)));
		return;
	}
	cli_line(stdout, "eval: %zu of %zu passed, score %.4f (%s, %zu errors, %.1f s)", e->run.passed, e->run.n,
		 e->run.score, e->g.digest, e->run.errors, e->run.seconds);
	if (a->have_base)
		cli_line(stdout, "baseline '%s' (release '%s'): %.4f; %s", a->baseline, a->base_rel, a->base_score,
			 a->regression ? "REGRESSION: below it by more than the tolerance" : "no regression");
}

static int run_parse(int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = { CLI_EVAL_OPTIONS,
					      { "store", required_argument, NULL, 's' },
					      { "release", required_argument, NULL, 'r' },
					      { "baseline", required_argument, NULL, 'b' },
					      { "textfile", required_argument, NULL, 'T' },
					      { "pushgateway", required_argument, NULL, 'P' },
					      { "actor", required_argument, NULL, 'A' },
					      { "wait", required_argument, NULL, 'w' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	int c, code;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': a->store = optarg; break;
		case 'r': a->release = optarg; break;
		case 'b': a->baseline = optarg; break;
		case 'T': a->textfile = optarg; break;
		case 'P': a->pushgateway = optarg; break;
		case 'A': a->actor = optarg; break;
		case 'j': a->json = 1; break;
		case 'w':
			if ((code = cli_wait_option("eval", optarg, &a->wait)))
				return code;
			break;
		case 'h': return cli_help(al_doc_eval);
		default:
			if (c < CLI_EV_GOLDEN)
				return cli_usage("eval", "bad option");
			if ((code = cli_eval_option(&a->e, "eval", c, optarg)))
				return code;
		}
	}
	if (optind != argc)
		return cli_usage("eval", "'eval run' takes no argument");
	/* --release and --baseline name what a store holds: the default one unless --store says */
	if ((a->release || a->baseline) && !a->store)
		a->store = al_store_default(NULL);
	return 0;
}

static int eval_run(int argc, char **argv)
{
	struct run_args a = { .wait = CLI_WAIT_DEFAULT, .e.tolerance = 0 };
	struct al_store *s = NULL;
	int code;
	if ((code = run_parse(argc, argv, &a)) || (a.e.golden && (code = cli_eval_load(&a.e))) || (code = resolve(&a)) ||
	    (code = cli_eval_ask(&a.e, "eval", a.json))) {
		cli_eval_release(&a.e);
		return code;
	}
	a.regression = a.have_base && a.e.run.score < a.base_score - a.e.tolerance - 1e-9;
	/* the run is kept and published whatever it found: an alert needs the bad runs most */
	if (a.store && !(code = cli_store_open(a.store, AL_STORE_WRITE, a.wait, &s)))
		code = cli_eval_record(s, &a.e, a.release ? a.rel : "", a.actor ? a.actor : cli_login_name());
	al_store_free(s);
	{ /* published even when the store could not record it: the alerts still hear of the run */
		int pub = publish(&a);
		code = code ? code : pub;
	}
	if (!code)
		report(&a);
	if (!code && a.e.run.errors)
		code = cli_fail_with(AL_EIO, "%zu of %zu golden questions got no answer from %s (the run is recorded)",
				     a.e.run.errors, a.e.run.n, a.e.o.endpoint);
	else if (!code && a.regression)
		code = 1;
	cli_eval_release(&a.e);
	return code;
}

/* ---- eval ls ---- */

static int eval_ls(int argc, char **argv)
{
	static const struct option opts[] = { { "store", required_argument, NULL, 's' },
					      { "release", required_argument, NULL, 'r' },
					      { "limit", required_argument, NULL, 'n' },
					      { "pairs", no_argument, NULL, 'p' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *store = NULL, *release = NULL;
	int c, json = 0, pairs = 0, code;
	unsigned long limit = 20;
	struct al_store *s = NULL;
	struct al_err err = { 0 };
	json_t *out = NULL, *r;
	size_t i;
	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': store = optarg; break;
		case 'r': release = optarg; break;
		case 'p': pairs = 1; break;
		case 'j': json = 1; break;
		case 'n':
			limit = strtoul(optarg, NULL, 10);
			if (strspn(optarg, "0123456789") != strlen(optarg) || !*optarg)
				return cli_usage("eval", "--limit wants a number (0: every run), not '%s'", optarg);
			break;
		case 'h': return cli_help(al_doc_eval);
		default: return cli_usage("eval", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage("eval", "'eval ls' takes no argument");
	if ((code = cli_store_open(store, 0, 0, &s)))
		return code;
	if (al_eval_list(s, release, limit, pairs, &out, &err))
		code = cli_fail(&err);
	else if (json)
		cli_json(out), out = NULL;
	else {
		printf("%-5s %-20s %-16s %-20s %-7s %-9s %s\n", "RUN", "TIME", "RELEASE", "MODEL", "SCORE", "PASSED", "ERRORS");
		json_array_foreach(json_object_get(out, "runs"), i, r)
			printf("%-5lld %-20s %-16s %-20s %-7.4f %4lld/%-4lld %lld\n",
			       (long long)json_integer_value(json_object_get(r, "id")), al_json_str(r, "time"),
			       *al_json_str(r, "release") ? al_json_str(r, "release") : "-", al_json_str(r, "model"),
			       json_number_value(json_object_get(r, "score")), (long long)json_integer_value(json_object_get(r, "passed")),
			       (long long)json_integer_value(json_object_get(r, "pairs")),
			       (long long)json_integer_value(json_object_get(r, "errors")));
	}
	json_decref(out);
	al_store_free(s);
	return code;
}

int cmd_eval(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("eval", "give a subcommand: run or ls");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cli_help(al_doc_eval);
	if (!strcmp(argv[1], "run"))
		return eval_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ls"))
		return eval_ls(argc - 1, argv + 1);
	return cli_usage("eval", "unknown subcommand '%s' (run or ls)", argv[1]);
}
