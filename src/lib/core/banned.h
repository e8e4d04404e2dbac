/* SPDX-License-Identifier: Apache-2.0 */
/*
 * banned.h: the C library functions airlock never calls, made compile errors.
 * meson.build force-includes it in every source file of the project (after
 * the system headers that declare them, which it includes first, so their
 * declarations are not themselves errors). Each has a bounded or checked
 * replacement:
 *   strcpy, strcat, sprintf, vsprintf   al_buf_*, snprintf, memcpy with a size
 *   gets                                fgets, or getline
 *   strtok, strtok_r                    a length-carrying scan (memchr)
 *   atoi, atol, atoll                   strtol/strtoull with an end check
 *   sscanf, fscanf, vsscanf             a strict parser (sv_parse_u64, strtoull)
 *   mktemp, tmpnam, tempnam             mkstemp, O_EXCL (al_* temp files)
 * (scanf itself is not poisoned: libfyaml's header names it in a format
 * attribute, and nothing here reads standard input with it.)
 */
#ifndef AL_BANNED_H
#define AL_BANNED_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#pragma GCC poison strcpy strcat sprintf vsprintf gets strtok strtok_r atoi atol atoll
#pragma GCC poison sscanf fscanf vsscanf mktemp tmpnam tempnam

#endif
