/*
** input.c: the byte source under the reader.  Opens a file or stdin,
** undoes any compression loaddata reads (gzip, bzip2, xz, lzma, single-file
** zip: libarchive, detected by content, never by name) and turns the text
** into UTF-8: a UTF-8 BOM is passed on (the reader skips it), UTF-16 (what
** PowerShell 5's '>' writes) and UTF-32, told by their BOM or their zero
** bytes, are converted with iconv(3).
**
** It also knows what loaddata makes of the encoding (fx__input_verdict()),
** as Django 3.2 reads a fixture file: the json deserializer decodes the
** whole file as UTF-8, BOM included, so it refuses a BOM and UTF-16/32; the
** jsonl one hands each line's bytes to json.loads(), which guesses each
** line's encoding, so a BOM is taken (on a line that holds a record), and
** big-endian UTF-16/32 too, unless a character's code holds the byte 0x0A,
** where the line is cut.
*/
#include "input.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#define RAW_BLOCK (256 * 1024)

struct fx__input {
    struct archive *a;
    const char *name;         /* borrowed from the reader */
    fx_diag_fn diag;
    void *ctx;
    int zip;                  /* reading a zip member */
    int filter;               /* ARCHIVE_FILTER_* of the compression */
    fx__encoding enc;
    int bom;                  /* the text began with a byte-order mark */
    int said;                 /* fx__input_verdict() was called */
    /* Big-endian UTF-16/32: the place of the next code unit, and the first
    ** character whose code holds a 0x0A byte (loaddata cuts a jsonl line
    ** there); cut_report: say it when met (the file is jsonl). */
    unsigned long u_line, u_col;
    uint32_t high;            /* a high surrogate waiting for its pair */
    int cut_found, cut_report, cut_strict;
    uint32_t cut_cp;
    unsigned long cut_line, cut_col;
    uint64_t cut_off;
    iconv_t cd;               /* (iconv_t)-1 unless UTF-16 or UTF-32 */
    char *raw;                /* UTF-16/32 bytes waiting for conversion */
    size_t rawlen, rawcap;
    uint64_t rawoff;          /* offset of raw[0] in the undecoded text */
    char peek[4];             /* first bytes, read ahead for the BOM */
    size_t npeek, peekpos;
    int eof;
    int fd;                   /* ours to close, unless stdin */
    /* Seekable inputs: the decoded text is read back from sfd, which is the
    ** file itself for a plain UTF-8 file, else an unlinked temporary file
    ** (the spool) that keeps what was read. */
    int seekable, plain;
    int sfd;                  /* -1 when not seekable */
    uint64_t slen, spos;      /* bytes in sfd; next to read */
};

static int arch_err(fx__input *in, fx_error *err, const char *what)
{
    const char *m = archive_error_string(in->a);
    return fx_error_set(err, FX_EIO, in->name, 0, 0, 0, "%s: %s", what,
                        m ? m : "unknown error");
}

/* Read up to n undecoded bytes from the archive. */
static ssize_t read_archive(fx__input *in, char *buf, size_t n, fx_error *err)
{
    if (in->eof)
        return 0;
    la_ssize_t got = archive_read_data(in->a, buf, n);
    if (got < 0)
        return arch_err(in, err, "cannot read or decompress the input (a damaged "
                                 "or truncated compressed file?)");
    if (got == 0) {
        in->eof = 1;
        if (in->zip) {
            struct archive_entry *e;
            int rc = archive_read_next_header(in->a, &e);
            if (rc == ARCHIVE_OK)
                return fx_error_set(err, FX_EFORMAT, in->name, 0, 0, 0,
                                    "zip archive holds more than one file: "
                                    "loaddata reads single-file zips only; "
                                    "extract the fixture you want with unzip");
        }
    }
    return (ssize_t)got;
}

/* Read up to n undecoded bytes: what was peeked first, then the archive. */
static ssize_t read_undecoded(fx__input *in, char *buf, size_t n, fx_error *err)
{
    if (in->peekpos < in->npeek) {
        size_t k = in->npeek - in->peekpos;
        if (k > n)
            k = n;
        memcpy(buf, in->peek + in->peekpos, k);
        in->peekpos += k;
        return (ssize_t)k;
    }
    return read_archive(in, buf, n, err);
}

static int start(fx__input **out, fx__input *in, const void *text, size_t n, int seekable,
                 fx_error *err);

/* A new input on nothing yet (fd -1). */
static fx__input *input_new(const char *name, int seekable, fx_diag_fn diag, void *ctx)
{
    fx__input *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    in->name = name;
    in->diag = diag;
    in->ctx = ctx;
    in->cd = (iconv_t)-1;
    in->sfd = -1;
    in->fd = -1;
    in->seekable = seekable;
    return in;
}

int fx__input_open(fx__input **out, const char *name, int seekable,
                   fx_diag_fn diag, void *ctx, fx_error *err)
{
    *out = NULL;
    fx__input *in = input_new(name, seekable, diag, ctx);
    if (!in)
        return fx_error_set(err, FX_ENOMEM, name, 0, 0, 0, "out of memory");
    int fd = strcmp(name, "-") == 0 ? fx__stdin_fd() : 0;
    if (strcmp(name, "-") != 0) {
        fd = open(name, O_RDONLY);
        struct stat st;
        int dir = fd < 0 && errno == EISDIR;        /* Windows opens no directory */
        if (!dir && (fd < 0 || fstat(fd, &st) < 0)) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            free(in);
            return fx_error_set(err, FX_EIO, name, 0, 0, 0,
                                "cannot open: %s", strerror(e));
        }
        if (dir || S_ISDIR(st.st_mode)) {
            if (fd >= 0)
                close(fd);
            free(in);
            return fx_error_set(err, FX_EIO, name, 0, 0, 0,
                                "is a directory: give the fixture files inside it");
        }
    }
    in->fd = fd;
    return start(out, in, NULL, 0, seekable, err);
}

int fx__input_open_mem(fx__input **out, const char *name, const void *text, size_t n,
                       int seekable, fx_diag_fn diag, void *ctx, fx_error *err)
{
    *out = NULL;
    fx__input *in = input_new(name, seekable, diag, ctx);
    if (!in)
        return fx_error_set(err, FX_ENOMEM, name, 0, 0, 0, "out of memory");
    return start(out, in, text ? text : "", n, seekable, err);
}

/* Open the archive on in->fd, or on text[0..n) when text is set, and find
** the compression and the encoding. */
static int start(fx__input **out, fx__input *in, const void *text, size_t n, int seekable,
                 fx_error *err)
{
    const char *name = in->name;
    int fd = in->fd;
    in->a = archive_read_new();
    if (!in->a) {
        fx__input_free(in);
        return fx_error_set(err, FX_ENOMEM, name, 0, 0, 0, "out of memory");
    }
    /* What loaddata reads, and nothing else (no zstd, lz4, ...). */
    archive_read_support_filter_gzip(in->a);
    archive_read_support_filter_bzip2(in->a);
    archive_read_support_filter_xz(in->a);
    archive_read_support_filter_lzma(in->a);
    archive_read_support_format_zip(in->a);
    archive_read_support_format_raw(in->a);
    archive_read_support_format_empty(in->a);
    int rc = text ? archive_read_open_memory(in->a, text, n)
                  : archive_read_open_fd(in->a, fd, RAW_BLOCK);
    struct archive_entry *e;
    if (rc == ARCHIVE_OK)
        rc = archive_read_next_header(in->a, &e);
    if (rc == ARCHIVE_EOF) {
        in->eof = 1;                                 /* an empty input */
    } else if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        rc = arch_err(in, err, "cannot read the input");
        fx__input_free(in);
        return rc;
    } else {
        in->zip = archive_format(in->a) == ARCHIVE_FORMAT_ZIP;
        in->filter = archive_filter_code(in->a, 0);
        if (archive_filter_count(in->a) > 2) {      /* "none" + one layer */
            rc = fx_error_set(err, FX_EFORMAT, name, 0, 0, 0,
                              "compressed twice (%s inside %s): loaddata undoes "
                              "one layer only; decompress it once",
                              archive_filter_name(in->a, 0),
                              archive_filter_name(in->a, 1));
            fx__input_free(in);
            return rc;
        }
    }
    /* Peek at the first bytes for a byte-order mark. */
    while (in->npeek < 4) {
        ssize_t k = read_archive(in, in->peek + in->npeek, 4 - in->npeek, err);
        if (k < 0) {
            fx__input_free(in);
            return (int)k;
        }
        if (k == 0)
            break;
        in->npeek += (size_t)k;
    }
    unsigned char *b = (unsigned char *)in->peek;
    size_t np = in->npeek;
    /* A BOM, else the zero bytes of "[" or "{" (as Python's json guesses). */
    if (np >= 4 && b[0] == 0xFF && b[1] == 0xFE && b[2] == 0 && b[3] == 0)
        in->enc = FX__ENC_UTF32LE, in->bom = 4;
    else if (np >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xFE && b[3] == 0xFF)
        in->enc = FX__ENC_UTF32BE, in->bom = 4;
    else if (np >= 2 && b[0] == 0xFF && b[1] == 0xFE)
        in->enc = FX__ENC_UTF16LE, in->bom = 2;
    else if (np >= 2 && b[0] == 0xFE && b[1] == 0xFF)
        in->enc = FX__ENC_UTF16BE, in->bom = 2;
    else if (np >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
        in->enc = FX__ENC_UTF8, in->bom = 3;    /* passed on: the reader skips it */
    else if (np >= 4 && b[0] != 0 && b[1] == 0 && b[2] == 0 && b[3] == 0)
        in->enc = FX__ENC_UTF32LE;
    else if (np >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] != 0)
        in->enc = FX__ENC_UTF32BE;
    else if (np >= 2 && b[1] == 0 && b[0] != 0)
        in->enc = FX__ENC_UTF16LE;
    else if (np >= 2 && b[0] == 0 && b[1] != 0)
        in->enc = FX__ENC_UTF16BE;
    if (in->enc != FX__ENC_UTF8) {
        const char *from = fx__encoding_name(in->enc);
        in->peekpos = (size_t)in->bom;
        in->rawoff = (uint64_t)in->bom;
        in->u_line = in->u_col = 1;
        in->cd = iconv_open("UTF-8", from);
        if (in->cd == (iconv_t)-1) {
            fx__input_free(in);
            return fx_error_set(err, FX_EFORMAT, name, 0, 0, 0,
                                "cannot convert from %s: %s", from, strerror(errno));
        }
    }
    if (seekable) {
        struct stat st;
        if (in->cd == (iconv_t)-1 && !text && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            (in->eof || (archive_filter_code(in->a, 0) == ARCHIVE_FILTER_NONE &&
                         archive_format(in->a) == ARCHIVE_FORMAT_RAW))) {
            in->plain = 1;            /* read the file itself, from the start */
            in->sfd = fd;
            in->slen = (uint64_t)st.st_size;
        } else {
            FILE *t = fx__tmpfile();
            in->sfd = t ? dup(fileno(t)) : -1;
            if (t)
                fclose(t);
            if (in->sfd < 0) {
                int serr = errno;
                fx__input_free(in);
                return fx_error_set(err, FX_EIO, name, 0, 0, 0,
                                    "cannot make a temporary file to read it "
                                    "twice: %s; set " FX_TMPDIR_VAR " to a writable place",
                                    strerror(serr));
            }
        }
    }
    *out = in;
    return 0;
}

const char *fx__encoding_name(fx__encoding e)
{
    static const char *const names[] = {"UTF-8", "UTF-16LE", "UTF-16BE", "UTF-32LE",
                                        "UTF-32BE"};
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "UTF-8";
}

/* The character c as UTF-8 and U+XXXX, for messages, into buf[0..n). */
static const char *show_cp(uint32_t c, char *buf, size_t n)
{
    unsigned char u[5];
    size_t k = 0;
    if (c < 0x80) {
        snprintf(buf, n, "U+%04X", c);
        return buf;
    }
    if (c < 0x800)
        u[k++] = (unsigned char)(0xC0 | c >> 6);
    else if (c < 0x10000)
        u[k++] = (unsigned char)(0xE0 | c >> 12), u[k++] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
    else
        u[k++] = (unsigned char)(0xF0 | c >> 18), u[k++] = (unsigned char)(0x80 | (c >> 12 & 0x3F)),
        u[k++] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
    u[k++] = (unsigned char)(0x80 | (c & 0x3F));
    u[k] = 0;
    snprintf(buf, n, "'%s' (U+%04X)", (c >= 0xD800 && c <= 0xDFFF) ? "?" : (char *)u, c);
    return buf;
}

static void say_cut(fx__input *in)
{
    char ch[32];
    const char *enc = fx__encoding_name(in->enc);
    in->cut_report = 0;
    fx__diag(in->diag, in->ctx, in->cut_strict ? FX_ERR : FX_WARNING, in->name,
             in->cut_line, in->cut_col, 0, "encoding",
             "%s, whose %s code holds the byte 0x0A: loaddata reads a %s jsonl file "
             "line by line, cuts this line there and fails; write a UTF-8 copy with "
             "'fxfilter %s -o OUT'", show_cp(in->cut_cp, ch, sizeof ch), enc, enc,
             in->name);
}

/* Big-endian UTF-16 or UTF-32: follow the places of the code units in
** p[0..n) (whole characters, as iconv consumed them) and remember the
** first character one of whose code units holds a byte 0x0A, other than a
** line feed itself: where loaddata would cut a jsonl line. */
static void scan_be(fx__input *in, const unsigned char *p, size_t n)
{
    size_t w = in->enc == FX__ENC_UTF32BE ? 4 : 2;
    for (size_t i = 0; i + w <= n; i += w) {
        uint32_t u = w == 4 ? (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 |
                              (uint32_t)p[i + 2] << 8 | p[i + 3]
                            : (uint32_t)p[i] << 8 | p[i + 1];
        if (u == 0x0A) {
            in->u_line++;
            in->u_col = 1;
            continue;
        }
        int high = w == 2 && u >= 0xD800 && u <= 0xDBFF;
        int low = w == 2 && u >= 0xDC00 && u <= 0xDFFF;
        if (!in->cut_found && memchr(p + i, 0x0A, w)) {
            uint32_t c = u;
            if (low && in->high)
                c = 0x10000 + ((in->high - 0xD800) << 10) + (u - 0xDC00);
            else if (high && i + 4 <= n)
                c = 0x10000 + ((u - 0xD800) << 10) + (((uint32_t)p[i + 2] << 8 | p[i + 3]) - 0xDC00);
            in->cut_found = 1;
            in->cut_cp = c;
            in->cut_line = in->u_line;
            in->cut_col = low ? in->u_col - 1 : in->u_col;
            if (in->cut_report)
                say_cut(in);
        }
        in->high = high ? u : 0;
        if (!low)
            in->u_col++;
    }
}

/* Convert what raw holds into buf; keeps an incomplete sequence for later. */
static ssize_t convert(fx__input *in, char *buf, size_t n, fx_error *err)
{
    char *src = in->raw, *dst = buf;
    size_t srclen = in->rawlen, dstlen = n;
    size_t r = iconv(in->cd, &src, &srclen, &dst, &dstlen);
    int utf32 = in->enc == FX__ENC_UTF32LE || in->enc == FX__ENC_UTF32BE;
    if (r == (size_t)-1 && errno == EILSEQ)
        return fx_error_set(err, FX_EFORMAT, in->name, 0, 0,
                            in->rawoff + (uint64_t)(src - in->raw),
                            "invalid %s at byte %llu (%s): the file is damaged; "
                            "re-export it with 'manage.py dumpdata -o FILE'",
                            fx__encoding_name(in->enc),
                            (unsigned long long)(in->rawoff + (uint64_t)(src - in->raw)),
                            utf32 ? "not a character" : "a lone surrogate?");
    size_t used = in->rawlen - srclen;
    if (in->enc == FX__ENC_UTF16BE || in->enc == FX__ENC_UTF32BE)
        scan_be(in, (const unsigned char *)in->raw, used);
    memmove(in->raw, in->raw + used, srclen);
    in->rawlen = srclen;
    in->rawoff += used;
    return (ssize_t)(dst - buf);
}

const char *fx__input_filter(const fx__input *in)
{
    if (in->zip)
        return "zip";
    switch (in->filter) {
    case ARCHIVE_FILTER_GZIP: return "gzip";
    case ARCHIVE_FILTER_BZIP2: return "bzip2";
    case ARCHIVE_FILTER_XZ: return "xz";
    case ARCHIVE_FILTER_LZMA: return "lzma";
    default: return NULL;
    }
}

/* The compression the content has, as loaddata names it in a file name
** ("gz"), or NULL for none. */
static const char *content_compression(const fx__input *in)
{
    const char *f = fx__input_filter(in);
    return !f ? NULL : !strcmp(f, "gzip") ? "gz" : !strcmp(f, "bzip2") ? "bz2" : f;
}

fx__encoding fx__input_encoding(const fx__input *in, int *bom)
{
    *bom = in->bom > 0 && in->enc != FX__ENC_UTF8;
    return in->enc;
}

/* loaddata does not look inside a file to know how to read it: it splits
** the name as given (Django 3.2, loaddata.py parse_name(): rsplit('.', 2),
** a last part among gz zip bz2 lzma xz is the compression, then the part
** before it must be a serialization format) and reads the file that way.
** Say so when the name and the content disagree.  "-" is not checked:
** loaddata then reads the format from --format. */
void fx__input_name_verdict(fx__input *in, int jsonl)
{
    fx_severity sev = FX_ERR;
    const char *n = in->name;
    if (strcmp(n, "-") == 0)
        return;
    /* Up to three parts from the right, as rsplit('.', 2). */
    const char *dot2 = strrchr(n, '.'), *dot1 = NULL;
    if (dot2)
        for (const char *p = dot2; p > n;)
            if (*--p == '.') {
                dot1 = p;
                break;
            }
    static const char *const comp[] = {"gz", "zip", "bz2", "lzma", "xz"};
    const char *cmp = NULL, *ser = NULL;
    size_t serlen = 0;
    if (dot2)
        for (size_t i = 0; i < sizeof comp / sizeof *comp; i++)
            if (strcmp(dot2 + 1, comp[i]) == 0)
                cmp = comp[i];
    if (cmp && dot1)
        ser = dot1 + 1, serlen = (size_t)(dot2 - dot1 - 1);
    else if (!cmp && dot2)
        ser = dot2 + 1, serlen = strlen(dot2 + 1);
    const char *has = content_compression(in);
    const char *fmt = jsonl ? "jsonl" : "json";
    int is_json = ser && serlen == 4 && memcmp(ser, "json", 4) == 0;
    int is_jsonl = ser && serlen == 5 && memcmp(ser, "jsonl", 5) == 0;
    int known = is_json || is_jsonl || (ser && serlen == 3 && memcmp(ser, "xml", 3) == 0) ||
                (ser && serlen == 4 && memcmp(ser, "yaml", 4) == 0);
    /* The name to suggest: the stem, the content's format and compression. */
    int stem = (int)(ser ? (size_t)(ser - 1 - n) : cmp ? (size_t)(dot2 - n) : strlen(n));
    char want[1200];
    snprintf(want, sizeof want, "%.*s.%s%s%s", stem, n, fmt, has ? "." : "", has ? has : "");
    if (!ser)
        fx__diag(in->diag, in->ctx, sev, n, 0, 0, 0, "name",
                 "loaddata takes the format from the file name, and '%s' names "
                 "none: it looks for '%.*s.json%s%s' and the like instead, and "
                 "does not read this file; name it '%s'", n, stem, n, cmp ? "." : "",
                 cmp ? cmp : "", want);
    else if (!known)
        fx__diag(in->diag, in->ctx, sev, n, 0, 0, 0, "name",
                 "loaddata takes the format from the file name, and '%.*s' is "
                 "not one it knows (\"%.*s is not a known serialization "
                 "format\"); name it '%s'", (int)serlen, ser, (int)serlen, ser, want);
    else if (!is_json && !is_jsonl)
        fx__diag(in->diag, in->ctx, sev, n, 0, 0, 0, "name",
                 "the name says %.*s but the file holds %s: loaddata would read "
                 "it as %.*s and fail; name it '%s'", (int)serlen, ser, fmt,
                 (int)serlen, ser, want);
    else if (is_json != !jsonl)
        fx__diag(in->diag, in->ctx, sev, n, 0, 0, 0, "name",
                 "the name ends in '.%.*s' but the file holds %s (%s): loaddata "
                 "reads it as %.*s and fails; name it '%s'", (int)serlen, ser, fmt,
                 jsonl ? "one record a line" : "one array of records",
                 (int)serlen, ser, want);
    /* lzma.open() reads both xz and lzma data, whichever name. */
    int lz = cmp && has && (strcmp(cmp, "xz") == 0 || strcmp(cmp, "lzma") == 0) &&
             (strcmp(has, "xz") == 0 || strcmp(has, "lzma") == 0);
    const char *hasname = !has ? NULL : strcmp(has, "gz") == 0 ? "gzip" :
                          strcmp(has, "bz2") == 0 ? "bzip2" : has;
    if (has && !cmp)
        fx__diag(in->diag, in->ctx, sev, n, 0, 0, 0, "name",
                 "the file is %s-compressed but its name does not say so: "
                 "loaddata reads it as plain text and fails; name it '%s'",
                 hasname, want);
    else if (cmp && !has)
        fx__diag(in->diag, in->ctx, sev, n, 0, 0, 0, "name",
                 "the name ends in '.%s' but the file is not compressed: "
                 "loaddata fails to decompress it; name it '%s'", cmp, want);
    else if (cmp && has && strcmp(cmp, has) != 0 && !lz)
        fx__diag(in->diag, in->ctx, sev, n, 0, 0, 0, "name",
                 "the name ends in '.%s' but the file is %s-compressed: loaddata "
                 "fails to decompress it; name it '%s'", cmp, hasname, want);
}

void fx__input_verdict(fx__input *in, int jsonl, int blank_first, int strict)
{
    if (in->said)
        return;
    in->said = 1;
    fx_severity sev = strict ? FX_ERR : FX_WARNING;
    const char *enc = fx__encoding_name(in->enc);
    const char *n = in->name;
    if (in->zip && jsonl) {
        fx__diag(in->diag, in->ctx, sev, n, 0, 0, 0, "encoding",
                 "a jsonl file inside a zip archive: loaddata cannot read it "
                 "('SingleZipReader' object is not iterable); compress it with "
                 "gzip, bzip2 or xz instead, or unzip it");
        return;
    }
    if (in->enc == FX__ENC_UTF8) {
        if (in->bom && !jsonl)
            fx__diag(in->diag, in->ctx, sev, n, 1, 1, 0, "encoding",
                     "file starts with a UTF-8 byte-order mark: fx reads it, but "
                     "loaddata refuses it in a json file (\"Unexpected UTF-8 BOM\"); "
                     "write a copy without it with 'fxfilter %s -o OUT', and export "
                     "with 'python -X utf8 manage.py dumpdata -o FILE'", n);
        else if (in->bom && blank_first)
            fx__diag(in->diag, in->ctx, sev, n, 1, 1, 0, "encoding",
                     "file starts with a UTF-8 byte-order mark on a line without a "
                     "record: loaddata takes a BOM in a jsonl file only before its "
                     "first record, and fails on this line; write a copy without it "
                     "with 'fxfilter %s -o OUT'", n);
        return;
    }
    int be = in->enc == FX__ENC_UTF16BE || in->enc == FX__ENC_UTF32BE;
    const char *how = in->bom ? "with" : "without";
    if (be && jsonl) {
        fx__diag(in->diag, in->ctx, FX_WARNING, n, 1, 1, 0, "encoding",
                 "file is %s %s a byte-order mark: loaddata reads this jsonl file "
                 "only because json.loads() guesses each line's encoding, and fails "
                 "on a line holding a character whose %s code has a byte 0x0A "
                 "(such as 'Ċ' or '😊'); write a UTF-8 copy with 'fxfilter %s -o OUT'",
                 enc, how, enc, n);
        in->cut_strict = strict;
        in->cut_report = 1;
        if (in->cut_found)
            say_cut(in);
        return;
    }
    if (in->enc == FX__ENC_UTF16LE && in->bom)
        fx__diag(in->diag, in->ctx, sev, n, 1, 1, 0, "encoding",
                 "file is UTF-16LE with a byte-order mark, as Windows PowerShell's "
                 "'>' writes: fx reads it, but loaddata refuses it; write a UTF-8 "
                 "copy with 'fxfilter %s -o OUT', and export with 'python -X utf8 "
                 "manage.py dumpdata -o FILE' instead of '>'", n);
    else
        fx__diag(in->diag, in->ctx, sev, n, 1, 1, 0, "encoding",
                 "file is %s %s a byte-order mark: fx reads it, but loaddata "
                 "refuses it%s; write a UTF-8 copy with 'fxfilter %s -o OUT', and "
                 "export with 'python -X utf8 manage.py dumpdata -o FILE'", enc, how,
                 be ? " in a json file" : "", n);
}

static ssize_t decode_read(fx__input *in, char *buf, size_t n, fx_error *err)
{
    if (in->cd == (iconv_t)-1)
        return read_undecoded(in, buf, n, err);
    if (!in->raw) {
        in->rawcap = RAW_BLOCK;
        in->raw = malloc(in->rawcap);
        if (!in->raw)
            return fx_error_set(err, FX_ENOMEM, in->name, 0, 0, 0, "out of memory");
    }
    for (;;) {
        if (in->rawlen > 0) {
            ssize_t k = convert(in, buf, n, err);
            if (k != 0)
                return k;
        }
        size_t room = in->rawcap - in->rawlen;
        if (room > n / 2)
            room = n / 2 ? n / 2 : 1;     /* UTF-8 can take 1.5x UTF-16's bytes */
        ssize_t got = read_undecoded(in, in->raw + in->rawlen, room, err);
        if (got < 0)
            return got;
        if (got == 0) {
            if (in->rawlen)
                return fx_error_set(err, FX_EFORMAT, in->name, 0, 0, in->rawoff,
                                    "the %s text ends in the middle of a "
                                    "character: the file is truncated",
                                    fx__encoding_name(in->enc));
            return 0;
        }
        in->rawlen += (size_t)got;
    }
}

ssize_t fx__input_read(fx__input *in, char *buf, size_t n, fx_error *err)
{
    if (in->sfd < 0)
        return decode_read(in, buf, n, err);
    if (in->spos < in->slen) {
        if (n > in->slen - in->spos)
            n = (size_t)(in->slen - in->spos);
        ssize_t k = pread(in->sfd, buf, n, (off_t)in->spos);
        if (k < 0)
            return fx_error_set(err, FX_EIO, in->name, 0, 0, 0, "cannot read: %s",
                                strerror(errno));
        in->spos += (uint64_t)k;
        return k;
    }
    if (in->plain)
        return 0;
    ssize_t k = decode_read(in, buf, n, err);
    for (ssize_t done = 0; k > 0 && done < k;) {
        ssize_t w = pwrite(in->sfd, buf + done, (size_t)(k - done),
                           (off_t)(in->slen + (uint64_t)done));
        if (w < 0)
            return fx_error_set(err, FX_EIO, in->name, 0, 0, 0,
                                "cannot keep a copy to read it twice: %s; set "
                                FX_TMPDIR_VAR " to a place with more room", strerror(errno));
        done += w;
    }
    if (k > 0) {
        in->slen += (uint64_t)k;
        in->spos = in->slen;
    }
    return k;
}

int fx__input_seek(fx__input *in, uint64_t off, fx_error *err)
{
    if (in->sfd < 0)
        return fx_error_set(err, FX_EUSAGE, in->name, 0, 0, 0,
                            "cannot go back in this input: it was not opened seekable");
    if (off > in->slen)
        return fx_error_set(err, FX_EUSAGE, in->name, 0, 0, 0,
                            "cannot go to offset %llu: not read yet",
                            (unsigned long long)off);
    in->spos = off;
    return 0;
}

void fx__input_free(fx__input *in)
{
    if (!in)
        return;
    if (in->a)
        archive_read_free(in->a);
    if (in->cd != (iconv_t)-1)
        iconv_close(in->cd);
    if (in->fd > 0)
        close(in->fd);
    if (in->sfd >= 0 && !in->plain)
        close(in->sfd);
    free(in->raw);
    free(in);
}
