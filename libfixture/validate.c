/*
** validate.c: the checks behind fxvalidate.  Records come one at a time;
** the validator keeps only what the checks across records need, as hashes
** and places in fx__index tables: every (model, pk) seen, the values of
** unique fields and unique_together sets, natural keys, and the references
** that did not resolve yet (a reference may point forward in the files).
**
** Checks without a schema: duplicate (model, pk), NaN/Infinity, text that
** looks double-encoded.  With a schema: unknown models and fields, each
** value against its field's kind (fx_check_value), unique values, and
** references to records missing from the files (at fx_validator_finish).
** Every finding goes to the caller's diag callback with a check name.
*/
#include "index.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

struct place {              /* where a record was seen */
    uint32_t file, line, col;
    uint32_t pad;
    uint64_t who;           /* identity of the record (for unique checks) */
};

struct ref {                /* a reference not resolved when seen */
    uint64_t target;        /* key hash, or natural key hash */
    int natural;
    uint32_t file, line, col;
    const fx_model_schema *m;
    const fx_field_schema *f;
    char *pk;               /* the referring record's pk, for the message */
    char *val;              /* the reference as written */
};

struct fx_validator {
    fx_validate_opts o;
    fx__index *keys;        /* (label, pk) -> place */
    fx__index *uniq;        /* unique values -> place */
    fx__index *natural;     /* (label, natural key) -> place */
    fx__index *once;        /* diagnostics said once per model/field */
    char **files;
    size_t nfiles;
    struct ref *refs;
    size_t nrefs, refcap;
    fx_buf tmp;
    char last_label[256];   /* the model looked up last, and what it gave */
    const fx_model_schema *last_model;
};

/* fx_schema_model(), remembering the last answer: records come in runs
** of one model. */
static const fx_model_schema *model_of(fx_validator *v, const char *label)
{
    if (strcmp(label, v->last_label) != 0) {
        snprintf(v->last_label, sizeof v->last_label, "%s", label);
        v->last_model = fx_schema_model(v->o.schema, label);
    }
    return v->last_model;
}

int fx_validator_new(fx_validator **out, const fx_validate_opts *opts)
{
    *out = NULL;
    fx_validator *v = calloc(1, sizeof *v);
    if (!v)
        return FX_ENOMEM;
    v->o = *opts;
    if (fx__index_new(&v->keys, sizeof(struct place)) ||
        fx__index_new(&v->uniq, sizeof(struct place)) ||
        fx__index_new(&v->natural, sizeof(struct place)) ||
        fx__index_new(&v->once, 1)) {
        fx_validator_free(v);
        return FX_ENOMEM;
    }
    *out = v;
    return 0;
}

static uint32_t file_index(fx_validator *v, const char *name)
{
    if (strcmp(name, "-") == 0)
        name = "<stdin>";
    if (v->nfiles && strcmp(v->files[v->nfiles - 1], name) == 0)
        return (uint32_t)(v->nfiles - 1);
    for (size_t i = 0; i < v->nfiles; i++)
        if (strcmp(v->files[i], name) == 0)
            return (uint32_t)i;
    char **f = realloc(v->files, (v->nfiles + 1) * sizeof *f);
    if (!f)
        return 0;
    v->files = f;
    f[v->nfiles] = strdup(strcmp(name, "-") ? name : "<stdin>");
    if (!f[v->nfiles])
        return 0;
    return (uint32_t)v->nfiles++;
}

static void say(fx_validator *v, fx_severity sev, const fx_record *rec, const char *at,
                const char *check, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void say(fx_validator *v, fx_severity sev, const fx_record *rec, const char *at,
                const char *check, const char *fmt, ...)
{
    if (!v->o.diag)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned long line, col;
    fx_record_pos(rec, at ? at : rec->text, &line, &col);
    fx_diag d = {sev, rec->file, line, col,
                 rec->offset + (uint64_t)((at ? at : rec->text) - rec->text), check, msg};
    v->o.diag(v->o.diag_ctx, &d);
}

/* 1 the first time (check, a, b) is seen. */
static int first_time(fx_validator *v, const char *check, const char *a, const char *b)
{
    fx_buf *t = &v->tmp;
    fx_buf_reset(t);
    fx_buf_printf(t, "%s%c%s%c%s", check, 0, a, 0, b ? b : "");
    int existed;
    return fx__index_put(v->once, XXH3_64bits(t->data, t->len), &existed) && !existed;
}

static const char *pk_text(const fx_record *rec)
{
    return rec->pk_key ? rec->pk_key : rec->has_pk ? "null" : "(none)";
}

/* ------------------------------------------------------------ no schema */

static void check_nan(fx_validator *v, const fx_record *rec, const fx_field *f, fx_value x)
{
    if (x.type == FX_NUMBER && (x.text[0] == 'N' || x.text[0] == 'I' ||
                                (x.text[0] == '-' && x.text[1] == 'I'))) {
        if (first_time(v, "nan", rec->label, f->name))
            say(v, FX_WARNING, rec, x.text, "nan",
                "%s.%s is %.*s: Python and loaddata accept it, but PostgreSQL "
                "numeric and integer columns and strict JSON readers refuse it "
                "(further ones in this field not reported)",
                rec->label, f->name, (int)x.len, x.text);
        return;
    }
    if (x.type == FX_ARRAY || x.type == FX_OBJECT) {
        fx_iter it;
        fx_value e;
        fx_iter_init(&it, x);
        while (fx_iter_next(&it, NULL, &e))
            check_nan(v, rec, f, e);
    }
}

/* Is s[0..) the UTF-8 of what Windows-1252 shows for a byte 0x80-0xBF (a
** UTF-8 continuation byte read as Windows-1252)?  Its length, else 0. */
static int cp1252_cont(const unsigned char *s, const unsigned char *e)
{
    if (e - s >= 2 && s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0xBF)
        return 2;                                   /* Latin-1 range */
    if (e - s >= 2 && ((s[0] == 0xC5 && s[1] >= 0x92 && s[1] <= 0xBE) ||
                       (s[0] == 0xC6 && s[1] == 0x92) ||
                       (s[0] == 0xCB && (s[1] == 0x86 || s[1] == 0x9C))))
        return 2;                                   /* Œ Š Ž š œ ž Ÿ ƒ ˆ ˜ */
    if (e - s >= 3 && s[0] == 0xE2 && (s[1] == 0x80 || s[1] == 0x82 || s[1] == 0x84))
        return 3;                                   /* € ‚ „ … † ‡ ‰ ‹ ‘ ’ “ ” • – — ™ › */
    return 0;
}

/* UTF-8 text decoded as Latin-1 or Windows-1252 and encoded again: a lead
** byte C2-DF shows as Â-ß (C3 82 - C3 9F), E2 as â (C3 A2), and the next
** byte as one of the characters cp1252_cont() knows: "Ã©" for "é". */
static const char *double_encoded(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p, *e = s + n;
    while ((s = memchr(s, 0xC3, (size_t)(e - s))) && e - s >= 4) {
        if (((s[1] >= 0x82 && s[1] <= 0x9F) || s[1] == 0xA2) && cp1252_cont(s + 2, e))
            return (const char *)s;
        s++;
    }
    return NULL;
}

/* How many bytes of s[0..n) to show: at most max, cut at a character. */
static int excerpt_len(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return (int)n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return (int)max;
}

static void check_text(fx_validator *v, const fx_record *rec)
{
    for (size_t i = 0; i < rec->nfields; i++) {
        const fx_field *f = &rec->fields[i];
        check_nan(v, rec, f, f->value);
        if (f->value.type != FX_STRING)
            continue;
        const char *d = double_encoded(f->value.text, f->value.len);
        if (d && first_time(v, "mojibake", rec->label, f->name))
            say(v, FX_WARNING, rec, d, "encoding",
                "%s.%s looks double-encoded ('%.*s'): UTF-8 text was read as "
                "Latin-1 or Windows-1252 and encoded again; fix it at the source "
                "(further ones in this field not reported)",
                rec->label, f->name, excerpt_len(f->value.text + 1, f->value.len - 2, 40),
                f->value.text + 1);
    }
}

/* ------------------------------------------------------------ with schema */

/* The text a reference names its target by: a pk's text, as pk_key. */
static int ref_text(fx_buf *out, fx_value x)
{
    fx_buf_reset(out);
    if (x.type == FX_STRING)
        return fx_value_str(out, x);
    return fx_buf_add(out, x.text, x.len);
}

/* Look up one reference; remember it for later when not found yet. */
static void check_ref(fx_validator *v, const fx_record *rec, const fx_model_schema *m,
                      const fx_field_schema *f, fx_value x)
{
    const fx_model_schema *tm = fx_schema_model(v->o.schema, f->to);
    if (!tm || x.type == FX_NULL)
        return;
    uint64_t target;
    int natural = x.type == FX_ARRAY;
    if (natural) {
        fx_value vals[16];
        size_t n = 0;
        fx_iter it;
        fx_iter_init(&it, x);
        while (n < 16 && fx_iter_next(&it, NULL, &vals[n]))
            n++;
        target = fx__natural_hash(&v->tmp, tm->label, vals, n);
        if (fx__index_get(v->natural, target))
            return;
    } else if (f->to_field) {
        return;                  /* by a unique field: left to the database */
    } else {
        fx_buf t = FX_BUF_INIT;
        ref_text(&t, x);
        target = fx__key_hash(tm->label, t.data ? t.data : "", t.len);
        fx_buf_free(&t);
        if (fx__index_get(v->keys, target))
            return;
    }
    if (v->nrefs == v->refcap) {
        size_t cap = v->refcap ? v->refcap * 2 : 256;
        struct ref *r = realloc(v->refs, cap * sizeof *r);
        if (!r)
            return;
        v->refs = r;
        v->refcap = cap;
    }
    unsigned long line, col;
    fx_record_pos(rec, x.text, &line, &col);
    struct ref *r = &v->refs[v->nrefs++];
    r->target = target;
    r->natural = natural;
    r->file = file_index(v, rec->file);
    r->line = (uint32_t)line;
    r->col = (uint32_t)col;
    r->m = m;
    r->f = f;
    r->pk = strdup(pk_text(rec));
    r->val = strndup(x.text, x.len > 200 ? 200 : x.len);
}

static void check_unique(fx_validator *v, const fx_record *rec, const fx_model_schema *m,
                         const char *what, const fx_value *vals, const char **names,
                         size_t n, uint64_t who)
{
    fx_buf *t = &v->tmp;
    fx_buf_reset(t);
    fx_buf_printf(t, "%s%c", m->label, 0);
    for (size_t i = 0; i < n; i++) {
        if (vals[i].type == FX_NULL)
            return;              /* NULLs never collide in SQL */
        fx_buf_printf(t, "%s%c", names[i], 0);
        fx_value_canon(t, vals[i]);
    }
    int existed;
    struct place *p = fx__index_put(v->uniq, XXH3_64bits(t->data, t->len), &existed);
    if (!p)
        return;
    if (!existed) {
        unsigned long line, col;
        fx_record_pos(rec, vals[0].text, &line, &col);
        p->file = file_index(v, rec->file);
        p->line = (uint32_t)line;
        p->col = (uint32_t)col;
        p->who = who;
        return;
    }
    if (p->who == who)
        return;                  /* the same record twice: said as a duplicate */
    say(v, FX_ERR, rec, vals[0].text, "unique",
        "%s %s: the same value as the record at %s:%u:%u; loaddata fails with "
        "IntegrityError: UNIQUE constraint failed; change one of them",
        m->label, what, v->files[p->file], p->line, p->col);
}

static void check_schema(fx_validator *v, const fx_record *rec, uint64_t who)
{
    const fx_schema *s = v->o.schema;
    const fx_model_schema *m = model_of(v, rec->label);
    char msg[512];
    if (!m) {
        if (first_time(v, "model", rec->label, NULL))
            say(v, FX_ERR, rec, NULL, "schema",
                "unknown model '%s': not in the schema (%s); check the label, or "
                "run migrate for its app (further records of it not reported)",
                rec->model, s->source ? s->source : "given");
        return;
    }
    size_t app = strcspn(m->label, ".");
    if (strncmp(rec->model, m->label, app) != 0 && first_time(v, "appcase", rec->model, NULL))
        say(v, FX_ERR, rec, NULL, "schema",
            "model label '%s': app labels are case-sensitive and loaddata fails "
            "with \"Invalid model identifier\"; write '%s' (only the model name "
            "may change case)", rec->model, m->label);
    if (rec->has_pk && rec->pk.type != FX_NULL) {
        fx_field_schema pkf;
        memset(&pkf, 0, sizeof pkf);
        pkf.name = m->pk_name;
        pkf.kind = m->pk_kind;
        pkf.max_length = -1;
        pkf.max_digits = pkf.decimal_places = -1;
        if (fx_check_value(&pkf, s, rec->pk, msg, sizeof msg))
            say(v, FX_ERR, rec, rec->pk.text, "type", "%s pk: %s", m->label, msg);
    } else if (!rec->has_pk && m->natural_key.n == 0 &&
               first_time(v, "nopk", m->label, NULL)) {
        say(v, FX_WARNING, rec, NULL, "structure",
            "%s record without pk, and the model has no natural key: loaddata "
            "inserts it as a new row every time the file is loaded (further "
            "ones not reported)", m->label);
    }
    size_t unknown = 0;   /* in this record: past 20, counted, not listed */
    for (size_t i = 0; i < rec->nfields; i++) {
        const fx_field *fd = &rec->fields[i];
        const fx_field_schema *f = fx_model_field(m, fd->name);
        if (!f) {
            int ign = v->o.ignorenonexistent;
            if (++unknown > 20)
                continue;
            if (first_time(v, "field", m->label, fd->name))
                say(v, ign ? FX_WARNING : FX_ERR, rec, fd->value.text, "schema",
                    "unknown field '%s' on %s: %s (further ones not reported)",
                    fd->name, m->label,
                    ign ? "loaddata --ignorenonexistent skips it"
                        : "loaddata fails with FieldDoesNotExist; remove it, or "
                          "pass --ignorenonexistent as loaddata -i does");
            continue;
        }
        if (fx_check_value(f, s, fd->value, msg, sizeof msg)) {
            say(v, FX_ERR, rec, fd->value.text, "type", "%s.%s: %s", m->label,
                fd->name, msg);
            continue;
        }
        if (f->unique) {
            char what[300];
            snprintf(what, sizeof what, "%s %.*s", f->name,
                     (int)(fd->value.len > 80 ? 80 : fd->value.len), fd->value.text);
            check_unique(v, rec, m, what, &fd->value, (const char **)&f->name, 1, who);
        }
        if (f->kind == FX_K_FK || f->kind == FX_K_O2O) {
            check_ref(v, rec, m, f, fd->value);
        } else if (f->kind == FX_K_M2M && fd->value.type == FX_ARRAY) {
            fx_iter it;
            fx_value e;
            fx_iter_init(&it, fd->value);
            while (fx_iter_next(&it, NULL, &e))
                check_ref(v, rec, m, f, e);
        }
    }
    if (unknown > 20)
        say(v, v->o.ignorenonexistent ? FX_WARNING : FX_ERR, rec, NULL, "schema",
            "%zu more fields of this record are not fields of %s (not listed)",
            unknown - 20, m->label);
    for (size_t u = 0; u < m->nunique_together; u++) {
        const fx_name_list *l = &m->unique_together[u];
        fx_value vals[16];
        char what[300] = "";
        size_t n = 0, k = 0;
        for (; n < l->n && n < 16; n++) {
            const fx_field *fd = fx_record_field(rec, l->names[n]);
            if (!fd)
                break;
            vals[n] = fd->value;
            k += (size_t)snprintf(what + k, sizeof what - k, "%s%s=%.*s", n ? ", " : "(",
                                  l->names[n], (int)(fd->value.len > 40 ? 40 : fd->value.len),
                                  fd->value.text);
            if (k >= sizeof what)
                k = sizeof what - 1;
        }
        if (n == l->n) {
            snprintf(what + k, sizeof what - k, ")");
            check_unique(v, rec, m, what, vals, (const char **)l->names, n, who);
        }
    }
    if (m->natural_key.n > 0 && m->natural_key.n <= 16) {
        fx_value vals[16];
        size_t n;
        for (n = 0; n < m->natural_key.n; n++) {
            const fx_field *fd = fx_record_field(rec, m->natural_key.names[n]);
            if (!fd)
                break;
            vals[n] = fd->value;
        }
        if (n == m->natural_key.n) {
            int existed;
            struct place *p = fx__index_put(v->natural, fx__natural_hash(&v->tmp, m->label, vals, n),
                                            &existed);
            if (p && !existed) {
                p->file = file_index(v, rec->file);
                p->line = (uint32_t)rec->line;
                p->col = (uint32_t)rec->col;
                p->who = who;
            } else if (p && !rec->has_pk && p->who != who) {
                say(v, FX_ERR, rec, NULL, "duplicate",
                    "duplicate record %s with the same natural key as the one at "
                    "%s:%u:%u: loaddata keeps only the last; remove one",
                    m->label, v->files[p->file], p->line, p->col);
            }
        }
    }
}

/* ------------------------------------------------------------ the API */

int fx_validator_add(fx_validator *v, const fx_record *rec)
{
    uint64_t who;
    if (rec->pk_key) {
        who = fx_record_key_hash(rec);
        int existed;
        struct place *p = fx__index_put(v->keys, who, &existed);
        if (!p)
            return FX_ENOMEM;
        if (existed) {
            say(v, FX_ERR, rec, NULL, "duplicate",
                "duplicate record %s pk %s: also at %s:%u:%u; loaddata keeps only "
                "the last one; remove or renumber one of them",
                rec->label, rec->pk_key, v->files[p->file], p->line, p->col);
        } else {
            p->file = file_index(v, rec->file);
            p->line = (uint32_t)rec->line;
            p->col = (uint32_t)rec->col;
        }
    } else {
        /* No pk: each record is its own. */
        who = XXH3_64bits(&rec->offset, sizeof rec->offset) ^ (uint64_t)file_index(v, rec->file);
    }
    check_text(v, rec);
    if (v->o.schema)
        check_schema(v, rec, who);
    return 0;
}

int fx_validator_finish(fx_validator *v)
{
    for (size_t i = 0; i < v->nrefs; i++) {
        struct ref *r = &v->refs[i];
        if (fx__index_get(r->natural ? v->natural : v->keys, r->target))
            continue;
        if (v->o.diag) {
            char msg[1024];
            snprintf(msg, sizeof msg,
                     "%s pk %s: %s %s points at %s, which is not in the given files%s",
                     r->m->label, r->pk, r->f->name, r->val, r->f->to,
                     v->o.closed ? "; add it (fxfilter --with-deps) or fix the reference"
                                 : ": it must already be in the database (--closed "
                                   "makes this an error)");
            fx_diag d = {v->o.closed ? FX_ERR : FX_WARNING, v->files[r->file], r->line,
                         r->col, 0, "reference", msg};
            v->o.diag(v->o.diag_ctx, &d);
        }
    }
    return 0;
}

void fx_validator_free(fx_validator *v)
{
    if (!v)
        return;
    fx__index_free(v->keys);
    fx__index_free(v->uniq);
    fx__index_free(v->natural);
    fx__index_free(v->once);
    for (size_t i = 0; i < v->nfiles; i++)
        free(v->files[i]);
    free(v->files);
    for (size_t i = 0; i < v->nrefs; i++) {
        free(v->refs[i].pk);
        free(v->refs[i].val);
    }
    free(v->refs);
    fx_buf_free(&v->tmp);
    free(v);
}
