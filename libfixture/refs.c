/*
** refs.c: the references a record makes, as its schema says: every
** foreign key, one-to-one and many-to-many member, with the model it
** points at.  Tools that follow references (fxfilter --with-deps) or
** rewrite them (fxmerge renumbering) walk them here, so that what counts
** as a reference is decided in one place.
*/
#include "internal.h"

int fx_record_refs(const fx_record *rec, const fx_schema *s, fx_ref_fn fn, void *ctx)
{
    const fx_model_schema *m = fx_schema_model(s, rec->label);
    if (!m)
        return 0;
    for (size_t i = 0; i < rec->nfields; i++) {
        const fx_field *fd = &rec->fields[i];
        if (fx_record_field(rec, fd->name) != fd)
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
            while (fx_iter_next(&it, NULL, &e)) {
                int rc = e.type == FX_NULL ? 0 : fn(ctx, rec, m, f, to, e);
                if (rc)
                    return rc;
            }
        } else if (fd->value.type != FX_NULL) {
            int rc = fn(ctx, rec, m, f, to, fd->value);
            if (rc)
                return rc;
        }
    }
    return 0;
}
