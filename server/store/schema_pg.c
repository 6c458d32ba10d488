/* The PostgreSQL schema, migration by migration (store/schema.h). */
#include "config.h"
#include "store/schema.h"

#include <stddef.h>

const char *const pg_migrations[] = {
	NULL,
};

const int pg_nmigrations = 0;
