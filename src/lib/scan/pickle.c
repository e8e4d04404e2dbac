/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pickle.c: the imports of a pickle, from its opcodes (pickle.h). Each opcode's argument
 * is measured by its kind (the table below, protocols 0 to 5, as CPython's pickletools
 * describes them) and skipped or read; nothing is ever built or called.
 *
 * STACK_GLOBAL takes its module and name from the stack: the two values pushed last.
 * The scanner keeps just that: the last two values pushed, each a string or "something
 * else", and the strings stored in the memo (MEMOIZE, PUT) so that a GET brings one back.
 * Any other way to the two strings (built by a call, taken from a list) leaves them
 * unknown, and an unknown import is never allowed.
 */
#include "pickle.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsx.h"

enum { MAX_NAME = 256, MAX_MEMO_BYTES = 16 << 20 };

/* How an opcode's argument is laid out. */
enum arg {
	A_BAD = 0,   /* not an opcode */
	A_NONE,      /* no argument */
	A_1, A_2, A_4, A_8,            /* fixed size */
	A_LEN1, A_LEN4, A_SLEN4, A_LEN8, /* a length (u8, u32 LE, s32 LE, u64 LE), then that many bytes */
	A_LINE,      /* up to and with a '\n' */
	A_LINES2,    /* two such lines */
};

/* What an opcode does that the scanner follows. */
enum role { R_OTHER = 0, R_STR, R_GLOBAL, R_INST, R_STACK_GLOBAL, R_EXT, R_MEMOIZE, R_PUT, R_GET, R_STOP, R_FRAME, R_PROTO, R_POP };

struct op {
	const char *name;
	unsigned char arg, role;
};

static const struct op ops[256] = {
	['('] = { "MARK", A_NONE, R_OTHER },          ['.'] = { "STOP", A_NONE, R_STOP },
	['0'] = { "POP", A_NONE, R_POP },             ['1'] = { "POP_MARK", A_NONE, R_POP },
	['2'] = { "DUP", A_NONE, R_OTHER },           ['F'] = { "FLOAT", A_LINE, R_OTHER },
	['I'] = { "INT", A_LINE, R_OTHER },           ['J'] = { "BININT", A_4, R_OTHER },
	['K'] = { "BININT1", A_1, R_OTHER },          ['L'] = { "LONG", A_LINE, R_OTHER },
	['M'] = { "BININT2", A_2, R_OTHER },          ['N'] = { "NONE", A_NONE, R_OTHER },
	['P'] = { "PERSID", A_LINE, R_OTHER },        ['Q'] = { "BINPERSID", A_NONE, R_OTHER },
	['R'] = { "REDUCE", A_NONE, R_OTHER },        ['S'] = { "STRING", A_LINE, R_STR },
	['T'] = { "BINSTRING", A_SLEN4, R_STR },      ['U'] = { "SHORT_BINSTRING", A_LEN1, R_STR },
	['V'] = { "UNICODE", A_LINE, R_STR },         ['X'] = { "BINUNICODE", A_LEN4, R_STR },
	['a'] = { "APPEND", A_NONE, R_POP },          ['b'] = { "BUILD", A_NONE, R_POP },
	['c'] = { "GLOBAL", A_LINES2, R_GLOBAL },     ['d'] = { "DICT", A_NONE, R_OTHER },
	['}'] = { "EMPTY_DICT", A_NONE, R_OTHER },    ['e'] = { "APPENDS", A_NONE, R_POP },
	['g'] = { "GET", A_LINE, R_GET },             ['h'] = { "BINGET", A_1, R_GET },
	['i'] = { "INST", A_LINES2, R_INST },         ['j'] = { "LONG_BINGET", A_4, R_GET },
	['l'] = { "LIST", A_NONE, R_OTHER },          [']'] = { "EMPTY_LIST", A_NONE, R_OTHER },
	['o'] = { "OBJ", A_NONE, R_OTHER },           ['p'] = { "PUT", A_LINE, R_PUT },
	['q'] = { "BINPUT", A_1, R_PUT },             ['r'] = { "LONG_BINPUT", A_4, R_PUT },
	['s'] = { "SETITEM", A_NONE, R_POP },         ['t'] = { "TUPLE", A_NONE, R_OTHER },
	[')'] = { "EMPTY_TUPLE", A_NONE, R_OTHER },   ['u'] = { "SETITEMS", A_NONE, R_POP },
	['G'] = { "BINFLOAT", A_8, R_OTHER },         [0x80] = { "PROTO", A_1, R_PROTO },
	[0x81] = { "NEWOBJ", A_NONE, R_OTHER },       [0x82] = { "EXT1", A_1, R_EXT },
	[0x83] = { "EXT2", A_2, R_EXT },              [0x84] = { "EXT4", A_4, R_EXT },
	[0x85] = { "TUPLE1", A_NONE, R_OTHER },       [0x86] = { "TUPLE2", A_NONE, R_OTHER },
	[0x87] = { "TUPLE3", A_NONE, R_OTHER },       [0x88] = { "NEWTRUE", A_NONE, R_OTHER },
	[0x89] = { "NEWFALSE", A_NONE, R_OTHER },     [0x8a] = { "LONG1", A_LEN1, R_OTHER },
	[0x8b] = { "LONG4", A_SLEN4, R_OTHER },       ['B'] = { "BINBYTES", A_LEN4, R_OTHER },
	['C'] = { "SHORT_BINBYTES", A_LEN1, R_OTHER }, [0x8c] = { "SHORT_BINUNICODE", A_LEN1, R_STR },
	[0x8d] = { "BINUNICODE8", A_LEN8, R_STR },    [0x8e] = { "BINBYTES8", A_LEN8, R_OTHER },
	[0x8f] = { "EMPTY_SET", A_NONE, R_OTHER },    [0x90] = { "ADDITEMS", A_NONE, R_POP },
	[0x91] = { "FROZENSET", A_NONE, R_OTHER },    [0x92] = { "NEWOBJ_EX", A_NONE, R_OTHER },
	[0x93] = { "STACK_GLOBAL", A_NONE, R_STACK_GLOBAL }, [0x94] = { "MEMOIZE", A_NONE, R_MEMOIZE },
	[0x95] = { "FRAME", A_8, R_FRAME },           [0x96] = { "BYTEARRAY8", A_LEN8, R_OTHER },
	[0x97] = { "NEXT_BUFFER", A_NONE, R_OTHER },  [0x98] = { "READONLY_BUFFER", A_NONE, R_OTHER },
};

/* ---- the allowlist: what PyTorch and NumPy checkpoints import ---- */

static const char *const allowed[] = {
	"collections.OrderedDict",
	"torch._utils._rebuild_tensor",
	"torch._utils._rebuild_tensor_v2",
	"torch._utils._rebuild_tensor_v3",
	"torch._utils._rebuild_parameter",
	"torch._utils._rebuild_parameter_with_state",
	"torch._utils._rebuild_qtensor",
	"torch._utils._rebuild_sparse_tensor",
	"torch._tensor._rebuild_from_type_v2",
	"torch.Size",
	"torch.device",
	"torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage",
	"torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage",
	"torch.BoolStorage", "torch.ComplexFloatStorage", "torch.ComplexDoubleStorage", "torch.QUInt8Storage",
	"torch.QInt8Storage", "torch.QInt32Storage", "torch.UntypedStorage",
	"torch.float16", "torch.float32", "torch.float64", "torch.bfloat16", "torch.half", "torch.float",
	"torch.double", "torch.int8", "torch.int16", "torch.int32", "torch.int64", "torch.uint8", "torch.long",
	"torch.int", "torch.bool", "torch.complex64", "torch.complex128",
	"numpy.core.multiarray._reconstruct",
	"numpy._core.multiarray._reconstruct",
	"numpy.core.multiarray.scalar",
	"numpy._core.multiarray.scalar",
	"numpy.ndarray",
	"numpy.dtype",
	"_codecs.encode", /* (NumPy's protocol-2 pickles: a str made bytes) */
	"builtins.set", "builtins.frozenset", "builtins.bytearray", "builtins.slice", "builtins.complex",
	NULL,
};

int al_pickle_allowed(const char *module, const char *name)
{
	size_t m = strlen(module);
	for (const char *const *a = allowed; *a; a++)
		if (!strncmp(*a, module, m) && (*a)[m] == '.' && !strcmp(*a + m + 1, name))
			return 1;
	return 0;
}

/* ---- the memo: index -> string (only strings are kept) ---- */

struct memo {
	uint64_t *key;
	char **val;
	size_t n, cap; /* cap: a power of two, or 0 */
	size_t bytes;
	uint64_t next; /* MEMOIZE's index: how many entries were ever stored */
};

static size_t memo_slot(const struct memo *m, uint64_t k)
{
	size_t i = (size_t)((k * 0x9e3779b97f4a7c15ull) >> 17) & (m->cap - 1);
	while (m->val[i] && m->key[i] != k)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static char notstr[1]; /* an index that holds something else than a string */

static const char *memo_get(const struct memo *m, uint64_t k)
{
	const char *v = m->cap ? m->val[memo_slot(m, k)] : NULL;
	return v == notstr ? NULL : v;
}

/* Stores s at index k, or marks k as holding no string when s is NULL. */
static enum al_code memo_put(struct memo *m, uint64_t k, const char *s, struct al_err *err)
{
	size_t i;
	if (2 * (m->n + 1) > m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct memo g = { calloc(cap, sizeof(uint64_t)), calloc(cap, sizeof(char *)), m->n, cap, m->bytes, m->next };
		if (!g.key || !g.val) {
			free(g.key);
			free(g.val);
			return al_fail(err, AL_ENOMEM, "out of memory");
		}
		for (size_t j = 0; j < m->cap; j++)
			if (m->val[j]) {
				size_t t = memo_slot(&g, m->key[j]);
				g.key[t] = m->key[j];
				g.val[t] = m->val[j];
			}
		free(m->key);
		free(m->val);
		*m = g;
	}
	i = memo_slot(m, k);
	if (!m->val[i] && !s)
		return AL_OK; /* (nothing to forget) */
	if (m->val[i] && m->val[i] != notstr) {
		m->bytes -= strlen(m->val[i]);
		free(m->val[i]);
	} else if (!m->val[i]) {
		m->key[i] = k;
		m->n++;
	}
	m->val[i] = notstr;
	if (!s || m->bytes + strlen(s) > MAX_MEMO_BYTES)
		return AL_OK; /* (past the cap a string is forgotten: what GETs it is then unknown) */
	if (!(m->val[i] = strdup(s))) {
		m->val[i] = notstr;
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	m->bytes += strlen(s);
	return AL_OK;
}

static void memo_release(struct memo *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->val[i] != notstr)
			free(m->val[i]);
	free(m->key);
	free(m->val);
	memset(m, 0, sizeof(*m));
}

/* ---- the walk ---- */

/* The last two values pushed: a string (owned) or NULL for anything else. */
struct walk {
	const unsigned char *p;
	size_t n, at;
	char *top[2];
	struct memo memo;
	struct al_pickle_scan *s;
};

static void push_value(struct walk *w, char *s)
{
	free(w->top[1]);
	w->top[1] = w->top[0];
	w->top[0] = s;
}

static void malformed(struct walk *w, uint64_t at, const char *what)
{
	w->s->malformed = 1;
	w->s->end = at;
	snprintf(w->s->why, sizeof(w->s->why), "%s at byte %llu", what, (unsigned long long)at);
}

static uint64_t le(const unsigned char *p, size_t k)
{
	uint64_t v = 0;
	for (size_t i = k; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

/* A copy of at most MAX_NAME bytes of p[0..n), NUL-free (a NUL ends it). */
static char *text(const unsigned char *p, size_t n)
{
	size_t k = 0;
	char *t;
	while (k < n && k < MAX_NAME && p[k])
		k++;
	if ((t = malloc(k + 1))) { /* (not strndup: p is not a C string, and may end right here) */
		memcpy(t, p, k);
		t[k] = '\0';
	}
	return t;
}

/* The argument of the opcode at w->at (its byte is p[w->at]): *a, *alen its bytes (a line
 * without its '\n'; two lines: both, with the '\n' between), *next where the next opcode is.
 * 0, or -1 when it runs past the end. */
static int measure(const struct walk *w, enum arg kind, const unsigned char **a, size_t *alen, size_t *next)
{
	size_t at = w->at + 1, left = w->n - at, k;
	const unsigned char *p = w->p + at, *nl;
	static const size_t fixed[] = { [A_1] = 1, [A_2] = 2, [A_4] = 4, [A_8] = 8 };
	static const size_t lenlen[] = { [A_LEN1] = 1, [A_LEN4] = 4, [A_SLEN4] = 4, [A_LEN8] = 8 };
	uint64_t len;
	switch (kind) {
	case A_NONE:
		*a = p, *alen = 0;
		break;
	case A_1: case A_2: case A_4: case A_8:
		if (left < fixed[kind])
			return -1;
		*a = p, *alen = fixed[kind];
		break;
	case A_LEN1: case A_LEN4: case A_SLEN4: case A_LEN8:
		k = lenlen[kind];
		if (left < k)
			return -1;
		len = le(p, k);
		if ((kind == A_SLEN4 && (len & 0x80000000u)) || len > left - k)
			return -1;
		*a = p + k, *alen = (size_t)len;
		*next = at + k + (size_t)len;
		return 0;
	case A_LINE: case A_LINES2:
		if (!(nl = memchr(p, '\n', left)))
			return -1;
		if (kind == A_LINES2 && !(nl = memchr(nl + 1, '\n', left - (size_t)(nl + 1 - p))))
			return -1;
		*a = p, *alen = (size_t)(nl - p);
		*next = at + (size_t)(nl - p) + 1;
		return 0;
	default:
		return -1;
	}
	*next = at + *alen;
	return 0;
}

/* Lists an import; module and name are taken (owned), NULL meaning "cannot be read". */
static enum al_code add_import(struct walk *w, const char *op, char *module, char *name, struct al_err *err)
{
	struct al_pickle_import *im;
	enum al_code rc = al_array_grow(&w->s->v, &w->s->cap, w->s->n + 1, sizeof(*w->s->v), err);
	if (!rc && ((!module && !(module = strdup("?"))) || (!name && !(name = strdup("?")))))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	if (rc) {
		free(module);
		free(name);
		return rc;
	}
	im = &w->s->v[w->s->n++];
	memset(im, 0, sizeof(*im));
	im->module = module;
	im->name = name;
	im->offset = w->at;
	snprintf(im->op, sizeof(im->op), "%s", op);
	im->allowed = strcmp(op, "GLOBAL") && strcmp(op, "INST") && strcmp(op, "STACK_GLOBAL")
			      ? 0 /* EXT*: a code, not a name */
			      : strcmp(module, "?") && strcmp(name, "?") && al_pickle_allowed(module, name);
	return AL_OK;
}

/* A string pushed by STRING, BINSTRING, UNICODE, …: its text (STRING's quotes taken off). */
static char *string_value(const struct op *o, const unsigned char *a, size_t alen)
{
	if (!strcmp(o->name, "STRING") && alen >= 2 && (a[0] == '\'' || a[0] == '"') && a[alen - 1] == a[0])
		return text(a + 1, alen - 2);
	return text(a, alen);
}

/* An index written as decimal text (GET, PUT); -1 when it is not one. */
static int64_t decimal(const unsigned char *a, size_t alen)
{
	int64_t v = 0;
	if (!alen || alen > 18)
		return -1;
	for (size_t i = 0; i < alen; i++) {
		if (a[i] < '0' || a[i] > '9')
			return -1;
		v = v * 10 + (a[i] - '0');
	}
	return v;
}

/* What one opcode does to the imports, the two top values and the memo. */
static enum al_code follow(struct walk *w, const struct op *o, const unsigned char *a, size_t alen,
			   struct al_err *err)
{
	const unsigned char *nl;
	const char *got;
	int64_t k;
	switch (o->role) {
	case R_STR:
		push_value(w, string_value(o, a, alen));
		return w->top[0] ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
	case R_GLOBAL:
	case R_INST: {
		char *module, *name;
		nl = memchr(a, '\n', alen);
		push_value(w, NULL);
		module = text(a, (size_t)(nl - a));
		name = text(nl + 1, alen - (size_t)(nl + 1 - a));
		if (!module || !name) { /* (never "?" for want of memory: an error is an error) */
			free(module);
			free(name);
			return al_fail(err, AL_ENOMEM, "out of memory");
		}
		return add_import(w, o->name, module, name, err);
	}
	case R_STACK_GLOBAL: {
		char *module = w->top[1], *name = w->top[0];
		w->top[0] = w->top[1] = NULL;
		push_value(w, NULL);
		return add_import(w, o->name, module, name, err);
	}
	case R_EXT: {
		char *module = strdup("(extension)"), *code = al_strf("%llu", (unsigned long long)le(a, alen));
		push_value(w, NULL);
		if (!module || !code) {
			free(module);
			free(code);
			return al_fail(err, AL_ENOMEM, "out of memory");
		}
		return add_import(w, o->name, module, code, err);
	}
	case R_MEMOIZE:
		return memo_put(&w->memo, w->memo.next++, w->top[0], err);
	case R_PUT:
		k = o->arg == A_LINE ? decimal(a, alen) : (int64_t)le(a, alen);
		if (k < 0) {
			malformed(w, w->at, "a PUT whose index is not a number");
			return AL_OK;
		}
		w->memo.next = (uint64_t)k + 1 > w->memo.next ? (uint64_t)k + 1 : w->memo.next;
		return memo_put(&w->memo, (uint64_t)k, w->top[0], err);
	case R_GET:
		k = o->arg == A_LINE ? decimal(a, alen) : (int64_t)le(a, alen);
		got = k < 0 ? NULL : memo_get(&w->memo, (uint64_t)k);
		push_value(w, got ? strdup(got) : NULL);
		return got && !w->top[0] ? al_fail(err, AL_ENOMEM, "out of memory") : AL_OK;
	case R_FRAME:
	case R_PROTO:
		return AL_OK; /* (framing, not values) */
	case R_POP:
	default:
		push_value(w, NULL);
		return AL_OK;
	}
}

/* One pickle from w->at to its STOP. */
static enum al_code one_pickle(struct walk *w, struct al_err *err)
{
	enum al_code rc = AL_OK;
	while (!rc) {
		const struct op *o;
		const unsigned char *a = NULL;
		size_t alen = 0, next = 0;
		if (w->at >= w->n) {
			malformed(w, w->at, "the pickle ends without STOP");
			return AL_OK;
		}
		o = &ops[w->p[w->at]];
		if (o->arg == A_BAD) {
			malformed(w, w->at, "an unknown opcode");
			return AL_OK;
		}
		if (measure(w, (enum arg)o->arg, &a, &alen, &next)) {
			malformed(w, w->at, "an argument that runs past the end");
			return AL_OK;
		}
		rc = follow(w, o, a, alen, err);
		if (w->s->malformed)
			return rc;
		w->at = next;
		if (o->role == R_STOP)
			break;
	}
	return rc;
}

enum al_code al_pickle_scan(const unsigned char *p, size_t n, struct al_pickle_scan *s, struct al_err *err)
{
	struct walk w = { p, n, 0, { NULL, NULL }, { 0 }, s };
	enum al_code rc = AL_OK;
	memset(s, 0, sizeof(*s));
	do {
		rc = one_pickle(&w, err);
		if (!rc && !s->malformed)
			s->pickles++;
		/* another pickle follows only where PROTO starts one (legacy PyTorch: five, then raw data) */
	} while (!rc && !s->malformed && w.at + 1 < n && p[w.at] == 0x80 && p[w.at + 1] <= 5);
	if (!s->malformed)
		s->end = w.at;
	free(w.top[0]);
	free(w.top[1]);
	memo_release(&w.memo);
	return rc;
}

void al_pickle_scan_release(struct al_pickle_scan *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].module);
		free(s->v[i].name);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}
