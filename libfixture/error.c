/*
** error.c: filling fx_error values and reporting diagnostics through the
** caller's callback.  The library never prints; the tools do.
*/
#include "internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int fx_error_set(fx_error *err, int code, const char *file, unsigned long line,
                 unsigned long col, uint64_t offset, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    err->col = col;
    err->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void fx__diag(fx_diag_fn fn, void *ctx, fx_severity sev, const char *file,
              unsigned long line, unsigned long col, uint64_t offset,
              const char *check, const char *fmt, ...)
{
    if (!fn)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fx_diag d = {sev, file, line, col, offset, check, msg};
    fn(ctx, &d);
}

char *fx__strndup_lower(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++)
        p[i] = (char)tolower((unsigned char)s[i]);
    p[n] = '\0';
    return p;
}
