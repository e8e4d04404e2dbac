/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_deploy.c: `airlock deploy render` (docs/cmd/deploy.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "store.h"
#include "store_wait.h"

/* "env,pip,images" or "all" into AL_RENDER_* bits; 0 when a name is unknown. */
static unsigned targets(const char *list)
{
	static const struct {
		const char *name;
		unsigned bits;
	} names[] = { { "env", AL_RENDER_ENV },
		      { "pip", AL_RENDER_PIP },
		      { "images", AL_RENDER_IMAGES },
		      { "systemd", AL_RENDER_SYSTEMD },
		      { "compose", AL_RENDER_COMPOSE },
		      { "k8s", AL_RENDER_K8S },
		      { "all", AL_RENDER_ENV | AL_RENDER_PIP | AL_RENDER_IMAGES | AL_RENDER_SYSTEMD | AL_RENDER_COMPOSE |
				       AL_RENDER_K8S } };
	unsigned t = 0;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ","), k;
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strlen(names[k].name) == n && !strncmp(p, names[k].name, n))
				break;
		if (k == sizeof(names) / sizeof(names[0]))
			return 0;
		t |= names[k].bits;
		p += n + (p[n] == ',');
	}
	return t;
}

int cmd_deploy(int argc, char **argv)
{
	static const struct option opts[] = { { "store", required_argument, NULL, 's' },
					      { "release", required_argument, NULL, 'r' },
					      { "target", required_argument, NULL, 't' },
					      { "endpoint", required_argument, NULL, 'e' },
					      { "registry", required_argument, NULL, 'R' },
					      { "output", required_argument, NULL, 'o' },
					      { "json", no_argument, NULL, 'j' },
					      { "model", required_argument, NULL, 'm' },
					      { "image", required_argument, NULL, 'i' },
					      { "server-command", required_argument, NULL, 'c' },
					      { "port", required_argument, NULL, 'p' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct al_render_opts o = { .targets = AL_RENDER_ENV | AL_RENDER_PIP | AL_RENDER_IMAGES };
	struct al_err err = { 0 };
	struct al_store *s = NULL;
	const char *store = NULL;
	json_t *out = NULL, *f;
	size_t i;
	int c, json = 0, code;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return argc < 2 ? cli_usage("deploy", "give a subcommand: render") : cli_help(al_doc_deploy);
	if (strcmp(argv[1], "render"))
		return cli_usage("deploy", "unknown subcommand '%s' (render)", argv[1]);
	argc--, argv++;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': store = optarg; break;
		case 'r': o.release = optarg; break;
		case 'e': o.endpoint = optarg; break;
		case 'R': o.registry = optarg; break;
		case 'o': o.outdir = optarg; break;
		case 'j': json = 1; break;
		case 'm': o.model = optarg; break;
		case 'i': o.image = optarg; break;
		case 'c':
			if (optarg[0] != '/')
				return cli_usage("deploy", "--server-command '%s': an absolute path", optarg);
			o.command = optarg;
			break;
		case 'p':
			o.port = (unsigned)strtoul(optarg, NULL, 10);
			if (strspn(optarg, "0123456789") != strlen(optarg) || !o.port || o.port > 65535)
				return cli_usage("deploy", "--port wants 1 to 65535, not '%s'", optarg);
			break;
		case 't':
			if (!(o.targets = targets(optarg)))
				return cli_usage("deploy",
						 "--target '%s': env, pip, images, systemd, compose, k8s or all, comma-separated",
						 optarg);
			break;
		case 'h': return cli_help(al_doc_deploy);
		default: return cli_usage("deploy", "bad option");
		}
	}
	if (optind != argc || !o.release || !o.endpoint || !o.outdir)
		return cli_usage("deploy", "use 'deploy render --release NAME --endpoint URL -o DIR [--target LIST]'");
	if ((code = cli_store_open(store, 0, 0, &s)))
		return code;
	if (al_deploy_render(s, &o, &out, &err))
		code = cli_fail(&err);
	else if (json)
		cli_json(out), out = NULL;
	else {
		cli_line(stdout, "rendered release '%s' (%s) for %s:", al_json_str(out, "release"), al_json_str(out, "digest"),
			 o.endpoint);
		json_array_foreach(json_object_get(out, "files"), i, f)
			cli_line(stdout, "  %s", json_string_value(f));
	}
	json_decref(out);
	al_store_free(s);
	return code;
}
