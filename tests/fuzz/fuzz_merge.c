/*
** fuzz_merge: the bytes split at the first two 0x1e bytes (ASCII record
** separator) into base, ours and theirs (missing parts are empty files),
** diffed (base against ours) and merged three ways with schemas/erp.json,
** which turns on id-collision renumbering; the merge is written to
** /dev/null.  The strategy comes from the input's length, and so does
** --allow-mass-delete (half the inputs go past the guards).
*/
#include "fuzz.h"

#ifndef FX_SCHEMA_FILE
#define FX_SCHEMA_FILE "schemas/erp.json"
#endif

static fx_schema *schema;

static void on_diag(void *ctx, const fx_diag *d)
{
    (void)ctx;
    fuzz_assert(d->msg != NULL, "a diagnostic without a message");
}

static void on_event(void *ctx, const fx_merge_event *e)
{
    (void)ctx;
    fuzz_assert(e->label && e->key, "a merge event without label or key");
    fuzz_assert(e->kind != FX_MERGE_FOLLOW || (e->what && e->hint),
                "a delete's consequence without what or note");
}

static int on_change(void *ctx, const fx_change *c)
{
    (void)ctx;
    fuzz_assert(c->label && c->key, "a change without label or key");
    fuzz_assert(c->op != FX_CHANGED || c->nfields > 0, "a change of no field");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[3][512];
    static const char *names[3] = {"base.json", "ours.json", "theirs.json"};
    fx_error err;
    if (!schema && fx_schema_load(&schema, FX_SCHEMA_FILE, &err) < 0)
        fuzz_assert(0, "%s: %s", FX_SCHEMA_FILE, err.msg);
    const uint8_t *p = data, *end = data + size;
    for (int i = 0; i < 3; i++) {
        const uint8_t *q = i < 2 ? memchr(p, 0x1e, (size_t)(end - p)) : NULL;
        if (!q)
            q = end;
        fuzz_file(path[i], names[i], p, (size_t)(q - p));
        p = q < end ? q + 1 : end;
    }

    fx_diff_opts dopts = {.schema = schema, .diag = on_diag};
    fx_diff(path[0], path[1], &dopts, on_change, NULL, &err);

    fx_output *o;
    fuzz_assert(fx_output_open(&o, "/dev/null", &err) == 0, "%s", err.msg);
    fx_merge_opts mopts = {schema, NULL, FX_RENUMBER_THEIRS, (fx_strategy)(size % 3),
                           on_diag, NULL, on_event, NULL, (int)(size / 3 % 2), 0};
    fx_merge_stats st;
    if (fx_merge(path[0], path[1], path[2], o, &mopts, &st, &err) >= 0)
        fuzz_assert(fx_output_commit(o, &err) == 0, "%s", err.msg);
    fx_output_free(o);
    for (int i = 0; i < 3; i++)
        unlink(path[i]);
    return 0;
}
