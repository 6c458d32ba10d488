#include "config.h"
#include "fixture.h"

#include <ftw.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accounts/apikeys.h"
#include "accounts/auth.h"
#include "accounts/guard.h"
#include "accounts/users.h"
#include "api/routes.h"
#include "connect/hub.h"
#include "connect/ws.h"
#include "fuzz.h"
#include "log.h"
#include "recs/model.h"
#include "store/store_db.h"
#include "store/subsonic.h"

static struct fixture fx;
static char data_dir[256];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_data_dir(void)
{
	if (data_dir[0])
		nftw(data_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A small catalog, with ids the seeds name: artist ...Ar1, album ...Al1, tracks ...Tr1
 * to ...Tr3 (no audio files: a stream of them is a 404). */
static void make_catalog(struct store *st)
{
	static const char sql[] =
		"BEGIN;"
		"INSERT INTO artists (id, name, created_at) VALUES ('0000000000000000000Ar1', 'Fuzz Quartet', 0);"
		"INSERT INTO albums (id, name, artist_id, release_date, created_at)"
		" VALUES ('0000000000000000000Al1', 'Edge Cases', '0000000000000000000Ar1', '2020-01-01', 0);"
		"INSERT INTO tracks (id, name, album_id, artist_id, duration_ms, genre, popularity, play_count, created_at)"
		" VALUES ('0000000000000000000Tr1', 'Zero Length', '0000000000000000000Al1', '0000000000000000000Ar1', 1000, 'rock', 10, 1, 0),"
		" ('0000000000000000000Tr2', 'Off By One', '0000000000000000000Al1', '0000000000000000000Ar1', 200000, 'rock', 50, 7, 0),"
		" ('0000000000000000000Tr3', 'Überlauf', '0000000000000000000Al1', '0000000000000000000Ar1', 3600000, 'jazz', 90, 3, 0);"
		"COMMIT;";

	fuzz_check(store_exec(st, sql) == 0, "cannot write the catalog");
}

static void stop_workers(void)
{
	recommender_stop(&fx.srv->recs);
	searcher_stop(&fx.srv->search);
}

static bool model_ready(struct server *srv)
{
	struct recs_model *m = recommender_get(&srv->recs);

	recs_model_unref(m);
	return m != NULL;
}

/* Search and recommendations answer 503 until their first build: wait for it, so that a
 * 503 from a fuzzed request means something. */
static void start_workers(struct server *srv)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };

	fuzz_check(searcher_start(&srv->search, srv->cfg.data_dir, srv->cfg.popularity_interval) == 0 &&
	           recommender_start(&srv->recs, &srv->cfg) == 0, "cannot start the workers");
	atexit(stop_workers);
	for (int i = 0; i < 3000 && (!searcher_get(&srv->search) || !model_ready(srv)); i++)
		nanosleep(&pause, NULL);
	fuzz_check(searcher_get(&srv->search) && model_ready(srv), "the first index and model never came");
}


static void make_user(const char *name, char *id, char *authz)
{
	struct server *srv = fx.srv;
	struct token_pair tp;
	struct user u;
	char err[256];

	fuzz_check(user_create(&srv->store, name, "fuzzing-password", true, "SE", err, sizeof err) == USER_OK,
	           "user %s: %s", name, err);
	fuzz_check(user_get(&srv->store, name, &u) == USER_OK, "user %s", name);
	snprintf(id, 72, "%s", u.id);
	fuzz_check(auth_issue(&srv->store, u.id, 86400, 86400, &tp) == 0, "token for %s", name);
	snprintf(authz, 600, "Bearer %s", tp.access);
}

/* The Subsonic credentials of the first user: an API key, and the Subsonic password
 * "fuzz-subsonic" (for u+p and u+t+s seeds). */
static void make_apikey(void)
{
	unsigned char sealed[SUBSONIC_SEALED_MAX];
	struct apikey_made k;
	size_t len;

	fuzz_check(apikey_create(&fx.srv->store, fx.user_id, "fuzz", &k) == APIKEY_OK, "an API key");
	snprintf(fx.apikey, sizeof fx.apikey, "%s", k.key);
	len = subsonic_pw_seal(&fx.srv->subsonic_key, fx.user_id, "fuzz-subsonic", sealed);
	fuzz_check(store_subsonic_pw_set(&fx.srv->store, fx.user_id, sealed, len, 1) == 1,
	           "a Subsonic password");
}

struct req *fixture_req(struct fixture *f, enum http_method m, const char *path,
                        const char *authorization)
{
	static const char *const names[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS" };
	struct req *r = calloc(1, sizeof *r);

	fuzz_check(r != NULL, "out of memory");
	r->ctx = &f->srv->http;
	r->srv = f->srv;
	r->method = m;
	r->method_name = names[__builtin_ctz((unsigned)m)];
	r->fd = -1;
	r->content_length = -1;
	snprintf(r->path, sizeof r->path, "%s", path);
	snprintf(r->host, sizeof r->host, "127.0.0.1:8080");
	if (authorization)
		snprintf(r->authorization, sizeof r->authorization, "%s", authorization);
	return r;
}

void fixture_req_free(struct req *r)
{
	if (r->pending && r->gone)
		r->gone(r->holder); /* as http.c does when the connection goes first */
	for (int i = 0; i < r->nargs; i++) {
		free(r->args[i].name);
		free(r->args[i].value);
	}
	free(r->args);
	for (int i = 0; i < r->nparams; i++)
		free(r->params[i]);
	if (r->fd >= 0)
		close(r->fd);
	buf_free(&r->body);
	buf_free(&r->out);
	free(r->head);
	free(r);
}

static void make_playlist(void)
{
	char path[160];
	struct req *r;
	json_t *j;

	snprintf(path, sizeof path, "/v1/users/%s/playlists", fx.user_id);
	r = fixture_req(&fx, M_POST, path, fx.auth);
	buf_puts(&r->body, "{\"name\":\"fuzz\",\"public\":true,\"collaborative\":false}");
	r->content_length = (long long)r->body.len;
	routes_dispatch(r);
	fuzz_check(r->status == 201, "creating the playlist: %d %.*s", r->status, (int)r->out.len, r->out.p);
	j = json_loadb(r->out.p, r->out.len, 0, NULL);
	snprintf(fx.playlist_id, sizeof fx.playlist_id, "%s", json_string_value(json_object_get(j, "id")));
	json_decref(j);
	fixture_req_free(r);
}

struct fixture *fixture_get(void)
{
	static bool made;
	struct server *srv;
	struct lws_context_creation_info info;
	const char *tmp = getenv("TMPDIR");
	long limits[RL_NCATEGORIES] = { 0 };
	char err[512];

	if (made)
		return &fx;
	made = true;
	log_set_level(LOG_ERR);
	lws_set_log_level(0, NULL);
	snprintf(data_dir, sizeof data_dir, "%s/segue-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fuzz_check(mkdtemp(data_dir) != NULL, "mkdtemp %s", data_dir);
	atexit(remove_data_dir);

	fx.srv = srv = calloc(1, sizeof *srv);
	fuzz_check(srv != NULL, "out of memory");
	settings_defaults(&srv->cfg);
	snprintf(srv->cfg.data_dir, sizeof srv->cfg.data_dir, "%s", data_dir);
	snprintf(srv->media_dir, sizeof srv->media_dir, "%s/media", data_dir);
	snprintf(srv->images_dir, sizeof srv->images_dir, "%s/images", data_dir);
	fuzz_check(store_open(&srv->store, data_dir, err, sizeof err) == 0 &&
	           keyring_open(&srv->keys, &srv->store, data_dir, err, sizeof err) == 0 &&
	           licence_keys_open(&srv->licences, &srv->store, data_dir, err, sizeof err) == 0 &&
	           subsonic_key_open(&srv->subsonic_key, &srv->store, data_dir, err, sizeof err) == 0, "%s", err);
	/* Limits no fuzzer reaches: every input should reach its handler. */
	for (int i = 0; i < RL_NCATEGORIES; i++)
		limits[i] = 1L << 40;
	fuzz_check(ratelimit_init(&srv->rl, 1 << 10, 60, limits) == 0, "ratelimit_init");
	/* Login throttling as serve sets it up: the sign-in paths run through it. */
	fuzz_check(server_guard_init(srv) == 0, "server_guard_init");

	server_http_init(srv);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.user = &srv->http;
	info.max_http_header_data = HTTP_HEADER_DATA;
	info.max_http_header_pool = 16;
	info.timeout_secs = 30;
	srv->lws = lws_create_context(&info);
	fuzz_check(srv->lws != NULL, "lws_create_context");
	fuzz_check((srv->hub = server_hub_new(srv)) != NULL, "server_hub_new");
	srv->http.upgrade_ud = srv->hub;

	make_catalog(&srv->store);
	start_workers(srv);
	make_user("fuzzer", fx.user_id, fx.auth);
	make_user("other", fx.other_id, fx.other_auth);
	make_playlist();
	make_apikey();
	return &fx;
}
