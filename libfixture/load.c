/*
** load.c: the load engine behind fxload.  It maps each record to its
** table through the schema, converts every value the way Django's backend
** stores it (db_value.c), resolves natural keys (foreign keys written as
** lists, records without pk) against the rows already written in the same
** transaction and those already in the database, and hands rows to the
** back end (load_sqlite.c, load_pg.c), which binds them.
**
** loaddata's semantics, kept here: each record updates the row with its pk
** or inserts it; many-to-many links become exactly the listed members;
** forward natural references (a natural key no row has yet: its record
** comes later, maybe in another file) wait until every file is in, as
** Django's handle_forward_references: a nullable foreign key is written
** without its column (NULL in a new row) and set then, a many-to-many
** field with such a key is left as it is and set then, a NOT NULL foreign
** key is refused at once (loaddata saves the record with NULL first).
** Memory: a small index entry per record (its file and line, for messages
** at commit), one per natural key resolved, and one per forward reference
** (struct deferred: its row, field and key).
*/
#include "load_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>

struct where {
    uint32_t file;
    uint32_t line;
};

struct nkpk {
    int64_t pk;
};

/* --ignorenonexistent: a model without table (field NULL) or a field
** without column, the records it was skipped in, and the first of them. */
struct skipped {
    char *label, *field;
    unsigned long n;
    uint32_t file;               /* index into l->files */
    unsigned long line, col;
    uint32_t last_file;          /* the last record counted (a field */
    uint64_t last_ordinal;       /* given twice counts once) */
};

/* A forward natural reference, as Django's handle_forward_references: a
** natural key no row had yet when its record was written.  Field fi of
** model mi of the row pk is a foreign key, written without that column
** (so NULL in a new row), or a many-to-many field, whose links were not
** touched (Django defers the whole list when one key is not found); both
** are resolved and written by fx_loader_finish(), after every file.  Only
** this is kept, not the record. */
struct deferred {
    uint32_t mi, fi;
    uint32_t file, line, col;   /* the record: file is an index into l->files */
    int result;                 /* the row's outcome (FX__INSERTED...) before */
    int same;                   /* the same record as the entry before */
    int pk_int;                 /* the pk: pki, else text's first string */
    int64_t pki;
    char *text;                 /* the pk as text, NUL, then the key (a list of
                                ** keys for many-to-many) as compact JSON, NUL */
};

/* ---------------------------------------------------------------- errors */

int fx__load_fail(fx_loader *l, const fx__loc *loc, fx_error *err, int code,
                  const char *fmt, ...)
{
    char what[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    l->failed = 1;
    if (!loc)
        return fx_error_set(err, code, NULL, 0, 0, 0, "%s", what);
    if (loc->pk[0])
        return fx_error_set(err, code, loc->file, loc->line, loc->col, 0,
                            "model '%s', pk %s: %s", loc->label, loc->pk, what);
    return fx_error_set(err, code, loc->file, loc->line, loc->col, 0, "model '%s': %s",
                        loc->label, what);
}

int fx__arena_text(fx_loader *l, fx__bind *out, const char *s, size_t n)
{
    size_t off = l->arena.len;
    if (fx_buf_add(&l->arena, s, n) || fx_buf_addc(&l->arena, '\0'))
        return FX_ENOMEM;
    memset(out, 0, sizeof *out);
    out->type = FX__B_TEXT;
    out->s = (const char *)(uintptr_t)off;
    out->n = n;
    return 0;
}

const char *fx__bind_text(const fx__bind *b, char *buf, size_t n)
{
    switch (b->type) {
    case FX__B_NULL: snprintf(buf, n, "null"); break;
    case FX__B_INT: snprintf(buf, n, "%lld", (long long)b->i); break;
    case FX__B_REAL: snprintf(buf, n, "%.17g", b->d); break;
    case FX__B_TEXT: snprintf(buf, n, "%s", b->s); break;
    case FX__B_BLOB: snprintf(buf, n, "<%zu bytes>", b->n); break;
    }
    return buf;
}

/* Append v's text without the blanks between tokens and with ", " between
** the items, as Python prints a list: ["add_user", "auth", "user"]. */
static int compact_json(fx_buf *out, fx_value v)
{
    int in = 0, esc = 0, bad = 0;
    for (size_t i = 0; i < v.len && !bad; i++) {
        char c = v.text[i];
        if (in) {
            bad = fx_buf_addc(out, c);
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"')
                in = 0;
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            bad = fx_buf_addc(out, c) || (c == ',' && fx_buf_addc(out, ' '));
            in = c == '"';
        }
    }
    return bad ? FX_ENOMEM : 0;
}

static int nomem(fx_error *err)
{
    return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0,
                        "out of memory: nothing was written; free some memory and try again");
}

/* ---------------------------------------------------------------- counts */

static void report_change(fx_loader *l, size_t mi, const char *action, const char *pk)
{
    if (l->change)
        l->change(l->change_ctx, action, l->schema->models[mi].label, pk);
}

void fx__load_result(fx_loader *l, size_t mi, int result, const char *pk)
{
    fx__model_state *s = &l->ms[mi];
    s->seen = 1;
    if (s->replaced)   /* --replace: counted by fx__load_replaced() */
        return;
    if (result == FX__INSERTED) {
        s->inserted++;
        report_change(l, mi, "insert", pk);
    } else if (result == FX__UPDATED) {
        s->updated++;
        report_change(l, mi, "update", pk);
    } else {
        s->unchanged++;
    }
}

void fx__load_m2m_changed(fx_loader *l, size_t mi)
{
    fx__model_state *s = &l->ms[mi];
    if (s->unchanged && !s->replaced) {
        s->unchanged--;
        s->updated++;
    }
}

void fx__load_replaced(fx_loader *l, size_t mi, const char *action, const char *pk,
                       unsigned long n)
{
    fx__model_state *s = &l->ms[mi];
    if (!strcmp(action, "insert"))
        s->inserted += n;
    else if (!strcmp(action, "update"))
        s->updated += n;
    else if (!strcmp(action, "delete"))
        s->deleted += n;
    else
        s->unchanged += n;
    if (pk && strcmp(action, "same") != 0)
        report_change(l, mi, action, pk);
}

/* ---------------------------------------------------------------- --replace SQL */

/* Append fmt to q, where %I is a quoted identifier (const char *), %O the
** saved table of a model or of one of its link tables (size_t mi, size_t
** fi, SIZE_MAX for the model's own rows: "fx__old_<mi>[_<fi>]") and %s
** text.  0, or FX_ENOMEM. */
static int sqlf(fx_buf *q, const char *fmt, ...)
{
    va_list ap;
    int bad = 0;
    va_start(ap, fmt);
    for (const char *p = fmt; *p && !bad; p++) {
        if (*p != '%') {
            bad = fx_buf_addc(q, *p);
        } else if (*++p == 'I') {
            const char *id = va_arg(ap, const char *);
            bad = fx_buf_addc(q, '"');
            for (; *id && !bad; id++)
                bad = *id == '"' ? fx_buf_adds(q, "\"\"") : fx_buf_addc(q, *id);
            bad = bad || fx_buf_addc(q, '"');
        } else if (*p == 'O') {
            size_t mi = va_arg(ap, size_t), fi = va_arg(ap, size_t);
            bad = fi == SIZE_MAX ? fx_buf_printf(q, "\"fx__old_%zu\"", mi)
                                 : fx_buf_printf(q, "\"fx__old_%zu_%zu\"", mi, fi);
        } else {
            bad = fx_buf_adds(q, va_arg(ap, const char *));
        }
    }
    va_end(ap);
    return bad ? FX_ENOMEM : 0;
}

int fx__replace_save_sql(fx_buf *q, const fx_loader *l, size_t mi, size_t part)
{
    const fx_model_schema *m = &l->schema->models[mi];
    const char *tmp = l->pg ? " ON COMMIT DROP" : "";
    fx_buf_reset(q);
    if (part > m->nfields || (part && m->fields[part - 1].kind != FX_K_M2M))
        return 0;
    if (part) {
        const fx_field_schema *f = &m->fields[part - 1];
        return sqlf(q, "CREATE TEMP TABLE %O%s AS SELECT %I, %I FROM %I", mi, part - 1, tmp,
                    f->through_from, f->through_to, f->through);
    }
    int rc = sqlf(q, "CREATE TEMP TABLE %O%s AS SELECT %I", mi, SIZE_MAX, tmp, m->pk_column);
    for (size_t i = 0; i < m->nfields && !rc; i++)
        if (m->fields[i].kind != FX_K_M2M && m->fields[i].column)
            rc = sqlf(q, ", %I", m->fields[i].column);
    return rc ? rc : sqlf(q, " FROM %I", m->table);
}

/* "a row kept is the same": every column, and no link row of its
** many-to-many fields only on one side */
static int same_sql(fx_buf *q, const fx_loader *l, size_t mi)
{
    const fx_model_schema *m = &l->schema->models[mi];
    const char *is = l->pg ? "IS NOT DISTINCT FROM" : "IS";
    int rc = sqlf(q, "1 = 1");
    for (size_t i = 0; i < m->nfields && !rc; i++) {
        const fx_field_schema *f = &m->fields[i];
        if (f->kind == FX_K_M2M)
            rc = sqlf(q, " AND n.%I NOT IN ("
                      "SELECT %I FROM (SELECT %I, %I FROM %I EXCEPT SELECT %I, %I FROM %O) AS d0 "
                      "UNION SELECT %I FROM (SELECT %I, %I FROM %O EXCEPT SELECT %I, %I FROM %I) AS d1)",
                      m->pk_column,
                      f->through_from, f->through_from, f->through_to, f->through,
                      f->through_from, f->through_to, mi, i,
                      f->through_from, f->through_from, f->through_to, mi, i,
                      f->through_from, f->through_to, f->through);
        else if (f->column)
            rc = sqlf(q, " AND n.%I %s o.%I", f->column, is, f->column);
    }
    return rc;
}

int fx__replace_diff_sql(fx_buf *q, const fx_loader *l, size_t mi, int list)
{
    const fx_model_schema *m = &l->schema->models[mi];
    const char *pk = m->pk_column;
    fx_buf_reset(q);
    int rc = list ? 0 : sqlf(q, "SELECT a, count(*) FROM (");
    if (l->pg) {   /* one full join */
        rc = rc || sqlf(q, "SELECT CASE WHEN o.%I IS NULL THEN 'insert' WHEN n.%I IS NULL "
                        "THEN 'delete' WHEN ", pk, pk) ||
             same_sql(q, l, mi) ||
             sqlf(q, " THEN 'same' ELSE 'update' END AS a, coalesce(n.%I, o.%I) AS pk "
                  "FROM %I n FULL JOIN %O o ON o.%I = n.%I", pk, pk, m->table, mi, SIZE_MAX,
                  pk, pk);
    } else {       /* SQLite indexes the saved table for a join, not a full join */
        rc = rc || sqlf(q, "SELECT 'insert' AS a, n.%I AS pk FROM %I n LEFT JOIN %O o "
                        "ON o.%I = n.%I WHERE o.%I IS NULL", pk, m->table, mi, SIZE_MAX,
                        pk, pk, pk) ||
             sqlf(q, " UNION ALL SELECT 'delete', o.%I FROM %O o LEFT JOIN %I n "
                  "ON n.%I = o.%I WHERE n.%I IS NULL", pk, mi, SIZE_MAX, m->table, pk, pk, pk) ||
             sqlf(q, " UNION ALL SELECT CASE WHEN ") || same_sql(q, l, mi) ||
             sqlf(q, " THEN 'same' ELSE 'update' END, n.%I FROM %I n JOIN %O o "
                  "ON o.%I = n.%I", pk, m->table, mi, SIZE_MAX, pk, pk);
    }
    return rc ? FX_ENOMEM : sqlf(q, list ? " ORDER BY 2, 1" : ") AS x GROUP BY a");
}

size_t fx_loader_counts(fx_loader *l, const fx_load_count **out)
{
    size_t n = 0;
    free(l->counts);
    l->counts = calloc(l->schema->nmodels + 1, sizeof *l->counts);
    if (!l->counts) {
        *out = NULL;
        return 0;
    }
    for (size_t i = 0; i < l->schema->nmodels; i++) {
        fx__model_state *s = &l->ms[i];
        if (!s->seen && !s->replaced)
            continue;
        fx_load_count *c = &l->counts[n++];
        c->label = l->schema->models[i].label;
        c->inserted = s->inserted;
        c->updated = s->updated;
        c->unchanged = s->unchanged;
        c->deleted = s->deleted;
    }
    *out = l->counts;
    return n;
}

const fx_schema *fx_loader_schema(const fx_loader *l)
{
    return l->schema;
}

/* ---------------------------------------------------------------- where */

static uint32_t file_index(fx_loader *l, const char *file)
{
    if (l->nfiles && strcmp(l->files[l->nfiles - 1], file) == 0)
        return (uint32_t)(l->nfiles - 1);
    for (size_t i = 0; i < l->nfiles; i++)
        if (strcmp(l->files[i], file) == 0)
            return (uint32_t)i;
    char **f = realloc(l->files, (l->nfiles + 1) * sizeof *f);
    if (!f)
        return UINT32_MAX;
    l->files = f;
    if (!(f[l->nfiles] = strdup(file)))
        return UINT32_MAX;
    return (uint32_t)l->nfiles++;
}

static int remember(fx_loader *l, const fx__loc *loc)
{
    int existed;
    uint32_t fi = file_index(l, loc->file);
    if (fi == UINT32_MAX)
        return FX_ENOMEM;
    struct where *w = fx__index_put(l->where, fx__key_hash(loc->label, loc->pk,
                                                           strlen(loc->pk)), &existed);
    if (!w)
        return FX_ENOMEM;
    w->file = fi + 1;
    w->line = (uint32_t)loc->line;
    return 0;
}

int fx__load_where(fx_loader *l, fx__loc *loc)
{
    struct where *w = fx__index_get(l->where, fx__key_hash(loc->label, loc->pk,
                                                           strlen(loc->pk)));
    if (!w || !w->file)
        return 0;
    loc->file = l->files[w->file - 1];
    loc->line = w->line;
    loc->col = 1;
    return 1;
}

/* ---------------------------------------------------------------- skipped */

/* -i: count a record skipped for its model (field NULL) or a field ignored
** in it; one warning each is given by fx_loader_finish(), not one a
** record (a large export of a model the database lacks gave thousands). */
static int skip(fx_loader *l, const fx_record *rec, const char *label, const char *field)
{
    int existed;
    size_t *ix = fx__index_put(l->skipidx, fx__key_hash(label, field, field ? strlen(field) : 0),
                               &existed);
    uint32_t fi = file_index(l, rec->file ? rec->file : "");
    if (!ix || fi == UINT32_MAX)
        return FX_ENOMEM;
    if (existed) {
        struct skipped *k = &l->skipped[*ix - 1];
        if (k->last_file != fi || k->last_ordinal != rec->ordinal)
            k->n++;
        k->last_file = fi;
        k->last_ordinal = rec->ordinal;
        return 0;
    }
    if (l->nskipped == l->cskipped) {
        size_t c = l->cskipped ? l->cskipped * 2 : 16;
        struct skipped *k = realloc(l->skipped, c * sizeof *k);
        if (!k)
            return FX_ENOMEM;
        l->skipped = k;
        l->cskipped = c;
    }
    struct skipped *k = &l->skipped[l->nskipped];
    memset(k, 0, sizeof *k);
    k->n = 1;
    k->line = rec->line;
    k->col = rec->col;
    k->file = k->last_file = fi;
    k->last_ordinal = rec->ordinal;
    if (!(k->label = strdup(label)) || (field && !(k->field = strdup(field)))) {
        free(k->label);
        return FX_ENOMEM;
    }
    *ix = ++l->nskipped;
    return 0;
}

static void report_skipped(fx_loader *l)
{
    for (size_t i = 0; i < l->nskipped; i++) {
        const struct skipped *k = &l->skipped[i];
        const char *file = l->files[k->file];
        if (!k->field)
            fx__diag(l->diag, l->diag_ctx, FX_WARNING, file, k->line, k->col, 0,
                     "unknown-model", "model '%s' has no table in the database: %lu "
                     "record%s skipped (--ignorenonexistent)", k->label, k->n,
                     k->n == 1 ? "" : "s");
        else
            fx__diag(l->diag, l->diag_ctx, FX_WARNING, file, k->line, k->col, 0,
                     "unknown-field", "model '%s': field '%s' has no column in the "
                     "database: ignored in %lu record%s (--ignorenonexistent)", k->label,
                     k->field, k->n, k->n == 1 ? "" : "s");
    }
}

/* ---------------------------------------------------------------- open */

int fx_loader_open(fx_loader **out, const char *target, const fx_load_opts *opts,
                   fx_error *err)
{
    return fx__loader_open(out, target, opts, 0, err);
}

int fx__loader_open(fx_loader **out, const char *target, const fx_load_opts *opts,
                    int repeatable_read, fx_error *err)
{
    *out = NULL;
    if (!target || !*target)
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "no target database given: "
                            "pass --db with a SQLite file or a postgresql:// URI");
    fx_loader *l = calloc(1, sizeof *l);
    if (!l)
        return nomem(err);
    if (opts) {
        l->replace = opts->replace;
        l->dry_run = opts->dry_run;
        l->ignorenonexistent = opts->ignorenonexistent;
        l->diag = opts->diag;
        l->diag_ctx = opts->diag_ctx;
        l->change = opts->change;
        l->change_ctx = opts->change_ctx;
    }
    l->repeatable_read = repeatable_read;
    fx_target_mask(l->target, sizeof l->target, target);   /* for messages */
    int rc = 0;
    if (opts && opts->schema && (rc = fx_schema_load(&l->schema, opts->schema, err)) < 0)
        goto fail;
    if (fx__index_new(&l->where, sizeof(struct where)) ||
        fx__index_new(&l->nkcache, sizeof(struct nkpk)) ||
        fx__index_new(&l->skipidx, sizeof(size_t))) {
        rc = nomem(err);
        goto fail;
    }
    int pg = fx_target_is_pg(target);
    l->pg = pg;
    if (pg)
        rc = fx__load_pg_open(l, target, err);
    else
        rc = fx__load_sqlite_open(l, strncmp(target, "sqlite:", 7) == 0 ? target + 7 : target,
                                  err);
    if (rc < 0)
        goto fail;
    size_t maxf = 0;
    for (size_t i = 0; i < l->schema->nmodels; i++)
        if (l->schema->models[i].nfields > maxf)
            maxf = l->schema->models[i].nfields;
    l->ms = calloc(l->schema->nmodels + 1, sizeof *l->ms);
    l->fidx = malloc((maxf + 1) * sizeof *l->fidx);
    l->later = malloc((maxf + 1) * sizeof *l->later);
    l->inv = malloc((maxf + 1) * sizeof *l->inv);
    l->vals = malloc((maxf + 1) * sizeof *l->vals);
    if (!l->ms || !l->fidx || !l->later || !l->inv || !l->vals) {
        rc = nomem(err);
        goto fail;
    }
    *out = l;
    return 0;
fail:
    fx_loader_free(l);
    return rc;
}

void fx_loader_free(fx_loader *l)
{
    if (!l)
        return;
    if (l->ops)
        l->ops->close(l);
    for (size_t i = 0; i < l->ndeferred; i++)
        free(l->deferred[i].text);
    free(l->deferred);
    free(l->tg);
    for (size_t i = 0; i < l->nfiles; i++)
        free(l->files[i]);
    free(l->files);
    free(l->last_label);
    fx__index_free(l->where);
    fx__index_free(l->nkcache);
    fx__index_free(l->skipidx);
    for (size_t i = 0; i < l->nskipped; i++) {
        free(l->skipped[i].label);
        free(l->skipped[i].field);
    }
    free(l->skipped);
    fx__load_ct_free(l);
    fx_buf_free(&l->arena);
    for (size_t i = 0; l->ms && i < l->schema->nmodels; i++)
        free(l->ms[i].order);
    free(l->ms);
    free(l->fidx);
    free(l->later);
    free(l->inv);
    free(l->vals);
    free(l->counts);
    fx_schema_free(l->schema);
    free(l);
}

/* ---------------------------------------------------------------- natural keys */

/* fx_schema_model(l->schema, to) for a "to" string the schema owns. */
static const fx_model_schema *target_model(fx_loader *l, const char *to)
{
    for (unsigned i = 0; i < 8; i++)
        if (l->to_key[i] == to && to)
            return l->to_model[i];
    const fx_model_schema *m = fx_schema_model(l->schema, to);
    l->to_key[l->to_next] = to;
    l->to_model[l->to_next] = m;
    l->to_next = (l->to_next + 1) % 8;
    return m;
}

/* fx_schema_model(l->schema, label) for a record's label. */
static const fx_model_schema *record_model(fx_loader *l, const char *label)
{
    if (l->last_label && label && strcmp(l->last_label, label) == 0)
        return l->last_model;
    const fx_model_schema *m = fx_schema_model(l->schema, label);
    char *c = label ? strdup(label) : NULL;
    if (c) {
        free(l->last_label);
        l->last_label = c;
        l->last_model = m;
    }
    return m;
}

static size_t model_index(const fx_loader *l, const fx_model_schema *m)
{
    return (size_t)(m - l->schema->models);
}

/* Resolve a natural key value (a JSON list) of model tmi to its pk: 1 found
** (*pk set, text in the arena), 0 not found, negative on error.  fields:
** the list holds the values of the natural key's fields as a record
** without pk gives them (a foreign key as its pk, or its natural key as a
** list), not a reference's list. */
static int resolve(fx_loader *l, size_t tmi, fx_value list, int fields, fx__bind *pk,
                   const fx__loc *loc, const char *fname, fx_error *err)
{
    const fx_model_schema *tm = &l->schema->models[tmi];
    if (tm->natural_key.n == 0)
        return fx__load_fail(l, loc, err, FX__EREJECT, "field '%s': a natural key "
                             "refers to model '%s', which has no natural key in the "
                             "schema: pass --schema with its natural_key", fname, tm->label);
    fx_buf canon = FX_BUF_INIT;
    if (fx_value_canon(&canon, list)) {
        fx_buf_free(&canon);
        return nomem(err);
    }
    uint64_t h = fx__key_hash(tm->label, canon.data, canon.len) ^ (uint64_t)fields;
    fx_buf_free(&canon);
    struct nkpk *c = fx__index_get(l->nkcache, h);
    if (c) {
        memset(pk, 0, sizeof *pk);
        pk->type = FX__B_INT;
        pk->i = c->pk;
        return 1;
    }
    /* The list's values.  A part that is a foreign key to a model with a
    ** natural key takes that key: a list of its own, or (in a reference)
    ** its values spliced in, as natural_key() methods write them (a
    ** permission is ["add_user", "auth", "user"]: codename, then its
    ** content type's). */
    fx__bind vals[16];
    fx_value items[64];
    size_t nitems = 0, at = 0, n = 0;
    fx_buf local = FX_BUF_INIT, sub = FX_BUF_INIT;
    fx_iter it;
    fx_value e;
    int rc = 0;
    fx_iter_init(&it, list);
    while (fx_iter_next(&it, NULL, &e) && nitems < 64)
        items[nitems++] = e;
    for (; n < tm->natural_key.n && n < 16 && at < nitems; n++) {
        const char *name = tm->natural_key.names[n];
        const fx_field_schema *f = fx_model_field(tm, name);
        const fx_model_schema *t2 = f && (f->kind == FX_K_FK || f->kind == FX_K_O2O)
                                        ? target_model(l, f->to) : NULL;
        char msg[300];
        e = items[at];
        if (f && (f->kind == FX_K_FK || f->kind == FX_K_O2O) &&
            (e.type == FX_ARRAY || (!fields && t2 && t2->natural_key.n))) {
            if (!t2) {
                rc = fx__load_fail(l, loc, err, FX__EREJECT, "field '%s': model '%s' is "
                                   "not in the database", fname, f->to);
                goto out;
            }
            fx_value part = e;
            size_t k = e.type == FX_ARRAY ? 1 : fx__natural_len(l->schema, t2);
            if (k > nitems - at)
                break;               /* too few values: said below */
            if (e.type != FX_ARRAY) {   /* spliced: the target's values as a list */
                fx_buf_reset(&sub);
                int bad = fx_buf_addc(&sub, '[');
                for (size_t i = 0; i < k && !bad; i++)
                    bad = (i && fx_buf_addc(&sub, ',')) ||
                          fx_buf_add(&sub, items[at + i].text, items[at + i].len);
                if (bad || fx_buf_addc(&sub, ']')) {
                    rc = nomem(err);
                    goto out;
                }
                part = (fx_value){FX_ARRAY, sub.data, sub.len};
            }
            fx__bind pk2;
            size_t mark = l->arena.len;
            rc = resolve(l, model_index(l, t2), part, 0, &pk2, loc, fname, err);
            if (rc <= 0)
                goto out;
            fx__bind_fix(&pk2, 1, &l->arena);
            vals[n] = pk2;
            if (pk2.type == FX__B_TEXT) {
                size_t off = local.len;
                if (fx_buf_add(&local, pk2.s, pk2.n + 1)) {
                    rc = nomem(err);
                    goto out;
                }
                vals[n].s = (const char *)(uintptr_t)off;
            }
            l->arena.len = mark;
            rc = 0;
            at += k;
        } else {
            fx_kind kind = f ? f->kind : name && strcmp(name, tm->pk_name) == 0 ? tm->pk_kind
                                                                              : FX_K_UNKNOWN;
            int r = fx__convert(&vals[n], kind, f ? f->alt_kind : 0, e, l->pg, &local, msg,
                                sizeof msg);
            if (r) {
                rc = r < 0 ? nomem(err) : fx__load_fail(l, loc, err, FX__EREJECT,
                          "field '%s': natural key of '%s', part '%s': %s", fname,
                          tm->label, name, msg);
                goto out;
            }
            at++;
        }
    }
    if (at != nitems || fx_iter_next(&it, NULL, &e))
        n = SIZE_MAX;                /* values left over: said below */
    if (n != tm->natural_key.n) {
        rc = fx__load_fail(l, loc, err, FX__EREJECT, "field '%s': a natural key of '%s' "
                           "has %zu part(s) (", fname, tm->label, tm->natural_key.n);
        /* the message above is cut short on purpose: keep it simple */
        fx_buf b = FX_BUF_INIT;
        for (size_t i = 0; i < tm->natural_key.n; i++)
            fx_buf_printf(&b, "%s%s", i ? ", " : "", tm->natural_key.names[i]);
        size_t flat = fx__natural_len(l->schema, tm);
        char spliced[96] = "";
        if (flat != tm->natural_key.n)
            snprintf(spliced, sizeof spliced, "; %zu values with the natural keys of its "
                     "foreign keys spliced in", flat);
        snprintf(err->msg + strlen(err->msg), sizeof err->msg - strlen(err->msg),
                 "%s%s), the value has another number: fix the value or the schema's "
                 "natural_key", b.data ? b.data : "", spliced);
        fx_buf_free(&b);
        goto out;
    }
    fx__bind_fix(vals, n, &local);
    rc = l->ops->natural(l, tmi, vals, pk, err);
    if (rc == 1 && pk->type == FX__B_INT) {
        int existed;
        struct nkpk *p = fx__index_put(l->nkcache, h, &existed);
        if (!p)
            rc = nomem(err);
        else
            p->pk = pk->i;
    }
    if (rc < 0)
        l->failed = 1, rc = rc == FX__EREJECT ? rc : rc;
out:
    fx_buf_free(&local);
    fx_buf_free(&sub);
    return rc;
}

/* Keep a forward reference of field fi of the row pk (its binds fixed) of
** model mi, whose record is at loc: v is the natural key (the list, for
** many-to-many); result the row's outcome; same: another entry of the same
** record came just before.  0, or FX_ENOMEM. */
static int defer(fx_loader *l, size_t mi, size_t fi, const fx__bind *pk, fx_value v,
                 const fx__loc *loc, int result, int same)
{
    if (l->ndeferred == l->cdeferred) {
        size_t c = l->cdeferred ? l->cdeferred * 2 : 16;
        struct deferred *d = realloc(l->deferred, c * sizeof *d);
        if (!d)
            return FX_ENOMEM;
        l->deferred = d;
        l->cdeferred = c;
    }
    uint32_t file = file_index(l, loc->file ? loc->file : "");
    if (file == UINT32_MAX)
        return FX_ENOMEM;
    fx_buf t = FX_BUF_INIT;
    if ((pk->type == FX__B_TEXT && fx_buf_adds(&t, pk->s)) || fx_buf_addc(&t, '\0') ||
        compact_json(&t, v) || fx_buf_addc(&t, '\0')) {
        fx_buf_free(&t);
        return FX_ENOMEM;
    }
    struct deferred *d = &l->deferred[l->ndeferred++];
    memset(d, 0, sizeof *d);
    d->mi = (uint32_t)mi;
    d->fi = (uint32_t)fi;
    d->file = file;
    d->line = (uint32_t)loc->line;
    d->col = (uint32_t)loc->col;
    d->result = result;
    d->same = same;
    d->pk_int = pk->type == FX__B_INT;
    d->pki = pk->i;
    char *shrunk = realloc(t.data, t.len);   /* fx_buf keeps room to grow */
    d->text = shrunk ? shrunk : t.data;
    return 0;
}

/* ---------------------------------------------------------------- add */

static int is_rel(fx_kind k)
{
    return k == FX_K_FK || k == FX_K_O2O;
}

/* Convert one value of field f into *b; natural keys resolved. *later: a
** forward reference to set after the load. */
static int field_value(fx_loader *l, const fx_field_schema *f, fx_value v, fx__bind *b,
                       const fx__loc *loc, int *later, fx_error *err)
{
    char msg[400];
    *later = 0;
    if (is_rel(f->kind) && v.type == FX_ARRAY) {
        const fx_model_schema *t = target_model(l, f->to);
        if (!t)
            return fx__load_fail(l, loc, err, FX__EREJECT, "field '%s': model '%s' is not "
                                 "in the database", f->name, f->to);
        int rc = resolve(l, model_index(l, t), v, 0, b, loc, f->name, err);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            memset(b, 0, sizeof *b);
            *later = 1;
        }
        return 0;
    }
    if (is_rel(f->kind)) {   /* the target's pk kind decides */
        const fx_model_schema *t = target_model(l, f->to);
        fx_kind k = FX_K_FK;
        if (t && !f->to_field && t->pk_kind != FX_K_INT && t->pk_kind != FX_K_BIGINT &&
            t->pk_kind != FX_K_SMALLINT)
            k = t->pk_kind;
        int rc = fx__convert(b, k, 0, v, l->pg, &l->arena, msg, sizeof msg);
        if (rc > 0)
            return fx__load_fail(l, loc, err, FX__EREJECT, "field '%s': %s", f->name, msg);
        return rc < 0 ? nomem(err) : 0;
    }
    if (v.type == FX_NULL && !f->null && f->kind != FX_K_JSON)
        return fx__load_fail(l, loc, err, FX__EREJECT, "field '%s': null, but the column "
                             "%s is NOT NULL: give a value", f->name, f->column);
    int rc = fx__convert(b, f->kind, f->alt_kind, v, l->pg, &l->arena, msg, sizeof msg);
    if (rc > 0)
        return fx__load_fail(l, loc, err, FX__EREJECT, "field '%s': %s", f->name, msg);
    return rc < 0 ? nomem(err) : 0;
}

/* Resolve the members of many-to-many field f (list, a JSON list) into
** l->tg[0..*n), text in the arena, fixed.  Returns 0; 1 when a member is a
** natural key that no row has yet (*missing is it); or a negative code. */
static int m2m_targets(fx_loader *l, const fx_field_schema *f, fx_value list,
                       const fx__loc *loc, size_t *n, fx_value *missing, fx_error *err)
{
    fx_field_schema tf;   /* each member as a foreign key to the target */
    memset(&tf, 0, sizeof tf);
    tf.name = f->name;
    tf.kind = FX_K_FK;
    tf.to = f->to;
    size_t cnt = 0;
    fx_iter it;
    fx_value e;
    fx_iter_init(&it, list);
    while (fx_iter_next(&it, NULL, &e)) {
        if (cnt == l->ctg) {
            size_t c = l->ctg ? l->ctg * 2 : 16;
            fx__bind *g = realloc(l->tg, c * sizeof *g);
            if (!g)
                return nomem(err);
            l->tg = g;
            l->ctg = c;
        }
        int lt, rc = field_value(l, &tf, e, &l->tg[cnt], loc, &lt, err);
        if (rc < 0)
            return rc;
        if (lt) {
            *missing = e;
            return 1;
        }
        cnt++;
    }
    fx__bind_fix(l->tg, cnt, &l->arena);
    *n = cnt;
    return 0;
}

/* A deferred reference d changed its row: a row counted unchanged is now
** updated, once (the entries of its record that follow say so). */
static void deferred_changed(fx_loader *l, size_t i, const char *pk)
{
    struct deferred *d = &l->deferred[i];
    fx__model_state *s = &l->ms[d->mi];
    if (d->result != FX__UNCHANGED || s->replaced)   /* --replace: counted at the end */
        return;
    for (size_t j = i; j < l->ndeferred && (j == i || l->deferred[j].same); j++)
        l->deferred[j].result = FX__UPDATED;
    if (s->unchanged) {
        s->unchanged--;
        s->updated++;
        report_change(l, d->mi, "update", pk);
    }
}

/* Fill inv[i] (i < m->nfields) with the index in rec->fields of schema
** field i, or SIZE_MAX when the record lacks it; of two fields of one
** name, the last (Python keeps the last).  Returns 0, or 1 when a field
** of the record is not the model's (inv is filled all the same). */
static int map_fields(fx_loader *l, size_t mi, const fx_model_schema *m,
                      const fx_record *rec, size_t *inv)
{
    fx__model_state *ms = &l->ms[mi];
    int unknown = 0;
    for (size_t i = 0; i < m->nfields; i++)
        inv[i] = SIZE_MAX;
    if (ms->norder == rec->nfields && ms->order) {
        size_t i = 0;
        for (; i < rec->nfields; i++) {
            size_t k = ms->order[i];
            if (k == SIZE_MAX || strcmp(m->fields[k].name, rec->fields[i].name) != 0)
                break;
            inv[k] = i;
        }
        if (i == rec->nfields)
            return 0;
        for (size_t j = 0; j < m->nfields; j++)
            inv[j] = SIZE_MAX;
    }
    size_t *order = realloc(ms->order, (rec->nfields + 1) * sizeof *order);
    if (order)
        ms->order = order;
    ms->norder = order ? rec->nfields : 0;
    for (size_t i = 0; i < rec->nfields; i++) {
        const fx_field_schema *f = fx_model_field(m, rec->fields[i].name);
        size_t k = f ? (size_t)(f - m->fields) : SIZE_MAX;
        if (order)
            order[i] = k;
        if (f)
            inv[k] = i;
        else
            unknown = 1;
    }
    return unknown;
}

int fx_loader_add(fx_loader *l, const fx_record *rec, fx_error *err)
{
    if (l->failed || l->finished)
        return fx_error_set(err, FX_ERROR, NULL, 0, 0, 0, "loader used after an error");
    fx__loc loc;
    memset(&loc, 0, sizeof loc);
    loc.file = rec->file;
    loc.line = rec->line;
    loc.col = rec->col;
    loc.label = rec->label;
    if (rec->has_pk && rec->pk_key) {
        size_t k = strlen(rec->pk_key);
        if (k >= sizeof loc.pk)
            k = sizeof loc.pk - 1;
        memcpy(loc.pk, rec->pk_key, k);
    }
    if (rec->errors)
        return fx__load_fail(l, &loc, err, FX__EREJECT, "the record holds text the "
                             "reader found wrong (invalid UTF-8 or a lone surrogate, "
                             "reported above): a database would store it as it is "
                             "and Django could not read it back; fix the file "
                             "(fxvalidate lists every error), then load again");
    const fx_model_schema *m = record_model(l, rec->label);
    if (!m) {
        if (l->ignorenonexistent)
            return skip(l, rec, rec->label ? rec->label : "", NULL) ? nomem(err) : 0;
        return fx__load_fail(l, &loc, err, FX__EREJECT, "no such table: the model has no "
                             "table in %s; run migrate (manage.py migrate) on that "
                             "database, or pass --ignorenonexistent to skip the model",
                             l->target);
    }
    size_t mi = model_index(l, m);
    loc.label = m->label;
    int rc;
    if ((rc = fx__load_ct_add(l, m, rec, &loc, err)) < 0) {
        l->failed = 1;
        return rc;
    }
    if (l->replace && !l->ms[mi].replaced) {
        l->ms[mi].replaced = 1;
        if ((rc = l->ops->clear(l, mi, &l->ms[mi].deleted, err)) < 0)
            return rc;
    }

    /* unknown fields: none when the record's fields are those of the
    ** model's last record, in the same order */
    size_t *inv = l->inv;
    if (map_fields(l, mi, m, rec, inv)) {
        for (size_t i = 0; i < rec->nfields; i++) {
            const char *name = rec->fields[i].name;
            if (fx_model_field(m, name))
                continue;
            if (l->ignorenonexistent) {
                if (skip(l, rec, m->label, name))
                    return nomem(err);
                continue;
            }
            return fx__load_fail(l, &loc, err, FX__EREJECT, "field '%s' has no column in table "
                                 "%s: run migrate on that database, or pass "
                                 "--ignorenonexistent to ignore it", name, m->table);
        }
    }

    fx_buf_reset(&l->arena);
    size_t nf = m->nfields;
    size_t *fidx = l->fidx, *later = l->later;
    fx__bind *vals = l->vals;
    size_t n = 0, nlater = 0;
    fx__bind pk, newpk;
    memset(&pk, 0, sizeof pk);
    memset(&newpk, 0, sizeof newpk);
    for (size_t i = 0; i < nf; i++) {
        const fx_field_schema *f = &m->fields[i];
        if (f->kind == FX_K_M2M || inv[i] == SIZE_MAX)
            continue;
        const fx_field *rf = &rec->fields[inv[i]];
        int lt;
        if ((rc = field_value(l, f, rf->value, &vals[n], &loc, &lt, err)) < 0)
            goto done;
        if (!lt) {
            fidx[n++] = i;
            continue;
        }
        /* a forward reference: the row is written without the column, which
        ** is set by fx_loader_finish(); loaddata saves the record with NULL
        ** there first, which a NOT NULL column refuses at once */
        if (!f->null) {
            fx_buf key = FX_BUF_INIT;
            const fx_model_schema *t = target_model(l, f->to);
            rc = compact_json(&key, rf->value) ? nomem(err)
                 : fx__load_fail(l, &loc, err, FX__EREJECT, "field '%s': no %s has the "
                                 "natural key %s before this record, and the column %s is "
                                 "NOT NULL: loaddata fails here too (NOT NULL constraint "
                                 "failed), as it saves the record without the value before "
                                 "it sets it; put that %s record before this one in the "
                                 "files, or refer to it by pk", f->name, t->label,
                                 key.data, f->column, t->label);
            fx_buf_free(&key);
            goto done;
        }
        later[nlater++] = i;
    }
    if (rec->has_pk) {
        char msg[300];
        int r = fx__convert(&pk, m->pk_kind, 0, rec->pk, l->pg, &l->arena, msg, sizeof msg);
        if (r) {
            rc = r < 0 ? nomem(err) : fx__load_fail(l, &loc, err, FX__EREJECT, "pk: %s", msg);
            goto done;
        }
        if (pk.type == FX__B_NULL) {
            rc = fx__load_fail(l, &loc, err, FX__EREJECT, "pk is null: give the pk, or "
                               "leave it out for a model with a natural key");
            goto done;
        }
    } else {
        /* natural primary: the row whose natural key the fields give */
        if (m->natural_key.n == 0) {
            rc = fx__load_fail(l, &loc, err, FX__EREJECT, "the record has no pk and the "
                               "model has no natural key in the schema: give the pk, or "
                               "pass --schema with its natural_key");
            goto done;
        }
        fx_buf list = FX_BUF_INIT;
        int bad = fx_buf_addc(&list, '[');
        for (size_t i = 0; i < m->natural_key.n && !bad; i++) {
            const fx_field *rf = fx_record_field(rec, m->natural_key.names[i]);
            if (!rf) {
                fx_buf_free(&list);
                rc = fx__load_fail(l, &loc, err, FX__EREJECT, "the record has no pk and "
                                   "lacks field '%s' of its natural key: give the pk or "
                                   "the field", m->natural_key.names[i]);
                goto done;
            }
            bad = (i && fx_buf_addc(&list, ',')) ||
                  fx_buf_add(&list, rf->value.text, rf->value.len);
        }
        if (bad || fx_buf_addc(&list, ']')) {
            fx_buf_free(&list);
            rc = nomem(err);
            goto done;
        }
        fx_value lv = {FX_ARRAY, list.data, list.len};
        rc = resolve(l, mi, lv, 1, &pk, &loc, "(natural key)", err);
        fx_buf_free(&list);
        if (rc < 0)
            goto done;
        if (rc == 0)
            memset(&pk, 0, sizeof pk);
    }
    fx__bind_fix(vals, n, &l->arena);
    fx__bind_fix(&pk, 1, &l->arena);
    if (pk.type != FX__B_NULL && !loc.pk[0])
        fx__bind_text(&pk, loc.pk, sizeof loc.pk);

    int result = 0;
    l->want_result = nlater > 0;   /* its deferred entries keep the outcome */
    rc = l->ops->upsert(l, mi, &pk, fidx, vals, n, &loc, &result, &newpk, err);
    l->want_result = 0;
    if (rc < 0)
        goto done;
    if (pk.type == FX__B_NULL) {
        pk = newpk;
        fx__bind_text(&pk, loc.pk, sizeof loc.pk);
    }
    if ((rc = remember(l, &loc)) < 0) {
        rc = nomem(err);
        goto done;
    }
    size_t first_deferred = l->ndeferred;
    for (size_t i = 0; i < nlater; i++) {
        if (defer(l, mi, later[i], &pk, rec->fields[inv[later[i]]].value, &loc, result, i > 0)) {
            rc = nomem(err);
            goto done;
        }
    }

    /* many-to-many */
    int m2m_changed = 0;
    for (size_t i = 0; i < nf; i++) {
        const fx_field_schema *f = &m->fields[i];
        if (f->kind != FX_K_M2M || inv[i] == SIZE_MAX)
            continue;
        const fx_field *rf = &rec->fields[inv[i]];
        if (rf->value.type != FX_ARRAY) {
            rc = fx__load_fail(l, &loc, err, FX__EREJECT, "field '%s': many-to-many "
                               "values are lists of pks or natural keys", f->name);
            goto done;
        }
        fx_buf_reset(&l->arena);
        if (pk.type == FX__B_TEXT) {   /* keep the row's pk text in the arena */
            fx__bind p2;
            if (fx__arena_text(l, &p2, loc.pk, strlen(loc.pk))) {
                rc = nomem(err);
                goto done;
            }
        }
        size_t cnt = 0;
        fx_value missing;
        if ((rc = m2m_targets(l, f, rf->value, &loc, &cnt, &missing, err)) < 0)
            goto done;
        fx__bind pk2 = pk;
        if (pk.type == FX__B_TEXT)
            pk2.s = l->arena.data;
        if (rc == 1) {   /* a member comes later: the whole field waits */
            if (defer(l, mi, i, &pk2, rf->value, &loc, result, l->ndeferred > first_deferred)) {
                rc = nomem(err);
                goto done;
            }
            continue;
        }
        int changed = 0;
        rc = l->ops->m2m(l, mi, i, &pk2, l->tg, cnt, result == FX__INSERTED, &loc, &changed,
                         err);
        if (rc < 0)
            goto done;
        m2m_changed |= changed;
    }
    if (result) {
        if (result == FX__UNCHANGED && m2m_changed)
            result = FX__UPDATED;
        fx__load_result(l, mi, result, loc.pk);
        for (size_t i = first_deferred; i < l->ndeferred; i++)
            l->deferred[i].result = result;
    } else if (m2m_changed) {
        fx__load_m2m_changed(l, mi);
    }
    rc = 0;
done:
    if (rc < 0)
        l->failed = 1;
    return rc;
}

/* ---------------------------------------------------------------- finish */

int fx_loader_finish(fx_loader *l, fx_error *err)
{
    if (l->failed || l->finished)
        return fx_error_set(err, FX_ERROR, NULL, 0, 0, 0, "loader used after an error");
    int rc = 0;
    report_skipped(l);
    /* forward references, in the order of their records, as loaddata's
    ** save_deferred_fields() once every file is loaded */
    for (size_t i = 0; i < l->ndeferred; i++) {
        struct deferred *d = &l->deferred[i];
        const fx_model_schema *m = &l->schema->models[d->mi];
        const fx_field_schema *f = &m->fields[d->fi];
        const char *key = d->text + strlen(d->text) + 1;
        fx_value v = {FX_ARRAY, key, strlen(key)}, missing = v;
        fx__loc loc;
        memset(&loc, 0, sizeof loc);
        loc.file = l->files[d->file];
        loc.line = d->line;
        loc.col = d->col;
        loc.label = m->label;
        fx__bind pk, val;
        memset(&pk, 0, sizeof pk);
        fx_buf_reset(&l->arena);
        if (d->pk_int) {
            pk.type = FX__B_INT;
            pk.i = d->pki;
            fx__bind_text(&pk, loc.pk, sizeof loc.pk);
        } else {
            snprintf(loc.pk, sizeof loc.pk, "%s", d->text);
            if (fx__arena_text(l, &pk, d->text, strlen(d->text)))
                return nomem(err);
        }
        int changed = 0;
        size_t cnt = 0;
        if (f->kind == FX_K_M2M) {
            rc = m2m_targets(l, f, v, &loc, &cnt, &missing, err);
        } else {
            rc = resolve(l, model_index(l, target_model(l, f->to)), v, 0, &val, &loc, f->name,
                         err);
            rc = rc < 0 ? rc : !rc;
        }
        if (rc < 0)
            return rc;
        if (rc) {
            fx_buf k = FX_BUF_INIT;
            if (compact_json(&k, missing))
                return nomem(err);
            rc = fx__load_fail(l, &loc, err, FX__EREJECT, "field '%s': no %s has the natural "
                               "key %s, in the files or the database: add that record, or "
                               "fix the reference", f->name, target_model(l, f->to)->label,
                               k.data);
            fx_buf_free(&k);
            return rc;
        }
        fx__bind_fix(&pk, 1, &l->arena);
        if (f->kind == FX_K_M2M) {
            rc = l->ops->m2m(l, d->mi, d->fi, &pk, l->tg, cnt, 0, &loc, &changed, err);
        } else {
            fx__bind_fix(&val, 1, &l->arena);
            rc = l->ops->set(l, d->mi, d->fi, &pk, &val, &loc, &changed, err);
        }
        if (rc < 0)
            return rc;
        if (changed)
            deferred_changed(l, i, loc.pk);
    }
    /* --replace: the net effect on each model emptied */
    for (size_t i = 0; i < l->schema->nmodels; i++) {
        fx__model_state *s = &l->ms[i];
        if (!s->replaced)
            continue;
        s->deleted = 0;   /* clear() counted every row: the net effect replaces it */
        if ((rc = l->ops->replaced(l, i, l->change != NULL, err)) < 0) {
            l->failed = 1;
            return rc;
        }
    }
    if ((rc = fx__load_ct_finish(l, err)) < 0)
        return rc;
    rc = l->ops->finish(l, !l->dry_run, err);
    if (rc < 0) {
        l->failed = 1;
        return rc;
    }
    l->finished = 1;
    return 0;
}
