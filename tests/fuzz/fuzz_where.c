/*
** fuzz_where: the bytes as an fxfilter --where expression (up to the first
** NUL), parsed by fx_where_parse(); an expression that parses is matched
** against a few records holding every JSON type, dates and decimals.  A
** refused one must say where (err.col inside the expression, or 1 past it).
*/
#include "fuzz.h"

static const char sample[] =
    "[{\"model\": \"supermarket.commande\", \"pk\": 7, \"fields\": {\"client\": 3, "
    "\"date\": \"2024-03-01T10:00:00Z\", \"total\": \"12.50\", \"statut\": \"annulée\", "
    "\"note\": null, \"paye\": true, \"lignes\": [1, 2], \"meta\": {\"a\": 1}}},\n"
    "{\"model\": \"supermarket.produit\", \"pk\": \"ABC\", \"fields\": {\"nom\": \"pain\", "
    "\"prix\": 1.5e0, \"jour\": \"2024-03-01\", \"heure\": \"10:00:00+02:00\", "
    "\"total\": -0, \"date\": \"\\u00e9t\\u00e9\"}},\n"
    "{\"model\": \"auth.user\", \"fields\": {\"username\": \"x\", \"date\": 1e999}}]\n";

static fx_record *recs[8];
static size_t nrecs;

static void load_sample(void)
{
    char path[512];
    fx_reader *r;
    fx_error err;
    const fx_record *rec;
    fuzz_file(path, "sample.json", (const uint8_t *)sample, sizeof sample - 1);
    fuzz_assert(fx_reader_open(&r, path, NULL, &err) == 0, "%s", err.msg);
    while (fx_reader_next(r, &rec, &err) > 0 && nrecs < 8)
        fuzz_assert(fx_record_copy(&recs[nrecs++], rec) == 0, "fx_record_copy");
    fx_reader_free(r);
    unlink(path);
    fuzz_assert(nrecs == 3, "the sample has %zu records", nrecs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!nrecs)
        load_sample();
    char *expr = malloc(size + 1);
    if (!expr)
        return 0;
    memcpy(expr, data, size);
    expr[size] = '\0';
    fx_where *w;
    fx_error err;
    err.col = 0;
    if (fx_where_parse(&w, expr, &err) == 0) {
        for (size_t i = 0; i < nrecs; i++) {
            int m = fx_where_match(w, recs[i]);
            fuzz_assert(m == 0 || m == 1, "fx_where_match returned %d", m);
        }
        fx_where_free(w);
    } else {
        fuzz_assert(err.code == FX_EUSAGE, "error code %d", err.code);
        fuzz_assert(err.col >= 1 && err.col <= strlen(expr) + 1,
                    "column %lu for an expression of %zu bytes", err.col, strlen(expr));
    }
    free(expr);
    return 0;
}
