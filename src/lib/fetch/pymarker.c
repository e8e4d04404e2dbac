/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pymarker.c: a recursive-descent reader of PEP 508 markers that evaluates as
 * it goes. Every comparison is evaluated, also where `and`/`or` would not need
 * it, so a marker naming something unknown is refused whatever the target.
 */
#include "pymarker.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "pyver.h"

static const char *const names[] = {"python_version",
				    "python_full_version",
				    "implementation_version",
				    "implementation_name",
				    "platform_python_implementation",
				    "sys_platform",
				    "platform_system",
				    "os_name",
				    "platform_machine",
				    "extra"};
enum { NVARS = sizeof(names) / sizeof(names[0]) };

struct mctx {
	const char *s, *p;
	const struct al_pytarget *t;
	struct al_err *err;
	char env[NVARS][32]; /* the value of names[k], filled when used */
	int depth;
};

static enum al_code merr(struct mctx *c, const char *why)
{
	return al_fail(c->err, AL_EINVAL, "environment marker '%s': %s", c->s, why);
}

static void ws(struct mctx *c)
{
	while (*c->p == ' ' || *c->p == '\t')
		c->p++;
}

/* The variable's value for the target, or NULL (with the error recorded). */
static const char *variable(struct mctx *c, const char *name, size_t n, enum al_code *rc)
{
	static const struct {
		const char *name, *as;
	} alias[] = {
	    {"os.name", "os_name"},
	    {"sys.platform", "sys_platform"},
	    {"platform.version", "platform_version"},
	    {"platform.machine", "platform_machine"},
	    {"platform.python_implementation", "platform_python_implementation"},
	    {"python_implementation", "platform_python_implementation"},
	};
	char key[64];
	int win = !strcmp(c->t->os, "windows");
	if (n >= sizeof(key)) {
		*rc = merr(c, "a name is too long");
		return NULL;
	}
	memcpy(key, name, n);
	key[n] = '\0';
	for (size_t k = 0; k < sizeof(alias) / sizeof(alias[0]); k++)
		if (!strcmp(key, alias[k].name))
			snprintf(key, sizeof(key), "%s", alias[k].as);
	if (!strcmp(key, "platform_release") || !strcmp(key, "platform_version")) {
		*rc =
		    al_fail(c->err, AL_EINVAL,
			    "environment marker '%s': '%s' cannot be known for a target (Python %u.%u on %s)",
			    c->s, key, c->t->major, c->t->minor, c->t->platform);
		return NULL;
	}
	for (size_t k = 0; k < NVARS; k++) {
		if (strcmp(key, names[k]))
			continue;
		char *v = c->env[k];
		switch (k) {
		case 0: snprintf(v, 32, "%u.%u", c->t->major, c->t->minor); break;
		case 1:
		case 2: snprintf(v, 32, "%u.%u.%u", c->t->major, c->t->minor, c->t->micro); break;
		case 3: snprintf(v, 32, "cpython"); break;
		case 4: snprintf(v, 32, "CPython"); break;
		case 5: snprintf(v, 32, "%s", win ? "win32" : "linux"); break;
		case 6: snprintf(v, 32, "%s", win ? "Windows" : "Linux"); break;
		case 7: snprintf(v, 32, "%s", win ? "nt" : "posix"); break;
		case 8: snprintf(v, 32, "%s", c->t->machine); break;
		default: v[0] = '\0'; break;
		}
		return v;
	}
	*rc = al_fail(c->err, AL_EINVAL, "environment marker '%s': '%s' is not a marker variable", c->s, key);
	return NULL;
}

/* A quoted string or a variable at c->p: its value in *v (NUL-free, length *vn); *is_var. */
static enum al_code value(struct mctx *c, const char **v, size_t *vn, int *is_var)
{
	enum al_code rc = AL_OK;
	ws(c);
	if (*c->p == '\'' || *c->p == '"') {
		char q = *c->p++;
		const char *e = strchr(c->p, q);
		if (!e)
			return merr(c, "a string has no closing quote");
		*v = c->p;
		*vn = (size_t)(e - c->p);
		*is_var = 0;
		c->p = e + 1;
		return AL_OK;
	}
	const char *b = c->p;
	while (isalnum((unsigned char)*c->p) || *c->p == '_' || *c->p == '.')
		c->p++;
	if (b == c->p)
		return merr(c, "a variable or a quoted string was expected");
	*v = variable(c, b, (size_t)(c->p - b), &rc);
	*vn = *v ? strlen(*v) : 0;
	*is_var = 1;
	return rc;
}

static int str_op(const char *op, const char *l, size_t ln, const char *r, size_t rn, int *yes)
{
	int c = memcmp(l, r, ln < rn ? ln : rn);
	if (!c)
		c = ln < rn ? -1 : ln > rn;
	if (!strcmp(op, "in") || !strcmp(op, "not in")) {
		int in = ln == 0 || (ln <= rn && memmem(r, rn, l, ln) != NULL);
		*yes = op[0] == 'i' ? in : !in;
	} else if (!strcmp(op, "==")) {
		*yes = c == 0;
	} else if (!strcmp(op, "!=")) {
		*yes = c != 0;
	} else if (!strcmp(op, "<")) {
		*yes = c < 0;
	} else if (!strcmp(op, "<=")) {
		*yes = c <= 0;
	} else if (!strcmp(op, ">")) {
		*yes = c > 0;
	} else if (!strcmp(op, ">=")) {
		*yes = c >= 0;
	} else {
		return 0;
	}
	return 1;
}

/* packaging's _eval_op: a version comparison when "OP RHS" is a specifier, else strings. */
static enum al_code compare(struct mctx *c, const char *op, const char *l, size_t ln, const char *r,
			    size_t rn, int *yes)
{
	char spec[160], lhs[80];
	struct al_pyver lv, sv;
	int n = snprintf(spec, sizeof(spec), "%s%.*s", op, (int)rn, r);
	if (!strcmp(op, "==="))
		return merr(c, "the '===' operator is not supported");
	if (strcmp(op, "in") && strcmp(op, "not in") && n > 0 && (size_t)n < sizeof(spec) &&
	    !memchr(r, ',', rn) &&
	    al_pyspec_contains(spec, (size_t)n, &(struct al_pyver){.nrel = 1}, yes, NULL) == AL_OK) {
		/* a valid specifier: the left side must be a version, and a pre-release only
		 * where the specifier itself names one with ==, >=, <= or ~= */
		if (ln >= sizeof(lhs) || al_pyver_parse(l, ln, &lv, NULL) != AL_OK) {
			*yes = 0;
			return AL_OK;
		}
		size_t vn = rn;
		if (rn >= 2 && r[rn - 2] == '.' && r[rn - 1] == '*')
			vn -= 2;
		int pre_ok =
		    (!strcmp(op, "==") || !strcmp(op, ">=") || !strcmp(op, "<=") || !strcmp(op, "~=")) &&
		    al_pyver_parse(r, vn, &sv, NULL) == AL_OK && al_pyver_is_pre(&sv);
		if (al_pyver_is_pre(&lv) && !pre_ok) {
			*yes = 0;
			return AL_OK;
		}
		return al_pyspec_contains(spec, (size_t)n, &lv, yes, c->err);
	}
	if (!str_op(op, l, ln, r, rn, yes))
		return merr(c, "'~=' compares versions only");
	return AL_OK;
}

static enum al_code expr_or(struct mctx *c, int *yes);

static enum al_code atom(struct mctx *c, int *yes)
{
	static const char *const ops[] = {
	    "===", "==", "!=", "<=", ">=", "~=", "<", ">", "not in", "in", NULL};
	const char *l, *r, *op = NULL;
	size_t ln, rn;
	int lvar, rvar;
	enum al_code rc;
	ws(c);
	if (*c->p == '(') {
		if (++c->depth > 32)
			return merr(c, "nested too deeply");
		c->p++;
		if ((rc = expr_or(c, yes)))
			return rc;
		ws(c);
		if (*c->p != ')')
			return merr(c, "a ')' is missing");
		c->p++;
		c->depth--;
		return AL_OK;
	}
	if ((rc = value(c, &l, &ln, &lvar)))
		return rc;
	ws(c);
	for (int k = 0; ops[k]; k++) {
		size_t n = strlen(ops[k]);
		if (!strncmp(c->p, ops[k], n) &&
		    (isalpha((unsigned char)ops[k][0]) ? !isalnum((unsigned char)c->p[n]) : 1)) {
			op = ops[k];
			c->p += n;
			break;
		}
		if (!strcmp(ops[k], "not in") && !strncmp(c->p, "not", 3) &&
		    isspace((unsigned char)c->p[3])) {
			const char *q = c->p + 3;
			while (*q == ' ' || *q == '\t')
				q++;
			if (!strncmp(q, "in", 2) && !isalnum((unsigned char)q[2])) {
				op = ops[k];
				c->p = q + 2;
				break;
			}
		}
	}
	if (!op)
		return merr(c, "a comparison operator was expected");
	if ((rc = value(c, &r, &rn, &rvar)))
		return rc;
	if (lvar == rvar)
		return merr(c, lvar ? "it compares two variables" : "it compares two strings");
	return compare(c, op, l, ln, r, rn, yes);
}

static int keyword(struct mctx *c, const char *kw)
{
	size_t n = strlen(kw);
	ws(c);
	if (!strncmp(c->p, kw, n) && !isalnum((unsigned char)c->p[n]) && c->p[n] != '_') {
		c->p += n;
		return 1;
	}
	return 0;
}

static enum al_code expr_and(struct mctx *c, int *yes)
{
	enum al_code rc = atom(c, yes);
	while (!rc && keyword(c, "and")) {
		int b = 0;
		rc = atom(c, &b);
		*yes = *yes && b;
	}
	return rc;
}

static enum al_code expr_or(struct mctx *c, int *yes)
{
	enum al_code rc = expr_and(c, yes);
	while (!rc && keyword(c, "or")) {
		int b = 0;
		rc = expr_and(c, &b);
		*yes = *yes || b;
	}
	return rc;
}

enum al_code al_pymarker_eval(const char *marker, const struct al_pytarget *t, int *yes, struct al_err *err)
{
	struct mctx c = {.s = marker, .p = marker, .t = t, .err = err};
	enum al_code rc;
	*yes = 0;
	if ((rc = expr_or(&c, yes)))
		return rc;
	ws(&c);
	if (*c.p)
		return merr(&c, "unexpected text after the end");
	return AL_OK;
}

enum al_code al_pyreqs_applying(const struct al_pyreqs *reqs, const struct al_pytarget *t,
				unsigned char *applies, struct al_err *err)
{
	for (size_t k = 0; k < reqs->n; k++) {
		const struct al_pyreq *q = &reqs->v[k];
		int yes = 1;
		if (q->marker && al_pymarker_eval(q->marker, t, &yes, err))
			return al_err_prefix(err, "%s:%zu", reqs->file, q->line);
		applies[k] = (unsigned char)yes;
		for (size_t j = 0; yes && j < k; j++)
			if (applies[j] && !strcmp(reqs->v[j].normalized, q->normalized))
				return al_fail(err, AL_EINVAL,
					       "%s:%zu: '%s' applies twice to Python %u.%u on %s (also line "
					       "%zu): make the markers exclusive",
					       reqs->file, q->line, q->name, t->major, t->minor, t->platform,
					       reqs->v[j].line);
	}
	return AL_OK;
}
