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

/*
 * Decoding solves only for what is lost. With the data rows M missing (as many as the
 * parity rows P among the survivors), each parity row p gives
 *   sum over j in M of A[p][j] d_j  =  parity_p + sum over j not in M of A[p][j] d_j
 * (addition is XOR), so d_M = B^-1 (parity_P + A[P][not M] d_not M) with B = A[P][M], a
 * square piece of a Cauchy matrix and so always invertible. Inverting B (|M| rows) instead
 * of the k x k matrix of the survivors keeps a block of 200 rows with 4 lost from costing
 * O(k^3): the coefficients of a lost row come from |M| x k products.
 */
enum al_code al_rs_decode(unsigned k, unsigned m, const unsigned *surv, unsigned char **in, const unsigned *lost,
			  unsigned nl, unsigned char **out, size_t len, struct al_err *err)
{
	unsigned char *a = malloc((size_t)(k + m) * k), *dec = malloc((size_t)k * (nl ? nl : 1));
	unsigned char *tbls = malloc((size_t)32 * k * (nl ? nl : 1)), b[AL_RS_MAX * AL_RS_MAX], inv[AL_RS_MAX * AL_RS_MAX];
	unsigned par[AL_RS_MAX], miss[AL_RS_MAX], np = 0, nm = 0, pos[AL_RS_MAX];
	unsigned char have[AL_RS_MAX] = { 0 };
	enum al_code rc = AL_OK;
	if (!a || !dec || !tbls)
		rc = al_fail(err, AL_ENOMEM, "out of memory");
	for (unsigned i = 0; !rc && i < k; i++) {
		if (surv[i] >= k + m || have[surv[i]])
			rc = al_fail(err, AL_EINVAL, "internal: surviving row %u is out of range or given twice", surv[i]);
		else if ((have[surv[i]] = 1) && surv[i] >= k)
			par[np++] = surv[i];
	}
	for (unsigned j = 0; !rc && j < k; j++)
		if (!have[j])
			pos[j] = nm, miss[nm++] = j;
	for (unsigned x = 0; !rc && x < nl; x++)
		if (lost[x] >= k || have[lost[x]])
			rc = al_fail(err, AL_EINVAL, "internal: row %u is not a lost data row", lost[x]);
	if (!rc && np != nm)
		rc = al_fail(err, AL_EINVAL, "internal: %u parity rows for %u lost data rows", np, nm);
	if (!rc && nm) {
		gf_gen_cauchy1_matrix(a, (int)(k + m), (int)k);
		for (unsigned r = 0; r < np; r++)
			for (unsigned c = 0; c < nm; c++)
				b[r * nm + c] = a[(size_t)par[r] * k + miss[c]];
		if (gf_invert_matrix(b, inv, (int)nm))
			rc = al_fail(err, AL_EIO, "internal: the parity rows' matrix is singular");
	}
	for (unsigned x = 0; !rc && x < nl; x++) {
		const unsigned char *row = inv + (size_t)pos[lost[x]] * nm; /* d_lost = row . (parity + A d_known) */
		for (unsigned i = 0, r = 0; i < k; i++) {
			unsigned char c = 0;
			if (surv[i] >= k)
				c = row[r++];
			else
				for (unsigned q = 0; q < np; q++)
					c ^= gf_mul(row[q], a[(size_t)par[q] * k + surv[i]]);
			dec[(size_t)x * k + i] = c;
		}
	}
	if (!rc && nl) {
		ec_init_tables((int)k, (int)nl, dec, tbls);
		ec_encode_data((int)len, (int)k, (int)nl, tbls, in, out);
	}
	free(a);
	free(dec);
	free(tbls);
	return rc;
}
