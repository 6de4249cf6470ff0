/*
** win32/iconv.h: mingw-w64 has no iconv: compat.c's, for the encodings fx
** converts (compat.h).  On the include path of the Windows build only.
*/
#ifndef FX_WIN32_ICONV_H
#define FX_WIN32_ICONV_H

#include "compat.h"

typedef fx__iconv_cd *iconv_t;

/* (iconv_t)-1 when the pair is not converted, as iconv_open(3). */
static inline iconv_t fx__iconv_open_posix(const char *to, const char *from)
{
    fx__iconv_cd *cd = fx__iconv_open(to, from);
    return cd ? cd : (iconv_t)-1;
}
#define iconv_open fx__iconv_open_posix
#define iconv fx__iconv
#define iconv_close fx__iconv_close

#endif
