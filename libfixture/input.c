/*
** input.c: the byte source under the reader.  Opens a file or stdin,
** undoes any compression loaddata reads (gzip, bzip2, xz, lzma, single-file
** zip: libarchive, detected by content, never by name) and turns the text
** into UTF-8: a UTF-8 BOM is passed on (the reader skips it), UTF-16 with a
** BOM (what PowerShell 5's '>' writes) is converted with iconv(3).
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
    int zip;                  /* reading a zip member */
    iconv_t cd;               /* (iconv_t)-1 unless UTF-16 */
    char *raw;                /* UTF-16 bytes waiting for conversion */
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

int fx__input_open(fx__input **out, const char *name, int seekable,
                   fx_diag_fn diag, void *ctx, fx_error *err)
{
    *out = NULL;
    fx__input *in = calloc(1, sizeof *in);
    if (!in)
        return fx_error_set(err, FX_ENOMEM, name, 0, 0, 0, "out of memory");
    in->name = name;
    in->cd = (iconv_t)-1;
    in->sfd = -1;
    in->seekable = seekable;
    int fd = 0;
    if (strcmp(name, "-") != 0) {
        fd = open(name, O_RDONLY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            free(in);
            return fx_error_set(err, FX_EIO, name, 0, 0, 0,
                                "cannot open: %s", strerror(e));
        }
        if (S_ISDIR(st.st_mode)) {
            close(fd);
            free(in);
            return fx_error_set(err, FX_EIO, name, 0, 0, 0,
                                "is a directory: give the fixture files inside it");
        }
    }
    in->fd = fd;
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
    int rc = archive_read_open_fd(in->a, fd, RAW_BLOCK);
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
    const char *from = NULL;
    if (in->npeek >= 2 && b[0] == 0xFF && b[1] == 0xFE)
        from = "UTF-16LE";
    else if (in->npeek >= 2 && b[0] == 0xFE && b[1] == 0xFF)
        from = "UTF-16BE";
    else if (in->npeek >= 2 && b[1] == 0 && b[0] != 0)
        from = "UTF-16LE";              /* no BOM, but '[' '\0' says it all */
    else if (in->npeek >= 2 && b[0] == 0 && b[1] != 0)
        from = "UTF-16BE";
    if (from) {
        int bom = b[0] == 0xFF || b[0] == 0xFE;
        if (bom)
            in->peekpos = 2;
        in->cd = iconv_open("UTF-8", from);
        if (in->cd == (iconv_t)-1) {
            fx__input_free(in);
            return fx_error_set(err, FX_EFORMAT, name, 0, 0, 0,
                                "cannot convert from %s: %s", from, strerror(errno));
        }
        if (bom)
            fx__diag(diag, ctx, FX_WARNING, name, 1, 1, 0, "encoding",
                     "file is %s with a byte-order mark, as Windows PowerShell's "
                     "'>' writes: read as such, but loaddata refuses it; export "
                     "with 'manage.py dumpdata -o FILE' instead of '>'", from);
        else
            fx__diag(diag, ctx, FX_WARNING, name, 1, 1, 0, "encoding",
                     "file is %s without a byte-order mark: read as such, but "
                     "loaddata refuses it; export with 'manage.py dumpdata -o "
                     "FILE'", from);
        in->rawoff = bom ? 2 : 0;
    }
    if (seekable) {
        struct stat st;
        if (in->cd == (iconv_t)-1 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            (in->eof || (archive_filter_code(in->a, 0) == ARCHIVE_FILTER_NONE &&
                         archive_format(in->a) == ARCHIVE_FORMAT_RAW))) {
            in->plain = 1;            /* read the file itself, from the start */
            in->sfd = fd;
            in->slen = (uint64_t)st.st_size;
        } else {
            FILE *t = tmpfile();
            in->sfd = t ? dup(fileno(t)) : -1;
            if (t)
                fclose(t);
            if (in->sfd < 0) {
                int serr = errno;
                fx__input_free(in);
                return fx_error_set(err, FX_EIO, name, 0, 0, 0,
                                    "cannot make a temporary file to read it "
                                    "twice: %s; set TMPDIR to a writable place",
                                    strerror(serr));
            }
        }
    }
    *out = in;
    return 0;
}

/* Convert what raw holds into buf; keeps an incomplete sequence for later. */
static ssize_t convert(fx__input *in, char *buf, size_t n, fx_error *err)
{
    char *src = in->raw, *dst = buf;
    size_t srclen = in->rawlen, dstlen = n;
    size_t r = iconv(in->cd, &src, &srclen, &dst, &dstlen);
    if (r == (size_t)-1 && errno == EILSEQ)
        return fx_error_set(err, FX_EFORMAT, in->name, 0, 0,
                            in->rawoff + (uint64_t)(src - in->raw),
                            "invalid UTF-16 at byte %llu (a lone surrogate?): "
                            "the file is damaged; re-export it with "
                            "'manage.py dumpdata -o FILE'",
                            (unsigned long long)(in->rawoff + (uint64_t)(src - in->raw)));
    size_t used = in->rawlen - srclen;
    memmove(in->raw, in->raw + used, srclen);
    in->rawlen = srclen;
    in->rawoff += used;
    return (ssize_t)(dst - buf);
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
                                    "the UTF-16 text ends in the middle of a "
                                    "character: the file is truncated");
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
                                "TMPDIR to a place with more room", strerror(errno));
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
