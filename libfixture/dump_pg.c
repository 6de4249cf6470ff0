/*
** dump_pg.c: the dump engine's PostgreSQL back end.  One connection, one
** REPEATABLE READ, READ ONLY transaction (the dump is one snapshot), the
** session set as Django sets its own (time zone UTC, ISO dates) plus the
** output styles the renderer reads (postgres intervals, hex bytea,
** shortest exact floats).  Each cursor is a server-side cursor fetched
** FETCH_ROWS rows at a time, so that several run side by side on the one
** connection and no table is ever held whole in memory; values arrive as
** text.
*/
#include "dump_int.h"
#include "load_int.h"

#include <stdio.h>
#include <stdlib.h>

#include <libpq-fe.h>

#define FETCH_ROWS 2000

typedef struct pgd {
    PGconn *c;
    unsigned next_cursor;
} pgd;

struct fx__cursor {
    char name[32];
    PGresult *r;
    int at, n;
    int done;
    size_t ncols;
    fx__cell row[];
};

/* libpq's message m on one line: line breaks and the tabs after them
** become "; ", a final one goes. */
static void one_line(char *m)
{
    char *w = m;
    for (char *r = m; *r; r++) {
        if (*r == '\n') {
            while (r[1] == '\t' || r[1] == ' ' || r[1] == '\n')
                r++;
            if (r[1])
                *w++ = ';', *w++ = ' ';
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

/* Notices and the server's last words reach fxdump as errors of the
** statement that failed; libpq must not print them itself. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* The server's message on one line, for fx_error. */
static int pgerr(fx__dumper *d, PGresult *r, int code, const char *doing, fx_error *err)
{
    pgd *p = d->be;
    char m[600];
    snprintf(m, sizeof m, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(p->c));
    one_line(m);
    const char *hint = "check the server and that this is the database Django's migrate made";
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (state && (!strcmp(state, "42P01") || !strcmp(state, "42703")))
        hint = "the database does not have the tables and columns the schema names: run "
               "manage.py migrate, or pass the schema of this project (manage.py fxschema)";
    else if (PQstatus(p->c) != CONNECTION_OK)
        hint = "the connection to the server was lost; nothing was written";
    return fx_error_set(err, code, d->target, 0, 0, 0, "cannot %s (%s): %s", doing, m, hint);
}

static int exec_ok(fx__dumper *d, const char *sql, const char *doing, fx_error *err)
{
    pgd *p = d->be;
    PGresult *r = PQexec(p->c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        int rc = pgerr(d, r, FX_EIO, doing, err);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    return 0;
}

static int pg_open(fx__dumper *d, fx__cursor **out, const char *sql, const fx__cell *params,
                   size_t np, size_t ncols, fx_error *err)
{
    pgd *p = d->be;
    fx__cursor *c = calloc(1, sizeof *c + ncols * sizeof c->row[0]);
    fx_buf q = FX_BUF_INIT;
    const char **vals = calloc(np + 1, sizeof *vals);
    char (*ints)[24] = calloc(np + 1, sizeof *ints);
    int rc = 0;
    if (!c || !vals || !ints) {
        rc = fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
        goto done;
    }
    c->ncols = ncols;
    snprintf(c->name, sizeof c->name, "fxdump%u", p->next_cursor++);
    /* DECLARE ... FOR the query, "?" numbered $1, $2 (outside quotes) */
    int n = 0, quoted = 0;
    if (fx_buf_printf(&q, "DECLARE %s NO SCROLL CURSOR FOR ", c->name))
        goto oom;
    for (const char *s = sql; *s; s++) {
        if (*s == '"')
            quoted = !quoted;
        if (*s == '?' && !quoted ? fx_buf_printf(&q, "$%d", ++n) : fx_buf_addc(&q, *s))
            goto oom;
    }
    for (size_t i = 0; i < np; i++) {
        if (params[i].type == FX__C_INT) {
            snprintf(ints[i], sizeof ints[i], "%lld", (long long)params[i].i);
            vals[i] = ints[i];
        } else {
            vals[i] = params[i].s;
        }
    }
    PGresult *r = PQexecParams(p->c, q.data, (int)np, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        rc = pgerr(d, r, FX_ESCHEMA, "read the database", err);
        PQclear(r);
        goto done;
    }
    PQclear(r);
    *out = c;
    c = NULL;
    goto done;
oom:
    rc = fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
done:
    free(c);
    free(vals);
    free(ints);
    fx_buf_free(&q);
    return rc;
}

static int pg_next(fx__dumper *d, fx__cursor *c, const fx__cell **row, fx_error *err)
{
    pgd *p = d->be;
    if (c->at >= c->n) {
        if (c->done)
            return 0;
        char sql[64];
        PQclear(c->r);
        snprintf(sql, sizeof sql, "FETCH FORWARD %d FROM %s", FETCH_ROWS, c->name);
        c->r = PQexec(p->c, sql);
        if (PQresultStatus(c->r) != PGRES_TUPLES_OK)
            return pgerr(d, c->r, FX_EIO, "read the database", err);
        c->n = PQntuples(c->r);
        c->at = 0;
        c->done = c->n < FETCH_ROWS;
        if (c->n == 0)
            return 0;
    }
    for (size_t i = 0; i < c->ncols; i++) {
        fx__cell *x = &c->row[i];
        if (PQgetisnull(c->r, c->at, (int)i)) {
            x->type = FX__C_NULL;
        } else {
            x->type = FX__C_TEXT;
            x->s = PQgetvalue(c->r, c->at, (int)i);
            x->n = (size_t)PQgetlength(c->r, c->at, (int)i);
        }
    }
    c->at++;
    *row = c->row;
    return 1;
}

static void pg_close(fx__dumper *d, fx__cursor *c)
{
    pgd *p = d->be;
    char sql[64];
    PQclear(c->r);
    snprintf(sql, sizeof sql, "CLOSE %s", c->name);
    if (PQtransactionStatus(p->c) == PQTRANS_INTRANS)
        PQclear(PQexec(p->c, sql));
    free(c);
}

static void pg_disconnect(fx__dumper *d)
{
    pgd *p = d->be;
    if (!p)
        return;
    PQfinish(p->c);   /* the read-only transaction ends with the connection */
    free(p);
    d->be = NULL;
}

static const fx__dump_ops pg_ops = {1, pg_open, pg_next, pg_close, pg_disconnect};

int fx__dump_pg_open(fx__dumper *d, const char *conninfo, fx_error *err)
{
    pgd *p = calloc(1, sizeof *p);
    if (!p)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    d->be = p;
    d->ops = &pg_ops;
    p->c = PQconnectdb(conninfo);
    if (!p->c)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    if (PQstatus(p->c) != CONNECTION_OK) {
        char m[600];
        snprintf(m, sizeof m, "%s", PQerrorMessage(p->c));
        one_line(m);
        return fx_error_set(err, FX_EIO, d->target, 0, 0, 0, "cannot connect to the "
                            "database (%s): check the server is running and the URI or "
                            "PG* variables", m);
    }
    int rc;
    PQsetNoticeProcessor(p->c, quiet, NULL);
    if (PQsetClientEncoding(p->c, "UTF8") != 0)
        return pgerr(d, NULL, FX_EIO, "set the client encoding to UTF8", err);
    if ((rc = exec_ok(d, "SET TIME ZONE 'UTC'; SET DateStyle TO 'ISO, YMD'; "
                      "SET IntervalStyle TO 'postgres'; SET bytea_output TO 'hex'; "
                      "SET extra_float_digits TO 1", "set up the session", err)) ||
        (rc = exec_ok(d, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                      "begin a read-only transaction", err)))
        return rc;
    if (!d->schema && (rc = fx__schema_pg(&d->schema, p->c, d->target, err)) < 0)
        return rc;
    return 0;
}
