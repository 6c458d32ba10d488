/* The catalog's row readers, shared by store/catalog.c (one row) and store/catalog_batch.c
 * (a list's rows); private to server/store/. */
#ifndef SEGUE_STORE_CATALOG_ROWS_H
#define SEGUE_STORE_CATALOG_ROWS_H

#include "store/catalog.h"
#include "store/store_db.h"

/* Columns of a track row: every statement that reads one selects them in this order. */
#define TRACK_COLUMNS \
	"t.id, t.name, t.disc_number, t.track_number, t.duration_ms, t.explicit, t.markets," \
	" t.popularity, t.album_id, t.artist_id, ar.name, t.isrc, t.available," \
	" EXISTS (SELECT 1 FROM lyrics l WHERE l.track_id = t.id)"

/* The current row's TRACK_COLUMNS into *t. */
void store_track_from(struct db_stmt *st, struct track_row *t);
/* The columns of store_album_row (struct album_row *out) and of store_artists_rows (struct
 * artist_row *out), from column 0; store_one's fill functions. */
void store_album_fill(struct db_stmt *st, void *out);
void store_artist_fill(struct db_stmt *st, void *out);

#endif
