/*
** dump_sqlite.c: the dump engine's SQLite back end.  The database is
** opened read-only and read inside one transaction: its first read takes
** the snapshot (WAL) or the shared lock (rollback journal) that the whole
** dump sees.  Cursors are prepared statements stepped a row at a time;
** cells carry the storage class SQLite returns, which is what the sqlite3
** module hands Django.
*/
#include "dump_int.h"
#include "schema_int.h"

#include <stdlib.h>

#include <sqlite3.h>

typedef struct sqd {
    sqlite3 *db;
} sqd;

struct fx__cursor {
    sqlite3_stmt *st;
    size_t ncols;
    fx__cell row[];
};

static int dberr(fx__dumper *d, int code, const char *doing, fx_error *err)
{
    sqd *s = d->be;
    const char *m = s && s->db ? sqlite3_errmsg(s->db) : "out of memory";
    const char *hint = "check that it is the database Django's migrate made";
    if (s && s->db && strstr(m, "no such"))
        hint = "the database does not have the tables and columns the schema names: run "
               "manage.py migrate, or pass the schema of this project (manage.py fxschema)";
    else if (s && s->db && sqlite3_errcode(s->db) == SQLITE_NOTADB)
        hint = "pass the SQLite file Django's settings name";
    else if (s && s->db && sqlite3_errcode(s->db) == SQLITE_BUSY)
        hint = "another connection holds the database locked: try again when it is done";
    return fx_error_set(err, code, d->target, 0, 0, 0, "cannot %s (%s): %s", doing, m, hint);
}

static int sq_open(fx__dumper *d, fx__cursor **out, const char *sql, const fx__cell *params,
                   size_t np, size_t ncols, fx_error *err)
{
    sqd *s = d->be;
    fx__cursor *c = calloc(1, sizeof *c + ncols * sizeof c->row[0]);
    if (!c)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    c->ncols = ncols;
    if (sqlite3_prepare_v2(s->db, sql, -1, &c->st, NULL) != SQLITE_OK) {
        free(c);
        return dberr(d, FX_ESCHEMA, "read the database", err);
    }
    for (size_t i = 0; i < np; i++) {
        const fx__cell *p = &params[i];
        int rc = p->type == FX__C_INT ? sqlite3_bind_int64(c->st, (int)i + 1, p->i)
                 : sqlite3_bind_text(c->st, (int)i + 1, p->s, (int)p->n, SQLITE_STATIC);
        if (rc != SQLITE_OK) {
            sqlite3_finalize(c->st);
            free(c);
            return dberr(d, FX_ERROR, "bind --pks", err);
        }
    }
    *out = c;
    return 0;
}

static int sq_next(fx__dumper *d, fx__cursor *c, const fx__cell **row, fx_error *err)
{
    int rc = sqlite3_step(c->st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return dberr(d, FX_EIO, "read the database", err);
    for (size_t i = 0; i < c->ncols; i++) {
        fx__cell *x = &c->row[i];
        int col = (int)i;
        switch (sqlite3_column_type(c->st, col)) {
        case SQLITE_INTEGER:
            x->type = FX__C_INT;
            x->i = sqlite3_column_int64(c->st, col);
            break;
        case SQLITE_FLOAT:
            x->type = FX__C_REAL;
            x->d = sqlite3_column_double(c->st, col);
            break;
        case SQLITE_TEXT:
            x->type = FX__C_TEXT;
            x->s = (const char *)sqlite3_column_text(c->st, col);
            x->n = (size_t)sqlite3_column_bytes(c->st, col);
            if (!x->s)
                return dberr(d, FX_ENOMEM, "read the database", err);
            break;
        case SQLITE_BLOB:
            x->type = FX__C_BLOB;
            x->s = sqlite3_column_blob(c->st, col);
            x->n = (size_t)sqlite3_column_bytes(c->st, col);
            if (!x->s)
                x->s = "";
            break;
        default:
            x->type = FX__C_NULL;
        }
    }
    *row = c->row;
    return 1;
}

static void sq_close(fx__dumper *d, fx__cursor *c)
{
    (void)d;
    sqlite3_finalize(c->st);
    free(c);
}

static void sq_disconnect(fx__dumper *d)
{
    sqd *s = d->be;
    if (!s)
        return;
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close_v2(s->db);
    free(s);
    d->be = NULL;
}

static const fx__dump_ops sqlite_ops = {0, sq_open, sq_next, sq_close, sq_disconnect};

/* file:PATH?mode=ro, the path escaped for a URI. */
static char *ro_uri(const char *path)
{
    size_t n = strlen(path);
    char *u = malloc(3 * n + 20), *w = u;
    if (!u)
        return NULL;
    w += sprintf(w, "file:");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            w += sprintf(w, "%%%02X", (unsigned char)*p);
        else
            *w++ = *p;
    }
    strcpy(w, "?mode=ro");
    return u;
}

int fx__dump_sqlite_open(fx__dumper *d, const char *path, fx_error *err)
{
    if (!d->schema) {
        int rc = fx__schema_sqlite(&d->schema, path, err);
        if (rc < 0)
            return rc;
    }
    sqd *s = calloc(1, sizeof *s);
    char *uri = ro_uri(path);
    if (!s || !uri) {
        free(s);
        free(uri);
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    }
    d->be = s;
    d->ops = &sqlite_ops;
    int rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
                             SQLITE_OPEN_NOMUTEX, NULL);
    free(uri);
    if (rc != SQLITE_OK)
        return dberr(d, FX_EIO, "open the database", err);
    sqlite3_busy_timeout(s->db, 10000);
    /* BEGIN is deferred: the first read starts the read transaction */
    if (sqlite3_exec(s->db, "BEGIN; SELECT count(*) FROM sqlite_master", NULL, NULL, NULL))
        return dberr(d, FX_EIO, "read the database", err);
    return 0;
}
