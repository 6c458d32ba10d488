#include "config.h"
#include "jobs.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

static void *worker(void *arg)
{
	struct jobs *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct job *j;

		while (!q->todo && !q->stop)
			pthread_cond_wait(&q->wake, &q->lock);
		if (q->stop)
			break;
		j = q->todo;
		q->todo = j->next;
		pthread_mutex_unlock(&q->lock);
		j->work(j);
		pthread_mutex_lock(&q->lock);
		j->next = q->finished;
		q->finished = j;
		/* the one lws call that is safe from another thread */
		lws_cancel_service(q->lws);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int jobs_start(struct jobs *q, struct lws_context *lws, int threads)
{
	memset(q, 0, sizeof *q);
	q->lws = lws;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	if (threads > (int)(sizeof q->threads / sizeof q->threads[0]))
		threads = (int)(sizeof q->threads / sizeof q->threads[0]);
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&q->threads[i], NULL, worker, q) != 0)
			break;
		q->nthreads++;
	}
	return q->nthreads ? 0 : -1;
}

static void free_list(struct job *j)
{
	while (j) {
		struct job *next = j->next;

		if (j->r)
			j->r->job = NULL;
		free(j);
		j = next;
	}
}

void jobs_stop(struct jobs *q)
{
	if (!q->nthreads)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_broadcast(&q->wake);
	pthread_mutex_unlock(&q->lock);
	for (int i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	free_list(q->todo);
	free_list(q->finished);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->wake);
	q->nthreads = 0;
}

void jobs_submit(struct jobs *q, struct job *j, struct req *r)
{
	j->r = r;
	r->job = j;
	r->pending = true;
	pthread_mutex_lock(&q->lock);
	j->next = q->todo;
	q->todo = j;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
}

void jobs_drain(struct jobs *q)
{
	struct job *j;

	pthread_mutex_lock(&q->lock);
	j = q->finished;
	q->finished = NULL;
	pthread_mutex_unlock(&q->lock);
	while (j) {
		struct job *next = j->next;
		struct req *r = j->r;

		if (r) {
			r->job = NULL;
			j->done(r, j);
			http_resume(r);
		}
		free(j);
		j = next;
	}
}
