/*
** refs.c: the references a record makes, as its schema says: every
** foreign key, one-to-one and many-to-many member, with the model it
** points at.  Tools that follow references (fxfilter --with-deps) or
** rewrite them (fxmerge renumbering) walk them here, so that what counts
** as a reference is decided in one place.
*/
#include "internal.h"

#include <stdlib.h>

int fx_record_refs(const fx_record *rec, const fx_schema *s, fx_ref_fn fn, void *ctx)
{
    const fx_model_schema *m = fx_schema_model(s, rec->label);
    if (!m)
        return 0;
    unsigned char *last = fx__fields_last(rec);
    if (!last)
        return FX_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < rec->nfields && !rc; i++) {
        const fx_field *fd = &rec->fields[i];
        if (!last[i])
            continue;                        /* a duplicate: the last counts */
        const fx_field_schema *f = fx_model_field(m, fd->name);
        if (!f || (f->kind != FX_K_FK && f->kind != FX_K_O2O && f->kind != FX_K_M2M))
            continue;
        const fx_model_schema *to = fx_schema_model(s, f->to);
        if (f->kind == FX_K_M2M) {
            if (fd->value.type != FX_ARRAY)
                continue;
            fx_iter it;
            fx_value e;
            fx_iter_init(&it, fd->value);
            while (!rc && fx_iter_next(&it, NULL, &e))
                rc = e.type == FX_NULL ? 0 : fn(ctx, rec, m, f, to, e);
        } else if (fd->value.type != FX_NULL) {
            rc = fn(ctx, rec, m, f, to, fd->value);
        }
    }
    free(last);
    return rc;
}
