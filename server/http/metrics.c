#include "config.h"
#include "http/metrics.h"

#include <string.h>
#include <time.h>

const double metrics_bucket_bounds[METRICS_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
};

static struct route_stats *find(struct metrics *m, const char *method, const char *route)
{
	for (int i = 0; i < m->nroutes; i++)
		if (m->routes[i].route == route && m->routes[i].method == method)
			return &m->routes[i];
	if (m->nroutes == METRICS_MAX_ROUTES)
		return NULL;
	m->routes[m->nroutes].route = route;
	m->routes[m->nroutes].method = method;
	return &m->routes[m->nroutes++];
}

void metrics_request(struct metrics *m, const char *method, const char *route, int status,
                     double seconds)
{
	struct route_stats *r = find(m, method, route);
	int b = 0;

	if (!r)
		return;
	if (status >= 100 && status < 600)
		r->by_status[status / 100]++;
	while (b < METRICS_BUCKETS && seconds > metrics_bucket_bounds[b])
		b++;
	r->latency[b]++;
	r->latency_sum += seconds;
	r->count++;
}

void metrics_render(const struct metrics *m, struct buf *out)
{
	buf_puts(out, "# HELP segue_http_requests_total HTTP requests by route and status class.\n"
	              "# TYPE segue_http_requests_total counter\n");
	for (int i = 0; i < m->nroutes; i++)
		for (int s = 1; s < 6; s++)
			if (m->routes[i].by_status[s])
				buf_printf(out, "segue_http_requests_total{method=\"%s\",route=\"%s\",status=\"%dxx\"} %llu\n",
				           m->routes[i].method, m->routes[i].route, s,
				           (unsigned long long)m->routes[i].by_status[s]);
	buf_puts(out, "# HELP segue_http_request_duration_seconds Time from request to response.\n"
	              "# TYPE segue_http_request_duration_seconds histogram\n");
	for (int i = 0; i < m->nroutes; i++) {
		const struct route_stats *r = &m->routes[i];
		uint64_t cum = 0;

		for (int b = 0; b < METRICS_BUCKETS; b++) {
			cum += r->latency[b];
			buf_printf(out, "segue_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %llu\n",
			           r->method, r->route, metrics_bucket_bounds[b], (unsigned long long)cum);
		}
		buf_printf(out, "segue_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n",
		           r->method, r->route, (unsigned long long)r->count);
		buf_printf(out, "segue_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n",
		           r->method, r->route, r->latency_sum);
		buf_printf(out, "segue_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %llu\n",
		           r->method, r->route, (unsigned long long)r->count);
	}
	buf_printf(out, "# HELP segue_stream_bytes_total Audio bytes sent.\n"
	                "# TYPE segue_stream_bytes_total counter\n"
	                "segue_stream_bytes_total %llu\n"
	                "# HELP segue_streams_open Audio responses in progress.\n"
	                "# TYPE segue_streams_open gauge\n"
	                "segue_streams_open %lld\n"
	                "# HELP segue_streams_total Audio responses started.\n"
	                "# TYPE segue_streams_total counter\n"
	                "segue_streams_total %llu\n"
	                "# HELP segue_stream_refusals_total Audio requests refused (bad or expired signature).\n"
	                "# TYPE segue_stream_refusals_total counter\n"
	                "segue_stream_refusals_total %llu\n"
	                "# HELP segue_http_quick_requests_total Requests answered on the quick path (kept-alive audio ranges).\n"
	                "# TYPE segue_http_quick_requests_total counter\n"
	                "segue_http_quick_requests_total %llu\n"
	                "# HELP segue_start_time_seconds When this server started.\n"
	                "# TYPE segue_start_time_seconds gauge\n"
	                "segue_start_time_seconds %lld\n",
	           (unsigned long long)m->bytes_streamed, (long long)m->open_streams,
	           (unsigned long long)m->streams_started, (unsigned long long)m->stream_refusals,
	           (unsigned long long)m->quick_requests, (long long)m->start_unix);
}
