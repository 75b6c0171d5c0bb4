/*
 * lib/prandom.h - the one pseudo-random generator: xorshift64*.
 *
 * Fault injection, the fragmentation workloads and the host tests all
 * want a small, fast, seedable and replayable sequence, not a secure one.
 * xorshift64* (Marsaglia's xorshift with shifts 12, 25, 27, then a
 * multiply by 0x2545f4914f6cdd1d) passes the common statistical batteries
 * in its high bits and keeps one 64-bit word of state. The state must not
 * be 0 (the generator would stay there): callers seed it with a non-zero
 * value, each with its own default.
 */
#ifndef LIB_PRANDOM_H
#define LIB_PRANDOM_H

#include <stdint.h>

/* Advance the non-zero state *@state and return the next 64-bit value. */
static inline uint64_t prandom_u64_state(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

#endif
