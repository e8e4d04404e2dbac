/* SPDX-License-Identifier: Apache-2.0 */
/* golden.c: golden Q/A sets (JSONL) and the scorers (eval.h, docs/cmd/eval.md). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "fsx.h"
#include "json.h"

enum { MAX_GOLDEN = 64u << 20, MAX_PAIRS = 100000, MAX_TEXT = 64u << 10, MAX_TOKENS = 1u << 16 };

static const char *const scorer_names[] = { "exact", "contains", "regex", "numeric", "f1" };

const char *al_scorer_name(enum al_scorer s)
{
	return scorer_names[s];
}

static void pair_release(struct al_golden_pair *p)
{
	free(p->id);
	free(p->question);
	free(p->system);
	free(p->answer);
	free(p->tags);
	if (p->has_re)
		regfree(&p->re);
}

void al_golden_release(struct al_golden *g)
{
	for (size_t i = 0; i < g->n; i++)
		pair_release(&g->pairs[i]);
	free(g->pairs);
	memset(g, 0, sizeof(*g));
}

/* A number as the whole of S (strtod's syntax, finite); 0 when it is not one. */
static int whole_number(const char *s, double *v)
{
	char *end;
	errno = 0;
	*v = strtod(s, &end);
	while (end != s && isspace((unsigned char)*end))
		end++;
	return end != s && !*end && !errno && isfinite(*v);
}

/* "tolerance": a number, or "N%" (numeric only). */
static enum al_code tolerance(struct al_golden_pair *p, const json_t *t, const char *where, struct al_err *err)
{
	const char *s = json_string_value(t);
	size_t n = s ? strlen(s) : 0;
	char num[64];
	if (json_is_number(t))
		p->tolerance = json_number_value(t);
	else if (p->scorer == AL_SCORE_NUMERIC && n > 1 && n < sizeof(num) && s[n - 1] == '%') {
		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		if (!whole_number(num, &p->tolerance))
			return al_fail(err, AL_EINVAL, "%s: \"tolerance\" '%s' is not a percentage", where, s);
		p->tolerance /= 100;
		p->relative = 1;
	} else
		return al_fail(err, AL_EINVAL, "%s: \"tolerance\" must be a number%s", where,
			       p->scorer == AL_SCORE_NUMERIC ? " or \"N%\"" : "");
	if (!isfinite(p->tolerance) || p->tolerance < 0 || (p->scorer == AL_SCORE_F1 && p->tolerance > 1))
		return al_fail(err, AL_EINVAL, "%s: \"tolerance\" is out of range%s", where,
			       p->scorer == AL_SCORE_F1 ? " (an F1 threshold, 0 to 1)" : " (at least 0)");
	return AL_OK;
}

/* A text field: a string of at most MAX_TEXT bytes (NUMBER_OK: a number, kept as written). */
static enum al_code text(const json_t *o, const char *key, int required, int number_ok, char **out, const char *where,
			 struct al_err *err)
{
	const json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v && !required)
		return AL_OK;
	if (number_ok && json_is_number(v))
		*out = json_dumps(v, JSON_ENCODE_ANY);
	else if (json_is_string(v) && json_string_length(v) <= MAX_TEXT && strlen(json_string_value(v)) == json_string_length(v))
		*out = strdup(json_string_value(v));
	else
		return al_fail(err, AL_EINVAL, "%s: \"%s\" must be %s text of at most 64 KiB without NUL%s", where, key,
			       required ? "present, as" : "", number_ok ? " (or a number)" : "");
	return *out ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
}

static enum al_code scorer(struct al_golden_pair *p, const json_t *o, const char *where, struct al_err *err)
{
	const char *s = al_json_str(o, "scorer");
	size_t i;
	if (!json_object_get(o, "scorer"))
		s = "exact";
	for (i = 0; s && i < sizeof(scorer_names) / sizeof(*scorer_names) && strcmp(s, scorer_names[i]); i++)
		;
	if (!s || i == sizeof(scorer_names) / sizeof(*scorer_names))
		return al_fail(err, AL_EINVAL, "%s: \"scorer\" must be exact, contains, regex, numeric or f1", where);
	p->scorer = (enum al_scorer)i;
	p->tolerance = p->scorer == AL_SCORE_F1 ? 0.5 : 0;
	return AL_OK;
}

/* "tags": an array of non-empty strings (kept as compact JSON). */
static enum al_code tags(struct al_golden_pair *p, const json_t *o, const char *where, struct al_err *err)
{
	const json_t *t = json_object_get(o, "tags"), *v;
	size_t i;
	if (t && !json_is_array(t))
		return al_fail(err, AL_EINVAL, "%s: \"tags\" must be an array of strings", where);
	json_array_foreach(t, i, v)
		if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > 128)
			return al_fail(err, AL_EINVAL, "%s: \"tags\" must be an array of strings of 1 to 128 bytes", where);
	p->tags = t ? json_dumps(t, JSON_COMPACT) : strdup("[]");
	return p->tags ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
}

/* What a scorer needs beyond the text: the number, the compiled expression. */
static enum al_code prepare(struct al_golden_pair *p, const char *where, struct al_err *err)
{
	int r;
	char msg[256];
	if (p->scorer == AL_SCORE_NUMERIC && !whole_number(p->answer, &p->number))
		return al_fail(err, AL_EINVAL, "%s: the numeric scorer's \"answer\" '%.64s' is not a number", where, p->answer);
	if (p->scorer != AL_SCORE_REGEX)
		return AL_OK;
	if ((r = regcomp(&p->re, p->answer, REG_EXTENDED | REG_NOSUB))) {
		regerror(r, &p->re, msg, sizeof(msg));
		return al_fail(err, AL_EINVAL, "%s: the regex \"answer\" does not compile: %s", where, msg);
	}
	p->has_re = 1;
	return AL_OK;
}

static enum al_code known_keys(const json_t *o, const char *where, struct al_err *err)
{
	static const char *const keys[] = { "id", "question", "answer", "scorer", "tags", "tolerance", "system", "max_tokens" };
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		size_t i = 0;
		while (i < sizeof(keys) / sizeof(*keys) && strcmp(k, keys[i]))
			i++;
		if (i == sizeof(keys) / sizeof(*keys))
			return al_fail(err, AL_EINVAL,
				       "%s: unknown key \"%.64s\" (a pair has id, question, answer, scorer, tags, tolerance, system, max_tokens)",
				       where, k);
	}
	return AL_OK;
}

static enum al_code pair_from(struct al_golden_pair *p, const json_t *o, const char *where, struct al_err *err)
{
	const json_t *t = json_object_get(o, "tolerance"), *mt = json_object_get(o, "max_tokens");
	enum al_code rc = json_is_object(o) ? known_keys(o, where, err) : al_fail(err, AL_EINVAL, "%s: not a JSON object", where);
	if (!rc && !(rc = text(o, "id", 0, 0, &p->id, where, err)) && !p->id && !(p->id = al_strf("line %zu", p->line)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc && !(rc = text(o, "question", 1, 0, &p->question, where, err)) && !(rc = text(o, "answer", 1, 1, &p->answer, where, err)) &&
	    !(rc = text(o, "system", 0, 0, &p->system, where, err)) && !(rc = scorer(p, o, where, err)) && !(rc = tags(p, o, where, err)))
		rc = t ? tolerance(p, t, where, err) : AL_OK;
	if (!rc && mt && (!json_is_integer(mt) || json_integer_value(mt) < 1 || json_integer_value(mt) > MAX_TOKENS))
		rc = al_fail(err, AL_EINVAL, "%s: \"max_tokens\" must be an integer from 1 to %u", where, MAX_TOKENS);
	if (!rc && mt)
		p->max_tokens = (int)json_integer_value(mt);
	return rc ? rc : prepare(p, where, err);
}

/* One line of the set; blank lines are skipped. */
static enum al_code one_line(struct al_golden *g, size_t *cap, const char *path, size_t line, const char *s, size_t n,
			     struct al_err *err)
{
	json_t *o = NULL;
	char where[512];
	size_t i = 0;
	enum al_code rc;
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	if (i == n)
		return AL_OK;
	snprintf(where, sizeof(where), "golden set '%s' line %zu", path, line);
	if (g->n == MAX_PAIRS)
		return al_fail(err, AL_ELIMIT, "%s: more than %u pairs", where, MAX_PAIRS);
	if ((rc = al_array_grow(&g->pairs, cap, g->n + 1, sizeof(*g->pairs), err)) || (rc = al_json_parse(s, n, where, &o, err)))
		return rc == AL_EVERIFY ? (err->code = AL_EINVAL) : rc;
	memset(&g->pairs[g->n], 0, sizeof(*g->pairs));
	g->pairs[g->n].line = line;
	rc = pair_from(&g->pairs[g->n], o, where, err);
	g->n++; /* released with the set, whole or not */
	json_decref(o);
	return rc;
}

static int cmp_pair_id(const void *a, const void *b)
{
	const struct al_golden_pair *x = *(const struct al_golden_pair *const *)a, *y = *(const struct al_golden_pair *const *)b;
	int c = strcmp(x->id, y->id);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Two pairs with one id would make the per-pair results ambiguous. */
static enum al_code unique_ids(const struct al_golden *g, const char *path, struct al_err *err)
{
	const struct al_golden_pair **by = malloc(g->n * sizeof(*by));
	enum al_code rc = by ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
	for (size_t i = 0; by && i < g->n; i++)
		by[i] = &g->pairs[i];
	if (by)
		qsort(by, g->n, sizeof(*by), cmp_pair_id);
	for (size_t i = 1; !rc && i < g->n; i++)
		if (!strcmp(by[i - 1]->id, by[i]->id))
			rc = al_fail(err, AL_EINVAL, "golden set '%s': lines %zu and %zu have the same id '%.64s'", path,
				     by[i - 1]->line, by[i]->line, by[i]->id);
	free(by);
	return rc;
}

enum al_code al_golden_load(const char *path, struct al_golden *g, struct al_err *err)
{
	struct al_buf b;
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	size_t cap = 0, line = 0;
	enum al_code rc;
	memset(g, 0, sizeof(*g));
	al_buf_init(&b, MAX_GOLDEN);
	if ((rc = al_read_file(path, 0, &b, err)))
		al_err_prefix(err, "the golden set");
	else if ((rc = al_sha256_mem(b.data, b.len, d, err)) == AL_OK) {
		al_hex(d, hex);
		snprintf(g->digest, sizeof(g->digest), "sha256:%s", hex);
	}
	for (size_t at = 0; !rc && at < b.len;) {
		const char *nl = memchr(b.data + at, '\n', b.len - at);
		size_t n = nl ? (size_t)(nl - (b.data + at)) : b.len - at;
		rc = one_line(g, &cap, path, ++line, b.data + at, n, err);
		at += n + 1;
	}
	if (!rc && !g->n)
		rc = al_fail(err, AL_EINVAL, "golden set '%s' has no pairs (one JSON object per line)", path);
	if (!rc)
		rc = unique_ids(g, path, err);
	al_buf_release(&b);
	if (rc)
		al_golden_release(g);
	return rc;
}

/* ---- scorers ---- */

static void trimmed(const char *s, const char **b, size_t *n)
{
	size_t len = strlen(s);
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	*b = s;
	*n = len;
}

static int contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return 1;
	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return 1;
	return 0;
}

/* The first number in S (a sign, digits, a fraction, an exponent; "1,234" reads as 1234). */
static int first_number(const char *s, double *v)
{
	char buf[128];
	for (; *s; s++) {
		size_t n = 0;
		const char *p = s;
		if (!isdigit((unsigned char)*p) && !((*p == '-' || *p == '+' || *p == '.') && isdigit((unsigned char)p[1])))
			continue;
		while (*p && n + 1 < sizeof(buf) && (isdigit((unsigned char)*p) || strchr("+-.eE,", *p) != NULL)) {
			if (*p != ',' || !isdigit((unsigned char)p[1]) || p == s)
				buf[n++] = *p;
			p++;
		}
		buf[n] = '\0';
		char *end;
		errno = 0;
		*v = strtod(buf, &end);
		if (end != buf && !errno && isfinite(*v))
			return 1;
	}
	return 0;
}

enum { MAX_F1_TOKENS = 4096 };

/* Lower-cased words without punctuation or articles, into TOK (pointers into BUF). */
static size_t words(const char *s, char *buf, size_t cap, char **tok)
{
	size_t n = 0, k = 0;
	for (const char *p = s; *p && k + 1 < cap; p++)
		buf[k++] = ispunct((unsigned char)*p) ? ' ' : (char)tolower((unsigned char)*p);
	buf[k] = '\0';
	for (char *p = buf; *p && n < MAX_F1_TOKENS;) {
		size_t len;
		p += strspn(p, " \t\r\n\f\v");
		len = strcspn(p, " \t\r\n\f\v");
		if (!len)
			break;
		if (p[len])
			p[len++] = '\0';
		if (strcmp(p, "a") && strcmp(p, "an") && strcmp(p, "the"))
			tok[n++] = p;
		p += len;
	}
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Token F1: 2PR/(P+R) over the multisets of words; both empty counts as 1. */
static double token_f1(const char *got, const char *want)
{
	static _Thread_local char bg[MAX_TEXT + 1], bw[MAX_TEXT + 1];
	static _Thread_local char *tg[MAX_F1_TOKENS], *tw[MAX_F1_TOKENS];
	size_t ng = words(got, bg, sizeof(bg), tg), nw = words(want, bw, sizeof(bw), tw), i = 0, j = 0, common = 0;
	if (!ng || !nw)
		return ng == nw;
	qsort(tg, ng, sizeof(*tg), cmp_str);
	qsort(tw, nw, sizeof(*tw), cmp_str);
	while (i < ng && j < nw) {
		int c = strcmp(tg[i], tw[j]);
		common += !c;
		i += c <= 0;
		j += c >= 0;
	}
	return 2.0 * (double)common / (double)(ng + nw); /* 2PR/(P+R), with P = c/ng and R = c/nw */
}

double al_eval_score(const struct al_golden_pair *p, const char *text, int *pass)
{
	const char *a, *b;
	size_t na, nb;
	double v, s = 0;
	switch (p->scorer) {
	case AL_SCORE_EXACT:
		trimmed(text, &a, &na);
		trimmed(p->answer, &b, &nb);
		s = na == nb && !memcmp(a, b, na);
		break;
	case AL_SCORE_CONTAINS: s = contains_nocase(text, p->answer); break;
	case AL_SCORE_REGEX: s = regexec(&p->re, text, 0, NULL, 0) == 0; break;
	case AL_SCORE_NUMERIC:
		s = first_number(text, &v) && fabs(v - p->number) <= (p->relative ? p->tolerance * fabs(p->number) : p->tolerance);
		break;
	case AL_SCORE_F1:
		s = token_f1(text, p->answer);
		*pass = s >= p->tolerance;
		return s;
	}
	*pass = s == 1;
	return s;
}
