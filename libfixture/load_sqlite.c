/*
** load_sqlite.c: the SQLite back end of the load engine.  One connection,
** one BEGIN IMMEDIATE transaction, prepared statements per model and set
** of columns, every value bound.  Foreign keys are enforced on this
** connection (Django turns them on too: its constraints are DEFERRABLE
** INITIALLY DEFERRED, so they are checked at commit); before COMMIT,
** PRAGMA foreign_key_check finds the first violation so that the message
** names the record, as Django's check_constraints() does.  The database's
** own settings (journal mode, page size) are not touched.
**
** A row is written as loaddata's save(): UPDATE by pk (only when a value
** differs, so that unchanged rows are counted as such), else INSERT.
*/
#include "load_int.h"
#include "schema_int.h"

#include <errno.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>

#include <sqlite3.h>

/* Statements for one set of columns of a model. */
typedef struct colset {
    uint64_t mask;           /* bit i: field i (fields past 63 share bit 63) */
    size_t n;
    size_t *fidx;
    sqlite3_stmt *update, *insert;
} colset;

typedef struct smodel {
    colset *sets;
    size_t nsets;
    sqlite3_stmt *exists, *natural;
    sqlite3_stmt **m2m_sel, **m2m_ins, **m2m_del, **set;   /* per field */
} smodel;

typedef struct sq {
    sqlite3 *db;
    const char *path;
    smodel *m;
    size_t nm;
    int in_tx;
} sq;

static int quote(fx_buf *b, const char *id)
{
    int rc = fx_buf_addc(b, '"');
    for (const char *p = id; !rc && *p; p++)
        rc = *p == '"' ? fx_buf_adds(b, "\"\"") : fx_buf_addc(b, *p);
    return rc || fx_buf_addc(b, '"');
}

static int dberr(fx_loader *l, sq *s, const fx__loc *loc, fx_error *err, const char *doing)
{
    const char *m = sqlite3_errmsg(s->db);
    int ext = sqlite3_extended_errcode(s->db);
    if (strstr(m, "no such table"))
        return fx__load_fail(l, loc, err, FX__EREJECT, "%s (while %s): run migrate "
                             "(manage.py migrate) on %s, or pass --ignorenonexistent",
                             m, doing, s->path);
    if ((ext & 0xff) == SQLITE_CONSTRAINT && loc) {
        /* "UNIQUE constraint failed: table.col, table.col" -> field names */
        const fx_model_schema *md = fx_schema_model(l->schema, loc->label);
        const char *cols = strstr(m, "failed: ");
        char fields[300] = "";
        if (md && cols) {
            char tmp[300];
            snprintf(tmp, sizeof tmp, "%s", cols + 8);
            for (char *tok = strtok(tmp, ", "); tok; tok = strtok(NULL, ", ")) {
                char *dot = strrchr(tok, '.');
                const char *c = dot ? dot + 1 : tok;
                const char *name = c;
                for (size_t i = 0; i < md->nfields; i++)
                    if (md->fields[i].column && strcasecmp(md->fields[i].column, c) == 0)
                        name = md->fields[i].name;
                if (strcasecmp(c, md->pk_column) == 0)
                    name = md->pk_name;
                size_t k = strlen(fields);
                snprintf(fields + k, sizeof fields - k, "%s'%s'", k ? ", " : "", name);
            }
        }
        const char *why = ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY
                              ? ": another row already has this value; change it in the "
                                "file or in the database"
                          : ext == SQLITE_CONSTRAINT_NOTNULL
                              ? ": the record gives no value and the column has no "
                                "default (Django would use the model's default): add the "
                                "field to the record"
                              : "";
        return fx__load_fail(l, loc, err, FX__EREJECT, "field%s %s: %s%s",
                             strchr(fields, ',') ? "s" : "", fields[0] ? fields : "?", m, why);
    }
    if (loc)
        return fx__load_fail(l, loc, err, ext == SQLITE_FULL || ext == SQLITE_IOERR ? FX_EIO
                             : FX__EREJECT, "%s (while %s)", m, doing);
    l->failed = 1;
    return fx_error_set(err, FX_EIO, s->path, 0, 0, 0, "%s (while %s): nothing was written",
                        m, doing);
}

static int prep(fx_loader *l, sq *s, sqlite3_stmt **st, const fx_buf *sql,
                const fx__loc *loc, fx_error *err)
{
    if (sqlite3_prepare_v3(s->db, sql->data, (int)sql->len, SQLITE_PREPARE_PERSISTENT, st,
                           NULL) != SQLITE_OK)
        return dberr(l, s, loc, err, "preparing a statement");
    return 0;
}

static int bind(sqlite3_stmt *st, int i, const fx__bind *b)
{
    switch (b->type) {
    case FX__B_NULL: return sqlite3_bind_null(st, i);
    case FX__B_INT: return sqlite3_bind_int64(st, i, b->i);
    case FX__B_REAL: return sqlite3_bind_double(st, i, b->d);
    case FX__B_TEXT: return sqlite3_bind_text(st, i, b->s, (int)b->n, SQLITE_STATIC);
    }
    return SQLITE_MISUSE;
}

/* Step a statement to its end; SQLITE_DONE or an error code. */
static int run(sqlite3_stmt *st)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    sqlite3_reset(st);
    return rc;
}

static uint64_t mask_of(const size_t *fidx, size_t n)
{
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++)
        m |= (uint64_t)1 << (fidx[i] < 63 ? fidx[i] : 63);
    return m;
}

static colset *get_set(fx_loader *l, sq *s, size_t mi, const size_t *fidx, size_t n,
                       const fx__loc *loc, fx_error *err)
{
    smodel *sm = &s->m[mi];
    uint64_t mask = mask_of(fidx, n);
    for (size_t i = 0; i < sm->nsets; i++)
        if (sm->sets[i].mask == mask && sm->sets[i].n == n &&
            memcmp(sm->sets[i].fidx, fidx, n * sizeof *fidx) == 0)
            return &sm->sets[i];
    colset *cs = realloc(sm->sets, (sm->nsets + 1) * sizeof *cs);
    if (!cs) {
        fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
        return NULL;
    }
    sm->sets = cs;
    cs = &cs[sm->nsets];
    memset(cs, 0, sizeof *cs);
    const fx_model_schema *m = &l->schema->models[mi];
    fx_buf u = FX_BUF_INIT, in = FX_BUF_INIT;
    int oom = fx_buf_adds(&u, "UPDATE ") || quote(&u, m->table) || fx_buf_adds(&u, " SET ");
    for (size_t i = 0; i < n && !oom; i++)
        oom = (i && fx_buf_adds(&u, ", ")) || quote(&u, m->fields[fidx[i]].column) ||
              fx_buf_printf(&u, " = ?%zu", i + 2);
    oom = oom || fx_buf_adds(&u, " WHERE ") || quote(&u, m->pk_column) ||
          fx_buf_adds(&u, " = ?1 AND NOT (");
    for (size_t i = 0; i < n && !oom; i++)
        oom = (i && fx_buf_adds(&u, " AND ")) || quote(&u, m->fields[fidx[i]].column) ||
              fx_buf_printf(&u, " IS ?%zu", i + 2);
    oom = oom || fx_buf_adds(&u, ")");
    oom = oom || fx_buf_adds(&in, "INSERT INTO ") || quote(&in, m->table) ||
          fx_buf_adds(&in, " (") || quote(&in, m->pk_column);
    for (size_t i = 0; i < n && !oom; i++)
        oom = fx_buf_adds(&in, ", ") || quote(&in, m->fields[fidx[i]].column);
    oom = oom || fx_buf_adds(&in, ") VALUES (?1");
    for (size_t i = 0; i < n && !oom; i++)
        oom = fx_buf_printf(&in, ", ?%zu", i + 2);
    oom = oom || fx_buf_adds(&in, ")") || !(cs->fidx = malloc((n + 1) * sizeof *fidx));
    int rc = 0;
    if (oom)
        rc = fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    else if (!(rc = prep(l, s, &cs->insert, &in, loc, err)) && n)
        rc = prep(l, s, &cs->update, &u, loc, err);
    fx_buf_free(&u);
    fx_buf_free(&in);
    if (rc) {
        sqlite3_finalize(cs->insert);
        sqlite3_finalize(cs->update);
        free(cs->fidx);
        return NULL;
    }
    memcpy(cs->fidx, fidx, n * sizeof *fidx);
    cs->mask = mask;
    cs->n = n;
    sm->nsets++;
    return cs;
}

static int simple_stmt(fx_loader *l, sq *s, sqlite3_stmt **st, const fx__loc *loc,
                       fx_error *err, const char *fmt, const char *a, const char *b,
                       const char *c)
{
    if (*st)
        return 0;
    /* fmt has %s for quoted identifiers a, b, c (in order) */
    fx_buf sql = FX_BUF_INIT;
    const char *ids[3] = {a, b, c};
    int k = 0, oom = 0;
    for (const char *p = fmt; *p && !oom; p++) {
        if (p[0] == '%' && p[1] == 's') {
            oom = quote(&sql, ids[k++]);
            p++;
        } else {
            oom = fx_buf_addc(&sql, *p);
        }
    }
    int rc = oom ? fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory")
                 : prep(l, s, st, &sql, loc, err);
    fx_buf_free(&sql);
    return rc;
}

static int sq_upsert(fx_loader *l, size_t mi, const fx__bind *pk, const size_t *fidx,
                     const fx__bind *vals, size_t n, const fx__loc *loc, int *result,
                     fx__bind *newpk, fx_error *err)
{
    sq *s = l->be;
    const fx_model_schema *m = &l->schema->models[mi];
    colset *cs = get_set(l, s, mi, fidx, n, loc, err);
    if (!cs)
        return err->code;
    if (pk->type != FX__B_NULL) {
        if (cs->update) {
            bind(cs->update, 1, pk);
            for (size_t i = 0; i < n; i++)
                bind(cs->update, (int)i + 2, &vals[i]);
            if (run(cs->update) != SQLITE_DONE)
                return dberr(l, s, loc, err, "updating the row");
            if (sqlite3_changes(s->db)) {
                *result = FX__UPDATED;
                return 0;
            }
        }
        int rc = simple_stmt(l, s, &s->m[mi].exists, loc, err, "SELECT 1 FROM %s WHERE %s = ?1",
                             m->table, m->pk_column, NULL);
        if (rc)
            return rc;
        bind(s->m[mi].exists, 1, pk);
        rc = sqlite3_step(s->m[mi].exists);
        sqlite3_reset(s->m[mi].exists);
        if (rc == SQLITE_ROW) {
            *result = FX__UNCHANGED;
            return 0;
        }
        if (rc != SQLITE_DONE)
            return dberr(l, s, loc, err, "looking the row up");
    }
    bind(cs->insert, 1, pk);
    for (size_t i = 0; i < n; i++)
        bind(cs->insert, (int)i + 2, &vals[i]);
    if (run(cs->insert) != SQLITE_DONE)
        return dberr(l, s, loc, err, "inserting the row");
    *result = FX__INSERTED;
    if (pk->type == FX__B_NULL) {
        memset(newpk, 0, sizeof *newpk);
        newpk->type = FX__B_INT;
        newpk->i = sqlite3_last_insert_rowid(s->db);
    }
    return 0;
}

static int sq_natural(fx_loader *l, size_t mi, const fx__bind *vals, fx__bind *pk,
                      fx_error *err)
{
    sq *s = l->be;
    const fx_model_schema *m = &l->schema->models[mi];
    smodel *sm = &s->m[mi];
    if (!sm->natural) {
        fx_buf sql = FX_BUF_INIT;
        int oom = fx_buf_adds(&sql, "SELECT ") || quote(&sql, m->pk_column) ||
                  fx_buf_adds(&sql, " FROM ") || quote(&sql, m->table) ||
                  fx_buf_adds(&sql, " WHERE ");
        for (size_t i = 0; i < m->natural_key.n && !oom; i++) {
            const fx_field_schema *f = fx_model_field(m, m->natural_key.names[i]);
            const char *col = f && f->column ? f->column : m->natural_key.names[i];
            oom = (i && fx_buf_adds(&sql, " AND ")) || quote(&sql, col) ||
                  fx_buf_printf(&sql, " = ?%zu", i + 1);
        }
        int rc = oom ? fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory")
                     : prep(l, s, &sm->natural, &sql, NULL, err);
        fx_buf_free(&sql);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < m->natural_key.n; i++)
        bind(sm->natural, (int)i + 1, &vals[i]);
    int rc = sqlite3_step(sm->natural), found = 0;
    if (rc == SQLITE_ROW) {
        found = 1;
        memset(pk, 0, sizeof *pk);
        if (sqlite3_column_type(sm->natural, 0) == SQLITE_INTEGER) {
            pk->type = FX__B_INT;
            pk->i = sqlite3_column_int64(sm->natural, 0);
        } else if (fx__arena_text(l, pk, (const char *)sqlite3_column_text(sm->natural, 0),
                                  (size_t)sqlite3_column_bytes(sm->natural, 0))) {
            sqlite3_reset(sm->natural);
            return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
        }
    } else if (rc != SQLITE_DONE) {
        sqlite3_reset(sm->natural);
        return dberr(l, s, NULL, err, "looking a natural key up");
    }
    sqlite3_reset(sm->natural);
    return found;
}

static int same(sqlite3_stmt *st, int col, const fx__bind *b)
{
    if (b->type == FX__B_INT)
        return sqlite3_column_type(st, col) == SQLITE_INTEGER &&
               sqlite3_column_int64(st, col) == b->i;
    if (b->type == FX__B_TEXT) {
        const char *t = (const char *)sqlite3_column_text(st, col);
        return t && strcmp(t, b->s) == 0;
    }
    return 0;
}

static int sq_m2m(fx_loader *l, size_t mi, size_t fi, const fx__bind *pk,
                  const fx__bind *targets, size_t n, int fresh, const fx__loc *loc,
                  int *changed, fx_error *err)
{
    sq *s = l->be;
    smodel *sm = &s->m[mi];
    const fx_field_schema *f = &l->schema->models[mi].fields[fi];
    int rc;
    if ((rc = simple_stmt(l, s, &sm->m2m_sel[fi], loc, err, "SELECT %s FROM %s WHERE %s = ?1",
                          f->through_to, f->through, f->through_from)) ||
        (rc = simple_stmt(l, s, &sm->m2m_ins[fi], loc, err, "INSERT INTO %s (%s, %s) "
                          "VALUES (?1, ?2)", f->through, f->through_from, f->through_to)) ||
        (rc = simple_stmt(l, s, &sm->m2m_del[fi], loc, err, "DELETE FROM %s WHERE %s = ?1 "
                          "AND %s = ?2", f->through, f->through_from, f->through_to)))
        return rc;
    char *have = calloc(n + 1, 1);   /* targets already linked (or listed twice) */
    if (!have)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i && !have[i]; j++)
            if (targets[j].type == targets[i].type &&
                (targets[i].type == FX__B_INT ? targets[i].i == targets[j].i
                                              : strcmp(targets[i].s, targets[j].s) == 0))
                have[i] = 1;
    if (!fresh) {
        sqlite3_stmt *sel = sm->m2m_sel[fi];
        bind(sel, 1, pk);
        fx__bind *gone = NULL;
        size_t ngone = 0;
        while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
            size_t i;
            for (i = 0; i < n; i++)
                if (same(sel, 0, &targets[i]))
                    break;
            if (i < n) {
                have[i] = 1;
                continue;
            }
            fx__bind *g = realloc(gone, (ngone + 1) * sizeof *g);
            if (!g) {
                rc = SQLITE_NOMEM;
                break;
            }
            gone = g;
            memset(&g[ngone], 0, sizeof *g);
            g[ngone].type = FX__B_INT;
            g[ngone++].i = sqlite3_column_int64(sel, 0);
        }
        sqlite3_reset(sel);
        for (size_t i = 0; rc == SQLITE_DONE && i < ngone; i++) {
            bind(sm->m2m_del[fi], 1, pk);
            bind(sm->m2m_del[fi], 2, &gone[i]);
            rc = run(sm->m2m_del[fi]);
            *changed = 1;
        }
        free(gone);
        if (rc != SQLITE_DONE) {
            free(have);
            return dberr(l, s, loc, err, "reading many-to-many links");
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (have[i])
            continue;
        bind(sm->m2m_ins[fi], 1, pk);
        bind(sm->m2m_ins[fi], 2, &targets[i]);
        if (run(sm->m2m_ins[fi]) != SQLITE_DONE) {
            free(have);
            return dberr(l, s, loc, err, "linking many-to-many members");
        }
        *changed = 1;
    }
    free(have);
    return 0;
}

static int sq_set(fx_loader *l, size_t mi, size_t fi, const fx__bind *pk,
                  const fx__bind *val, const fx__loc *loc, fx_error *err)
{
    sq *s = l->be;
    const fx_model_schema *m = &l->schema->models[mi];
    int rc = simple_stmt(l, s, &s->m[mi].set[fi], loc, err, "UPDATE %s SET %s = ?2 WHERE %s = ?1",
                         m->table, m->fields[fi].column, m->pk_column);
    if (rc)
        return rc;
    bind(s->m[mi].set[fi], 1, pk);
    bind(s->m[mi].set[fi], 2, val);
    if (run(s->m[mi].set[fi]) != SQLITE_DONE)
        return dberr(l, s, loc, err, "setting a forward reference");
    return 0;
}

static int exec(fx_loader *l, sq *s, const char *sql, const fx__loc *loc, fx_error *err,
                const char *doing)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return dberr(l, s, loc, err, doing);
    return 0;
}

static int sq_clear(fx_loader *l, size_t mi, unsigned long *deleted, fx_error *err)
{
    sq *s = l->be;
    const fx_model_schema *m = &l->schema->models[mi];
    fx_buf sql = FX_BUF_INIT;
    int oom = 0;
    for (size_t i = 0; i < m->nfields && !oom; i++)
        if (m->fields[i].kind == FX_K_M2M)
            oom = fx_buf_adds(&sql, "DELETE FROM ") || quote(&sql, m->fields[i].through) ||
                  fx_buf_adds(&sql, ";");
    if (oom) {
        fx_buf_free(&sql);
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    }
    int rc = sql.len ? exec(l, s, sql.data, NULL, err, "deleting links (--replace)") : 0;
    fx_buf_reset(&sql);
    if (!rc && (fx_buf_adds(&sql, "DELETE FROM ") || quote(&sql, m->table)))
        rc = fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    if (!rc && !(rc = exec(l, s, sql.data, NULL, err, "deleting rows (--replace)")))
        *deleted += (unsigned long)sqlite3_changes(s->db);
    fx_buf_free(&sql);
    return rc;
}

/* The first foreign key violation, as a message naming the record. */
static int fk_violation(fx_loader *l, sq *s, fx_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
        return dberr(l, s, NULL, err, "checking foreign keys");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return dberr(l, s, NULL, err, "checking foreign keys");
    }
    char table[256], parent[256];
    snprintf(table, sizeof table, "%s", (const char *)sqlite3_column_text(st, 0));
    int64_t rowid = sqlite3_column_int64(st, 1);
    snprintf(parent, sizeof parent, "%s", (const char *)sqlite3_column_text(st, 2));
    int fkid = sqlite3_column_int(st, 3);
    sqlite3_finalize(st);

    /* the column and its value */
    char column[256] = "?", value[256] = "?";
    fx_buf sql = FX_BUF_INIT;
    fx_buf_printf(&sql, "SELECT \"from\" FROM pragma_foreign_key_list(?1) WHERE id = %d", fkid);
    if (sqlite3_prepare_v2(s->db, sql.data, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(column, sizeof column, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    fx_buf_reset(&sql);
    fx_buf_adds(&sql, "SELECT ");
    quote(&sql, column);
    fx_buf_adds(&sql, " FROM ");
    quote(&sql, table);
    fx_buf_adds(&sql, " WHERE rowid = ?1");
    if (sqlite3_prepare_v2(s->db, sql.data, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, rowid);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(value, sizeof value, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    fx_buf_free(&sql);

    /* the model and field, directly or through a link table */
    const char *label = table, *fname = column, *plabel = parent;
    char pkbuf[64];
    snprintf(pkbuf, sizeof pkbuf, "%lld", (long long)rowid);
    for (size_t i = 0; i < l->schema->nmodels; i++) {
        const fx_model_schema *m = &l->schema->models[i];
        if (strcasecmp(m->table, parent) == 0)
            plabel = m->label;
        if (strcasecmp(m->table, table) == 0) {
            label = m->label;
            for (size_t j = 0; j < m->nfields; j++)
                if (m->fields[j].column && strcasecmp(m->fields[j].column, column) == 0)
                    fname = m->fields[j].name;
        }
        for (size_t j = 0; j < m->nfields; j++) {
            const fx_field_schema *f = &m->fields[j];
            if (f->kind != FX_K_M2M || strcasecmp(f->through, table) != 0)
                continue;
            label = m->label;
            fname = f->name;
            /* the owner's pk: the link row's from column */
            fx_buf q = FX_BUF_INIT;
            fx_buf_adds(&q, "SELECT ");
            quote(&q, f->through_from);
            fx_buf_adds(&q, " FROM ");
            quote(&q, table);
            fx_buf_adds(&q, " WHERE rowid = ?1");
            if (sqlite3_prepare_v2(s->db, q.data, -1, &st, NULL) == SQLITE_OK) {
                sqlite3_bind_int64(st, 1, rowid);
                if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
                    snprintf(pkbuf, sizeof pkbuf, "%s", (const char *)sqlite3_column_text(st, 0));
                sqlite3_finalize(st);
            }
            fx_buf_free(&q);
        }
    }
    fx__loc loc;
    memset(&loc, 0, sizeof loc);
    loc.label = label;
    snprintf(loc.pk, sizeof loc.pk, "%s", pkbuf);
    if (fx__load_where(l, &loc))
        return fx__load_fail(l, &loc, err, FX__EREJECT, "field '%s' refers to %s %s, which "
                             "does not exist (FOREIGN KEY constraint failed at commit): add "
                             "that record or fix the reference; nothing was written",
                             fname, plabel, value);
    return fx__load_fail(l, &loc, err, FX__EREJECT, "a row already in the database (not in "
                         "the files): field '%s' refers to %s %s, which does not exist after "
                         "the load (FOREIGN KEY constraint failed at commit); nothing was "
                         "written", fname, plabel, value);
}

static int sq_finish(fx_loader *l, int commit, fx_error *err)
{
    sq *s = l->be;
    int rc;
    if (!commit) {
        s->in_tx = 0;
        return exec(l, s, "ROLLBACK", NULL, err, "rolling back (--dry-run)");
    }
    if ((rc = fk_violation(l, s, err)))
        return rc;
    if ((rc = exec(l, s, "COMMIT", NULL, err, "committing")))
        return rc;
    s->in_tx = 0;
    return 0;
}

static void sq_close(fx_loader *l)
{
    sq *s = l->be;
    if (!s)
        return;
    for (size_t i = 0; i < s->nm; i++) {
        smodel *sm = &s->m[i];
        for (size_t j = 0; j < sm->nsets; j++) {
            sqlite3_finalize(sm->sets[j].update);
            sqlite3_finalize(sm->sets[j].insert);
            free(sm->sets[j].fidx);
        }
        free(sm->sets);
        sqlite3_finalize(sm->exists);
        sqlite3_finalize(sm->natural);
        size_t nf = l->schema->models[i].nfields;
        for (size_t j = 0; j < nf; j++) {
            sqlite3_finalize(sm->m2m_sel[j]);
            sqlite3_finalize(sm->m2m_ins[j]);
            sqlite3_finalize(sm->m2m_del[j]);
            sqlite3_finalize(sm->set[j]);
        }
        free(sm->m2m_sel);
    }
    free(s->m);
    if (s->in_tx)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(s->db);
    free(s);
    l->be = NULL;
}

static const fx__load_ops sqlite_ops = {"sqlite", sq_upsert, sq_natural, sq_m2m, sq_set,
                                        sq_clear, sq_finish, sq_close};

int fx__load_sqlite_open(fx_loader *l, const char *path, fx_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return fx_error_set(err, FX_EIO, path, 0, 0, 0, "cannot open database '%s' (%s): "
                            "make it with manage.py migrate, or check the path", path,
                            strerror(errno));
    if (!l->schema) {
        int rc = fx__schema_sqlite(&l->schema, path, err);
        if (rc < 0)
            return rc;
    }
    sq *s = calloc(1, sizeof *s);
    if (!s)
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    s->path = path;
    l->be = s;
    l->ops = &sqlite_ops;
    s->nm = l->schema->nmodels;
    if (!(s->m = calloc(s->nm + 1, sizeof *s->m)))
        return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
    for (size_t i = 0; i < s->nm; i++) {
        size_t nf = l->schema->models[i].nfields + 1;
        sqlite3_stmt **p = calloc(4 * nf, sizeof *p);
        if (!p)
            return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
        s->m[i].m2m_sel = p;
        s->m[i].m2m_ins = p + nf;
        s->m[i].m2m_del = p + 2 * nf;
        s->m[i].set = p + 3 * nf;
    }
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        return fx_error_set(err, FX_EIO, path, 0, 0, 0, "cannot open database '%s' for "
                            "writing (%s)", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
    sqlite3_busy_timeout(s->db, 10000);
    if (sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fx_error_set(err, FX_EIO, path, 0, 0, 0, "cannot begin a transaction on '%s' "
                            "(%s): is another program writing to it?", path,
                            sqlite3_errmsg(s->db));
    s->in_tx = 1;
    return 0;
}
