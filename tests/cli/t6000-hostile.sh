#!/usr/bin/env bash
# Hostile inputs, as a table: each input against fxvalidate, fxfilter,
# fxdiff, fxmerge and fxload, with the exit status each tool defines, a
# message that says what is wrong, no crash (exit < 128, no sanitizer
# report), bounded time (timeout 20 s: exit 124) and bounded peak memory
# (GNU time %M; the bounds are 4 times higher under ASan, whose shadow
# memory and quarantine count in RSS).  Failed -o runs must leave neither
# the target nor a temporary file.
#
# Under valgrind (tests/cli/valgrind, FX_VALGRIND=1) time and memory are
# not bounded (valgrind is 20 to 50 times slower, its own memory counts)
# and the three largest inputs are left out.
#
# Sizes are scaled to the test machine: the "1 GB string" of issue 6 is a
# 100 MB string here (disk and time), the "10 million fields" 1 million
# (10 million takes about 10 s per tool and 1 GB of input).

. "$(dirname "$0")/lib.sh"

IN=$FX_TRASH/in
mkdir -p "$IN" || exit 2
asan=1
grep -q __asan_init "$FX_BIN/fxvalidate" 2>/dev/null || asan=4
asan=$((5 - asan))   # 1, or 4 under ASan

rec () {   # rec NAME 'FIELDS-JSON': a one-record fixture
    printf '[{"model": "a.b", "pk": 1, "fields": {%s}}]\n' "$2" >"$IN/$1.json"
}
printf '[{"model": "a.b", "pk": 1, "fields": {"s": 1}}]\n' >"$IN/ok.json"
head -c 100000 /dev/zero | tr '\0' '[' >"$IN/deep.json"
{ printf '[{"model": "a.b", "pk": 1, "fields": {"x": '
  head -c 100000 /dev/zero | tr '\0' '['; } >"$IN/deepfield.json"
{ printf '[{"model": "a.b", "pk": 1, "fields": {"s": "'
  head -c 100000000 /dev/zero | tr '\0' x
  printf '"}}]\n'; } >"$IN/huge.json"
awk 'BEGIN { printf "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"f0\": 0";
             for (i = 1; i < 1000000; i++) printf ", \"f%d\": %d", i, i;
             print "}}]" }' >"$IN/wide.json"
printf '[{"model": "a.b", "pk": 1, "fields": {"s": "a\0b"}}]\n' >"$IN/zero.json"
for side in 0 1 2; do   # base, ours (every third field), theirs (the next ones)
    awk -v side=$side 'BEGIN { printf "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {";
        for (i = 0; i < 200000; i++) {
            v = i
            if (side == 1 && i % 3 == 0) v = i + 1
            if (side == 2 && i % 3 == 1) v = i + 2
            printf "%s\"f%d\": %d", i ? ", " : "", i, v
        }
        print "}}]" }' >"$IN/w$side.json"
done
rec surrogate '"s": "\ud800"'
rec overlong "$(printf '"s": "\300\257"')"
rec dupkey '"s": 1, "s": 2'
rec bignum '"n": 1e999999'
rec negzero '"n": -0'
rec zerozero '"n": 00'
printf '[{"model": "a.b", "pk": 1, "fields": {"n": 1}}, {"model": "a.b", "pk": 2, "fie' \
    >"$IN/cut.json"
: >"$IN/empty.json"
printf '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1></body></html>\n' \
    >"$IN/html.json"
export IN asan

# check WANT MAX_MB 'STDERR-ERE' CMD...: CMD exits WANT, within 20 s, with
# a peak RSS under MAX_MB (times $asan), and its stderr matches the ERE
# (when not empty).
check () {
    local want=$1 mb=$2 re=$3 rc kb
    shift 3
    local limit=20
    [ "${FX_VALGRIND:-0}" = 1 ] && limit=1200 mb=1000000
    /usr/bin/time -f %M -o rss timeout $limit "$@" >out 2>err
    rc=$?
    kb=$(tail -n 1 rss)
    if [ "$rc" != "$want" ]; then
        echo "check: '$*' exited with $rc, expected $want" >&2
        cat err >&2
        return 1
    fi
    if [ "$kb" -gt $((mb * 1024 * asan)) ]; then
        echo "check: '$*' used $kb KB, more than $((mb * asan)) MB" >&2
        return 1
    fi
    [ -z "$re" ] || grep -E -e "$re" err >/dev/null || {
        echo "check: stderr of '$*' does not match /$re/:" >&2
        cat err >&2
        return 1
    }
}

# no_output FILE: neither FILE nor a temporary file next to it
no_output () {
    ! test -e "$1" && ! ls -a | grep -q '\.fx-' ||
    { echo "no_output: left behind:" >&2; ls -la >&2; return 1; }
}
export -f check no_output

# NAME  fxvalidate  fxfilter  fxdiff  fxmerge  MAX_MB  'ERE (fxvalidate)'
# Exit statuses: fxvalidate 1 invalid; fxfilter, fxdiff, fxmerge 2 when
# the input cannot be read (0, or 1 for fxdiff "different", when it can),
# fxfilter, fxdiff and fxmerge 2 too when the reader reported an error (bad
# text is not passed on, and a comparison of it is not to be trusted).
# fxload has its own table below.
while read -r name v f d m mb re; do
    case $name in huge|wide) [ "${FX_VALGRIND:-0}" = 1 ] && continue ;; esac
    re=$(printf %q "$re")   # quoted for the test body
    test_expect_success "$name: validate $v, filter $f, diff $d, merge $m" "
        check $v $mb $re fxvalidate \"\$IN/$name.json\" &&
        if [ $f = 0 ]; then
            check 0 $mb '' fxfilter -o f.json \"\$IN/$name.json\" && test -s f.json
        else
            check $f $mb $re fxfilter -o f.json \"\$IN/$name.json\" && no_output f.json
        fi &&
        check $d $mb '' fxdiff -q \"\$IN/ok.json\" \"\$IN/$name.json\" &&
        if [ $m = 0 ]; then
            check 0 $mb '' fxmerge -o m.json \"\$IN/ok.json\" \"\$IN/ok.json\" \"\$IN/$name.json\"
        else
            check $m $mb $re fxmerge -o m.json \"\$IN/ok.json\" \"\$IN/ok.json\" \"\$IN/$name.json\" &&
            no_output m.json
        fi
    "
done <<\EOT
deep       1 2 2 2  64 expected a record
deepfield  1 2 2 2  64 nesting deeper than 512 levels
huge       0 0 1 0 400 records? in 1 file: valid
wide       0 0 1 0 400 records? in 1 file: valid
zero       1 2 2 2  64 control character U\+0000 inside a string
surrogate  1 2 2 2  64 lone surrogate '.ud800'
overlong   1 2 2 2  64 invalid UTF-8 byte 0xC0
dupkey     0 0 1 0  64 field "s" given twice in "fields": Python's json keeps the last value
bignum     0 0 1 0  64 records? in 1 file: valid
negzero    0 0 1 0  64 records? in 1 file: valid
zerozero   1 2 2 2  64 leading zero
cut        1 2 2 2  64 the file is truncated
empty      1 2 2 2  64 empty file
html       1 2 2 2  64 looks like an HTML page
EOT

# fxload, into a database whose schema knows model a.b (table a_b: s text,
# n integer, x JSON, all nullable), so that only what is wrong with the
# input can stop a record (with a model the database does not have, every
# load stopped at "no such table" before reaching the input's faults).
# NAME  EXIT  MAX_MB  ROW  'ERE (stderr)'
# Exit 1: rejected, the database file unchanged (ROW is -).  Exit 0: ROW is
# 'select id, length(s), substr(s, 1, 3), n, x from a_b'.  The peak memory
# of huge is about 4 times the string: the reader's buffer, the decoded
# value, SQLite's record and its page cache.
cp "$FX_TESTDATA/empty.sqlite3" "$IN/ab.sqlite3" &&
sqlite3 "$IN/ab.sqlite3" 'CREATE TABLE "a_b" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
        "s" text NULL, "n" integer NULL,
        "x" text NULL CHECK ((JSON_VALID("x") OR "x" IS NULL)));
    INSERT INTO django_content_type (app_label, model) VALUES ('"'a', 'b'"');' ||
    { echo "cannot make the database with model a.b"; exit 2; }
while read -r name l mb row re; do
    case $name in huge|wide) [ "${FX_VALGRIND:-0}" = 1 ] && continue ;; esac
    re=$(printf %q "$re")
    test_expect_success "$name: load $l" "
        cp \"\$IN/ab.sqlite3\" db.sqlite3 &&
        check $l $mb $re fxload --db db.sqlite3 \"\$IN/$name.json\" &&
        if [ $l = 0 ]; then
            echo '$row' >want &&
            sqlite3 db.sqlite3 'select id, length(s), substr(s, 1, 3), n, x from a_b' >got &&
            test_cmp want got
        else
            grep '^fxload: nothing was written to db.sqlite3\$' err &&
            cmp db.sqlite3 \"\$IN/ab.sqlite3\"
        fi
    "
done <<\EOT
deep       1  64 - /deep.json:1:2: error: expected a record
deepfield  1  64 - nesting deeper than 512 levels
huge       0 500 1|100000000|xxx|| ^fxload: 1 records: 1 inserted, 0 updated, 0 unchanged$
wide       1 400 - model 'a.b', pk 1: field 'f0' has no column in table a_b
zero       1  64 - control character U\+0000 inside a string
surrogate  1  64 - lone surrogate '.ud800'.*\[encoding\]$
overlong   1  64 - invalid UTF-8 byte 0xC0.*\[encoding\]$
dupkey     0  64 1|1|2|| field "s" given twice in "fields": Python's json keeps the last value
bignum     1  64 - model 'a.b', pk 1: field 'n': '1e999999' is not an integer
negzero    0  64 1|||0| ^fxload: 1 records: 1 inserted, 0 updated, 0 unchanged$
zerozero   1  64 - leading zero
cut        1  64 - the file is truncated
empty      1  64 - empty file
html       1  64 - looks like an HTML page
EOT

# A wide record changed on both sides, in different fields: merged field by
# field in n log n (200,000 fields: a quadratic merge takes minutes).
[ "${FX_VALGRIND:-0}" = 1 ] ||
test_expect_success 'fxmerge: a record of 200,000 fields changed on both sides' '
    check 0 300 "1 merged field by field" \
        fxmerge -o wm.json "$IN/w0.json" "$IN/w1.json" "$IN/w2.json" &&
    grep -F "\"f0\": 1, \"f1\": 3, \"f2\": 2, \"f3\": 4, \"f4\": 6, \"f5\": 5," wm.json &&
    grep -F "\"f199998\": 199999, \"f199999\": 200001}" wm.json
'

test_expect_success 'the last duplicate wins: fxfilter --where sees 2, not 1' '
    check 0 64 "" fxfilter -q --where s=2 "$IN/dupkey.json" &&
    grep "\"s\": 2" out &&
    check 1 64 "" fxfilter -q --where s=1 "$IN/dupkey.json"
'

test_expect_success '/dev/full as -o: exit 2, says the disk is full' '
    check 2 64 "No space left on device" fxfilter -o /dev/full "$IN/ok.json" &&
    check 2 64 "No space left on device" fxmerge -o /dev/full \
        "$IN/ok.json" "$IN/ok.json" "$IN/dupkey.json" &&
    check 2 64 "No space left on device" sh -c "fxdiff \"\$IN/ok.json\" \"\$IN/dupkey.json\" >/dev/full"
'

test_expect_success '-o in a directory that does not exist: exit 2, nothing made' '
    check 2 64 "cannot create a file next to it: No such file or directory" \
        fxfilter -o nodir/f.json "$IN/ok.json" &&
    ! test -e nodir
'

# root ignores permission bits: a read-only directory is made immutable
# (chattr +i) when the file system allows it, else the tool runs as nobody.
test_expect_success '-o in a directory without write permission: exit 2, nothing made' '
    mkdir ro && chmod 555 ro &&
    if [ "$(id -u)" != 0 ]; then
        check 2 64 "cannot create a file next to it" fxfilter -o ro/f.json "$IN/ok.json"
    elif chattr +i ro 2>/dev/null; then
        why="Operation not permitted"
        [ "${FX_WINDOWS:-0}" = 1 ] && why="Permission denied"     # as Windows says it
        check 2 64 "cannot create a file next to it: $why" \
            fxfilter -o ro/f.json "$IN/ok.json"
        rc=$?; chattr -i ro; test $rc = 0
    else
        chmod 755 . && cp "$IN/ok.json" ok.json && chmod 644 ok.json &&
        check 2 64 "cannot create a file next to it: Permission denied" \
            runuser -u nobody -- "$FX_BIN/fxfilter" -o ro/f.json ok.json
    fi &&
    test -z "$(ls -A ro)"
'

test_done
