/*
** db_pg.c: the one way fx talks to PostgreSQL: connecting (a libpq
** conninfo, passwords kept out of every message) and setting up the
** session, messages on one line, parameters as text, reading the catalog
** of a database Django's migrate made into a schema, and reading rows
** through cursors for the dump (on its own connection, or the caller's:
** fx_dump_pg).  fx_loader_open() and the
** load engine (load_pg.c), and the dump engine (dump.c) all go through
** here; values are converted in db_value.c.
**
** The catalog gives the same fx_schema db_sqlite.c derives from a SQLite
** database.  Models come from django_content_type, tables are Django's
** default "app_model" (or the built-in models' own), columns and types
** from pg_attribute, NOT NULL, primary keys and unique indexes from
** pg_index, foreign keys from pg_constraint, many-to-many link tables from
** their shape (an id and two foreign keys to model tables, named "<owner
** table>_<field>").  The natural key is guessed as for SQLite: the single
** unique field, else the single unique_together set.
*/
#include "dump_int.h"
#include "schema_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>

#include <stdlib.h>
#include <strings.h>

#include <libpq-fe.h>
#include <json-c/json.h>

#define FETCH_ROWS 2000   /* rows a cursor fetches at a time */


typedef struct pgi {
    PGconn *c;
    const char *src;
    fx_error *err;
    fx_schema *s;
} pgi;

static int nomem(pgi *x)
{
    return fx_error_set(x->err, FX_ENOMEM, x->src, 0, 0, 0, "out of memory reading the catalog");
}

/* ---------------------------------------------------------------- connecting */

/* s on one line: each run of white space (libpq's messages have newlines
** and tabs) becomes one space; none at the end. */
static void one_line(char *s)
{
    char *w = s;
    for (const char *q = s; *q; q++)
        if (!isspace((unsigned char)*q) || (w > s && w[-1] != ' '))
            *w++ = isspace((unsigned char)*q) ? ' ' : *q;
    while (w > s && w[-1] == ' ')
        w--;
    *w = '\0';
}

void fx__pg_message(char *buf, size_t n, PGconn *c, const PGresult *r, const char *conninfo)
{
    const char *prim = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *cons = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
    snprintf(buf, n, "%s%s%s%s%s%s", prim ? prim : PQerrorMessage(c),
             detail ? " (" : "", detail ? detail : "", detail ? ")" : "",
             cons ? "; constraint " : "", cons ? cons : "");
    one_line(buf);
    if (conninfo)
        fx__mask_secrets(buf, n, conninfo);   /* libpq may quote the conninfo */
}

int fx__pg_lost(PGconn *c, const PGresult *r)
{
    /* An error without SQLSTATE is libpq's own; a failed write is only
    ** noticed (CONNECTION_BAD) when libpq next reads: read. */
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (!state && PQstatus(c) == CONNECTION_OK)
        PQconsumeInput(c);
    return PQstatus(c) == CONNECTION_BAD;
}

/* Notices, and the server's last words when it goes, reach fx as the
** error of the statement that failed: libpq must not print them. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int fx__pg_connect(PGconn **out, const char *conninfo, const char *target, fx_error *err)
{
    PGconn *c = PQconnectdb(conninfo);
    *out = c;
    if (!c)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    if (PQstatus(c) != CONNECTION_OK) {
        char m[600];
        fx__pg_message(m, sizeof m, c, NULL, conninfo);
        return fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "cannot connect to PostgreSQL "
                            "database '%s' (%s): check the URI, PGHOST, PGPORT, PGUSER, "
                            "PGDATABASE", target, m);
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    if (PQsetClientEncoding(c, "UTF8") != 0) {
        char m[600];
        fx__pg_message(m, sizeof m, c, NULL, conninfo);
        return fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "cannot set the client encoding of "
                            "'%s' to UTF8 (%s)", target, m);
    }
    /* The session as Django sets its own (UTC, ISO dates), and the output
    ** styles db_value.c reads and writes (postgres intervals, hex bytea,
    ** shortest exact floats), whatever the server's or the role's
    ** defaults: loading, dumping and the catalog see the same values. */
    PGresult *r = PQexec(c, "SET TIME ZONE 'UTC'; SET DateStyle TO 'ISO, YMD'; "
                         "SET IntervalStyle TO 'postgres'; SET bytea_output TO 'hex'; "
                         "SET extra_float_digits TO 1");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        char m[600];
        fx__pg_message(m, sizeof m, c, r, conninfo);
        PQclear(r);
        return fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "cannot set up the session on "
                            "'%s' (%s): check the server", target, m);
    }
    PQclear(r);
    return 0;
}

void fx__pg_params(const fx__bind *b, size_t n, const char **out, char (*text)[32])
{
    for (size_t i = 0; i < n; i++) {
        switch (b[i].type) {
        case FX__B_NULL: out[i] = NULL; break;
        case FX__B_INT:
            snprintf(text[i], 32, "%" PRId64, b[i].i);
            out[i] = text[i];
            break;
        case FX__B_REAL:
            snprintf(text[i], 32, "%.17g", b[i].d);
            out[i] = text[i];
            break;
        case FX__B_TEXT:
        case FX__B_BLOB: out[i] = b[i].s; break;   /* bytea comes as text */
        }
    }
}

/* ---------------------------------------------------------------- catalog */

/* Run sql with up to 1 text parameter; *out a tuples result or error. */
static int q(pgi *x, PGresult **out, const char *sql, const char *arg)
{
    const char *params[1] = {arg};
    PGresult *r = PQexecParams(x->c, sql, arg ? 1 : 0, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        int rc = fx_error_set(x->err, FX_ESCHEMA, x->src, 0, 0, 0, "cannot read the catalog of "
                              "%s (%s): pass a database made by Django's migrate",
                              x->src, PQresultErrorMessage(r));
        char *nl = strchr(x->err ? x->err->msg : "", '\n');
        if (nl)
            *nl = ' ';
        PQclear(r);
        return rc;
    }
    *out = r;
    return 0;
}

static fx_model_schema *model_of_table(pgi *x, const char *table)
{
    for (size_t i = 0; i < x->s->nmodels; i++)
        if (strcmp(x->s->models[i].table, table) == 0)
            return &x->s->models[i];
    return NULL;
}

static fx_kind map_type(const char *t, fx_field_schema *f)
{
    fx_kind k = FX_K_JSON;
    long a = -1, b = -1;
    const char *paren = strchr(t, '(');
    if (paren)
        sscanf(paren + 1, "%ld,%ld", &a, &b);
    if (!strcmp(t, "integer")) k = FX_K_INT;
    else if (!strcmp(t, "bigint")) k = FX_K_BIGINT;
    else if (!strcmp(t, "smallint")) k = FX_K_SMALLINT;
    else if (!strcmp(t, "boolean")) k = FX_K_BOOL;
    else if (!strncmp(t, "character varying", 17) || !strncmp(t, "character(", 10)) k = FX_K_CHAR;
    else if (!strcmp(t, "text")) k = FX_K_TEXT;
    else if (!strcmp(t, "bytea")) k = FX_K_BINARY;
    else if (!strncmp(t, "numeric", 7)) k = FX_K_DECIMAL;
    else if (!strcmp(t, "double precision") || !strcmp(t, "real")) k = FX_K_FLOAT;
    else if (!strcmp(t, "date")) k = FX_K_DATE;
    else if (!strncmp(t, "timestamp", 9)) k = FX_K_DATETIME;
    else if (!strncmp(t, "time", 4)) k = FX_K_TIME;
    else if (!strcmp(t, "interval")) k = FX_K_DURATION;
    else if (!strcmp(t, "uuid")) k = FX_K_UUID;
    if (f) {
        f->kind = k;
        if (k == FX_K_CHAR)
            f->max_length = a;
        if (k == FX_K_DECIMAL) {
            f->max_digits = (int)a;
            f->decimal_places = (int)(b >= 0 ? b : a >= 0 ? 0 : -1);
        }
    }
    return k;
}

static char *field_name(const char *col, int is_fk)
{
    size_t n = strlen(col);
    if (is_fk && n > 3 && strcmp(col + n - 3, "_id") == 0)
        n -= 3;
    return strndup(col, n);
}

static const char cols_sql[] =
    "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
    "  coalesce((SELECT true FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary "
    "            AND i.indkey[0] = a.attnum AND i.indnatts = 1), false), "
    "  (SELECT cf.relname FROM pg_constraint c JOIN pg_class cf ON cf.oid = c.confrelid "
    "    WHERE c.conrelid = a.attrelid AND c.contype = 'f' AND c.conkey = ARRAY[a.attnum] LIMIT 1), "
    "  (SELECT af.attname FROM pg_constraint c JOIN pg_attribute af ON af.attrelid = c.confrelid "
    "    AND af.attnum = c.confkey[1] "
    "    WHERE c.conrelid = a.attrelid AND c.contype = 'f' AND c.conkey = ARRAY[a.attnum] LIMIT 1), "
    "  coalesce((SELECT true FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique "
    "            AND NOT i.indisprimary AND i.indpred IS NULL AND i.indnatts = 1 "
    "            AND i.indkey[0] = a.attnum LIMIT 1), false) "
    "FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 "
    "AND NOT a.attisdropped ORDER BY a.attnum";

static const char uniq_sql[] =
    "SELECT i.indexrelid::text, a.attname FROM pg_index i "
    "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
    "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
    "WHERE i.indrelid = $1::regclass AND i.indisunique AND NOT i.indisprimary "
    "AND i.indpred IS NULL AND i.indnatts > 1 ORDER BY i.indexrelid, k.ord";

/* t as a quoted identifier, NUL-terminated; the caller frees it. */
static char *quoted(const char *t)
{
    fx_buf b = FX_BUF_INIT;
    if (fx__quote_id(&b, t)) {
        fx_buf_free(&b);
        return NULL;
    }
    return b.data;
}

static int read_model(pgi *x, fx_model_schema *m)
{
    PGresult *r;
    char *qt = quoted(m->table);
    if (!qt)
        return nomem(x);
    int rc = q(x, &r, cols_sql, qt);
    if (rc) {
        free(qt);
        return rc;
    }
    for (int i = 0; i < PQntuples(r) && !rc; i++) {
        const char *col = PQgetvalue(r, i, 0), *type = PQgetvalue(r, i, 1);
        int notnull = PQgetvalue(r, i, 2)[0] == 't', pk = PQgetvalue(r, i, 3)[0] == 't';
        int unique = PQgetvalue(r, i, 6)[0] == 't';
        const char *ref = PQgetisnull(r, i, 4) ? NULL : PQgetvalue(r, i, 4);
        const char *refcol = PQgetisnull(r, i, 5) ? NULL : PQgetvalue(r, i, 5);
        fx_model_schema *target = ref ? model_of_table(x, ref) : NULL;
        if (pk) {
            free(m->pk_name);
            free(m->pk_column);
            m->pk_name = field_name(col, target != NULL);
            m->pk_column = strdup(col);
            m->pk_kind = map_type(type, NULL);
            if (!m->pk_name || !m->pk_column)
                rc = nomem(x);
            continue;
        }
        fx_field_schema *f = fx__model_add_field(m);
        if (!f || !(f->column = strdup(col))) {
            rc = nomem(x);
            break;
        }
        f->null = !notnull;
        f->unique = unique;
        if (target) {
            f->kind = unique ? FX_K_O2O : FX_K_FK;
            if (!(f->name = field_name(col, 1)) || !(f->to = strdup(target->label)))
                rc = nomem(x);
            else if (refcol && strcmp(refcol, target->pk_column) != 0 &&
                     !(f->to_field = strdup(refcol)))
                rc = nomem(x);
        } else {
            map_type(type, f);
            if (!(f->name = strdup(col)))
                rc = nomem(x);
        }
    }
    PQclear(r);
    if (!rc && !(rc = q(x, &r, uniq_sql, qt))) {
        const char *last = "";
        fx_name_list *u = NULL;
        for (int i = 0; i < PQntuples(r) && !rc; i++) {
            if (strcmp(PQgetvalue(r, i, 0), last) != 0) {
                u = realloc(m->unique_together, (m->nunique_together + 1) * sizeof *u);
                if (!u) {
                    rc = nomem(x);
                    break;
                }
                m->unique_together = u;
                u = &u[m->nunique_together++];
                memset(u, 0, sizeof *u);
                last = PQgetvalue(r, i, 0);
            }
            const char *col = PQgetvalue(r, i, 1);
            const char *name = col;
            for (size_t j = 0; j < m->nfields; j++)
                if (strcmp(m->fields[j].column, col) == 0)
                    name = m->fields[j].name;
            if (fx__names_add(u, name))
                rc = nomem(x);
        }
        PQclear(r);
    }
    free(qt);
    return rc;
}

/* Link table: an "id" pk plus two foreign keys to model tables. */
static int read_link(pgi *x, const char *table)
{
    PGresult *r;
    char *qt = quoted(table);
    if (!qt)
        return nomem(x);
    int rc = q(x, &r, cols_sql, qt);
    free(qt);
    if (rc)
        return rc;
    int n = PQntuples(r), nfk = 0, fk[2] = {0, 0};
    for (int i = 0; i < n; i++) {
        if (PQgetvalue(r, i, 3)[0] == 't' && !strcmp(PQgetvalue(r, i, 0), "id"))
            continue;
        if (PQgetisnull(r, i, 4) || !model_of_table(x, PQgetvalue(r, i, 4)) || nfk == 2) {
            nfk = 3;
            break;
        }
        fk[nfk++] = i;
    }
    if (n != 3 || nfk != 2)
        goto out;
    fx_model_schema *owner = NULL;
    size_t tl = strlen(table), best = 0;
    const char *t0 = PQgetvalue(r, fk[0], 4), *t1 = PQgetvalue(r, fk[1], 4);
    for (size_t i = 0; i < x->s->nmodels; i++) {
        fx_model_schema *m = &x->s->models[i];
        size_t ml = strlen(m->table);
        if (ml + 1 < tl && ml > best && !strncmp(table, m->table, ml) && table[ml] == '_' &&
            (!strcmp(t0, m->table) || !strcmp(t1, m->table))) {
            owner = m;
            best = ml;
        }
    }
    if (!owner)
        goto out;
    int s0 = !strcmp(t0, owner->table), s1 = !strcmp(t1, owner->table), from, to;
    if (s0 && s1) {
        int f0 = !strncmp(PQgetvalue(r, fk[0], 0), "from_", 5);
        if (f0 == !strncmp(PQgetvalue(r, fk[1], 0), "from_", 5))
            goto out;
        from = f0 ? fk[0] : fk[1];
        to = f0 ? fk[1] : fk[0];
    } else {
        from = s0 ? fk[0] : fk[1];
        to = s0 ? fk[1] : fk[0];
    }
    const char *fname = table + best + 1;
    if (fx_model_field(owner, fname))
        goto out;
    fx_field_schema *f = fx__model_add_field(owner);
    if (!f || !(f->name = strdup(fname)) ||
        !(f->to = strdup(model_of_table(x, PQgetvalue(r, to, 4))->label)) ||
        !(f->through = strdup(table)) || !(f->through_from = strdup(PQgetvalue(r, from, 0))) ||
        !(f->through_to = strdup(PQgetvalue(r, to, 0))))
        rc = nomem(x);
    else
        f->kind = FX_K_M2M;
out:
    PQclear(r);
    return rc;
}

static const char tables_sql[] =
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY c.oid";

static int introspect(pgi *x)
{
    PGresult *tabs, *r;
    int rc = q(x, &tabs, tables_sql, NULL);
    if (rc)
        return rc;
    int has_ct = 0;
    for (int i = 0; i < PQntuples(tabs); i++)
        has_ct |= !strcmp(PQgetvalue(tabs, i, 0), "django_content_type");
    if (!has_ct) {
        PQclear(tabs);
        return fx_error_set(x->err, FX_ESCHEMA, x->src, 0, 0, 0, "not a database made by "
                            "Django's migrate (no django_content_type table): run migrate, "
                            "or pass a schema file");
    }
    if ((rc = q(x, &r, "SELECT app_label, model FROM django_content_type ORDER BY id", NULL))) {
        PQclear(tabs);
        return rc;
    }
    for (int i = 0; i < PQntuples(r) && !rc; i++) {
        fx_buf label = FX_BUF_INIT, table = FX_BUF_INIT;
        int oom = fx_buf_printf(&label, "%s.%s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1)) ||
                  fx_buf_printf(&table, "%s_%s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
        for (size_t k = 0; !oom && k < label.len; k++)
            label.data[k] = (char)(label.data[k] >= 'A' && label.data[k] <= 'Z'
                                       ? label.data[k] + 32 : label.data[k]);
        if (!oom && fx__builtin_table(label.data)) {
            fx_buf_reset(&table);
            oom = fx_buf_adds(&table, fx__builtin_table(label.data));
        }
        int exists = 0;
        for (int j = 0; !oom && j < PQntuples(tabs); j++)
            exists |= !strcasecmp(PQgetvalue(tabs, j, 0), table.data);
        if (!oom && exists && !fx_schema_model(x->s, label.data)) {
            fx_model_schema *m = fx__schema_add_model(x->s);
            oom = !m || !(m->label = strdup(label.data)) || !(m->table = strdup(table.data));
        }
        if (oom)
            rc = nomem(x);
        fx_buf_free(&label);
        fx_buf_free(&table);
    }
    PQclear(r);
    /* pks first (foreign keys need their targets' pk columns), then fields */
    for (size_t i = 0; i < x->s->nmodels && !rc; i++)
        rc = read_model(x, &x->s->models[i]);
    for (int i = 0; i < PQntuples(tabs) && !rc; i++)
        if (!model_of_table(x, PQgetvalue(tabs, i, 0)))
            rc = read_link(x, PQgetvalue(tabs, i, 0));
    PQclear(tabs);
    for (size_t i = 0; i < x->s->nmodels && !rc; i++)
        if (fx__schema_guess_natural_key(&x->s->models[i]))
            rc = nomem(x);
    return rc;
}

int fx__schema_pg(fx_schema **out, PGconn *conn, const char *source, fx_error *err)
{
    pgi x = {conn, source, err, NULL};
    *out = NULL;
    if (!(x.s = calloc(1, sizeof *x.s)))
        return nomem(&x);
    int rc = introspect(&x);
    if (!rc && !(x.s->source = strdup(source)))
        rc = nomem(&x);
    if (rc) {
        fx_schema_free(x.s);
        return rc;
    }
    *out = x.s;
    return 0;
}

/* ---------------------------------------------------------------- dump reading */

typedef struct pgd {
    PGconn *c;
    int borrowed;            /* the caller's connection and transaction */
    const char *conninfo;    /* borrowed: the target, for masking */
    unsigned next_cursor;
} pgd;

struct fx__cursor {
    char name[32];
    PGresult *r;
    int at, n;
    int done;
    size_t ncols;
    fx__bind row[];
};

static int dump_err(fx__dumper *d, PGresult *r, int code, const char *doing, fx_error *err)
{
    pgd *p = d->be;
    char m[600];
    fx__pg_message(m, sizeof m, p->c, r, p->conninfo);
    const char *hint = "check the server and that this is the database Django's migrate made";
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (state && (!strcmp(state, "42P01") || !strcmp(state, "42703")))
        hint = "the database does not have the tables and columns the schema names: run "
               "manage.py migrate, or pass the schema of this project (manage.py fxschema)";
    else if (fx__pg_lost(p->c, r))
        hint = "the connection to the server was lost; nothing was written";
    return fx_error_set(err, code, d->target, 0, 0, 0, "cannot %s (%s): %s", doing, m, hint);
}

static int exec_ok(fx__dumper *d, const char *sql, const char *doing, fx_error *err)
{
    pgd *p = d->be;
    PGresult *r = PQexec(p->c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        int rc = dump_err(d, r, FX_EIO, doing, err);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    return 0;
}

static int pg_open(fx__dumper *d, fx__cursor **out, const char *sql, const fx__bind *params,
                   size_t np, size_t ncols, fx_error *err)
{
    pgd *p = d->be;
    fx__cursor *c = calloc(1, sizeof *c + ncols * sizeof c->row[0]);
    fx_buf q = FX_BUF_INIT;
    const char **vals = calloc(np + 1, sizeof *vals);
    char (*ints)[32] = calloc(np + 1, sizeof *ints);
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
    fx__pg_params(params, np, vals, ints);
    PGresult *r = PQexecParams(p->c, q.data, (int)np, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        rc = dump_err(d, r, FX_ESCHEMA, "read the database", err);
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

static int pg_next(fx__dumper *d, fx__cursor *c, const fx__bind **row, fx_error *err)
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
            return dump_err(d, c->r, FX_EIO, "read the database", err);
        c->n = PQntuples(c->r);
        c->at = 0;
        c->done = c->n < FETCH_ROWS;
        if (c->n == 0)
            return 0;
    }
    for (size_t i = 0; i < c->ncols; i++) {
        fx__bind *x = &c->row[i];
        if (PQgetisnull(c->r, c->at, (int)i)) {
            x->type = FX__B_NULL;
        } else {
            x->type = FX__B_TEXT;
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
    if (!p->borrowed)
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
    p->conninfo = conninfo;
    int rc = fx__pg_connect(&p->c, conninfo, d->target, err);
    if (rc)
        return rc;
    /* one snapshot for the whole dump (the session is set up by
    ** fx__pg_connect) */
    if ((rc = exec_ok(d, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                      "begin a read-only transaction", err)))
        return rc;
    if (!d->schema && (rc = fx__schema_pg(&d->schema, p->c, d->target, err)) < 0)
        return rc;
    return 0;
}

int fx__dump_pg_attach(fx__dumper *d, PGconn *c, fx_error *err)
{
    if (PQtransactionStatus(c) != PQTRANS_INTRANS)
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "the connection to '%s' is not "
                            "in a transaction (or it failed): BEGIN one first (REPEATABLE "
                            "READ, so that the dump is one moment of the database)",
                            d->target);
    pgd *p = calloc(1, sizeof *p);
    if (!p)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    d->be = p;
    d->ops = &pg_ops;
    p->c = c;
    p->borrowed = 1;
    /* fx__pg_connect's session settings, for this transaction only */
    int rc = exec_ok(d, "SET LOCAL TIME ZONE 'UTC'; SET LOCAL DateStyle TO 'ISO, YMD'; "
                     "SET LOCAL IntervalStyle TO 'postgres'; SET LOCAL bytea_output TO 'hex'; "
                     "SET LOCAL extra_float_digits TO 1", "set up the transaction", err);
    if (rc)
        return rc;
    if (!d->schema && (rc = fx__schema_pg(&d->schema, c, d->target, err)) < 0)
        return rc;
    return 0;
}

/* ---- sequences ---- */

int fx__pg_counters(PGconn *c, const char *target, json_object **out, const char *what,
                    fx_error *err)
{
    json_object *j = json_object_new_object();
    int rc = 0;
    *out = NULL;
    if (!j)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    PGresult *res = PQexec(c, "SELECT quote_ident(schemaname) || '.' || "
                           "quote_ident(sequencename), last_value FROM pg_sequences "
                           "WHERE schemaname = current_schema()");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        char msg[512];
        fx__pg_message(msg, sizeof msg, c, res, target);
        rc = fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "%s: reading the sequences: %s", what,
                          msg);
    }
    for (int i = 0; !rc && i < PQntuples(res); i++)
        json_object_object_add(j, PQgetvalue(res, i, 0), PQgetisnull(res, i, 1) ? NULL
                               : json_object_new_int64(strtoll(PQgetvalue(res, i, 1),
                                                               NULL, 10)));
    PQclear(res);
    if (rc)
        json_object_put(j);
    else
        *out = j;
    return rc;
}

int fx__pg_counter_set(PGconn *c, const char *target, const char *name, json_object *v,
                       const char *what, fx_error *err)
{
    char num[32];
    int rc = 0;
    snprintf(num, sizeof num, "%lld", v ? (long long)json_object_get_int64(v) : 0LL);
    const char *vals[2] = {name, num};
    PGresult *res = PQexecParams(c, v ? "SELECT setval($1::regclass, $2::bigint, true)"
                                 : "SELECT setval($1::regclass, seqstart, false) FROM "
                                   "pg_sequence WHERE seqrelid = $1::regclass",
                                 v ? 2 : 1, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        char msg[512];
        fx__pg_message(msg, sizeof msg, c, res, target);
        rc = fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "%s: putting back sequence %s: %s",
                          what, name, msg);
    }
    PQclear(res);
    return rc;
}
