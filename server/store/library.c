/* The library's three collections. See store/library.h. They differ only in their table and
 * column names, so one description each drives the same statements. The statements are
 * literals (the statement cache keys on their addresses). */
#include "config.h"
#include "store/library.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "store/store_db.h"

struct collection {
	const char *what;
	const char *add_sqlite, *add_pg, *remove_sqlite, *remove_pg, *has_sqlite, *has_pg;
	const char *latest, *count, *page, *page_by_id;
};

/* A whole request's ids in one statement each way (on PostgreSQL each statement is a round
 * trip), bound as one JSON array so that the text is one whatever their number: [id, time]
 * pairs to add, ids to remove. An id already there keeps its time. The PostgreSQL removal
 * matches the ids as an array so that it walks the primary key. */
#define ADD_SQLITE(table, key, at) \
	"INSERT INTO " table " (user_id, " key ", " at ")" \
	" SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]')" \
	" FROM json_each(?2) WHERE true ORDER BY key ON CONFLICT DO NOTHING"
#define ADD_PG(table, key, at) \
	"INSERT INTO " table " (user_id, " key ", " at ")" \
	" SELECT CAST(?1 AS TEXT), e ->> 0, CAST(e ->> 1 AS BIGINT)" \
	" FROM json_array_elements(CAST(?2 AS json)) WITH ORDINALITY AS j(e, i) ORDER BY i" \
	" ON CONFLICT DO NOTHING"
#define REMOVE_SQLITE(table, key) \
	"DELETE FROM " table " WHERE user_id = ?1 AND " key " IN (SELECT value FROM json_each(?2))"
#define REMOVE_PG(table, key) \
	"DELETE FROM " table " WHERE user_id = ?1" \
	" AND " key " = ANY (ARRAY (SELECT json_array_elements_text(CAST(?2 AS json))))"
/* Which of a JSON array of ids the collection holds. */
#define HAS_SQLITE(table, key) \
	"SELECT " key " FROM " table " WHERE user_id = ?1 AND " key " IN (SELECT value FROM json_each(?2))"
#define HAS_PG(table, key) \
	"SELECT " key " FROM " table " WHERE user_id = ?1" \
	" AND " key " = ANY (ARRAY (SELECT json_array_elements_text(CAST(?2 AS json))))"

/* A collection's statements from its names: what (for messages), its table, the id's column
 * and the time's. */
#define COLLECTION(what, table, key, at) { \
	what, \
	ADD_SQLITE(table, key, at), ADD_PG(table, key, at), \
	REMOVE_SQLITE(table, key), REMOVE_PG(table, key), \
	HAS_SQLITE(table, key), HAS_PG(table, key), \
	"SELECT max(" at ") FROM " table " WHERE user_id = ?", \
	"SELECT count(*) FROM " table " WHERE user_id = ?", \
	"SELECT " key ", " at " FROM " table " WHERE user_id = ?" \
	" ORDER BY " at " DESC, " key " LIMIT ? OFFSET ?", \
	"SELECT " key ", " at " FROM " table " WHERE user_id = ? AND " key " > ?" \
	" ORDER BY " key " LIMIT ?", \
}

static const struct collection collections[] = {
	[LIBRARY_TRACKS] = COLLECTION("saved tracks", "saved_tracks", "track_id", "added_at"),
	[LIBRARY_ALBUMS] = COLLECTION("saved albums", "saved_albums", "album_id", "added_at"),
	[LIBRARY_ARTISTS] = COLLECTION("followed artists", "followed_artists", "artist_id", "followed_at"),
};

/* Whether ids[i] came earlier in ids: the first of repeated ids is the one that counts. */
static bool repeated(const char *const *ids, int i)
{
	for (int k = 0; k < i; k++)
		if (!strcmp(ids[k], ids[i]))
			return true;
	return false;
}

/* Runs st over (user, the list bound at 2). Returns how many rows it changed, -1 on error. */
static int change(struct store *s, const struct collection *c, struct db_stmt *st, const char *user)
{
	long long n;
	int rc;

	store_bind_text(st, 1, user);
	rc = db_step(st);
	n = rc == DB_DONE ? db_changes(s) : -1;
	if (rc != DB_DONE)
		store_fail(s, c->what); /* before the reset, which may change the message */
	db_reset(st);
	return n > INT_MAX ? INT_MAX : (int)n;
}

int store_library_add_many(struct store *s, enum library_kind k, const char *user,
                           const char *const *ids, const long long *at, int n)
{
	const struct collection *c = &collections[k];
	struct db_stmt *st = store_stmt2(s, c->add_sqlite, c->add_pg);
	json_t *list = json_array();

	for (int i = 0; list && i < n; i++)
		if (!repeated(ids, i) && json_array_append_new(list, json_pack("[sI]", ids[i],
		                                                               (json_int_t)at[i])) < 0) {
			json_decref(list);
			list = NULL;
		}
	if (db_bind_json(st, 2, list) < 0)
		return -1;
	return change(s, c, st, user);
}

int store_library_remove_many(struct store *s, enum library_kind k, const char *user,
                              const char *const *ids, int n)
{
	const struct collection *c = &collections[k];
	struct db_stmt *st = store_stmt2(s, c->remove_sqlite, c->remove_pg);

	if (db_bind_json_texts(st, 2, ids, n) < 0)
		return -1;
	return change(s, c, st, user);
}

int store_library_has_many(struct store *s, enum library_kind k, const char *user,
                           const char *const *ids, int n, bool *has)
{
	const struct collection *c = &collections[k];
	struct db_stmt *st = store_stmt2(s, c->has_sqlite, c->has_pg);
	int rc, held = 0;

	for (int i = 0; i < n; i++)
		has[i] = false;
	if (db_bind_json_texts(st, 2, ids, n) < 0)
		return -1;
	store_bind_text(st, 1, user);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *id = store_col_text(st, 0);

		for (int i = 0; i < n; i++)
			if (!has[i] && !strcmp(ids[i], id)) {
				has[i] = true;
				held++;
			}
	}
	if (rc != DB_DONE)
		store_fail(s, c->what); /* before the reset, which may change the message */
	db_reset(st);
	return rc == DB_DONE ? held : -1;
}

/* A one-integer answer over (user): 1 with *v set, 0 for NULL, -1 on error. */
static int user_integer(struct store *s, const struct collection *c, const char *sql,
                        const char *user, long long *v)
{
	struct db_stmt *st = store_stmt(s, sql);
	int rc, found = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	rc = db_step(st);
	if (rc == DB_ROW && !db_col_null(st, 0)) {
		*v = db_col_int64(st, 0);
		found = 1;
	}
	db_reset(st);
	return rc == DB_ROW ? found : store_fail(s, c->what);
}

int store_library_latest(struct store *s, enum library_kind k, const char *user, long long *t)
{
	return user_integer(s, &collections[k], collections[k].latest, user, t);
}

long long store_library_count(struct store *s, enum library_kind k, const char *user)
{
	long long n = 0;

	return user_integer(s, &collections[k], collections[k].count, user, &n) < 0 ? -1 : n;
}

static int rows(struct store *s, const struct collection *c, struct db_stmt *st,
                struct library_item *items, int max)
{
	int n = 0, rc = DB_DONE;

	while (n < max && (rc = db_step(st)) == DB_ROW) {
		snprintf(items[n].id, sizeof items[n].id, "%s", store_col_text(st, 0));
		items[n++].added_at = db_col_int64(st, 1);
	}
	db_reset(st);
	if (n < max && rc != DB_DONE)
		return store_fail(s, c->what);
	return n;
}

int store_library_page(struct store *s, enum library_kind k, const char *user, int offset,
                       struct library_item *items, int max)
{
	struct db_stmt *st = store_stmt(s, collections[k].page);

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	db_bind_int(st, 2, max);
	db_bind_int(st, 3, offset);
	return rows(s, &collections[k], st, items, max);
}

int store_library_page_by_id(struct store *s, enum library_kind k, const char *user,
                             const char *after, struct library_item *items, int max)
{
	struct db_stmt *st = store_stmt(s, collections[k].page_by_id);

	if (!st)
		return -1;
	store_bind_text(st, 1, user);
	store_bind_text(st, 2, after ? after : "");
	db_bind_int(st, 3, max);
	return rows(s, &collections[k], st, items, max);
}
