/*
** test_compat.c: what compat.c writes for Windows, where mingw-w64 lacks
** it, checked here against glibc: fx__timegm() and fx__gmtime_r() as
** timegm(3) and gmtime_r(3) (before 1970 too), fx__fnmatch() as fnmatch(3)
** in the C locale, fx__iconv() as iconv(3) for every pair fx converts (results,
** bytes consumed and written, errno), on every byte of the code pages, on
** characters around each limit of UTF-8/16/32, and on random bytes.
*/
#include "coretest.h"
#include "compat.h"

#include <errno.h>
#include <fnmatch.h>
#include <iconv.h>

static void test_path_base(void **state)
{
    (void)state;
    assert_int_equal(fx__path_base("file.json"), 0);
    assert_int_equal(fx__path_base("dir/file.json"), 4);
    assert_int_equal(fx__path_base("/a/b/c"), 5);
    assert_int_equal(fx__path_base("/"), 1);
    assert_int_equal(fx__path_base(""), 0);
}

static void test_time(void **state)
{
    (void)state;
    static const long long ts[] = {0, -1, 1, 86399, 86400, -86400, -86401, 951782400,
                                   951868799, -2208988800LL, -62135596800LL, 253402300799LL,
                                   4102444800LL, -12219292800LL, 1700000000};
    for (size_t i = 0; i < sizeof ts / sizeof *ts + 2000; i++) {
        time_t t = i < sizeof ts / sizeof *ts ? (time_t)ts[i]
                 : (time_t)(((long long)i * 7919 * 86400 + (long long)i * 3607) - 40000000000LL);
        struct tm a, b;
        assert_non_null(gmtime_r(&t, &a));
        assert_non_null(fx__gmtime_r(&t, &b));
        if (a.tm_year != b.tm_year || a.tm_mon != b.tm_mon || a.tm_mday != b.tm_mday ||
            a.tm_hour != b.tm_hour || a.tm_min != b.tm_min || a.tm_sec != b.tm_sec ||
            a.tm_wday != b.tm_wday || a.tm_yday != b.tm_yday)
            fail_msg("gmtime(%lld): glibc %d-%d-%d %d:%d:%d w%d y%d, fx %d-%d-%d %d:%d:%d w%d y%d",
                     (long long)t, a.tm_year, a.tm_mon, a.tm_mday, a.tm_hour, a.tm_min,
                     a.tm_sec, a.tm_wday, a.tm_yday, b.tm_year, b.tm_mon, b.tm_mday,
                     b.tm_hour, b.tm_min, b.tm_sec, b.tm_wday, b.tm_yday);
        /* and back, also with fields out of range (an offset applied) */
        for (int off = -900; off <= 900; off += 450) {
            struct tm x = a, y = a;
            x.tm_min += off, y.tm_min += off;
            x.tm_mon += off / 45, y.tm_mon += off / 45;
            time_t gx = timegm(&x), fy = fx__timegm(&y);
            if (gx != fy || x.tm_mday != y.tm_mday || x.tm_mon != y.tm_mon ||
                x.tm_year != y.tm_year || x.tm_hour != y.tm_hour)
                fail_msg("timegm of gmtime(%lld) shifted %d: glibc %lld, fx %lld",
                         (long long)t, off, (long long)gx, (long long)fy);
        }
    }
}

static void test_fnmatch(void **state)
{
    (void)state;
    static const char *const pats[] = {
        "*", "?", "a*", "*.json", "auth.*", "AUTH.*", "a?c", "[abc]*", "[!abc]*",
        "[^abc]*", "[a-c]x", "[A-C]x", "[]]x", "[!]]x", "[a-]x", "\\*x", "x\\", "[",
        "[abc", "a*b*c", "*a*a*a*b", "stock.*item*", "*.*", "", "\\[x]", "[\\]]x",
        "**", "a**b", "*[", "[z-a]x",
    };
    static const char *const strs[] = {
        "", "a", "abc", "a.json", "auth.user", "AUTH.User", "abx", "bx", "Bx", "]x",
        "-x", "*x", "x\\", "x", "[", "[abc", "aXbYc", "aaaab", "aaab", "ab",
        "stock.stockitem", "stock.item", ".", "[x]", "\\]x", "zx", "é.x",
    };
    for (size_t i = 0; i < sizeof pats / sizeof *pats; i++)
        for (size_t j = 0; j < sizeof strs / sizeof *strs; j++)
            for (int fold = 0; fold < 2; fold++) {
                int want = fnmatch(pats[i], strs[j], fold ? FNM_CASEFOLD : 0) == 0;
                int got = fx__fnmatch(pats[i], strs[j], fold ? FX_FNM_CASEFOLD : 0) == 0;
                if (want != got)
                    fail_msg("fnmatch('%s', '%s', %s): glibc %d, fx %d", pats[i], strs[j],
                             fold ? "FNM_CASEFOLD" : "0", want, got);
            }
}

/* Convert in[0..n) with both, out of room bytes; fail unless they agree. */
static void same(const char *to, const char *from, const unsigned char *in, size_t n,
                 size_t room)
{
    char ob1[256], ob2[256];
    assert_true(room <= sizeof ob1);
    iconv_t g = iconv_open(to, from);
    fx__iconv_cd *f = fx__iconv_open(to, from);
    assert_true(g != (iconv_t)-1);
    assert_non_null(f);
    char *i1 = (char *)in, *i2 = (char *)in, *o1 = ob1, *o2 = ob2;
    size_t l1 = n, l2 = n, r1 = room, r2 = room;
    errno = 0;
    size_t k1 = iconv(g, &i1, &l1, &o1, &r1);
    int e1 = errno;
    errno = 0;
    size_t k2 = fx__iconv(f, &i2, &l2, &o2, &r2);
    int e2 = errno;
    int ok = k1 == k2 && l1 == l2 && r1 == r2 && memcmp(ob1, ob2, room - r1) == 0 &&
             (k1 != (size_t)-1 || e1 == e2);
    if (!ok) {
        char hex[3 * 64 + 1] = "";
        for (size_t i = 0; i < n && i < 64; i++)
            snprintf(hex + 3 * i, 4, "%02X ", in[i]);
        fail_msg("%s -> %s of [%s], room %zu: glibc %zd (%s), %zu left, %zu written; "
                 "fx %zd (%s), %zu left, %zu written", from, to, hex, room, (ssize_t)k1,
                 k1 == (size_t)-1 ? strerror(e1) : "ok", l1, room - r1, (ssize_t)k2,
                 k2 == (size_t)-1 ? strerror(e2) : "ok", l2, room - r2);
    }
    iconv_close(g);
    fx__iconv_close(f);
}

static const char *const decoders[] = {"UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE",
                                       "ISO-8859-1", "WINDOWS-1252", "CP850", "CP437"};
static const char *const pages[] = {"ISO-8859-1", "WINDOWS-1252", "CP850", "CP437"};
/* what UTF-8 is converted into: the code pages, and UTF-16 and UTF-32 (a
** file fxresolve writes back in the encoding it had) */
static const char *const encoders[] = {"ISO-8859-1", "WINDOWS-1252", "CP850", "CP437",
                                       "UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE"};

static void test_iconv_bytes(void **state)
{
    (void)state;
    for (size_t d = 0; d < sizeof pages / sizeof *pages; d++)
        for (unsigned b = 0; b < 256; b++) {
            unsigned char in[2] = {(unsigned char)b, 'x'};
            same("UTF-8", pages[d], in, 2, 64);
        }
    /* Every character of the code pages back from UTF-8, and some others. */
    for (uint32_t c = 0; c < 0x2600; c++) {
        unsigned char in[4];
        size_t n = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        if (c >= 0xD800 && c < 0xE000)
            continue;
        if (n == 1)
            in[0] = (unsigned char)c;
        else if (n == 2)
            in[0] = (unsigned char)(0xC0 | c >> 6), in[1] = (unsigned char)(0x80 | (c & 0x3F));
        else
            in[0] = (unsigned char)(0xE0 | c >> 12),
            in[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F)),
            in[2] = (unsigned char)(0x80 | (c & 0x3F));
        for (size_t d = 0; d < sizeof encoders / sizeof *encoders; d++)
            same(encoders[d], "UTF-8", in, n, 64);
    }
}

static void test_iconv_limits(void **state)
{
    (void)state;
    static const uint32_t cps[] = {0, 0x41, 0x7F, 0x80, 0xE9, 0x7FF, 0x800, 0xD7FF, 0xD800,
                                   0xDBFF, 0xDC00, 0xDFFF, 0xE000, 0xFEFF, 0xFFFD, 0xFFFF,
                                   0x10000, 0x1F60A, 0x10FFFF, 0x110000, 0x7FFFFFFF};
    for (size_t i = 0; i < sizeof cps / sizeof *cps; i++) {
        uint32_t c = cps[i];
        unsigned char le[4] = {(unsigned char)c, (unsigned char)(c >> 8),
                               (unsigned char)(c >> 16), (unsigned char)(c >> 24)};
        unsigned char be[4] = {le[3], le[2], le[1], le[0]};
        for (size_t n = 0; n <= 4; n++) {
            same("UTF-8", "UTF-32LE", le, n, 64);
            same("UTF-8", "UTF-32BE", be, n, 64);
        }
        unsigned char l16[2] = {le[0], le[1]}, b16[2] = {le[1], le[0]};
        same("UTF-8", "UTF-16LE", l16, 2, 64);
        same("UTF-8", "UTF-16BE", b16, 2, 64);
    }
    /* surrogate pairs, whole, cut and broken */
    static const unsigned char pairs[][4] = {
        {0x3D, 0xD8, 0x0A, 0xDE}, {0x3D, 0xD8, 0x41, 0x00}, {0x0A, 0xDE, 0x3D, 0xD8},
        {0x3D, 0xD8, 0x3D, 0xD8}, {0xFF, 0xDB, 0xFF, 0xDF},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++)
        for (size_t n = 0; n <= 4; n++) {
            unsigned char sw[4] = {pairs[i][1], pairs[i][0], pairs[i][3], pairs[i][2]};
            same("UTF-8", "UTF-16LE", pairs[i], n, 64);
            same("UTF-8", "UTF-16BE", sw, n, 64);
        }
    /* UTF-8 sequences, cut and broken, into a code page */
    static const char *const u8[] = {
        "\xC3\xA9", "\xC3", "\xC3\x28", "\xC0\x80", "\xC1\xBF", "\xE2\x82\xAC", "\xE2\x82",
        "\xE2", "\xE0\x80\x80", "\xE0\xA0\x80", "\xED\xA0\x80", "\xED\x9F\xBF", "\xEF\xBF\xBF",
        "\xF0\x9F\x98\x8A", "\xF0\x9F\x98", "\xF0\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF",
        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\x80", "\xE2\x28\xA1",
    };
    for (size_t i = 0; i < sizeof u8 / sizeof *u8; i++)
        for (size_t d = 0; d < sizeof encoders / sizeof *encoders; d++)
            same(encoders[d], "UTF-8", (const unsigned char *)u8[i], strlen(u8[i]), 64);
}

static void test_iconv_random(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    unsigned char in[24];
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(round % 24);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* mostly small values, so that more of them are characters */
            in[i] = (unsigned char)((x >> 8) % 4 == 0 ? x : (x & 0x3F) | (x & 0x100 ? 0xC0 : 0));
        }
        size_t room = round % 5 == 0 ? (size_t)(round % 7) : 96;
        for (size_t d = 0; d < sizeof decoders / sizeof *decoders; d++)
            same("UTF-8", decoders[d], in, n, room);
        for (size_t d = 0; d < sizeof encoders / sizeof *encoders; d++)
            same(encoders[d], "UTF-8", in, n, room);
    }
}

static void test_iconv_open(void **state)
{
    (void)state;
    errno = 0;
    assert_null(fx__iconv_open("UTF-16LE", "CP850"));    /* not converted by fx */
    assert_int_equal(errno, EINVAL);
    assert_null(fx__iconv_open("UTF-8", "EBCDIC-US"));
    fx__iconv_cd *cd = fx__iconv_open("utf-8", "windows-1252");
    assert_non_null(cd);
    assert_int_equal(fx__iconv(cd, NULL, NULL, NULL, NULL), 0);   /* reset */
    fx__iconv_close(cd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_base),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_fnmatch),
        cmocka_unit_test(test_iconv_bytes),
        cmocka_unit_test(test_iconv_limits),
        cmocka_unit_test(test_iconv_random),
        cmocka_unit_test(test_iconv_open),
    };
    return cmocka_run_group_tests_name("compat", tests, NULL, NULL);
}
