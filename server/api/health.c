#include "config.h"
#include "api/handlers.h"

#include "catalog/watcher.h"
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

/* The catalog's withdrawn tracks, and what the library watcher has done when there is one. */
static void library_metrics(struct req *r, struct buf *out)
{
	const struct library_stats *st;
	long long withdrawn = store_tracks_withdrawn(&r->srv->store);

	if (withdrawn >= 0)
		buf_printf(out, "# HELP segue_tracks_withdrawn Tracks withdrawn: no source file of theirs is left.\n"
		                "# TYPE segue_tracks_withdrawn gauge\n"
		                "segue_tracks_withdrawn %lld\n", withdrawn);
	if (!r->srv->library)
		return;
	st = library_watch_stats(r->srv->library);
	buf_printf(out, "# HELP segue_library_scans_total Scans of the library folders: at start, of changes, full again.\n"
	                "# TYPE segue_library_scans_total counter\n"
	                "segue_library_scans_total %llu\n"
	                "# HELP segue_library_files Files of the last scan, by what became of them.\n"
	                "# TYPE segue_library_files gauge\n"
	                "segue_library_files{state=\"found\"} %d\n"
	                "segue_library_files{state=\"added\"} %d\n"
	                "segue_library_files{state=\"known\"} %d\n"
	                "segue_library_files{state=\"failed\"} %d\n"
	                "segue_library_files{state=\"gone\"} %d\n"
	                "# HELP segue_library_last_scan_seconds How long the last scan took.\n"
	                "# TYPE segue_library_last_scan_seconds gauge\n"
	                "segue_library_last_scan_seconds %.3f\n"
	                "# HELP segue_library_tracks_withdrawn_total Tracks the scans withdrawn.\n"
	                "# TYPE segue_library_tracks_withdrawn_total counter\n"
	                "segue_library_tracks_withdrawn_total %llu\n"
	                "# HELP segue_library_tracks_restored_total Withdrawn tracks the scans brought back.\n"
	                "# TYPE segue_library_tracks_restored_total counter\n"
	                "segue_library_tracks_restored_total %llu\n"
	                "# HELP segue_library_watches Folders inotify watches.\n"
	                "# TYPE segue_library_watches gauge\n"
	                "segue_library_watches %ld\n"
	                "# HELP segue_library_polling 1 when inotify cannot watch everything and full scans repeat.\n"
	                "# TYPE segue_library_polling gauge\n"
	                "segue_library_polling %d\n",
	           atomic_load(&st->scans), atomic_load(&st->files), atomic_load(&st->added),
	           atomic_load(&st->known), atomic_load(&st->failed), atomic_load(&st->forgotten),
	           (double)atomic_load(&st->last_scan_us) / 1e6, atomic_load(&st->withdrawn),
	           atomic_load(&st->restored), atomic_load(&st->watches), atomic_load(&st->polling) ? 1 : 0);
}

void h_metrics(struct req *r)
{
	struct buf out = BUF_INIT;

	metrics_render(&r->srv->metrics, &out);
	library_metrics(r, &out);
	transcoder_metrics(&r->srv->transcodes, &out);
	recommender_metrics(&r->srv->recs, &out);
	reply_text(r, 200, "text/plain; version=0.0.4", out.p ? out.p : "");
	buf_free(&out);
}
