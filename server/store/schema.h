/* The schema of each backend as its migrations, private to server/store/. The two lists
 * are numbered alike: migration N makes the same tables, indexes and rules in both dialects,
 * so a database of either kind at version N holds the same things. Append only. */
#ifndef SEGUE_STORE_SCHEMA_H
#define SEGUE_STORE_SCHEMA_H

extern const char *const sqlite_migrations[];
extern const int sqlite_nmigrations;
extern const char *const pg_migrations[];
extern const int pg_nmigrations;

#endif
