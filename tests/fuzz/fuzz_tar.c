/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_tar.c: verifying a tar bundle (al_bundle_verify): the streaming tar
 * reader, then the whole strict check (SHA256SUMS, oci-layout, index.json,
 * manifests, airlock.json), re-reading small files from the tar.
 *
 * The input is written to a temporary file in $TMPDIR (the API takes a path)
 * and removed afterwards. Checks: a damaged bundle is a verification failure
 * (AL_EVERIFY, exit 1), never an operational error (one known exception
 * below); a failure says why; a success has an empty report and a complete
 * info.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "fsx.h"
#include "fuzz.h"

/* Writes data to a new temporary file; its path (caller frees), or NULL. */
static char *write_temp(const uint8_t *data, size_t size)
{
	const char *dir = getenv("TMPDIR");
	char *path = al_join(dir && *dir ? dir : "/tmp", "airlock-fuzz-XXXXXX");
	size_t done = 0;
	int fd;
	if (!path)
		return NULL;
	fd = mkstemp(path);
	if (fd < 0) {
		free(path);
		return NULL;
	}
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			unlink(path);
			free(path);
			return NULL;
		}
		done += (size_t)n;
	}
	if (close(fd) != 0) {
		unlink(path);
		free(path);
		return NULL;
	}
	return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct al_report rep = { 0 };
	struct al_bundle_info info = { 0 };
	struct al_err err = { 0 };
	enum al_code rc;
	char *path = write_temp(data, size);
	if (!path) {
		perror("fuzz_tar: cannot write a temporary file in $TMPDIR");
		abort(); /* the harness failed, not the library */
	}
	FUZZ_ON();
	rc = al_bundle_verify(path, &rep, &info, NULL, &err);
	FUZZ_OFF();
	unlink(path);
	free(path);
	if (rc == AL_OK) {
		if (al_report_count(&rep) != 0)
			AL_BUG("a verified bundle has problems in its report");
		if (!info.name || al_bundle_name_bad(info.name) || !json_is_object(info.meta) ||
		    info.version < 1 || !al_digest_valid(info.sums_digest))
			AL_BUG("a verified bundle has incomplete info");
		for (size_t i = 0; i < info.nartifacts; i++)
			if (!info.artifacts[i].name || !al_digest_valid(info.artifacts[i].digest))
				AL_BUG("a verified bundle has an incomplete artifact");
	} else if (rc == AL_ENOMEM && err.msg[0]) {
		/* (allocation-failure mode) */
	} else if (rc != AL_EVERIFY) {
		fprintf(stderr, "fuzz_tar: code %d: %s\n", (int)rc, err.msg);
		AL_BUG("a damaged tar is an operational error, not a verification failure");
	} else if (al_report_count(&rep) == 0) {
		AL_BUG("a verification failure without a problem in the report");
	}
	al_bundle_info_release(&info);
	al_report_release(&rep);
	return 0;
}
