/*
 * host_lockdep.c - the lock checker's per-CPU state on the host. Threads
 * stand in for CPUs, and two threads may carry the same host_cpu_id (or a
 * thread may switch its id to play another CPU), so a held-lock stack
 * belongs to a thread, not to an id: each thread claims a slot on its
 * first lock and gives it back when it exits. Slots are never freed, so a
 * report that prints every slot never reads released memory.
 */
#include <arch/cpu.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#define HOST_LOCKDEP_SLOTS 256

struct lockdep_cpu;

static void *slots[HOST_LOCKDEP_SLOTS];
static bool slot_used[HOST_LOCKDEP_SLOTS];
static unsigned int slot_cpu[HOST_LOCKDEP_SLOTS];
static pthread_mutex_t slot_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t slot_key;
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;
static __thread int my_slot = -1;

/* Thread exit: the slot is free for the next thread. */
static void slot_release(void *v)
{
	int i = (int)(intptr_t)v - 1;

	pthread_mutex_lock(&slot_mutex);
	__atomic_store_n(&slot_used[i], false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&slot_mutex);
}

static void slot_key_create(void)
{
	pthread_key_create(&slot_key, slot_release);
}

/* This thread's state (@size bytes, zeroed when claimed); NULL if every slot is taken. */
struct lockdep_cpu *host_lockdep_this(unsigned int size)
{
	if (my_slot >= 0)
		return slots[my_slot];
	pthread_once(&slot_once, slot_key_create);
	pthread_mutex_lock(&slot_mutex);
	for (int i = 0; i < HOST_LOCKDEP_SLOTS; i++) {
		if (slot_used[i])
			continue;
		if (!slots[i])
			slots[i] = calloc(1, size);
		else
			memset(slots[i], 0, size);
		if (!slots[i])
			break;
		slot_cpu[i] = host_cpu_id;
		__atomic_store_n(&slot_used[i], true, __ATOMIC_RELEASE);
		my_slot = i;
		break;
	}
	pthread_mutex_unlock(&slot_mutex);
	if (my_slot < 0) {
		fprintf(stderr, "host_lockdep: more than %d threads at once\n", HOST_LOCKDEP_SLOTS);
		abort();
	}
	pthread_setspecific(slot_key, (void *)(intptr_t)(my_slot + 1));
	return slots[my_slot];
}

/* Slot @i's state and the CPU id its thread had when it claimed it; NULL if unused. */
struct lockdep_cpu *host_lockdep_slot(unsigned int i, unsigned int *cpu)
{
	if (i >= HOST_LOCKDEP_SLOTS || !__atomic_load_n(&slot_used[i], __ATOMIC_ACQUIRE))
		return NULL;
	*cpu = slot_cpu[i];
	return slots[i];
}
