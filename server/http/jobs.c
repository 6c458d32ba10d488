#include "config.h"
#include "http/jobs.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

#define JOBS_MAX_THREADS 4

static void *run(void *arg)
{
	struct jobs *q = arg;

	pthread_mutex_lock(&q->w.lock);
	for (;;) {
		struct job *j;

		while (!q->todo && worker_wait(&q->w, -1))
			;
		if (q->w.stop)
			break;
		j = q->todo;
		q->todo = j->next;
		pthread_mutex_unlock(&q->w.lock);
		j->work(j);
		pthread_mutex_lock(&q->w.lock);
		j->next = q->finished;
		q->finished = j;
		/* the one lws call that is safe from another thread */
		lws_cancel_service(q->lws);
	}
	pthread_mutex_unlock(&q->w.lock);
	return NULL;
}

int jobs_start(struct jobs *q, struct lws_context *lws, int threads)
{
	memset(q, 0, sizeof *q);
	q->lws = lws;
	return worker_start(&q->w, threads < JOBS_MAX_THREADS ? threads : JOBS_MAX_THREADS, run, q);
}

/* The request went away: the job's result has nowhere to go. */
static void job_gone(void *holder)
{
	struct job *j = holder;

	j->r = NULL;
}

static void free_list(struct job *j)
{
	while (j) {
		struct job *next = j->next;

		if (j->r)
			req_defer(j->r, NULL, NULL);
		free(j);
		j = next;
	}
}

void jobs_stop(struct jobs *q)
{
	if (!q->w.ready)
		return;
	worker_stop(&q->w);
	free_list(q->todo);
	free_list(q->finished);
	q->todo = q->finished = NULL;
}

void jobs_submit(struct jobs *q, struct job *j, struct req *r)
{
	j->r = r;
	req_defer(r, job_gone, j);
	pthread_mutex_lock(&q->w.lock);
	j->next = q->todo;
	q->todo = j;
	pthread_cond_signal(&q->w.wake);
	pthread_mutex_unlock(&q->w.lock);
}

void jobs_drain(struct jobs *q)
{
	struct job *j;

	pthread_mutex_lock(&q->w.lock);
	j = q->finished;
	q->finished = NULL;
	pthread_mutex_unlock(&q->w.lock);
	while (j) {
		struct job *next = j->next;
		struct req *r = j->r;

		if (r) {
			req_defer(r, NULL, NULL);
			j->done(r, j);
			http_resume(r);
		}
		free(j);
		j = next;
	}
}
