#!/usr/bin/env bash
# libfixture as a library: a small program built with
#   cc prog.c $(pkg-config --cflags --libs libfixture)
# against the files 'make install' put in a DESTDIR tree (make check makes
# it: FX_DESTDIR), once with the shared library (its soname, only the
# public fx_* symbols exported) and once against the static one alone
# (pkg-config --static: every library it needs exists on Debian 12); both
# programs print the --hash lines fxvalidate prints.

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

[ -n "${FX_DESTDIR:-}" ] || { echo "# FX_DESTDIR not set (make check sets it): skipped"; test_done; }
CC=${FX_CC:-cc}
LIBDIR=$FX_DESTDIR/usr/local/lib
export FX_DESTDIR CC LIBDIR

# The program: every record of the file given, as fxvalidate --hash prints it.
cat >"$FX_TRASH/prog.c" <<\EOF
#include <fixture.h>
#include <inttypes.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    fx_reader *r;
    fx_error err;
    const fx_record *rec;
    int rc;
    if (argc != 2 || fx_reader_open(&r, argv[1], NULL, &err) < 0) {
        fprintf(stderr, "prog: %s\n", argc == 2 ? err.msg : "give one file");
        return 2;
    }
    while ((rc = fx_reader_next(r, &rec, &err)) > 0)
        printf("%016" PRIx64 "\t%s\t%s\n", fx_record_hash(rec), rec->label,
               rec->pk_key ? rec->pk_key : "-");
    fx_reader_free(r);
    if (rc < 0) {
        fprintf(stderr, "prog: %s\n", err.msg);
        return 2;
    }
    fprintf(stderr, "libfixture %s\n", FX_VERSION);
    return 0;
}
EOF

# pkg-config on the tree under $1 only.
pc () {
    local root=$1
    shift
    PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=$root/usr/local/lib/pkgconfig \
        PKG_CONFIG_SYSROOT_DIR=$root pkg-config "$@"
}

test_expect 'make install: headers, both libraries, the soname links, the .pc file' <<\EOT
test -f "$FX_DESTDIR/usr/local/include/fixture.h" &&
test -f "$LIBDIR/libfixture.a" &&
test -f "$LIBDIR/libfixture.so.0.1.0" &&
test "$(readlink "$LIBDIR/libfixture.so.0")" = libfixture.so.0.1.0 &&
test "$(readlink "$LIBDIR/libfixture.so")" = libfixture.so.0 &&
readelf -d "$LIBDIR/libfixture.so.0.1.0" >dyn &&
grep -q "Library soname: \[libfixture.so.0\]" dyn &&
grep -q "Shared library: \[libpq.so.5\]" dyn &&
pc "$FX_DESTDIR" --modversion libfixture >version &&
echo 0.1.0 >expect &&
test_cmp expect version
EOT

test_expect 'the shared library exports the public fx_* functions, nothing else' <<\EOT
nm -D --defined-only "$LIBDIR/libfixture.so.0.1.0" | awk '{ print $3 }' >syms &&
grep -qx fx_reader_open syms && grep -qx fx_value_same syms && grep -qx fx_merge syms &&
! grep -v "^fx_[a-z]" syms &&
test "$(wc -l <syms)" -gt 100
EOT

test_expect 'cc prog.c $(pkg-config --cflags --libs libfixture): built on the shared library, runs' <<\EOT
cp ../prog.c . &&
$CC $FX_LDFLAGS prog.c $(pc "$FX_DESTDIR" --cflags --libs libfixture) -o prog &&
readelf -d prog | grep -q "Shared library: \[libfixture.so.0\]" &&
fxvalidate -q --hash "$FX_TESTDATA/corpus/base.jsonl.gz" >expect &&
LD_LIBRARY_PATH=$LIBDIR ./prog "$FX_TESTDATA/corpus/base.jsonl.gz" >out 2>err &&
test_cmp expect out &&
echo "libfixture 0.1.0" >want &&
test_cmp want err &&
test "$(wc -l <out)" = 10852
EOT

test_expect 'against libfixture.a alone: pkg-config --static lists libraries that exist' <<\EOT
cp ../prog.c . &&
cp -a "$FX_DESTDIR" tree &&
rm tree/usr/local/lib/libfixture.so* &&
pc tree --static --libs libfixture >libs &&
! grep -e -lpgport -e -lgssapi_krb5 -e -lacl -e -lzstd -e -llz4 libs &&
$CC $FX_LDFLAGS prog.c $(pc tree --static --cflags --libs libfixture) -o prog &&
! readelf -d prog | grep -q libfixture &&
readelf -d prog | grep -q "Shared library: \[libarchive.so.13\]" &&
fxvalidate -q --hash "$FX_TESTDATA/corpus/base.json" >expect &&
./prog "$FX_TESTDATA/corpus/base.json" >out 2>err &&
test_cmp expect out
EOT

test_done
