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

/*
 * Around the call a target tests: in the allocation-failure replays
 * (AL_ALLOC_FAIL, see allocfail.c) the injector counts and fails allocations
 * only between FUZZ_ON and FUZZ_OFF, so the target's own checks and round
 * trips run whole, and a failure there is the library's. The call must then
 * fail with AL_ENOMEM and a message, and leave nothing allocated; the target
 * stops there. Elsewhere they do nothing.
 */
#ifdef AL_ALLOC_FAIL
void al_allocfail_on(void);
void al_allocfail_off(void);
#define FUZZ_ON() al_allocfail_on()
#define FUZZ_OFF() al_allocfail_off()
#else
#define FUZZ_ON() ((void)0)
#define FUZZ_OFF() ((void)0)
#endif

#endif
