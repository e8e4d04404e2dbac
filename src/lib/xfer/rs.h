/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rs.h: Reed–Solomon erasure coding over GF(2^8) with Intel ISA-L's Cauchy matrix
 * (gf_gen_cauchy1_matrix): k data rows, m parity rows, k + m <= 255; any k rows give back
 * the data. Shared by the media volumes and the diode (docs/protocols/media.md, diode.md).
 */
#ifndef AL_RS_H
#define AL_RS_H

#include <stddef.h>

#include "err.h"

enum { AL_RS_MAX = 255 };

/* The m parity rows PARITY[] of the k rows DATA[], each LEN bytes. */
enum al_code al_rs_encode(unsigned k, unsigned m, unsigned char **data, unsigned char **parity, size_t len,
			  struct al_err *err);
/*
 * The data rows LOST[0..nl) (each < k) from k surviving rows SURV[] (row numbers of the
 * k + m code, distinct) whose bytes are IN[], into OUT[], each LEN bytes.
 */
enum al_code al_rs_decode(unsigned k, unsigned m, const unsigned *surv, unsigned char **in, const unsigned *lost,
			  unsigned nl, unsigned char **out, size_t len, struct al_err *err);

#endif
