/*
** fuzz_reader: the bytes as a fixture file, read to the end by fx_reader;
** every record is copied (fx_record_copy) and written back with fx_writer
** in the layout read, and, with the file's frame (fx_writer_frame), to a
** second output.  When the input read cleanly (no error returned, no
** error diagnostic), reading the first output back must give the same
** records: the same count and the same record hashes, in order; and when
** it is plain UTF-8 text (not compressed, not UTF-16), the second output
** must be the input, byte for byte.
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

/* Edit a copy of rec in its text (drop its first field, set its last to
** a list, add one): the text must read back as a record that hashes as
** the copy does. */
static void check_edits(const fx_record *rec, const char *path)
{
    fx_record *c;
    fuzz_assert(fx_record_copy(&c, rec) == 0, "fx_record_copy failed");
    if (c->nfields > 0)
        fx_record_drop(c, c->fields[0].name);
    if (c->nfields > 0) {
        size_t n = strlen(c->fields[c->nfields - 1].name) + 1;
        char *name = malloc(n);
        memcpy(name, c->fields[c->nfields - 1].name, n);
        fuzz_assert(fx_record_set(c, 0, name, "[1, {\"a\": [2, {}]}]", 19) == 0, "set");
        free(name);
    }
    fuzz_assert(fx_record_set(c, 0, "zz\"new", "{\"b\": null}", 11) == 0, "add");
    if (!c->changed) {
        FILE *f = fopen(path, "wb");
        fuzz_assert(f && fputc('[', f) != EOF && fwrite(c->text, 1, c->len, f) == c->len &&
                    fputc(']', f) != EOF && fclose(f) == 0, "cannot write %s", path);
        struct hashes h = {NULL, 0, 0, 0};
        fx_reader_opts ro = {.diag = on_diag, .diag_ctx = &h};
        fx_reader *r;
        fx_error err;
        const fx_record *back;
        fuzz_assert(fx_reader_open(&r, path, &ro, &err) == 0, "%s", err.msg);
        int rc = fx_reader_next(r, &back, &err);
        fuzz_assert(rc == 1, "the edited record does not read back: %s: %.*s", err.msg,
                    (int)c->len, c->text);
        fuzz_assert(fx_record_hash(back) == fx_record_hash(c),
                    "the edited record reads back otherwise: %.*s", (int)c->len, c->text);
        fx_reader_free(r);
        unlink(path);
    }
    fx_record_free(c);
}

/* Read path to the end into hs; write each record to w_path when given,
** and to f_path with the frame.  Returns 1 when it read cleanly. */
static int read_all(const char *path, struct hashes *hs, const char *w_path,
                    const char *f_path)
{
    fx_reader_opts ro = {.diag = on_diag, .diag_ctx = hs};
    fx_reader *r;
    fx_output *o = NULL, *fo = NULL;
    fx_writer *w = NULL, *fw = NULL;
    fx_error err;
    fx_frame fr;
    const fx_record *rec;
    int rc, clean = 1;
    if (fx_reader_open(&r, path, &ro, &err) < 0)
        return 0;
    if (w_path && fx_output_open(&o, w_path, &err) < 0)
        fuzz_assert(0, "%s", err.msg);
    if (f_path && fx_output_open(&fo, f_path, &err) < 0)
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
        if (f_path && !hs->errors) {
            char ed[512];
            snprintf(ed, sizeof ed, "%s.edit", f_path);
            check_edits(rec, ed);
        }
        if (o) {
            if (!w)
                fuzz_assert(fx_writer_new(&w, o, fx_reader_layout(r)) == 0, "writer");
            fuzz_assert(fx_writer_write(w, rec, &err) == 0, "%s", err.msg);
        }
        if (fo) {
            if (!fw) {
                fuzz_assert(fx_writer_new(&fw, fo, fx_reader_layout(r)) == 0, "writer");
                fx_reader_frame(r, &fr);
                fuzz_assert(fx_writer_frame(fw, &fr) == 0, "frame");
            }
            fuzz_assert(fx_writer_write(fw, rec, &err) == 0, "%s", err.msg);
        }
    }
    if (o) {
        if (!w)
            fuzz_assert(fx_writer_new(&w, o, fx_reader_layout(r)) == 0, "writer");
        fuzz_assert(fx_writer_finish(w, &err) == 0, "%s", err.msg);
        fuzz_assert(fx_output_commit(o, &err) == 0, "%s", err.msg);
    }
    if (fo) {
        if (!fw)
            fuzz_assert(fx_writer_new(&fw, fo, fx_reader_layout(r)) == 0, "writer");
        fx_reader_frame(r, &fr);
        fuzz_assert(fx_writer_frame(fw, &fr) == 0, "frame");
        fuzz_assert(fx_writer_finish(fw, &err) == 0, "%s", err.msg);
        fuzz_assert(fx_output_commit(fo, &err) == 0, "%s", err.msg);
    }
    fx_writer_free(w);
    fx_output_free(o);
    fx_writer_free(fw);
    fx_output_free(fo);
    fx_reader_free(r);
    return clean && !hs->errors;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[512], out[512], framed[512];
    struct hashes a = {NULL, 0, 0, 0}, b = {NULL, 0, 0, 0};
    fuzz_file(in, "in.json", data, size);
    snprintf(out, sizeof out, "%.*s/out.json", (int)(strlen(in) - 8), in);
    snprintf(framed, sizeof framed, "%.*s/framed.json", (int)(strlen(in) - 8), in);
    if (read_all(in, &a, out, framed)) {
        int clean = read_all(out, &b, NULL, NULL);
        fuzz_assert(clean, "the output of a clean input does not read cleanly");
        fuzz_assert(a.n == b.n, "%zu records read, %zu read back", a.n, b.n);
        for (size_t i = 0; i < a.n; i++)
            fuzz_assert(a.h[i] == b.h[i], "record %zu hashes differently read back", i);
        /* Plain UTF-8 text: no NUL (UTF-16, lzma), a JSON start (the rest). */
        size_t k = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        while (k < size && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r' ||
                            data[k] == '\n'))
            k++;
        if (k < size && (data[k] == '[' || data[k] == '{') && !memchr(data, 0, size)) {
            FILE *f = fopen(framed, "rb");
            fuzz_assert(f != NULL, "no framed output");
            uint8_t *t = malloc(size + 1);
            size_t n = fread(t, 1, size + 1, f);
            fclose(f);
            size_t i = 0;
            while (i < n && i < size && t[i] == data[i])
                i++;
            fuzz_assert(n == size && i == size, "written with its frame, the input "
                        "(%zu bytes) comes back as %zu bytes, differing from byte %zu",
                        size, n, i);
            free(t);
        }
    }
    unlink(in);
    unlink(out);
    unlink(framed);
    free(a.h);
    free(b.h);
    return 0;
}
