/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hf.c: resolving and listing a Hugging Face Hub model (hf.h). What the Hub
 * answers is untrusted: a commit must be 40 hex digits, every path safe, every
 * size a non-negative integer and every digest well-formed, or the listing is
 * refused as a whole.
 */
#include "hf.h"

#include <stdlib.h>
#include <string.h>

#include "fsx.h"
#include "json.h"

enum {
	HF_MAX_PAGE = 64u << 20,   /* one JSON answer */
	HF_MAX_PAGES = 100000,
};

void al_hf_files_release(struct al_hf_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].path);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

/*
 * One segment of a repository id as huggingface_hub's validate_repo_id accepts it: made of
 * [A-Za-z0-9._-], neither starting nor ending with '.' or '-', no ".." or "--", at most 96
 * characters. (`airlock serve` uses the same rule for the ids it answers to.)
 */
static int seg_valid(const char *s, size_t n)
{
	if (n == 0 || n > 96 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return 0;
		if (i && (c == '.' || c == '-') && s[i - 1] == c)
			return 0;
	}
	return 1;
}

int al_hf_repo_valid(const char *repo)
{
	const char *slash = strchr(repo, '/');
	if (!slash)
		return seg_valid(repo, strlen(repo));
	return seg_valid(repo, (size_t)(slash - repo)) && seg_valid(slash + 1, strlen(slash + 1));
}

static int hex_valid(const char *s, size_t n)
{
	return s && strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

enum al_code al_hf_resolve(const struct al_fetch_opts *o, const char *repo, const char *rev, char commit[41],
			   struct al_err *err)
{
	struct al_buf u;
	json_t *j = NULL;
	char *what = al_strf("hf://%s@%s", repo, rev);
	const char *sha;
	enum al_code rc;
	al_buf_init(&u, 8192);
	al_buf_addf(&u, NULL, "%s/api/models/%s/revision/", o->hf_endpoint, repo);
	al_buf_add_url(&u, rev, "", NULL);
	rc = what ? al_buf_check(&u, err) : al_fail(err, AL_ENOMEM, "out of memory");
	if (rc)
		goto out;
	if ((rc = al_fetch_json(o, u.data, 1, what, HF_MAX_PAGE, &j, NULL, err)))
		goto out;
	sha = al_json_str(j, "sha");
	if (!hex_valid(sha, 40)) {
		rc = al_fail(err, AL_EIO, "'%s': %s answered no 40-hex commit (\"sha\")", what, u.data);
		goto out;
	}
	memcpy(commit, sha, 41);
out:
	json_decref(j);
	al_buf_release(&u);
	free(what);
	return rc;
}

/* One tree entry; directories are skipped. */
static enum al_code add_entry(const json_t *e, const char *what, struct al_hf_files *f, struct al_err *err)
{
	const char *type = al_json_str(e, "type"), *path = al_json_str(e, "path"), *oid = al_json_str(e, "oid");
	const json_t *size = json_object_get(e, "size"), *lfs = json_object_get(e, "lfs");
	const char *bad;
	struct al_hf_file *v;
	enum al_code rc;
	if (type && !strcmp(type, "directory"))
		return AL_OK;
	if (!type || strcmp(type, "file") || !path)
		return al_fail(err, AL_EIO, "'%s': a tree entry is neither a file nor a directory", what);
	if ((bad = al_path_unsafe(path)))
		return al_fail(err, AL_EIO, "'%s': the tree lists an unsafe path '%s': %s", what, path, bad);
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return al_fail(err, AL_EIO, "'%s': '%s' has no valid size in the tree", what, path);
	if ((rc = al_array_grow(&f->v, &f->cap, f->n + 1, sizeof(*f->v), err)))
		return rc;
	v = &f->v[f->n];
	memset(v, 0, sizeof(*v));
	v->size = json_integer_value(size);
	if (json_is_object(lfs)) {
		const char *s = al_json_str(lfs, "oid");
		if (!s)
			s = al_json_str(lfs, "sha256");
		if (s && !strncmp(s, "sha256:", 7))
			s += 7;
		if (!hex_valid(s, AL_HEX_LEN))
			return al_fail(err, AL_EIO, "'%s': the LFS file '%s' has no valid SHA-256 in the tree", what, path);
		memcpy(v->sha256, s, AL_HEX_LEN + 1);
		if (json_is_integer(json_object_get(lfs, "size")) &&
		    json_integer_value(json_object_get(lfs, "size")) != v->size)
			return al_fail(err, AL_EIO, "'%s': the tree gives '%s' two sizes", what, path);
	} else if (hex_valid(oid, 40)) {
		memcpy(v->oid, oid, 41);
	} else {
		return al_fail(err, AL_EIO, "'%s': '%s' has neither an LFS SHA-256 nor a git blob id in the tree", what,
			       path);
	}
	if (!(v->path = strdup(path)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	f->n++;
	return AL_OK;
}

enum al_code al_hf_list(const struct al_fetch_opts *o, const char *repo, const char *commit,
			struct al_hf_files *files, struct al_err *err)
{
	char *url = al_strf("%s/api/models/%s/tree/%s?recursive=true", o->hf_endpoint, repo, commit);
	char *what = al_strf("hf://%s@%s", repo, commit);
	enum al_code rc = AL_OK;
	memset(files, 0, sizeof(*files));
	if (!url || !what)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	for (unsigned page = 0; url && !rc; page++) {
		json_t *j = NULL, *e;
		char *next = NULL;
		size_t i;
		if (page >= HF_MAX_PAGES) {
			rc = al_fail(err, AL_ELIMIT, "'%s': the tree has more than %u pages", what, (unsigned)HF_MAX_PAGES);
			break;
		}
		if ((rc = al_fetch_json(o, url, 1, what, HF_MAX_PAGE, &j, &next, err)))
			break;
		if (!json_is_array(j))
			rc = al_fail(err, AL_EIO, "'%s': %s is not a list of tree entries", what, url);
		json_array_foreach(j, i, e) {
			if (rc || (rc = add_entry(e, what, files, err)))
				break;
		}
		json_decref(j);
		free(url);
		url = next;
	}
	free(url);
	free(what);
	if (rc)
		al_hf_files_release(files);
	return rc;
}

char *al_hf_file_url(const struct al_fetch_opts *o, const char *repo, const char *commit, const char *path)
{
	struct al_buf u;
	al_buf_init(&u, 3 * AL_PATH_MAX + 4096);
	al_buf_addf(&u, NULL, "%s/%s/resolve/%s/", o->hf_endpoint, repo, commit);
	al_buf_add_url(&u, path, "/", NULL);
	if (al_buf_check(&u, NULL)) {
		al_buf_release(&u);
		return NULL;
	}
	return al_buf_take(&u, NULL);
}
