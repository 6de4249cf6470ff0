/*
** test_output.c: atomic output (fx_output_*): the file appears only at the
** commit, nothing is left behind by an output freed without a commit (or
** killed by a signal), permission bits are kept, write errors come at the
** commit, devices and pipes are written in place, bad places fail at open.
*/
#include "coretest.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <errno.h>
#include <signal.h>
#include <sys/types.h>

/* How many ".*.fx-*" temporary files dir holds. */
static int temps_in(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] == '.' && strstr(e->d_name, ".fx-"))
            n++;
    closedir(d);
    return n;
}

static int exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

static void put(fx_output *o, const char *s)
{
    fx_error e;
    assert_int_equal(fx_output_write(o, s, strlen(s), &e), 0);
}

static void assert_content(const char *path, const char *want)
{
    size_t n;
    char *s = ct_slurp(path, &n);
    assert_non_null(s);
    assert_int_equal(n, strlen(want));
    assert_string_equal(s, want);
    free(s);
}

static void test_appears_at_commit(void **state)
{
    (void)state;
    const char *p = ct_path("new.json");
    fx_output *o;
    fx_error e;
    assert_int_equal(fx_output_open(&o, p, &e), 0);
    assert_int_equal(temps_in(ct_dir), 1);        /* .new.json.fx-XXXXXX */
    put(o, "[\n");
    put(o, "]\n");
    assert_false(exists(p));
    assert_int_equal(fx_output_commit(o, &e), 0);
    assert_true(exists(p));
    assert_content(p, "[\n]\n");
    assert_int_equal(temps_in(ct_dir), 0);
    assert_int_equal(fx_output_commit(o, &e), 0);  /* twice is harmless */
    fx_output_free(o);
    assert_content(p, "[\n]\n");                   /* free keeps a committed file */
    unlink(p);
}

static void test_old_content_until_commit(void **state)
{
    (void)state;
    const char *p = ct_write_named("old.json", "OLD", 3);
    fx_output *o;
    fx_error e;
    assert_int_equal(fx_output_open(&o, p, &e), 0);
    put(o, "NEW CONTENT");
    assert_content(p, "OLD");
    /* A reader of the path during the writing sees the old file whole. */
    int fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(fx_output_commit(o, &e), 0);
    char b[16] = "";
    assert_int_equal(read(fd, b, sizeof b), 3);
    assert_memory_equal(b, "OLD", 3);
    close(fd);
    assert_content(p, "NEW CONTENT");
    fx_output_free(o);
    unlink(p);
}

static void test_free_without_commit(void **state)
{
    (void)state;
    const char *p = ct_path("aborted.json");
    fx_output *o;
    fx_error e;
    assert_int_equal(fx_output_open(&o, p, &e), 0);
    put(o, "partial");
    assert_int_equal(temps_in(ct_dir), 1);
    fx_output_free(o);
    assert_false(exists(p));
    assert_int_equal(temps_in(ct_dir), 0);

    /* Over an existing file: the file stays as it was. */
    const char *q = ct_write_named("kept.json", "KEEP", 4);
    assert_int_equal(fx_output_open(&o, q, &e), 0);
    char big[300000];
    memset(big, 'x', sizeof big);
    assert_int_equal(fx_output_write(o, big, sizeof big, &e), 0);   /* past the buffer */
    fx_output_free(o);
    assert_content(q, "KEEP");
    assert_int_equal(temps_in(ct_dir), 0);
    fx_output_free(NULL);
    unlink(q);
}

static mode_t mode_of(const char *p)
{
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    return st.st_mode & 07777;
}

static void test_permissions(void **state)
{
    (void)state;
    const char *p = ct_write_named("perm.json", "x", 1);
    static const mode_t modes[] = {0640, 0600, 0755, 0444};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(chmod(p, modes[i]), 0);
        fx_output *o;
        fx_error e;
        assert_int_equal(fx_output_open(&o, p, &e), 0);
        put(o, "y");
        assert_int_equal(fx_output_commit(o, &e), 0);
        fx_output_free(o);
        assert_int_equal(mode_of(p), modes[i]);
        assert_content(p, "y");
    }
    unlink(p);
    /* A new file: 0666 less the umask. */
    mode_t old = umask(027);
    const char *q = ct_path("fresh.json");
    fx_output *o;
    fx_error e;
    assert_int_equal(fx_output_open(&o, q, &e), 0);
    assert_int_equal(fx_output_commit(o, &e), 0);
    fx_output_free(o);
    umask(old);
    assert_int_equal(mode_of(q), 0640);
    assert_content(q, "");
    unlink(q);
}

static void test_large_writes(void **state)
{
    (void)state;
    const char *p = ct_path("large.bin");
    fx_output *o;
    fx_error e;
    assert_int_equal(fx_output_open(&o, p, &e), 0);
    size_t total = 0;
    char *want = malloc(3 * 1024 * 1024);
    /* Small pieces, then pieces bigger than the output buffer. */
    for (int i = 0; i < 20000; i++) {
        char piece[64];
        int k = snprintf(piece, sizeof piece, "record %d\n", i);
        assert_int_equal(fx_output_write(o, piece, (size_t)k, &e), 0);
        memcpy(want + total, piece, (size_t)k);
        total += (size_t)k;
    }
    size_t big = 700 * 1024;
    for (int r = 0; r < 3; r++) {
        for (size_t i = 0; i < big; i++)
            want[total + i] = (char)('a' + (i + (size_t)r) % 26);
        assert_int_equal(fx_output_write(o, want + total, big, &e), 0);
        total += big;
        assert_int_equal(fx_output_write(o, "\n", 1, &e), 0);
        want[total++] = '\n';
    }
    assert_int_equal(fx_output_write(o, "", 0, &e), 0);
    assert_int_equal(fx_output_commit(o, &e), 0);
    fx_output_free(o);
    size_t n;
    char *got = ct_slurp(p, &n);
    assert_int_equal(n, total);
    assert_memory_equal(got, want, total);
    free(got);
    free(want);
    unlink(p);
}

static void test_bad_places(void **state)
{
    (void)state;
    fx_output *o = (fx_output *)1;
    fx_error e;
    memset(&e, 0, sizeof e);
    /* A directory that does not exist (root ignores permissions, so this is
    ** the unwritable place every user has). */
    const char *p = ct_path("no/such/dir/out.json");
    assert_int_equal(fx_output_open(&o, p, &e), FX_EIO);
    assert_null(o);
    assert_int_equal(e.code, FX_EIO);
    assert_string_equal(e.file, p);
    assert_has(e.msg, "No such file or directory");
    assert_has(e.msg, "directory exists and is writable");
    /* A directory as the output. */
    o = (fx_output *)1;
    assert_int_equal(fx_output_open(&o, ct_dir, &e), FX_EIO);
    assert_null(o);
    assert_has(e.msg, "Is a directory");
    /* A directory without write permission, when not root. */
    if (geteuid() != 0) {
        const char *ro = ct_path("ro");
        assert_int_equal(mkdir(ro, 0500), 0);
        char q[1100];
        snprintf(q, sizeof q, "%s/out.json", ro);
        assert_int_equal(fx_output_open(&o, q, &e), FX_EIO);
        assert_has(e.msg, "Permission denied");
        chmod(ro, 0700);
        rmdir(ro);
    }
    assert_int_equal(temps_in(ct_dir), 0);
}

static void test_device_in_place(void **state)
{
    (void)state;
    /* A character device made here (the one /dev/full is) must stay a
    ** device: written in place, the write error at the commit. */
    const char *dev = ct_path("full");
    if (mknod(dev, S_IFCHR | 0666, makedev(1, 7)) != 0) {
        print_message("mknod: %s: the device checks use /dev/null only\n",
                      strerror(errno));
        dev = NULL;
    }
    fx_output *o;
    fx_error e;
    if (dev) {
        assert_int_equal(fx_output_open(&o, dev, &e), 0);
        put(o, "[]");
        int rc = fx_output_commit(o, &e);
        fx_output_free(o);
        struct stat st;
        assert_int_equal(stat(dev, &st), 0);
        assert_true(S_ISCHR(st.st_mode));          /* not replaced by a file */
        assert_int_equal(rc, FX_EIO);
        assert_has(e.msg, "No space left on device");
        assert_int_equal(temps_in(ct_dir), 0);
        unlink(dev);

        /* Now the real /dev/full (safe: written in place, as just seen). */
        assert_int_equal(fx_output_open(&o, "/dev/full", &e), 0);
        put(o, "[]");
        assert_int_equal(fx_output_commit(o, &e), FX_EIO);
        assert_string_equal(e.file, "/dev/full");
        assert_has(e.msg, "cannot write");
        fx_output_free(o);
        assert_int_equal(stat("/dev/full", &st), 0);
        assert_true(S_ISCHR(st.st_mode));
    }
    /* /dev/null takes anything. */
    assert_int_equal(fx_output_open(&o, "/dev/null", &e), 0);
    put(o, "[]");
    assert_int_equal(fx_output_commit(o, &e), 0);
    fx_output_free(o);
    struct stat st;
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
}

static void test_fifo_in_place(void **state)
{
    (void)state;
    const char *fifo = ct_path("pipe");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    /* The reading end first, without waiting, so that nothing can block. */
    int fd = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(fd >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fx_output *o;
        fx_error e;
        alarm(10);
        if (fx_output_open(&o, fifo, &e) || fx_output_write(o, "through", 7, &e) ||
            fx_output_commit(o, &e))
            _exit(1);
        fx_output_free(o);
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    char b[32];
    ssize_t k = read(fd, b, sizeof b);
    close(fd);
    struct stat s;
    assert_int_equal(lstat(fifo, &s), 0);
    assert_true(S_ISFIFO(s.st_mode));             /* not replaced by a file */
    assert_int_equal(k, 7);
    assert_memory_equal(b, "through", 7);
    assert_int_equal(temps_in(ct_dir), 0);
    unlink(fifo);
}

static void test_symlink_target_replaced(void **state)
{
    (void)state;
    const char *target = ct_write_named("target.json", "OLD", 3);
    const char *link = ct_path("link.json");
    assert_int_equal(symlink(target, link), 0);
    fx_output *o;
    fx_error e;
    assert_int_equal(fx_output_open(&o, link, &e), 0);
    put(o, "NEW");
    assert_int_equal(fx_output_commit(o, &e), 0);
    fx_output_free(o);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));             /* still a link ... */
    assert_content(target, "NEW");                /* ... to the new file */
    assert_int_equal(temps_in(ct_dir), 0);
    unlink(link);
    unlink(target);
}

static void test_signal_removes_temp(void **state)
{
    (void)state;
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < 3; i++) {
        const char *p = ct_path("killed.json");
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            fx_output *o;
            fx_error e;
            if (fx_output_open(&o, p, &e) || fx_output_write(o, "part", 4, &e))
                _exit(1);
            raise(sigs[i]);
            _exit(2);                              /* not reached */
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFSIGNALED(st));              /* the signal still kills */
        assert_int_equal(WTERMSIG(st), sigs[i]);
        assert_false(exists(p));
        assert_int_equal(temps_in(ct_dir), 0);
    }
}

static void test_stdout(void **state)
{
    (void)state;
    /* NULL and "-" write to stdout; commit flushes. */
    const char *p = ct_path("stdout.txt");
    fflush(stdout);
    int saved = dup(1);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0 && saved >= 0);
    dup2(fd, 1);
    close(fd);
    fx_output *o, *o2;
    fx_error e;
    int rc1 = fx_output_open(&o, NULL, &e);
    int rc2 = fx_output_open(&o2, "-", &e);
    int w1 = rc1 ? -1 : fx_output_write(o, "one ", 4, &e);
    int c1 = rc1 ? -1 : fx_output_commit(o, &e);
    int w2 = rc2 ? -1 : fx_output_write(o2, "two", 3, &e);
    int c2 = rc2 ? -1 : fx_output_commit(o2, &e);
    fx_output_free(o);
    fx_output_free(o2);
    dup2(saved, 1);
    close(saved);
    assert_int_equal(rc1, 0);
    assert_int_equal(rc2, 0);
    assert_int_equal(w1 | c1 | w2 | c2, 0);
    assert_content(p, "one two");
    assert_int_equal(fcntl(1, F_GETFD), 0);        /* stdout stays open */
    unlink(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appears_at_commit),
        cmocka_unit_test(test_old_content_until_commit),
        cmocka_unit_test(test_free_without_commit),
        cmocka_unit_test(test_permissions),
        cmocka_unit_test(test_large_writes),
        cmocka_unit_test(test_bad_places),
        cmocka_unit_test(test_device_in_place),
        cmocka_unit_test(test_fifo_in_place),
        cmocka_unit_test(test_symlink_target_replaced),
        cmocka_unit_test(test_signal_removes_temp),
        cmocka_unit_test(test_stdout),
    };
    return cmocka_run_group_tests_name("output", tests, ct_setup, ct_teardown);
}
