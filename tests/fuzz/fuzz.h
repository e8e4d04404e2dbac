/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz.h: the one entry point every fuzz target defines (libFuzzer's), which
 * replay.c calls once per corpus file in the normal build.
 *
 * A target feeds its input to one parser and checks what must hold whatever
 * the input: a failure carries a message, a success is internally consistent,
 * nothing leaks. A broken invariant is a library bug and ends in AL_BUG()
 * (an abort, which both libFuzzer and the test runner see). A target never
 * aborts merely because the input was rejected.
 */
#ifndef AL_FUZZ_H
#define AL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
