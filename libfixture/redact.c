/*
** redact.c: replacing or removing field values before an export travels
** (fxfilter --redact, --drop-field).  Rules name fields with "label.field"
** shell patterns (select.c's fx_field_match); a record that no rule
** touches is left alone, so the writer still copies it byte for byte, and
** one that a rule touches is copied (fx_record_copy) and changed with
** fx_record_set / fx_record_drop, so the writer lays it out anew.
**
** Default replacement (--redact FIELD without =VALUE):
**   - auth.user.password: "!", Django's unusable password (a user who can
**     log in only after a password reset);
**   - with a schema that knows the field: "" for char and text fields,
**     null when the field is nullable, else the kind's empty value (0,
**     "0" / "0.00" for decimals, false, {} for json, [] for many-to-many);
**     kinds without one (dates, times, durations, uuids, foreign keys) that
**     are NOT NULL are an error that asks for a value;
**   - otherwise by the value's JSON type: "" for a string, 0 for a number,
**     false for a boolean, [] and {} for arrays and objects, null stays.
*/
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

struct rule {
    char *pattern;
    int drop;
    char *json;            /* the replacement; NULL: the default */
    uint64_t hits;
};

struct fx_redactor {
    const fx_schema *s;
    struct rule *r;
    size_t n;
};

int fx_redactor_new(fx_redactor **out, const fx_schema *s)
{
    fx_redactor *r = calloc(1, sizeof *r);
    *out = r;
    if (!r)
        return FX_ENOMEM;
    r->s = s;
    return 0;
}

/* Append s as a JSON string, as Python's json.dumps(ensure_ascii=False). */
static int quote(fx_buf *b, const char *s)
{
    if (fx_buf_addc(b, '"'))
        return FX_ENOMEM;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int rc;
        if (c == '"' || c == '\\')
            rc = fx_buf_addc(b, '\\') || fx_buf_addc(b, (char)c);
        else if (c == '\n')
            rc = fx_buf_adds(b, "\\n");
        else if (c == '\t')
            rc = fx_buf_adds(b, "\\t");
        else if (c == '\r')
            rc = fx_buf_adds(b, "\\r");
        else if (c < 0x20)
            rc = fx_buf_printf(b, "\\u%04x", c);
        else
            rc = fx_buf_addc(b, (char)c);
        if (rc)
            return FX_ENOMEM;
    }
    return fx_buf_addc(b, '"');
}

int fx_redactor_add(fx_redactor *r, const char *spec, int drop, fx_error *err)
{
    const char *eq = strchr(spec, '=');
    size_t plen = eq ? (size_t)(eq - spec) : strlen(spec);
    const char *opt = drop ? "--drop-field" : "--redact";
    if (plen == 0)
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0,
                            "%s '%s': no field; give a 'label.field' pattern such as "
                            "auth.user.password or '*.email'", opt, spec);
    if (drop && eq)
        return fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0,
                            "--drop-field '%s' takes no value: the field is removed "
                            "(--redact FIELD=VALUE replaces it)", spec);
    struct rule *v = realloc(r->r, (r->n + 1) * sizeof *v);
    if (!v)
        return FX_ENOMEM;
    r->r = v;
    struct rule *ru = &v[r->n];
    memset(ru, 0, sizeof *ru);
    ru->drop = drop;
    /* A pattern without a dot names the field in every model. */
    int bare = memchr(spec, '.', plen) == NULL;
    if (!(ru->pattern = malloc(plen + 3)))
        return FX_ENOMEM;
    snprintf(ru->pattern, plen + 3, "%s%.*s", bare ? "*." : "", (int)plen, spec);
    if (eq) {
        fx_type t;
        const char *val = eq + 1;
        fx_buf b = FX_BUF_INIT;
        int rc = *val && fx__json_valid(val, strlen(val), &t) ? fx_buf_adds(&b, val)
                                                               : quote(&b, val);
        if (rc) {
            free(ru->pattern);
            fx_buf_free(&b);
            return FX_ENOMEM;
        }
        ru->json = b.data;
    }
    r->n++;
    return 0;
}

int fx_redactor_empty(const fx_redactor *r)
{
    return !r || r->n == 0;
}

const char *fx_redactor_unmatched(const fx_redactor *r, size_t i)
{
    for (size_t k = 0; k < r->n; k++)
        if (r->r[k].hits == 0 && i-- == 0)
            return r->r[k].pattern;
    return NULL;
}

/* The default replacement for field f of rec (value v), into b; 0, or
** FX_EUSAGE with err set when there is none. */
static int default_value(fx_redactor *r, const fx_record *rec, const char *name, fx_value v,
                         fx_buf *b, fx_error *err)
{
    if (fx_field_match("auth.user.password", rec->label, name))
        return fx_buf_adds(b, "\"!\"");
    const fx_model_schema *m = r->s ? fx_schema_model(r->s, rec->label) : NULL;
    const fx_field_schema *f = m ? fx_model_field(m, name) : NULL;
    if (f) {
        switch (f->kind) {
        case FX_K_CHAR: case FX_K_TEXT: return fx_buf_adds(b, "\"\"");
        case FX_K_M2M: return fx_buf_adds(b, "[]");
        default: break;
        }
        if (f->null)
            return fx_buf_adds(b, "null");
        switch (f->kind) {
        case FX_K_INT: case FX_K_SMALLINT: case FX_K_BIGINT: case FX_K_FLOAT:
            return fx_buf_adds(b, "0");
        case FX_K_BOOL: return fx_buf_adds(b, "false");
        case FX_K_JSON: return fx_buf_adds(b, "{}");
        case FX_K_DECIMAL:
            if (f->decimal_places > 0 && f->decimal_places < 30)
                return fx_buf_printf(b, "\"0.%0*d\"", f->decimal_places, 0);
            return fx_buf_adds(b, "\"0\"");
        default: {
            unsigned long line, col;
            fx_record_pos(rec, v.text, &line, &col);
            return fx_error_set(err, FX_EUSAGE, rec->file, line, col, 0,
                                "no default replacement for %s.%s (%s, not null): give "
                                "one, as --redact '%s.%s=VALUE'", rec->label, name,
                                fx_kind_name(f->kind), rec->label, name);
        }
        }
    }
    switch (v.type) {
    case FX_STRING: return fx_buf_adds(b, "\"\"");
    case FX_NUMBER: return fx_buf_adds(b, "0");
    case FX_TRUE: case FX_FALSE: return fx_buf_adds(b, "false");
    case FX_ARRAY: return fx_buf_adds(b, "[]");
    case FX_OBJECT: return fx_buf_adds(b, "{}");
    default: return fx_buf_adds(b, "null");
    }
}

int fx_redactor_apply(fx_redactor *r, const fx_record *rec, fx_record **out, fx_error *err)
{
    fx_record *c = NULL;
    fx_buf b = FX_BUF_INIT;
    unsigned char *last = NULL;
    int rc = 0;
    *out = NULL;
    if (!r || r->n == 0)
        return 0;
    last = fx__fields_last(rec);
    if (!last) {
        rc = FX_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < rec->nfields; i++) {
        const fx_field *fd = &rec->fields[i];
        if (!last[i])
            continue;                      /* a duplicate: the last counts */
        struct rule *ru = NULL;
        for (size_t k = r->n; k-- > 0;) {  /* the last rule given wins */
            if (fx_field_match(r->r[k].pattern, rec->label, fd->name)) {
                ru = &r->r[k];
                break;
            }
        }
        if (!ru)
            continue;
        ru->hits++;
        if (!c && (rc = fx_record_copy(&c, rec)) < 0)
            goto done;
        if (ru->drop) {
            while (fx_record_drop(c, fd->name) > 0)
                ;
            continue;
        }
        fx_buf_reset(&b);
        if (ru->json)
            rc = fx_buf_adds(&b, ru->json);
        else
            rc = default_value(r, rec, fd->name, fd->value, &b, err);
        if (rc < 0)
            goto done;
        if ((rc = fx_record_set(c, 0, fd->name, b.data, b.len)) < 0)
            goto done;
    }
done:
    free(last);
    fx_buf_free(&b);
    if (rc < 0) {
        fx_record_free(c);
        if (rc == FX_ENOMEM)
            fx_error_set(err, FX_ENOMEM, NULL, 0, 0, 0, "out of memory");
        else if (rc == FX_ESYNTAX)
            fx_error_set(err, FX_EUSAGE, NULL, 0, 0, 0, "a --redact value is not JSON");
        return rc;
    }
    *out = c;
    return c != NULL;
}

void fx_redactor_free(fx_redactor *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->r[i].pattern);
        free(r->r[i].json);
    }
    free(r->r);
    free(r);
}
