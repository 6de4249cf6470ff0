/*
** fuzz.h: what the fuzz targets share.  Each target (tests/fuzz/fuzz_*.c)
** defines LLVMFuzzerTestOneInput(); it is linked either with libFuzzer
** (clang -fsanitize=fuzzer: `make fuzz`) or with standalone_driver.c, which
** replays tests/fuzz/corpus/<target>/ under any compiler (`make check`).
**
** The library reads files by name, so inputs are written to files in a
** scratch directory made once per process (in /dev/shm when there is one:
** no disk traffic, fsync is free) and removed at exit.
*/
#ifndef FX_FUZZ_H
#define FX_FUZZ_H

#include "fixture.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[256];

static void fuzz_cleanup(void)
{
    if (fuzz_dir[0])
        rmdir(fuzz_dir);   /* empty unless a target was interrupted */
}

/* Write data[0..n) to NAME in the scratch directory; path gets its name.
** Aborts on failure: a fuzz run cannot go on without it. */
static void fuzz_file(char path[512], const char *name, const uint8_t *data, size_t n)
{
    if (!fuzz_dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                           : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/fx-fuzz-XXXXXX", base);
        if (!mkdtemp(fuzz_dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz_cleanup);
    }
    snprintf(path, 512, "%s/%s", fuzz_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* Stop the run with a message: a property the target checks was broken. */
#define fuzz_assert(cond, ...)                                                 \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz: %s:%d: %s: ", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            abort();                                                           \
        }                                                                      \
    } while (0)

#endif
