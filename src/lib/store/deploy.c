/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deploy.c: `airlock deploy render` (store.h, docs/cmd/deploy.md): a release's artifacts
 * as configs pinned to the inside endpoints, by digest or commit. Every file is a function
 * of the release and the options only: sorted, no time stamps, the same bytes each time.
 */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsx.h"
#include "json.h"

/* The variables every rendering sets, with the project whose documentation defines each
 * (docs/cmd/deploy.md lists the same, and t1720 checks that the two agree). */
static const struct {
	const char *name, *value, *why;
} env_vars[] = {
	{ "HF_HUB_DISABLE_TELEMETRY", "1", "huggingface_hub: no usage telemetry" },
	{ "HF_HUB_DISABLE_IMPLICIT_TOKEN", "1", "huggingface_hub: never send a stored token" },
	{ "DO_NOT_TRACK", "1", "huggingface_hub and others: the common opt-out" },
	{ "HF_DATASETS_OFFLINE", "1", "datasets: no dataset downloads (none are served inside)" },
	{ "GRADIO_ANALYTICS_ENABLED", "False", "gradio: no analytics" },
	{ "VLLM_NO_USAGE_STATS", "1", "vLLM: no usage statistics" },
	{ "VLLM_DO_NOT_TRACK", "1", "vLLM: the same, its other name" },
	{ "WANDB_MODE", "disabled", "Weights & Biases: no runs logged anywhere" },
	{ "ANONYMIZED_TELEMETRY", "False", "Chroma: no telemetry" },
	{ "PIP_DISABLE_PIP_VERSION_CHECK", "1", "pip: no check for a newer pip" },
	{ "PIP_NO_INPUT", "1", "pip: never wait for a prompt" },
};

/* The host of URL ("http://h:8080/x" -> "h"). */
static void url_host(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://"), *e;
	p = p ? p + 3 : url;
	e = p + strcspn(p, "/:");
	snprintf(out, cap, "%.*s", (int)(e - p), p);
}

/* The host and port of URL ("http://h:8080/x" -> "h:8080"). */
static void url_hostport(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	snprintf(out, cap, "%.*s", (int)strcspn(p, "/"), p);
}

static enum al_code render_env(const struct al_render_opts *o, const json_t *rel, struct al_buf *b, struct al_err *err)
{
	enum al_code rc = al_buf_addf(b, err,
				      "# airlock deploy render: release %s (%s), endpoint %s\n"
				      "# Source it, or name it as a systemd EnvironmentFile. docs/cmd/deploy.md says where each\n"
				      "# variable is documented.\nHF_ENDPOINT=%s\nPIP_INDEX_URL=%s/simple/\n",
				      al_json_str(rel, "name"), al_json_str(rel, "digest"), o->endpoint, o->endpoint, o->endpoint);
	for (size_t i = 0; !rc && i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		rc = al_buf_addf(b, err, "%s=%s\n", env_vars[i].name, env_vars[i].value);
	return rc;
}

static enum al_code render_models(const json_t *rel, struct al_buf *b, struct al_err *err)
{
	size_t i;
	const json_t *a;
	enum al_code rc = al_buf_addf(b, err, "# airlock deploy render: release %s (%s)\n# MODEL REVISION DIGEST: fetch each "
				      "at its revision from HF_ENDPOINT\n", al_json_str(rel, "name"), al_json_str(rel, "digest"));
	json_array_foreach(json_object_get(rel, "artifacts"), i, a)
		if (!rc && !strcmp(al_json_str(a, "kind"), "model"))
			rc = al_buf_addf(b, err, "%s %s %s\n", al_json_str(a, "name"),
					 al_json_str(a, "revision") ? al_json_str(a, "revision") : "main", al_json_str(a, "digest"));
	return rc;
}

static enum al_code render_pip_conf(const struct al_render_opts *o, const json_t *rel, struct al_buf *b,
				    struct al_err *err)
{
	char host[256];
	enum al_code rc;
	url_host(o->endpoint, host, sizeof(host));
	rc = al_buf_addf(b, err,
			 "# airlock deploy render: release %s (%s)\n# PIP_CONFIG_FILE=pip.conf pip install -r requirements.lock\n"
			 "[global]\nindex-url = %s/simple/\ndisable-pip-version-check = true\nno-input = true\n",
			 al_json_str(rel, "name"), al_json_str(rel, "digest"), o->endpoint);
	if (!rc && !strncmp(o->endpoint, "http://", 7)) /* pip refuses plain http off loopback without it */
		rc = al_buf_addf(b, err, "trusted-host = %s\n", host);
	return rc ? rc : al_buf_addf(b, err, "\n[install]\nrequire-hashes = true\n");
}

/* NAME==VERSION with every wheel's hash of that version (the query sorts by name, then digest). */
static enum al_code render_lock(const json_t *rel, struct al_buf *b, struct al_err *err)
{
	size_t i;
	const json_t *a;
	const char *last_p = NULL, *last_v = NULL;
	enum al_code rc = al_buf_addf(b, err, "# airlock deploy render: release %s (%s): every wheel, pinned by hash\n",
				      al_json_str(rel, "name"), al_json_str(rel, "digest"));
	json_array_foreach(json_object_get(rel, "artifacts"), i, a) {
		const char *p = al_json_str(a, "project"), *v = al_json_str(a, "version"), *h = al_json_str(a, "sha256");
		if (rc || strcmp(al_json_str(a, "kind"), "wheel"))
			continue;
		if (!p || !v || !h)
			return al_fail(err, AL_ESTORE, "catalog: wheel '%s' has no project, version or hash recorded",
				       al_json_str(a, "name"));
		if (!last_p || strcmp(p, last_p) || strcmp(v, last_v))
			rc = al_buf_addf(b, err, "%s%s==%s", last_p ? "\n" : "", p, v);
		if (!rc)
			rc = al_buf_addf(b, err, " \\\n    --hash=sha256:%s", h);
		last_p = p, last_v = v;
	}
	return rc || !last_p ? rc : al_buf_add(b, "\n", 1, err);
}

/* The image map: each image by the name it was gathered under, at the inside endpoint and
 * (with --registry) at the registry `airlock push` fed, by digest. */
static enum al_code render_images(const struct al_render_opts *o, const json_t *rel, json_t **out, struct al_err *err)
{
	size_t i;
	const json_t *a;
	char hp[256];
	json_t *list = json_array();
	url_hostport(o->endpoint, hp, sizeof(hp));
	json_array_foreach(json_object_get(rel, "artifacts"), i, a) {
		const char *name = al_json_str(a, "name"), *d = al_json_str(a, "digest");
		size_t repo = strcspn(name ? name : "", ":@");
		char *inside, *reg = NULL;
		if (!list || strcmp(al_json_str(a, "kind"), "image"))
			continue;
		inside = al_strf("%s/%.*s@%s", hp, (int)repo, name, d);
		if (o->registry)
			reg = al_strf("%s/%.*s@%s", o->registry, (int)repo, name, d);
		if (!inside || (o->registry && !reg) ||
		    json_array_append_new(list, json_pack("{s:s, s:s?, s:s, s:s, s:s?}", "image", name, "upstream",
							  al_json_str(a, "upstream"), "digest", d, "inside", inside,
							  "registry", reg))) {
			json_decref(list);
			list = NULL;
		}
		free(inside);
		free(reg);
	}
	*out = list ? json_pack("{s:s, s:s, s:o}", "release", al_json_str(rel, "name"), "releaseDigest",
				al_json_str(rel, "digest"), "images", list)
		    : NULL;
	return *out ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
}

/* Writes B as DIR/NAME, and lists it in FILES. */
static enum al_code put(const char *dir, const char *name, struct al_buf *b, json_t *files, struct al_err *err)
{
	char *p = al_join(dir, name);
	enum al_code rc = p ? al_buf_check(b, err) : al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc)
		rc = al_write_atomic(p, b->data ? b->data : "", b->len, err);
	if (!rc && json_array_append_new(files, json_string(p)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	free(p);
	b->len = 0;
	return rc;
}

static enum al_code render_all(const struct al_render_opts *o, const json_t *rel, json_t *files, struct al_err *err)
{
	struct al_buf b;
	json_t *img = NULL;
	enum al_code rc = al_mkdirs(o->outdir, err);
	al_buf_init(&b, 64u << 20);
	if (!rc && (o->targets & AL_RENDER_ENV) && !(rc = render_env(o, rel, &b, err)) &&
	    !(rc = put(o->outdir, "airlock.env", &b, files, err)) && !(rc = render_models(rel, &b, err)))
		rc = put(o->outdir, "models.lock", &b, files, err);
	if (!rc && (o->targets & AL_RENDER_PIP) && !(rc = render_pip_conf(o, rel, &b, err)) &&
	    !(rc = put(o->outdir, "pip.conf", &b, files, err)) && !(rc = render_lock(rel, &b, err)))
		rc = put(o->outdir, "requirements.lock", &b, files, err);
	if (!rc && (o->targets & AL_RENDER_IMAGES) && !(rc = render_images(o, rel, &img, err)) &&
	    !(rc = al_json_dump(img, AL_JSON_PRETTY, &b, err)))
		rc = put(o->outdir, "images.json", &b, files, err);
	json_decref(img);
	al_buf_release(&b);
	return rc;
}

enum al_code al_deploy_render(struct al_store *s, const struct al_render_opts *o, json_t **out, struct al_err *err)
{
	json_t *ch = NULL, *rel = NULL, *files = json_array();
	const char *name = o->release;
	enum al_code rc = files ? AL_OK : al_fail(err, AL_ENOMEM, "out of memory");
	*out = NULL;
	if (!rc && strncmp(o->endpoint, "http://", 7) && strncmp(o->endpoint, "https://", 8))
		rc = al_fail(err, AL_EUSAGE, "--endpoint '%s': the inside airlock serve, as http://HOST:PORT or https://HOST:PORT",
			     o->endpoint);
	/* a channel's name gives its release; any other name is a release */
	if (!rc && !(rc = al_release_channel(s, name, &ch, err)) && json_is_string(json_object_get(ch, "release")))
		name = al_json_str(ch, "release");
	if (!rc && !(rc = al_release_show(s, name, &rel, err)) && !(rc = render_all(o, rel, files, err)) &&
	    !(*out = json_pack("{s:s, s:s, s:O}", "release", name, "digest", al_json_str(rel, "digest"), "files", files)))
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	json_decref(ch);
	json_decref(rel);
	json_decref(files);
	return rc;
}
