#!/usr/bin/env bash
# fxload and input errors (issue 11): every error in the input stops the
# load, those the reader reports and reads past (invalid UTF-8, a lone
# surrogate) as well as those it stops at (syntax, structure, conflict
# markers, a truncated file): exit 1, the reader's message, then why the
# load stopped, and nothing written, into SQLite and PostgreSQL alike.  The
# records are of a model the database has, with every column, so that
# nothing but the input error can stop them (before the fix, the SQLite
# loads of the encoding errors committed every record and exited 0).

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"

PY=/usr/bin/python3
DJ=$FX_ROOT/tests/django
export PYTHONDONTWRITEBYTECODE=1

W=$(mktemp -d "${TMPDIR:-/tmp}/fx-t5030.XXXXXX") || exit 2
trap 'rm -rf "$W"; pg_teardown' EXIT

# agence N NOM: one record of supermarket.agence, every column given
agence () {
    printf '{"model": "supermarket.agence", "pk": %s, "fields": {"code": "C%s", "nom": "%s", "ville": "", "active": true}}' \
        "$1" "$1" "$2"
}
# bad NAME RECORD: a file of two good records, then RECORD
bad () {
    printf '[\n%s,\n%s,\n%s\n]\n' "$(agence 1 Un)" "$(agence 2 Deux)" "$2" >"$W/$1.json"
}
bad cp1252 "$(agence 3 "$(printf 'Caf\351')")"
bad surrogate "$(agence 3 '\ud800')"
bad overlong "$(agence 3 "$(printf '\300\257')")"
bad syntax '{"model": "supermarket.agence", "pk": 3, "fields": {"code": x}}'
bad struct '{"pk": 3, "fields": {}}'
printf '[\n%s,\n<<<<<<< ours\n%s\n=======\n%s\n>>>>>>> theirs\n]\n' \
    "$(agence 1 Un)" "$(agence 2 Deux)" "$(agence 2 Two)" >"$W/conflict.json"
printf '[\n%s,\n%s,\n' "$(agence 1 Un)" "$(agence 2 Deux)" >"$W/cut.json"
printf '[\n%s\n]\n' "$(agence 4 Quatre)" >"$W/good.json"

# NAME  the reader's message (exact)
cat >"$W/cases" <<\EOF
cp1252 cp1252.json:4:78: error: invalid UTF-8 byte 0xE9 at offset 301: it reads as 'é' in Windows-1252, as dumpdata writes on Windows without UTF-8 mode; export again with 'python -X utf8 manage.py dumpdata -o FILE', or convert with 'iconv -f WINDOWS-1252 -t UTF-8' [encoding]
surrogate surrogate.json:4:75: error: lone surrogate '\ud800' in a string: no database can store it; fix the text at its source [encoding]
overlong overlong.json:4:75: error: invalid UTF-8 byte 0xC0 at offset 298: it reads as 'À' in Windows-1252, as dumpdata writes on Windows without UTF-8 mode; export again with 'python -X utf8 manage.py dumpdata -o FILE', or convert with 'iconv -f WINDOWS-1252 -t UTF-8' [encoding]
syntax syntax.json:4:61: error: expected a value (string, number, object, list, true, false or null), near 'x}}'
struct struct.json:4:1: error: record has no "model": every record needs "model": "app_label.modelname", near '{"pk": 3, "fields": {}}'
conflict conflict.json:3:1: error: leftover merge conflict marker '<<<<<<<': resolve the conflict (keep the side you want, or run fxmerge) and remove the marker lines
cut cut.json:4:1: error: unexpected end of file: the list of records is not closed with ']' (the file is truncated?)
EOF

# expect NAME TARGET-AS-PRINTED: the exact stderr of a load of NAME.json
expect () {
    local msg
    msg=$(sed -n "s/^$1 //p" "$W/cases")
    printf '%s\n' "$msg"
    case $1 in cp1252|surrogate|overlong)
        echo "fxload: error: $1.json: an error in the input (above) stops the load: fix the file (fxvalidate lists every error), then load again" ;;
    esac
    echo "fxload: nothing was written to $2"
}

test_expect_success 'SQLite: the good records of these files load (the model is known)' '
    cp "$FX_TESTDATA/empty.sqlite3" db.sqlite3 &&
    fxload --db db.sqlite3 "$W/good.json" 2>err &&
    grep "^fxload: 1 records: 1 inserted, 0 updated, 0 unchanged$" err &&
    test "$(sqlite3 db.sqlite3 "select id, code, nom from supermarket_agence")" = "4|C4|Quatre"
'

for name in $(cut -d" " -f1 "$W/cases"); do
    test_expect_success "SQLite: $name: exit 1, the reason, the file untouched" '
        cp "$FX_TESTDATA/empty.sqlite3" db.sqlite3 && cp db.sqlite3 before &&
        cp "$W/'$name'.json" . &&
        test_expect_code 1 fxload --db db.sqlite3 '$name'.json 2>err &&
        expect '$name' db.sqlite3 >want && test_cmp want err &&
        cmp before db.sqlite3 && test ! -e db.sqlite3-journal
    '
done

test_expect_success 'SQLite: an error in the second file stops the load of both' '
    cp "$FX_TESTDATA/empty.sqlite3" db.sqlite3 && cp db.sqlite3 before &&
    cp "$W/good.json" "$W/cp1252.json" . &&
    test_expect_code 1 fxload --db db.sqlite3 good.json cp1252.json 2>err &&
    expect cp1252 db.sqlite3 >want && test_cmp want err &&
    cmp before db.sqlite3
'

test_expect_success 'SQLite: from standard input, the error names <stdin>' '
    cp "$FX_TESTDATA/empty.sqlite3" db.sqlite3 && cp db.sqlite3 before &&
    test_expect_code 1 fxload --db db.sqlite3 - <"$W/surrogate.json" 2>err &&
    expect surrogate db.sqlite3 | sed "s/surrogate\.json/<stdin>/" >want &&
    test_cmp want err && cmp before db.sqlite3
'

if pg_setup; then
    PGT=fxt5030_tmpl_$$
    createdb "$PGT" && ERP_DB=postgres PGDATABASE=$PGT $PY "$DJ/manage.py" migrate -v0 ||
        echo "migrate on PostgreSQL failed"
    n=0
    for name in good $(cut -d" " -f1 "$W/cases"); do
        n=$((n + 1))
        db=fxt5030_${$}_$n
        if [ $name = good ]; then
            test_expect_success 'PostgreSQL: the good records of these files load' '
                createdb -T "$PGT" '$db' &&
                fxload --db "dbname='$db'" "$W/good.json" 2>err &&
                grep "^fxload: 1 records: 1 inserted, 0 updated, 0 unchanged$" err &&
                test "$(psql -d '$db' -Atc "select id, code, nom from supermarket_agence")" = "4|C4|Quatre"
            '
            continue
        fi
        test_expect_success "PostgreSQL: $name: exit 1, the reason, no row written" '
            createdb -T "$PGT" '$db' &&
            psql -d '$db' -Atc "insert into supermarket_agence values (9, '\''K'\'', '\''Keep'\'', '\''V'\'', true)" &&
            cp "$W/'$name'.json" . &&
            test_expect_code 1 fxload --db "dbname='$db'" '$name'.json 2>err &&
            expect '$name' "dbname='$db'" >want && test_cmp want err &&
            test "$(psql -d '$db' -Atc "select id, code, nom from supermarket_agence")" = "9|K|Keep"
        '
    done
    for i in $(seq 1 $n); do dropdb --if-exists "fxt5030_${$}_$i"; done
    dropdb --if-exists "$PGT"
fi

test_done
