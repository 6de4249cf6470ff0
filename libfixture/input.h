/*
** input.h: the reader's byte source (input.c): a file or stdin,
** decompressed and converted to UTF-8.
*/
#ifndef FX_INPUT_H
#define FX_INPUT_H

#include "internal.h"

#include <sys/types.h>

typedef struct fx__input fx__input;

/* Open name ("-" is stdin).  name is borrowed and must outlive the input.
** Warnings (UTF-16) go to diag.  *out: free with fx__input_free(). */
int fx__input_open(fx__input **out, const char *name, fx_diag_fn diag,
                   void *ctx, fx_error *err);

/* Read up to n bytes of UTF-8 text into buf: the count, 0 at the end, or a
** negative FX_E* code with err set. */
ssize_t fx__input_read(fx__input *in, char *buf, size_t n, fx_error *err);

void fx__input_free(fx__input *in);

#endif
