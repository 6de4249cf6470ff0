/*
** buf.c: fx_buf, a growable byte buffer (after git's strbuf and redis'
** sds).  The invariant that catches people out: data is NULL until the
** first byte is added, and NUL-terminated from then on.
*/
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>

int fx_buf_grow(fx_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2)
            return FX_ENOMEM;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p)
        return FX_ENOMEM;
    p[b->len] = '\0';              /* a string even before anything is added */
    b->data = p;
    b->cap = cap;
    return 0;
}

int fx_buf_add(fx_buf *b, const void *p, size_t n)
{
    if (fx_buf_grow(b, n))
        return FX_ENOMEM;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int fx_buf_adds(fx_buf *b, const char *s)
{
    return fx_buf_add(b, s, strlen(s));
}

int fx_buf_addc(fx_buf *b, char c)
{
    if (b->len + 2 > b->cap && fx_buf_grow(b, 1))
        return FX_ENOMEM;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
    return 0;
}

int fx_buf_printf(fx_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || fx_buf_grow(b, (size_t)n))
        return FX_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void fx_buf_reset(fx_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void fx_buf_free(fx_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
