/*
** win32/fnmatch.h: mingw-w64 has no fnmatch: compat.c's (compat.h).  On
** the include path of the Windows build only.
*/
#ifndef FX_WIN32_FNMATCH_H
#define FX_WIN32_FNMATCH_H

#include "compat.h"

#define FNM_NOMATCH FX_FNM_NOMATCH
#define FNM_CASEFOLD FX_FNM_CASEFOLD
#define fnmatch fx__fnmatch

#endif
