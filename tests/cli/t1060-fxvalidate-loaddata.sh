#!/usr/bin/env bash
# fxvalidate's verdict on encodings against real loaddata (Django 3.2,
# Debian's python3-django, tests/django): the same two records written in
# every encoding (UTF-8 with and without BOM, UTF-16 and UTF-32 in both byte
# orders, with and without BOM), as json and jsonl, plain, gzipped and
# zipped, plus the cases loaddata's line-by-line jsonl reading makes
# special.  loaddata loads each file into an empty database (rolled back);
# fxvalidate must exit 0 for every file loaddata took and 1 for every file
# it refused.  Also unique values, which the database compares as values.

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

DJ=$FX_ROOT/tests/django
/usr/bin/python3 -c 'import django' 2>/dev/null || { echo "# python3-django missing: skipped"; test_done; }

# The fixtures, made by Python's codecs; NAME.json or NAME.jsonl, as
# loaddata picks its deserializer by the name.
cat >"$FX_TRASH/make.py" <<\EOF
import codecs, gzip, os, sys, zipfile
recs = ['{"model": "supermarket.agence", "pk": 1, "fields": {"code": "PLATEAU", '
        '"nom": "Plateau", "ville": "Abidjan", "active": true}}',
        '{"model": "supermarket.agence", "pk": 2, "fields": {"code": "BOUAKE", '
        '"nom": "%s", "ville": "Bouaké", "active": false}}']
def texts(nom="Bouaké"):
    r = [recs[0], recs[1] % nom]
    return {"json": "[\n" + ",\n".join(r) + "\n]\n", "jsonl": "\n".join(r) + "\n"}
encodings = {
    "utf8": ("utf-8", b""), "bom8": ("utf-8", codecs.BOM_UTF8),
    "u16le": ("utf-16-le", codecs.BOM_UTF16_LE), "u16be": ("utf-16-be", codecs.BOM_UTF16_BE),
    "u16le-nobom": ("utf-16-le", b""), "u16be-nobom": ("utf-16-be", b""),
    "u32le": ("utf-32-le", codecs.BOM_UTF32_LE), "u32be": ("utf-32-be", codecs.BOM_UTF32_BE),
    "u32le-nobom": ("utf-32-le", b""), "u32be-nobom": ("utf-32-be", b""),
}
os.makedirs("f", exist_ok=True)
def put(name, data):
    open("f/" + name, "wb").write(data)
    open("f/gz-" + name + ".gz", "wb").write(gzip.compress(data))
    with zipfile.ZipFile("f/zip-" + name + ".zip", "w") as z:
        z.writestr(name, data)
for fmt, text in texts().items():
    for e, (codec, bom) in encodings.items():
        put(e + "." + fmt, bom + text.encode(codec))
        put(e + "-crlf." + fmt, bom + text.replace("\n", "\r\n").encode(codec))
j = texts()["jsonl"]
put("bom8-blank.jsonl", codecs.BOM_UTF8 + ("\n" + j).encode())
put("bom8-space.jsonl", codecs.BOM_UTF8 + (" " + j).encode())
put("utf8-blank.jsonl", ("\n" + j).encode())
for nom, tag in (("Ċ", "c"), ("😊", "smile"), ("😀", "grin"), ("ਅ", "gurmukhi")):
    for e in ("u16be", "u32be"):
        codec, bom = encodings[e]
        put(e + "-" + tag + ".jsonl", bom + texts(nom)["jsonl"].encode(codec))
EOF

# loaddata each file given, in a transaction rolled back: "NAME ok" or
# "NAME refused" a line.
cat >"$FX_TRASH/load.py" <<\EOF
import os, sys
from django.core.management import call_command
from django.db import transaction
class Rollback(Exception):
    pass
for path in sorted(os.environ["FIXTURES"].split()):
    try:
        with transaction.atomic():
            call_command("loaddata", os.path.abspath(path), verbosity=0)
            raise Rollback
    except Rollback:
        print(os.path.basename(path), "ok")
    except Exception:
        print(os.path.basename(path), "refused")
EOF

test_expect 'fxvalidate exits 0 for every file loaddata loads, 1 for every file it refuses' <<\EOT
cp ../make.py ../load.py . &&
python3 make.py &&
test "$(ls f | wc -l)" -gt 100 &&
cp "$FX_TESTDATA/corpus/empty.sqlite3" db.sqlite3 &&
FIXTURES="$(ls f/*)" ERP_SQLITE=$PWD/db.sqlite3 /usr/bin/python3 "$DJ/manage.py" shell \
    -c "exec(open('load.py').read())" >loaddata.txt &&
test "$(wc -l <loaddata.txt)" = "$(ls f | wc -l)" &&
for f in $(ls f); do
    fxvalidate -q "f/$f" 2>/dev/null
    case $? in 0) echo "$f ok" ;; 1) echo "$f refused" ;; *) echo "$f trouble" ;; esac
done >fxvalidate.txt &&
test_cmp loaddata.txt fxvalidate.txt &&
# Both verdicts occur, in each family.
grep -q "^utf8.json ok" loaddata.txt && grep -q "^bom8.json refused" loaddata.txt &&
grep -q "^bom8.jsonl ok" loaddata.txt && grep -q "^u16le.json refused" loaddata.txt &&
grep -q "^u16be.jsonl ok" loaddata.txt && grep -q "^u16be-c.jsonl refused" loaddata.txt &&
grep -q "^u32be-nobom.jsonl ok" loaddata.txt && grep -q "^zip-utf8.jsonl.zip refused" loaddata.txt &&
grep -q "^bom8-blank.jsonl refused" loaddata.txt && grep -q "^u16be-grin.jsonl ok" loaddata.txt
EOT

test_expect 'every file fxvalidate refuses for its encoding, fxfilter -o makes one loaddata loads' <<\EOT
cp ../make.py ../load.py . &&
python3 make.py &&
mkdir g &&
for f in $(ls f); do
    fxvalidate -q "f/$f" 2>/dev/null && continue
    case $f in zip-*jsonl*) continue ;; esac   # a zip stays a zip: unzip it
    fxfilter -q "f/$f" -o "g/${f%.gz}" || return 1
    case $f in *.zip) mv "g/$f" "g/${f%.zip}" ;; esac
done &&
test "$(ls g | wc -l)" -gt 50 &&
for f in g/*; do fxvalidate -q "$f" || return 1; done &&
cp "$FX_TESTDATA/corpus/empty.sqlite3" db.sqlite3 &&
FIXTURES="$(ls g/*)" ERP_SQLITE=$PWD/db.sqlite3 /usr/bin/python3 "$DJ/manage.py" shell \
    -c "exec(open('load.py').read())" >loaddata.txt &&
test "$(wc -l <loaddata.txt)" = "$(ls g | wc -l)" &&
! grep -v " ok$" loaddata.txt
EOT

test_expect 'unique values compare by their kind, as the database does: a uuid in capitals, an fk as a string' <<\EOT
cat >u.json <<\EOF &&
[{"model": "supermarket.agence", "pk": 1, "fields": {"code": "P", "nom": "P", "ville": "A", "active": true}},
{"model": "supermarket.client", "pk": 1, "fields": {"uid": "550E8400-E29B-41D4-A716-446655440000", "nom": "a", "prenom": "b", "telephone": "", "email": "", "agence": 1, "date_naissance": null, "points_fidelite": 0, "notes": ""}},
{"model": "supermarket.client", "pk": 2, "fields": {"uid": "550e8400e29b41d4a716446655440000", "nom": "a", "prenom": "b", "telephone": "", "email": "", "agence": 1, "date_naissance": null, "points_fidelite": 0, "notes": ""}}]
EOF
sed 's/"uid": "550e8400e29b41d4a716446655440000"/"uid": "660e8400e29b41d4a716446655440000"/' u.json >ok.json &&
cat >c.json <<\EOF &&
[{"model": "supermarket.agence", "pk": 1, "fields": {"code": "P", "nom": "P", "ville": "A", "active": true}},
{"model": "supermarket.commande", "pk": 1, "fields": {"numero": "A-1", "agence": 1, "client": null, "vendeur": null, "date": "2025-01-09T10:00:00Z", "statut": "x", "total": "1.00"}},
{"model": "supermarket.commande", "pk": 2, "fields": {"numero": "A-1", "agence": "1", "client": null, "vendeur": null, "date": "2025-01-09T10:00:00Z", "statut": "x", "total": "1.00"}}]
EOF
for f in u ok c; do
    cp "$FX_TESTDATA/corpus/empty.sqlite3" $f.sqlite3 &&
    { ERP_SQLITE=$PWD/$f.sqlite3 /usr/bin/python3 "$DJ/manage.py" loaddata -v 0 "$PWD/$f.json" 2>$f.dj
      echo "$f $?"; } || return 1
done >loaddata.txt &&
printf 'u 1\nok 0\nc 1\n' >expect &&
test_cmp expect loaddata.txt &&
grep -q "UNIQUE constraint failed: supermarket_client.uid" u.dj &&
grep -q "UNIQUE constraint failed: supermarket_commande.agence_id, supermarket_commande.numero" c.dj &&
test_expect_code 1 fxvalidate -q -s "$FX_ROOT/schemas/erp.json" u.json 2>err &&
echo "u.json:3:60: error: supermarket.client uid \"550e8400e29b41d4a716446655440000\": the same value as the record at u.json:2:60; loaddata fails with IntegrityError: UNIQUE constraint failed; change one of them [unique]" >expect &&
test_cmp expect err &&
fxvalidate -q -s "$FX_ROOT/schemas/erp.json" ok.json &&
test_expect_code 1 fxvalidate -q -s "$FX_ROOT/schemas/erp.json" c.json 2>err &&
echo "c.json:3:82: error: supermarket.commande (agence=\"1\", numero=\"A-1\"): the same value as the record at c.json:2:82; loaddata fails with IntegrityError: UNIQUE constraint failed; change one of them [unique]" >expect &&
test_cmp expect err
EOT

test_done
