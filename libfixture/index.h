/*
** index.h: a hash index from 64-bit keys to small fixed-size values, for
** what the tools must remember about every record without keeping the
** records: where each (model, pk) was seen, unique values, natural keys.
** Memory: about 1.5 x (8 + value size) bytes an entry, in chunks, so no
** large block is copied when it grows.
*/
#ifndef FX_INDEX_H
#define FX_INDEX_H

#include "internal.h"

typedef struct fx__index fx__index;

/* A new empty index whose values are vsize bytes.  Free: fx__index_free(). */
int fx__index_new(fx__index **out, size_t vsize);

/* The value stored under key, or NULL.  Borrowed: valid until the next
** fx__index_put(). */
void *fx__index_get(const fx__index *ix, uint64_t key);

/* The value under key, made (zero-filled) if absent; *existed says which.
** NULL when out of memory.  Borrowed as above. */
void *fx__index_put(fx__index *ix, uint64_t key, int *existed);

size_t fx__index_count(const fx__index *ix);
void fx__index_free(fx__index *ix);

#endif
