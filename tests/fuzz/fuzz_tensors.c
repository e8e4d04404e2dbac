/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_tensors.c: what a model file hands the header checks (tensors.h): any bytes, read
 * as safetensors and as GGUF through a memory file.
 *
 * Checks: the only errors are memory and reading; a header judged not ok says why, one
 * judged ok says nothing; a GGUF without the magic is never ok.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "tensors.h"

static void one(int fd, size_t size, int gguf, const uint8_t *data)
{
	struct al_tensors t;
	struct al_err err = { 0 };
	enum al_code rc;
	FUZZ_ON();
	rc = gguf ? al_gguf_check(fd, size, &t, &err) : al_safetensors_check(fd, size, &t, &err);
	FUZZ_OFF();
	if (rc && ((rc != AL_ENOMEM && rc != AL_EIO) || !err.msg[0]))
		AL_BUG("a header check that failed other than for memory or reading");
	if (!rc && t.ok == !!t.why[0])
		AL_BUG("a verdict that does not match its reason");
	if (!rc && gguf && t.ok && (size < 4 || memcmp(data, "GGUF", 4)))
		AL_BUG("a GGUF without its magic judged ok");
	al_tensors_release(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-tensors", MFD_CLOEXEC);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		AL_BUG("cannot make the memory file");
	one(fd, size, 0, data);
	one(fd, size, 1, data);
	close(fd);
	return 0;
}
