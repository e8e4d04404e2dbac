/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pymarker.h: environment markers (PEP 508), the text after ';' on a
 * requirement line, evaluated for a target (pytags.h) instead of the machine
 * running airlock, with the semantics of pip 23's packaging 21.3: a comparison
 * whose right side makes a valid version specifier with its operator compares
 * versions, any other compares strings; `in` and `not in` test substrings.
 *
 * The target's environment: python_version "X.Y", python_full_version and
 * implementation_version "X.Y.Z" (Z is 0 when the spec gives "X.Y"),
 * implementation_name "cpython", platform_python_implementation "CPython",
 * sys_platform "linux"/"win32", platform_system "Linux"/"Windows", os_name
 * "posix"/"nt", platform_machine as that OS spells the architecture, extra "".
 * platform_release and platform_version cannot be known for a target: a marker
 * that uses them is refused, as is any parse error or an `===` comparison.
 */
#ifndef AL_PYMARKER_H
#define AL_PYMARKER_H

#include "err.h"
#include "pyreq.h"
#include "pytags.h"

/* *yes is 1 when `marker` (NUL-terminated, borrowed) holds for t. AL_EINVAL quotes the marker. */
enum al_code al_pymarker_eval(const char *marker, const struct al_pytarget *t, int *yes, struct al_err *err);

/*
 * Which requirements of the file apply to t: applies[k] (caller's array of reqs->n) is 1
 * when reqs->v[k] has no marker or its marker holds. A marker that cannot be evaluated,
 * or a name that applies twice, is AL_EINVAL naming the file and line.
 */
enum al_code al_pyreqs_applying(const struct al_pyreqs *reqs, const struct al_pytarget *t,
				unsigned char *applies, struct al_err *err);

#endif
