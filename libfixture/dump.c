/*
** dump.c: the dump engine behind fxdump.  It follows Django 3.2's
** core/management/commands/dumpdata.py and core/serializers/ step by step
** (../shared/dumpdata-rules.md cites each place): the selection of apps
** and models from labels and -e, the model order (definition order, or
** sort_dependencies() with --natural-foreign), rows by pk, fields in model
** order, foreign keys as pks or natural keys, many-to-many members in the
** target's Meta.ordering, and the layout of json.dump() with the options
** dumpdata passes it.
**
** For each model it plans one SELECT (the row, and the natural key of each
** foreign key it refers to, through LEFT JOINs) and one per many-to-many
** field (every link of every row, joined to the target, ordered by the
** owner's pk then the target's ordering), all ordered by the owner's pk:
** the back end runs them side by side and the engine merges them, a row
** at a time.  Memory: one record's text and a back end's fetch batch.
*/
#include "dump_int.h"
#include "schema_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>

#define NK_DEPTH 8      /* natural keys spliced into natural keys, at most */
#define FLUSH_AT (64 * 1024)

/* ---------------------------------------------------------------- plans */

typedef struct leaf {
    fx_kind kind;
    int places;
} leaf;

enum { DF_PLAIN, DF_REF, DF_NATURAL, DF_M2M };

typedef struct dfield {
    const char *name;
    size_t key, keylen;  /* "name": as written, in plan.keys */
    int type;
    size_t col;          /* its first column in the row */
    size_t nleaf;        /* DF_NATURAL: natural key columns, after the fk
                            column and the target's key column */
    leaf *leaves;        /* one per column (DF_NATURAL: the key's) */
    size_t m2m;          /* DF_M2M: index in plan.mm */
    const char *to;      /* DF_NATURAL: target label, for messages */
} dfield;

typedef struct m2mplan {
    fx_buf sql;
    int natural;
    size_t nleaf;        /* columns after the owner's pk */
    leaf *leaves;        /* the kind of every column, the owner's pk first */
    fx__cursor *cur;
    const fx__bind *row; /* current row, or NULL at the end */
} m2mplan;

typedef struct plan {
    const fx_model_schema *m;
    fx_buf sql;
    size_t ncols;
    leaf pk;
    int write_pk;
    dfield *f;
    size_t nf;
    m2mplan *mm;
    size_t nmm;
    fx__cursor *cur;
    leaf *leaves;        /* the kind of every column (owned) */
    fx_buf keys;         /* each field's key as written, then the label's string */
    size_t label;
} plan;

/* A SELECT under construction. */
typedef struct sqlb {
    fx_buf cols, from, order;
    size_t ncols;
    int alias;          /* next table alias: t0, t1, ... */
    leaf *leaves;       /* the kind of each column */
    size_t cap;
} sqlb;

typedef struct dumper {
    fx__dumper d;
    const fx_dump_opts *o;
    fx_output *out;
    fx_error *err;
    int from_file;          /* the schema is a schema file */
    fx_buf rec;             /* records not yet written */
    fx__emit e;
    int first;              /* no record written yet */
    int json_indented;      /* json with a true --indent: "[\n", ",\n", "\n]\n" */
    fx__bind *params;       /* --pks, converted */
    size_t nparams;
    char *pks_text;         /* their texts (params point into it) */
} dumper;

static int nomem(fx_error *err)
{
    return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0,
                        "out of memory: nothing was written; free some memory and try again");
}

/* alias."column" */
static int qcol(fx_buf *b, int alias, const char *column)
{
    return fx_buf_printf(b, "t%d.", alias) || fx__quote_id(b, column) ? FX_ENOMEM : 0;
}

static int add_col(sqlb *q, int alias, const char *column, fx_kind kind, int places)
{
    if (q->ncols == q->cap) {
        leaf *l = realloc(q->leaves, (q->cap = q->cap ? 2 * q->cap : 16) * sizeof *l);
        if (!l)
            return FX_ENOMEM;
        q->leaves = l;
    }
    q->leaves[q->ncols++] = (leaf){kind, places};
    if ((q->ncols > 1 && fx_buf_adds(&q->cols, ", ")) || qcol(&q->cols, alias, column))
        return FX_ENOMEM;
    return 0;
}

/* LEFT JOIN table tN ON tN.to_col = tA.from_col; returns N, or -1. */
static int join(sqlb *q, const char *table, const char *to_col, int from_alias,
                const char *from_col)
{
    int a = q->alias++;
    if (fx_buf_adds(&q->from, " LEFT JOIN ") || fx__quote_id(&q->from, table) ||
        fx_buf_printf(&q->from, " t%d ON ", a) || qcol(&q->from, a, to_col) ||
        fx_buf_adds(&q->from, " = ") || qcol(&q->from, from_alias, from_col))
        return -1;
    return a;
}

static void sqlb_free(sqlb *q)
{
    fx_buf_free(&q->cols);
    fx_buf_free(&q->from);
    fx_buf_free(&q->order);
    free(q->leaves);
}

/* ---------------------------------------------------------------- schema */

static const fx_model_schema *model_of(const dumper *x, const char *label)
{
    return label ? fx_schema_model(x->d.schema, label) : NULL;
}

static int has_nk(const fx_model_schema *m)
{
    return m && m->natural_key.n > 0;
}

/* The field a foreign key points at in its target: to_field (a name, or a
** column as introspection gives it), or NULL for the pk. */
static const fx_field_schema *to_field(const fx_model_schema *t, const fx_field_schema *f)
{
    if (!t || !f->to_field || strcmp(f->to_field, t->pk_name) == 0 ||
        strcmp(f->to_field, t->pk_column) == 0)
        return NULL;
    const fx_field_schema *tf = fx_model_field(t, f->to_field);
    for (size_t i = 0; !tf && i < t->nfields; i++)
        if (t->fields[i].column && strcmp(t->fields[i].column, f->to_field) == 0)
            tf = &t->fields[i];
    return tf;
}

/* The column a foreign key points at in its target. */
static const char *to_column(const fx_model_schema *t, const fx_field_schema *f)
{
    const fx_field_schema *tf = to_field(t, f);
    if (tf)
        return tf->column;
    if (f->to_field && (!t || strcmp(f->to_field, t->pk_name) != 0))
        return f->to_field;
    return t ? t->pk_column : "id";
}

/* How the value of a foreign key is written: as the field it points at. */
static leaf ref_leaf(const fx_model_schema *t, const fx_field_schema *f)
{
    const fx_field_schema *tf = to_field(t, f);
    if (tf && tf->kind != FX_K_FK && tf->kind != FX_K_O2O)
        return (leaf){tf->kind, tf->decimal_places};
    return (leaf){t ? t->pk_kind : FX_K_UNKNOWN, -1};
}

/* The columns of the natural key of model t (at alias a) into q, foreign
** key parts spliced as their targets' natural keys through joins. */
static int natural_cols(dumper *x, sqlb *q, const fx_model_schema *t, int a, int depth)
{
    if (depth > NK_DEPTH)
        return fx_error_set(x->err, FX_ESCHEMA, x->d.schema->source, 0, 0, 0,
                            "the natural key of %s splices natural keys %d levels deep: "
                            "check the schema's natural_key for a loop", t->label, NK_DEPTH);
    for (size_t i = 0; i < t->natural_key.n; i++) {
        const char *part = t->natural_key.names[i];
        const fx_field_schema *f = fx_model_field(t, part);
        int rc;
        if (!f) {                           /* the pk: a parent link, or itself */
            const fx_model_schema *p = model_of(x, t->pk_to);
            if (has_nk(p)) {
                int j = join(q, p->table, p->pk_column, a, t->pk_column);
                if (j < 0)
                    return nomem(x->err);
                rc = natural_cols(x, q, p, j, depth + 1);
            } else {
                rc = add_col(q, a, t->pk_column, t->pk_kind, -1) ? nomem(x->err) : 0;
            }
        } else if (f->kind == FX_K_FK || f->kind == FX_K_O2O) {
            const fx_model_schema *u = model_of(x, f->to);
            if (has_nk(u)) {
                int j = join(q, u->table, to_column(u, f), a, f->column);
                if (j < 0)
                    return nomem(x->err);
                rc = natural_cols(x, q, u, j, depth + 1);
            } else {
                leaf l = ref_leaf(u, f);
                rc = add_col(q, a, f->column, l.kind, l.places) ? nomem(x->err) : 0;
            }
        } else if (f->kind == FX_K_M2M) {
            return fx_error_set(x->err, FX_ESCHEMA, x->d.schema->source, 0, 0, 0,
                                "the natural key of %s names the many-to-many field '%s': "
                                "a natural key is made of plain fields and foreign keys; "
                                "fix the schema", t->label, part);
        } else {
            rc = add_col(q, a, f->column, f->kind, f->decimal_places) ? nomem(x->err) : 0;
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* ORDER BY terms for Meta.ordering item name ("-content_type__model") of
** model m at alias a, following foreign keys with joins; a foreign key at
** the end orders by its target's own ordering, or by its value. */
static int order_term(dumper *x, sqlb *q, const fx_model_schema *m, int a, const char *name,
                      int desc, int depth)
{
    if (*name == '-') {
        desc = !desc;
        name++;
    }
    const char *sep = strstr(name, "__");
    size_t len = sep ? (size_t)(sep - name) : strlen(name);
    char part[256];
    snprintf(part, sizeof part, "%.*s", (int)(len < 255 ? len : 255), name);
    const char *column = NULL;
    const fx_field_schema *f = NULL;
    if (strcmp(part, "pk") == 0 || strcmp(part, m->pk_name) == 0)
        column = m->pk_column;
    else if ((f = fx_model_field(m, part)) && f->kind != FX_K_M2M)
        column = f->column;
    if (!column || depth > NK_DEPTH)
        return fx_error_set(x->err, FX_ESCHEMA, x->d.schema->source, 0, 0, 0,
                            "%s: ordering '%s' does not name a field path fx can follow: "
                            "fix the schema's ordering", m->label, name);
    if (f && (f->kind == FX_K_FK || f->kind == FX_K_O2O)) {
        const fx_model_schema *t = model_of(x, f->to);
        if (t && (sep || t->ordering.n)) {
            int j = join(q, t->table, to_column(t, f), a, f->column);
            if (j < 0)
                return nomem(x->err);
            if (sep)
                return order_term(x, q, t, j, sep + 2, desc, depth + 1);
            for (size_t i = 0; i < t->ordering.n; i++) {
                int rc = order_term(x, q, t, j, t->ordering.names[i], desc, depth + 1);
                if (rc)
                    return rc;
            }
            return 0;
        }
    } else if (sep) {
        return fx_error_set(x->err, FX_ESCHEMA, x->d.schema->source, 0, 0, 0,
                            "%s: ordering '%s' goes through '%s', which is not a foreign "
                            "key: fix the schema's ordering", m->label, name, part);
    }
    if (fx_buf_adds(&q->order, ", ") || qcol(&q->order, a, column) ||
        (desc && fx_buf_adds(&q->order, " DESC")))
        return nomem(x->err);
    return 0;
}

/* " WHERE tA.col IN (?, ?, ...)" for --pks. */
static int pk_filter(dumper *x, fx_buf *b, int a, const char *column)
{
    if (!x->params)
        return 0;
    if (fx_buf_adds(b, " WHERE ") || qcol(b, a, column) || fx_buf_adds(b, " IN ("))
        return FX_ENOMEM;
    for (size_t i = 0; i < x->nparams; i++)
        if (fx_buf_adds(b, i ? ", ?" : "?"))
            return FX_ENOMEM;
    return fx_buf_addc(b, ')');
}

static int finish_sql(fx_buf *out, sqlb *q, const char *table, int a)
{
    if (fx_buf_adds(out, "SELECT ") || fx_buf_add(out, q->cols.data, q->cols.len) ||
        fx_buf_adds(out, " FROM ") || fx__quote_id(out, table) || fx_buf_printf(out, " t%d", a) ||
        (q->from.len && fx_buf_add(out, q->from.data, q->from.len)))
        return FX_ENOMEM;
    return 0;
}

/* The link table of a many-to-many field, Django's defaults when the
** schema does not give it. */
static int through_of(const fx_model_schema *m, const fx_field_schema *f,
                      const fx_model_schema *t, char *table, char *from, char *to, size_t n)
{
    if (f->through && f->through_from && f->through_to) {
        snprintf(table, n, "%s", f->through);
        snprintf(from, n, "%s", f->through_from);
        snprintf(to, n, "%s", f->through_to);
        return 0;
    }
    const char *mn = strchr(m->label, '.') + 1, *tn = strchr(t->label, '.') + 1;
    snprintf(table, n, "%s_%s", m->table, f->name);
    if (m == t) {
        snprintf(from, n, "from_%s_id", mn);
        snprintf(to, n, "to_%s_id", tn);
    } else {
        snprintf(from, n, "%s_id", mn);
        snprintf(to, n, "%s_id", tn);
    }
    return 0;
}

static int plan_m2m(dumper *x, const fx_model_schema *m, const fx_field_schema *f,
                    m2mplan *mp)
{
    const fx_model_schema *t = model_of(x, f->to);
    if (!t)
        return fx_error_set(x->err, FX_ESCHEMA, x->d.schema->source, 0, 0, 0,
                            "%s.%s refers to model '%s', which the schema does not have: "
                            "fix the schema", m->label, f->name, f->to);
    char table[256], from[256], to[256];
    through_of(m, f, t, table, from, to, sizeof table);
    sqlb q;
    memset(&q, 0, sizeof q);
    int rc = 0;
    q.alias = 3;                            /* t0 link, t1 owner, t2 target */
    mp->natural = x->o->natural_foreign && has_nk(t);
    if (add_col(&q, 1, m->pk_column, m->pk_kind, -1) ||
        (!mp->natural && add_col(&q, 2, t->pk_column, t->pk_kind, -1)) ||
        fx_buf_adds(&q.from, " JOIN ") || fx__quote_id(&q.from, m->table) ||
        fx_buf_adds(&q.from, " t1 ON ") || qcol(&q.from, 1, m->pk_column) ||
        fx_buf_adds(&q.from, " = ") || qcol(&q.from, 0, from) ||
        fx_buf_adds(&q.from, " JOIN ") || fx__quote_id(&q.from, t->table) ||
        fx_buf_adds(&q.from, " t2 ON ") || qcol(&q.from, 2, t->pk_column) ||
        fx_buf_adds(&q.from, " = ") || qcol(&q.from, 0, to)) {
        rc = nomem(x->err);
        goto done;
    }
    if (mp->natural && (rc = natural_cols(x, &q, t, 2, 0)))
        goto done;
    for (size_t i = 0; i < t->ordering.n && !rc; i++)
        rc = order_term(x, &q, t, 2, t->ordering.names[i], 0, 0);
    if (rc)
        goto done;
    if (finish_sql(&mp->sql, &q, table, 0) || pk_filter(x, &mp->sql, 1, m->pk_column) ||
        fx_buf_adds(&mp->sql, " ORDER BY ") || qcol(&mp->sql, 1, m->pk_column) ||
        (q.order.len && fx_buf_add(&mp->sql, q.order.data, q.order.len)) ||
        fx_buf_adds(&mp->sql, ", ") || qcol(&mp->sql, 2, t->pk_column)) {
        rc = nomem(x->err);
        goto done;
    }
    mp->nleaf = q.ncols - 1;
    mp->leaves = q.leaves;
    q.leaves = NULL;
done:
    sqlb_free(&q);
    return rc;
}

static void plan_free(plan *p)
{
    fx_buf_free(&p->sql);
    for (size_t i = 0; i < p->nmm; i++) {
        fx_buf_free(&p->mm[i].sql);
        free(p->mm[i].leaves);
    }
    free(p->mm);
    free(p->f);
    free(p->leaves);
    fx_buf_free(&p->keys);
}

static dfield *add_dfield(plan *p, const char *name, int type, size_t col)
{
    dfield *f = &p->f[p->nf++];
    memset(f, 0, sizeof *f);
    f->name = name;
    f->type = type;
    f->col = col;
    return f;
}

/* A reference to model t through column of the row (alias 0): its natural
** key when it has one and --natural-foreign, else its value. */
static int plan_ref(dumper *x, plan *p, sqlb *q, const char *name, const fx_model_schema *t,
                    const char *column, const char *to_col, leaf value)
{
    if (x->o->natural_foreign && has_nk(t)) {
        dfield *df = add_dfield(p, name, DF_NATURAL, q->ncols);
        df->to = t->label;
        if (add_col(q, 0, column, value.kind, value.places))
            return nomem(x->err);
        int j = join(q, t->table, to_col, 0, column);
        if (j < 0 || add_col(q, j, to_col, value.kind, value.places))
            return nomem(x->err);
        size_t first = q->ncols;
        int rc = natural_cols(x, q, t, j, 0);
        df->nleaf = q->ncols - first;
        return rc;
    }
    add_dfield(p, name, DF_REF, q->ncols);
    return add_col(q, 0, column, value.kind, value.places) ? nomem(x->err) : 0;
}

static int make_plan(dumper *x, const fx_model_schema *m, plan *p)
{
    sqlb q;
    memset(&q, 0, sizeof q);
    memset(p, 0, sizeof *p);
    p->m = m;
    q.alias = 1;
    int rc = 0;
    size_t nm2m = 0;
    for (size_t i = 0; i < m->nfields; i++)
        nm2m += m->fields[i].kind == FX_K_M2M;
    p->f = calloc(m->nfields + 2, sizeof *p->f);
    p->mm = calloc(nm2m + 1, sizeof *p->mm);
    if (!p->f || !p->mm || add_col(&q, 0, m->pk_column, m->pk_kind, -1)) {
        rc = nomem(x->err);
        goto done;
    }
    p->write_pk = !(x->o->natural_primary && has_nk(m));
    /* --natural-primary on a multi-table child: its parent link stays, as
    ** a field, so that the row can be loaded (serializers/base.py) */
    if (x->o->natural_primary && m->pk_to && m->pk_parent_link) {
        const fx_model_schema *t = model_of(x, m->pk_to);
        rc = plan_ref(x, p, &q, m->pk_name, t, m->pk_column, t ? t->pk_column : "id",
                      (leaf){m->pk_kind, -1});
        if (rc)
            goto done;
    }
    for (size_t i = 0; i < m->nfields && !rc; i++) {
        const fx_field_schema *f = &m->fields[i];
        if (f->kind == FX_K_M2M) {
            dfield *df = add_dfield(p, f->name, DF_M2M, 0);
            df->m2m = p->nmm;
            rc = plan_m2m(x, m, f, &p->mm[p->nmm++]);
        } else if (f->kind == FX_K_FK || f->kind == FX_K_O2O) {
            const fx_model_schema *t = model_of(x, f->to);
            rc = plan_ref(x, p, &q, f->name, t, f->column, to_column(t, f), ref_leaf(t, f));
        } else {
            add_dfield(p, f->name, DF_PLAIN, q.ncols);
            if (add_col(&q, 0, f->column, f->kind, f->decimal_places))
                rc = nomem(x->err);
            if (f->alt_kind == FX_K_DURATION)
                fx__diag(x->o->diag, x->o->diag_ctx, FX_WARNING, NULL, 0, 0, 0, "schema",
                         "%s.%s: SQLite stores a BigIntegerField and a DurationField alike: "
                         "written as an integer, which loaddata refuses for a DurationField; "
                         "the schema file tells them apart", m->label, f->name);
        }
    }
    if (rc)
        goto done;
    if (finish_sql(&p->sql, &q, m->table, 0) || pk_filter(x, &p->sql, 0, m->pk_column) ||
        fx_buf_adds(&p->sql, " ORDER BY ") || qcol(&p->sql, 0, m->pk_column)) {
        rc = nomem(x->err);
        goto done;
    }
    p->ncols = q.ncols;
    p->pk = q.leaves[0];
    for (size_t i = 0; i < p->nf; i++)
        p->f[i].leaves = p->f[i].type == DF_M2M ? NULL : q.leaves + p->f[i].col;
    p->leaves = q.leaves;
    q.leaves = NULL;
    /* the keys and the label as they are written, escaped once */
    fx__emit ke;
    fx__emit_init(&ke, &p->keys, -1, "", 0);
    for (size_t i = 0; i < p->nf && !rc; i++) {
        p->f[i].key = p->keys.len;
        if (fx__emit_str(&ke, p->f[i].name, strlen(p->f[i].name)) ||
            fx_buf_add(&p->keys, ": ", 2))
            rc = nomem(x->err);
        p->f[i].keylen = p->keys.len - p->f[i].key;
    }
    p->label = p->keys.len;
    if (!rc && fx__emit_str(&ke, m->label, strlen(m->label)))
        rc = nomem(x->err);
done:
    sqlb_free(&q);
    return rc;
}

/* ---------------------------------------------------------------- writing */

static int flush(dumper *x, int force)
{
    if (x->rec.len && (force || x->rec.len >= FLUSH_AT)) {
        int rc = fx_output_write(x->out, x->rec.data, x->rec.len, x->err);
        fx_buf_reset(&x->rec);
        return rc;
    }
    return 0;
}

/* A cell's value as text, for messages. */
static const char *cell_str(const fx__bind *c, char *buf, size_t n)
{
    if (c->type == FX__B_INT)
        snprintf(buf, n, "%" PRId64, c->i);
    else if (c->type == FX__B_TEXT)
        snprintf(buf, n, "%s", c->s);
    else
        snprintf(buf, n, "%s", c->type == FX__B_NULL ? "null" : "?");
    return buf;
}

static int emit_cell(dumper *x, const plan *p, const fx__bind *row, size_t col, leaf l,
                     int mode, const char *fname)
{
    char msg[300];
    int rc = fx__render(&x->e, &row[col], l.kind, l.places, x->d.ops->pg, mode, msg, sizeof msg);
    if (rc == 1) {
        char pk[64];
        return fx_error_set(x->err, FX_ESCHEMA, x->d.target, 0, 0, 0,
                            "%s pk %s, field '%s': %s: Django cannot read it either; fix "
                            "the row", p->m->label, cell_str(&row[0], pk, sizeof pk), fname, msg);
    }
    return rc ? nomem(x->err) : 0;
}

/* The natural key in columns row[first..first+n) as a list. */
static int emit_natural(dumper *x, const plan *p, const fx__bind *row, size_t first,
                        const leaf *leaves, size_t n, const char *fname)
{
    if (fx__emit_open(&x->e, '['))
        return nomem(x->err);
    for (size_t i = 0; i < n; i++) {
        if (fx__emit_item(&x->e))
            return nomem(x->err);
        int rc = emit_cell(x, p, row, first + i, leaves[i], FX__R_ENCODER, fname);
        if (rc)
            return rc;
    }
    return fx__emit_close(&x->e, ']') ? nomem(x->err) : 0;
}

static int emit_m2m(dumper *x, plan *p, const fx__bind *row, m2mplan *mp, const char *fname)
{
    if (fx__emit_open(&x->e, '['))
        return nomem(x->err);
    while (mp->row && fx__bind_eq(&mp->row[0], &row[0])) {
        int rc = fx__emit_item(&x->e) ? nomem(x->err) : 0;
        if (!rc && mp->natural)
            rc = emit_natural(x, p, mp->row, 1, mp->leaves + 1, mp->nleaf, fname);
        else if (!rc)
            rc = emit_cell(x, p, mp->row, 1, mp->leaves[1], FX__R_FIELD, fname);
        if (rc)
            return rc;
        if ((rc = x->d.ops->next(&x->d, mp->cur, &mp->row, x->err)) < 0)
            return rc;
        if (rc == 0)
            mp->row = NULL;
    }
    return fx__emit_close(&x->e, ']') ? nomem(x->err) : 0;
}

static int emit_record(dumper *x, plan *p, const fx__bind *row)
{
    fx__emit *e = &x->e;
    const char *sep = x->first ? "" : x->o->format == FX_FORMAT_JSONL ? ""
                      : x->json_indented ? "," : ", ";
    if (fx_buf_adds(&x->rec, sep) || (x->json_indented && fx_buf_addc(&x->rec, '\n')))
        return nomem(x->err);
    x->first = 0;
    int rc = 0;
    if (fx__emit_open(e, '{') || fx__emit_key_raw(e, "\"model\": ", 9) ||
        fx__emit_raw(e, p->keys.data + p->label, p->keys.len - p->label))
        return nomem(x->err);
    if (p->write_pk) {
        if (fx__emit_key_raw(e, "\"pk\": ", 6))
            return nomem(x->err);
        if ((rc = emit_cell(x, p, row, 0, p->pk, FX__R_FIELD, p->m->pk_name)))
            return rc;
    }
    if (fx__emit_key_raw(e, "\"fields\": ", 10) || fx__emit_open(e, '{'))
        return nomem(x->err);
    for (size_t i = 0; i < p->nf && !rc; i++) {
        dfield *f = &p->f[i];
        if (fx__emit_key_raw(e, p->keys.data + f->key, f->keylen))
            return nomem(x->err);
        switch (f->type) {
        case DF_PLAIN:
        case DF_REF:
            rc = emit_cell(x, p, row, f->col, f->leaves[0], FX__R_FIELD, f->name);
            break;
        case DF_NATURAL:
            if (row[f->col].type == FX__B_NULL) {
                rc = fx_buf_adds(&x->rec, "null") ? nomem(x->err) : 0;
            } else if (row[f->col + 1].type == FX__B_NULL) {
                char v[64], pk[64];
                rc = fx_error_set(x->err, FX_ESCHEMA, x->d.target, 0, 0, 0,
                                  "%s pk %s, field '%s': refers to %s %s, which is not in "
                                  "the database, so it has no natural key (dumpdata fails "
                                  "the same way); fix the row or dump without "
                                  "--natural-foreign", p->m->label,
                                  cell_str(&row[0], pk, sizeof pk), f->name, f->to,
                                  cell_str(&row[f->col], v, sizeof v));
            } else {
                rc = emit_natural(x, p, row, f->col + 2, f->leaves + 2, f->nleaf, f->name);
            }
            break;
        case DF_M2M:
            rc = emit_m2m(x, p, row, &p->mm[f->m2m], f->name);
            break;
        }
    }
    if (rc)
        return rc;
    if (fx__emit_close(e, '}') || fx__emit_close(e, '}') ||
        (x->o->format == FX_FORMAT_JSONL && fx_buf_addc(&x->rec, '\n')))
        return nomem(x->err);
    return flush(x, 0);
}

static int dump_model(dumper *x, const fx_model_schema *m)
{
    plan p;
    uint64_t rows = 0;
    int rc = make_plan(x, m, &p);
    const fx__dump_ops *ops = x->d.ops;
    if (rc)
        goto done;
    for (size_t i = 0; i < p.nmm && !rc; i++) {
        m2mplan *mp = &p.mm[i];
        if ((rc = ops->open(&x->d, &mp->cur, mp->sql.data, x->params, x->nparams,
                            1 + mp->nleaf, x->err)) < 0)
            goto done;
        if ((rc = ops->next(&x->d, mp->cur, &mp->row, x->err)) < 0)
            goto done;
        if (rc == 0)
            mp->row = NULL;
        rc = 0;
    }
    if ((rc = ops->open(&x->d, &p.cur, p.sql.data, x->params, x->nparams, p.ncols, x->err)) < 0)
        goto done;
    const fx__bind *row;
    while ((rc = ops->next(&x->d, p.cur, &row, x->err)) > 0) {
        if ((rc = emit_record(x, &p, row)) < 0)
            break;
        if (++rows % 4096 == 0 && x->o->progress)
            x->o->progress(x->o->progress_ctx, m->label, rows, 0);
    }
    if (rc == 0 && x->o->progress)
        x->o->progress(x->o->progress_ctx, m->label, rows, 1);
done:
    if (p.cur)
        ops->close(&x->d, p.cur);
    for (size_t i = 0; i < p.nmm; i++)
        if (p.mm[i].cur)
            ops->close(&x->d, p.mm[i].cur);
    plan_free(&p);
    return rc;
}

/* ---------------------------------------------------------------- selection */

typedef struct sel_app {
    char *label;
    int all;                        /* every model of the app */
    const fx_model_schema **models; /* those named, in order */
    size_t n;
} sel_app;

typedef struct selection {
    char **apps;                    /* the schema's apps, in order */
    size_t napps;
    sel_app *sel;                   /* dumpdata's app_list */
    size_t nsel;
    const fx_model_schema **excluded;
    size_t nexcluded;
    char **excluded_apps;
    size_t nexcluded_apps;
} selection;

static void selection_free(selection *s)
{
    for (size_t i = 0; i < s->napps; i++)
        free(s->apps[i]);
    free(s->apps);
    for (size_t i = 0; i < s->nsel; i++) {
        free(s->sel[i].label);
        free(s->sel[i].models);
    }
    free(s->sel);
    free(s->excluded);
    free(s->excluded_apps);
}

static int app_known(const selection *s, const char *app)
{
    for (size_t i = 0; i < s->napps; i++)
        if (strcmp(s->apps[i], app) == 0)
            return 1;
    return 0;
}

static int app_excluded(const selection *s, const char *app)
{
    for (size_t i = 0; i < s->nexcluded_apps; i++)
        if (strcmp(s->excluded_apps[i], app) == 0)
            return 1;
    return 0;
}

static int app_of(const fx_model_schema *m, const char *app)
{
    size_t n = strlen(app);
    return strncmp(m->label, app, n) == 0 && m->label[n] == '.';
}

/* app_config.get_model(name): case-insensitive, proxies included. */
static const fx_model_schema *get_model(const dumper *x, const char *app, const char *name)
{
    const fx_schema *s = x->d.schema;
    for (size_t i = 0; i < s->nmodels; i++)
        if (app_of(&s->models[i], app) &&
            strcasecmp(s->models[i].label + strlen(app) + 1, name) == 0)
            return &s->models[i];
    return NULL;
}

static int usage(dumper *x, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int usage(dumper *x, const char *fmt, ...)
{
    char m[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return fx_error_set(x->err, FX_EUSAGE, NULL, 0, 0, 0, "%s", m);
}

static int no_app(dumper *x, const selection *s, const char *app)
{
    char list[600] = "";
    for (size_t i = 0; i < s->napps; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 s->apps[i]);
    return usage(x, "No installed app with label '%s'. (the apps: %s; app labels are "
                 "matched exactly, model names ignoring case)", app, list);
}

static sel_app *sel_get(selection *s, const char *app, int *added)
{
    *added = 0;
    for (size_t i = 0; i < s->nsel; i++)
        if (strcmp(s->sel[i].label, app) == 0)
            return &s->sel[i];
    sel_app *p = realloc(s->sel, (s->nsel + 1) * sizeof *p);
    if (!p)
        return NULL;
    s->sel = p;
    p = &s->sel[s->nsel];
    memset(p, 0, sizeof *p);
    if (!(p->label = strdup(app)))
        return NULL;
    s->nsel++;
    *added = 1;
    return p;
}

static int select_models(dumper *x, selection *s)
{
    const fx_schema *sc = x->d.schema;
    const fx_dump_opts *o = x->o;
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < sc->nmodels; i++) {
        const char *l = sc->models[i].label, *dot = strchr(l, '.');
        char app[256];
        snprintf(app, sizeof app, "%.*s", (int)(dot - l), l);
        if (app_known(s, app))
            continue;
        char **p = realloc(s->apps, (s->napps + 1) * sizeof *p);
        if (!p || !(p[s->napps] = strdup(app))) {
            if (p)
                s->apps = p;
            return nomem(x->err);
        }
        s->apps = p;
        s->napps++;
    }
    s->excluded = calloc(o->nexclude + 1, sizeof *s->excluded);
    s->excluded_apps = calloc(o->nexclude + 1, sizeof *s->excluded_apps);
    if (!s->excluded || !s->excluded_apps)
        return nomem(x->err);

    /* parse_apps_and_model_labels(excludes) */
    for (size_t i = 0; i < o->nexclude; i++) {
        const char *l = o->exclude[i], *dot = strchr(l, '.');
        if (dot) {
            char app[256];
            snprintf(app, sizeof app, "%.*s", (int)(dot - l), l);
            const fx_model_schema *m = strchr(dot + 1, '.') ? NULL : get_model(x, app, dot + 1);
            if (!m)
                return usage(x, "Unknown model: %s", l);
            s->excluded[s->nexcluded++] = m;
        } else {
            if (!app_known(s, l))
                return no_app(x, s, l);
            for (size_t j = 0; j < s->napps; j++)
                if (strcmp(s->apps[j], l) == 0)
                    s->excluded_apps[s->nexcluded_apps++] = s->apps[j];
        }
    }
    int pks = o->pks && *o->pks;
    if (pks && o->nlabels != 1)
        return usage(x, "You can only use --pks option with one model");
    if (o->nlabels == 0) {
        for (size_t i = 0; i < s->napps; i++) {
            int added;
            if (app_excluded(s, s->apps[i]))
                continue;
            sel_app *a = sel_get(s, s->apps[i], &added);
            if (!a)
                return nomem(x->err);
            a->all = 1;
        }
        return 0;
    }
    for (size_t i = 0; i < o->nlabels; i++) {
        const char *l = o->labels[i], *dot = strchr(l, '.');
        int added;
        if (dot && !strchr(dot + 1, '.')) {           /* app_label.ModelName */
            char app[256];
            snprintf(app, sizeof app, "%.*s", (int)(dot - l), l);
            if (!app_known(s, app))
                return no_app(x, s, app);
            if (app_excluded(s, app))
                continue;
            const fx_model_schema *m = get_model(x, app, dot + 1);
            if (!m)
                return usage(x, "Unknown model: %s", l);
            sel_app *a = sel_get(s, app, &added);
            if (!a)
                return nomem(x->err);
            if (a->all)
                continue;
            int have = 0;
            for (size_t j = 0; j < a->n; j++)
                have |= a->models[j] == m;
            if (have)
                continue;
            const fx_model_schema **p = realloc(a->models, (a->n + 1) * sizeof *p);
            if (!p)
                return nomem(x->err);
            a->models = p;
            a->models[a->n++] = m;
        } else {                                       /* an app label */
            if (pks)
                return usage(x, "You can only use --pks option with one model");
            if (!app_known(s, l))
                return no_app(x, s, l);
            if (app_excluded(s, l))
                continue;
            sel_app *a = sel_get(s, l, &added);
            if (!a)
                return nomem(x->err);
            a->all = 1;
            free(a->models);
            a->models = NULL;
            a->n = 0;
        }
    }
    return 0;
}

/* The models of app entry a: those named, or the app's own (get_models()). */
static size_t sel_models(const dumper *x, const sel_app *a, const fx_model_schema **out)
{
    if (!a->all) {
        memcpy(out, a->models, a->n * sizeof *out);
        return a->n;
    }
    size_t n = 0;
    for (size_t i = 0; i < x->d.schema->nmodels; i++)
        if (app_of(&x->d.schema->models[i], a->label))
            out[n++] = &x->d.schema->models[i];
    return n;
}

/* ---------------------------------------------------------------- order */

typedef struct mdeps {
    const fx_model_schema *m;
    const fx_model_schema **deps;
    size_t n;
} mdeps;

static int dep_add(mdeps *d, const fx_model_schema *t)
{
    const fx_model_schema **p = realloc(d->deps, (d->n + 1) * sizeof *p);
    if (!p)
        return FX_ENOMEM;
    d->deps = p;
    d->deps[d->n++] = t;
    return 0;
}

/* The relations of model m as _meta.fields and _meta.many_to_many list
** them: its own, its pk's, and those it inherits from its parents. */
static int rel_deps(const dumper *x, const fx_model_schema *m, const fx_model_schema *self,
                    mdeps *d, int depth)
{
    if (!m || depth > NK_DEPTH)
        return 0;
    const fx_model_schema *t = model_of(x, m->pk_to);
    if (t && has_nk(t) && t != self && dep_add(d, t))
        return FX_ENOMEM;
    for (size_t i = 0; i < m->nfields; i++) {
        const fx_field_schema *f = &m->fields[i];
        if (f->kind != FX_K_FK && f->kind != FX_K_O2O && f->kind != FX_K_M2M)
            continue;
        t = model_of(x, f->to);
        if (has_nk(t) && t != self && dep_add(d, t))
            return FX_ENOMEM;
    }
    return m->pk_parent_link ? rel_deps(x, model_of(x, m->pk_to), self, d, depth + 1) : 0;
}

/* serializers.sort_dependencies(app_list, allow_cycles=True), to the
** letter: passes after the first walk the skipped models backwards. */
static int sort_dependencies(dumper *x, const fx_model_schema **all, size_t n,
                             const fx_model_schema **out)
{
    mdeps *md = calloc(n + 1, sizeof *md), *skipped = calloc(n + 1, sizeof *skipped);
    size_t nmd = 0, nout = 0;
    int rc = 0;
    if (!md || !skipped) {
        rc = nomem(x->err);
        goto done;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        const fx_model_schema *m = all[i];
        mdeps *d = &md[nmd++];
        d->m = m;
        if (has_nk(m))
            for (size_t j = 0; j < m->dependencies.n && !rc; j++) {
                const fx_model_schema *t = model_of(x, m->dependencies.names[j]);
                if (t && dep_add(d, t))
                    rc = nomem(x->err);
            }
        if (!rc && rel_deps(x, m, m, d, 0))
            rc = nomem(x->err);
    }
    /* model_dependencies.reverse(), then pop() from the end */
    for (size_t i = 0; i < nmd / 2; i++) {
        mdeps t = md[i];
        md[i] = md[nmd - 1 - i];
        md[nmd - 1 - i] = t;
    }
    while (!rc && nmd) {
        size_t nskipped = 0;
        int changed = 0;
        while (nmd) {
            mdeps d = md[--nmd];
            int ok = 1;
            for (size_t j = 0; j < d.n && ok; j++) {
                int in_models = 0, in_out = 0;
                for (size_t k = 0; k < n; k++)
                    in_models |= all[k] == d.deps[j];
                for (size_t k = 0; k < nout; k++)
                    in_out |= out[k] == d.deps[j];
                ok = !in_models || in_out;
            }
            if (ok) {
                out[nout++] = d.m;
                free(d.deps);
                changed = 1;
            } else {
                skipped[nskipped++] = d;
            }
        }
        if (!changed) {               /* a cycle: the last skipped goes */
            mdeps d = skipped[--nskipped];
            out[nout++] = d.m;
            free(d.deps);
        }
        memcpy(md, skipped, nskipped * sizeof *md);
        nmd = nskipped;
    }
done:
    for (size_t i = 0; md && i < nmd; i++)
        free(md[i].deps);
    free(md);
    free(skipped);
    return rc ? rc : (int)nout;
}

/* ---------------------------------------------------------------- Django's own */

/* Without a schema file, what Django's own models are (their Python code
** is the same in every project): natural keys, their dependencies, and
** auth.permission's Meta.ordering, which orders every user's and group's
** permissions.  Natural keys guessed by introspection are dropped: the
** project's natural_key() methods are unknown. */
static int builtin_knowledge(fx_schema *s)
{
    static const struct { const char *label, *nk[3], *dep, *ord[3]; } known[] = {
        {"contenttypes.contenttype", {"app_label", "model"}, NULL, {NULL}},
        {"auth.permission", {"codename", "content_type"}, "contenttypes.contenttype",
         {"content_type__app_label", "content_type__model", "codename"}},
        {"auth.group", {"name"}, NULL, {NULL}},
        {"auth.user", {"username"}, NULL, {NULL}},
    };
    for (size_t i = 0; i < s->nmodels; i++)
        fx__names_clear(&s->models[i].natural_key);
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        fx_model_schema *m = (fx_model_schema *)fx_schema_model(s, known[i].label);
        if (!m)
            continue;
        for (size_t j = 0; j < 3 && known[i].nk[j]; j++)
            if (!fx_model_field(m, known[i].nk[j]))
                goto next;
        for (size_t j = 0; j < 3 && known[i].nk[j]; j++)
            if (fx__names_add(&m->natural_key, known[i].nk[j]))
                return FX_ENOMEM;
        if (known[i].dep && fx__names_add(&m->dependencies, known[i].dep))
            return FX_ENOMEM;
        for (size_t j = 0; j < 3 && known[i].ord[j]; j++)
            if (fx__names_add(&m->ordering, known[i].ord[j]))
                return FX_ENOMEM;
    next:;
    }
    return 0;
}

/* Without a schema file: the content types introspection left out, having
** found no table of Django's default name for them, said once. */
static int unmapped_types(dumper *x)
{
    fx__cursor *c;
    const fx__bind *row;
    fx_buf list = FX_BUF_INIT;
    int rc = x->d.ops->open(&x->d, &c, "SELECT app_label, model FROM django_content_type "
                            "ORDER BY id", NULL, 0, 2, x->err);
    if (rc < 0)
        return rc;
    size_t n = 0;
    while ((rc = x->d.ops->next(&x->d, c, &row, x->err)) > 0) {
        char label[300];
        if (row[0].type != FX__B_TEXT || row[1].type != FX__B_TEXT)
            continue;
        snprintf(label, sizeof label, "%s.%s", row[0].s, row[1].s);
        if (fx_schema_model(x->d.schema, label))
            continue;
        if (fx_buf_printf(&list, "%s%s", n++ ? ", " : "", label)) {
            rc = nomem(x->err);
            break;
        }
    }
    x->d.ops->close(&x->d, c);
    if (rc == 0 && n)
        fx__diag(x->o->diag, x->o->diag_ctx, FX_WARNING, NULL, 0, 0, 0, "schema",
                 "no table of Django's default name for %s: proxy models (never dumped), "
                 "models with their own db_table or deleted models: not dumped without the "
                 "schema file", list.data);
    fx_buf_free(&list);
    return rc;
}

/* ---------------------------------------------------------------- --pks */

/* queryset.filter(pk__in=...): each item converted as the pk field's
** get_prep_value() would, or refused with Django's words. */
static int parse_pks(dumper *x, const fx_model_schema *m)
{
    const char *list = x->o->pks;
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    x->params = calloc(n, sizeof *x->params);
    x->pks_text = malloc(strlen(list) + n + 1);
    if (!x->params || !x->pks_text)
        return nomem(x->err);
    char *w = x->pks_text;
    const char *p = list;
    for (size_t i = 0; i < n; i++) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t' || *a == '\n'))      /* pk.strip() */
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\n'))
            b--;
        fx__bind *c = &x->params[i];
        memcpy(w, a, (size_t)(b - a));
        w[b - a] = '\0';
        fx_kind k = m->pk_kind;
        if (k == FX_K_INT || k == FX_K_SMALLINT || k == FX_K_BIGINT) {
            char *e;
            long long v = strtoll(w, &e, 10);
            if (e == w || *e)
                return usage(x, "Unable to serialize database: Field '%s' expected a number "
                             "but got '%s'.", m->pk_name, w);
            c->type = FX__B_INT;
            c->i = v;
        } else if (k == FX_K_UUID) {
            char h[33];
            size_t nh = 0;
            for (const char *q = w; *q && nh < 33; q++)
                if ((*q >= '0' && *q <= '9') || ((*q | 32) >= 'a' && (*q | 32) <= 'f'))
                    h[nh++] = (char)(*q | (*q >= 'A' ? 32 : 0));
                else if (*q != '-')
                    nh = 99;
            if (nh != 32)
                return usage(x, "Unable to serialize database: ['\xe2\x80\x9c%s\xe2\x80\x9d "
                             "is not a valid UUID.']", w);
            h[32] = '\0';
            if (x->d.ops->pg)
                snprintf(w, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
            else
                memcpy(w, h, 33);
            c->type = FX__B_TEXT;
        } else {
            c->type = FX__B_TEXT;
        }
        if (c->type == FX__B_TEXT) {
            c->s = w;
            c->n = strlen(w);
        }
        w += strlen(w) + 1;
        p = *end ? end + 1 : end;
    }
    x->nparams = n;
    return 0;
}

/* ---------------------------------------------------------------- main */

/* The connection to read through: the caller's (attach, a struct sqlite3
** when pg is 0, else a struct pg_conn), or one opened to target. */
static int connect(dumper *x, const char *target, void *attach, int pg)
{
    if (attach)
        return pg ? fx__dump_pg_attach(&x->d, attach, x->err)
                  : fx__dump_sqlite_attach(&x->d, attach, target, x->err);
    if (fx_target_is_pg(target))
        return fx__dump_pg_open(&x->d, target, x->err);
    return fx__dump_sqlite_open(&x->d, strncmp(target, "sqlite:", 7) == 0 ? target + 7
                                : target, x->err);
}

static int run(dumper *x, const char *target, void *attach, int pg)
{
    const fx_dump_opts *o = x->o;
    int rc;
    if (o->schema) {
        if ((rc = fx_schema_load(&x->d.schema, o->schema, x->err)) < 0)
            return rc;
        x->from_file = !(x->d.schema->source && strncmp(x->d.schema->source, "sqlite:", 7) == 0);
        if (!x->from_file && (rc = builtin_knowledge(x->d.schema)))
            return nomem(x->err);
    }
    if ((rc = connect(x, target, attach, pg)) < 0)
        return rc;
    if (!o->schema && builtin_knowledge(x->d.schema))
        return nomem(x->err);
    if (!x->from_file)
        fx__diag(o->diag, o->diag_ctx, FX_WARNING, NULL, 0, 0, 0, "schema",
                 "no schema file: models, fields and natural keys as the database tells "
                 "them (content type order, column order, natural keys of Django's own "
                 "models only); the fixture loads, but it is dumpdata's byte for byte only "
                 "with the schema 'manage.py fxschema' writes (pass it with --schema)");
    if (!x->from_file && (rc = unmapped_types(x)) < 0)
        return rc;

    selection s;
    const fx_model_schema **all = NULL, **order = NULL;
    size_t nall = 0, norder = 0;
    if ((rc = select_models(x, &s)))
        goto done;
    all = calloc(x->d.schema->nmodels + 1, sizeof *all);
    order = calloc(x->d.schema->nmodels * (s.nsel + 1) + 1, sizeof *order);
    if (!all || !order) {
        rc = nomem(x->err);
        goto done;
    }
    for (size_t i = 0; i < s.nsel; i++)
        nall += sel_models(x, &s.sel[i], all + nall);
    if (o->natural_foreign) {
        if ((rc = sort_dependencies(x, all, nall, order)) < 0)
            goto done;
        norder = (size_t)rc;
        rc = 0;
    } else {
        memcpy(order, all, nall * sizeof *order);
        norder = nall;
    }
    if (o->pks && *o->pks && norder && (rc = parse_pks(x, order[0])))
        goto done;

    /* the framing of core/serializers/json.py and jsonl.py */
    int indent = o->indent_set ? o->indent : -1;
    x->json_indented = o->format == FX_FORMAT_JSON && o->indent_set && o->indent != 0;
    if (o->format == FX_FORMAT_JSONL)
        fx__emit_init(&x->e, &x->rec, -1, ",", 0);
    else if (x->json_indented)
        fx__emit_init(&x->e, &x->rec, indent < 0 ? 0 : indent, ",", 0);
    else
        fx__emit_init(&x->e, &x->rec, o->indent_set ? 0 : -1, o->indent_set ? "," : ", ", 0);
    x->first = 1;
    if (o->format == FX_FORMAT_JSON && fx_buf_addc(&x->rec, '['))
        goto oom;
    for (size_t i = 0; i < norder && !rc; i++) {
        const fx_model_schema *m = order[i];
        int skip = 0;
        for (size_t j = 0; j < s.nexcluded; j++)
            skip |= s.excluded[j] == m;
        if (skip)
            continue;
        if (m->proxy) {
            const fx_model_schema *pf = model_of(x, m->proxy);
            int there = 0;
            for (size_t j = 0; j < norder; j++)
                there |= order[j] == pf;
            if (!there)
                fx__diag(o->diag, o->diag_ctx, FX_WARNING, NULL, 0, 0, 0, "proxy",
                         "%s is a proxy model and won't be serialized.", m->label);
            continue;
        }
        rc = dump_model(x, m);
    }
    if (rc)
        goto done;
    if (o->format == FX_FORMAT_JSON &&
        fx_buf_adds(&x->rec, x->json_indented ? "\n]\n" : "]"))
        goto oom;
    rc = flush(x, 1);
    goto done;
oom:
    rc = nomem(x->err);
done:
    free(all);
    free(order);
    selection_free(&s);
    return rc;
}

static int dump(const char *target, void *attach, int pg, fx_output *o,
                const fx_dump_opts *opts, fx_error *err)
{
    dumper *x = calloc(1, sizeof *x);
    if (!x)
        return nomem(err);
    x->o = opts;
    x->out = o;
    x->err = err;
    fx_target_mask(x->d.target, sizeof x->d.target, target);
    int rc = run(x, target, attach, pg);
    if (x->d.ops)
        x->d.ops->disconnect(&x->d);
    fx_schema_free(x->d.schema);
    fx_buf_free(&x->rec);
    free(x->params);
    free(x->pks_text);
    free(x);
    return rc;
}

int fx_dump(const char *target, fx_output *o, const fx_dump_opts *opts, fx_error *err)
{
    if (!target || !*target)
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "no database given: pass --db "
                            "with a SQLite file or a postgresql:// URI");
    return dump(target, NULL, 0, o, opts, err);
}

int fx_dump_sqlite(struct sqlite3 *db, const char *name, fx_output *o,
                   const fx_dump_opts *opts, fx_error *err)
{
    return dump(name ? name : "sqlite", db, 0, o, opts, err);
}

int fx_dump_pg(struct pg_conn *conn, const char *name, fx_output *o,
               const fx_dump_opts *opts, fx_error *err)
{
    return dump(name ? name : "postgresql", conn, 1, o, opts, err);
}
