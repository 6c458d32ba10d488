/* Counters for GET /metrics in the Prometheus text format: requests by route and status,
 * a latency histogram, bytes streamed and open streams. Updated on the service loop only. */
#ifndef SEGUE_METRICS_H
#define SEGUE_METRICS_H

#include <stdint.h>

#include "buf.h"

#define METRICS_MAX_ROUTES 96
#define METRICS_BUCKETS 12

struct route_stats {
	const char *route;          /* the route pattern; static */
	const char *method;
	uint64_t by_status[6];      /* 1xx..5xx, index = status / 100 */
	uint64_t latency[METRICS_BUCKETS + 1]; /* cumulative buckets are computed when printing */
	double latency_sum;         /* seconds */
	uint64_t count;
};

struct metrics {
	struct route_stats routes[METRICS_MAX_ROUTES];
	int nroutes;
	uint64_t bytes_streamed;
	int64_t open_streams;
	uint64_t streams_started;
	uint64_t stream_refusals;
	uint64_t quick_requests;    /* answered beside lws (http/quick.h) */
	int64_t start_unix;
};

extern const double metrics_bucket_bounds[METRICS_BUCKETS]; /* seconds */

void metrics_request(struct metrics *m, const char *method, const char *route, int status,
                     double seconds);
void metrics_render(const struct metrics *m, struct buf *out);

#endif
