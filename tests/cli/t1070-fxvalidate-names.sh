#!/usr/bin/env bash
# loaddata reads a file by its name, not its content (Django 3.2,
# loaddata.py parse_name(): the last part among gz zip bz2 lzma xz is the
# compression, the part before it the format): fxvalidate's verdict on
# names against real loaddata (Debian's python3-django, tests/django).
# The same two records under names that agree and disagree with what the
# file holds; each file alone in its directory, loaded into an empty
# database and rolled back.  fxvalidate must exit 0 where loaddata loads and
# 1 where it refuses, with a [name] error that names the cause and the
# name to give.

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

DJ=$FX_ROOT/tests/django
/usr/bin/python3 -c 'import django' 2>/dev/null || { echo "# python3-django missing: skipped"; test_done; }

# CASE CONTENT NAME, a line each: CONTENT is json or jsonl, plain or with
# a compression (json.gz: gzip of json).
cat >"$FX_TRASH/cases" <<\EOF
a json x.json
b jsonl x.jsonl
c jsonl x.json
d json x.jsonl
e json.gz x.json.gz
f json.gz x.json
g json x.json.gz
h json.gz x.json.bz2
i json.lzma x.json.xz
j json.xz x.json.lzma
k json x.txt
l json x
m json.zip x.json.zip
n jsonl.bz2 x.jsonl.bz2
o json.gz x.gz
p json v1.2
EOF

cat >"$FX_TRASH/make.py" <<\EOF
import bz2, gzip, lzma, os, zipfile
recs = ['{"model": "supermarket.agence", "pk": 1, "fields": {"code": "PLATEAU", '
        '"nom": "Plateau", "ville": "Abidjan", "active": true}}',
        '{"model": "supermarket.agence", "pk": 2, "fields": {"code": "BOUAKE", '
        '"nom": "Bouaké", "ville": "Bouaké", "active": false}}']
text = {"json": ("[\n" + ",\n".join(recs) + "\n]\n").encode(),
        "jsonl": ("\n".join(recs) + "\n").encode()}
def zipped(data):
    import io
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("x.json", data)
    return b.getvalue()
squeeze = {"gz": gzip.compress, "bz2": bz2.compress, "zip": zipped,
           "xz": lambda d: lzma.compress(d, format=lzma.FORMAT_XZ),
           "lzma": lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE)}
for line in open("cases"):
    case, content, name = line.split()
    fmt, _, comp = content.partition(".")
    data = text[fmt]
    if comp:
        data = squeeze[comp](data)
    os.makedirs(case)
    open(os.path.join(case, name), "wb").write(data)
EOF

cat >"$FX_TRASH/load.py" <<\EOF
import os
from django.core.management import call_command
from django.db import transaction
class Rollback(Exception):
    pass
for line in open("cases"):
    case, content, name = line.split()
    try:
        with transaction.atomic():
            call_command("loaddata", os.path.abspath(os.path.join(case, name)), verbosity=0)
            raise Rollback
    except Rollback:
        print(case, "ok")
    except Exception:
        print(case, "refused")
EOF

test_expect 'fxvalidate exits 0 where loaddata loads the file by its name, 1 where it refuses' <<\EOT
cp ../cases ../make.py ../load.py . &&
/usr/bin/python3 make.py &&
cp "$FX_TESTDATA/corpus/empty.sqlite3" db.sqlite3 &&
ERP_SQLITE=$PWD/db.sqlite3 /usr/bin/python3 "$DJ/manage.py" shell -c "exec(open('load.py').read())" >loaddata.out &&
test "$(wc -l <loaddata.out)" = "$(wc -l <cases)" &&
grep -c " ok$" loaddata.out >n.ok && test "$(cat n.ok)" = 7 &&
while read -r case content name; do
    fxvalidate -q "$case/$name" 2>"$case.err"
    rc=$?
    if grep -q "^$case ok$" loaddata.out; then want=0; else want=1; fi
    echo "$case $want $rc"
    test "$rc" = "$want" || { cat "$case.err"; return 1; }
    if [ "$want" = 1 ]; then grep -q "\[name\]$" "$case.err" || return 1; fi
done <cases
EOT

test_expect 'the messages: what loaddata would do, and the name to give' <<\EOT
cp ../cases ../make.py . &&
/usr/bin/python3 make.py &&
for c in c d f g h k l o p; do
    fxvalidate -q "$c"/* 2>>err
done
cat >expect <<\EOF &&
c/x.json: error: the name ends in '.json' but the file holds jsonl (one record a line): loaddata reads it as json and fails; name it 'c/x.jsonl' [name]
d/x.jsonl: error: the name ends in '.jsonl' but the file holds json (one array of records): loaddata reads it as jsonl and fails; name it 'd/x.json' [name]
f/x.json: error: the file is gzip-compressed but its name does not say so: loaddata reads it as plain text and fails; name it 'f/x.json.gz' [name]
g/x.json.gz: error: the name ends in '.gz' but the file is not compressed: loaddata fails to decompress it; name it 'g/x.json' [name]
h/x.json.bz2: error: the name ends in '.bz2' but the file is gzip-compressed: loaddata fails to decompress it; name it 'h/x.json.gz' [name]
k/x.txt: error: loaddata takes the format from the file name, and 'txt' is not one it knows ("txt is not a known serialization format"); name it 'k/x.json' [name]
l/x: error: loaddata takes the format from the file name, and 'l/x' names none: it looks for 'l/x.json' and the like instead, and does not read this file; name it 'l/x.json' [name]
o/x.gz: error: loaddata takes the format from the file name, and 'o/x.gz' names none: it looks for 'o/x.json.gz' and the like instead, and does not read this file; name it 'o/x.json.gz' [name]
p/v1.2: error: loaddata takes the format from the file name, and '2' is not one it knows ("2 is not a known serialization format"); name it 'p/v1.json' [name]
EOF
test_cmp expect err
EOT

test_expect 'standard input is not judged by a name; other tools read by content' <<\EOT
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n]\n" | gzip -c >gz.jsonl &&
test_expect_code 0 fxvalidate -q - <gz.jsonl &&
fxfilter gz.jsonl >out.json 2>err &&
test_must_be_empty err &&
test_expect_code 0 fxvalidate -q out.json
EOT

test_done
