#include "config.h"
#include "api/handlers.h"

#include "server.h"

void h_healthz(struct req *r)
{
	sqlite3_stmt *st = store_stmt(&r->srv->store, "SELECT count(*) FROM tracks");

	if (!st || sqlite3_step(st) != SQLITE_ROW) {
		reply_json(r, 503, json_pack("{s:s,s:s}", "status", "unavailable", "reason", "database"));
		return;
	}
	reply_json(r, 200, json_pack("{s:s,s:I}", "status", "ok", "tracks",
	                             (json_int_t)sqlite3_column_int64(st, 0)));
	sqlite3_reset(st);
}

void h_metrics(struct req *r)
{
	struct buf out = BUF_INIT;

	metrics_render(&r->srv->metrics, &out);
	reply_text(r, 200, "text/plain; version=0.0.4", out.p ? out.p : "");
	buf_free(&out);
}
