/*
** compat_win32.c: the Windows half of the portability layer (compat.h),
** for mingw-w64 (after git's compat/mingw.c): UTF-8 file names and
** arguments, files that others may rename or replace, binary streams,
** UTF-8 and colour on a console, Ctrl-C, temporary files in %TEMP%,
** replacing a file atomically.  Compiled on every platform, empty but on
** Windows.
*/
#ifdef _WIN32
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <wchar.h>

#undef open
#undef fopen
#undef unlink
#undef mkstemp
#undef isatty
#undef write
#undef strerror
#undef tmpfile

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <shellapi.h>

#ifndef ENABLE_VIRTUAL_TERMINAL_PROCESSING
#define ENABLE_VIRTUAL_TERMINAL_PROCESSING 0x0004
#endif

/* errno for the last Windows error. */
static int win_errno(DWORD e)
{
    switch (e) {
    case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND: case ERROR_INVALID_DRIVE:
    case ERROR_BAD_NETPATH: case ERROR_BAD_NET_NAME: case ERROR_INVALID_NAME:
        return ENOENT;
    case ERROR_ACCESS_DENIED: case ERROR_PRIVILEGE_NOT_HELD: case ERROR_CANNOT_MAKE:
        return EACCES;
    case ERROR_SHARING_VIOLATION: case ERROR_LOCK_VIOLATION: case ERROR_USER_MAPPED_FILE:
        return EBUSY;
    case ERROR_FILE_EXISTS: case ERROR_ALREADY_EXISTS:
        return EEXIST;
    case ERROR_DISK_FULL: case ERROR_HANDLE_DISK_FULL:
        return ENOSPC;
    case ERROR_WRITE_PROTECT:
        return EROFS;
    case ERROR_DIRECTORY:
        return ENOTDIR;
    case ERROR_NOT_ENOUGH_MEMORY: case ERROR_OUTOFMEMORY:
        return ENOMEM;
    case ERROR_FILENAME_EXCED_RANGE:
        return ENAMETOOLONG;
    case ERROR_INVALID_HANDLE: case ERROR_INVALID_PARAMETER: case ERROR_INVALID_FUNCTION:
        return EINVAL;
    case ERROR_BROKEN_PIPE: case ERROR_NO_DATA: case ERROR_PIPE_NOT_CONNECTED:
        return EPIPE;
    default:
        return EIO;
    }
}

/* s as UTF-16, malloc'd; NULL with errno (EILSEQ: not UTF-8). */
static wchar_t *wide(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (n <= 0) {
        errno = EILSEQ;
        return NULL;
    }
    wchar_t *w = malloc((size_t)n * sizeof *w);
    if (!w) {
        errno = ENOMEM;
        return NULL;
    }
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
    return w;
}

/* w as UTF-8, malloc'd, or NULL. */
static char *narrow(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *s = n > 0 ? malloc((size_t)n) : NULL;
    if (s)
        WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
    return s;
}

/* A C file descriptor for h (binary); closes h when it cannot. */
static int fd_of(HANDLE h, int flags)
{
    int fd = _open_osfhandle((intptr_t)h, (flags & (O_RDONLY | O_WRONLY | O_RDWR | O_APPEND)) |
                                              O_BINARY);
    if (fd < 0)
        CloseHandle(h);
    return fd;
}

#define SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)

int fx__win_open(const char *path, int flags, ...)
{
    wchar_t *w = wide(path);
    if (!w)
        return -1;
    DWORD access = (flags & O_RDWR) ? GENERIC_READ | GENERIC_WRITE
                 : (flags & O_WRONLY) ? GENERIC_WRITE : GENERIC_READ;
    DWORD how = (flags & O_CREAT) && (flags & O_EXCL) ? CREATE_NEW
              : (flags & O_CREAT) && (flags & O_TRUNC) ? CREATE_ALWAYS
              : (flags & O_CREAT) ? OPEN_ALWAYS
              : (flags & O_TRUNC) ? TRUNCATE_EXISTING : OPEN_EXISTING;
    HANDLE h = CreateFileW(w, access, SHARE_ALL, NULL, how, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        DWORD attr = GetFileAttributesW(w);
        free(w);
        /* Windows refuses to open a directory as a file: say what it is */
        errno = e == ERROR_ACCESS_DENIED && attr != INVALID_FILE_ATTRIBUTES &&
                (attr & FILE_ATTRIBUTE_DIRECTORY) ? EISDIR : win_errno(e);
        return -1;
    }
    free(w);
    return fd_of(h, flags);
}

FILE *fx__win_fopen(const char *path, const char *mode)
{
    int flags = mode[0] == 'r' ? O_RDONLY : mode[0] == 'w' ? O_WRONLY | O_CREAT | O_TRUNC
              : O_WRONLY | O_CREAT | O_APPEND;
    if (strchr(mode, '+'))
        flags = (flags & ~(O_RDONLY | O_WRONLY)) | O_RDWR;
    int fd = fx__win_open(path, flags);
    if (fd < 0)
        return NULL;
    char m[4] = {mode[0], 'b', strchr(mode, '+') ? '+' : '\0', '\0'};
    FILE *f = _fdopen(fd, m);
    if (!f)
        close(fd);
    return f;
}

int fx__win_stat(const char *path, struct _stat64 *st)
{
    wchar_t *w = wide(path);
    if (!w)
        return -1;
    int rc = _wstat64(w, st);
    if (rc < 0) {
        /* a device (NUL, CON) or a named pipe: what it is, as on POSIX */
        int e = errno;
        HANDLE h = CreateFileW(w, 0, SHARE_ALL, NULL, OPEN_EXISTING, 0, NULL);
        DWORD type = h != INVALID_HANDLE_VALUE ? GetFileType(h) : FILE_TYPE_UNKNOWN;
        if (h != INVALID_HANDLE_VALUE)
            CloseHandle(h);
        if (type == FILE_TYPE_CHAR || type == FILE_TYPE_PIPE) {
            memset(st, 0, sizeof *st);
            st->st_mode = type == FILE_TYPE_CHAR ? _S_IFCHR : _S_IFIFO;
            rc = 0;
        } else {
            errno = e;
        }
    }
    free(w);
    return rc;
}

int fx__win_unlink(const char *path)
{
    wchar_t *w = wide(path);
    if (!w)
        return -1;
    /* A file still open (with delete sharing) is removed when closed. */
    int rc = DeleteFileW(w) ? 0 : (errno = win_errno(GetLastError()), -1);
    free(w);
    return rc;
}

/* Random letters and digits for a temporary name. */
static void fill_random(char *x, size_t n)
{
    static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static unsigned long long seed;
    if (!seed) {
        LARGE_INTEGER t;
        QueryPerformanceCounter(&t);
        seed = (unsigned long long)t.QuadPart ^ ((unsigned long long)GetCurrentProcessId() << 32);
    }
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = set[(seed >> 33) % (sizeof set - 1)];
    }
}

/* Create a new file for reading and writing, that others may delete or
** rename, from the template tmpl ending in XXXXXX (replaced). */
static int create_temp(char *tmpl, DWORD attrs)
{
    size_t n = strlen(tmpl);
    if (n < 6 || strcmp(tmpl + n - 6, "XXXXXX") != 0) {
        errno = EINVAL;
        return -1;
    }
    for (int tries = 0; tries < 100; tries++) {
        fill_random(tmpl + n - 6, 6);
        wchar_t *w = wide(tmpl);
        if (!w)
            return -1;
        HANDLE h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE | DELETE, SHARE_ALL, NULL,
                               CREATE_NEW, attrs, NULL);
        DWORD e = GetLastError();
        free(w);
        if (h != INVALID_HANDLE_VALUE)
            return fd_of(h, O_RDWR);
        if (e != ERROR_FILE_EXISTS && e != ERROR_ALREADY_EXISTS) {
            errno = win_errno(e);
            return -1;
        }
    }
    errno = EEXIST;
    return -1;
}

int fx__win_mkstemp(char *tmpl)
{
    return create_temp(tmpl, FILE_ATTRIBUTE_NORMAL);
}

/* "%TEMP%\\PREFIX-XXXXXX" (GetTempPath ends in '\\'), malloc'd; NULL with
** errno set. */
static char *temp_template(const char *prefix)
{
    wchar_t wdir[MAX_PATH + 1];
    DWORD n = GetTempPathW(MAX_PATH + 1, wdir);
    if (n == 0 || n > MAX_PATH) {
        errno = ENOENT;
        return NULL;
    }
    char *dir = narrow(wdir);
    size_t len = dir ? strlen(dir) + strlen(prefix) + 16 : 0;
    char *tmpl = dir ? malloc(len) : NULL;
    if (tmpl)
        snprintf(tmpl, len, "%s%s-XXXXXX", dir, prefix);
    else
        errno = ENOMEM;
    free(dir);
    return tmpl;
}

FILE *fx__tmpfile(void)
{
    char *tmpl = temp_template("fx");
    if (!tmpl)
        return NULL;
    int fd = create_temp(tmpl, FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE);
    free(tmpl);
    if (fd < 0)
        return NULL;
    FILE *f = _fdopen(fd, "w+b");
    if (!f)
        close(fd);
    return f;
}

char *fx__temp_named(const char *prefix, const char *suffix)
{
    char *path = temp_template(prefix);
    if (!path)
        return NULL;
    int fd = create_temp(path, FILE_ATTRIBUTE_NORMAL);
    if (fd < 0) {
        int e = errno;
        free(path);
        errno = e;
        return NULL;
    }
    close(fd);
    /* create_temp() fills the name's end: the name with SUFFIX is made
    ** beside the one it reserved, which then goes. */
    size_t ls = strlen(path) + strlen(suffix) + 1;
    char *named = *suffix ? malloc(ls) : NULL;
    wchar_t *w = NULL, *w0 = wide(path);
    HANDLE h = INVALID_HANDLE_VALUE;
    if (named) {
        snprintf(named, ls, "%s%s", path, suffix);
        if ((w = wide(named)))
            h = CreateFileW(w, GENERIC_WRITE, SHARE_ALL, NULL, CREATE_NEW,
                            FILE_ATTRIBUTE_NORMAL, NULL);
    }
    if (h != INVALID_HANDLE_VALUE) {
        CloseHandle(h);
        if (w0)
            DeleteFileW(w0);
        free(path);
        path = named;
        named = NULL;
    }
    free(named);
    free(w);
    free(w0);
    return path;
}

int fx__run_editor(const char *editor, const char *path)
{
    size_t n = strlen(editor) + strlen(path) + 8;
    char *cmd = malloc(n);
    if (!cmd)
        return -1;
    snprintf(cmd, n, "%s \"%s\"", editor, path);
    wchar_t *w = wide(cmd);
    free(cmd);
    if (!w)
        return -1;
    fflush(NULL);
    int rc = _wsystem(w);
    free(w);
    return rc;
}

const char *fx__tmpdir(void)
{
    static char dir[4 * MAX_PATH];
    wchar_t w[MAX_PATH + 1];
    DWORD n = GetTempPathW(MAX_PATH + 1, w);
    char *d = n && n <= MAX_PATH ? narrow(w) : NULL;
    if (!d)
        return ".";
    size_t len = strlen(d);
    if (len > 1 && (d[len - 1] == '\\' || d[len - 1] == '/'))
        d[--len] = 0;
    snprintf(dir, sizeof dir, "%s", d);
    free(d);
    return dir;
}

int fx__mkdir(const char *path)
{
    wchar_t *w = wide(path);
    if (!w)
        return -1;
    int rc = _wmkdir(w);
    free(w);
    return rc;
}

char *fx__mkdtemp(char *tmpl)
{
    size_t n = strlen(tmpl);
    if (n < 6 || strcmp(tmpl + n - 6, "XXXXXX") != 0) {
        errno = EINVAL;
        return NULL;
    }
    for (int tries = 0; tries < 100; tries++) {
        fill_random(tmpl + n - 6, 6);
        if (fx__mkdir(tmpl) == 0)
            return tmpl;
        if (errno != EEXIST)
            return NULL;
    }
    return NULL;
}

void fx__fsync_dir(const char *dir)
{
    (void)dir;
}

int fx__link(const char *old, const char *path)
{
    wchar_t *wo = wide(old), *wp = wide(path);
    int rc = -1;
    if (wo && wp) {
        if (CreateHardLinkW(wp, wo, NULL))
            rc = 0;
        else
            errno = win_errno(GetLastError());
    }
    free(wo);
    free(wp);
    return rc;
}

int fx__pid_alive(long pid)
{
    HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
    if (!h)
        return GetLastError() == ERROR_ACCESS_DENIED;
    DWORD code = 0;
    int alive = GetExitCodeProcess(h, &code) && code == STILL_ACTIVE;
    CloseHandle(h);
    return alive;
}

void fx__unsetenv(const char *name)
{
    _putenv_s(name, "");
}

void fx__kill_self(void)
{
    TerminateProcess(GetCurrentProcess(), 137);
}

void fx__stop_self(void)
{
}

char *fx__win_realpath(const char *path, char *resolved)
{
    wchar_t *w = wide(path), full[32768];
    if (!w)
        return NULL;
    DWORD n = GetFullPathNameW(w, 32768, full, NULL);
    free(w);
    if (n == 0 || n >= 32768) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    char *s = narrow(full);
    if (s && resolved) {
        strcpy(resolved, s);
        free(s);
        return resolved;
    }
    return s;
}

int fx__win_isatty(int fd)
{
    DWORD mode;
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    return h != INVALID_HANDLE_VALUE && GetConsoleMode(h, &mode);
}

ssize_t fx__win_write(int fd, const void *buf, size_t n)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    DWORD put;
    if (h == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return -1;
    }
    if (n > 0x40000000)
        n = 0x40000000;
    if (!WriteFile(h, buf, (DWORD)n, &put, NULL)) {
        errno = win_errno(GetLastError());
        return -1;
    }
    return (ssize_t)put;
}

char *fx__win_strerror(int e)
{
    if (e == EBUSY)
        return (char *)"it is open in another program (close it there, then run again)";
    if (e == EILSEQ)
        return (char *)"the name is not valid UTF-8";
    return strerror(e);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    OVERLAPPED ov = {0};
    DWORD got;
    ov.Offset = (DWORD)((uint64_t)off & 0xFFFFFFFF);
    ov.OffsetHigh = (DWORD)((uint64_t)off >> 32);
    if (n > 0x40000000)
        n = 0x40000000;
    if (!ReadFile(h, buf, (DWORD)n, &got, &ov)) {
        DWORD e = GetLastError();
        if (e == ERROR_HANDLE_EOF)
            return 0;
        errno = win_errno(e);
        return -1;
    }
    return (ssize_t)got;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    OVERLAPPED ov = {0};
    DWORD put;
    ov.Offset = (DWORD)((uint64_t)off & 0xFFFFFFFF);
    ov.OffsetHigh = (DWORD)((uint64_t)off >> 32);
    if (n > 0x40000000)
        n = 0x40000000;
    if (!WriteFile(h, buf, (DWORD)n, &put, &ov)) {
        errno = win_errno(GetLastError());
        return -1;
    }
    return (ssize_t)put;
}

void *memmem(const void *hay, size_t hn, const void *needle, size_t nn)
{
    const char *h = hay, *e = h + hn;
    if (nn == 0)
        return (void *)h;
    for (; (size_t)(e - h) >= nn; h++) {
        h = memchr(h, *(const char *)needle, (size_t)(e - h) - nn + 1);
        if (!h)
            return NULL;
        if (memcmp(h, needle, nn) == 0)
            return (void *)h;
    }
    return NULL;
}

void *memrchr(const void *s, int c, size_t n)
{
    const unsigned char *p = (const unsigned char *)s + n;
    while (p > (const unsigned char *)s)
        if (*--p == (unsigned char)c)
            return (void *)p;
    return NULL;
}

struct qsort_ctx {
    int (*cmp)(const void *, const void *, void *);
    void *arg;
};

static int qsort_tramp(void *ctx, const void *a, const void *b)
{
    const struct qsort_ctx *q = ctx;
    return q->cmp(a, b, q->arg);
}

void qsort_r(void *base, size_t n, size_t size,
             int (*cmp)(const void *, const void *, void *), void *arg)
{
    struct qsort_ctx q = {cmp, arg};
    qsort_s(base, n, size, qsort_tramp, &q);
}

char *strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

int fx__fsync(int fd)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE || !FlushFileBuffers(h)) {
        DWORD e = GetLastError();
        errno = e == ERROR_INVALID_HANDLE || e == ERROR_INVALID_FUNCTION ? EINVAL
                                                                        : win_errno(e);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- replace */

/* FILE_RENAME_INFO with FileRenameInfoEx's flags (Windows 10 1709). */
#define FX_RENAME_REPLACE_IF_EXISTS 0x1
#define FX_RENAME_POSIX_SEMANTICS 0x2
#define FX_FileRenameInfoEx 22

/* Rename from to to over an existing file that is open with delete
** sharing (which MoveFileEx cannot replace): POSIX semantics. */
static BOOL rename_posix(const wchar_t *from, const wchar_t *to)
{
    HANDLE h = CreateFileW(from, DELETE | SYNCHRONIZE, SHARE_ALL, NULL, OPEN_EXISTING,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE)
        return FALSE;
    size_t len = wcslen(to) * sizeof(wchar_t);
    size_t size = sizeof(FILE_RENAME_INFO) + len;
    FILE_RENAME_INFO *ri = calloc(1, size);
    BOOL ok = FALSE;
    if (ri) {
        ri->Flags = FX_RENAME_REPLACE_IF_EXISTS | FX_RENAME_POSIX_SEMANTICS;
        ri->FileNameLength = (DWORD)len;
        memcpy(ri->FileName, to, len);
        ok = SetFileInformationByHandle(h, (FILE_INFO_BY_HANDLE_CLASS)FX_FileRenameInfoEx,
                                        ri, (DWORD)size);
        free(ri);
    }
    DWORD e = GetLastError();
    CloseHandle(h);
    SetLastError(e);
    return ok;
}

/* Replace to by from in two moves: to aside (a name beside from), then
** from to to; the old file is then deleted (it goes when the last program
** holding it closes it).  Not atomic: a crash between the two moves leaves
** the old file beside the new one's temporary name; a second move that
** fails is undone. */
static BOOL replace_aside(const wchar_t *from, const wchar_t *to)
{
    size_t n = wcslen(from);
    wchar_t *aside = malloc((n + 5) * sizeof *aside);
    if (!aside) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    memcpy(aside, from, n * sizeof *aside);
    memcpy(aside + n, L".old", 5 * sizeof *aside);
    BOOL ok = MoveFileExW(to, aside, MOVEFILE_WRITE_THROUGH);
    if (ok) {
        ok = MoveFileExW(from, to, MOVEFILE_WRITE_THROUGH);
        DWORD e = GetLastError();
        if (ok)
            DeleteFileW(aside);
        else
            MoveFileExW(aside, to, MOVEFILE_WRITE_THROUGH);
        SetLastError(e);
    }
    free(aside);
    return ok;
}

/* The volume and index that name a file, whatever its path (opened with
** no access, so a file another program holds can still be asked). */
static int file_id(const char *path, BY_HANDLE_FILE_INFORMATION *fi)
{
    wchar_t *w = wide(path);
    if (!w)
        return -1;
    HANDLE h = CreateFileW(w, 0, SHARE_ALL, NULL, OPEN_EXISTING,
                           FILE_FLAG_BACKUP_SEMANTICS, NULL);
    free(w);
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    BOOL ok = GetFileInformationByHandle(h, fi);
    CloseHandle(h);
    return ok ? 0 : -1;
}

int fx__same_file(const char *a, const char *b)
{
    BY_HANDLE_FILE_INFORMATION fa, fb;
    return file_id(a, &fa) == 0 && file_id(b, &fb) == 0 &&
           fa.dwVolumeSerialNumber == fb.dwVolumeSerialNumber &&
           fa.nFileIndexHigh == fb.nFileIndexHigh && fa.nFileIndexLow == fb.nFileIndexLow;
}

int fx__replace(const char *tmp, const char *path)
{
    wchar_t *wf = wide(tmp), *wt = wf ? wide(path) : NULL;
    if (!wt) {
        free(wf);
        return -1;
    }
    DWORD e = 0;
    for (int tries = 0; tries < 12; tries++) {
        if (tries)
            Sleep(tries < 4 ? 10 : 100);
        /* A target held open with delete sharing (our own input, when a
        ** file is rewritten in place) cannot be replaced by MoveFileEx;
        ** rename_posix() can, on Windows 10, and replace_aside() where
        ** there are no POSIX semantics (older systems, wine). */
        if (MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) ||
            rename_posix(wf, wt) || replace_aside(wf, wt)) {
            e = 0;
            break;
        }
        e = GetLastError();
        if (e == ERROR_INVALID_PARAMETER || e == ERROR_NOT_SUPPORTED)
            e = ERROR_ACCESS_DENIED;       /* from rename_posix on an old system */
        if (e != ERROR_ACCESS_DENIED && e != ERROR_SHARING_VIOLATION &&
            e != ERROR_LOCK_VIOLATION)
            break;
    }
    /* Still refused: an existing target that is not read-only is held */
    DWORD attr = GetFileAttributesW(wt);
    free(wf);
    free(wt);
    if (!e)
        return 0;
    errno = win_errno(e);
    if (errno == EACCES && attr != INVALID_FILE_ATTRIBUTES &&
        !(attr & (FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_DIRECTORY)))
        errno = EBUSY;
    return -1;
}

/* ---------------------------------------------------------------- interrupts */

static SRWLOCK interrupt_lock = SRWLOCK_INIT;
static void (*interrupt_cleanup)(void);
static UINT console_cp;                  /* to restore; 0: not changed */
static DWORD console_mode[2];
static HANDLE console_handle[2];

static void console_restore(void)
{
    for (int i = 0; i < 2; i++)
        if (console_handle[i])
            SetConsoleMode(console_handle[i], console_mode[i]);
    if (console_cp)
        SetConsoleOutputCP(console_cp);
}

/* Runs in a thread of its own, then ends the process as Windows' default
** handler does (STATUS_CONTROL_C_EXIT; wine's exits with 0).  The lock is
** kept: nothing changes what was cleaned up before the end. */
static BOOL WINAPI on_ctrl(DWORD event)
{
    (void)event;
    AcquireSRWLockExclusive(&interrupt_lock);
    if (interrupt_cleanup)
        interrupt_cleanup();
    console_restore();
    ExitProcess(0xC000013A);
    return TRUE;
}

void fx__on_interrupt(void (*cleanup)(void))
{
    if (interrupt_cleanup)
        return;
    interrupt_cleanup = cleanup;
    SetConsoleCtrlHandler(on_ctrl, TRUE);
}

void fx__interrupts_block(void)
{
    AcquireSRWLockExclusive(&interrupt_lock);
}

void fx__interrupts_unblock(void)
{
    ReleaseSRWLockExclusive(&interrupt_lock);
}

/* ---------------------------------------------------------------- main */

/* A console on stdout or stderr gets UTF-8 and terminal sequences, as
** they were when the process ends. */
static void console_setup(void)
{
    DWORD std[2] = {STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
    for (int i = 0; i < 2; i++) {
        HANDLE h = GetStdHandle(std[i]);
        DWORD mode;
        if (h == INVALID_HANDLE_VALUE || !h || !GetConsoleMode(h, &mode))
            continue;
        if (!console_cp) {
            console_cp = GetConsoleOutputCP();
            SetConsoleOutputCP(CP_UTF8);
        }
        console_handle[i] = h;
        console_mode[i] = mode;
        SetConsoleMode(h, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING);
    }
    if (console_cp || console_handle[0] || console_handle[1])
        atexit(console_restore);
}

/* A file on standard input whose handle cannot be queried (wine gives
** such a handle for 'fx - <file'; cmd.exe's are real ones) is read through
** a pipe that a thread fills: libarchive needs to query what it reads.
** Done when stdin is first read, never before: a program that does not
** read it leaves it to the next. */
static DWORD WINAPI stdin_copy(void *arg)
{
    HANDLE *h = arg;
    char buf[65536];
    DWORD got, put;
    while (ReadFile(h[0], buf, sizeof buf, &got, NULL) && got > 0)
        for (DWORD off = 0; off < got; off += put)
            if (!WriteFile(h[1], buf + off, got - off, &put, NULL))
                goto done;
done:
    CloseHandle(h[1]);
    return 0;
}

int fx__stdin_fd(void)
{
    static HANDLE h[2];
    static int done;
    if (done++)
        return 0;
    BY_HANDLE_FILE_INFORMATION info;
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE), r;
    if (in == INVALID_HANDLE_VALUE || !in || GetFileType(in) != FILE_TYPE_DISK ||
        GetFileInformationByHandle(in, &info) ||
        !DuplicateHandle(GetCurrentProcess(), in, GetCurrentProcess(), &h[0], 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
        return 0;
    if (!CreatePipe(&r, &h[1], NULL, 65536)) {
        CloseHandle(h[0]);
        return 0;
    }
    int fd = _open_osfhandle((intptr_t)r, O_RDONLY | O_BINARY);
    HANDLE t = fd >= 0 ? CreateThread(NULL, 0, stdin_copy, h, 0, NULL) : NULL;
    if (!t) {
        if (fd >= 0)
            close(fd);
        CloseHandle(h[0]);
        CloseHandle(h[1]);
        return 0;
    }
    CloseHandle(t);
    _dup2(fd, 0);
    close(fd);
    SetStdHandle(STD_INPUT_HANDLE, (HANDLE)_get_osfhandle(0));
    return 0;
}

int fx__win_main(int argc, char **argv, int (*real_main)(int, char **))
{
    /* No error dialog boxes (a missing drive, a crash): messages only. */
    SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX | SEM_NOGPFAULTERRORBOX);
    _setmode(0, O_BINARY);
    _setmode(1, O_BINARY);
    _setmode(2, O_BINARY);
    _fmode = O_BINARY;
    int wargc;
    wchar_t **wargv = CommandLineToArgvW(GetCommandLineW(), &wargc);
    if (wargv) {
        char **u = calloc((size_t)wargc + 1, sizeof *u);
        int ok = u != NULL;
        for (int i = 0; ok && i < wargc; i++)
            ok = (u[i] = narrow(wargv[i])) != NULL;
        LocalFree(wargv);
        if (ok) {                       /* kept to the end, as argv is */
            argc = wargc;
            argv = u;
        }
    }
    if (argc > 0 && argv[0]) {
        /* The program's name as typed: no directory, no ".exe". */
        char *name = argv[0] + fx__path_base(argv[0]);
        size_t n = strlen(name);
        if (n > 4 && strcasecmp(name + n - 4, ".exe") == 0)
            name[n - 4] = '\0';
        argv[0] = name;
    }
    console_setup();
    int rc = real_main(argc, argv);
    return rc;
}
#endif /* _WIN32 */
