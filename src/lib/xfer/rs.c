/* SPDX-License-Identifier: Apache-2.0 */
/* rs.c: Reed–Solomon erasure coding with ISA-L (rs.h). */
#include "rs.h"

#include <isa-l/erasure_code.h>
#include <stdlib.h>
#include <string.h>

enum al_code al_rs_encode(unsigned k, unsigned m, unsigned char **data, unsigned char **parity, size_t len,
			  struct al_err *err)
{
	unsigned char *a = malloc((size_t)(k + m) * k), *tbls = malloc((size_t)32 * k * (m ? m : 1));
	if (!a || !tbls) {
		free(a);
		free(tbls);
		return al_fail(err, AL_ENOMEM, "out of memory");
	}
	if (m) {
		gf_gen_cauchy1_matrix(a, (int)(k + m), (int)k);
		ec_init_tables((int)k, (int)m, a + (size_t)k * k, tbls);
		ec_encode_data((int)len, (int)k, (int)m, tbls, data, parity);
	}
	free(a);
	free(tbls);
	return AL_OK;
}

enum al_code al_rs_decode(unsigned k, unsigned m, const unsigned *surv, unsigned char **in, const unsigned *lost,
			  unsigned nl, unsigned char **out, size_t len, struct al_err *err)
{
	unsigned char *a = malloc((size_t)(k + m) * k), *sq = malloc((size_t)k * k), *inv = malloc((size_t)k * k);
	unsigned char *dec = malloc((size_t)k * (nl ? nl : 1)), *tbls = malloc((size_t)32 * k * (nl ? nl : 1));
	enum al_code rc = AL_OK;
	if (!a || !sq || !inv || !dec || !tbls)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	if (!rc) {
		gf_gen_cauchy1_matrix(a, (int)(k + m), (int)k);
		for (unsigned i = 0; i < k; i++)
			memcpy(sq + (size_t)i * k, a + (size_t)surv[i] * k, k);
		if (gf_invert_matrix(sq, inv, (int)k))
			rc = al_fail(err, AL_EIO, "internal: the surviving rows' matrix is singular");
	}
	if (!rc && nl) {
		for (unsigned x = 0; x < nl; x++)
			memcpy(dec + (size_t)x * k, inv + (size_t)lost[x] * k, k);
		ec_init_tables((int)k, (int)nl, dec, tbls);
		ec_encode_data((int)len, (int)k, (int)nl, tbls, in, out);
	}
	free(a);
	free(sq);
	free(inv);
	free(dec);
	free(tbls);
	return rc;
}
