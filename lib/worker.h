/* Background threads with a lock, a wake-up and a stop flag: start, wake, wait with or
 * without a deadline, stop and join. Written once for every long-lived worker of both
 * programs (the server's job queue, search worker and recommender). The owner's own state
 * lives beside it and is guarded by w->lock, which the thread function holds while it looks
 * at that state and releases in worker_wait. */
#ifndef SEGUE_WORKER_H
#define SEGUE_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define WORKER_MAX_THREADS 8

struct worker {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t threads[WORKER_MAX_THREADS];
	int nthreads;
	bool ready;       /* the lock and wake-up exist (from worker_start to worker_stop) */
	atomic_bool stop; /* set once, by worker_stop; long work may poll it without the lock */
};

/* Starts n threads (at most WORKER_MAX_THREADS) running fn(arg). Returns 0 when at least
 * one started (w->nthreads says how many), -1 when none did; the lock is usable either way
 * until worker_stop. */
int worker_start(struct worker *w, int n, void *(*fn)(void *), void *arg);
/* Sets stop, wakes every thread and joins them; the lock and wake-up are then destroyed.
 * Harmless after a start that failed, and a second time. */
void worker_stop(struct worker *w);
/* Wakes one waiting thread (all with every). Takes the lock itself. */
void worker_wake(struct worker *w, bool every);
/* With w->lock held: waits until woken, stopped, or ms milliseconds pass (ms < 0: no
 * deadline). Returns false once stop is set. */
bool worker_wait(struct worker *w, long ms);

#endif
