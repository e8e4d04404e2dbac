/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pytags.h: the wheel tags (PEP 425) a target Python on a target platform
 * accepts, best first, in the order pip 23 (packaging 21.3's cpython_tags then
 * compatible_tags) gives them when told `--python-version X.Y --platform P…`.
 *
 * A target is built from the spec's `python:` ("3.11" or "3.11.4") and one of
 * its `platforms:` ("linux/amd64"). The spec's platform names no C library, so
 * a Linux target is glibc 2.17 unless the caller raises `libc_minor` (or picks
 * musl) before building the tags; docs/protocols/pypi-client.md §3 has the
 * mapping. Only CPython is targeted.
 */
#ifndef AL_PYTAGS_H
#define AL_PYTAGS_H

#include <stddef.h>

#include "err.h"

enum al_pylibc { AL_PYLIBC_NONE = 0, AL_PYLIBC_GLIBC, AL_PYLIBC_MUSL };

enum { AL_PYTAGS_GLIBC_MINOR = 17, AL_PYTAGS_MUSL_MINOR = 1 };

struct al_pytarget {
	unsigned major, minor, micro;	 /* micro is 0 when the spec gives "X.Y" (as pip does) */
	char os[16];			 /* "linux" or "windows" */
	char arch[16];			 /* the wheel tag's spelling: x86_64, aarch64, i686, … */
	enum al_pylibc libc;		 /* GLIBC or MUSL on Linux, NONE elsewhere */
	unsigned libc_major, libc_minor; /* the newest C library the target has: 2.17, 1.1 */
	char machine[16];		 /* platform.machine() there: x86_64, AMD64, aarch64, … */
	char platform[32];		 /* the spec's spelling, for messages: linux/amd64 */
};

/*
 * Fills t from "X.Y[.Z]" (X must be 3) and "os/arch[/variant]". Linux targets get
 * glibc 2.AL_PYTAGS_GLIBC_MINOR. An unknown os or arch is AL_EINVAL naming it.
 */
enum al_code al_pytarget_init(struct al_pytarget *t, const char *python, const char *platform,
			      struct al_err *err);
/* Switches a Linux target to musl 1.minor (musllinux tags instead of manylinux). */
enum al_code al_pytarget_musl(struct al_pytarget *t, unsigned minor, struct al_err *err);

struct al_pytags {
	char **tag; /* "cp311-cp311-manylinux_2_17_x86_64", … best first, each once */
	size_t n, cap;
};

/* Builds the list (owned by tags; release with al_pytags_release). */
enum al_code al_pytags_build(const struct al_pytarget *t, struct al_pytags *tags, struct al_err *err);
/* The platform tags alone, best first (as pip's --platform would be given them). */
enum al_code al_pytags_platforms(const struct al_pytarget *t, struct al_pytags *plats, struct al_err *err);
/*
 * The best (lowest) rank among the tags a wheel file name carries
 * ("cp311", "cp311", "manylinux_2_17_x86_64.manylinux2014_x86_64": compressed tag
 * sets are expanded), or -1 when none is supported.
 */
long al_pytags_rank(const struct al_pytags *tags, const char *py, const char *abi, const char *plat);
void al_pytags_release(struct al_pytags *tags);

#endif
