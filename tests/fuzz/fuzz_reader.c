/*
** fuzz_reader: the bytes as a fixture file, read to the end by fx_reader;
** every record is copied (fx_record_copy) and written back with fx_writer
** in the layout read.  When the input read cleanly (no error returned, no
** error diagnostic), reading the output back must give the same records:
** the same count and the same record hashes, in order.
*/
#include "fuzz.h"

struct hashes {
    uint64_t *h;
    size_t n, cap;
    int errors;
};

static void on_diag(void *ctx, const fx_diag *d)
{
    if (d->severity == FX_ERR)
        ((struct hashes *)ctx)->errors++;
}

static void add_hash(struct hashes *hs, uint64_t h)
{
    if (hs->n == hs->cap) {
        hs->cap = hs->cap ? 2 * hs->cap : 64;
        hs->h = realloc(hs->h, hs->cap * sizeof *hs->h);
        if (!hs->h)
            abort();
    }
    hs->h[hs->n++] = h;
}

/* Read path to the end into hs; write each record to w_path when given.
** Returns 1 when it read cleanly. */
static int read_all(const char *path, struct hashes *hs, const char *w_path)
{
    fx_reader_opts ro = {.diag = on_diag, .diag_ctx = hs};
    fx_reader *r;
    fx_output *o = NULL;
    fx_writer *w = NULL;
    fx_error err;
    const fx_record *rec;
    int rc, clean = 1;
    if (fx_reader_open(&r, path, &ro, &err) < 0)
        return 0;
    if (w_path && fx_output_open(&o, w_path, &err) < 0)
        fuzz_assert(0, "%s", err.msg);
    while ((rc = fx_reader_next(r, &rec, &err)) != 0) {
        if (rc < 0) {
            clean = 0;
            if (rc != FX_ESYNTAX && rc != FX_ESTRUCT)
                break;
            continue;
        }
        uint64_t h = fx_record_hash(rec);
        add_hash(hs, h);
        fx_record *c;
        fuzz_assert(fx_record_copy(&c, rec) == 0, "fx_record_copy failed");
        fuzz_assert(fx_record_hash(c) == h, "a copy hashes differently");
        fx_record_free(c);
        if (o) {
            if (!w)
                fuzz_assert(fx_writer_new(&w, o, fx_reader_layout(r)) == 0, "writer");
            fuzz_assert(fx_writer_write(w, rec, &err) == 0, "%s", err.msg);
        }
    }
    if (o) {
        if (!w)
            fuzz_assert(fx_writer_new(&w, o, fx_reader_layout(r)) == 0, "writer");
        fuzz_assert(fx_writer_finish(w, &err) == 0, "%s", err.msg);
        fuzz_assert(fx_output_commit(o, &err) == 0, "%s", err.msg);
    }
    fx_writer_free(w);
    fx_output_free(o);
    fx_reader_free(r);
    return clean && !hs->errors;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[512], out[512];
    struct hashes a = {NULL, 0, 0, 0}, b = {NULL, 0, 0, 0};
    fuzz_file(in, "in.json", data, size);
    snprintf(out, sizeof out, "%.*s/out.json", (int)(strlen(in) - 8), in);
    if (read_all(in, &a, out)) {
        int clean = read_all(out, &b, NULL);
        fuzz_assert(clean, "the output of a clean input does not read cleanly");
        fuzz_assert(a.n == b.n, "%zu records read, %zu read back", a.n, b.n);
        for (size_t i = 0; i < a.n; i++)
            fuzz_assert(a.h[i] == b.h[i], "record %zu hashes differently read back", i);
    }
    unlink(in);
    unlink(out);
    free(a.h);
    free(b.h);
    return 0;
}
