/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pyreq.c: reading a hash-pinned requirements file. Physical lines are
 * joined and stripped of comments in pip's order (join first, so a comment on
 * a line ending in '\' swallows the continuation, as it does in pip); each
 * logical line is cut, as pip cuts it, into the requirement (the words before
 * the first one starting with '-') and its options.
 */
#include "pyreq.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsx.h"
#include "wheel.h"

/* Options refused on a line of their own, with why (docs/protocols/pypi-client.md §2). */
static const struct {
	const char *name;
	const char *why;
} refused[] = {
    {"--extra-index-url",
     "airlock reads one index, so a name cannot be answered by another (dependency confusion)"},
    {"-f", "airlock reads files from the index only"},
    {"--find-links", "airlock reads files from the index only"},
    {"--no-index", "airlock reads files from the index only"},
    {"--trusted-host", "give the index as https:// instead, or use the command line"},
    {"-r", "list every requirement in this one file"},
    {"--requirement", "list every requirement in this one file"},
    {"-c", "list every requirement in this one file"},
    {"--constraint", "list every requirement in this one file"},
    {"-e", "only released wheels from an index are gathered"},
    {"--editable", "only released wheels from an index are gathered"},
    {"--pre", "a pin already names the one version"},
    {"--no-binary", "only wheels are gathered"},
    {"--only-binary", "only wheels are gathered anyway"},
    {"--prefer-binary", "only wheels are gathered anyway"},
    {"--use-feature", "pip options do not apply to airlock"},
};

struct ctx {
	const char *file;
	size_t line;
	struct al_pyreqs *out;
	struct al_err *err;
};

#define FAIL(c, code, fmt, ...) al_fail((c)->err, (code), "%s:%zu: " fmt, (c)->file, (c)->line, __VA_ARGS__)

static int is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static int name_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

/* A PEP 508 name at s[*i]: letters and digits at both ends, . _ - inside. */
static int scan_name(const char *s, size_t n, size_t *i)
{
	size_t j = *i;
	if (j >= n || !isalnum((unsigned char)s[j]))
		return 0;
	while (j < n && name_char(s[j]))
		j++;
	if (!isalnum((unsigned char)s[j - 1]))
		return 0;
	*i = j;
	return 1;
}

static void skip_ws(const char *s, size_t n, size_t *i)
{
	while (*i < n && is_ws(s[*i]))
		(*i)++;
}

/* Narrows s[*a..*b) to leave out spaces at both ends. */
static void trim(const char *s, size_t *a, size_t *b)
{
	while (*a < *b && is_ws(s[*a]))
		(*a)++;
	while (*b > *a && is_ws(s[*b - 1]))
		(*b)--;
}

/* The extras s[e0..e1) of the requirement s[0..n): names separated by commas. */
static enum al_code parse_extras(struct ctx *c, const char *s, size_t n, size_t e0, size_t e1,
				 struct al_pyreq *q)
{
	struct al_buf x;
	enum al_code rc = AL_OK;
	int ok = 1;
	al_buf_init(&x, 4096);
	for (size_t k = e0; ok && k < e1;) {
		size_t k0;
		skip_ws(s, e1, &k);
		k0 = k;
		if (!(ok = scan_name(s, e1, &k)))
			break;
		al_buf_add(&x, s + k0, k - k0, NULL);
		skip_ws(s, e1, &k);
		if (k < e1 && s[k] == ',') {
			k++;
			al_buf_adds(&x, ",", NULL);
			skip_ws(s, e1, &k);
			ok = k < e1;
		} else {
			ok = k == e1;
		}
	}
	if (!ok)
		rc = FAIL(c, AL_EINVAL, "'%.*s': '%.*s' is not a list of extras", (int)n, s, (int)(e1 - e0),
			  s + e0);
	else if (!(rc = al_buf_check(&x, c->err)) && x.len)
		q->extras = al_buf_take(&x, NULL);
	al_buf_release(&x);
	return rc;
}

/* "name[extras] ==version ; marker" (the words before the options, joined by one space). */
static enum al_code parse_req(struct ctx *c, const char *s, size_t n, struct al_pyreq *q)
{
	size_t i = 0, semi = n, a, b, e0 = 0, e1 = 0;
	enum al_code rc;
	const char *at = memchr(s, '@', n), *sc = memchr(s, ';', n);
	if (sc)
		semi = (size_t)(sc - s);
	if (at && (size_t)(at - s) < semi)
		return FAIL(
		    c, AL_EINVAL,
		    "'%.*s' is a direct reference: pin a version from the index instead (NAME==VERSION)",
		    (int)n, s);
	if (!scan_name(s, semi, &i))
		return FAIL(c, AL_EINVAL, "'%.*s' is not a requirement (PEP 508: NAME[EXTRAS]==VERSION)",
			    (int)n, s);
	q->name = al_memdup(s, i);
	q->normalized = al_pep503_normalize(s, i);
	if (!q->name || !q->normalized)
		return al_fail(c->err, AL_ENOMEM, "out of memory");
	skip_ws(s, semi, &i);
	if (i < semi && s[i] == '[') {
		e0 = ++i;
		while (i < semi && s[i] != ']')
			i++;
		if (i == semi)
			return FAIL(c, AL_EINVAL, "'%.*s': the extras have no closing ']'", (int)n, s);
		e1 = i++;
		if ((rc = parse_extras(c, s, n, e0, e1, q)))
			return rc;
		skip_ws(s, semi, &i);
	}
	/* the version part: one "==V", optionally in parentheses (PEP 508) */
	a = i;
	b = semi;
	trim(s, &a, &b);
	if (a < b && s[a] == '(' && s[b - 1] == ')') {
		a++;
		b--;
	}
	trim(s, &a, &b);
	if (a == b)
		return FAIL(c, AL_EINVAL,
			    "'%.*s' is not pinned: write %s==VERSION (airlock takes exact pins only)", (int)n,
			    s, q->name);
	if (memchr(s + a, ',', b - a) || b - a < 2 || s[a] != '=' || s[a + 1] != '=' ||
	    (b - a > 2 && s[a + 2] == '='))
		return FAIL(
		    c, AL_EINVAL,
		    "'%.*s' is not pinned to one version: write %s==VERSION (airlock takes exact pins only)",
		    (int)n, s, q->name);
	a += 2;
	while (a < b && is_ws(s[a]))
		a++;
	if (b - a >= 1 && s[b - 1] == '*')
		return FAIL(
		    c, AL_EINVAL,
		    "'%.*s' is a wildcard, not a pin: write %s==VERSION (airlock takes exact pins only)",
		    (int)n, s, q->name);
	if (al_pyver_parse(s + a, b - a, &q->pin, c->err))
		return al_err_prefix(c->err, "%s:%zu", c->file, c->line);
	if (!(q->version = al_memdup(s + a, b - a)))
		return al_fail(c->err, AL_ENOMEM, "out of memory");
	if (sc) {
		a = semi + 1;
		b = n;
		trim(s, &a, &b);
		if (a == b)
			return FAIL(c, AL_EINVAL,
				    "'%.*s': nothing follows ';' (an environment marker was expected)",
				    (int)n, s);
		if (!(q->marker = al_memdup(s + a, b - a)))
			return al_fail(c->err, AL_ENOMEM, "out of memory");
	}
	return AL_OK;
}

static int lower_hex64(const char *s, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t k = 0; k < n; k++)
		if (!isdigit((unsigned char)s[k]) && !(s[k] >= 'a' && s[k] <= 'f'))
			return 0;
	return 1;
}

int al_pyreq_has_hash(const struct al_pyreq *q, const char *sha256)
{
	for (size_t k = 0; k < q->nsha256; k++)
		if (!strcmp(q->sha256[k], sha256))
			return 1;
	return 0;
}

static enum al_code add_hash(struct ctx *c, struct al_pyreq *q, const char *v, size_t n)
{
	const char *colon = memchr(v, ':', n);
	size_t cap = q->nsha256;
	if (!colon)
		return FAIL(c, AL_EINVAL, "--hash '%.*s' is not ALGORITHM:HEX (such as sha256:…)", (int)n, v);
	if ((size_t)(colon - v) != 6 || memcmp(v, "sha256", 6))
		return FAIL(c, AL_EINVAL,
			    "--hash '%.*s': only sha256 hashes are supported (the index pages give sha256)",
			    (int)n, v);
	if (!lower_hex64(colon + 1, n - 7))
		return FAIL(
		    c, AL_EINVAL,
		    "--hash '%.*s' is not 64 lower-case hex digits (pip compares the text as written)",
		    (int)n, v);
	char h[65];
	memcpy(h, colon + 1, 64);
	h[64] = '\0';
	if (al_pyreq_has_hash(q, h))
		return AL_OK;
	if (al_array_grow(&q->sha256, &cap, q->nsha256 + 1, sizeof(*q->sha256), c->err))
		return c->err ? c->err->code : AL_ENOMEM;
	memcpy(q->sha256[q->nsha256++], h, 65);
	return AL_OK;
}

/* The value of option `opt` in words w[*k] ("--opt=V", "--opt V", "-oV", "-o V"). */
static int opt_value(char **w, size_t nw, size_t *k, const char *opt, const char **v)
{
	size_t l = strlen(opt);
	if (strncmp(w[*k], opt, l))
		return 0;
	if (w[*k][l] == '=' && opt[1] == '-') {
		*v = w[*k] + l + 1;
		return 1;
	}
	if (w[*k][l] && opt[1] != '-') {
		*v = w[*k] + l;
		return 1;
	}
	if (w[*k][l])
		return 0;
	*v = *k + 1 < nw ? w[++*k] : "";
	return 1;
}

static enum al_code options_only(struct ctx *c, char **w, size_t nw)
{
	for (size_t k = 0; k < nw; k++) {
		const char *v;
		if (opt_value(w, nw, &k, "--index-url", &v) || opt_value(w, nw, &k, "-i", &v)) {
			if (!*v)
				return FAIL(c, AL_EINVAL, "%s needs a URL", w[k]);
			if (c->out->index_url)
				return FAIL(c, AL_EINVAL, "the index URL is given twice ('%s' and '%s')",
					    c->out->index_url, v);
			if (!(c->out->index_url = strdup(v)))
				return al_fail(c->err, AL_ENOMEM, "out of memory");
			continue;
		}
		if (!strcmp(w[k], "--require-hashes"))
			continue;
		if (!strncmp(w[k], "--hash", 6))
			return FAIL(c, AL_EINVAL,
				    "'%s' must follow a requirement on the same (continued) line", w[k]);
		for (size_t r = 0; r < sizeof(refused) / sizeof(refused[0]); r++) {
			size_t l = strlen(refused[r].name);
			if (!strncmp(w[k], refused[r].name, l) &&
			    (!w[k][l] || w[k][l] == '=' || refused[r].name[1] != '-'))
				return FAIL(c, AL_EINVAL, "option '%s' is not supported: %s", refused[r].name,
					    refused[r].why);
		}
		return FAIL(c, AL_EINVAL,
			    "unknown option '%s' (supported: --index-url, -i, --require-hashes, and --hash "
			    "after a requirement)",
			    w[k]);
	}
	return AL_OK;
}

static void req_release(struct al_pyreq *q)
{
	free(q->name);
	free(q->normalized);
	free(q->extras);
	free(q->version);
	free(q->marker);
	free(q->sha256);
	memset(q, 0, sizeof(*q));
}

/* One logical line, comments already removed; `s` is writable and NUL-terminated. */
static enum al_code logical_line(struct ctx *c, char *s)
{
	char *w[4096];
	size_t nw = 0, nargs = 0;
	struct al_buf args;
	struct al_pyreq q;
	enum al_code rc;

	for (char *p = s; *p;) {
		while (is_ws(*p))
			p++;
		if (!*p)
			break;
		if (nw == sizeof(w) / sizeof(w[0]))
			return FAIL(c, AL_ELIMIT, "more than %zu words on one line", nw);
		w[nw++] = p;
		while (*p && !is_ws(*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	if (!nw)
		return AL_OK;
	while (nargs < nw && w[nargs][0] != '-')
		nargs++;
	if (!nargs)
		return options_only(c, w, nw);

	memset(&q, 0, sizeof(q));
	q.line = c->line;
	al_buf_init(&args, AL_MAX_REQUIREMENTS);
	for (size_t k = 0; k < nargs; k++) {
		if (k)
			al_buf_adds(&args, " ", NULL);
		al_buf_adds(&args, w[k], NULL);
	}
	if ((rc = al_buf_check(&args, c->err)) || (rc = parse_req(c, args.data, args.len, &q)))
		goto out;
	for (size_t k = nargs; k < nw; k++) {
		const char *v;
		if (opt_value(w, nw, &k, "--hash", &v)) {
			if ((rc = add_hash(c, &q, v, strlen(v))))
				goto out;
			continue;
		}
		rc = FAIL(c, AL_EINVAL, "option '%s' is not supported on a requirement line (only --hash is)",
			  w[k]);
		goto out;
	}
	if (!q.nsha256) {
		rc = FAIL(c, AL_EINVAL,
			  "'%s' has no --hash=sha256:…: hash-checking mode needs one for every requirement "
			  "(pip-compile --generate-hashes writes them)",
			  args.data);
		goto out;
	}
	for (size_t k = 0; k < c->out->n; k++) {
		const struct al_pyreq *o = &c->out->v[k];
		if (!strcmp(o->normalized, q.normalized) && (!o->marker || !q.marker)) {
			rc = FAIL(c, AL_EINVAL,
				  "'%s' is required again (first on line %zu); only requirements with "
				  "environment markers may repeat a name",
				  q.name, o->line);
			goto out;
		}
	}
	if ((rc = al_array_grow(&c->out->v, &c->out->cap, c->out->n + 1, sizeof(q), c->err)))
		goto out;
	c->out->v[c->out->n++] = q;
	al_buf_release(&args);
	return AL_OK;
out:
	req_release(&q);
	al_buf_release(&args);
	return rc;
}

/* pip's COMMENT_RE, `(^|\s+)#.*$`: cut at the first '#' that starts the line or follows a space. */
static void cut_comment(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '#' && (p == s || is_ws(p[-1]))) {
			*p = '\0';
			return;
		}
}

static int is_comment_line(const char *s, size_t n)
{
	size_t i = 0;
	skip_ws(s, n, &i);
	return i < n && s[i] == '#';
}

/* A whole logical line: no ${…}, comment cut, then read. */
static enum al_code flush(struct ctx *c, struct al_buf *logical)
{
	enum al_code rc;
	if ((rc = al_buf_check(logical, c->err)))
		return rc;
	if (!logical->data)
		return AL_OK;
	if (strstr(logical->data, "${"))
		return FAIL(c, AL_EINVAL, "%s",
			    "environment variables (${…}) are not expanded: write the value");
	cut_comment(logical->data);
	rc = logical_line(c, logical->data);
	al_buf_reset(logical);
	return rc;
}

enum al_code al_pyreqs_parse(const char *file, const char *data, size_t n, struct al_pyreqs *out,
			     struct al_err *err)
{
	struct ctx c = {.file = file, .line = 0, .out = out, .err = err};
	struct al_buf logical;
	size_t i = 0, phys = 0, bad;
	int continuing = 0;
	enum al_code rc = AL_OK;

	memset(out, 0, sizeof(*out));
	if (!(out->file = strdup(file)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	c.file = out->file;
	al_buf_init(&logical, AL_MAX_REQUIREMENTS);
	if (n >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < n) {
		const char *s = data + i, *eol = memchr(s, '\n', n - i);
		size_t len = eol ? (size_t)(eol - s) : n - i;
		i = eol ? (size_t)(eol - data) + 1 : n;
		phys++;
		if (!continuing)
			c.line = phys;
		if (len && s[len - 1] == '\r')
			len--;
		if ((bad = al_utf8_bad(s, len)) != 0) {
			c.line = phys;
			rc = FAIL(&c, AL_EINVAL, "%s", "not UTF-8 text");
			goto out;
		}
		for (size_t k = 0; k < len; k++)
			if ((unsigned char)s[k] < 0x20 && s[k] != '\t') {
				c.line = phys;
				rc = FAIL(&c, AL_EINVAL, "control character 0x%02x in the line",
					  (unsigned)s[k]);
				goto out;
			}
		if (len && s[len - 1] == '\\' && !is_comment_line(s, len)) {
			/* pip strips every '\' at both ends of a continued line */
			size_t a = 0, b = len;
			while (a < b && s[a] == '\\')
				a++;
			while (b > a && s[b - 1] == '\\')
				b--;
			al_buf_add(&logical, s + a, b - a, NULL);
			continuing = 1;
			continue;
		}
		if (continuing && is_comment_line(s, len))
			al_buf_adds(&logical, " ", NULL);
		al_buf_add(&logical, s, len, NULL);
		continuing = 0;
		if ((rc = flush(&c, &logical)))
			goto out;
	}
	if (continuing)
		rc = flush(&c, &logical);
out:
	al_buf_release(&logical);
	if (rc)
		al_pyreqs_release(out);
	return rc;
}

enum al_code al_pyreqs_read(const char *path, struct al_pyreqs *out, struct al_err *err)
{
	struct al_buf b;
	enum al_code rc;
	memset(out, 0, sizeof(*out));
	al_buf_init(&b, AL_MAX_REQUIREMENTS);
	if ((rc = al_read_file(path, 0, &b, err)) == AL_OK)
		rc = al_pyreqs_parse(path, b.data ? b.data : "", b.len, out, err);
	al_buf_release(&b);
	return rc;
}

void al_pyreqs_release(struct al_pyreqs *r)
{
	for (size_t k = 0; k < r->n; k++)
		req_release(&r->v[k]);
	free(r->v);
	free(r->file);
	free(r->index_url);
	memset(r, 0, sizeof(*r));
}
