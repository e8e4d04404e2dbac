/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pickle.h: what a Python pickle would import, read from its opcodes and never unpickled
 * (the first part of the model-file scan; docs/protocols/pickle.md).
 *
 * A pickle runs code by importing a callable (GLOBAL, INST, STACK_GLOBAL, the EXT*
 * extension registry) and calling it (REDUCE, OBJ, NEWOBJ, BUILD): the import is the
 * signal. Every import is listed with where it is, and judged against an allowlist of
 * what PyTorch and NumPy checkpoints use; an import whose name cannot be read (a
 * STACK_GLOBAL over computed values, an EXT* code) is never allowed.
 *
 * Invariants: the scanner reads opcodes and their arguments only, within the bytes
 * given; it never allocates more than the imports it lists (each name at most 256
 * bytes); a pickle that ends early or holds an unknown opcode is "malformed", and the
 * imports read before that point are still listed (a broken pickle may still run them).
 */
#ifndef AL_PICKLE_H
#define AL_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct al_pickle_import {
	char *module, *name;            /* owned; "?" when it cannot be read */
	uint64_t offset;                /* of the opcode that imports, from the start of the bytes */
	char op[16];                    /* "GLOBAL", "INST", "STACK_GLOBAL", "EXT1", … */
	int allowed;                    /* on the allowlist */
};

struct al_pickle_scan {
	struct al_pickle_import *v;
	size_t n, cap;
	size_t pickles;                 /* pickles read (concatenated pickles are read in turn) */
	uint64_t end;                   /* where reading stopped */
	int malformed;                  /* it stopped on something that is not a whole pickle */
	char why[160];                  /* what, when malformed */
};

/*
 * Reads the pickle(s) at p[0..n): one, then each further one that starts with PROTO
 * (legacy PyTorch files hold five), up to the first byte that does not. *s is zeroed
 * first and is the caller's to release with al_pickle_scan_release in every case.
 * Errors: AL_ENOMEM only (a malformed pickle is a finding, not an error).
 */
enum al_code al_pickle_scan(const unsigned char *p, size_t n, struct al_pickle_scan *s, struct al_err *err);
void al_pickle_scan_release(struct al_pickle_scan *s);

/* Whether MODULE.NAME is on the allowlist (pure; for tests and the documentation). */
int al_pickle_allowed(const char *module, const char *name);

/* The most of one pickle that is read into memory to be scanned (more is a finding). */
enum { AL_PICKLE_MAX = 64 << 20 };

/* One pickle found in a file: the file itself, a member of a zip, or an .npy's payload. */
struct al_pickle_part {
	char *where;                    /* "" (the file), the zip member's name, or "(npy payload)" (owned) */
	struct al_pickle_scan scan;
};

struct al_pickle_file {
	const char *format;             /* "pickle", "pytorch-zip" (a zip, as torch.save writes), "npy",
					   "npy-numeric" (no pickle in it), "none" (no pickle at all) */
	struct al_pickle_part *v;
	size_t n, cap;
};

/*
 * Finds and scans the pickles of the file at PATH, by what it is, not what it is called:
 * a zip (PK\3\4: every member named *.pkl or starting with PROTO), an .npy (\x93NUMPY:
 * the payload, when its dtype holds Python objects), a pickle (starting with PROTO, or
 * any file named *.pkl, *.pickle or *.joblib). A pickle larger than AL_PICKLE_MAX is read
 * that far and is malformed ("larger than … : not scanned to its end"). *f is zeroed first
 * and released with al_pickle_file_release in every case. Errors: reading (AL_EIO, naming
 * the file), a zip libarchive cannot read (AL_EIO), memory.
 */
enum al_code al_pickle_scan_file(const char *path, struct al_pickle_file *f, struct al_err *err);
/* As al_pickle_scan_file, for a file stored under another name (a blob named by its digest):
 * NAME, its own name, is what the file name rule reads. */
enum al_code al_pickle_scan_named(const char *path, const char *name, struct al_pickle_file *f,
				  struct al_err *err);
void al_pickle_file_release(struct al_pickle_file *f);

#endif
