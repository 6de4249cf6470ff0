/*
** hash.c: record hashes.  XXH3-64 over a canonical form in which layout,
** key order, white space and the spelling of string escapes have vanished
** but the model, pk and every field value remain (see fx_value_canon()).
*/
#define _GNU_SOURCE
#include "internal.h"

#include <stdlib.h>
#include <xxhash.h>

static int cmp_name(const fx_field *a, const fx_field *b)
{
    return strcmp(a->name, b->name);
}

static int cmp_idx(const void *x, const void *y, void *fields)
{
    const fx_field *f = fields;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    int c = cmp_name(&f[i], &f[j]);
    return c ? c : (i > j) - (i < j);
}

uint64_t fx__key_hash(const char *label, const char *pk, size_t pklen)
{
    char small[256];
    if (!pk) {
        pk = "\xff";                 /* no pk: equal to no real key */
        pklen = 1;
    }
    size_t a = strlen(label) + 1;
    char *k = a + pklen <= sizeof small ? small : malloc(a + pklen);
    if (!k)
        return 0;
    memcpy(k, label, a);
    memcpy(k + a, pk, pklen);
    uint64_t h = XXH3_64bits(k, a + pklen);
    if (k != small)
        free(k);
    return h;
}

uint64_t fx_record_key_hash(const fx_record *rec)
{
    return fx__key_hash(rec->label, rec->pk_key,
                        rec->pk_key ? strlen(rec->pk_key) : 0);
}

uint64_t fx_record_hash(const fx_record *rec)
{
    fx_buf b = FX_BUF_INIT;
    size_t n = rec->nfields, i, small[64];
    size_t *idx = n <= 64 ? small : malloc(n * sizeof *idx);
    uint64_t h = 0;
    if (!idx)
        return 0;
    for (i = 0; i < n; i++)
        idx[i] = i;
    /* Stable by name, so the last of duplicate names ends its run. */
    if (n > 64) {
        qsort_r(idx, n, sizeof *idx, cmp_idx, (void *)rec->fields);
    }
    for (i = 1; i < n && n <= 64; i++) {
        size_t j = i, t = idx[i];
        while (j > 0 && cmp_name(&rec->fields[idx[j - 1]], &rec->fields[t]) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = t;
    }
    int bad = fx_buf_add(&b, rec->label, strlen(rec->label) + 1);
    if (rec->pk_key)
        bad |= fx_buf_addc(&b, 'k') | fx_buf_add(&b, rec->pk_key, strlen(rec->pk_key) + 1);
    else
        bad |= fx_buf_addc(&b, rec->has_pk ? 'n' : '-');
    for (i = 0; i < n && !bad; i++) {
        const fx_field *f = &rec->fields[idx[i]];
        if (i + 1 < n && cmp_name(f, &rec->fields[idx[i + 1]]) == 0)
            continue;
        bad |= fx_buf_add(&b, f->name, f->name_len + 1) | fx_value_canon(&b, f->value);
    }
    if (!bad)
        h = XXH3_64bits(b.data, b.len);
    fx_buf_free(&b);
    if (idx != small)
        free(idx);
    return h;
}

/* Each value's canonical form, a list's values spliced in (recursively). */
static void natural_canon(fx_buf *tmp, fx_value v, int depth)
{
    if (v.type != FX_ARRAY || depth >= FX_MAX_DEPTH) {
        fx_value_canon(tmp, v);
        return;
    }
    fx_iter it;
    fx_value e;
    fx_iter_init(&it, v);
    while (fx_iter_next(&it, NULL, &e))
        natural_canon(tmp, e, depth + 1);
}

uint64_t fx__natural_hash(fx_buf *tmp, const char *label, const fx_value *vals, size_t n)
{
    fx_buf_reset(tmp);
    fx_buf_add(tmp, label, strlen(label) + 1);
    for (size_t i = 0; i < n; i++)
        natural_canon(tmp, vals[i], 0);
    return XXH3_64bits(tmp->data, tmp->len);
}
