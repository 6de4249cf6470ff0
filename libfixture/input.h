/*
** input.h: the reader's byte source (input.c): a file or stdin,
** decompressed and converted to UTF-8.
*/
#ifndef FX_INPUT_H
#define FX_INPUT_H

#include "internal.h"

#include <sys/types.h>

typedef struct fx__input fx__input;

/* The text's encoding, from its byte-order mark or the zero bytes of its
** first character. */
typedef enum {
    FX__ENC_UTF8 = 0, FX__ENC_UTF16LE, FX__ENC_UTF16BE, FX__ENC_UTF32LE, FX__ENC_UTF32BE
} fx__encoding;

/* "UTF-8", "UTF-16LE", ...: a static string. */
const char *fx__encoding_name(fx__encoding e);

/* Open name ("-" is stdin).  name is borrowed and must outlive the input.
** What it says about the encoding goes to diag (fx__input_verdict()).  seekable: keep the decoded text so that
** fx__input_seek() can go back (a plain UTF-8 file is read in place; any
** other input is copied to an unlinked temporary file as it is read).
** *out: free with fx__input_free(). */
int fx__input_open(fx__input **out, const char *name, int seekable,
                   fx_diag_fn diag, void *ctx, fx_error *err);

/* Open text[0..n) as if it were a file named name: decompressed and
** converted like one.  text and name are borrowed: they must outlive the
** input (no copy is made; the caller frees them after fx__input_free()). */
int fx__input_open_mem(fx__input **out, const char *name, const void *text, size_t n,
                       int seekable, fx_diag_fn diag, void *ctx, fx_error *err);

/* The compression the input had, as fx_output_compress() names it
** ("gzip", "bzip2", "xz", "lzma"), "zip", or NULL for none. */
const char *fx__input_filter(const fx__input *in);

/* The encoding the input had (its text is read as UTF-8 all the same);
** *bom: it began with a UTF-16/32 byte-order mark (a UTF-8 one is passed
** on in the text). */
fx__encoding fx__input_encoding(const fx__input *in, int *bom);

/* Make the next read start at decoded offset off, which must have been
** read already (or lie in a plain file).  0, or FX_EUSAGE. */
int fx__input_seek(fx__input *in, uint64_t off, fx_error *err);

/* Read up to n bytes of UTF-8 text into buf: the count, 0 at the end, or a
** negative FX_E* code with err set. */
ssize_t fx__input_read(fx__input *in, char *buf, size_t n, fx_error *err);

/* Say through diag, once, what loaddata (reading a file by name) makes of
** the input's encoding, now that the reader knows the format: jsonl or
** json, and for jsonl whether a line without a record comes first.  What
** loaddata refuses is an error when strict, else a warning (the fx tools
** read it); a big-endian UTF-16/32 jsonl file, which loaddata reads line by
** line, is a warning, and so an error only at the first character whose
** code holds the byte of a line feed.  Nothing for plain UTF-8. */
void fx__input_verdict(fx__input *in, int jsonl, int blank_first, int strict);

/* Errors for a file whose name loaddata would misread (it takes the format
** and the compression from the name, not the content): jsonl named .json,
** gzip without .gz, no known extension.  For the strict reader only. */
void fx__input_name_verdict(fx__input *in, int jsonl);

void fx__input_free(fx__input *in);

#endif
