/* Slow work off the service loop. A handler that must do something slow (hashing a password
 * with argon2id takes ~90 ms) fills a job, submits it and returns with the request pending;
 * a worker thread runs job->work, and the loop, woken by lws_cancel_service, runs job->done
 * and sends the response. work must not touch the request, lws or the loop's store; done
 * runs on the loop and may. If the connection closes first, done is skipped. */
#ifndef SEGUE_JOBS_H
#define SEGUE_JOBS_H

#include <stdbool.h>

#include "worker.h"

struct req;
struct lws_context;
struct job;

typedef void (*job_work_fn)(struct job *j);
typedef void (*job_done_fn)(struct req *r, struct job *j);

/* Embed as the first member of a larger struct allocated with malloc; jobs frees it. */
struct job {
	job_work_fn work;
	job_done_fn done;
	struct req *r;     /* loop thread only; NULL once the request is gone */
	struct job *next;
};

struct jobs {
	struct worker w; /* its lock guards the lists */
	struct job *todo, *finished;
	struct lws_context *lws;
};

int jobs_start(struct jobs *q, struct lws_context *lws, int threads);
void jobs_stop(struct jobs *q);
/* Takes ownership of j and marks r pending. */
void jobs_submit(struct jobs *q, struct job *j, struct req *r);
/* Runs done for finished jobs (service loop, on LWS_CALLBACK_EVENT_WAIT_CANCELLED). */
void jobs_drain(struct jobs *q);

#endif
