#include "config.h"
#include "recs/pfor.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

struct pfor_job {
	void (*fn)(void *ctx, int64_t lo, int64_t hi, int thread);
	void *ctx;
	int64_t n, chunk;
	atomic_llong next;
	const atomic_bool *stop;
};

struct pfor_arg {
	struct pfor_job *job;
	int thread;
};

static void *pfor_worker(void *v)
{
	struct pfor_arg *a = v;
	struct pfor_job *j = a->job;

	for (;;) {
		int64_t lo = atomic_fetch_add(&j->next, j->chunk);

		if (lo >= j->n || (j->stop && *j->stop))
			break;
		j->fn(j->ctx, lo, lo + j->chunk < j->n ? lo + j->chunk : j->n, a->thread);
	}
	return NULL;
}

void pfor(int threads, int64_t n, int64_t chunk, void (*fn)(void *ctx, int64_t lo, int64_t hi, int thread),
          void *ctx, const atomic_bool *stop)
{
	struct pfor_job job = { .fn = fn, .ctx = ctx, .n = n, .chunk = chunk > 0 ? chunk : 1, .stop = stop };
	pthread_t tid[PFOR_MAX_THREADS];
	struct pfor_arg args[PFOR_MAX_THREADS];
	int started = 0;

	atomic_init(&job.next, 0);
	if (threads < 1)
		threads = 1;
	if (threads > PFOR_MAX_THREADS)
		threads = PFOR_MAX_THREADS;
	/* A thread that cannot be started leaves its share to the others. */
	for (int t = 1; t < threads; t++) {
		args[t] = (struct pfor_arg){ &job, t };
		if (pthread_create(&tid[t], NULL, pfor_worker, &args[t]) != 0)
			break;
		started = t;
	}
	args[0] = (struct pfor_arg){ &job, 0 };
	pfor_worker(&args[0]);
	for (int t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
}

int pfor_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > PFOR_MAX_THREADS ? PFOR_MAX_THREADS : (int)n;
}
