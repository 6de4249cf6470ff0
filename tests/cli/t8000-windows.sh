#!/usr/bin/env bash
# What Windows users meet, checked on both builds where it applies (file
# names with spaces and accents, a PowerShell 5.1 '>' export, output files
# named so), and on the Windows executables under wine (make
# check-windows, FX_WINDOWS=1) for what only Windows has: drive letters and
# backslashes, a file another program holds open, %TEMP%.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"

W=$FX_TRASH/work
mkdir -p "$W" || exit 2
IN=$W/base.json
cp "$FX_TESTDATA/corpus/base.json" "$IN" || exit 2

# A Windows path for a file here: Z: is wine's drive for /.
winpath () {
    printf 'Z:%s' "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" | tr / '\\'
}

test_expect_success 'a file name with spaces and accents: read, named in messages' '
    mkdir "dossier été" &&
    cp "$IN" "dossier été/données ü.json" &&
    fxvalidate "dossier été/données ü.json" 2>err &&
    printf "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}" >"dossier été/coupé ñ.json" &&
    test_expect_code 1 fxvalidate "dossier été/coupé ñ.json" 2>err &&
    grep "^dossier été/coupé ñ.json:1:[0-9]*: error: " err
'

test_expect_success '-o to a name with spaces and accents: the same bytes as stdout' '
    fxfilter "$IN" >want &&
    fxfilter "$IN" -o "sortie été ü.json" &&
    cmp want "sortie été ü.json" &&
    test "$(ls -A | sort | tr "\n" " ")" = "sortie été ü.json want "
'

# PowerShell 5.1: 'python manage.py dumpdata > out.json' writes UTF-16LE
# with a BOM and CRLF line ends.
test_expect_success 'a PowerShell-style UTF-16LE export: refused by fxvalidate, converted by fxfilter' '
    fxfilter "$IN" >utf8.json &&
    sed "s/\$/\r/" utf8.json | iconv -f UTF-8 -t UTF-16LE >body &&
    printf "\377\376" >ps.json && cat body >>ps.json &&
    test_expect_code 1 fxvalidate ps.json 2>err &&
    grep "^ps.json:1:1: error: file is UTF-16LE with a byte-order mark, as Windows PowerShell" err &&
    fxfilter ps.json -o back.json 2>err &&
    grep "^ps.json:1:1: warning: file is UTF-16LE with a byte-order mark" err &&
    sed "s/\$/\r/" utf8.json >want &&
    cmp want back.json
'

if [ "${FX_WINDOWS:-0}" = 1 ]; then

test_expect_success 'Windows: a drive letter and backslashes, in and out' '
    cp "$IN" in.json &&
    fxfilter in.json >want &&
    fxfilter "$(winpath in.json)" -o "$(winpath .)\\out.json" &&
    cmp want out.json &&
    fxvalidate "$(winpath in.json)" 2>err &&
    test_expect_code 2 fxvalidate "$(winpath .)\\missing.json" 2>err &&
    grep -F "$(winpath .)\\missing.json: error: cannot open: No such file or directory" err
'

test_expect_success 'Windows: a file rewritten in place (its input still open)' '
    cp "$IN" same.json &&
    fxfilter --format jsonl same.json >want &&
    fxfilter --format jsonl same.json -o same.json &&
    cmp want same.json &&
    test "$(ls -A | sort | tr "\n" " ")" = "same.json want "
'

# stat() on Windows has no inode: fxmerge tells the same file by the
# volume and the file's index (fx__same_file), not by a zero st_ino.
test_expect_success 'Windows: fxmerge -o an existing file; -o an input under another name refused' '
    S=$FX_TESTDATA/sync &&
    cp "$S/base.json.gz" "$S/local.json.gz" "$S/online.json.gz" . &&
    printf "old\n" >merged.json &&
    test_expect_code 1 fxmerge -q --schema "$FX_ROOT/schemas/erp.json" -o merged.json \
        base.json.gz local.json.gz online.json.gz &&
    test "$(head -c 1 merged.json)" = "[" &&
    test "$(grep -c "^<<<<<<<" merged.json)" = 1 &&
    o="$(winpath .)\\BASE.JSON.GZ" &&
    test_expect_code 2 fxmerge -q -o "$o" base.json.gz local.json.gz online.json.gz 2>err &&
    echo "$o: error: -o names BASE (base.json.gz): the merge must not overwrite an input it is to keep; write the result to OURS or to another file" >want &&
    test_cmp want err &&
    cmp "$S/base.json.gz" base.json.gz
'

# The Linux build (FX_LINUX_BIN, make check-windows gives it) and the .exe
# files write the same bytes on the sample exports, and load the same rows.
if [ -x "${FX_LINUX_BIN:-}/fxfilter" ]; then
test_expect_success 'Windows: the same bytes as the Linux build on the sample exports' '
    L=$FX_LINUX_BIN S=$FX_TESTDATA/sync C=$FX_TESTDATA/corpus &&
    same () {   # NAME ARGS...: the tool, then the Linux one, on ARGS
        "$@" >win.out 2>win.err; echo $? >win.rc
        PATH=$L:$PATH "$@" >lin.out 2>lin.err; echo $? >lin.rc
        cmp win.out lin.out && cmp win.err lin.err && cmp win.rc lin.rc &&
        test -s lin.out
    } &&
    same fxvalidate --hash --schema "$FX_ROOT/schemas/erp.json" "$C/base.json.gz" &&
    same fxfilter --format jsonl "$C/base.natural.json.gz" &&
    same fxfilter -m supermarket.produit --with-deps --schema "$FX_ROOT/schemas/erp.json" \
        --redact "*.email" "$C/base.json.gz" &&
    same fxdiff "$S/base.json.gz" "$S/online.json.gz" &&
    same fxdiff --format json "$S/base.json.gz" "$S/local.json.gz" &&
    same fxmerge --schema "$FX_ROOT/schemas/erp.json" "$S/base.json.gz" "$S/local.json.gz" \
        "$S/online.json.gz" &&
    cp "$C/empty.sqlite3" win.sqlite3 && cp "$C/empty.sqlite3" lin.sqlite3 &&
    fxload -q --db win.sqlite3 "$C/base.json.gz" &&
    "$L/fxload" -q --db lin.sqlite3 "$C/base.json.gz" &&
    sqlite3 win.sqlite3 .dump >win.sql && sqlite3 lin.sqlite3 .dump >lin.sql &&
    cmp win.sql lin.sql && test $(wc -l <win.sql) -gt 10000
'
fi

# holdopen.exe (tests/win/holdopen.c) holds a file as an editor does; it
# lets go when its standard input ends.
hold () {   # MODE FILE: holdopen in the background, its stdin on fd 7
    mkfifo hold.in hold.out || return 1
    "${FX_WINE:-/usr/lib/wine/wine64}" "$FX_WIN_HELPERS/holdopen.exe" "$1" "$2" \
        <hold.in >hold.out 2>hold.err &
    exec 7>hold.in &&
    read -r line <hold.out &&
    test "$line" = held
}
release () {
    exec 7>&- && wait && rm -f hold.in hold.out hold.err
}

test_expect_success 'Windows: -o to a file open in another program: said, nothing changed' '
    cp "$IN" in.json && printf "old\n" >held.json &&
    hold read held.json &&
    test_expect_code 2 fxfilter in.json -o held.json 2>err
    rc=$?
    release &&
    test $rc = 0 &&
    cat >want <<-\EOF &&
	held.json: error: cannot put the new file in place: it is open in another program (close it there, then run again)
	EOF
    test_cmp want err &&
    test "$(cat held.json)" = old &&
    test "$(ls -A | sort | tr "\n" " ")" = "err held.json in.json want "
'

test_expect_success 'Windows: an input another program holds without sharing: said' '
    cp "$IN" locked.json &&
    hold none locked.json &&
    test_expect_code 2 fxvalidate locked.json 2>err
    rc=$?
    release &&
    test $rc = 0 &&
    grep "^locked.json: error: cannot open: it is open in another program (close it there, then run again)" err
'

# wine sets %TEMP% itself (C:\users\NAME\Temp in its prefix), whatever
# the Unix environment says: that folder is made a file for a moment.
test_expect_success 'Windows: temporary files go to %TEMP% (GetTempPath)' '
    t="$WINEPREFIX/drive_c/users/$(id -un)/Temp" &&
    test -d "$t" &&
    fxdiff - "$IN" <"$IN" >out &&
    test_must_be_empty out &&
    mv "$t" "$t.away" && : >"$t" || return 1
    fxdiff - "$IN" <"$IN" >out 2>err
    rc=$?
    rm -f "$t" && mv "$t.away" "$t" &&
    test $rc = 2 &&
    grep "^<stdin>: error: cannot make a temporary file to read it twice: .*; set TEMP to a writable place" err
'

# libpq is built with OpenSSL: sslmode=verify-full against the test
# cluster, which serves a certificate for localhost from a CA made here for
# the length of this test (ALTER SYSTEM, reloaded; reset after).  Over TCP
# only (FX_PG_TCP=1, as make check-windows starts it).
if [ "${FX_PG_TCP:-0}" = 1 ] && pg_setup; then
    trap pg_teardown EXIT
    tls_off () {
        for v in ssl ssl_cert_file ssl_key_file; do
            psql -qXc "ALTER SYSTEM RESET $v" || return 1
        done
        psql -qXAtc "SELECT pg_reload_conf()" >/dev/null
    }
test_expect_success 'Windows: PostgreSQL over TLS, sslmode=verify-full: the CA, the host name checked' '
    d=$FX_PG/tls && mkdir -p "$d" &&
    ca () { openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
                -keyout "$2.key" -out "$2.crt" 2>/dev/null; } &&
    ca "fx test CA" ca && ca "another CA" other &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$d/server.key" \
        -out server.csr 2>/dev/null &&
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -out "$d/server.crt" 2>/dev/null &&
    chmod 600 "$d/server.key" &&
    { [ "$(id -u)" != 0 ] || chown -R postgres: "$d"; } &&
    psql -qXc "ALTER SYSTEM SET ssl_cert_file = '\''$d/server.crt'\''" &&
    psql -qXc "ALTER SYSTEM SET ssl_key_file = '\''$d/server.key'\''" &&
    psql -qXc "ALTER SYSTEM SET ssl = on" &&
    psql -qXAtc "SELECT pg_reload_conf()" >/dev/null &&
    for i in $(seq 50); do
        test "$(psql -XAtc "SHOW ssl")" = on && break; sleep 0.1
    done &&
    DB=fxt8000_$$ && createdb "$DB" &&
    printf "[]\n" >empty.json &&
    ca=$(winpath ca.crt | tr "\\\\" /) other=$(winpath other.crt | tr "\\\\" /) &&
    t="host=localhost dbname=$DB sslmode=verify-full" &&
    fxload --db "$t sslrootcert=$ca" empty.json 2>err
    rc1=$?
    fxload --db "$t sslrootcert=$other" empty.json 2>err2
    rc2=$?
    fxload --db "host=127.0.0.1 dbname=$DB sslmode=verify-full sslrootcert=$ca" empty.json 2>err3
    rc3=$?
    fxload --db "host=localhost dbname=$DB sslmode=require" empty.json 2>err4
    rc4=$?
    tls_off &&
    # connected: the empty database is not one migrate made
    test $rc1 = 2 && grep -F "$t sslrootcert=$ca: error: not a database made by Django'\''s migrate" err &&
    test $rc4 = 2 && grep "sslmode=require: error: not a database made by Django" err4 &&
    test $rc2 = 2 && grep "^fxload: error: cannot connect to PostgreSQL database .*certificate verify failed" err2 &&
    test $rc3 = 2 &&
    grep "^fxload: error: cannot connect to PostgreSQL database .*server certificate for \"localhost\" does not match host name \"127.0.0.1\"" err3
'
fi

fi

test_done
