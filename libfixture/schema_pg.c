/*
** schema_pg.c: build a schema by reading the catalog of a PostgreSQL
** database that Django's migrate made: the same fx_schema that
** schema_sqlite.c derives from a SQLite database.  Models come from
** django_content_type, tables are Django's default "app_model" (or the
** built-in models' own), columns and types from pg_attribute, NOT NULL,
** primary keys and unique indexes from pg_index, foreign keys from
** pg_constraint, many-to-many link tables from their shape (an id and two
** foreign keys to model tables, named "<owner table>_<field>").  The
** natural key is guessed as schema_sqlite.c does: the single unique
** field, else the single unique_together set.
*/
#include "load_int.h"
#include "schema_int.h"

#include <stdlib.h>
#include <strings.h>

#include <libpq-fe.h>

static const struct { const char *label, *table; } builtin_tables[] = {
    {"contenttypes.contenttype", "django_content_type"},
    {"admin.logentry", "django_admin_log"},
    {"sessions.session", "django_session"},
    {"sites.site", "django_site"},
    {"redirects.redirect", "django_redirect"},
    {"flatpages.flatpage", "django_flatpage"},
};

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

static char *quoted(const char *t)
{
    size_t n = strlen(t);
    char *r = malloc(2 * n + 3), *p = r;
    if (!r)
        return NULL;
    *p++ = '"';
    for (; *t; t++) {
        if (*t == '"')
            *p++ = '"';
        *p++ = *t;
    }
    *p++ = '"';
    *p = 0;
    return r;
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
        for (size_t k = 0; !oom && k < sizeof builtin_tables / sizeof *builtin_tables; k++)
            if (!strcmp(label.data, builtin_tables[k].label)) {
                fx_buf_reset(&table);
                oom = fx_buf_adds(&table, builtin_tables[k].table);
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

int fx__schema_pg(fx_schema **out, void *conn, const char *source, fx_error *err)
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
