/* SPDX-License-Identifier: Apache-2.0 */
/*
 * registry.c: the client side of the OCI distribution API for `from: docker://…`
 * (registry.h): reference and challenge parsing, credentials from an auth file, the
 * token flow, and the pull into an OCI image layout. It speaks HTTP only through
 * fetch.h and never prints a secret.
 */
#include "registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "bundle.h"
#include "format.h"
#include "fsx.h"
#include "json.h"

#define MANIFEST_ACCEPT                                                                                    \
	AL_MT_OCI_MANIFEST ", " AL_MT_OCI_INDEX ", " AL_MT_DOCKER_MANIFEST ", " AL_MT_DOCKER_LIST

enum { MAX_TOKEN_ANSWER = 64 << 10, MAX_AUTH_FILE = 1 << 20 };

/* ---- references ---- */

void al_docker_ref_release(struct al_docker_ref *r)
{
	free(r->host);
	free(r->repo);
	free(r->tag);
	memset(r, 0, sizeof(*r));
}

/* A repository path: components of [a-z0-9] separated by one '.', '_', "__" or runs of '-'. */
static int repo_valid(const char *s, size_t n)
{
	size_t i = 0;
	if (!n || n > 255)
		return 0;
	while (i < n) {
		size_t start = i;
		while (i < n && s[i] != '/') {
			int alnum = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9');
			if (!alnum && !(s[i] == '.' || s[i] == '_' || s[i] == '-'))
				return 0;
			if (!alnum && (i == start || i + 1 == n || s[i + 1] == '/'))
				return 0; /* a separator starts or ends a component */
			i++;
		}
		if (i == start)
			return 0;
		if (i < n && ++i == n)
			return 0; /* a trailing '/' */
	}
	return 1;
}

static int tag_valid(const char *s, size_t n)
{
	if (!n || n > 128 || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

static int host_valid(const char *s, size_t n)
{
	if (!n || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '.' || s[i] == '-' || s[i] == ':' || s[i] == '[' || s[i] == ']'))
			return 0;
	return 1;
}

int al_oci_repo_valid(const char *s)
{
	return repo_valid(s, strlen(s));
}

int al_oci_tag_valid(const char *s)
{
	return tag_valid(s, strlen(s));
}

int al_oci_host_valid(const char *s)
{
	return host_valid(s, strlen(s));
}

enum al_code al_docker_ref_parse(const char *s, struct al_docker_ref *r, struct al_err *err)
{
	const char *p, *slash, *at, *colon, *end;
	memset(r, 0, sizeof(*r));
	if (strncmp(s, "docker://", 9))
		return al_fail(err, AL_EINVAL, "'%s' is not a docker:// reference", s);
	p = s + 9;
	slash = strchr(p, '/');
	if (!slash || !host_valid(p, (size_t)(slash - p)))
		return al_fail(err, AL_EINVAL, "'%s' names no registry host (docker://HOST[:PORT]/REPO:TAG)", s);
	at = strchr(slash, '@');
	end = at ? at : slash + strlen(slash);
	colon = memchr(slash, ':', (size_t)(end - slash));
	if (at && (strncmp(at + 1, "sha256:", 7) || !al_digest_valid(at + 1)))
		return al_fail(err, AL_EINVAL, "'%s': the pin after '@' is not sha256: and 64 lower-case hex digits", s);
	if (colon && !tag_valid(colon + 1, (size_t)(end - colon - 1)))
		return al_fail(err, AL_EINVAL, "'%s': '%.*s' is not a valid tag", s, (int)(end - colon - 1), colon + 1);
	if (!repo_valid(slash + 1, (size_t)((colon ? colon : end) - slash - 1)))
		return al_fail(err, AL_EINVAL, "'%s': the repository is not lower-case components separated by '/'", s);
	if (!colon && !at)
		return al_fail(err, AL_EINVAL, "'%s' names neither a tag nor a digest (add :TAG or @sha256:…)", s);
	r->host = strndup(p, (size_t)(slash - p));
	r->repo = strndup(slash + 1, (size_t)((colon ? colon : end) - slash - 1));
	r->tag = colon ? strndup(colon + 1, (size_t)(end - colon - 1)) : NULL;
	if (at)
		snprintf(r->digest, sizeof(r->digest), "%s", at + 1);
	if (!r->host || !r->repo || (colon && !r->tag)) {
		al_docker_ref_release(r);
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	return AL_OK;
}

/* ---- challenges ---- */

void al_challenge_release(struct al_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	memset(c, 0, sizeof(*c));
}

/* One `name=value` or `name="value"` at *pp; moves past it and a following ','. */
static enum al_code auth_param(const char **pp, struct al_challenge *c, struct al_err *err)
{
	const char *p = *pp, *name = p, *v;
	size_t nn, vn;
	char **slot = NULL, *val;
	while (*p && *p != '=' && *p != ' ' && *p != ',')
		p++;
	nn = (size_t)(p - name);
	if (!nn || *p != '=')
		return al_fail(err, AL_EINVAL, "a parameter of the challenge is not name=value");
	v = ++p;
	if (*p == '"') {
		v = ++p;
		while (*p && *p != '"')
			p += p[0] == '\\' && p[1] ? 2 : 1;
		if (*p != '"')
			return al_fail(err, AL_EINVAL, "a quoted value of the challenge does not end");
		vn = (size_t)(p++ - v);
	} else {
		while (*p && *p != ',' && *p != ' ')
			p++;
		vn = (size_t)(p - v);
	}
	if (nn == 5 && !strncasecmp(name, "realm", 5))
		slot = &c->realm;
	else if (nn == 7 && !strncasecmp(name, "service", 7))
		slot = &c->service;
	else if (nn == 5 && !strncasecmp(name, "scope", 5))
		slot = &c->scope;
	if (slot && *slot)
		return al_fail(err, AL_EINVAL, "the challenge gives '%.*s' twice", (int)nn, name);
	if (slot) {
		if (!(val = strndup(v, vn)))
			return al_fail(err, AL_ENOMEM, "out of memory");
		*slot = val;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == ',')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	*pp = p;
	return AL_OK;
}

enum al_code al_challenge_parse(const char *v, struct al_challenge *c, struct al_err *err)
{
	const char *p = v;
	size_t n;
	enum al_code rc = AL_OK;
	memset(c, 0, sizeof(*c));
	while (*p == ' ')
		p++;
	n = strcspn(p, " ,");
	if (!n || n >= sizeof(c->scheme))
		return al_fail(err, AL_EINVAL, "the registry's challenge '%s' names no scheme", v);
	memcpy(c->scheme, p, n);
	p += n;
	while (*p == ' ')
		p++;
	/* parameters up to the next challenge (a token not followed by '=') */
	while (*p && !rc) {
		const char *q = p + strcspn(p, "=, ");
		if (*q != '=')
			break;
		rc = auth_param(&p, c, err);
	}
	if (rc) {
		al_challenge_release(c);
		return al_err_prefix(err, "the registry's challenge '%s'", v);
	}
	return AL_OK;
}

/* ---- credentials ---- */

void al_registry_cred_wipe(struct al_registry_cred *c)
{
	sodium_memzero(c, sizeof(*c));
}

/* An auths key ("https://host:port/v1/", "host:port") reduced to host[:port]. */
static int key_matches(const char *key, const char *host)
{
	const char *k = strstr(key, "://");
	size_t n;
	k = k ? k + 3 : key;
	n = strcspn(k, "/");
	return n == strlen(host) && !strncasecmp(k, host, n);
}

/* base64(user:password) into c. */
static enum al_code decode_auth(const char *b64, const char *file, struct al_registry_cred *c,
				struct al_err *err)
{
	unsigned char raw[sizeof(c->user) + sizeof(c->password)];
	size_t len = 0;
	char *colon;
	enum al_code rc = AL_OK;
	if (sodium_base642bin(raw, sizeof(raw) - 1, b64, strlen(b64), NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return al_fail(err, AL_EINVAL, "'%s': an 'auth' entry is not base64 of user:password", file);
	raw[len] = '\0';
	colon = strchr((char *)raw, ':');
	if (!colon || memchr(raw, '\0', len) || colon == (char *)raw ||
	    (size_t)(colon - (char *)raw) >= sizeof(c->user) || strlen(colon + 1) >= sizeof(c->password))
		rc = al_fail(err, AL_EINVAL, "'%s': an 'auth' entry is not base64 of user:password", file);
	else {
		memcpy(c->user, raw, (size_t)(colon - (char *)raw));
		c->user[colon - (char *)raw] = '\0';
		snprintf(c->password, sizeof(c->password), "%s", colon + 1);
		for (char *u = c->user; *u; u++) /* it goes into messages */
			if ((unsigned char)*u < 0x20 || *u == 0x7f || *u == '\'')
				*u = '?';
		snprintf(c->from, sizeof(c->from), "user '%.200s' from %.90s", c->user, file);
	}
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

enum al_code al_registry_auth_lookup(const char *file, int missing_ok, const char *host,
				     struct al_registry_cred *c, int *found, struct al_err *err)
{
	struct al_buf b;
	json_t *doc = NULL, *auths, *v;
	const char *key, *a;
	enum al_code rc;
	*found = 0;
	memset(c, 0, sizeof(*c));
	al_buf_init(&b, MAX_AUTH_FILE);
	rc = al_read_file(file, 0, &b, err);
	if (rc == AL_ENOENT && missing_ok) {
		al_err_clear(err);
		rc = AL_OK;
	} else if (!rc) {
		rc = al_json_parse(b.data, b.len, file, &doc, err);
		if (rc == AL_EVERIFY)
			rc = err->code = AL_EINVAL;
	}
	if (b.data)
		sodium_memzero(b.data, b.len);
	al_buf_release(&b);
	auths = json_object_get(doc, "auths");
	if (!rc && doc && auths && !json_is_object(auths))
		rc = al_fail(err, AL_EINVAL, "'%s': 'auths' is not a mapping", file);
	json_object_foreach(auths, key, v) {
		if (rc || !key_matches(key, host))
			continue;
		a = al_json_str(v, "auth");
		if (!a || !*a)
			rc = al_fail(err, AL_EINVAL, "'%s': the entry for '%s' has no 'auth' (only user:password in base64 is read)",
				     file, key);
		else if (!(rc = decode_auth(a, file, c, err)))
			*found = 1;
		break;
	}
	json_decref(doc); /* (jansson frees the strings; the file's copy was wiped above) */
	return rc;
}

/* ---- the pull ---- */

struct manifest {
	struct al_buf bytes;
	char digest[7 + AL_HEX_LEN + 1];
	const char *mt;                 /* one of the four media types (static) */
	json_t *doc;
};

struct reg {
	struct al_fetch_opts o;         /* the caller's, with this registry's credential */
	struct al_docker_ref ref;
	const char *what;               /* "docker://…" */
	char *api;                      /* "https://HOST/v2/REPO" */
	struct al_registry_cred cred;
	int have_cred, authed;
	char *token, *token_from;
	struct manifest *m;             /* [0] the top; then an index's chosen children */
	size_t nm, capm;
	struct al_fetch_item *items;    /* config and layers, each digest once */
	size_t nitems, capitems;
};

static void reg_release(struct reg *g)
{
	for (size_t i = 0; i < g->nm; i++) {
		al_buf_release(&g->m[i].bytes);
		json_decref(g->m[i].doc);
	}
	free(g->m);
	for (size_t i = 0; i < g->nitems; i++)
		al_fetch_item_release(&g->items[i]);
	free(g->items);
	if (g->token)
		sodium_memzero(g->token, strlen(g->token));
	free(g->token);
	free(g->token_from);
	free(g->api);
	al_registry_cred_wipe(&g->cred);
	al_docker_ref_release(&g->ref);
}

void al_registry_opts(struct al_fetch_opts *dst, const struct al_fetch_opts *o)
{
	*dst = *o;
	dst->token = dst->user = dst->password = NULL;
	dst->token_from = NULL;
	dst->auth_hint = " (give --registry-auth FILE)";
}

int al_registry_plain(const char *host, const char *const *plain)
{
	size_t n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":");
	for (const char *const *p = plain; p && *p; p++)
		if (strlen(*p) == n && !strncasecmp(*p, host, n))
			return 1;
	return 0;
}

/* The API base: https://, or http:// to a --plain-http host (loopback too: TLS is the default there). */
static enum al_code reg_init(struct reg *g, const struct al_fetch_opts *o, const char *ref, struct al_err *err)
{
	int docker_io, found = 0;
	enum al_code rc;
	memset(g, 0, sizeof(*g));
	al_registry_opts(&g->o, o);
	g->what = ref;
	if ((rc = al_docker_ref_parse(ref, &g->ref, err)))
		return rc;
	docker_io = !strcmp(g->ref.host, "docker.io");
	g->api = al_strf("%s://%s/v2/%s%s", !docker_io && al_registry_plain(g->ref.host, o->plain_http) ? "http" : "https",
			 docker_io ? "registry-1.docker.io" : g->ref.host,
			 docker_io && !strchr(g->ref.repo, '/') ? "library/" : "", g->ref.repo);
	if (!g->api)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (o->registry_auth) {
		rc = al_registry_auth_lookup(o->registry_auth, o->registry_auth_from == NULL, g->ref.host, &g->cred,
					     &found, err);
		if (!rc && !found && docker_io)
			rc = al_registry_auth_lookup(o->registry_auth, o->registry_auth_from == NULL, "index.docker.io",
						     &g->cred, &found, err);
	}
	g->have_cred = found;
	return rc;
}

/* "&scope=A&scope=B…" for each space-separated scope of each of `scopes`, escaped; fresh. */
static char *scope_params(const char *const *scopes)
{
	struct al_buf b;
	char *out = NULL;
	al_buf_init(&b, 64 << 10);
	for (const char *const *sc = scopes; *sc; sc++) {
		for (const char *p = *sc; *p;) {
			size_t n = strcspn(p, " ");
			char *one = n ? strndup(p, n) : NULL;
			if (n && !one) {
				al_buf_release(&b);
				return NULL;
			}
			if (one) {
				al_buf_adds(&b, "&scope=", NULL);
				al_buf_add_url(&b, one, "", NULL);
			}
			free(one);
			p += n + (p[n] == ' ');
		}
	}
	if (!al_buf_check(&b, NULL))
		out = b.data ? al_buf_take(&b, NULL) : strdup("");
	al_buf_release(&b);
	return out;
}

enum al_code al_registry_token(const struct al_fetch_opts *o, const struct al_registry_cred *cred,
			       const struct al_challenge *c, const char *const *scopes, const char *what, char **token,
			       char **token_from, struct al_err *err)
{
	struct al_fetch_opts to = *o;
	char *ev = curl_easy_escape(NULL, c->service ? c->service : "", 0), *sp = scope_params(scopes);
	char *url = ev && sp ? al_strf("%s%cservice=%s%s", c->realm, strchr(c->realm, '?') ? '&' : '?', ev, sp) : NULL;
	const char *tok;
	json_t *j = NULL;
	enum al_code rc;
	*token = *token_from = NULL;
	to.token = NULL;
	to.user = cred ? cred->user : NULL;
	to.password = cred ? cred->password : NULL;
	to.token_from = cred ? cred->from : NULL;
	rc = url ? al_fetch_json(&to, url, 1, what, MAX_TOKEN_ANSWER, &j, NULL, err)
		 : al_fail(err, AL_ENOMEM, "out of memory");
	tok = al_json_str(j, "token");
	if (!rc && (!tok || !*tok))
		tok = al_json_str(j, "access_token");
	if (!rc && (!tok || !*tok || strcspn(tok, " \t\r\n\"") != strlen(tok)))
		rc = al_fail(err, AL_EIO, "'%s': the token service %s answered no usable 'token'", what, c->realm);
	if (!rc && (!(*token = strdup(tok)) ||
		    !(*token_from = al_strf("%s for %s", c->realm, cred ? cred->from : "anonymous access")))) {
		free(*token);
		*token = NULL;
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	}
	json_decref(j); /* (jansson's copy of the token goes with it) */
	free(url);
	free(sp);
	curl_free(ev);
	return rc;
}

/* A pull token: the challenge's scope, else this repository's pull. */
static enum al_code get_token(struct reg *g, const struct al_challenge *c, struct al_err *err)
{
	char *scope = c->scope ? NULL : al_strf("repository:%s:pull", g->ref.repo);
	const char *scopes[] = { c->scope ? c->scope : scope, NULL };
	enum al_code rc = scopes[0] ? al_registry_token(&g->o, g->have_cred ? &g->cred : NULL, c, scopes, g->what,
						       &g->token, &g->token_from, err)
				    : al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc) {
		g->o.token = g->token;
		g->o.token_from = g->token_from;
	}
	free(scope);
	return rc;
}

static enum al_code no_credential(const struct reg *g, const char *url, struct al_err *err)
{
	if (!g->o.registry_auth)
		return al_fail(err, AL_EINVAL,
			       "'%s': the registry %s asks for a password (HTTP 401 from %s) and there is no auth file (give --registry-auth FILE)",
			       g->what, g->ref.host, url);
	return al_fail(err, AL_EINVAL,
		       "'%s': the registry %s asks for a password (HTTP 401 from %s) and '%s' holds none for '%s' (give --registry-auth FILE)",
		       g->what, g->ref.host, url, g->o.registry_auth, g->ref.host);
}

/* Answers a 401's challenge: a Bearer token, or the Basic credential. */
static enum al_code authenticate(struct reg *g, const char *challenge, const char *url, struct al_err *err)
{
	struct al_challenge c;
	enum al_code rc;
	if (!challenge[0])
		return al_fail(err, AL_EIO, "'%s': HTTP 401 from %s without a WWW-Authenticate challenge", g->what, url);
	if ((rc = al_challenge_parse(challenge, &c, err)))
		return al_err_prefix(err, "'%s' (%s)", g->what, url);
	if (!strcasecmp(c.scheme, "Bearer") && c.realm) {
		rc = get_token(g, &c, err);
	} else if (!strcasecmp(c.scheme, "Basic") && g->have_cred) {
		g->o.user = g->cred.user;
		g->o.password = g->cred.password;
		g->o.token_from = g->cred.from;
	} else if (!strcasecmp(c.scheme, "Basic")) {
		rc = no_credential(g, url, err);
	} else {
		rc = al_fail(err, AL_EINVAL, "'%s': the registry %s asks for '%s' authentication (HTTP 401 from %s), which airlock does not speak",
			     g->what, g->ref.host, c.scheme, url);
	}
	al_challenge_release(&c);
	g->authed = !rc;
	return rc;
}

/* The media type of a fetched manifest: its own mediaType, else the Content-Type; one of the four. */
static enum al_code manifest_type(struct reg *g, const char *url, const json_t *doc, const char *ctype,
				  struct manifest *m, struct al_err *err)
{
	static const char *const known[] = { AL_MT_OCI_MANIFEST, AL_MT_OCI_INDEX, AL_MT_DOCKER_MANIFEST,
					     AL_MT_DOCKER_LIST };
	const char *own = al_json_str(doc, "mediaType");
	size_t cn = strcspn(ctype, "; ");
	json_int_t sv = json_integer_value(json_object_get(doc, "schemaVersion"));
	if (own && cn && (strlen(own) != cn || strncasecmp(own, ctype, cn)))
		return al_fail(err, AL_EIO, "'%s': %s came as '%.*s' but says it is '%s'", g->what, url, (int)cn, ctype, own);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (own ? !strcmp(own, known[i]) : strlen(known[i]) == cn && !strncasecmp(ctype, known[i], cn))
			m->mt = known[i];
	if (!m->mt)
		return al_fail(err, AL_EINVAL, "'%s': %s has the unsupported media type '%s' (airlock carries OCI and Docker v2 images and indexes)",
			       g->what, url, own ? own : cn ? ctype : "(none)");
	if (sv != 2)
		return al_fail(err, AL_EINVAL, "'%s': %s is not schemaVersion 2", g->what, url);
	return AL_OK;
}

/* Fetches the manifest `reference` into a new g->m, answering a first 401, and checks it
 * against `expect` ("sha256:…" or "") and the registry's Docker-Content-Digest. */
static enum al_code get_manifest(struct reg *g, const char *reference, const char *expect, struct al_err *err)
{
	struct al_fetch_answer ans = { 0 };
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1], *url = al_strf("%s/manifests/%s", g->api, reference);
	struct manifest *m;
	enum al_code rc;
	if (!url)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if ((rc = al_array_grow(&g->m, &g->capm, g->nm + 1, sizeof(*g->m), err))) {
		free(url);
		return rc;
	}
	m = &g->m[g->nm++];
	memset(m, 0, sizeof(*m));
	al_buf_init(&m->bytes, AL_MAX_MANIFEST);
	ans.allow_401 = !g->authed;
	rc = al_fetch_get(&g->o, url, MANIFEST_ACCEPT, g->authed, g->what, &m->bytes, &ans, err);
	if (!rc && ans.status == 401 && !(rc = authenticate(g, ans.challenge, url, err))) {
		memset(&ans, 0, sizeof(ans));
		rc = al_fetch_get(&g->o, url, MANIFEST_ACCEPT, 1, g->what, &m->bytes, &ans, err);
	}
	if (!rc)
		rc = al_sha256_mem(m->bytes.data ? m->bytes.data : "", m->bytes.len, d, err);
	if (!rc) {
		al_hex(d, hex);
		snprintf(m->digest, sizeof(m->digest), "sha256:%s", hex);
		if (expect[0] && strcmp(expect, m->digest))
			rc = al_fail(err, AL_EVERIFY, "digest mismatch for '%s' (%s): expected %s, got %s", g->what, url, expect,
				     m->digest);
		else if (ans.digest[0] && strcmp(ans.digest, m->digest))
			rc = al_fail(err, AL_EVERIFY, "digest mismatch for '%s' (%s): the registry's Docker-Content-Digest is %s, the bytes received are %s",
				     g->what, url, ans.digest, m->digest);
	}
	if (!rc && (rc = al_json_parse(m->bytes.data, m->bytes.len, url, &m->doc, err)) == AL_EVERIFY)
		rc = err->code = AL_EIO; /* malformed JSON from upstream is an upstream failure */
	if (!rc)
		rc = manifest_type(g, url, m->doc, ans.ctype, m, err);
	free(url);
	return rc;
}

/* Whether an index entry's platform is `want` ("os/arch" matches every variant). */
static int platform_is(const json_t *desc, const char *want)
{
	const json_t *pl = json_object_get(desc, "platform");
	const char *os = al_json_str(pl, "os"), *arch = al_json_str(pl, "architecture");
	const char *var = al_json_str(pl, "variant");
	size_t on, an;
	if (!os || !arch)
		return 0;
	on = strlen(os);
	an = strlen(arch);
	if (strncmp(want, os, on) || want[on] != '/' || strncmp(want + on + 1, arch, an))
		return 0;
	want += on + 1 + an;
	return !*want || (*want == '/' && var && !strcmp(want + 1, var));
}

/* Keeps the index entries of the spec's platforms (each must have one) and fetches them. */
static enum al_code pick_platforms(struct reg *g, char *const *platforms, json_t *kept, struct al_err *err)
{
	json_t *arr = json_object_get(g->m[0].doc, "manifests"), *d;
	size_t i, n = json_array_size(arr);
	enum al_code rc = AL_OK;
	if (!platforms || !*platforms)
		return al_fail(err, AL_EINVAL, "'%s' is an index of %zu images: list the ones to carry in the spec's 'platforms' (e.g. [linux/amd64])",
			       g->what, n);
	for (char *const *w = platforms; *w; w++) {
		int any = 0;
		json_array_foreach(arr, i, d) any |= platform_is(d, *w);
		if (!any)
			return al_fail(err, AL_ENOENT, "'%s' (%s) holds no image for the platform '%s'", g->what, g->m[0].digest, *w);
	}
	json_array_foreach(arr, i, d) {
		const char *dg = al_json_str(d, "digest");
		int want = 0;
		for (char *const *w = platforms; *w && !want; w++)
			want = platform_is(d, *w);
		if (!want)
			continue;
		if (!al_digest_valid(dg) || strncmp(dg, "sha256:", 7))
			return al_fail(err, AL_EINVAL, "'%s': an entry of index %s has no sha256 digest", g->what, g->m[0].digest);
		if ((rc = get_manifest(g, dg, dg, err)))
			return rc;
		if (al_mt_is_index(g->m[g->nm - 1].mt) ||
		    (uint64_t)json_integer_value(json_object_get(d, "size")) != g->m[g->nm - 1].bytes.len)
			return al_fail(err, AL_EVERIFY, "'%s': the manifest %s does not match its entry in index %s (nested index or size)",
				       g->what, dg, g->m[0].digest);
		if (json_array_append(kept, d))
			return al_fail(err, AL_ENOMEM, "out of memory");
	}
	return rc;
}

/* Adds the config and layers of a manifest to fetch, each digest once. */
static enum al_code add_blobs(struct reg *g, const json_t *man, struct al_err *err)
{
	const json_t *layers = json_object_get(man, "layers");
	size_t n = json_array_size(layers);
	enum al_code rc = AL_OK;
	if (!json_is_object(json_object_get(man, "config")) || !json_is_array(layers))
		return al_fail(err, AL_EINVAL, "'%s': a manifest lacks its config or layers", g->what);
	for (size_t i = 0; i <= n && !rc; i++) {
		const json_t *d = i ? json_array_get(layers, i - 1) : json_object_get(man, "config");
		const char *dg = al_json_str(d, "digest");
		json_int_t size = json_integer_value(json_object_get(d, "size"));
		int seen = 0;
		if (!al_digest_valid(dg) || strncmp(dg, "sha256:", 7) || !json_is_integer(json_object_get(d, "size")) ||
		    size < 0)
			return al_fail(err, AL_EINVAL, "'%s': a descriptor lacks a sha256 digest or a size", g->what);
		for (size_t k = 0; k < g->nitems && !seen; k++)
			seen = !strcmp(g->items[k].expect, dg + 7);
		if (seen || (rc = al_array_grow(&g->items, &g->capitems, g->nitems + 1, sizeof(*g->items), err)))
			continue;
		struct al_fetch_item *it = &g->items[g->nitems++];
		memset(it, 0, sizeof(*it));
		it->url = al_strf("%s/blobs/%s", g->api, dg);
		it->what = al_strf("docker://%s/%s@%s", g->ref.host, g->ref.repo, dg);
		snprintf(it->expect, sizeof(it->expect), "%s", dg + 7);
		it->check = AL_CHECK_SHA256;
		it->size = size;
		it->auth = g->authed;
		if (!it->url || !it->what)
			rc = al_fail(err, AL_ENOMEM, "out of memory");
	}
	return rc;
}

/* A blob of the layout: bytes (a manifest) written, or a cache entry linked. */
static enum al_code put_blob(const char *dir, const char *digest, const void *bytes, size_t n, const char *cached,
			     struct al_err *err)
{
	char *path = al_strf("%s/blobs/sha256/%s", dir, digest + 7);
	enum al_code rc = AL_OK;
	if (!path)
		return al_fail(err, AL_ENOMEM, "out of memory");
	if (cached && link(cached, path) != 0 && errno != EEXIST)
		rc = al_fail_errno(err, AL_EIO, "cannot link '%s' to '%s' (the layout is made under the cache)", cached, path);
	else if (!cached)
		rc = al_write_atomic(path, bytes, n, err);
	free(path);
	return rc;
}

/* index.json (the top tagged AL_PULL_TAG) and oci-layout, after every blob. */
static enum al_code put_index(const char *dir, const char *mt, const char *digest, size_t size, struct al_err *err)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	json_t *ix = json_pack("{s:i, s:s, s:[{s:s, s:s, s:I, s:{s:s}}]}", "schemaVersion", 2, "mediaType", AL_MT_OCI_INDEX,
			       "manifests", "mediaType", mt, "digest", digest, "size", (json_int_t)size, "annotations",
			       AL_ANN_REF, AL_PULL_TAG);
	char *p1 = al_strf("%s/index.json", dir), *p2 = al_strf("%s/oci-layout", dir);
	struct al_buf b;
	enum al_code rc;
	al_buf_init(&b, AL_MAX_MANIFEST);
	if (!ix || !p1 || !p2)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	else if (!(rc = al_json_dump(ix, 0, &b, err)) && !(rc = al_write_atomic(p2, layout, sizeof(layout) - 1, err)))
		rc = al_write_atomic(p1, b.data, b.len, err);
	al_buf_release(&b);
	json_decref(ix);
	free(p1);
	free(p2);
	return rc;
}

/* An index cut down to `kept`, naming the registry's index: a new document, written as a blob. */
static enum al_code put_cut_index(const char *dir, const struct manifest *orig, json_t *kept, char digest[],
				  size_t *size, struct al_err *err)
{
	json_t *ix = json_pack("{s:i, s:s, s:O, s:{s:s}}", "schemaVersion", 2, "mediaType", AL_MT_OCI_INDEX, "manifests",
			       kept, "annotations", AL_ANN_SOURCE_INDEX, orig->digest);
	unsigned char d[AL_DIGEST_LEN];
	char hex[AL_HEX_LEN + 1];
	struct al_buf b;
	enum al_code rc;
	al_buf_init(&b, AL_MAX_MANIFEST);
	if (!ix)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	else if (!(rc = al_json_dump(ix, 0, &b, err)) && !(rc = al_sha256_mem(b.data, b.len, d, err))) {
		al_hex(d, hex);
		snprintf(digest, 7 + AL_HEX_LEN + 1, "sha256:%s", hex);
		*size = b.len;
		rc = put_blob(dir, digest, b.data, b.len, NULL, err);
	}
	al_buf_release(&b);
	json_decref(ix);
	return rc;
}

static enum al_code write_layout(struct reg *g, const char *dir, json_t *kept, struct al_err *err)
{
	char *blobs = al_strf("%s/blobs/sha256", dir);
	char digest[7 + AL_HEX_LEN + 1];
	size_t size = g->m[0].bytes.len;
	int cut = kept && json_array_size(kept) < json_array_size(json_object_get(g->m[0].doc, "manifests"));
	enum al_code rc = blobs ? al_mkdirs(blobs, err) : al_fail(err, AL_ENOMEM, "out of memory");
	free(blobs);
	for (size_t i = 0; !rc && i < g->nm; i++)
		rc = put_blob(dir, g->m[i].digest, g->m[i].bytes.data, g->m[i].bytes.len, NULL, err);
	for (size_t i = 0; !rc && i < g->nitems; i++) {
		char dg[7 + AL_HEX_LEN + 1];
		snprintf(dg, sizeof(dg), "sha256:%s", g->items[i].sha256);
		rc = put_blob(dir, dg, NULL, 0, g->items[i].path, err);
	}
	snprintf(digest, sizeof(digest), "%s", g->m[0].digest);
	if (!rc && cut)
		rc = put_cut_index(dir, &g->m[0], kept, digest, &size, err);
	if (!rc)
		rc = put_index(dir, cut ? AL_MT_OCI_INDEX : g->m[0].mt, digest, size, err);
	return rc;
}

enum al_code al_registry_pull(const struct al_fetch_opts *o, struct al_pull *p, struct al_err *err)
{
	struct reg g;
	json_t *kept = NULL;
	enum al_code rc = reg_init(&g, o, p->ref, err);
	if (!rc)
		rc = get_manifest(&g, g.ref.tag ? g.ref.tag : g.ref.digest, g.ref.digest, err); /* TAG@PIN: the tag must hold the pin */
	if (!rc) {
		snprintf(p->digest, sizeof(p->digest), "%s", g.m[0].digest);
		if (al_mt_is_index(g.m[0].mt))
			rc = (kept = json_array()) ? pick_platforms(&g, p->platforms, kept, err)
						   : al_fail(err, AL_ENOMEM, "out of memory");
	}
	for (size_t i = kept ? 1 : 0; !rc && i < g.nm; i++)
		rc = add_blobs(&g, g.m[i].doc, err);
	if (!rc)
		rc = al_fetch_all(&g.o, g.items, g.nitems, err);
	if (!rc)
		rc = write_layout(&g, p->dir, kept, err);
	json_decref(kept);
	reg_release(&g);
	return rc;
}
