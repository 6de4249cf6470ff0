/*
** load_ct.c: content types and permissions in a load.
**
** migrate makes the rows of contenttypes.contenttype and auth.permission
** by itself, numbered in the order the apps were migrated, so two
** databases of one project may give one id to different rows.  A record of
** either model with a pk is compared with the target as it was before the
** load (its rows read once, before the first such record is written): if
** the target gives that pk to another row, or has the record's row under
** another pk, the export's ids do not mean the target's rows, and neither
** do its references by pk to them (a user's permissions): the load is
** refused.  A content type is its (app_label, model); a permission its
** codename and content type (by natural key or by pk, as the record gives
** it).  References by pk to rows the files do not hold cannot be checked:
** they are warned about (ctypes.c).
*/
#include "ctypes.h"
#include "load_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

typedef struct trow {         /* a row of the target, as text */
    char *pk;
    char *a, *b;              /* app_label, model; or codename, content_type_id */
} trow;

typedef struct ttable {
    trow *rows;
    size_t n;
    fx__index *by_pk;         /* hash of pk -> row number (uint32) */
    fx__index *by_key;        /* hash of (a, b) -> row number */
} ttable;

struct fx__loadct {
    fx__ctrefs *refs;
    int read;                 /* the target's rows were read */
    ttable ct, perm;
};

static int nomem(fx_error *err)
{
    return fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0,
                        "out of memory: nothing was written; free some memory and try again");
}

/* The hash of the pair (a, b): a's hash seeds b's. */
static uint64_t key2(const char *a, const char *b)
{
    return XXH3_64bits_withSeed(b, strlen(b), XXH3_64bits(a, strlen(a)));
}

static const trow *find(const ttable *t, const fx__index *ix, uint64_t h)
{
    const uint32_t *i = ix ? fx__index_get(ix, h) : NULL;
    return i ? &t->rows[*i] : NULL;
}

static const trow *by_pk(const ttable *t, const char *pk)
{
    return find(t, t->by_pk, XXH3_64bits(pk, strlen(pk)));
}

static const trow *by_key(const ttable *t, const char *a, const char *b)
{
    return find(t, t->by_key, key2(a, b));
}

static int add_row(void *ctx, const char *const *vals)
{
    ttable *t = ctx;
    if (!vals[0] || !vals[1] || !vals[2])
        return 0;
    trow *r = realloc(t->rows, (t->n + 1) * sizeof *r);
    if (!r)
        return FX_ENOMEM;
    t->rows = r;
    r = &r[t->n];
    r->pk = strdup(vals[0]);
    r->a = strdup(vals[1]);
    r->b = strdup(vals[2]);
    int existed;
    uint32_t *p, *k;
    if (!r->pk || !r->a || !r->b ||
        !(p = fx__index_put(t->by_pk, XXH3_64bits(r->pk, strlen(r->pk)), &existed)) ||
        !(k = fx__index_put(t->by_key, key2(r->a, r->b), &existed))) {
        free(r->pk);
        free(r->a);
        free(r->b);
        return FX_ENOMEM;
    }
    *p = *k = (uint32_t)t->n++;
    return 0;
}

/* Read the rows of model label, fields a and b, into t (nothing when the
** schema lacks the model or a field). */
static int read_table(fx_loader *l, ttable *t, const char *label, const char *a,
                      const char *b, fx_error *err)
{
    const fx_model_schema *m = fx_schema_model(l->schema, label);
    const fx_field_schema *fa = m ? fx_model_field(m, a) : NULL;
    const fx_field_schema *fb = m ? fx_model_field(m, b) : NULL;
    if (!fa || !fb || !l->ops->rows)
        return 0;
    if (fx__index_new(&t->by_pk, sizeof(uint32_t)) || fx__index_new(&t->by_key, sizeof(uint32_t)))
        return nomem(err);
    size_t fidx[2] = {(size_t)(fa - m->fields), (size_t)(fb - m->fields)};
    int rc = l->ops->rows(l, (size_t)(m - l->schema->models), fidx, 2, add_row, t, err);
    return rc == FX_ENOMEM ? nomem(err) : rc;
}

static void table_free(ttable *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->rows[i].pk);
        free(t->rows[i].a);
        free(t->rows[i].b);
    }
    free(t->rows);
    fx__index_free(t->by_pk);
    fx__index_free(t->by_key);
}

void fx__load_ct_free(fx_loader *l)
{
    if (!l->ct)
        return;
    fx__ctrefs_free(l->ct->refs);
    table_free(&l->ct->ct);
    table_free(&l->ct->perm);
    free(l->ct);
    l->ct = NULL;
}

/* The decoded text of field name of rec into out (NUL-terminated): 1, 0
** when the record lacks it or it is not a string or number, or FX_ENOMEM. */
static int text_of(fx_buf *out, const fx_record *rec, const char *name)
{
    const fx_field *f = fx_record_field(rec, name);
    fx_buf_reset(out);
    if (!f)
        return 0;
    if (f->value.type == FX_STRING)
        return fx_value_str(out, f->value) || fx_buf_addc(out, '\0') ? FX_ENOMEM : 1;
    if (f->value.type == FX_NUMBER)
        return fx_buf_add(out, f->value.text, f->value.len) || fx_buf_addc(out, '\0')
                   ? FX_ENOMEM : 1;
    return 0;
}

/* The advice every refusal ends with. */
#define ADVICE "the two databases numbered their content types and permissions in " \
               "another order, so this export's ids of them (and the permissions of its " \
               "users and groups) would name other rows there; export with dumpdata " \
               "--natural-foreign --natural-primary, whose natural keys name the same " \
               "rows in any database"

static int check_ct(fx_loader *l, const fx_record *rec, const fx__loc *loc, fx_error *err)
{
    fx_buf app = FX_BUF_INIT, model = FX_BUF_INIT;
    int rc = text_of(&app, rec, "app_label"), rc2 = text_of(&model, rec, "model");
    if (rc == FX_ENOMEM || rc2 == FX_ENOMEM) {
        rc = nomem(err);
    } else if (rc == 1 && rc2 == 1) {
        const trow *at = by_pk(&l->ct->ct, rec->pk_key);
        const trow *same = by_key(&l->ct->ct, app.data, model.data);
        rc = 0;
        if (at && (strcmp(at->a, app.data) != 0 || strcmp(at->b, model.data) != 0))
            rc = fx__load_fail(l, loc, err, FX__EREJECT, "%s.%s in the file, but %s.%s in "
                               "the database%s%s%s%s%s: " ADVICE, app.data, model.data, at->a,
                               at->b, same ? ", which has " : "", same ? app.data : "",
                               same ? "." : "", same ? model.data : "",
                               same ? " under another pk" : "");
        else if (same && strcmp(same->pk, rec->pk_key) != 0)
            rc = fx__load_fail(l, loc, err, FX__EREJECT, "%s.%s in the file, but pk %s in the "
                               "database: " ADVICE, app.data, model.data, same->pk);
    } else {
        rc = 0;
    }
    fx_buf_free(&app);
    fx_buf_free(&model);
    return rc;
}

/* The target's content type pk of a permission record's content_type
** value (a pk, or a natural key [app_label, model]) into *ct (borrowed, or
** NULL when the target has none), and a description of it into desc. */
static int perm_ct(fx_loader *l, fx_value v, const char **ct, fx_buf *desc)
{
    *ct = NULL;
    fx_buf_reset(desc);
    if (v.type == FX_ARRAY) {
        fx_buf a = FX_BUF_INIT, b = FX_BUF_INIT;
        fx_iter it;
        fx_value x, y;
        fx_iter_init(&it, v);
        int ok = fx_iter_next(&it, NULL, &x) && fx_iter_next(&it, NULL, &y) &&
                 x.type == FX_STRING && y.type == FX_STRING;
        int rc = 0;
        if (ok && (fx_value_str(&a, x) || fx_buf_addc(&a, '\0') || fx_value_str(&b, y) ||
                   fx_buf_addc(&b, '\0') || fx_buf_printf(desc, "%s.%s", a.data, b.data)))
            rc = FX_ENOMEM;
        if (ok && !rc) {
            const trow *r = by_key(&l->ct->ct, a.data, b.data);
            *ct = r ? r->pk : NULL;
        }
        fx_buf_free(&a);
        fx_buf_free(&b);
        return rc;
    }
    if (v.type != FX_NUMBER && v.type != FX_STRING)
        return 0;
    fx_buf t = FX_BUF_INIT;
    int rc = (v.type == FX_STRING ? fx_value_str(&t, v) : fx_buf_add(&t, v.text, v.len)) ||
             fx_buf_addc(&t, '\0');
    if (!rc) {
        /* the file's content type t may be another model than the
        ** target's t: named by its pk */
        const trow *r = by_pk(&l->ct->ct, t.data);
        rc = fx_buf_printf(desc, "content type %s", t.data);
        *ct = r ? r->pk : NULL;
    }
    fx_buf_free(&t);
    return rc ? FX_ENOMEM : 0;
}

/* "codename of app.model" for a permission row of the target. */
static int perm_desc(fx_loader *l, fx_buf *out, const trow *p)
{
    const trow *c = by_pk(&l->ct->ct, p->b);
    fx_buf_reset(out);
    return c ? fx_buf_printf(out, "%s of %s.%s", p->a, c->a, c->b)
             : fx_buf_printf(out, "%s of content type %s", p->a, p->b);
}

static int check_perm(fx_loader *l, const fx_record *rec, const fx__loc *loc, fx_error *err)
{
    fx_buf code = FX_BUF_INIT, desc = FX_BUF_INIT, other = FX_BUF_INIT;
    const fx_field *cf = fx_record_field(rec, "content_type");
    const char *ct;
    int rc = text_of(&code, rec, "codename");
    if (rc != 1 || !cf || (rc = perm_ct(l, cf->value, &ct, &desc)) < 0 || !desc.len)
        goto done;
    const trow *at = by_pk(&l->ct->perm, rec->pk_key);
    const trow *same = ct ? by_key(&l->ct->perm, code.data, ct) : NULL;
    if (at && (strcmp(at->a, code.data) != 0 || !ct || strcmp(at->b, ct) != 0)) {
        if ((rc = perm_desc(l, &other, at)) < 0)
            goto done;
        rc = fx__load_fail(l, loc, err, FX__EREJECT, "%s of %s in the file, but %s in the "
                           "database: " ADVICE, code.data, desc.data, other.data);
    } else if (same && strcmp(same->pk, rec->pk_key) != 0) {
        rc = fx__load_fail(l, loc, err, FX__EREJECT, "%s of %s in the file, but pk %s in the "
                           "database: " ADVICE, code.data, desc.data, same->pk);
    } else {
        rc = 0;
    }
done:
    fx_buf_free(&code);
    fx_buf_free(&desc);
    fx_buf_free(&other);
    return rc == FX_ENOMEM ? nomem(err) : rc < 0 ? rc : 0;
}

int fx__load_ct_add(fx_loader *l, const fx_model_schema *m, const fx_record *rec,
                    const fx__loc *loc, fx_error *err)
{
    fx__loadct *c = l->ct;
    if (!c) {
        if (!(c = l->ct = calloc(1, sizeof *c)) || fx__ctrefs_new(&c->refs, l->schema))
            return nomem(err);
    }
    if (fx__ctrefs_add(c->refs, rec) < 0)
        return nomem(err);
    if (!rec->pk_key || !fx__django_made(m->label))
        return 0;
    if (!c->read) {
        int rc;
        c->read = 1;
        if ((rc = read_table(l, &c->ct, FX__CT_LABEL, "app_label", "model", err)) < 0 ||
            (rc = read_table(l, &c->perm, FX__PERM_LABEL, "codename", "content_type", err)) < 0)
            return rc;
    }
    return strcmp(m->label, FX__CT_LABEL) == 0 ? check_ct(l, rec, loc, err)
                                               : check_perm(l, rec, loc, err);
}

int fx__load_ct_finish(fx_loader *l, fx_error *err)
{
    if (l->ct && fx__ctrefs_end(l->ct->refs, l->diag, l->diag_ctx) < 0)
        return nomem(err);
    return 0;
}
