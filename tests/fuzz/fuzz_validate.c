/*
** fuzz_validate: the bytes as a fixture file, read to the end and checked
** record by record by a validator with schemas/erp.json (the reference
** ERP's schema: every kind of field, natural keys, references), then the
** cross-record checks (fx_validator_finish).
*/
#include "fuzz.h"

#ifndef FX_SCHEMA_FILE
#define FX_SCHEMA_FILE "schemas/erp.json"
#endif

static fx_schema *schema;

static void on_diag(void *ctx, const fx_diag *d)
{
    (void)ctx;
    fuzz_assert(d->msg && d->msg[0], "a diagnostic without a message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[512];
    fx_error err;
    if (!schema && fx_schema_load(&schema, FX_SCHEMA_FILE, &err) < 0)
        fuzz_assert(0, "%s: %s", FX_SCHEMA_FILE, err.msg);
    fuzz_file(in, "in.json", data, size);
    fx_validate_opts vo = {schema, size & 1, 0, on_diag, NULL};
    fx_reader_opts ro = {.diag = on_diag};
    fx_validator *v;
    fx_reader *r;
    const fx_record *rec;
    int rc;
    fuzz_assert(fx_validator_new(&v, &vo) == 0, "fx_validator_new");
    if (fx_reader_open(&r, in, &ro, &err) == 0) {
        while ((rc = fx_reader_next(r, &rec, &err)) != 0) {
            if (rc < 0 && rc != FX_ESYNTAX && rc != FX_ESTRUCT)
                break;
            if (rc > 0)
                fuzz_assert(fx_validator_add(v, rec) == 0, "fx_validator_add");
        }
        fx_reader_free(r);
    }
    fx_validator_finish(v);
    fx_validator_free(v);
    unlink(in);
    return 0;
}
