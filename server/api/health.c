#include "config.h"
#include "api/handlers.h"

#include "server.h"
#include "store/catalog.h"

void h_healthz(struct req *r)
{
	long long tracks = store_tracks_count(&r->srv->store);

	if (tracks < 0) {
		reply_json(r, 503, json_pack("{s:s,s:s}", "status", "unavailable", "reason", "database"));
		return;
	}
	reply_json(r, 200, json_pack("{s:s,s:I}", "status", "ok", "tracks", (json_int_t)tracks));
}

void h_metrics(struct req *r)
{
	struct buf out = BUF_INIT;

	metrics_render(&r->srv->metrics, &out);
	reply_text(r, 200, "text/plain; version=0.0.4", out.p ? out.p : "");
	buf_free(&out);
}
