/*
** db_sqlite.c: the one way fx talks to SQLite: opening a database Django's
** migrate made (read-only, or to write it), reading its catalog into a
** schema (introspection), binding parameters and reading columns as
** fx__binds, and reading rows a statement at a time for the dump (on its
** own connection, or the caller's: fx_dump_sqlite).  fx_schema_load(), the load engine (load_sqlite.c) and the dump
** engine (dump.c) all go through here; values are converted in
** db_value.c.
**
** What a database tells: the models (django_content_type), their tables
** (Django's default "app_model", plus the few built-in models with their
** own db_table), columns and their declared types, NOT NULL, foreign keys,
** unique indexes, the JSON_VALID() checks of JSONField, and the link
** tables of many-to-many fields.  What it cannot tell (see schemas/README.md)
** is guessed or left unknown: decimal precision (-1), whether a bigint
** column is a BigIntegerField or a DurationField (bigint, alt_kind
** duration), natural keys (the single unique field or unique_together set).
*/
#include "dump_int.h"
#include "schema_int.h"

#include <errno.h>
#include <sys/stat.h>

#include <ctype.h>
#include <stdlib.h>
#include <strings.h>

#include <sqlite3.h>
#include <json-c/json.h>

typedef struct intro {
    sqlite3 *db;
    const char *path;
    fx_error *err;
    fx_schema *s;
} intro;

/* One column of a table, with what the pragmas say about it. */
typedef struct col {
    char *name, *type;
    int notnull, pk;
    char *ref_table, *ref_col;   /* foreign key; NULL if none */
    int unique;                  /* a one-column unique index */
} col;

typedef struct table_info {
    col *cols;
    size_t n;
    char *sql;                   /* CREATE TABLE text, lower-cased */
    fx_name_list *uniques;       /* multi-column unique indexes (columns) */
    size_t nuniques;
} table_info;

#define DB_HINT "pass a database made by Django's migrate, or a schema file"

static int nomem(intro *x)
{
    return fx_error_set(x->err, FX_ENOMEM, x->path, 0, 0, 0,
                        "out of memory reading the database: free some memory and try again");
}

static int dberr(intro *x)
{
    return fx_error_set(x->err, FX_ESCHEMA, x->path, 0, 0, 0,
                        "cannot read database '%s' (%s): " DB_HINT, x->path,
                        sqlite3_errmsg(x->db));
}

static char *dup_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

static int prepare(intro *x, sqlite3_stmt **st, const char *sql, const char *arg)
{
    if (sqlite3_prepare_v2(x->db, sql, -1, st, NULL) != SQLITE_OK)
        return dberr(x);
    if (arg && sqlite3_bind_text(*st, 1, arg, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
        sqlite3_finalize(*st);
        return dberr(x);
    }
    return 0;
}

/* Finish a statement stepped to its end: rc is sqlite3_step()'s last. */
static int done(intro *x, sqlite3_stmt *st, int rc)
{
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : dberr(x);
}

static void table_info_clear(table_info *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->cols[i].name);
        free(t->cols[i].type);
        free(t->cols[i].ref_table);
        free(t->cols[i].ref_col);
    }
    free(t->cols);
    free(t->sql);
    for (size_t i = 0; i < t->nuniques; i++)
        fx__names_clear(&t->uniques[i]);
    free(t->uniques);
    memset(t, 0, sizeof *t);
}

static col *find_col(table_info *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcasecmp(t->cols[i].name, name) == 0)
            return &t->cols[i];
    return NULL;
}

/* Read one unique index's columns into l (left empty for an index on an
** expression, which is no field). */
static int read_index(intro *x, const char *index, fx_name_list *l)
{
    sqlite3_stmt *st;
    int rc = prepare(x, &st, "SELECT name FROM pragma_index_info(?1) ORDER BY seqno", index);
    if (rc)
        return rc;
    int expr = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!name)
            expr = 1;
        else if (fx__names_add(l, name)) {
            sqlite3_finalize(st);
            return nomem(x);
        }
    }
    if (expr)
        fx__names_clear(l);
    return done(x, st, rc);
}

/* Everything the pragmas say about a table, into t (cleared by the caller
** with table_info_clear(), also on failure). */
static int read_table(intro *x, const char *table, table_info *t)
{
    sqlite3_stmt *st;
    int rc = prepare(x, &st, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) "
                     "ORDER BY cid", table);
    if (rc)
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        col *c = realloc(t->cols, (t->n + 1) * sizeof *c);
        if (!c) {
            sqlite3_finalize(st);
            return nomem(x);
        }
        t->cols = c;
        c = &c[t->n++];
        memset(c, 0, sizeof *c);
        c->name = dup_text(st, 0);
        c->type = dup_text(st, 1);
        c->notnull = sqlite3_column_int(st, 2);
        c->pk = sqlite3_column_int(st, 3);
        if (!c->name || !c->type) {
            sqlite3_finalize(st);
            return nomem(x);
        }
    }
    if ((rc = done(x, st, rc)))
        return rc;

    if ((rc = prepare(x, &st, "SELECT \"from\", \"table\", \"to\" FROM "
                      "pragma_foreign_key_list(?1)", table)))
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *from = (const char *)sqlite3_column_text(st, 0);
        col *c = from ? find_col(t, from) : NULL;
        if (!c || c->ref_table)
            continue;
        c->ref_table = dup_text(st, 1);
        c->ref_col = dup_text(st, 2);   /* NULL: the target's pk */
        if (!c->ref_table) {
            sqlite3_finalize(st);
            return nomem(x);
        }
    }
    if ((rc = done(x, st, rc)))
        return rc;

    /* unique indexes in the order they were made; partial ones (conditional
    ** constraints) and the pk's own index are not uniqueness of fields */
    if ((rc = prepare(x, &st, "SELECT il.name FROM pragma_index_list(?1) il "
                      "LEFT JOIN sqlite_master m ON m.name = il.name "
                      "WHERE il.\"unique\" AND NOT il.partial AND il.origin <> 'pk' "
                      "ORDER BY m.rowid", table)))
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fx_name_list l = {NULL, 0};
        int r = read_index(x, (const char *)sqlite3_column_text(st, 0), &l);
        if (!r && l.n == 1) {
            col *c = find_col(t, l.names[0]);
            if (c && !c->pk)
                c->unique = 1;
            fx__names_clear(&l);
        } else if (!r && l.n > 1) {
            fx_name_list *u = realloc(t->uniques, (t->nuniques + 1) * sizeof *u);
            if (!u) {
                fx__names_clear(&l);
                r = nomem(x);
            } else {
                t->uniques = u;
                u[t->nuniques++] = l;
            }
        }
        if (r) {
            sqlite3_finalize(st);
            return r;
        }
    }
    if ((rc = done(x, st, rc)))
        return rc;

    if ((rc = prepare(x, &st, "SELECT sql FROM sqlite_master WHERE type = 'table' "
                      "AND name = ?1", table)))
        return rc;
    if ((rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        const char *sql = (const char *)sqlite3_column_text(st, 0);
        if (!(t->sql = fx__strndup_lower(sql, strlen(sql)))) {
            sqlite3_finalize(st);
            return nomem(x);
        }
        rc = sqlite3_step(st);
    }
    return done(x, st, rc);
}

/* The model whose table is table (case-insensitive), or NULL. */
static fx_model_schema *model_of_table(intro *x, const char *table)
{
    for (size_t i = 0; i < x->s->nmodels; i++)
        if (strcasecmp(x->s->models[i].table, table) == 0)
            return &x->s->models[i];
    return NULL;
}

/* Field name of a column: fk columns lose their "_id". */
static char *field_name(const col *c)
{
    size_t n = strlen(c->name);
    if (c->ref_table && n > 3 && strcasecmp(c->name + n - 3, "_id") == 0)
        n -= 3;
    return strndup(c->name, n);
}

/* Kind and sizes from Django's SQLite column types (django/db/backends/
** sqlite3/base.py data_types).  Returns the kind. */
static fx_kind map_type(const char *decl, const table_info *t, const char *column,
                        fx_field_schema *f)
{
    char type[64];
    size_t n = 0;
    for (const char *p = decl; *p && n < sizeof type - 1; p++)
        type[n++] = (char)tolower((unsigned char)*p);
    while (n && type[n - 1] == ' ')
        n--;
    type[n] = '\0';
    int positive = 0;
    if (n > 9 && strcmp(type + n - 9, " unsigned") == 0) {
        n -= 9;
        type[n] = '\0';
        positive = 1;
    }
    long len = -1;
    const char *paren = strchr(type, '(');
    if (paren)
        len = strtol(paren + 1, NULL, 10);

    fx_kind k;
    if (strcmp(type, "integer") == 0 || strcmp(type, "int") == 0)
        k = FX_K_INT;
    else if (strcmp(type, "bigint") == 0)
        k = FX_K_BIGINT;
    else if (strcmp(type, "smallint") == 0)
        k = FX_K_SMALLINT;
    else if (strcmp(type, "bool") == 0)
        k = FX_K_BOOL;
    else if (strncmp(type, "varchar", 7) == 0 && (!type[7] || type[7] == '('))
        k = FX_K_CHAR;
    else if (strcmp(type, "char(32)") == 0)
        k = FX_K_UUID;
    else if (strncmp(type, "char(", 5) == 0)
        k = FX_K_CHAR;
    else if (strcmp(type, "text") == 0)
        k = FX_K_TEXT;
    else if (strcmp(type, "blob") == 0)
        k = FX_K_BINARY;
    else if (strcmp(type, "decimal") == 0)
        k = FX_K_DECIMAL;
    else if (strcmp(type, "real") == 0)
        k = FX_K_FLOAT;
    else if (strcmp(type, "date") == 0)
        k = FX_K_DATE;
    else if (strcmp(type, "datetime") == 0)
        k = FX_K_DATETIME;
    else if (strcmp(type, "time") == 0)
        k = FX_K_TIME;
    else
        k = FX_K_JSON;   /* a type Django does not make: accept any value */

    if (!f)
        return k;
    f->kind = k;
    if (k == FX_K_CHAR)
        f->max_length = len >= 0 ? len : -1;
    if (k == FX_K_INT || k == FX_K_SMALLINT || k == FX_K_BIGINT)
        f->positive = positive;
    if (k == FX_K_BIGINT && !positive)
        f->alt_kind = FX_K_DURATION;   /* DurationField is a bigint too */
    if (k == FX_K_TEXT && t->sql && strcmp(type, "text") == 0) {
        char pat[300];
        snprintf(pat, sizeof pat, "json_valid(\"%s\")", column);
        for (char *p = pat; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        if (strstr(t->sql, pat))
            f->kind = FX_K_JSON;
    }
    return f->kind;
}

/* The pk column of a table, or NULL (borrowed from t). */
static const col *pk_col(const table_info *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->cols[i].pk == 1)
            return &t->cols[i];
    return NULL;
}

/* Name of the field behind column c of t: the pk name, an fk's name, or c. */
static char *column_field(const fx_model_schema *m, const char *column)
{
    if (strcasecmp(column, m->pk_column) == 0)
        return strdup(m->pk_name);
    for (size_t i = 0; i < m->nfields; i++)
        if (m->fields[i].column && strcasecmp(m->fields[i].column, column) == 0)
            return strdup(m->fields[i].name);
    return strdup(column);
}

/* The pk of model m from its table t. */
static int read_pk(intro *x, fx_model_schema *m, const table_info *t)
{
    const col *pk = pk_col(t);
    if (!pk)
        return 0;   /* Django always makes one; keep the default */
    free(m->pk_name);
    free(m->pk_column);
    m->pk_name = field_name(pk);
    m->pk_column = strdup(pk->name);
    m->pk_kind = map_type(pk->type, t, pk->name, NULL);
    return m->pk_name && m->pk_column ? 0 : nomem(x);
}

/* The fields and unique_together of model m from its table t (the pks of
** all models known, for to_field). */
static int read_fields(intro *x, fx_model_schema *m, const table_info *t)
{
    for (size_t i = 0; i < t->n; i++) {
        const col *c = &t->cols[i];
        if (c == pk_col(t))
            continue;
        fx_model_schema *target = c->ref_table ? model_of_table(x, c->ref_table) : NULL;
        fx_field_schema *f = fx__model_add_field(m);
        if (!f || !(f->column = strdup(c->name)))
            return nomem(x);
        f->null = !c->notnull;
        f->unique = c->unique;
        if (target) {
            f->kind = c->unique ? FX_K_O2O : FX_K_FK;
            if (!(f->name = field_name(c)) || !(f->to = strdup(target->label)))
                return nomem(x);
            if (c->ref_col && strcasecmp(c->ref_col, target->pk_column) != 0 &&
                !(f->to_field = strdup(c->ref_col)))
                return nomem(x);
        } else {
            map_type(c->type, t, c->name, f);
            if (!(f->name = strdup(c->name)))
                return nomem(x);
        }
    }
    for (size_t i = 0; i < t->nuniques; i++) {
        fx_name_list *u = realloc(m->unique_together, (m->nunique_together + 1) * sizeof *u);
        if (!u)
            return nomem(x);
        m->unique_together = u;
        u = &u[m->nunique_together++];
        memset(u, 0, sizeof *u);
        for (size_t j = 0; j < t->uniques[i].n; j++) {
            char *name = column_field(m, t->uniques[i].names[j]);
            int r = name ? fx__names_add(u, name) : FX_ENOMEM;
            free(name);
            if (r)
                return nomem(x);
        }
    }
    return 0;
}

/* If table is the link table of a many-to-many field, add the field to its
** model.  A link table is named "<model table>_<field>" and holds an id pk
** and two foreign keys to model tables, one to the owner. */
static int read_link_table(intro *x, const char *table)
{
    table_info t = {0};
    int rc = read_table(x, table, &t);
    if (rc || t.n != 3)
        goto out;
    col *fks[2];
    size_t nfk = 0;
    for (size_t i = 0; i < t.n; i++) {
        col *c = &t.cols[i];
        if (c->pk == 1 && strcasecmp(c->name, "id") == 0)
            continue;
        if (c->pk || !c->ref_table || !model_of_table(x, c->ref_table) || nfk == 2)
            goto out;
        fks[nfk++] = c;
    }
    if (nfk != 2)
        goto out;

    /* the owner: the longest model table that prefixes the name and is
    ** referenced by one of the two columns */
    fx_model_schema *owner = NULL;
    size_t tl = strlen(table), best = 0;
    for (size_t i = 0; i < x->s->nmodels; i++) {
        fx_model_schema *m = &x->s->models[i];
        size_t ml = strlen(m->table);
        if (ml + 1 < tl && ml > best && strncasecmp(table, m->table, ml) == 0 &&
            table[ml] == '_' && (strcasecmp(fks[0]->ref_table, m->table) == 0 ||
                                 strcasecmp(fks[1]->ref_table, m->table) == 0)) {
            owner = m;
            best = ml;
        }
    }
    if (!owner)
        goto out;
    col *from, *to;
    int self0 = strcasecmp(fks[0]->ref_table, owner->table) == 0;
    int self1 = strcasecmp(fks[1]->ref_table, owner->table) == 0;
    if (self0 && self1) {   /* self-referential: from_<model>_id, to_<model>_id */
        int f0 = strncasecmp(fks[0]->name, "from_", 5) == 0;
        int f1 = strncasecmp(fks[1]->name, "from_", 5) == 0;
        if (f0 == f1)
            goto out;
        from = f0 ? fks[0] : fks[1];
        to = f0 ? fks[1] : fks[0];
    } else {
        from = self0 ? fks[0] : fks[1];
        to = self0 ? fks[1] : fks[0];
    }
    const char *fname = table + best + 1;
    if (fx_model_field(owner, fname))
        goto out;
    fx_field_schema *f = fx__model_add_field(owner);
    if (!f)
        goto oom;
    f->kind = FX_K_M2M;
    if (!(f->name = strdup(fname)) ||
        !(f->to = strdup(model_of_table(x, to->ref_table)->label)) ||
        !(f->through = strdup(table)) || !(f->through_from = strdup(from->name)) ||
        !(f->through_to = strdup(to->name)))
        goto oom;
    goto out;
oom:
    rc = nomem(x);
out:
    table_info_clear(&t);
    return rc;
}

/* The models of django_content_type whose table exists, in id order. */
static int read_models(intro *x)
{
    sqlite3_stmt *st, *tq;
    int rc = prepare(x, &st, "SELECT app_label, model FROM django_content_type "
                     "ORDER BY id", NULL);
    if (rc)
        return rc;
    if ((rc = prepare(x, &tq, "SELECT name FROM sqlite_master WHERE type = 'table' "
                      "AND name = ?1 COLLATE NOCASE", NULL))) {
        sqlite3_finalize(st);
        return rc;
    }
    int oom = 0;
    while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *app = (const char *)sqlite3_column_text(st, 0);
        const char *model = (const char *)sqlite3_column_text(st, 1);
        if (!app || !model)
            continue;
        fx_buf label = FX_BUF_INIT, table = FX_BUF_INIT;
        oom = fx_buf_printf(&label, "%s.%s", app, model) ||
              fx_buf_printf(&table, "%s_%s", app, model);
        for (size_t i = 0; !oom && i < label.len; i++)
            label.data[i] = (char)tolower((unsigned char)label.data[i]);
        if (!oom && fx__builtin_table(label.data)) {
            fx_buf_reset(&table);
            oom = fx_buf_adds(&table, fx__builtin_table(label.data));
        }
        if (!oom && !fx_schema_model(x->s, label.data)) {
            sqlite3_reset(tq);
            sqlite3_bind_text(tq, 1, table.data, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(tq) == SQLITE_ROW) {   /* else: proxy, or own db_table */
                fx_model_schema *m = fx__schema_add_model(x->s);
                oom = !m || !(m->label = strdup(label.data)) || !(m->table = dup_text(tq, 0));
            }
        }
        fx_buf_free(&label);
        fx_buf_free(&table);
    }
    sqlite3_finalize(tq);
    if (oom) {
        sqlite3_finalize(st);
        return nomem(x);
    }
    return done(x, st, rc);
}

static int introspect(intro *x)
{
    sqlite3_stmt *st;
    int rc = prepare(x, &st, "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                     "AND name = 'django_content_type'", NULL);
    if (rc)
        return rc;
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return fx_error_set(x->err, FX_ESCHEMA, x->path, 0, 0, 0,
                            "not a database made by Django's migrate (no "
                            "django_content_type table): run migrate, or pass a "
                            "schema file");
    if (rc != SQLITE_ROW)
        return dberr(x);
    if ((rc = read_models(x)))
        return rc;
    size_t n = x->s->nmodels;
    table_info *t = calloc(n ? n : 1, sizeof *t);
    if (!t)
        return nomem(x);
    for (size_t i = 0; i < n && !rc; i++)
        if (!(rc = read_table(x, x->s->models[i].table, &t[i])))
            rc = read_pk(x, &x->s->models[i], &t[i]);
    for (size_t i = 0; i < n && !rc; i++)
        rc = read_fields(x, &x->s->models[i], &t[i]);
    for (size_t i = 0; i < n; i++)
        table_info_clear(&t[i]);
    free(t);
    if (rc)
        return rc;

    /* many-to-many link tables: tables that are no model's, in creation order */
    if ((rc = prepare(x, &st, "SELECT name FROM sqlite_master WHERE type = 'table' "
                      "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid", NULL)))
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *table = (const char *)sqlite3_column_text(st, 0);
        int r = table && !model_of_table(x, table) ? read_link_table(x, table) : 0;
        if (r) {
            sqlite3_finalize(st);
            return r;
        }
    }
    if ((rc = done(x, st, rc)))
        return rc;
    for (size_t i = 0; i < x->s->nmodels; i++)
        if (fx__schema_guess_natural_key(&x->s->models[i]))
            return nomem(x);
    return 0;
}

/* ---------------------------------------------------------------- opening */

/* "file:" URI for path with mode=ro, so that nothing is ever created or
** written; '%', '?' and '#' are escaped.  malloc: the caller frees. */
int fx__sqlite_bind(sqlite3_stmt *st, int i, const fx__bind *b)
{
    switch (b->type) {
    case FX__B_NULL: return sqlite3_bind_null(st, i);
    case FX__B_INT: return sqlite3_bind_int64(st, i, b->i);
    case FX__B_REAL: return sqlite3_bind_double(st, i, b->d);
    case FX__B_TEXT: return sqlite3_bind_text(st, i, b->s, (int)b->n, SQLITE_STATIC);
    case FX__B_BLOB: return sqlite3_bind_blob(st, i, b->s, (int)b->n, SQLITE_STATIC);
    }
    return SQLITE_MISUSE;
}

int fx__sqlite_column(sqlite3_stmt *st, int k, fx__bind *x)
{
    switch (sqlite3_column_type(st, k)) {
    case SQLITE_INTEGER:
        x->type = FX__B_INT;
        x->i = sqlite3_column_int64(st, k);
        break;
    case SQLITE_FLOAT:
        x->type = FX__B_REAL;
        x->d = sqlite3_column_double(st, k);
        break;
    case SQLITE_TEXT:
        x->type = FX__B_TEXT;
        x->s = (const char *)sqlite3_column_text(st, k);
        x->n = (size_t)sqlite3_column_bytes(st, k);
        if (!x->s)
            return FX_ENOMEM;
        break;
    case SQLITE_BLOB:
        x->type = FX__B_BLOB;
        x->s = sqlite3_column_blob(st, k);
        x->n = (size_t)sqlite3_column_bytes(st, k);
        if (!x->s)
            x->s = "";
        break;
    default:
        x->type = FX__B_NULL;
    }
    return 0;
}

static char *ro_uri(const char *path)
{
    char *u = malloc(strlen(path) * 3 + 32), *p = u;
    if (!u)
        return NULL;
    p += sprintf(p, path[0] == '/' ? "file://" : "file:");
    for (const char *s = path; *s; s++) {
        if (*s == '%' || *s == '?' || *s == '#')
            p += sprintf(p, "%%%02X", (unsigned char)*s);
        else
            *p++ = *s;
    }
    strcpy(p, "?mode=ro");
    return u;
}

int fx__sqlite_open(sqlite3 **out, const char *path, int write, const char *hint,
                    fx_error *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return fx_error_set(err, FX_EIO, path, 0, 0, 0, "cannot open database '%s' (%s): %s",
                            path, strerror(errno), hint);
    char *uri = write ? NULL : ro_uri(path);
    if (!write && !uri)
        return fx_error_set(err, FX_ENOMEM, path, 0, 0, 0, "out of memory");
    /* one thread uses a connection: no mutex */
    int rc = sqlite3_open_v2(write ? path : uri, out, SQLITE_OPEN_NOMUTEX | (write ?
                             SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY | SQLITE_OPEN_URI),
                             NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        rc = fx_error_set(err, FX_EIO, path, 0, 0, 0, "cannot open database '%s'%s (%s): %s",
                          path, write ? " for writing" : "",
                          *out ? sqlite3_errmsg(*out) : "out of memory", hint);
        sqlite3_close(*out);
        *out = NULL;
        return rc;
    }
    if (write && sqlite3_db_readonly(*out, "main") == 1) {   /* SQLite opened it read-only */
        sqlite3_close(*out);
        *out = NULL;
        return fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "cannot write to database '%s': the "
                            "file is read-only; make it (and its directory, where SQLite "
                            "writes a journal) writable for this user", path);
    }
    sqlite3_busy_timeout(*out, 10000);
    return 0;
}

int fx__sqlite_catalog(fx_schema **out, sqlite3 *db, const char *path, fx_error *err)
{
    intro x = {db, path, err, NULL};
    *out = NULL;
    if (!(x.s = calloc(1, sizeof *x.s)))
        return nomem(&x);
    int rc = introspect(&x);
    if (rc == 0) {
        x.s->source = malloc(strlen(path) + 8);
        if (x.s->source)
            sprintf(x.s->source, "sqlite:%s", path);
        else
            rc = nomem(&x);
    }
    if (rc) {
        fx_schema_free(x.s);
        return rc;
    }
    *out = x.s;
    return 0;
}

int fx__schema_sqlite(fx_schema **out, const char *path, fx_error *err)
{
    sqlite3 *db;
    *out = NULL;
    int rc = fx__sqlite_open(&db, path, 0, DB_HINT, err);
    if (rc)
        return rc;
    rc = fx__sqlite_catalog(out, db, path, err);
    sqlite3_close(db);
    return rc;
}

/* ---------------------------------------------------------------- dump reading */

typedef struct sqd {
    sqlite3 *db;
    int borrowed;   /* the caller's connection and transaction */
} sqd;

struct fx__cursor {
    sqlite3_stmt *st;
    size_t ncols;
    fx__bind row[];
};

static int dump_err(fx__dumper *d, int code, const char *doing, fx_error *err)
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

static int sq_open(fx__dumper *d, fx__cursor **out, const char *sql, const fx__bind *params,
                   size_t np, size_t ncols, fx_error *err)
{
    sqd *s = d->be;
    fx__cursor *c = calloc(1, sizeof *c + ncols * sizeof c->row[0]);
    if (!c)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    c->ncols = ncols;
    if (sqlite3_prepare_v2(s->db, sql, -1, &c->st, NULL) != SQLITE_OK) {
        free(c);
        return dump_err(d, FX_ESCHEMA, "read the database", err);
    }
    for (size_t i = 0; i < np; i++) {
        if (fx__sqlite_bind(c->st, (int)i + 1, &params[i]) != SQLITE_OK) {
            sqlite3_finalize(c->st);
            free(c);
            return dump_err(d, FX_ERROR, "bind --pks", err);
        }
    }
    *out = c;
    return 0;
}

static int sq_next(fx__dumper *d, fx__cursor *c, const fx__bind **row, fx_error *err)
{
    int rc = sqlite3_step(c->st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return dump_err(d, FX_EIO, "read the database", err);
    for (size_t i = 0; i < c->ncols; i++)
        if (fx__sqlite_column(c->st, (int)i, &c->row[i]))
            return dump_err(d, FX_ENOMEM, "read the database", err);
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
    if (!s->borrowed) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close_v2(s->db);
    }
    free(s);
    d->be = NULL;
}

static const fx__dump_ops sqlite_ops = {0, sq_open, sq_next, sq_close, sq_disconnect};

int fx__dump_sqlite_open(fx__dumper *d, const char *path, fx_error *err)
{
    sqd *s = calloc(1, sizeof *s);
    if (!s)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    d->be = s;
    d->ops = &sqlite_ops;
    int rc = fx__sqlite_open(&s->db, path, 0, "pass the SQLite file Django's settings name",
                             err);
    if (rc)
        return rc;
    /* BEGIN is deferred: the first read starts the read transaction; the
    ** catalog is read inside it too */
    if (sqlite3_exec(s->db, "BEGIN; SELECT count(*) FROM sqlite_master", NULL, NULL, NULL))
        return dump_err(d, FX_EIO, "read the database", err);
    if (!d->schema && (rc = fx__sqlite_catalog(&d->schema, s->db, path, err)) < 0)
        return rc;
    return 0;
}

int fx__dump_sqlite_attach(fx__dumper *d, sqlite3 *db, const char *path, fx_error *err)
{
    if (sqlite3_get_autocommit(db))
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "the connection to '%s' is not "
                            "in a transaction: BEGIN one first, so that the dump is one "
                            "moment of the database", path);
    sqd *s = calloc(1, sizeof *s);
    if (!s)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    d->be = s;
    d->ops = &sqlite_ops;
    s->db = db;
    s->borrowed = 1;
    int rc = 0;
    if (!d->schema && (rc = fx__sqlite_catalog(&d->schema, db, path, err)) < 0)
        return rc;
    return 0;
}

/* ---- AUTOINCREMENT counters ---- */

int fx__sqlite_counters(sqlite3 *db, json_object **out, const char *what, fx_error *err)
{
    json_object *j = json_object_new_object();
    sqlite3_stmt *st = NULL;
    int rc = 0;
    *out = NULL;
    if (!j)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    /* no AUTOINCREMENT table, no sqlite_sequence: no counter */
    if (sqlite3_prepare_v2(db, "SELECT name, seq FROM sqlite_sequence", -1, &st, NULL) ==
        SQLITE_OK) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            json_object_object_add(j, (const char *)sqlite3_column_text(st, 0),
                                   json_object_new_int64(sqlite3_column_int64(st, 1)));
        rc = rc == SQLITE_DONE ? 0 : fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "%s: reading "
                                                  "sqlite_sequence: %s", what,
                                                  sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    if (rc)
        json_object_put(j);
    else
        *out = j;
    return rc;
}

int fx__sqlite_counter_set(sqlite3 *db, const char *name, json_object *v, const char *what,
                           fx_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    const char *sql = v ? "UPDATE sqlite_sequence SET seq = ?2 WHERE name = ?1"
                        : "DELETE FROM sqlite_sequence WHERE name = ?1";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
        (v && sqlite3_bind_int64(st, 2, json_object_get_int64(v)) != SQLITE_OK) ||
        sqlite3_step(st) != SQLITE_DONE)
        rc = fx_error_set(err, FX_EIO, NULL, 0, 0, 0, "%s: putting back the AUTOINCREMENT "
                          "counter of %s: %s", what, name, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc;
}
