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
** Warnings (UTF-16) go to diag.  seekable: keep the decoded text so that
** fx__input_seek() can go back (a plain UTF-8 file is read in place; any
** other input is copied to an unlinked temporary file as it is read).
** *out: free with fx__input_free(). */
int fx__input_open(fx__input **out, const char *name, int seekable,
                   fx_diag_fn diag, void *ctx, fx_error *err);

/* Make the next read start at decoded offset off, which must have been
** read already (or lie in a plain file).  0, or FX_EUSAGE. */
int fx__input_seek(fx__input *in, uint64_t off, fx_error *err);

/* Read up to n bytes of UTF-8 text into buf: the count, 0 at the end, or a
** negative FX_E* code with err set. */
ssize_t fx__input_read(fx__input *in, char *buf, size_t n, fx_error *err);

void fx__input_free(fx__input *in);

#endif
