/* Browsing the catalog as a whole: GET /v1/browse/new-releases (the latest releases) and
 * GET /v1/markets (where its tracks play). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "http/jobs.h"
#include "log.h"
#include "server.h"
#include "store/browse.h"
#include "store/store.h"

#define RELEASES_MAX 50

struct releases {
	struct req *r;
	json_t *items;
};

static int take_release(void *ud, const char *album_id)
{
	struct releases *l = ud;
	json_t *a = api_album_simple(l->r, album_id, NULL);

	if (a)
		json_array_append_new(l->items, a);
	return 0;
}

/* Each album with its available_markets. The reference of today takes limit and offset
 * alone; the country older clients send is checked and does not filter (the list would have
 * to walk every album to count those of one market). */
void h_new_releases(struct req *r)
{
	const char *country = req_arg(r, "country");
	struct releases l = { .r = r };
	int limit, offset;
	long long total;

	if (country && (strlen(country) != 2 || country[0] < 'A' || country[0] > 'Z' ||
	                country[1] < 'A' || country[1] > 'Z')) {
		reply_error(r, 400, "invalid country \"%.16s\": use an ISO 3166-1 alpha-2 code", country);
		return;
	}
	if (api_int_arg(r, "limit", 20, 1, RELEASES_MAX, &limit) < 0 ||
	    api_int_arg(r, "offset", 0, 0, 100000, &offset) < 0)
		return;
	if ((total = store_albums_available(&r->srv->store)) < 0)
		goto fail;
	l.items = json_array();
	if (store_albums_newest(&r->srv->store, offset, limit, take_release, &l) < 0) {
		json_decref(l.items);
		goto fail;
	}
	reply_json(r, 200, json_pack("{s:o}", "albums", api_paging(r, l.items, limit, offset, total)));
	return;
fail:
	reply_error(r, 500, "database error");
}

/* A set of market codes; ISO 3166-1 has fewer than 256. */
struct market_set {
	char code[256][3];
	int n;
};

static int add_markets(void *ud, const char *list)
{
	struct market_set *m = ud;

	for (const char *p = list; *p; ) {
		size_t len = strcspn(p, ",");
		int k;

		if (len == 2) {
			for (k = 0; k < m->n && memcmp(m->code[k], p, 2); k++)
				;
			if (k == m->n && m->n < 256) {
				memcpy(m->code[m->n], p, 2);
				m->code[m->n++][2] = '\0';
			}
		}
		p += len + (p[len] == ',');
	}
	return 0;
}

static int code_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The answer as last read, and the tracks version then (store_tracks_version, which ingest
 * and withdrawals move, and play counts and popularity do not): reading every track's
 * markets costs a third of a second at 1,000,000 tracks, and they change only with ingest.
 * Handlers and jobs' done run on the service loop alone, so nothing else touches these. */
static const struct server *markets_srv;
static json_t *markets_kept;
static long long markets_head = -1;

/* The read itself runs on a worker (http/jobs.h), over a connection of its own: a third of
 * a second on the loop would hold every other request, audio and Connect alike. */
struct markets_job {
	struct job job;      /* (jobs frees the whole, done run or not: nothing here is on the heap) */
	const struct server *srv;
	long long head;      /* the tracks version before the read: the answer is at least this new */
	char database[sizeof ((struct settings *)0)->database > sizeof ((struct settings *)0)->data_dir
	              ? sizeof ((struct settings *)0)->database : sizeof ((struct settings *)0)->data_dir];
	char configured[sizeof ((struct settings *)0)->markets]; /* the server's own markets */
	bool ok;
	char err[256];
	struct market_set set; /* the answer, sorted */
};

static void markets_work(struct job *j)
{
	struct markets_job *mj = (struct markets_job *)j;
	struct store s;

	if (store_open(&s, mj->database, mj->err, sizeof mj->err) < 0)
		return;
	add_markets(&mj->set, mj->configured);
	if (store_track_market_lists(&s, add_markets, &mj->set) < 0) {
		snprintf(mj->err, sizeof mj->err, "cannot read the tracks' markets");
	} else {
		qsort(mj->set.code, (size_t)mj->set.n, sizeof mj->set.code[0], code_cmp);
		mj->ok = true;
	}
	store_close(&s);
}

static void markets_done(struct req *r, struct job *j)
{
	struct markets_job *mj = (struct markets_job *)j;
	json_t *list;

	if (!mj->ok) {
		log_err("markets: %s", mj->err);
		reply_error(r, 500, "database error");
		return;
	}
	list = json_array();
	for (int i = 0; i < mj->set.n; i++)
		json_array_append_new(list, json_string(mj->set.code[i]));
	/* Kept unless a newer read was kept meanwhile. */
	if (mj->srv != markets_srv || !markets_kept || mj->head >= markets_head) {
		json_decref(markets_kept);
		markets_kept = json_incref(list);
		markets_head = mj->head;
		markets_srv = mj->srv;
	}
	reply_json(r, 200, json_pack("{s:o}", "markets", list));
}

/* The server's markets and every market a track names for itself. */
void h_markets(struct req *r)
{
	long long head = store_tracks_version(&r->srv->store);
	struct markets_job *mj;

	if (head >= 0 && head == markets_head && markets_srv == r->srv && markets_kept) {
		reply_json(r, 200, json_pack("{s:O}", "markets", markets_kept));
		return;
	}
	if (!(mj = calloc(1, sizeof *mj))) {
		reply_error(r, 500, "out of memory");
		return;
	}
	snprintf(mj->database, sizeof mj->database, "%s", settings_database(&r->srv->cfg));
	snprintf(mj->configured, sizeof mj->configured, "%s", r->srv->cfg.markets);
	mj->srv = r->srv;
	mj->head = head;
	mj->job.work = markets_work;
	mj->job.done = markets_done;
	jobs_submit(&r->srv->jobs, &mj->job, r);
}
