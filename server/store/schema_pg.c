/* The PostgreSQL schema, migration by migration (store/schema.h). */
#include "config.h"
#include "store/schema.h"

#include <stddef.h>

const char *const pg_migrations[] = {
	/* 20: what several instances over one database share. The signing keys, the offline
	 * licence keys and the Subsonic key, as the text their files hold on SQLite
	 * (store/secrets.h); the version changes with every write, so an instance sees another's
	 * rotation by reading one integer. The rate limits' counters (store/ratelimit.h) are
	 * UNLOGGED: a crash loses at most a window of counts, and no write waits on the WAL. */
	"CREATE TABLE server_secrets ("
	"  name TEXT PRIMARY KEY, body TEXT NOT NULL, version BIGINT NOT NULL,"
	"  updated_at BIGINT NOT NULL);"
	"CREATE UNLOGGED TABLE ratelimit_hits ("
	"  key BIGINT NOT NULL, win BIGINT NOT NULL, n INTEGER NOT NULL,"
	"  PRIMARY KEY (key, win));",
};

const int pg_nmigrations = (int)(sizeof pg_migrations / sizeof pg_migrations[0]);
