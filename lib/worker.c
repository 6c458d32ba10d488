/* Background threads. See worker.h. */
#include "config.h"
#include "worker.h"

#include <string.h>
#include <time.h>

int worker_start(struct worker *w, int n, void *(*fn)(void *), void *arg)
{
	memset(w, 0, sizeof *w);
	atomic_init(&w->stop, false);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	w->ready = true;
	if (n > WORKER_MAX_THREADS)
		n = WORKER_MAX_THREADS;
	for (int i = 0; i < n; i++) {
		if (pthread_create(&w->threads[i], NULL, fn, arg) != 0)
			break;
		w->nthreads++;
	}
	return w->nthreads ? 0 : -1;
}

void worker_stop(struct worker *w)
{
	if (!w->ready)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	w->nthreads = 0;
	w->ready = false;
}

void worker_wake(struct worker *w, bool every)
{
	pthread_mutex_lock(&w->lock);
	if (every)
		pthread_cond_broadcast(&w->wake);
	else
		pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

bool worker_wait(struct worker *w, long ms)
{
	struct timespec until;

	if (w->stop)
		return false;
	if (ms < 0) {
		pthread_cond_wait(&w->wake, &w->lock);
		return !w->stop;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&w->wake, &w->lock, &until);
	return !w->stop;
}
