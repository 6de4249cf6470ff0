/*
** coretest.h: helpers shared by the unit tests of libfixture's core
** (test_reader.c, test_writer.c, test_value.c, test_hash.c, test_output.c):
** a scratch directory under /tmp, files written into it, whole files read
** back, a reader run that collects every record and error, and captured
** diagnostics.  Include it first: it includes <cmocka.h> and the system
** headers the tests use.
*/
#ifndef CORETEST_H
#define CORETEST_H

#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <ftw.h>
#include <cmocka.h>

#include "fixture.h"

#define CT_UNUSED __attribute__((unused))

/* ------------------------------------------------------------ scratch */

static char ct_dir[256];   /* the scratch directory, made by ct_setup */
static char ct_path_buf[8][1024];
static int ct_path_next;

/* Group setup/teardown: a fresh /tmp/fxtest-XXXXXX, removed at the end. */
static CT_UNUSED int ct_setup(void **state)
{
    (void)state;
    snprintf(ct_dir, sizeof ct_dir, "/tmp/fxtest-XXXXXX");
    if (!mkdtemp(ct_dir)) {
        perror("mkdtemp");
        return -1;
    }
    return 0;
}

static int ct_rm(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    chmod(p, 0700);
    return remove(p);
}

static CT_UNUSED int ct_teardown(void **state)
{
    (void)state;
    if (ct_dir[0])
        nftw(ct_dir, ct_rm, 16, FTW_DEPTH | FTW_PHYS);
    ct_dir[0] = '\0';
    return 0;
}

/* A path in the scratch directory (a rotating static buffer). */
static CT_UNUSED const char *ct_path(const char *name)
{
    char *b = ct_path_buf[ct_path_next++ % 8];
    snprintf(b, 1024, "%s/%s", ct_dir, name);
    return b;
}

/* Write data[0..n) to a new file made with mkstemp in the scratch
** directory; returns its path (malloc: the caller frees it; the file goes
** with the directory, or with ct_unlink). */
static CT_UNUSED char *ct_write_n(const void *data, size_t n)
{
    char *p = malloc(1024);
    assert_non_null(p);
    snprintf(p, 1024, "%s/in-XXXXXX", ct_dir);
    int fd = mkstemp(p);
    assert_true(fd >= 0);
    const char *q = data;
    while (n) {
        ssize_t k = write(fd, q, n);
        assert_true(k > 0);
        q += k;
        n -= (size_t)k;
    }
    assert_int_equal(close(fd), 0);
    return p;
}

static CT_UNUSED char *ct_write(const char *s)
{
    return ct_write_n(s, strlen(s));
}

/* Write to a named file in the scratch directory; returns its path. */
static CT_UNUSED const char *ct_write_named(const char *name, const void *data, size_t n)
{
    const char *p = ct_path(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return p;
}

static CT_UNUSED void ct_unlink(char *path)
{
    if (path) {
        unlink(path);
        free(path);
    }
}

/* The whole file (NUL-terminated, malloc); *n its length.  NULL if it
** cannot be opened. */
static CT_UNUSED char *ct_slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *b = malloc(cap + 1);
    assert_non_null(b);
    size_t k;
    while ((k = fread(b + len, 1, cap - len, f)) > 0) {
        len += k;
        if (len == cap) {
            cap *= 2;
            b = realloc(b, cap + 1);
            assert_non_null(b);
        }
    }
    fclose(f);
    b[len] = '\0';
    if (n)
        *n = len;
    return b;
}

/* Run a shell command; returns its exit status (-1 if it did not exit). */
static CT_UNUSED int ct_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* A corpus file (testdata/corpus/NAME), under $FX_TESTDATA or ./testdata. */
static CT_UNUSED const char *ct_corpus(const char *name)
{
    const char *td = getenv("FX_TESTDATA");
    char *b = ct_path_buf[ct_path_next++ % 8];
    snprintf(b, 1024, "%s/corpus/%s", td && *td ? td : "testdata", name);
    return b;
}

/* ------------------------------------------------------------ diagnostics */

typedef struct ct_diag {
    fx_severity sev;
    char check[64];
    char msg[1024];
    unsigned long line, col;
    uint64_t offset;
} ct_diag;

typedef struct ct_diags {
    ct_diag d[64];
    size_t n;        /* all seen; only the first 64 kept */
} ct_diags;

static CT_UNUSED void ct_diag_fn(void *ctx, const fx_diag *d)
{
    ct_diags *ds = ctx;
    if (ds->n < 64) {
        ct_diag *c = &ds->d[ds->n];
        c->sev = d->severity;
        snprintf(c->check, sizeof c->check, "%s", d->check ? d->check : "");
        snprintf(c->msg, sizeof c->msg, "%s", d->msg ? d->msg : "");
        c->line = d->line;
        c->col = d->col;
        c->offset = d->offset;
    }
    ds->n++;
}

/* ------------------------------------------------------------ reader runs */

typedef struct ct_event {
    int rc;              /* 1: a record; < 0: an error */
    fx_record *rec;      /* copy, when rc == 1 */
    fx_error err;        /* when rc < 0 */
} ct_event;

typedef struct ct_run {
    int open_rc;         /* fx_reader_open's result */
    fx_error open_err;
    ct_event *ev;
    size_t nev, nrec, nerr;
    int end_rc;          /* 0 at a clean end, else the final error code */
    fx_layout layout;
    ct_diags diags;
} ct_run;

static CT_UNUSED int ct_final(int rc)
{
    return rc < 0 && rc != FX_ESYNTAX && rc != FX_ESTRUCT;
}

/* Read path to its end, copying every record and error.  Fails the test
** when the reader does not stop (more than max_events events). */
static CT_UNUSED void ct_read_path(ct_run *t, const char *path)
{
    memset(t, 0, sizeof *t);
    fx_reader_opts o;
    memset(&o, 0, sizeof o);
    o.diag = ct_diag_fn;
    o.diag_ctx = &t->diags;
    fx_reader *r = NULL;
    t->open_rc = fx_reader_open(&r, path, &o, &t->open_err);
    if (t->open_rc < 0) {
        assert_null(r);
        t->end_rc = t->open_rc;
        return;
    }
    size_t cap = 0;
    for (size_t guard = 0;; guard++) {
        assert_true(guard < 1000000);
        const fx_record *rec = (const fx_record *)1;
        fx_error e;
        memset(&e, 0, sizeof e);
        int rc = fx_reader_next(r, &rec, &e);
        if (rc == 0) {
            assert_null(rec);
            t->end_rc = 0;
            break;
        }
        if (t->nev == cap) {
            cap = cap ? cap * 2 : 16;
            t->ev = realloc(t->ev, cap * sizeof *t->ev);
            assert_non_null(t->ev);
        }
        ct_event *ev = &t->ev[t->nev++];
        memset(ev, 0, sizeof *ev);
        ev->rc = rc;
        if (rc == 1) {
            assert_non_null(rec);
            assert_int_equal(fx_record_copy(&ev->rec, rec), 0);
            t->nrec++;
        } else {
            assert_true(rc < 0);
            assert_null(rec);
            assert_int_equal(e.code, rc);
            ev->err = e;
            t->nerr++;
            if (ct_final(rc)) {
                t->end_rc = rc;
                /* A final error is returned again. */
                fx_error e2;
                assert_int_equal(fx_reader_next(r, &rec, &e2), rc);
                break;
            }
        }
    }
    t->layout = fx_reader_layout(r);
    fx_reader_free(r);
}

/* Read the text s (written to a scratch file). */
static CT_UNUSED void ct_read_n(ct_run *t, const void *s, size_t n)
{
    char *p = ct_write_n(s, n);
    ct_read_path(t, p);
    ct_unlink(p);
}

static CT_UNUSED void ct_read(ct_run *t, const char *s)
{
    ct_read_n(t, s, strlen(s));
}

static CT_UNUSED void ct_run_free(ct_run *t)
{
    for (size_t i = 0; i < t->nev; i++)
        fx_record_free(t->ev[i].rec);
    free(t->ev);
    memset(t, 0, sizeof *t);
}

/* The i-th record of a run (0-based), failing the test if absent. */
static CT_UNUSED const fx_record *ct_rec(const ct_run *t, size_t i)
{
    for (size_t k = 0; k < t->nev; k++)
        if (t->ev[k].rc == 1 && i-- == 0)
            return t->ev[k].rec;
    fail_msg("no record %zu", i);
    static fx_record none;
    return &none;
}

/* The i-th error of a run (0-based). */
static CT_UNUSED const fx_error *ct_err(const ct_run *t, size_t i)
{
    for (size_t k = 0; k < t->nev; k++)
        if (t->ev[k].rc < 0 && i-- == 0)
            return &t->ev[k].err;
    fail_msg("no error %zu", i);
    static fx_error none;
    return &none;
}

/* "R" for a record, "S" syntax, "T" struct, "F" format, "I" io, "?" other:
** the run as a string of events, e.g. "RSR". */
static CT_UNUSED const char *ct_shape(const ct_run *t)
{
    static char b[256];
    size_t k = 0;
    for (size_t i = 0; i < t->nev && k + 1 < sizeof b; i++) {
        int rc = t->ev[i].rc;
        b[k++] = rc == 1 ? 'R' : rc == FX_ESYNTAX ? 'S' : rc == FX_ESTRUCT ? 'T'
                 : rc == FX_EFORMAT ? 'F' : rc == FX_EIO ? 'I' : '?';
    }
    b[k] = '\0';
    return b;
}

/* A field value's text as a NUL-terminated string (static, rotating). */
static CT_UNUSED const char *ct_val(const fx_record *rec, const char *name)
{
    static char b[4][4096];
    static int next;
    const fx_field *f = fx_record_field(rec, name);
    if (!f)
        return NULL;
    char *o = b[next++ % 4];
    snprintf(o, 4096, "%.*s", (int)f->value.len, f->value.text);
    return o;
}

/* An fx_value over a literal JSON text (type from its first byte). */
static CT_UNUSED fx_value ct_v(const char *json)
{
    fx_value v;
    v.text = json;
    v.len = strlen(json);
    switch (*json) {
    case '"': v.type = FX_STRING; break;
    case '[': v.type = FX_ARRAY; break;
    case '{': v.type = FX_OBJECT; break;
    case 'n': v.type = FX_NULL; break;
    case 't': v.type = FX_TRUE; break;
    case 'f': v.type = FX_FALSE; break;
    default: v.type = FX_NUMBER; break;
    }
    return v;
}

#define assert_has(hay, needle) do { \
        const char *h_ = (hay), *n_ = (needle); \
        if (!strstr(h_, n_)) \
            fail_msg("'%s' not found in '%s'", n_, h_); \
    } while (0)

#endif
