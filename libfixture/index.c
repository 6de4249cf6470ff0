/*
** index.c: open addressing over 32-bit entry numbers; the entries (key and
** value) live in chunks of 4096 that never move.
*/
#include "index.h"

#include <stdlib.h>

#define CHUNK 4096

struct fx__index {
    size_t vsize, esize;
    uint32_t *slots;          /* entry number + 1; 0 is empty */
    size_t nslots, count;
    char **chunks;
    size_t nchunks;
};

static char *entry(const fx__index *ix, size_t i)
{
    return ix->chunks[i / CHUNK] + (i % CHUNK) * ix->esize;
}

int fx__index_new(fx__index **out, size_t vsize)
{
    fx__index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return FX_ENOMEM;
    ix->vsize = vsize;
    ix->esize = (8 + vsize + 7) & ~(size_t)7;
    ix->nslots = 1024;
    ix->slots = calloc(ix->nslots, sizeof *ix->slots);
    if (!ix->slots) {
        free(ix);
        return FX_ENOMEM;
    }
    *out = ix;
    return 0;
}

static size_t slot_of(const fx__index *ix, uint64_t key)
{
    size_t mask = ix->nslots - 1, i = (size_t)(key ^ key >> 29) & mask;
    while (ix->slots[i]) {
        uint64_t k;
        memcpy(&k, entry(ix, ix->slots[i] - 1), 8);
        if (k == key)
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

void *fx__index_get(const fx__index *ix, uint64_t key)
{
    size_t i = slot_of(ix, key);
    return ix->slots[i] ? entry(ix, ix->slots[i] - 1) + 8 : NULL;
}

static int grow(fx__index *ix)
{
    size_t n = ix->nslots * 2;
    uint32_t *s = calloc(n, sizeof *s), *old = ix->slots;
    if (!s)
        return FX_ENOMEM;
    ix->slots = s;
    ix->nslots = n;
    for (size_t e = 0; e < ix->count; e++) {
        uint64_t k;
        memcpy(&k, entry(ix, e), 8);
        ix->slots[slot_of(ix, k)] = (uint32_t)(e + 1);
    }
    free(old);
    return 0;
}

void *fx__index_put(fx__index *ix, uint64_t key, int *existed)
{
    size_t i = slot_of(ix, key);
    if (ix->slots[i]) {
        *existed = 1;
        return entry(ix, ix->slots[i] - 1) + 8;
    }
    *existed = 0;
    if (ix->count >= UINT32_MAX - 1)
        return NULL;
    if ((ix->count + 1) * 3 > ix->nslots * 2) {   /* load factor 2/3 */
        if (grow(ix))
            return NULL;
        i = slot_of(ix, key);
    }
    if (ix->count % CHUNK == 0) {
        char **c = realloc(ix->chunks, (ix->nchunks + 1) * sizeof *c);
        if (!c)
            return NULL;
        ix->chunks = c;
        if (!(c[ix->nchunks] = calloc(CHUNK, ix->esize)))
            return NULL;
        ix->nchunks++;
    }
    char *e = entry(ix, ix->count);
    memcpy(e, &key, 8);
    memset(e + 8, 0, ix->vsize);
    ix->slots[i] = (uint32_t)(++ix->count);
    return e + 8;
}

size_t fx__index_count(const fx__index *ix)
{
    return ix->count;
}

void fx__index_free(fx__index *ix)
{
    if (!ix)
        return;
    for (size_t i = 0; i < ix->nchunks; i++)
        free(ix->chunks[i]);
    free(ix->chunks);
    free(ix->slots);
    free(ix);
}
