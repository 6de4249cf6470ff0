/*
** compat.c: the portable half of the portability layer (compat.h): the
** POSIX versions of the helpers (compat_win32.c has Windows'), and what
** mingw-w64 lacks, written once in plain C and used on every platform so
** that the Linux tests check it: fnmatch and iconv for the encodings fx
** converts.  The code-page tables are glibc's (iconv(1), checked against
** it by tests/test_compat.c).
*/
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <strings.h>

size_t fx__path_base(const char *path)
{
    size_t base = 0;
    for (size_t i = 0; path[i]; i++) {
#ifdef _WIN32
        if (path[i] == '\\' || (i == 1 && path[i] == ':'))
            base = i + 1;
#endif
        if (path[i] == '/')
            base = i + 1;
    }
    return base;
}

#ifndef _WIN32
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

FILE *fx__tmpfile(void)
{
    return tmpfile();
}

char *fx__temp_named(const char *prefix, const char *suffix)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    size_t n = strlen(dir) + strlen(prefix) + strlen(suffix) + 16;
    char *path = malloc(n);
    if (!path)
        return NULL;
    snprintf(path, n, "%s/%s-XXXXXX%s", dir, prefix, suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    if (fd < 0) {
        int e = errno;
        free(path);
        errno = e;
        return NULL;
    }
    close(fd);
    return path;
}

int fx__run_editor(const char *editor, const char *path)
{
    size_t n = strlen(editor) + 16;
    char *cmd = malloc(n);
    if (!cmd)
        return -1;
    snprintf(cmd, n, "%s \"$@\"", editor);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, "sh", path, (char *)NULL);
        _exit(127);
    }
    free(cmd);
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void (*volatile interrupt_cleanup)(void);

static void on_signal(int sig)
{
    if (interrupt_cleanup)
        interrupt_cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

void fx__on_interrupt(void (*cleanup)(void))
{
    if (interrupt_cleanup)
        return;
    interrupt_cleanup = cleanup;
    int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction sa, old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

static sigset_t blocked_old;

void fx__interrupts_block(void)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &blocked_old);
}

void fx__interrupts_unblock(void)
{
    sigprocmask(SIG_SETMASK, &blocked_old, NULL);
}

int fx__replace(const char *tmp, const char *path)
{
    return rename(tmp, path);
}

int fx__fsync(int fd)
{
    return fsync(fd);
}

int fx__same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

int fx__stdin_fd(void)
{
    return 0;
}

const char *fx__tmpdir(void)
{
    const char *d = getenv("TMPDIR");
    return d && *d ? d : "/tmp";
}

char *fx__mkdtemp(char *tmpl)
{
    return mkdtemp(tmpl);
}

int fx__mkdir(const char *path)
{
    return mkdir(path, 0700);
}

void fx__fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int fx__link(const char *old, const char *path)
{
    return link(old, path);
}

int fx__pid_alive(long pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

void fx__unsetenv(const char *name)
{
    unsetenv(name);
}

void fx__kill_self(void)
{
    raise(SIGKILL);
}

void fx__stop_self(void)
{
    raise(SIGSTOP);
}
#endif /* !_WIN32 */

/* ---------------------------------------------------------------- time */

/* Days from 1970-01-01 to y-m-d (m 1..12), and back (after Howard
** Hinnant's days_from_civil). */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

time_t fx__timegm(struct tm *tm)
{
    long long mon = tm->tm_mon, y = (long long)tm->tm_year + 1900;
    y += mon >= 0 ? mon / 12 : -((11 - mon) / 12);
    mon -= (mon >= 0 ? mon / 12 : -((11 - mon) / 12)) * 12;
    long long days = days_from_civil(y, (int)mon + 1, 1) + tm->tm_mday - 1;
    long long t = days * 86400 + (long long)tm->tm_hour * 3600 + (long long)tm->tm_min * 60 +
                  tm->tm_sec;
    fx__gmtime_r(&(time_t){(time_t)t}, tm);      /* normalised, as glibc does */
    return (time_t)t;
}

struct tm *fx__gmtime_r(const time_t *t, struct tm *tm)
{
    long long s = (long long)*t;
    long long days = s >= 0 ? s / 86400 : -((86399 - s) / 86400);
    long long rem = s - days * 86400;
    long long z = days + 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    long long y = yoe + era * 400 + (m <= 2);
    if (y - 1900 > 2147483647LL || y - 1900 < -2147483647LL - 1)
        return NULL;
    memset(tm, 0, sizeof *tm);
    tm->tm_year = (int)(y - 1900);
    tm->tm_mon = m - 1;
    tm->tm_mday = d;
    tm->tm_hour = (int)(rem / 3600);
    tm->tm_min = (int)(rem / 60 % 60);
    tm->tm_sec = (int)(rem % 60);
    tm->tm_wday = (int)((days % 7 + 11) % 7);         /* 1970-01-01 was a Thursday */
    tm->tm_yday = (int)(days - days_from_civil(y, 1, 1));
    return tm;
}

/* ---------------------------------------------------------------- fnmatch */

static int fold(int c, int flags)
{
    return (flags & FX_FNM_CASEFOLD) && c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Does the bracket expression at p (after '[') match c?  Sets *end past
** its ']'; NULL *end when it has none (then '[' is an ordinary byte). */
static int bracket(const char *p, int c, int flags, const char **end)
{
    int neg = *p == '!' || *p == '^', hit = 0;
    if (neg)
        p++;
    const char *start = p;
    while (*p && (*p != ']' || p == start)) {
        int lo = (unsigned char)*p, hi;
        if (lo == '\\' && p[1])
            lo = (unsigned char)*++p;
        p++;
        hi = lo;
        if (*p == '-' && p[1] && p[1] != ']') {
            hi = (unsigned char)*++p;
            if (hi == '\\' && p[1])
                hi = (unsigned char)*++p;
            p++;
        }
        if ((c >= lo && c <= hi) ||
            ((flags & FX_FNM_CASEFOLD) && fold(c, flags) >= fold(lo, flags) &&
             fold(c, flags) <= fold(hi, flags)))
            hit = 1;
    }
    *end = *p == ']' ? p + 1 : NULL;
    return hit != neg;
}

int fx__fnmatch(const char *pattern, const char *string, int flags)
{
    const char *p = pattern, *s = string;
    const char *star = NULL, *star_s = NULL;   /* where to retry after a '*' */
    for (;;) {
        const char *next = NULL;
        int ok = 0;
        if (*p == '*') {
            while (*p == '*')
                p++;
            star = p, star_s = s;
            continue;
        }
        if (*s) {
            int c = (unsigned char)*s;
            if (*p == '?')
                ok = 1, next = p + 1;
            else if (*p == '[' && (ok = bracket(p + 1, c, flags, &next), next))
                ;
            else if (*p == '\\')       /* a '\' that ends the pattern matches nothing */
                ok = p[1] && fold((unsigned char)p[1], flags) == fold(c, flags), next = p + 2;
            else if (*p)
                ok = fold((unsigned char)*p, flags) == fold(c, flags), next = p + 1;
        } else if (!*p) {
            return 0;
        }
        if (!ok && *p == '\\' && !p[1])
            return FX_FNM_NOMATCH;
        if (ok) {
            p = next, s++;
            continue;
        }
        if (!star || !*star_s)
            return FX_FNM_NOMATCH;
        p = star, s = ++star_s;            /* the '*' takes one byte more */
    }
}

/* ---------------------------------------------------------------- iconv */

/* 0x80..0xFF of the single-byte code pages; 0: no character. */
static const uint16_t cp1252_hi[128] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030,
    0x0160, 0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D,
    0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E,
    0x0178, /* 0xA0..0xFF: as Latin-1, filled in by table() */
};
static const uint16_t cp850_hi[128] = {
    0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7, 0x00EA, 0x00EB,
    0x00E8, 0x00EF, 0x00EE, 0x00EC, 0x00C4, 0x00C5, 0x00C9, 0x00E6, 0x00C6, 0x00F4,
    0x00F6, 0x00F2, 0x00FB, 0x00F9, 0x00FF, 0x00D6, 0x00DC, 0x00F8, 0x00A3, 0x00D8,
    0x00D7, 0x0192, 0x00E1, 0x00ED, 0x00F3, 0x00FA, 0x00F1, 0x00D1, 0x00AA, 0x00BA,
    0x00BF, 0x00AE, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB, 0x2591, 0x2592,
    0x2593, 0x2502, 0x2524, 0x00C1, 0x00C2, 0x00C0, 0x00A9, 0x2563, 0x2551, 0x2557,
    0x255D, 0x00A2, 0x00A5, 0x2510, 0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C,
    0x00E3, 0x00C3, 0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x00A4,
    0x00F0, 0x00D0, 0x00CA, 0x00CB, 0x00C8, 0x0131, 0x00CD, 0x00CE, 0x00CF, 0x2518,
    0x250C, 0x2588, 0x2584, 0x00A6, 0x00CC, 0x2580, 0x00D3, 0x00DF, 0x00D4, 0x00D2,
    0x00F5, 0x00D5, 0x00B5, 0x00FE, 0x00DE, 0x00DA, 0x00DB, 0x00D9, 0x00FD, 0x00DD,
    0x00AF, 0x00B4, 0x00AD, 0x00B1, 0x2017, 0x00BE, 0x00B6, 0x00A7, 0x00F7, 0x00B8,
    0x00B0, 0x00A8, 0x00B7, 0x00B9, 0x00B3, 0x00B2, 0x25A0, 0x00A0,
};
static const uint16_t cp437_hi[128] = {
    0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7, 0x00EA, 0x00EB,
    0x00E8, 0x00EF, 0x00EE, 0x00EC, 0x00C4, 0x00C5, 0x00C9, 0x00E6, 0x00C6, 0x00F4,
    0x00F6, 0x00F2, 0x00FB, 0x00F9, 0x00FF, 0x00D6, 0x00DC, 0x00A2, 0x00A3, 0x00A5,
    0x20A7, 0x0192, 0x00E1, 0x00ED, 0x00F3, 0x00FA, 0x00F1, 0x00D1, 0x00AA, 0x00BA,
    0x00BF, 0x2310, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB, 0x2591, 0x2592,
    0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556, 0x2555, 0x2563, 0x2551, 0x2557,
    0x255D, 0x255C, 0x255B, 0x2510, 0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C,
    0x255E, 0x255F, 0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567,
    0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256B, 0x256A, 0x2518,
    0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580, 0x03B1, 0x00DF, 0x0393, 0x03C0,
    0x03A3, 0x03C3, 0x00B5, 0x03C4, 0x03A6, 0x0398, 0x03A9, 0x03B4, 0x221E, 0x03C6,
    0x03B5, 0x2229, 0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248,
    0x00B0, 0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2, 0x25A0, 0x00A0,
};

enum { E_UTF8, E_UTF16LE, E_UTF16BE, E_UTF32LE, E_UTF32BE, E_LATIN1, E_CP1252,
       E_CP850, E_CP437 };

struct fx__iconv_cd {
    int from, to;
    uint16_t map[256];      /* the single-byte code page's byte -> code point */
};

static int enc_of(const char *name)
{
    static const char *const names[] = {"UTF-8", "UTF-16LE", "UTF-16BE", "UTF-32LE",
                                        "UTF-32BE", "ISO-8859-1", "WINDOWS-1252",
                                        "CP850", "CP437"};
    for (int i = 0; i < (int)(sizeof names / sizeof *names); i++)
        if (strcasecmp(name, names[i]) == 0)
            return i;
    if (strcasecmp(name, "LATIN1") == 0)
        return E_LATIN1;
    if (strcasecmp(name, "CP1252") == 0)
        return E_CP1252;
    return -1;
}

static void table(int enc, uint16_t *t)
{
    const uint16_t *hi = enc == E_CP1252 ? cp1252_hi : enc == E_CP850 ? cp850_hi
                       : enc == E_CP437 ? cp437_hi : NULL;
    for (int b = 0; b < 256; b++)
        t[b] = (uint16_t)b;
    if (hi)
        for (int b = 0x80; b < 0x100; b++)
            t[b] = enc == E_CP1252 && b >= 0xA0 ? (uint16_t)b : hi[b - 0x80];
    t[0] = 0;                                  /* NUL is a character: see dec1() */
}

fx__iconv_cd *fx__iconv_open(const char *to, const char *from)
{
    int t = enc_of(to), f = enc_of(from);
    /* Decode anything into UTF-8, or UTF-8 into anything else. */
    if (t < 0 || f < 0 || (t != E_UTF8 && f != E_UTF8)) {
        errno = EINVAL;
        return NULL;
    }
    fx__iconv_cd *cd = calloc(1, sizeof *cd);
    if (!cd)
        return NULL;
    cd->from = f, cd->to = t;
    if (f >= E_LATIN1 || t >= E_LATIN1)
        table(f >= E_LATIN1 ? f : t, cd->map);
    return cd;
}

int fx__iconv_close(fx__iconv_cd *cd)
{
    free(cd);
    return 0;
}

/* Decode one character of p[0..n): its length, or -1 (EILSEQ) / -2
** (incomplete, EINVAL); the code point in *c. */
static int dec1(const fx__iconv_cd *cd, const unsigned char *p, size_t n, uint32_t *c)
{
    switch (cd->from) {
    case E_UTF8: {
        /* As glibc: F5..FD lead the 4 to 6 bytes of the old UTF-8, and a
        ** sequence cut by the end of the input is incomplete before it is
        ** checked. */
        int len = p[0] < 0x80 ? 1 : p[0] >= 0xC2 && p[0] < 0xE0 ? 2
                : p[0] >= 0xE0 && p[0] < 0xF0 ? 3 : p[0] >= 0xF0 && p[0] < 0xF8 ? 4
                : p[0] >= 0xF8 && p[0] < 0xFC ? 5 : p[0] >= 0xFC && p[0] < 0xFE ? 6 : 0;
        if (!len)
            return -1;
        for (size_t i = 1; i < (size_t)len; i++)
            if (i >= n)
                return -2;
            else if ((p[i] & 0xC0) != 0x80)
                return -1;
        uint32_t v = len == 1 ? p[0] : p[0] & (0x7F >> len);
        for (int i = 1; i < len; i++)
            v = v << 6 | (p[i] & 0x3F);
        if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || len > 4 || v > 0x10FFFF ||
            (v >= 0xD800 && v < 0xE000))
            return -1;
        *c = v;
        return len;
    }
    case E_UTF16LE:
    case E_UTF16BE: {
        int be = cd->from == E_UTF16BE;
        if (n < 2)
            return -2;
        uint32_t u = be ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0];
        if (u >= 0xDC00 && u < 0xE000)
            return -1;
        if (u < 0xD800 || u >= 0xE000) {
            *c = u;
            return 2;
        }
        if (n < 4)
            return -2;
        uint32_t l = be ? (uint32_t)p[2] << 8 | p[3] : (uint32_t)p[3] << 8 | p[2];
        if (l < 0xDC00 || l >= 0xE000)
            return -1;
        *c = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
        return 4;
    }
    case E_UTF32LE:
    case E_UTF32BE: {
        if (n < 4)
            return -2;
        uint32_t u = cd->from == E_UTF32BE
            ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
            : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
        if (u > 0x10FFFF || (u >= 0xD800 && u < 0xE000))
            return -1;
        *c = u;
        return 4;
    }
    default:
        if (p[0] && !cd->map[p[0]])
            return -1;
        *c = cd->map[p[0]];
        return 1;
    }
}

/* Encode c into q[0..n): its length, 0 when it does not fit, -1 when the
** code page has no such character. */
static int enc1(const fx__iconv_cd *cd, uint32_t c, unsigned char *q, size_t n)
{
    if (cd->to == E_UTF8) {
        int len = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        if ((size_t)len > n)
            return 0;
        if (len == 1) {
            q[0] = (unsigned char)c;
        } else {
            for (int i = len - 1; i > 0; i--, c >>= 6)
                q[i] = (unsigned char)(0x80 | (c & 0x3F));
            q[0] = (unsigned char)((0xF00 >> len) | c);
        }
        return len;
    }
    if (cd->to == E_UTF16LE || cd->to == E_UTF16BE) {
        int be = cd->to == E_UTF16BE, len = c < 0x10000 ? 2 : 4;
        if (c >= 0xD800 && c < 0xE000)
            return -1;              /* a surrogate is no character */
        if ((size_t)len > n)
            return 0;
        uint32_t u[2] = {c, 0};
        if (len == 4)
            u[0] = 0xD800 | ((c - 0x10000) >> 10), u[1] = 0xDC00 | ((c - 0x10000) & 0x3FF);
        for (int i = 0; i < len / 2; i++) {
            q[2 * i + be] = (unsigned char)(u[i] & 0xFF);
            q[2 * i + !be] = (unsigned char)(u[i] >> 8);
        }
        return len;
    }
    if (cd->to == E_UTF32LE || cd->to == E_UTF32BE) {
        if (c >= 0xD800 && c < 0xE000)
            return -1;
        if (n < 4)
            return 0;
        for (int i = 0; i < 4; i++)
            q[cd->to == E_UTF32BE ? 3 - i : i] = (unsigned char)(c >> (8 * i));
        return 4;
    }
    int b = -1;
    if (n < 1)
        return 0;                   /* as glibc: a full output is said first */
    if (c < 0x80 || (cd->to == E_LATIN1 && c < 0x100)) {
        b = (int)c;
    } else {
        for (int i = 0x80; i < 0x100 && b < 0; i++)
            if (cd->map[i] == c)
                b = i;
    }
    if (b < 0)
        return -1;
    q[0] = (unsigned char)b;
    return 1;
}

size_t fx__iconv(fx__iconv_cd *cd, char **in, size_t *inleft, char **out, size_t *outleft)
{
    if (!in || !*in)
        return 0;                               /* stateless: nothing to reset */
    const unsigned char *p = (const unsigned char *)*in;
    unsigned char *q = (unsigned char *)*out;
    size_t n = *inleft, room = *outleft;
    int rc = 0;
    while (n > 0) {
        uint32_t c;
        int k = dec1(cd, p, n, &c);
        if (k < 0) {
            rc = k == -1 ? EILSEQ : EINVAL;
            break;
        }
        int w = enc1(cd, c, q, room);
        if (w <= 0) {
            rc = w < 0 ? EILSEQ : E2BIG;
            break;
        }
        p += k, n -= (size_t)k;
        q += w, room -= (size_t)w;
    }
    *in = (char *)p, *inleft = n;
    *out = (char *)q, *outleft = room;
    if (rc) {
        errno = rc;
        return (size_t)-1;
    }
    return 0;
}
