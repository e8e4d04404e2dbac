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

/* The host and port of URL ("http://h:8080/x" -> "h:8080"). */
static void url_hostport(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	snprintf(out, cap, "%.*s", (int)strcspn(p, "/"), p);
}

/* The host of URL ("http://h:8080/x" -> "h", "http://[::1]:8080/" -> "[::1]", as pip writes it). */
static void url_host(const char *url, char *out, size_t cap)
{
	char *colon;
	url_hostport(url, out, cap);
	if ((colon = strrchr(out, ':')) && !strchr(colon, ']'))
		*colon = 0;
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

/*
 * The commit a model is pinned to: the revision it crossed at when that is a commit, else
 * the one `airlock serve` gives it (the first 40 hex digits of its manifest digest), never a
 * branch name that could move under a running server.
 */
static const char *model_commit(const json_t *a, char out[41])
{
	const char *rev = al_json_str(a, "revision"), *dig = al_json_str(a, "digest");
	if (rev && strlen(rev) == 40 && strspn(rev, "0123456789abcdef") == 40)
		return rev;
	snprintf(out, 41, "%.40s", dig && !strncmp(dig, "sha256:", 7) ? dig + 7 : "");
	return out;
}

static enum al_code render_models(const json_t *rel, struct al_buf *b, struct al_err *err)
{
	char commit[41];
	size_t i;
	const json_t *a;
	enum al_code rc = al_buf_addf(b, err, "# airlock deploy render: release %s (%s)\n# MODEL REVISION DIGEST: fetch each "
				      "at its revision from HF_ENDPOINT\n", al_json_str(rel, "name"), al_json_str(rel, "digest"));
	json_array_foreach(json_object_get(rel, "artifacts"), i, a)
		if (!rc && !strcmp(al_json_str(a, "kind"), "model"))
			rc = al_buf_addf(b, err, "%s %s %s\n", al_json_str(a, "name"), model_commit(a, commit),
					 al_json_str(a, "digest"));
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

/* The artifact of KIND named NAME in the release, or its only one when NAME is NULL. */
static const json_t *pick(const json_t *rel, const char *kind, const char *name, const char *opt, struct al_err *err)
{
	size_t i, n = 0;
	const json_t *a, *found = NULL;
	json_array_foreach(json_object_get(rel, "artifacts"), i, a)
		if (!strcmp(al_json_str(a, "kind"), kind) && (!name || !strcmp(al_json_str(a, "name"), name)))
			found = a, n++;
	if (n == 1)
		return found;
	if (!n)
		al_fail(err, AL_ENOENT, "release '%s' holds no %s%s%s", al_json_str(rel, "name"), kind, name ? " named " : "",
			name ? name : "");
	else
		al_fail(err, AL_EUSAGE, "release '%s' holds %zu %ss: name the one to run with %s", al_json_str(rel, "name"), n,
			kind, opt);
	return NULL;
}

/* S as a JSON string, which YAML reads as the same string: into B. */
static enum al_code yq(struct al_buf *b, const char *s, struct al_err *err)
{
	json_t *j = json_string(s ? s : "");
	char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	enum al_code rc = t ? al_buf_adds(b, t, err) : al_fail(err, AL_ENOMEM, "out of memory");
	json_decref(j);
	free(t);
	return rc;
}

/* What the server is told: the model, its revision (commit), the port (vLLM's flags). */
struct server {
	const char *model, *revision, *image_ref;
	char *inside;
	unsigned port;
};

static enum al_code render_systemd(const struct al_render_opts *o, const json_t *rel, const struct server *sv,
				   struct al_buf *b, struct al_err *err)
{
	return al_buf_addf(b, err,
			   "# airlock deploy render: release %s (%s)\n"
			   "# The model server, pinned to the model's revision, fetching it from HF_ENDPOINT (airlock.env).\n"
			   "[Unit]\nDescription=model server for release %s: %s at %s\nAfter=network-online.target\n"
			   "Wants=network-online.target\n\n[Service]\nType=exec\nDynamicUser=yes\nStateDirectory=airlock-model-server\n"
			   "Environment=HF_HOME=/var/lib/airlock-model-server\nEnvironmentFile=/etc/airlock/airlock.env\n"
			   "ExecStart=%s serve %s --revision %s --port %u\nRestart=on-failure\nRestartSec=10s\n"
			   "NoNewPrivileges=yes\nProtectSystem=strict\nProtectHome=yes\nPrivateTmp=yes\n\n"
			   "[Install]\nWantedBy=multi-user.target\n",
			   al_json_str(rel, "name"), al_json_str(rel, "digest"), al_json_str(rel, "name"), sv->model, sv->revision,
			   o->command ? o->command : "/usr/local/bin/vllm", sv->model, sv->revision, sv->port);
}

/* The container's arguments, as a YAML flow list. */
static enum al_code args(struct al_buf *b, const struct server *sv, struct al_err *err)
{
	char port[16];
	enum al_code rc = al_buf_adds(b, "[\"--model\", ", err);
	snprintf(port, sizeof(port), "%u", sv->port);
	if (!rc && !(rc = yq(b, sv->model, err)) && !(rc = al_buf_adds(b, ", \"--revision\", ", err)) &&
	    !(rc = yq(b, sv->revision, err)) && !(rc = al_buf_adds(b, ", \"--port\", ", err)) && !(rc = yq(b, port, err)))
		rc = al_buf_adds(b, "]", err);
	return rc;
}

static enum al_code render_compose(const json_t *rel, const struct server *sv, struct al_buf *b, struct al_err *err)
{
	enum al_code rc = al_buf_addf(b, err,
				      "# airlock deploy render: release %s (%s)\n# docker-compose up -d, beside airlock.env\n"
				      "services:\n  model-server:\n    image: ",
				      al_json_str(rel, "name"), al_json_str(rel, "digest"));
	if (!rc && !(rc = yq(b, sv->inside, err)) && !(rc = al_buf_adds(b, "\n    command: ", err)) &&
	    !(rc = args(b, sv, err)))
		rc = al_buf_addf(b, err,
				 "\n    env_file: [airlock.env]\n    ports: [\"%u:%u\"]\n    restart: unless-stopped\n"
				 "    labels:\n      io.airlock.release: \"%s\"\n      io.airlock.release.digest: \"%s\"\n",
				 sv->port, sv->port, al_json_str(rel, "name"), al_json_str(rel, "digest"));
	return rc;
}

static enum al_code render_k8s(const struct al_render_opts *o, const json_t *rel, const struct server *sv,
			       struct al_buf *b, struct al_err *err)
{
	enum al_code rc = al_buf_addf(b, err,
				      "# airlock deploy render: release %s (%s)\n# kubectl apply -f model-server.k8s.yaml\n"
				      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: airlock-env\ndata:\n  HF_ENDPOINT: ",
				      al_json_str(rel, "name"), al_json_str(rel, "digest"));
	if (!rc && !(rc = yq(b, o->endpoint, err)))
		rc = al_buf_addf(b, err, "\n  PIP_INDEX_URL: \"%s/simple/\"\n", o->endpoint);
	for (size_t i = 0; !rc && i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		if (!(rc = al_buf_addf(b, err, "  %s: ", env_vars[i].name)) && !(rc = yq(b, env_vars[i].value, err)))
			rc = al_buf_adds(b, "\n", err);
	if (!rc)
		rc = al_buf_addf(b, err,
				 "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: model-server\n"
				 "  annotations:\n    io.airlock.release: \"%s\"\n    io.airlock.release.digest: \"%s\"\n"
				 "spec:\n  replicas: 1\n  selector:\n    matchLabels: {app: model-server}\n  template:\n"
				 "    metadata:\n      labels: {app: model-server}\n    spec:\n      containers:\n"
				 "        - name: model-server\n          image: ",
				 al_json_str(rel, "name"), al_json_str(rel, "digest"));
	if (!rc && !(rc = yq(b, sv->inside, err)) && !(rc = al_buf_adds(b, "\n          args: ", err)) &&
	    !(rc = args(b, sv, err)))
		rc = al_buf_addf(b, err,
				 "\n          envFrom: [{configMapRef: {name: airlock-env}}]\n"
				 "          ports: [{containerPort: %u}]\n---\napiVersion: v1\nkind: Service\nmetadata:\n"
				 "  name: model-server\nspec:\n  selector: {app: model-server}\n"
				 "  ports: [{port: %u, targetPort: %u}]\n",
				 sv->port, sv->port, sv->port);
	return rc;
}

/* The model server's manifests: the model (and, for containers, the image) picked from the release. */
static enum al_code render_servers(const struct al_render_opts *o, const json_t *rel, json_t *files, struct al_buf *b,
				   struct al_err *err)
{
	struct server sv = { .port = o->port ? o->port : 8000 };
	const json_t *m = pick(rel, "model", o->model, "--model", err), *img = NULL;
	char hp[256], commit[41];
	enum al_code rc = m ? AL_OK : err->code;
	if (!rc && (o->targets & (AL_RENDER_COMPOSE | AL_RENDER_K8S)) && !(img = pick(rel, "image", o->image, "--image", err)))
		rc = err->code;
	if (rc)
		return rc;
	sv.model = al_json_str(m, "name");
	sv.revision = model_commit(m, commit);
	url_hostport(o->endpoint, hp, sizeof(hp));
	if (img && !(sv.inside = al_strf("%s/%.*s@%s", hp, (int)strcspn(al_json_str(img, "name"), ":@"),
					 al_json_str(img, "name"), al_json_str(img, "digest"))))
		return al_fail(err, AL_ENOMEM, "out of memory");
	if ((o->targets & AL_RENDER_SYSTEMD) && !(rc = render_systemd(o, rel, &sv, b, err)))
		rc = put(o->outdir, "airlock-model-server.service", b, files, err);
	if (!rc && (o->targets & AL_RENDER_COMPOSE) && !(rc = render_compose(rel, &sv, b, err)))
		rc = put(o->outdir, "docker-compose.yml", b, files, err);
	if (!rc && (o->targets & AL_RENDER_K8S) && !(rc = render_k8s(o, rel, &sv, b, err)))
		rc = put(o->outdir, "model-server.k8s.yaml", b, files, err);
	free(sv.inside);
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
	if (!rc && (o->targets & (AL_RENDER_SYSTEMD | AL_RENDER_COMPOSE | AL_RENDER_K8S)))
		rc = render_servers(o, rel, files, &b, err);
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
