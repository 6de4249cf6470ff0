/*
** dump_int.h: what the dump engine (dump.c) and its two database back
** ends (the dump reading of db_sqlite.c and db_pg.c) share.  Not part of
** the public API.
**
** The engine plans one SELECT a model (and one a many-to-many field),
** ordered as dumpdata orders them, and has the back end run them as
** cursors read a row at a time; every value comes back as an fx__bind,
** which db_value.c renders as Django's serializer would have written the
** Python value Django's backend makes of it.
*/
#ifndef FX_DUMP_INT_H
#define FX_DUMP_INT_H

#include "db_int.h"

/* ---- back ends ---- */

typedef struct fx__dumper fx__dumper;
typedef struct fx__cursor fx__cursor;

typedef struct fx__dump_ops {
    int pg;
    /* Run sql (its parameters written "?"; PostgreSQL's back end numbers
    ** them) with params[0..np) bound, as a cursor of ncols columns. */
    int (*open)(fx__dumper *d, fx__cursor **out, const char *sql, const fx__bind *params,
                size_t np, size_t ncols, fx_error *err);
    /* The next row: 1 with *row (ncols cells, borrowed until the next
    ** call), 0 at the end. */
    int (*next)(fx__dumper *d, fx__cursor *c, const fx__bind **row, fx_error *err);
    void (*close)(fx__dumper *d, fx__cursor *c);
    /* End the read transaction and disconnect. */
    void (*disconnect)(fx__dumper *d);
} fx__dump_ops;

struct fx__dumper {
    const fx__dump_ops *ops;
    void *be;                  /* the back end's state */
    fx_schema *schema;         /* introspected when no schema file was given */
    char target[512];          /* for messages */
};

/* Connect to the target, begin the read transaction (a snapshot), and,
** when d->schema is NULL, read the schema from the catalog into it. */
int fx__dump_sqlite_open(fx__dumper *d, const char *path, fx_error *err);
int fx__dump_pg_open(fx__dumper *d, const char *conninfo, fx_error *err);

/* The same on a connection the caller opened (borrowed: never closed) and
** holds inside a transaction it began (never committed nor rolled back):
** FX_EUSAGE when it is not in one.  PostgreSQL's session settings are
** made SET LOCAL, for that transaction only. */
int fx__dump_sqlite_attach(fx__dumper *d, struct sqlite3 *db, const char *path,
                           fx_error *err);
int fx__dump_pg_attach(fx__dumper *d, struct pg_conn *c, fx_error *err);

#endif
