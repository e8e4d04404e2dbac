/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eval.h: the golden Q/A harness behind `airlock eval run` (docs/cmd/eval.md).
 *
 * A golden set is JSONL, one pair per line (golden.c):
 *   {"id": "capital-fr", "question": "…", "answer": "…", "scorer": "exact", "tags": ["geo"],
 *    "tolerance": 0.5, "system": "…", "max_tokens": 32}
 * Only "question" and "answer" are required; a key not listed here is refused, so that a
 * misspelt "scorer" cannot quietly become "exact". The set's identity is the SHA-256 of
 * the file's bytes: runs are compared only when they asked the same questions.
 *
 * Scorers give each answer a score in [0, 1] and a pass:
 *   exact     the answer, trimmed of white space, equals the golden answer (1 or 0)
 *   contains  the golden answer appears in it, ignoring ASCII case (1 or 0)
 *   regex     the golden answer, a POSIX extended regular expression, matches in it (1 or 0)
 *   numeric   the first number in it is within `tolerance` of the golden number: an
 *             absolute difference, or a relative one when written "N%" (1 or 0)
 *   f1        token F1 of the normalised texts (lower case, punctuation and the articles
 *             a/an/the dropped); the score is the F1, a pass is F1 >= tolerance (0.5)
 *
 * The client (eval.c) asks an OpenAI-compatible endpoint (chat or completions) each
 * question with temperature 0, up to `concurrency` at a time, with a timeout and retries
 * per request; a pair whose request fails is scored 0 and counted as an error. It opens
 * connections to the endpoint it is given and nowhere else.
 */
#ifndef AL_EVAL_H
#define AL_EVAL_H

#include <jansson.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "hash.h"

enum al_scorer { AL_SCORE_EXACT, AL_SCORE_CONTAINS, AL_SCORE_REGEX, AL_SCORE_NUMERIC, AL_SCORE_F1 };

struct al_golden_pair {
	char *id;                /* "id", or "line N" */
	char *question, *system; /* system may be NULL */
	char *answer;            /* numeric answers as written */
	char *tags;              /* JSON array text, e.g. ["geo","easy"] */
	enum al_scorer scorer;
	double tolerance;        /* numeric: the allowed difference; f1: the pass threshold */
	int relative;            /* numeric: tolerance is a fraction of the golden number */
	double number;           /* numeric: the golden number */
	int max_tokens;          /* 0: the run's */
	int has_re;
	regex_t re;              /* regex: compiled once */
	size_t line;
};

struct al_golden {
	struct al_golden_pair *pairs;
	size_t n;
	char digest[7 + AL_HEX_LEN + 1]; /* "sha256:…" of the file */
};

/* Loads and checks a golden set; an error names the file and line. Release with al_golden_release. */
enum al_code al_golden_load(const char *path, struct al_golden *g, struct al_err *err);
void al_golden_release(struct al_golden *g);
/* Scores TEXT against pair P: the score in [0, 1], *pass set. */
double al_eval_score(const struct al_golden_pair *p, const char *text, int *pass);
const char *al_scorer_name(enum al_scorer s);

struct al_eval_opts {
	const char *endpoint;    /* the API base, e.g. http://10.0.0.5:8000/v1 */
	const char *model;       /* the "model" field sent */
	int completions;         /* POST /completions with a prompt, not /chat/completions */
	unsigned concurrency;    /* requests at once; 0 means 1 */
	unsigned timeout_ms;     /* per attempt; 0 means 60 s */
	unsigned retries;        /* attempts after the first; 0 means 2 */
	int max_tokens;          /* 0 means 64 */
	const char *token;       /* a bearer token for the endpoint, or NULL (never in messages) */
};

/* One pair's outcome. */
struct al_eval_result {
	double score, latency;   /* latency: seconds, retries included */
	int pass;
	char *answer;            /* the text the endpoint gave, or NULL */
	char *error;             /* why there is no answer, or NULL */
};

enum { AL_EVAL_BUCKETS = 11 };
extern const double al_eval_buckets[AL_EVAL_BUCKETS]; /* latency histogram bounds, seconds */

struct al_eval_run {
	struct al_eval_result *results; /* one per pair */
	size_t n, passed, errors;
	double score;            /* the mean of the pairs' scores */
	double seconds;          /* the run's wall time */
	int64_t started;         /* Unix time */
};

/*
 * Asks every pair of G and scores the answers into *run. Failures of single requests are in
 * the results (and run->errors); the return is an error only when the run itself could not
 * be made (a bad endpoint URL, out of memory). Release with al_eval_run_release.
 */
enum al_code al_eval_run(const struct al_eval_opts *o, const struct al_golden *g, struct al_eval_run *run,
			 struct al_err *err);
void al_eval_run_release(struct al_eval_run *run);

/* The labels of a run's metrics. */
struct al_eval_labels {
	const char *release, *model;
	const double *baseline;  /* the baseline's score, or NULL */
	int regression;          /* 1 when the run regressed against it */
};
/*
 * The run's metrics in the Prometheus text format 0.0.4 (no timestamps, so that the
 * textfile collector and the Pushgateway both take them): score, per-tag score, pairs,
 * passed, errors, a latency histogram, the baseline and regression, the finish time.
 */
enum al_code al_eval_metrics(const struct al_golden *g, const struct al_eval_run *run,
			     const struct al_eval_labels *l, struct al_buf *out, struct al_err *err);
/* Writes metrics into DIR/airlock_eval.prom atomically (a node_exporter textfile directory). */
enum al_code al_eval_textfile(const char *dir, const struct al_buf *metrics, struct al_err *err);
/*
 * PUTs metrics to a Pushgateway at URL (http://HOST:9091), replacing the group
 * job="airlock_eval", instance=INSTANCE (the release, or the model when there is none).
 */
enum al_code al_eval_push(const char *url, const char *instance, const struct al_buf *metrics, struct al_err *err);

#endif
