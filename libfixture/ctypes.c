/*
** ctypes.c: references by pk to the rows Django makes by itself.
**
** migrate makes a contenttypes.contenttype row for every model and four
** auth.permission rows for each (post_migrate), numbered in the order the
** apps were migrated: two databases of one project may give the same id
** to different rows.  An export that leaves them out (dumpdata --exclude
** contenttypes --exclude auth.permission) but names them by pk, in
** auth.user.user_permissions, auth.group.permissions or a content_type
** field (admin.logentry, generic relations), means other rows once loaded
** into another database: a user gets other permissions.  dumpdata
** --natural-foreign names them by natural key instead (["add_user",
** "auth", "user"], ["auth", "user"]), which means the same row anywhere.
**
** The tracker notes the content types and permissions a fixture holds by
** pk and the references to them by pk, and when the fixture ends reports
** each field whose pks name rows the fixture does not hold.  Fixtures that
** follow one another (a merge's three files) are compared too: the same
** pk held as another row in two of them says that they come from
** databases numbered differently.  Memory: an entry per distinct
** reference and per such row (a few hundred in a real project).
*/
#include "ctypes.h"
#include "index.h"

#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

int fx__django_made(const char *label)
{
    return label && (strcmp(label, FX__CT_LABEL) == 0 || strcmp(label, FX__PERM_LABEL) == 0);
}

/* The Django-made model that schema field f refers to, or NULL. */
static const char *ref_of(const fx_field_schema *f, int *m2m)
{
    *m2m = f->kind == FX_K_M2M;
    if ((f->kind != FX_K_FK && f->kind != FX_K_O2O && f->kind != FX_K_M2M) ||
        !fx__django_made(f->to))
        return NULL;
    return strcmp(f->to, FX__CT_LABEL) == 0 ? FX__CT_LABEL : FX__PERM_LABEL;
}

/* The same by Django's own field names, for a model without schema:
** auth.user.user_permissions, auth.group.permissions, and a field called
** content_type in any model (admin.logentry, generic relations). */
static const char *ref_by_name(const char *label, const char *name, int *m2m)
{
    *m2m = 0;
    if ((strcmp(label, "auth.user") == 0 && strcmp(name, "user_permissions") == 0) ||
        (strcmp(label, "auth.group") == 0 && strcmp(name, "permissions") == 0)) {
        *m2m = 1;
        return FX__PERM_LABEL;
    }
    return strcmp(name, "content_type") == 0 ? FX__CT_LABEL : NULL;
}

typedef struct cfield {      /* a field that refers to Django-made rows */
    char *label, *name;
    const char *to;
    int said;                /* reported already */
    size_t first;            /* fx__ctrefs_end(): its first cref not held, */
    unsigned long more;      /* and how many others */
} cfield;

typedef struct cref {        /* a reference by pk, not yet known to be held */
    uint64_t target;         /* key hash of (to, pk) */
    uint32_t field, file, line, col;
    char pk[24];             /* the pk as written, for the message */
} cref;

typedef struct cmodel {      /* what a model refers to */
    char *label;
    int known;               /* the schema knows it: f lists its fields */
    size_t n;
    const fx_field_schema **f;   /* its fields that refer to Django-made rows */
} cmodel;

typedef struct crow {        /* a content type or permission held by pk */
    char *desc;              /* "auth.user", "add_user of auth.user" */
    uint32_t fixture, file;  /* where it was first held */
} crow;

typedef struct clash {       /* the first pk held as another row than before */
    int set, said;
    uint32_t file, line, col;
    char pk[24];
    char *desc;              /* what this fixture holds */
    size_t row;              /* what an earlier one held */
    unsigned long more;      /* other pks so */
} clash;

struct fx__ctrefs {
    const fx_schema *schema;
    char *unknown;           /* the last label the schema does not know */
    crow *rows;
    size_t nrows;
    fx__index *row_ix;       /* key hash of (label, pk) -> its number in rows */
    clash clash[2];          /* content types, permissions */
    uint32_t fixture;        /* fixtures ended so far */
    cmodel *models;          /* the models seen, looked up once */
    size_t nmodels, last;
    fx__index *model_ix;     /* hash of a label -> its number in models */
    fx__index *held;         /* key hashes of the Django-made rows held */
    fx__index *seen;         /* (field, target): one cref each */
    cfield *fields;
    size_t nfields;
    fx__index *field_ix;     /* hash of (label, name) -> its number in fields */
    cref *refs;
    size_t nrefs, crefs;
    char **files;
    size_t nfiles;
    fx_buf tmp;
};

int fx__ctrefs_new(fx__ctrefs **out, const fx_schema *s)
{
    fx__ctrefs *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return FX_ENOMEM;
    c->schema = s;
    if (fx__index_new(&c->held, 1) || fx__index_new(&c->seen, 1) ||
        fx__index_new(&c->model_ix, sizeof(uint32_t)) ||
        fx__index_new(&c->field_ix, sizeof(uint32_t)) ||
        fx__index_new(&c->row_ix, sizeof(uint32_t))) {
        fx__ctrefs_free(c);
        return FX_ENOMEM;
    }
    *out = c;
    return 0;
}

void fx__ctrefs_free(fx__ctrefs *c)
{
    if (!c)
        return;
    fx__index_free(c->held);
    fx__index_free(c->seen);
    for (size_t i = 0; i < c->nfields; i++) {
        free(c->fields[i].label);
        free(c->fields[i].name);
    }
    free(c->fields);
    for (size_t i = 0; i < c->nmodels; i++) {
        free(c->models[i].label);
        free(c->models[i].f);
    }
    free(c->models);
    free(c->unknown);
    fx__index_free(c->model_ix);
    fx__index_free(c->field_ix);
    fx__index_free(c->row_ix);
    for (size_t i = 0; i < c->nrows; i++)
        free(c->rows[i].desc);
    free(c->rows);
    free(c->clash[0].desc);
    free(c->clash[1].desc);
    free(c->refs);
    for (size_t i = 0; i < c->nfiles; i++)
        free(c->files[i]);
    free(c->files);
    fx_buf_free(&c->tmp);
    free(c);
}

static uint32_t field_id(fx__ctrefs *c, const char *label, const char *name, const char *to)
{
    int existed;
    uint64_t h = XXH3_64bits_withSeed(name, strlen(name), XXH3_64bits(label, strlen(label)));
    uint32_t *ix = fx__index_put(c->field_ix, h, &existed);
    if (!ix)
        return UINT32_MAX;
    if (existed && strcmp(c->fields[*ix].name, name) == 0 &&
        strcmp(c->fields[*ix].label, label) == 0)
        return *ix;
    cfield *f = realloc(c->fields, (c->nfields + 1) * sizeof *f);
    if (!f)
        return UINT32_MAX;
    c->fields = f;
    f = &f[c->nfields];
    memset(f, 0, sizeof *f);
    f->to = to;
    if (!(f->label = strdup(label)) || !(f->name = strdup(name))) {
        free(f->label);
        free(f->name);
        return UINT32_MAX;
    }
    *ix = (uint32_t)c->nfields;
    return (uint32_t)c->nfields++;
}

static uint32_t file_id(fx__ctrefs *c, const char *file)
{
    if (c->nfiles && strcmp(c->files[c->nfiles - 1], file) == 0)
        return (uint32_t)(c->nfiles - 1);
    for (size_t i = 0; i < c->nfiles; i++)
        if (strcmp(c->files[i], file) == 0)
            return (uint32_t)i;
    char **f = realloc(c->files, (c->nfiles + 1) * sizeof *f);
    if (!f)
        return UINT32_MAX;
    c->files = f;
    if (!(f[c->nfiles] = strdup(file)))
        return UINT32_MAX;
    return (uint32_t)c->nfiles++;
}

/* The pk text v names (a string decoded, a number as written) into tmp. */
static int pk_text(fx_buf *tmp, fx_value v)
{
    fx_buf_reset(tmp);
    int rc = v.type == FX_STRING ? fx_value_str(tmp, v) : fx_buf_add(tmp, v.text, v.len);
    return rc || fx_buf_addc(tmp, '\0') ? FX_ENOMEM : 0;
}

static int add_ref(fx__ctrefs *c, const fx_record *rec, uint32_t fid, fx_value v)
{
    if (v.type != FX_NUMBER && v.type != FX_STRING)
        return 0;                  /* null, or a natural key: fine */
    if (pk_text(&c->tmp, v))
        return FX_ENOMEM;
    size_t n = c->tmp.len - 1;
    uint64_t target = fx__key_hash(c->fields[fid].to, c->tmp.data, n);
    int existed;
    if (!fx__index_put(c->seen, target ^ XXH3_64bits(&fid, sizeof fid), &existed))
        return FX_ENOMEM;
    if (existed)
        return 0;
    if (c->nrefs == c->crefs) {
        size_t cap = c->crefs ? c->crefs * 2 : 64;
        cref *r = realloc(c->refs, cap * sizeof *r);
        if (!r)
            return FX_ENOMEM;
        c->refs = r;
        c->crefs = cap;
    }
    cref *r = &c->refs[c->nrefs];
    unsigned long line, col;
    fx_record_pos(rec, v.text, &line, &col);
    if ((r->file = file_id(c, rec->file)) == UINT32_MAX)
        return FX_ENOMEM;
    r->target = target;
    r->field = fid;
    r->line = (uint32_t)line;
    r->col = (uint32_t)col;
    snprintf(r->pk, sizeof r->pk, "%.*s", (int)(n < sizeof r->pk - 1 ? n : sizeof r->pk - 1),
             c->tmp.data);
    c->nrefs++;
    return 0;
}

/* What rec's model refers to, as the schema says (records come in runs of
** one model: the last answer first); NULL when out of memory.  Models the
** schema does not know are not kept (a hostile file has millions). */
static const cmodel *model_of(fx__ctrefs *c, const char *label)
{
    static const cmodel unknown = {NULL, 0, 0, NULL};
    if (c->last < c->nmodels && strcmp(c->models[c->last].label, label) == 0)
        return &c->models[c->last];
    if (!c->schema || (c->unknown && strcmp(c->unknown, label) == 0))
        return &unknown;
    int existed;
    uint32_t *ix = fx__index_put(c->model_ix, XXH3_64bits(label, strlen(label)), &existed);
    if (!ix)
        return NULL;
    if (existed && strcmp(c->models[*ix].label, label) == 0)
        return &c->models[c->last = *ix];
    /* new (or, at 2^-64, a label whose hash another has: a second entry) */
    const fx_model_schema *m = fx_schema_model(c->schema, label);
    if (!m) {
        free(c->unknown);
        return (c->unknown = strdup(label)) ? &unknown : NULL;
    }
    cmodel *cm = realloc(c->models, (c->nmodels + 1) * sizeof *cm);
    if (!cm)
        return NULL;
    c->models = cm;
    cm = &cm[c->nmodels];
    memset(cm, 0, sizeof *cm);
    if (!(cm->label = strdup(label)) || !(cm->f = calloc(m->nfields + 1, sizeof *cm->f))) {
        free(cm->label);
        return NULL;
    }
    cm->known = 1;
    for (size_t i = 0; i < m->nfields; i++) {
        int m2m;
        if (ref_of(&m->fields[i], &m2m))
            cm->f[cm->n++] = &m->fields[i];
    }
    *ix = (uint32_t)c->nmodels;
    c->last = c->nmodels++;
    return cm;
}

/* The references of field fd, which refers to model `to` (NULL: none). */
static int add_field(fx__ctrefs *c, const fx_record *rec, const fx_field *fd, const char *to,
                     int m2m)
{
    if (!to)
        return 0;
    uint32_t fid = field_id(c, rec->label, fd->name, to);
    if (fid == UINT32_MAX)
        return FX_ENOMEM;
    if (!m2m || fd->value.type != FX_ARRAY)
        return add_ref(c, rec, fid, fd->value);
    fx_iter it;
    fx_value e;
    fx_iter_init(&it, fd->value);
    while (fx_iter_next(&it, NULL, &e))
        if (add_ref(c, rec, fid, e))
            return FX_ENOMEM;
    return 0;
}

/* Append field name's value to out as text: a string decoded, a natural
** key as its values joined by dots, a pk as "content type N". */
static int add_text(fx_buf *out, const fx_record *rec, const char *name)
{
    const fx_field *f = fx_record_field(rec, name);
    if (!f)
        return fx_buf_adds(out, "?");
    if (f->value.type == FX_STRING)
        return fx_value_str(out, f->value);
    if (f->value.type == FX_ARRAY) {
        fx_iter it;
        fx_value e;
        int n = 0;
        fx_iter_init(&it, f->value);
        while (fx_iter_next(&it, NULL, &e))
            if ((n++ && fx_buf_addc(out, '.')) ||
                (e.type == FX_STRING ? fx_value_str(out, e) : fx_buf_add(out, e.text, e.len)))
                return FX_ENOMEM;
        return 0;
    }
    return fx_buf_printf(out, "content type %.*s", (int)(f->value.len > 20 ? 20 : f->value.len),
                         f->value.text);
}

/* A content type or permission held by pk: note it, and whether an earlier
** fixture held that pk as another row. */
static int add_row(fx__ctrefs *c, const fx_record *rec, uint64_t key)
{
    int perm = strcmp(rec->label, FX__PERM_LABEL) == 0, existed;
    fx_buf *t = &c->tmp;
    fx_buf_reset(t);
    if (perm ? add_text(t, rec, "codename") || fx_buf_adds(t, " of ") ||
                   add_text(t, rec, "content_type")
             : add_text(t, rec, "app_label") || fx_buf_addc(t, '.') ||
                   add_text(t, rec, "model"))
        return FX_ENOMEM;
    if (fx_buf_addc(t, '\0'))
        return FX_ENOMEM;
    uint32_t *ix = fx__index_put(c->row_ix, key, &existed);
    if (!ix)
        return FX_ENOMEM;
    if (existed) {
        crow *r = &c->rows[*ix];
        clash *k = &c->clash[perm];
        if (r->fixture == c->fixture || strcmp(r->desc, t->data) == 0 || k->said)
            return 0;
        if (k->set) {
            k->more++;
            return 0;
        }
        unsigned long line, col;
        fx_record_pos(rec, rec->text, &line, &col);
        if ((k->file = file_id(c, rec->file)) == UINT32_MAX || !(k->desc = strdup(t->data)))
            return FX_ENOMEM;
        k->set = 1;
        k->line = (uint32_t)line;
        k->col = (uint32_t)col;
        k->row = *ix;
        snprintf(k->pk, sizeof k->pk, "%s", rec->pk_key);
        return 0;
    }
    crow *r = realloc(c->rows, (c->nrows + 1) * sizeof *r);
    if (!r)
        return FX_ENOMEM;
    c->rows = r;
    r = &r[c->nrows];
    if ((r->file = file_id(c, rec->file)) == UINT32_MAX || !(r->desc = strdup(t->data)))
        return FX_ENOMEM;
    r->fixture = c->fixture;
    *ix = (uint32_t)c->nrows++;
    return 0;
}

int fx__ctrefs_add(fx__ctrefs *c, const fx_record *rec)
{
    int existed;
    if (rec->pk_key && fx__django_made(rec->label)) {
        uint64_t key = fx__key_hash(rec->label, rec->pk_key, strlen(rec->pk_key));
        if (!fx__index_put(c->held, key, &existed) || add_row(c, rec, key))
            return FX_ENOMEM;
    }
    const cmodel *cm = model_of(c, rec->label);
    if (!cm)
        return FX_ENOMEM;
    int m2m;
    if (cm->known) {
        for (size_t i = 0; i < cm->n; i++) {
            const fx_field *fd = fx_record_field(rec, cm->f[i]->name);
            const char *to = ref_of(cm->f[i], &m2m);
            if (fd && add_field(c, rec, fd, to, m2m))
                return FX_ENOMEM;
        }
        return 0;
    }
    for (size_t i = 0; i < rec->nfields; i++) {
        const fx_field *fd = &rec->fields[i];
        const char *to = ref_by_name(rec->label, fd->name, &m2m);
        if (to && add_field(c, rec, fd, to, m2m))
            return FX_ENOMEM;
    }
    return 0;
}

int fx__ctrefs_end(fx__ctrefs *c, fx_diag_fn diag, void *diag_ctx)
{
    for (size_t f = 0; f < c->nfields; f++) {
        c->fields[f].first = SIZE_MAX;
        c->fields[f].more = 0;
    }
    for (size_t i = 0; i < c->nrefs; i++) {
        cfield *cf = &c->fields[c->refs[i].field];
        if (fx__index_get(c->held, c->refs[i].target))
            continue;
        if (cf->first == SIZE_MAX)
            cf->first = i;
        else
            cf->more++;
    }
    for (size_t f = 0; f < c->nfields; f++) {
        cfield *cf = &c->fields[f];
        if (cf->first == SIZE_MAX || cf->said)
            continue;
        const cref *first = &c->refs[cf->first];
        cf->said = 1;
        char others[64] = "";
        if (cf->more)
            snprintf(others, sizeof others, " (and %lu other pk%s)", cf->more,
                     cf->more == 1 ? "" : "s");
        int perm = strcmp(cf->to, FX__PERM_LABEL) == 0;
        fx__diag(diag, diag_ctx, FX_WARNING, c->files[first->file], first->line, first->col, 0,
                 "content-types",
                 "%s.%s refers by pk to %s %s%s, which the given files do not hold: "
                 "migrate numbers content types and permissions in the order the apps "
                 "were migrated, so another database may have other rows under these ids "
                 "(%s); export with dumpdata --natural-foreign",
                 cf->label, cf->name, cf->to, first->pk, others,
                 perm ? "other permissions granted" : "another model named");
    }
    for (int k = 0; k < 2; k++) {
        clash *x = &c->clash[k];
        if (!x->set)
            continue;
        char others[64] = "";
        if (x->more)
            snprintf(others, sizeof others, " (and %lu other pk%s)", x->more,
                     x->more == 1 ? "" : "s");
        const crow *r = &c->rows[x->row];
        fx__diag(diag, diag_ctx, FX_WARNING, c->files[x->file], x->line, x->col, 0,
                 "content-types",
                 "%s pk %s is %s here, but %s in %s%s: the files come from databases whose "
                 "content types and permissions were numbered in another order, so their "
                 "pks of them (the permissions of users and groups) name other rows in each; "
                 "export every side with dumpdata --natural-foreign --natural-primary",
                 k ? FX__PERM_LABEL : FX__CT_LABEL, x->pk, x->desc, r->desc,
                 c->files[r->file], others);
        x->said = 1;
        x->set = 0;
        free(x->desc);
        x->desc = NULL;
    }
    c->fixture++;
    /* the next fixture starts afresh */
    c->nrefs = 0;
    fx__index_free(c->held);
    fx__index_free(c->seen);
    c->held = c->seen = NULL;
    if (fx__index_new(&c->held, 1) || fx__index_new(&c->seen, 1))
        return FX_ENOMEM;
    return 0;
}
