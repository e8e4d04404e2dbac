/* SPDX-License-Identifier: Apache-2.0 */
/*
 * allocfail.h: the switch of the allocation-failure injector (allocfail.c),
 * for replay.c built with AL_ALLOC_FAIL.
 */
#ifndef AL_ALLOCFAIL_H
#define AL_ALLOCFAIL_H

/* From now on, the Nth allocation fails (0: none does); resets the count. */
void al_allocfail_arm(unsigned long n);
/* Counting on and off, around the call under test (FUZZ_ON, FUZZ_OFF in fuzz.h). */
void al_allocfail_on(void);
void al_allocfail_off(void);
/* Allocations counted since the last arm. */
unsigned long al_allocfail_seen(void);

#endif
