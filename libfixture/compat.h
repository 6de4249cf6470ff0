/*
** compat.h: the one place where fx meets the platform (after git's
** git-compat-util.h and compat/mingw.h).  Every libfixture file gets it
** through internal.h, every tool through tools/common.h; no other file
** tests _WIN32.
**
** On every platform it declares the few helpers whose behaviour differs
** (compat.c for POSIX, compat_win32.c for Windows): the code calls them
** instead of the POSIX calls.  On Windows (mingw-w64) it also makes the
** POSIX calls that fx uses behave there as fx expects, by redefining them
** (as git does):
**   - file names are UTF-8, as arguments are: open, fopen, stat, unlink,
**     mkstemp convert them to Windows' UTF-16 (the ANSI code page is
**     never used); a file fx opens can still be renamed or replaced by
**     others (FILE_SHARE_DELETE), as on POSIX;
**   - files and the standard streams are binary: fx writes "\n", not
**     "\r\n", and its output is byte for byte the Linux build's;
**   - main() gets its arguments as UTF-8 from the wide command line, and
**     argv[0] is the program's name without directory and ".exe";
**   - a console gets UTF-8 whatever its code page, and terminal sequences
**     (colour) once they are turned on; isatty() is true for a console
**     only (not for NUL, which Windows calls a character device);
**   - strerror() names a sharing violation (EBUSY here) as a file another
**     program holds open; write() says ENOSPC for a full disk and EPIPE
**     for a pipe whose reader is gone (msvcrt's says EINVAL), and Ctrl-C
**     ends the process with STATUS_CONTROL_C_EXIT;
**   - iconv and fnmatch, which mingw-w64 lacks, are compat.c's (headers
**     in libfixture/win32/).
*/
#ifndef FX_COMPAT_H
#define FX_COMPAT_H

#include <stddef.h>
#include <stdio.h>

/* Offset of path's last component: after the last '/' (on Windows also
** '\' and the ':' of a drive, "C:file"). */
size_t fx__path_base(const char *path);

/* An anonymous temporary file, open for reading and writing, removed when
** closed and when the process ends (even killed): tmpfile(3), in TMPDIR
** or /tmp; on Windows in %TEMP% (GetTempPath: TMP, TEMP, the profile),
** deleted on close by the system.  NULL with errno set. */
FILE *fx__tmpfile(void);

/* A new empty file in the temporary directory (TMPDIR or /tmp; on
** Windows %TEMP%), named PREFIX-XXXXXX then SUFFIX (on Windows without
** SUFFIX), for a program to edit.  Its path, malloc'd: the caller unlinks
** and frees it.  NULL with errno set. */
char *fx__temp_named(const char *prefix, const char *suffix);

/* Run editor on path and wait, as git runs $EDITOR: the editor is a
** command line that may hold arguments ("code --wait"), run by sh (on
** Windows by cmd.exe), the path quoted after it.  Its exit status, or -1
** with errno set when it could not run. */
int fx__run_editor(const char *editor, const char *path);

/* The directory temporary files go in: TMPDIR, else /tmp; on Windows
** %TEMP% (GetTempPath, without its final '\').  Static storage. */
const char *fx__tmpdir(void);

/* mkdtemp(3): a new directory, mode 0700, named after tmpl (ending in
** XXXXXX, filled in).  tmpl, or NULL with errno set. */
char *fx__mkdtemp(char *tmpl);

/* mkdir(path, 0700).  0, or -1 with errno (EEXIST when it exists). */
int fx__mkdir(const char *path);

/* Write a directory's entries through to the disk (after a rename in it):
** fsync(2) on the directory; nothing on Windows, whose file system
** journals them. */
void fx__fsync_dir(const char *dir);

/* link(2): a second name for a file; CreateHardLink on Windows.  0, or -1
** with errno set. */
int fx__link(const char *old, const char *path);

/* Is process pid running (a lock's holder)?  1 or 0. */
int fx__pid_alive(long pid);

/* unsetenv(3). */
void fx__unsetenv(const char *name);

/* Tests' hooks: the process killed at once as by SIGKILL (exit 137 on
** Windows), or stopped until continued (SIGSTOP; nothing on Windows). */
void fx__kill_self(void);
void fx__stop_self(void);

/* The environment variable that says where temporary files go, for
** messages ("set TMPDIR to a writable place"). */
#ifdef _WIN32
#define FX_TMPDIR_VAR "TEMP"
#else
#define FX_TMPDIR_VAR "TMPDIR"
#endif

/* Interruptions: cleanup runs when the process is interrupted (SIGINT,
** SIGTERM, SIGHUP; on Windows Ctrl-C, Ctrl-Break, the console closed or
** the session ending), then the process dies as it would have without it.
** Set once, the first call wins; signals already ignored stay ignored.
** Between fx__interrupts_block() and fx__interrupts_unblock() cleanup
** does not run (it waits): for changing what it walks.  Not nested. */
void fx__on_interrupt(void (*cleanup)(void));
void fx__interrupts_block(void);
void fx__interrupts_unblock(void);

/* Put the file tmp in place of path, atomically: rename(2).  On Windows
** an existing path is replaced (MoveFileEx), also while a program holds
** it open with delete sharing (POSIX semantics, Windows 10 1709 and
** later), retried for about a second while another program holds it (an
** indexer, a virus scanner); still held: -1 with errno EBUSY.  0, or -1
** with errno set. */
int fx__replace(const char *tmp, const char *path);

/* Are paths a and b the same existing file, whatever their names (hard
** links, symbolic links, "./x" and "x", on Windows "C:\\x" and "c:/X")?
** Device and inode numbers; on Windows the volume's serial number and the
** file's index (stat() there has no inode).  1 or 0 (0 when either does
** not exist). */
int fx__same_file(const char *a, const char *b);

/* The file descriptor to read standard input from ("-"): 0, made fit
** for libarchive first where the system needs it (compat_win32.c). */
int fx__stdin_fd(void);

/* Write fd's data through to the disk: fsync(2), FlushFileBuffers().
** 0, or -1 with errno (EINVAL: not a file that can be synced). */
int fx__fsync(int fd);

/* fnmatch(3) without flags but FX_FNM_CASEFOLD (ASCII letters), byte by
** byte as in the C locale: '*', '?', '[...]' with ranges and '!' or '^',
** '\' quoting.  0 on a match, else FX_FNM_NOMATCH. */
#define FX_FNM_NOMATCH 1
#define FX_FNM_CASEFOLD 16
int fx__fnmatch(const char *pattern, const char *string, int flags);

/* timegm(3) and gmtime_r(3) for every year of the proleptic Gregorian
** calendar (msvcrt's refuse the years before 1970): fields out of range
** carry over, as glibc's do.  gmtime: NULL past what struct tm holds. */
#include <time.h>
time_t fx__timegm(struct tm *tm);
struct tm *fx__gmtime_r(const time_t *t, struct tm *tm);

/* iconv(3) for the encodings fx converts between: UTF-8, UTF-16LE,
** UTF-16BE, UTF-32LE, UTF-32BE, ISO-8859-1, WINDOWS-1252, CP850, CP437
** (names in any case), with glibc's results and errors: EILSEQ at an
** invalid or unrepresentable character, EINVAL at an incomplete one at
** the end of the input, E2BIG when the output is full.  Stateless: no
** byte-order mark is read or written.  open: NULL with errno EINVAL for
** another pair. */
typedef struct fx__iconv_cd fx__iconv_cd;
fx__iconv_cd *fx__iconv_open(const char *to, const char *from);
size_t fx__iconv(fx__iconv_cd *cd, char **in, size_t *inleft, char **out, size_t *outleft);
int fx__iconv_close(fx__iconv_cd *cd);

#ifdef _WIN32
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

int fx__win_open(const char *path, int flags, ...);
FILE *fx__win_fopen(const char *path, const char *mode);
int fx__win_stat(const char *path, struct _stat64 *st);
int fx__win_unlink(const char *path);
int fx__win_mkstemp(char *tmpl);
int fx__win_isatty(int fd);
ssize_t fx__win_write(int fd, const void *buf, size_t n);
char *fx__win_strerror(int e);
char *fx__win_realpath(const char *path, char *resolved);
int fx__win_main(int argc, char **argv, int (*real_main)(int, char **));

#undef open
#define open fx__win_open
#undef fopen
#define fopen fx__win_fopen
/* "struct stat" is struct _stat64 (64-bit sizes and times), and stat()
** is fx__win_stat (git's trick: stat -> _stat64 -> _stat64(x, y)). */
#undef stat
#undef fstat
#define stat _stat64
#define fstat _fstat64
#define _stat64(path, st) fx__win_stat(path, st)
#define lstat stat
#ifndef S_ISLNK
#define S_ISLNK(m) 0
#endif
#define unlink fx__win_unlink
#define mkstemp fx__win_mkstemp
#define isatty fx__win_isatty
#define write fx__win_write
#define strerror fx__win_strerror
#define realpath fx__win_realpath
#define tmpfile fx__tmpfile

ssize_t pread(int fd, void *buf, size_t n, off_t off);
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off);
void *memmem(const void *hay, size_t hn, const void *needle, size_t nn);
void *memrchr(const void *s, int c, size_t n);
char *strndup(const char *s, size_t n);
/* glibc's argument order (msvcrt's qsort_s passes the context first) */
void qsort_r(void *base, size_t n, size_t size,
             int (*cmp)(const void *, const void *, void *), void *arg);
#define timegm fx__timegm
#undef gmtime_r
#define gmtime_r fx__gmtime_r

/* NTFS has no mode bits: a new file gets its directory's permissions. */
static inline int fchmod(int fd, int mode)
{
    (void)fd, (void)mode;
    return 0;
}

/* Every tool's main() runs behind fx__win_main(), which sets up the
** process (above) and passes the UTF-8 arguments. */
#define main(c, v)                                                           \
    fx__main_unused(void);                                                   \
    static int fx__real_main(int, char **);                                  \
    int main(int argc, char **argv)                                          \
    {                                                                        \
        return fx__win_main(argc, argv, fx__real_main);                      \
    }                                                                        \
    static int fx__real_main(c, v)
#endif /* _WIN32 */

#endif
