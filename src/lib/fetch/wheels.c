/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wheels.c: index pages (libxml2's HTML parser for PEP 503, jansson for
 * PEP 691) and the choice of one wheel per requirement and target, as pip's
 * LinkEvaluator, filter_unallowed_hashes, _sort_key and the resolver's yanked
 * rule make it. Nothing here touches the network or the disk.
 */
#include "wheels.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsx.h"
#include "json.h"
#include "wheel.h"

static void file_release(struct al_pyfile *f)
{
	free(f->url);
	free(f->filename);
	free(f->requires_python);
	free(f->yanked_reason);
	memset(f, 0, sizeof(*f));
}

void al_pypage_release(struct al_pypage *page)
{
	for (size_t k = 0; k < page->n; k++)
		file_release(&page->f[k]);
	free(page->f);
	free(page->url);
	memset(page, 0, sizeof(*page));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The last path segment of a URL (no query, no fragment), percent-decoded; NULL on ENOMEM. */
static char *url_filename(const char *url)
{
	size_t end = strcspn(url, "?#"), start = end;
	while (start > 0 && url[start - 1] != '/')
		start--;
	char *out = malloc(end - start + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = start; i < end; i++) {
		if (url[i] == '%' && i + 2 < end && hexval(url[i + 1]) >= 0 && hexval(url[i + 2]) >= 0) {
			*o++ = (char)(hexval(url[i + 1]) * 16 + hexval(url[i + 2]));
			i += 2;
		} else {
			*o++ = url[i];
		}
	}
	*o = '\0';
	return out;
}

/* RFC 3986 §5.2.4: the path with "." and ".." segments removed, appended to out. */
static void remove_dots(const char *in, size_t n, struct al_buf *out)
{
	size_t start = out->len;
	size_t i = 0;
	while (i < n) {
		if (n - i >= 3 && !memcmp(in + i, "../", 3)) {
			i += 3;
		} else if (n - i >= 2 && !memcmp(in + i, "./", 2)) {
			i += 2;
		} else if ((n - i >= 3 && !memcmp(in + i, "/./", 3)) ||
			   (n - i == 2 && !memcmp(in + i, "/.", 2))) {
			i += 1;
			if (n - i == 1) { /* "/." at the end becomes "/" */
				al_buf_adds(out, "/", NULL);
				return;
			}
			i += 1;
		} else if ((n - i >= 4 && !memcmp(in + i, "/../", 4)) ||
			   (n - i == 3 && !memcmp(in + i, "/..", 3))) {
			int end = n - i == 3;
			i += 3;
			while (out->len > start && out->data[out->len - 1] != '/')
				out->len--;
			if (out->len > start)
				out->len--;
			if (out->data)
				out->data[out->len] = '\0';
			if (end) {
				al_buf_adds(out, "/", NULL);
				return;
			}
		} else if ((n - i == 1 && in[i] == '.') || (n - i == 2 && !memcmp(in + i, "..", 2))) {
			return;
		} else {
			size_t j = i + (in[i] == '/');
			while (j < n && in[j] != '/')
				j++;
			al_buf_add(out, in + i, j - i, NULL);
			i = j;
		}
	}
}

/* The scheme's length (letters, digits, + - . after a letter, then ':'), or 0. */
static size_t scheme_len(const char *s)
{
	size_t i = 0;
	if (!isalpha((unsigned char)s[0]))
		return 0;
	while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return s[i] == ':' ? i : 0;
}

/*
 * RFC 3986 §5.2.2: `ref` resolved against the absolute URL `base`, with nothing
 * decoded or re-encoded (as Python's urljoin, which pip uses). A fresh string, or NULL
 * when base is not absolute or memory runs out.
 */
static char *resolve(const char *base, const char *ref)
{
	struct al_buf out;
	size_t bs = scheme_len(base), ba, bpath, bq, bf, rp, rq;
	if (!bs)
		return NULL;
	al_buf_init(&out, AL_MAX_INDEX_PAGE);
	/* base: scheme ":" ["//" authority] path ["?" query] ["#" fragment] */
	ba = bs + 1;
	bpath = ba;
	if (!strncmp(base + ba, "//", 2))
		bpath = ba + 2 + strcspn(base + ba + 2, "/?#");
	bq = bpath + strcspn(base + bpath, "?#");
	bf = bq + strcspn(base + bq, "#");
	if (scheme_len(ref)) {
		al_buf_adds(&out, ref, NULL); /* as urljoin: an absolute link is taken as written */
	} else if (!strncmp(ref, "//", 2)) {
		rp = 2 + strcspn(ref + 2, "/?#");
		rq = rp + strcspn(ref + rp, "?#");
		al_buf_add(&out, base, bs + 1, NULL);
		al_buf_add(&out, ref, rp, NULL);
		remove_dots(ref + rp, rq - rp, &out);
		al_buf_adds(&out, ref + rq, NULL);
	} else {
		rq = strcspn(ref, "?#");
		al_buf_add(&out, base, bpath, NULL);
		if (rq == 0) {
			al_buf_add(&out, base + bpath, bq - bpath, NULL);
			if (ref[0] == '?')
				al_buf_adds(&out, ref, NULL);
			else {
				al_buf_add(&out, base + bq, bf - bq, NULL);
				al_buf_adds(&out, ref, NULL);
			}
		} else if (ref[0] == '/') {
			remove_dots(ref, rq, &out);
			al_buf_adds(&out, ref + rq, NULL);
		} else {
			struct al_buf merged;
			size_t last = bq;
			al_buf_init(&merged, AL_MAX_INDEX_PAGE);
			while (last > bpath && base[last - 1] != '/')
				last--;
			if (bpath == bq && bpath > ba)
				al_buf_adds(&merged, "/", NULL); /* an authority and an empty path */
			else
				al_buf_add(&merged, base + bpath, last - bpath, NULL);
			al_buf_add(&merged, ref, rq, NULL);
			if (al_buf_check(&merged, NULL) == AL_OK)
				remove_dots(merged.data, merged.len, &out);
			else
				out.rc = merged.rc;
			al_buf_release(&merged);
			al_buf_adds(&out, ref + rq, NULL);
		}
	}
	if (al_buf_check(&out, NULL) != AL_OK) {
		al_buf_release(&out);
		return NULL;
	}
	char *r = al_buf_take(&out, NULL);
	al_buf_release(&out);
	return r;
}

/* pip's LinkHash: "#sha256=HEX" or "&sha256=HEX" anywhere in the URL, up to the next '&'. */
static void url_sha256(const char *url, char out[129])
{
	for (const char *p = url; (p = strstr(p, "sha256=")) != NULL; p++) {
		if (p == url || (p[-1] != '#' && p[-1] != '&'))
			continue;
		size_t l = strcspn(p + 7, "&");
		if (l < 129) {
			memcpy(out, p + 7, l);
			out[l] = '\0';
		}
		return;
	}
}

static enum al_code add_file(struct al_pypage *page, const char *base, const char *href, const char *sha256,
			     const char *requires_python, int yanked, const char *reason, struct al_err *err)
{
	struct al_pyfile f;
	memset(&f, 0, sizeof(f));
	f.url = resolve(base, href);
	if (!f.url && !scheme_len(base))
		return al_fail(err, AL_EINVAL,
			       "index page '%s': '%s' is not an absolute URL to resolve links against",
			       page->url, base);
	if (!f.url || !(f.filename = url_filename(f.url)) ||
	    (requires_python && !(f.requires_python = strdup(requires_python))) ||
	    (reason && *reason && !(f.yanked_reason = strdup(reason)))) {
		file_release(&f);
		return al_fail(err, AL_ENOMEM, "out of memory reading index page '%s'", page->url);
	}
	if (sha256 && strlen(sha256) < sizeof(f.sha256))
		memcpy(f.sha256, sha256, strlen(sha256) + 1);
	url_sha256(f.url, f.sha256); /* the fragment wins, as in pip's Link */
	f.yanked = yanked;
	for (size_t k = 0; k < page->n; k++)
		if (!strcmp(page->f[k].url, f.url)) { /* pip drops repeated links */
			file_release(&f);
			return AL_OK;
		}
	if (al_array_grow(&page->f, &page->cap, page->n + 1, sizeof(f), err)) {
		file_release(&f);
		return err ? err->code : AL_ENOMEM;
	}
	page->f[page->n++] = f;
	return AL_OK;
}

static const xmlNode *find_base(const xmlNode *n)
{
	for (; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && !xmlStrcasecmp(n->name, (const xmlChar *)"base") &&
		    xmlHasProp((xmlNode *)n, (const xmlChar *)"href"))
			return n;
		const xmlNode *b = find_base(n->children);
		if (b)
			return b;
	}
	return NULL;
}

static enum al_code walk_anchors(struct al_pypage *page, const char *base, const xmlNode *n,
				 struct al_err *err)
{
	enum al_code rc = AL_OK;
	for (; n && !rc; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && !xmlStrcasecmp(n->name, (const xmlChar *)"a")) {
			xmlChar *href = xmlGetProp((xmlNode *)n, (const xmlChar *)"href");
			if (href) {
				xmlChar *rp =
				    xmlGetProp((xmlNode *)n, (const xmlChar *)"data-requires-python");
				xmlChar *yk = xmlGetProp((xmlNode *)n, (const xmlChar *)"data-yanked");
				int yanked = xmlHasProp((xmlNode *)n, (const xmlChar *)"data-yanked") != NULL;
				rc = add_file(page, base, (const char *)href, NULL, (const char *)rp, yanked,
					      (const char *)yk, err);
				xmlFree(href);
				xmlFree(rp);
				xmlFree(yk);
			}
		}
		if (!rc)
			rc = walk_anchors(page, base, n->children, err);
	}
	return rc;
}

static enum al_code parse_html(struct al_pypage *page, const char *data, size_t n, struct al_err *err)
{
	htmlDocPtr doc;
	enum al_code rc;
	char *base = NULL;
	if (n > (size_t)INT32_MAX)
		return al_fail(err, AL_ELIMIT, "index page '%s' is too large", page->url);
	doc = htmlReadMemory(data, (int)n, page->url, "UTF-8",
			     HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
	if (!doc)
		return al_fail(err, AL_EINVAL, "index page '%s' cannot be read as HTML", page->url);
	const xmlNode *b = find_base(xmlDocGetRootElement(doc));
	if (b) {
		xmlChar *href = xmlGetProp((xmlNode *)b, (const xmlChar *)"href");
		base = href ? resolve(page->url, (const char *)href) : NULL;
		xmlFree(href);
		if (!base) {
			xmlFreeDoc(doc);
			if (scheme_len(page->url))
				return al_fail(err, AL_ENOMEM, "out of memory reading index page '%s'",
					       page->url);
			return al_fail(err, AL_EINVAL,
				       "index page '%s' is not an absolute URL to resolve links against",
				       page->url);
		}
	}
	rc = walk_anchors(page, base ? base : page->url, xmlDocGetRootElement(doc), err);
	free(base);
	xmlFreeDoc(doc);
	return rc;
}

static enum al_code parse_json(struct al_pypage *page, const char *data, size_t n, struct al_err *err)
{
	json_t *root = NULL, *files, *f;
	size_t i;
	enum al_code rc;
	if ((rc = al_json_parse(data, n, page->url, &root, err)))
		return rc;
	files = json_object_get(root, "files");
	if (!json_is_array(files)) {
		json_decref(root);
		return al_fail(err, AL_EINVAL, "index page '%s' (JSON) has no 'files' array (PEP 691)",
			       page->url);
	}
	json_array_foreach(files, i, f)
	{
		const char *url = al_json_str(f, "url"), *fn = al_json_str(f, "filename"), *sha = NULL;
		const json_t *h = json_object_get(f, "hashes"), *y = json_object_get(f, "yanked");
		const json_t *rp = json_object_get(f, "requires-python");
		size_t before = page->n;
		if (!url) /* pip skips a file without a URL */
			continue;
		if (json_is_object(h))
			sha = al_json_str(h, "sha256");
		if ((rc = add_file(page, page->url, url, sha,
				   json_is_string(rp) ? json_string_value(rp) : NULL,
				   json_is_true(y) || (json_is_string(y) && json_string_length(y) > 0),
				   json_is_string(y) ? json_string_value(y) : NULL, err)))
			break;
		/* pip names a file by its URL; a page whose "filename" says otherwise is refused */
		if (fn && page->n > before && strcmp(page->f[page->n - 1].filename, fn)) {
			rc = al_fail(err, AL_EINVAL,
				     "index page '%s': file '%s' has the URL '%s', which names another file",
				     page->url, fn, page->f[page->n - 1].url);
			break;
		}
	}
	json_decref(root);
	return rc;
}

enum al_code al_pypage_parse(const char *url, enum al_pyform form, const char *data, size_t n,
			     struct al_pypage *page, struct al_err *err)
{
	enum al_code rc;
	memset(page, 0, sizeof(*page));
	if (n > AL_MAX_INDEX_PAGE)
		return al_fail(err, AL_ELIMIT, "index page '%s' is larger than %u bytes", url,
			       AL_MAX_INDEX_PAGE);
	if (!(page->url = strdup(url)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	rc = form == AL_PYFORM_JSON ? parse_json(page, data, n, err) : parse_html(page, data, n, err);
	if (rc)
		al_pypage_release(page);
	return rc;
}

/* ------------------------------------------------------------------ choosing */

struct cand {
	const struct al_pyfile *f;
	struct al_pyver ver;
	long rank;
	int has_build;
	uint64_t build_n;
	const char *build_s; /* points into the file name; ends at '-' */
	size_t build_sl;
	int allowed; /* its sha256 is pinned */
};

/* pip's key order, ascending: pinned hash, not yanked, version, tag rank (lower is better), build tag. */
static int cand_cmp(const struct cand *a, const struct cand *b)
{
	int c;
	if (a->allowed != b->allowed)
		return a->allowed - b->allowed;
	if (a->f->yanked != b->f->yanked)
		return b->f->yanked - a->f->yanked;
	if ((c = al_pyver_cmp(&a->ver, &b->ver)))
		return c;
	if (a->rank != b->rank)
		return a->rank < b->rank ? 1 : -1;
	if (a->has_build != b->has_build)
		return a->has_build - b->has_build;
	if (a->has_build) {
		if (a->build_n != b->build_n)
			return a->build_n < b->build_n ? -1 : 1;
		size_t l = a->build_sl < b->build_sl ? a->build_sl : b->build_sl;
		if ((c = memcmp(a->build_s, b->build_s, l)))
			return c;
		if (a->build_sl != b->build_sl)
			return a->build_sl < b->build_sl ? -1 : 1;
	}
	return 0;
}

static int is_sdist(const char *fn)
{
	static const char *const ext[] = {".tar.gz", ".tgz", ".tar", ".zip",	".tar.bz2",  ".tbz",
					  ".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma", NULL};
	size_t l = strlen(fn);
	for (int k = 0; ext[k]; k++) {
		size_t e = strlen(ext[k]);
		if (l > e && !strcmp(fn + l - e, ext[k]))
			return 1;
	}
	return 0;
}

/* pip's Wheel file-name pattern: NAME-VER[-BUILD]-PY-ABI-PLAT.whl, no spaces. */
static int split_wheel(const char *fn, const char *part[6], size_t len[6], size_t *nparts)
{
	size_t l = strlen(fn), k = 0;
	if (l < 5 || strcmp(fn + l - 4, ".whl"))
		return 0;
	l -= 4;
	for (size_t i = 0; i < l; i++)
		if (isspace((unsigned char)fn[i]))
			return 0;
	for (size_t i = 0, s = 0; i <= l; i++) {
		if (i == l || fn[i] == '-') {
			if (k == 6)
				return 0;
			part[k] = fn + s;
			len[k++] = i - s;
			s = i + 1;
		}
	}
	if (k != 5 && k != 6)
		return 0;
	for (size_t i = 0; i < k; i++)
		if (!len[i] && i != 1)
			return 0;
	if (k == 6 && !isdigit((unsigned char)part[2][0]))
		return 0;
	*nparts = k;
	return 1;
}

static void describe(const struct al_pyreqs *reqs, const struct al_pyreq *q, const struct al_pytarget *t,
		     char *out, size_t n)
{
	snprintf(out, n, "%s==%s (%s:%zu) for Python %u.%u on %s", q->name, q->version, reqs->file, q->line,
		 t->major, t->minor, t->platform);
}

/* What the files of a page were, for the message when none is a candidate. */
struct tally {
	size_t sdists, wrong_tag, wrong_py, matched;
	const char *excluded_by; /* a Requires-Python that excluded the target (borrowed) */
};

/* Counts FN when it is an sdist of Q's project at Q's version (NAME-VER.tar.gz). */
static enum al_code count_sdist(const char *fn, const struct al_pyreq *q, struct tally *t, struct al_err *err)
{
	char *n2 = al_pep503_normalize(fn, strlen(fn));
	char *want = al_strf("%s-%s", q->normalized, q->version);
	char *w2 = want ? al_pep503_normalize(want, strlen(want)) : NULL;
	enum al_code rc = AL_OK;
	if (!n2 || !w2)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	else if (!strncmp(n2, w2, strlen(w2)) && n2[strlen(w2)] == '-')
		t->sdists++;
	free(n2);
	free(want);
	free(w2);
	return rc;
}

/* The rank of the wheel's PY-ABI-PLAT tags (the three parts from O) among TAGS; -1 when unsupported. */
static long wheel_rank(const struct al_pytags *tags, const char *part[6], const size_t len[6], size_t o)
{
	char py[128], abi[128], plat[256];
	if (len[o] >= sizeof(py) || len[o + 1] >= sizeof(abi) || len[o + 2] >= sizeof(plat))
		return -1;
	memcpy(py, part[o], len[o]);
	py[len[o]] = '\0';
	memcpy(abi, part[o + 1], len[o + 1]);
	abi[len[o + 1]] = '\0';
	memcpy(plat, part[o + 2], len[o + 2]);
	plat[len[o + 2]] = '\0';
	return al_pytags_rank(tags, py, abi, plat);
}

/* A wheel's build tag: its leading number and the rest, as pip compares them. */
static void build_tag(struct cand *x, const char *b, size_t n)
{
	size_t i = 0;
	x->has_build = 1;
	while (i < n && isdigit((unsigned char)b[i])) {
		if (x->build_n > (UINT64_MAX - 9) / 10)
			break;
		x->build_n = x->build_n * 10 + (uint64_t)(b[i++] - '0');
	}
	x->build_s = b + i;
	x->build_sl = n - i;
}

/*
 * Is F a candidate for Q on this target (*take), described in *x: a wheel of the
 * project at the pinned version, with a supported tag, whose Requires-Python admits
 * TARGET. What it is not is counted in T for the message.
 */
static enum al_code candidate(const struct al_pyfile *f, const struct al_pyreq *q, const struct al_pypage *page,
			      const struct al_pytags *tags, const struct al_pyver *target, struct cand *x, int *take,
			      struct tally *t, struct al_err *err)
{
	const char *part[6];
	size_t len[6], np;
	char *norm, ver[256];
	int same, yes;
	enum al_code rc;
	memset(x, 0, sizeof(*x));
	*take = 0;
	if (!split_wheel(f->filename, part, len, &np))
		return is_sdist(f->filename) ? count_sdist(f->filename, q, t, err) : AL_OK;
	if (!(norm = al_pep503_normalize(part[0], len[0])))
		return al_fail(err, AL_ENOMEM, "out of memory");
	same = !strcmp(norm, q->normalized);
	free(norm);
	if (!same || len[1] >= sizeof(ver))
		return AL_OK;
	/* pip reads '_' in the version as '-' */
	for (size_t i = 0; i < len[1]; i++)
		ver[i] = part[1][i] == '_' ? '-' : part[1][i];
	ver[len[1]] = '\0';
	if (al_pyver_parse(ver, len[1], &x->ver, NULL) || !al_pyver_pin_matches(&q->pin, &x->ver))
		return AL_OK;
	t->matched++;
	if ((x->rank = wheel_rank(tags, part, len, np - 3)) < 0) {
		t->wrong_tag++;
		return AL_OK;
	}
	if (f->requires_python) {
		if ((rc = al_pyspec_contains(f->requires_python, strlen(f->requires_python), target, &yes, err))) {
			al_err_prefix(err, "index page '%s': Requires-Python of '%s'", page->url, f->filename);
			return rc;
		}
		if (!yes) {
			t->wrong_py++;
			t->excluded_by = f->requires_python;
			return AL_OK;
		}
	}
	if (np == 6)
		build_tag(x, part[2], len[2]);
	x->f = f;
	x->allowed = f->sha256[0] && al_pyreq_has_hash(q, f->sha256);
	*take = 1;
	return AL_OK;
}

/* No file of the page is a candidate: say why, from what the files were. */
static enum al_code none_fits(const char *what, const struct tally *t, const struct al_pypage *page,
			      struct al_err *err)
{
	if (!t->matched && t->sdists)
		return al_fail(err, AL_ENOENT,
			       "%s: the index has no wheel of this version, only a source distribution "
			       "(airlock gathers wheels only: build one and list it as kind: wheel)",
			       what);
	if (!t->matched)
		return al_fail(err, AL_ENOENT, "%s: no file of this version on the index page '%s'", what, page->url);
	if (t->wrong_py && !t->wrong_tag)
		return al_fail(err, AL_ENOENT, "%s: every wheel of this version requires Python '%s'", what,
			       t->excluded_by);
	return al_fail(err, AL_ENOENT, "%s: none of the %zu wheels of this version has a tag this target supports%s",
		       what, t->matched, t->wrong_py ? " (or they exclude this Python)" : "");
}

/*
 * pip's choice among the candidates C (N of them): with any whose hash is pinned,
 * those with another hash go (filter_unallowed_hashes); then the best, a later one
 * winning a tie (pip walks a stable ascending sort backwards), a yanked one only when
 * all are. The chosen one must carry a pinned hash.
 */
static enum al_code choose(struct cand *c, size_t n, const char *what, const struct al_pyreq *q,
			   struct al_pypick *out, struct al_err *err)
{
	size_t any = 0, w = 0;
	int all_yanked = 1;
	const struct cand *best = NULL;
	for (size_t k = 0; k < n; k++)
		any += c[k].allowed;
	for (size_t k = 0; any && k < n; k++)
		if (c[k].allowed || !c[k].f->sha256[0])
			c[w++] = c[k];
	if (any)
		n = w;
	for (size_t k = 0; k < n; k++)
		all_yanked &= c[k].f->yanked;
	for (size_t k = 0; k < n; k++) {
		if (c[k].f->yanked && !all_yanked)
			continue;
		if (!best || cand_cmp(&c[k], best) >= 0)
			best = &c[k];
	}
	if (!best->f->sha256[0])
		return al_fail(err, AL_EVERIFY,
			       "%s: the index gives no sha256 for '%s', so it cannot be matched to a pinned hash", what,
			       best->f->filename);
	if (!best->allowed)
		return al_fail(err, AL_EVERIFY,
			       "%s: the wheel for this target is '%s' with sha256 %s, which is not among the %zu hashes "
			       "pinned for it; refused (regenerate the hashes with pip-compile --generate-hashes if the "
			       "new file is expected)",
			       what, best->f->filename, best->f->sha256, q->nsha256);
	out->file = best->f;
	out->rank = best->rank;
	out->yanked = best->f->yanked;
	return AL_OK;
}

enum al_code al_wheels_pick(const struct al_pyreqs *reqs, const struct al_pyreq *q,
			    const struct al_pypage *page, const struct al_pytarget *t,
			    const struct al_pytags *tags, struct al_pypick *out, struct al_err *err)
{
	struct cand *c = NULL, x;
	size_t nc = 0, cap = 0;
	struct tally tally = { 0 };
	struct al_pyver target;
	char what[512], pyv[48];
	enum al_code rc;
	int take;
	memset(out, 0, sizeof(*out));
	describe(reqs, q, t, what, sizeof(what));
	snprintf(pyv, sizeof(pyv), "%u.%u.%u", t->major, t->minor, t->micro);
	if ((rc = al_pyver_parse(pyv, strlen(pyv), &target, err)))
		return rc;
	for (size_t k = 0; k < page->n && !rc; k++) {
		if ((rc = candidate(&page->f[k], q, page, tags, &target, &x, &take, &tally, err)) || !take)
			continue;
		if (!(rc = al_array_grow(&c, &cap, nc + 1, sizeof(*c), err)))
			c[nc++] = x;
	}
	if (!rc)
		rc = nc ? choose(c, nc, what, q, out, err) : none_fits(what, &tally, page, err);
	free(c);
	return rc;
}
