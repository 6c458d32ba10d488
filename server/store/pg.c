/* PostgreSQL for the store (store/pg.h), through libpq.
 *
 * Statements are prepared once per connection under names of their own and run with their
 * parameters as text (blobs as binary), their rows read as text: the store reads integers,
 * reals and text alike from either engine, and libpq's text forms are what SQLite's column
 * functions would give. A cached statement takes its whole result at its first step, so the
 * domain code may run other statements between its rows as it does on SQLite; a statement
 * of store_prepare's (a whole catalog read for the search index) streams its rows one at a
 * time instead.
 *
 * A connection lost (the database restarted, a proxy's idle cut) is made again before the
 * next statement, and the statements are prepared again on it. The statement that found it
 * lost fails, unless it was a read outside a transaction, which is sent again: a write may
 * have committed before its answer was lost, and a transaction is gone with its
 * connection, so their errors reach the caller. */
#include "config.h"
#include "store/pg.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store/store_db.h"

struct pg_conn {
	PGconn *conn;
	unsigned gen;     /* bumped at every reconnection: statements prepared before are gone */
	unsigned next_id; /* statement names */
	long long changes;
	char err[512];
	char sqlstate[6];
};

struct pg_stmt {
	struct pg_conn *c;
	char *sql;     /* with $N placeholders */
	char name[32]; /* "" while not prepared (or streamed: never prepared) */
	unsigned gen;
	bool stream;
	int nparams;
	Oid *types;    /* text for a number the statement skips, else 0: PostgreSQL's choice */
	char **vals;   /* owned; NULL binds NULL */
	int *lens, *fmts;
	PGresult *res;
	int row, nrows;
	bool running;  /* a streamed query is under way */
	struct blob {
		unsigned char *p;
		size_t len, cap;
		int row;   /* the row it was decoded from, -1 none */
	} *blobs;
	int nblobs;
};

bool pg_is_url(const char *where)
{
	return where && (!strncmp(where, "postgresql://", 13) || !strncmp(where, "postgres://", 11));
}

static void keep_error(struct pg_conn *c, const PGresult *r)
{
	const char *msg = r ? PQresultErrorMessage(r) : NULL;
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	size_t n;

	if (!msg || !*msg)
		msg = PQerrorMessage(c->conn);
	snprintf(c->err, sizeof c->err, "%s", msg && *msg ? msg : "unknown error");
	n = strlen(c->err);
	while (n && (c->err[n - 1] == '\n' || c->err[n - 1] == ' '))
		c->err[--n] = '\0';
	snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
}

static void quiet_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("database: %s", msg);
}

struct pg_conn *pg_open(const char *url, char *err, size_t errlen)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { url, "segue-server", NULL };
	struct pg_conn *c = calloc(1, sizeof *c);

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->conn = PQconnectdbParams(keys, vals, 1);
	if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
		const char *msg = c->conn ? PQerrorMessage(c->conn) : "out of memory";
		size_t n = strlen(msg);

		while (n && msg[n - 1] == '\n')
			n--;
		snprintf(err, errlen, "PostgreSQL: %.*s", (int)n, msg);
		pg_close(c);
		return NULL;
	}
	PQsetNoticeProcessor(c->conn, quiet_notice, NULL);
	/* The store's text is UTF-8, and times are numbers: nothing else to set. */
	if (PQsetClientEncoding(c->conn, "UTF8") != 0) {
		snprintf(err, errlen, "PostgreSQL: cannot use UTF-8");
		pg_close(c);
		return NULL;
	}
	return c;
}

void pg_close(struct pg_conn *c)
{
	if (!c)
		return;
	PQfinish(c->conn);
	free(c);
}

/* Whether the connection was gone and is made again. */
static bool reconnect(struct pg_conn *c)
{
	if (PQstatus(c->conn) != CONNECTION_BAD)
		return false;
	log_warn("database: the connection to PostgreSQL was lost; connecting again");
	return pg_reconnect(c) == 0;
}

/* SQLite's placeholders as PostgreSQL's: ?N is $N, a bare ? the next number after the
 * highest so far (SQLite's rule). Quoted text and identifiers are copied as they are. */
static char *translate(const char *sql, int *nparams)
{
	size_t len = strlen(sql), q = 0;
	char *out, *o;
	int top = 0;

	for (const char *p = sql; *p; p++)
		q += *p == '?';
	if (!(out = malloc(len + q * 6 + 1)))
		return NULL;
	o = out;
	for (const char *p = sql; *p;) {
		if (*p == '\'' || *p == '"') {
			char quote = *p;

			*o++ = *p++;
			while (*p && *p != quote)
				*o++ = *p++;
			if (*p)
				*o++ = *p++;
			continue;
		}
		if (*p != '?') {
			*o++ = *p++;
			continue;
		}
		p++;
		if (*p >= '0' && *p <= '9') {
			int n = 0;

			while (*p >= '0' && *p <= '9' && n < 100000)
				n = n * 10 + (*p++ - '0');
			if (n > top)
				top = n;
			o += sprintf(o, "$%d", n);
		} else {
			o += sprintf(o, "$%d", ++top);
		}
	}
	*o = '\0';
	*nparams = top;
	return out;
}

/* A parameter's type where the text gives none. PostgreSQL infers each $N from where it
 * stands, and refuses a statement whose numbers skip one (a statement of a family that binds
 * ?1..?3 to all may use ?1, ?2 and ?4): the skipped ones are declared text, which takes
 * anything bound to them and goes unused. */
#define PG_TEXT_OID 25

static Oid *gap_types(const char *sql, int nparams)
{
	Oid *types = malloc((size_t)nparams * sizeof *types);

	if (!types)
		return NULL;
	for (int i = 0; i < nparams; i++)
		types[i] = PG_TEXT_OID;
	for (const char *p = sql; *p;) {
		if (*p == '\'' || *p == '"') {
			char quote = *p++;

			while (*p && *p != quote)
				p++;
			if (*p)
				p++;
			continue;
		}
		if (*p++ == '$' && *p >= '1' && *p <= '9') {
			int n = (int)strtol(p, NULL, 10);

			if (n >= 1 && n <= nparams)
				types[n - 1] = 0;
		}
	}
	return types;
}

struct pg_stmt *pg_prepare(struct pg_conn *c, const char *sql, bool stream)
{
	struct pg_stmt *st = calloc(1, sizeof *st);

	if (!st)
		goto nomem;
	st->c = c;
	st->stream = stream;
	st->row = -1;
	if (!(st->sql = translate(sql, &st->nparams)))
		goto nomem;
	if (st->nparams) {
		st->vals = calloc((size_t)st->nparams, sizeof *st->vals);
		st->lens = calloc((size_t)st->nparams, sizeof *st->lens);
		st->fmts = calloc((size_t)st->nparams, sizeof *st->fmts);
		st->types = gap_types(st->sql, st->nparams);
		if (!st->vals || !st->lens || !st->fmts || !st->types)
			goto nomem;
	}
	return st;
nomem:
	snprintf(c->err, sizeof c->err, "out of memory");
	pg_finalize(st);
	return NULL;
}

/* Prepared on the server at first use (and again after a reconnection), so that an error in
 * the text is reported by the statement's step, with the error's SQLSTATE. */
static int ensure_prepared(struct pg_stmt *st)
{
	struct pg_conn *c = st->c;
	PGresult *r;

	if (st->name[0] && st->gen == c->gen)
		return 0;
	snprintf(st->name, sizeof st->name, "s%u_%u", c->gen, ++c->next_id);
	r = PQprepare(c->conn, st->name, st->sql, st->nparams, st->types);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		keep_error(c, r);
		PQclear(r);
		st->name[0] = '\0';
		return -1;
	}
	PQclear(r);
	st->gen = c->gen;
	return 0;
}

static void drop_result(struct pg_stmt *st)
{
	PQclear(st->res);
	st->res = NULL;
	st->row = -1;
	st->nrows = 0;
	for (int i = 0; i < st->nblobs; i++)
		st->blobs[i].row = -1;
}

void pg_finalize(struct pg_stmt *st)
{
	if (!st)
		return;
	pg_reset(st);
	if (st->name[0] && st->gen == st->c->gen && PQstatus(st->c->conn) == CONNECTION_OK) {
		char sql[64];
		PGresult *r;

		snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
		r = PQexec(st->c->conn, sql);
		PQclear(r);
	}
	for (int i = 0; i < st->nparams && st->vals; i++)
		free(st->vals[i]);
	for (int i = 0; i < st->nblobs; i++)
		free(st->blobs[i].p);
	free(st->blobs);
	free(st->vals);
	free(st->lens);
	free(st->fmts);
	free(st->types);
	free(st->sql);
	free(st);
}

/* A connection found gone before a statement is sent is made again, when no transaction
 * was open on it (one that was is lost, and its error must reach the caller). */
static void revive(struct pg_conn *c)
{
	if (PQstatus(c->conn) == CONNECTION_BAD)
		reconnect(c);
}

/* Whether a statement may be sent again after its connection broke under it: a read, as a
 * write may have committed before the answer was lost. */
static bool rerunnable(const char *sql)
{
	return !strncmp(sql, "SELECT", 6);
}

/* Runs a cached statement: its whole result, 0 or -1. */
static int run(struct pg_stmt *st)
{
	struct pg_conn *c = st->c;
	ExecStatusType status;
	bool idle;

	revive(c);
	idle = PQtransactionStatus(c->conn) == PQTRANS_IDLE;
	for (int attempt = 0;; attempt++) {
		if (ensure_prepared(st) == 0) {
			st->res = PQexecPrepared(c->conn, st->name, st->nparams,
			                         (const char *const *)st->vals, st->lens, st->fmts, 0);
			status = PQresultStatus(st->res);
			if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
				break;
			keep_error(c, st->res);
			drop_result(st);
		}
		if (attempt || !idle || PQstatus(c->conn) != CONNECTION_BAD || !rerunnable(st->sql) ||
		    !reconnect(c))
			return -1;
	}
	c->changes = atoll(PQcmdTuples(st->res));
	st->nrows = PQntuples(st->res);
	st->row = -1;
	return 0;
}

static void drain(struct pg_conn *c)
{
	PGresult *r;

	while ((r = PQgetResult(c->conn)))
		PQclear(r);
}

static int stream_step(struct pg_stmt *st)
{
	struct pg_conn *c = st->c;
	ExecStatusType status;

	if (!st->running) {
		revive(c);
		if (!PQsendQueryParams(c->conn, st->sql, st->nparams, st->types,
		                       (const char *const *)st->vals, st->lens, st->fmts, 0) ||
		    !PQsetSingleRowMode(c->conn)) {
			keep_error(c, NULL);
			drain(c);
			return DB_ERROR;
		}
		st->running = true;
	}
	drop_result(st);
	st->res = PQgetResult(c->conn);
	status = PQresultStatus(st->res);
	if (status == PGRES_SINGLE_TUPLE) {
		st->nrows = 1;
		st->row = 0;
		return DB_ROW;
	}
	st->running = false;
	if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
		c->changes = atoll(PQcmdTuples(st->res));
		drop_result(st);
		drain(c);
		return DB_DONE;
	}
	keep_error(c, st->res);
	drop_result(st);
	drain(c);
	return DB_ERROR;
}

int pg_step(struct pg_stmt *st)
{
	if (st->stream)
		return stream_step(st);
	if (!st->res && run(st) < 0)
		return DB_ERROR;
	if (++st->row < st->nrows)
		return DB_ROW;
	st->row = st->nrows;
	return DB_DONE;
}

void pg_reset(struct pg_stmt *st)
{
	if (st->running) {
		/* Stopped mid-way: the rest of the rows are read and dropped (a cancel would race
		 * with their arrival and leave the connection in doubt). */
		drain(st->c);
		st->running = false;
	}
	drop_result(st);
}

void pg_clear(struct pg_stmt *st)
{
	for (int i = 0; i < st->nparams; i++) {
		free(st->vals[i]);
		st->vals[i] = NULL;
		st->lens[i] = 0;
		st->fmts[i] = 0;
	}
}

static void bind(struct pg_stmt *st, int i, char *v, int len, int fmt)
{
	if (i < 1 || i > st->nparams) {
		free(v);
		return;
	}
	free(st->vals[i - 1]);
	st->vals[i - 1] = v;
	st->lens[i - 1] = len;
	st->fmts[i - 1] = fmt;
}

void pg_bind_int64(struct pg_stmt *st, int i, long long v)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%lld", v);
	bind(st, i, strdup(buf), 0, 0);
}

void pg_bind_double(struct pg_stmt *st, int i, double v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%.17g", v);
	bind(st, i, strdup(buf), 0, 0);
}

void pg_bind_text(struct pg_stmt *st, int i, const char *v)
{
	bind(st, i, strdup(v), 0, 0);
}

void pg_bind_text_owned(struct pg_stmt *st, int i, char *v)
{
	bind(st, i, v, 0, 0);
}

void pg_bind_blob(struct pg_stmt *st, int i, const void *v, size_t len)
{
	char *copy = malloc(len ? len : 1);

	if (copy && len)
		memcpy(copy, v, len);
	bind(st, i, copy, (int)len, 1);
}

void pg_bind_null(struct pg_stmt *st, int i)
{
	bind(st, i, NULL, 0, 0);
}

static bool have(struct pg_stmt *st, int i)
{
	return st->res && st->row >= 0 && st->row < st->nrows && i >= 0 && i < PQnfields(st->res);
}

bool pg_col_null(struct pg_stmt *st, int i)
{
	return !have(st, i) || PQgetisnull(st->res, st->row, i);
}

const char *pg_col_text(struct pg_stmt *st, int i)
{
	return pg_col_null(st, i) ? NULL : PQgetvalue(st->res, st->row, i);
}

long long pg_col_int64(struct pg_stmt *st, int i)
{
	const char *v = pg_col_text(st, i);

	if (!v)
		return 0;
	/* A boolean reads as SQLite's 1 or 0; a numeric's fraction is dropped, as SQLite does. */
	if (v[0] == 't' && !v[1])
		return 1;
	if (v[0] == 'f' && !v[1])
		return 0;
	if (strpbrk(v, ".eE"))
		return (long long)strtod(v, NULL);
	return strtoll(v, NULL, 10);
}

double pg_col_double(struct pg_stmt *st, int i)
{
	const char *v = pg_col_text(st, i);

	return v ? strtod(v, NULL) : 0.0;
}

static int hexval(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
	       ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

const void *pg_col_blob(struct pg_stmt *st, int i, size_t *len)
{
	const char *v = pg_col_text(st, i);
	struct blob *b;
	size_t n;

	*len = 0;
	if (!v)
		return NULL;
	if (i >= st->nblobs) {
		struct blob *more = realloc(st->blobs, (size_t)(i + 1) * sizeof *more);

		if (!more)
			return NULL;
		for (int k = st->nblobs; k <= i; k++)
			more[k] = (struct blob){ .row = -1 };
		st->blobs = more;
		st->nblobs = i + 1;
	}
	b = &st->blobs[i];
	if (b->row == st->row) {
		*len = b->len;
		return b->p;
	}
	/* bytea's text form is hex: \x then two digits a byte. */
	if (v[0] != '\\' || v[1] != 'x')
		return NULL;
	v += 2;
	n = strlen(v) / 2;
	if (n + 1 > b->cap) {
		unsigned char *p = realloc(b->p, n + 1);

		if (!p)
			return NULL;
		b->p = p;
		b->cap = n + 1;
	}
	for (size_t k = 0; k < n; k++) {
		int hi = hexval(v[2 * k]), lo = hexval(v[2 * k + 1]);

		if (hi < 0 || lo < 0)
			return NULL;
		b->p[k] = (unsigned char)(hi << 4 | lo);
	}
	b->len = n;
	b->row = st->row;
	*len = n;
	return b->p;
}

long long pg_changes(struct pg_conn *c)
{
	return c->changes;
}

const char *pg_errmsg(struct pg_conn *c)
{
	return c->err[0] ? c->err : "no error";
}

const char *pg_sqlstate(struct pg_conn *c)
{
	return c->sqlstate;
}

int pg_exec(struct pg_conn *c, const char *sql)
{
	PGresult *r;
	ExecStatusType status;

	revive(c);
	r = PQexec(c->conn, sql);
	status = PQresultStatus(r);
	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
		PQclear(r);
		return 0;
	}
	keep_error(c, r);
	PQclear(r);
	return -1;
}

bool pg_in_transaction(struct pg_conn *c)
{
	PGTransactionStatusType t = PQtransactionStatus(c->conn);

	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

int pg_socket(struct pg_conn *c)
{
	return PQsocket(c->conn);
}

int pg_notifications(struct pg_conn *c, void (*fn)(void *ud, const char *payload), void *ud)
{
	PGnotify *n;

	if (!PQconsumeInput(c->conn) || PQstatus(c->conn) != CONNECTION_OK) {
		keep_error(c, NULL);
		return -1;
	}
	while ((n = PQnotifies(c->conn))) {
		fn(ud, n->extra);
		PQfreemem(n);
	}
	return 0;
}

int pg_reconnect(struct pg_conn *c)
{
	PQreset(c->conn);
	c->gen++;
	if (PQstatus(c->conn) != CONNECTION_OK) {
		keep_error(c, NULL);
		return -1;
	}
	PQsetNoticeProcessor(c->conn, quiet_notice, NULL);
	PQsetClientEncoding(c->conn, "UTF8");
	return 0;
}
