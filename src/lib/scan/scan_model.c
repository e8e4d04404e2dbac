/* SPDX-License-Identifier: Apache-2.0 */
/* scan_model.c: a model's files: pickles, tensor headers, code it needs trusted, its card's licence (scan.h). */
#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsx.h"
#include "json.h"
#include "pickle.h"
#include "scan.h"
#include "scan_internal.h"
#include "tensors.h"

char *al_scan_blob_path(const char *dir, const char *digest)
{
	return al_strf("%s/blobs/sha256/%s", dir, strncmp(digest, "sha256:", 7) ? digest : digest + 7);
}

enum al_code al_scan_read_json(const char *path, size_t max, const char *what, json_t **out, struct al_err *err)
{
	struct al_buf b;
	enum al_code rc;
	al_buf_init(&b, max);
	*out = NULL;
	if (!(rc = al_read_file(path, AL_NOFOLLOW, &b, err)))
		rc = al_json_parse(b.data ? b.data : "", b.len, what, out, err);
	al_buf_release(&b);
	return rc;
}

enum al_code al_scan_add(json_t *list, json_t *item, struct al_err *err)
{
	if (!item || json_array_append_new(list, item))
		return al_fail(err, AL_ENOMEM, "out of memory");
	return AL_OK;
}

/* One model-file finding. */
static enum al_code finding(json_t *list, const struct al_artifact *a, const char *file, const char *digest,
			    const char *kind, const char *severity, const char *disposition, const char *detail,
			    struct al_err *err)
{
	return al_scan_add(list,
			   json_pack("{s:o, s:o, s:s, s:s, s:s, s:s, s:o}", "artifact", al_json_text(a->name), "file",
				     al_json_text(file), "digest", digest, "kind", kind, "severity", severity,
				     "disposition", disposition, "detail", al_json_text(detail)),
			   err);
}

/* The pickles of one file: every import that is not on the allowlist, and a pickle cut short. */
static enum al_code scan_pickles(const char *path, const char *file, const char *digest, const struct al_artifact *a,
				 json_t *out, struct al_err *err)
{
	struct al_pickle_file f;
	enum al_code rc = al_pickle_scan_named(path, file, &f, err);
	for (size_t i = 0; !rc && i < f.n; i++) {
		const struct al_pickle_part *part = &f.v[i];
		for (size_t j = 0; !rc && j < part->scan.n; j++) {
			const struct al_pickle_import *im = &part->scan.v[j];
			char *d;
			if (im->allowed)
				continue;
			d = al_strf("%s%s%s imports %s.%s (%s at offset %llu): not on the allowlist of what checkpoints "
				    "use, so loading this file can run it", f.format, *part->where ? " member " : "",
				    part->where, im->module, im->name, im->op, (unsigned long long)im->offset);
			rc = d ? finding(out, a, file, digest, "unsafe-pickle", "CRITICAL", "fail", d, err)
			       : al_fail(err, AL_ENOMEM, "out of memory");
			free(d);
		}
		if (!rc && part->scan.malformed) {
			char *d = al_strf("%s%s%s: %s (at offset %llu)", f.format, *part->where ? " member " : "",
					  part->where, part->scan.why, (unsigned long long)part->scan.end);
			rc = d ? finding(out, a, file, digest, "malformed-pickle", "HIGH", "fail", d, err)
			       : al_fail(err, AL_ENOMEM, "out of memory");
			free(d);
		}
	}
	al_pickle_file_release(&f);
	return rc;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcasecmp(s + n - m, suffix);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* A safetensors or GGUF header; GGUF's general.license goes to LICENSES. */
static enum al_code scan_tensors(const char *path, const char *file, const char *digest, int gguf,
				 const struct al_artifact *a, const struct al_scan_policy *p, json_t *out,
				 json_t *licenses, struct al_err *err)
{
	struct al_tensors t;
	struct stat sb;
	enum al_code rc;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &sb)) {
		rc = al_fail_errno(err, AL_EIO, "cannot read '%s' of %s", file, a->name);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	rc = gguf ? al_gguf_check(fd, (uint64_t)sb.st_size, &t, err)
		  : al_safetensors_check(fd, (uint64_t)sb.st_size, &t, err);
	close(fd);
	if (!rc && !t.ok && out)
		rc = finding(out, a, file, digest, gguf ? "malformed-gguf" : "malformed-safetensors", "HIGH", "fail", t.why,
			     err);
	if (!rc && gguf && al_json_str(t.meta, "general.license"))
		rc = al_scan_license(licenses, p, a->name, al_json_str(t.meta, "general.license"),
				     "GGUF general.license", file, err);
	al_tensors_release(&t);
	return rc;
}

/* A config file's auto_map (and custom_pipelines, and a trust_remote_code key): code the model runs. */
static enum al_code scan_config(const char *path, const char *file, const char *digest, const struct al_artifact *a,
				const struct al_scan_policy *p, json_t *out, struct al_err *err)
{
	json_t *j = NULL, *map;
	struct al_err perr = { 0 };
	enum al_code rc = AL_OK;
	const char *k;
	json_t *v;
	if (al_scan_read_json(path, 16u << 20, file, &j, &perr) || !json_is_object(j)) {
		json_decref(j);
		return AL_OK; /* (a config that is not JSON runs nothing; loaders refuse it) */
	}
	map = json_object_get(j, "auto_map");
	json_object_foreach(json_is_object(map) ? map : NULL, k, v) {
		const char *target = json_is_string(v) ? json_string_value(v)
							: json_string_value(json_array_get(v, json_array_size(v) - 1));
		char *d = al_strf("auto_map %s -> %s: loading needs trust_remote_code%s", k, target ? target : "?",
				  target && strstr(target, "--") ? ", and the code is in another repository" : "");
		rc = d ? finding(out, a, file, digest, "remote-code", "HIGH", p->remote_code, d, err)
		       : al_fail(err, AL_ENOMEM, "out of memory");
		free(d);
		if (rc)
			break;
	}
	if (!rc && json_object_get(j, "custom_pipelines"))
		rc = finding(out, a, file, digest, "remote-code", "HIGH", p->remote_code,
			     "custom_pipelines: loading runs the model's own pipeline code", err);
	if (!rc && json_is_true(json_object_get(j, "trust_remote_code")))
		rc = finding(out, a, file, digest, "remote-code", "MEDIUM", p->remote_code,
			     "the config sets trust_remote_code: true", err);
	json_decref(j);
	return rc;
}

/* The model card's YAML front matter (README.md between "---" lines): its licence. */
static enum al_code scan_card(const char *path, const char *file, const struct al_artifact *a,
			      const struct al_scan_policy *p, json_t *licenses, int *stated, struct al_err *err)
{
	struct al_buf b;
	json_t *fm = NULL, *lic;
	struct al_err perr = { 0 };
	const char *end;
	enum al_code rc;
	al_buf_init(&b, 4u << 20);
	if ((rc = al_read_file(path, AL_NOFOLLOW, &b, err)) || b.len < 4 || memcmp(b.data, "---\n", 4) ||
	    !(end = memmem(b.data + 3, b.len - 3, "\n---", 4))) {
		al_buf_release(&b);
		return rc;
	}
	if (al_yaml_parse(b.data + 4, (size_t)(end - b.data - 3), file, &fm, &perr))
		rc = al_scan_license(licenses, p, a->name, NULL, "the model card's front matter does not parse", file,
				     err);
	lic = json_object_get(fm, "license");
	if (json_is_string(lic) && !strcmp(json_string_value(lic), "other") && al_json_str(fm, "license_name"))
		lic = json_object_get(fm, "license_name");
	if (!rc && json_is_string(lic)) {
		*stated = 1;
		rc = al_scan_license(licenses, p, a->name, json_string_value(lic), "model card", file, err);
	}
	for (size_t i = 0; !rc && json_is_array(lic) && i < json_array_size(lic); i++) {
		*stated = 1;
		rc = al_scan_license(licenses, p, a->name, json_string_value(json_array_get(lic, i)), "model card", file,
				     err);
	}
	if (!rc && *stated && json_array_size(licenses)) {
		/* what else the card states, for the SBOM: the base model and the datasets */
		json_t *last = json_array_get(licenses, json_array_size(licenses) - 1);
		const char *keys[] = { "base_model", "datasets" };
		for (size_t k = 0; k < 2; k++) {
			json_t *v = json_object_get(fm, keys[k]);
			if (json_is_string(v) || json_is_array(v))
				json_object_set(last, keys[k], v);
		}
	}
	json_decref(fm);
	al_buf_release(&b);
	return rc;
}

/* One file of the model (layer L of its manifest). */
/* Text that code or a loader reads: where telemetry and outside hosts would be (a README's
 * links are documentation). */
static int text_file(const char *bn)
{
	static const char *const ext[] = { ".py", ".json", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".sh", NULL };
	for (const char *const *e = ext; *e; e++)
		if (ends_with(bn, *e))
			return 1;
	return 0;
}

static enum al_code scan_file(const char *dir, const json_t *l, const struct al_artifact *a,
			      const struct al_scan_policy *p, json_t *out, json_t *licenses, json_t *phone_home,
			      int *stated, struct al_err *err)
{
	const char *file = al_json_str(json_object_get(l, "annotations"), "org.cncf.model.filepath");
	const char *digest = al_json_str(l, "digest"), *bn;
	char *path;
	enum al_code rc = AL_OK;
	unsigned char head[4] = { 0 };
	int fd;
	if (!file || !digest)
		return al_fail(err, AL_EVERIFY, "model %s: a layer without a file path or digest", a->name);
	if (!(path = al_scan_blob_path(dir, digest)))
		return al_fail(err, AL_ENOMEM, "out of memory");
	bn = base_name(file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 || (pread(fd, head, 4, 0) < 0))
		rc = al_fail_errno(err, AL_EIO, "cannot read '%s' of %s", file, a->name);
	if (fd >= 0)
		close(fd);
	/* (without OUT only what the licences need is read: the card, a GGUF header) */
	if (!rc && out && ends_with(file, ".py"))
		rc = finding(out, a, file, digest, "remote-code", "HIGH", p->remote_code,
			     "a Python file in the model: trust_remote_code would run it", err);
	if (!rc && ends_with(file, ".safetensors")) {
		if (out)
			rc = scan_tensors(path, file, digest, 0, a, p, out, licenses, err);
	} else if (!rc && (ends_with(file, ".gguf") || !memcmp(head, "GGUF", 4))) {
		rc = scan_tensors(path, file, digest, 1, a, p, out, licenses, err);
	} else if (!rc && out) {
		rc = scan_pickles(path, file, digest, a, out, err);
	}
	if (!rc && out && (ends_with(bn, "config.json") || ends_with(bn, "model_index.json")))
		rc = scan_config(path, file, digest, a, p, out, err);
	if (!rc && !strcmp(file, bn) && !strcasecmp(bn, "README.md"))
		rc = scan_card(path, file, a, p, licenses, stated, err);
	if (!rc && phone_home && text_file(bn))
		rc = al_scan_text_file(path, a->name, file, p->telemetry, phone_home, err);
	free(path);
	return rc;
}

enum al_code al_scan_model(const char *dir, const struct al_artifact *a, const struct al_scan_policy *p,
			   json_t *model_files, json_t *licenses, json_t *phone_home, struct al_err *err)
{
	char *path = al_scan_blob_path(dir, a->digest);
	json_t *m = NULL, *l;
	enum al_code rc;
	size_t i;
	int stated = 0;
	if (!path)
		return al_fail(err, AL_ENOMEM, "out of memory");
	rc = al_scan_read_json(path, AL_MAX_MANIFEST, a->name, &m, err);
	free(path);
	json_array_foreach(rc ? NULL : json_object_get(m, "layers"), i, l)
		if ((rc = scan_file(dir, l, a, p, model_files, licenses, phone_home, &stated, err)))
			break;
	for (i = 0; !rc && i < json_array_size(licenses); i++) {
		const char *of = al_json_str(json_array_get(licenses, i), "artifact");
		stated |= of && !strcmp(of, a->name);
	}
	if (!rc && !stated)
		rc = al_scan_license(licenses, p, a->name, NULL, "no licence in a model card or a GGUF header", NULL, err);
	json_decref(m);
	return rc;
}

/* Lower-case copy of s into out (cap bytes). */
static void lower(const char *s, char *out, size_t cap)
{
	size_t i = 0;
	for (; s[i] && i + 1 < cap; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = 0;
}

static int listed(const json_t *list, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		if (!strcasecmp(json_string_value(v), id))
			return 1;
	return 0;
}

enum al_code al_scan_license(json_t *licenses, const struct al_scan_policy *p, const char *artifact,
			     const char *license, const char *source, const char *file, struct al_err *err)
{
	char id[128] = "";
	const char *verdict;
	if (license)
		lower(license, id, sizeof(id));
	if (!p->licenses_allow && !p->licenses_review)
		verdict = "reported";
	else if (!license)
		verdict = "review";
	else if (listed(p->licenses_allow, id))
		verdict = "allowed";
	else if (listed(p->licenses_review, id))
		verdict = "review";
	else
		verdict = "denied";
	return al_scan_add(licenses,
			   json_pack("{s:o, s:o?, s:s, s:o?, s:s}", "artifact", al_json_text(artifact), "license",
				     license ? al_json_text(id) : NULL, "source", source, "file",
				     file ? al_json_text(file) : NULL, "verdict", verdict),
			   err);
}
