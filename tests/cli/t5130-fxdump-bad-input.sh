#!/usr/bin/env bash
# fxdump on what it cannot dump: usage mistakes, labels dumpdata refuses
# (its words), files that are not databases, databases migrate did not
# make or that do not match the schema, values Django could not read, a
# reference whose row is gone, a server that cannot be reached.  Each:
# exit 2, a message that says what to do, nothing at -o.

. "$(dirname "$0")/lib.sh"

ERP=$FX_ROOT/schemas/erp.json
EMPTY=$FX_TESTDATA/corpus/empty.sqlite3

# fails_cleanly EXPECTED-MESSAGE fxdump ARGS...: exit 2, that message as
# the first line of stderr, and no file left but db.sqlite3.
fails_cleanly () {
    local want=$1
    shift
    test_expect_code 2 "$@" -o out.json >out 2>err &&
    test_must_be_empty out &&
    head -n 1 err >first && echo "$want" >expect && test_cmp expect first &&
    ls -A >files && printf "db.sqlite3\nerr\nexpect\nfiles\nfirst\nout\n" >../want &&
    test_cmp ../want files && rm -f err expect files first out
}

test_expect_success 'usage mistakes: exit 2 with the reason' '
    test_expect_code 2 fxdump supermarket 2>err &&
    grep "^fxdump: no database: pass --db with a SQLite file or a postgresql:// URI$" err &&
    test_expect_code 2 fxdump --db x --format xml 2>err &&
    grep "^fxdump: Unknown serialization format: xml (fxdump writes json and jsonl)$" err &&
    test_expect_code 2 fxdump --db x --indent two 2>err &&
    grep "^fxdump: --indent takes a number of spaces from -64 to 64, not '"'"'two'"'"'$" err &&
    test_expect_code 2 fxdump --db x --nope 2>err && grep "unknown option" err
'

while IFS='|' read -r args msg; do
    test_expect_success "labels: $args" '
        cp "$EMPTY" db.sqlite3 &&
        fails_cleanly "fxdump: error: '"$msg"'" fxdump --db db.sqlite3 -s "$ERP" '"$args"'
    '
done <<\EOT
nothing|No installed app with label 'nothing'. (the apps: contenttypes, auth, supermarket; app labels are matched exactly, model names ignoring case)
Supermarket.agence|No installed app with label 'Supermarket'. (the apps: contenttypes, auth, supermarket; app labels are matched exactly, model names ignoring case)
supermarket.nothing|Unknown model: supermarket.nothing
a.b.c|No installed app with label 'a.b.c'. (the apps: contenttypes, auth, supermarket; app labels are matched exactly, model names ignoring case)
-e nothing|No installed app with label 'nothing'. (the apps: contenttypes, auth, supermarket; app labels are matched exactly, model names ignoring case)
-e supermarket.nothing|Unknown model: supermarket.nothing
-e nothing.agence|Unknown model: nothing.agence
--pks 1|You can only use --pks option with one model
--pks 1 supermarket|You can only use --pks option with one model
--pks 1 supermarket.agence auth.user|You can only use --pks option with one model
--pks 1,abc supermarket.agence|Unable to serialize database: Field 'id' expected a number but got 'abc'.
--pks 1,,2 supermarket.agence|Unable to serialize database: Field 'id' expected a number but got ''.
EOT

test_expect_success '--pks "" is no filter, as in dumpdata' '
    cp "$EMPTY" db.sqlite3 &&
    fxdump -q --db db.sqlite3 -s "$ERP" --pks "" supermarket.agence >out &&
    printf "[]" >expect && test_cmp expect out
'

test_expect_success 'a file that is not a database' '
    echo "not a database" >db.sqlite3 &&
    fails_cleanly "db.sqlite3: error: cannot read the database (file is not a database): pass the SQLite file Django'"'"'s settings name" fxdump --db db.sqlite3 &&
    fails_cleanly "db.sqlite3: error: cannot read the database (file is not a database): pass the SQLite file Django'"'"'s settings name" fxdump --db db.sqlite3 -s "$ERP"
'

test_expect_success 'a database that is not there' '
    touch db.sqlite3 &&
    test_expect_code 2 fxdump --db nowhere.sqlite3 -s "$ERP" -o out.json 2>err &&
    grep "^nowhere.sqlite3: error: cannot open database '"'"'nowhere.sqlite3'"'"' (No such file or directory): pass the SQLite file Django'"'"'s settings name$" err &&
    test ! -e nowhere.sqlite3 && test ! -e out.json
'

test_expect_success 'a database migrate did not make: run migrate' '
    sqlite3 db.sqlite3 "CREATE TABLE t (id integer PRIMARY KEY)" &&
    fails_cleanly "db.sqlite3: error: not a database made by Django'"'"'s migrate (no django_content_type table): run migrate, or pass a schema file" fxdump --db db.sqlite3 &&
    fails_cleanly "db.sqlite3: error: cannot read the database (no such table: django_content_type): the database does not have the tables and columns the schema names: run manage.py migrate, or pass the schema of this project (manage.py fxschema)" fxdump --db db.sqlite3 -s "$ERP"
'

test_expect_success 'a schema that does not match the database' '
    cp "$EMPTY" db.sqlite3 &&
    jq ".models[\"supermarket.agence\"].fields.region = {\"kind\": \"char\"}" "$ERP" >../s.json &&
    fails_cleanly "db.sqlite3: error: cannot read the database (no such column: t0.region): the database does not have the tables and columns the schema names: run manage.py migrate, or pass the schema of this project (manage.py fxschema)" fxdump --db db.sqlite3 -s ../s.json supermarket.agence
'

test_expect_success 'a value Django could not read either: the row named' '
    cp "$EMPTY" db.sqlite3 &&
    sqlite3 db.sqlite3 "INSERT INTO supermarket_agence VALUES (1, \"A\", \"a\", \"\", 1);
        INSERT INTO supermarket_client (id, uid, nom, prenom, telephone, email, agence_id, date_naissance, points_fidelite, notes)
        VALUES (7, \"52deac43b0b340938a33a1ac9c0aab8c\", \"n\", \"\", \"\", \"\", 1, \"2024-13-01\", 0, \"\")" &&
    fails_cleanly "db.sqlite3: error: supermarket.client pk 7, field '"'"'date_naissance'"'"': '"'"'2024-13-01'"'"' is not a date: Django cannot read it either; fix the row" fxdump -q --db db.sqlite3 -s "$ERP"
'

test_expect_success '--natural-foreign and a reference to a row that is gone' '
    cp "$EMPTY" db.sqlite3 &&
    sqlite3 db.sqlite3 "INSERT INTO supermarket_client (id, uid, nom, prenom, telephone, email, agence_id, date_naissance, points_fidelite, notes)
        VALUES (7, \"52deac43b0b340938a33a1ac9c0aab8c\", \"n\", \"\", \"\", \"\", 9, NULL, 0, \"\")" &&
    fails_cleanly "db.sqlite3: error: supermarket.client pk 7, field '"'"'agence'"'"': refers to supermarket.agence 9, which is not in the database, so it has no natural key (dumpdata fails the same way); fix the row or dump without --natural-foreign" fxdump --db db.sqlite3 -s "$ERP" --natural-foreign supermarket.client &&
    fxdump -q --db db.sqlite3 -s "$ERP" supermarket.client >out &&
    grep "\"agence\": 9," out
'

test_expect_success '-o in a directory that does not exist' '
    cp "$EMPTY" db.sqlite3 &&
    test_expect_code 2 fxdump --db db.sqlite3 -s "$ERP" -o nodir/out.json 2>err &&
    grep "^nodir/out.json: error: cannot create a file next to it: No such file or directory; check the directory exists and is writable$" err
'

test_expect_success 'PostgreSQL that cannot be reached: exit 2, the password not shown, nothing at -o' '
    touch db.sqlite3 &&
    fails_cleanly "fxdump: error: cannot connect to PostgreSQL database '"'"'postgresql://fx:****@/nodb?host=$PWD/nosocket&port=5432'"'"' (connection to server on socket \"$PWD/nosocket/.s.PGSQL.5432\" failed: No such file or directory Is the server running locally and accepting connections on that socket?): check the URI, PGHOST, PGPORT, PGUSER, PGDATABASE" \
        fxdump --db "postgresql://fx:s3cret@/nodb?host=$PWD/nosocket&port=5432" &&
    ! grep s3cret err &&
    test_expect_code 2 fxdump --db "host=$PWD/nosocket password=s3cret dbname=x" 2>err &&
    grep "^fxdump: error: cannot connect to PostgreSQL database '"'"'host=$PWD/nosocket password=\*\*\*\* dbname=x'"'"'" err && ! grep s3cret err
'

test_done
