#!/usr/bin/env bash
# fxdiff: text output, --stat, --format json and fixture, --ignore-field,
# -m/-x, --key, -q, -o, colour, layouts and orders that compare equal, exit
# status (0 same, 1 different, 2 trouble).

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

# old.json (dumpdata --indent 2) and new.jsonl: a price changed, a phone and
# an email changed, a supplier added and one removed, an order deleted, one
# added.
make_files () {
    cat >old.json <<\EOF
[
{
  "model": "supermarket.produit",
  "pk": 7,
  "fields": {
    "reference": "REF-7",
    "prix_vente": "5355.64",
    "fournisseurs": [
      1,
      2
    ]
  }
},
{
  "model": "supermarket.client",
  "pk": 3,
  "fields": {
    "telephone": "+225 07 00",
    "email": "a@example.ci",
    "updated_at": "2025-01-01T00:00:00Z"
  }
},
{
  "model": "supermarket.commande",
  "pk": 5,
  "fields": {
    "numero": "CMD-5"
  }
}
]
EOF
    cat >new.jsonl <<\EOF
{"model": "supermarket.commande","pk": 6,"fields": {"numero": "CMD-6"}}
{"model": "supermarket.client","pk": 3,"fields": {"telephone": "+225 05 11","email": "b@example.ci","updated_at": "2025-02-01T00:00:00Z"}}
{"model": "supermarket.produit","pk": 7,"fields": {"reference": "REF-7","prix_vente": "100.00","fournisseurs": [2,3]}}
EOF
}

test_expect 'text output, one line a record' <<\EOT
make_files &&
test_expect_code 1 fxdiff -s "$FX_ROOT/schemas/erp.json" old.json new.jsonl >out &&
cat >expect <<\EOF &&
~ supermarket.produit 7  prix_vente: "5355.64" -> "100.00", fournisseurs: +3 -1
~ supermarket.client 3  telephone: "+225 07 00" -> "+225 05 11", email: "a@example.ci" -> "b@example.ci", updated_at: "2025-01-01T00:00:00Z" -> "2025-02-01T00:00:00Z"
- supermarket.commande 5
+ supermarket.commande 6
EOF
test_cmp expect out
EOT

test_expect 'the same records in another layout and order: exit 0, no output' <<\EOT
make_files &&
cp old.json a.json &&
printf '[{"model": "supermarket.commande", "pk": "5", "fields": {"numero": "CMD-5"}}, {"model": "Supermarket.Client", "pk": 3, "fields": {"email": "a@example.ci", "telephone": "+225 07 00", "updated_at": "2025-01-01T00:00:00Z"}}, {"model": "supermarket.produit", "pk": 7, "fields": {"reference": "REF-7", "prix_vente": "5355.64", "fournisseurs": [1, 2]}}]' >b.json &&
fxdiff a.json b.json >out &&
test_must_be_empty out
EOT

test_expect 'with --schema, values compare by their field'"'"'s kind: other spellings are no change' <<\EOT
cat >a.jsonl <<\EOF &&
{"model": "supermarket.produit","pk": 1,"fields": {"prix_vente": "1.5","tva": 18.0,"cree_le": "2025-01-09T10:00:09.000Z","actif": true,"attributs": {"a": 1, "b": [2]},"categorie": 3}}
{"model": "supermarket.client","pk": 2,"fields": {"uid": "550E8400-E29B-41D4-A716-446655440000"}}
{"model": "supermarket.commande","pk": 3,"fields": {"date": "2025-01-09T11:00:09+01:00","total": "12"}}
EOF
cat >b.jsonl <<\EOF &&
{"model": "supermarket.produit","pk": 1,"fields": {"prix_vente": "1.50","tva": 18,"cree_le": "2025-01-09T10:00:09Z","actif": "t","attributs": {"b": [2], "a": 1},"categorie": "3"}}
{"model": "supermarket.client","pk": 2,"fields": {"uid": "550e8400e29b41d4a716446655440000"}}
{"model": "supermarket.commande","pk": 3,"fields": {"date": "2025-01-09T10:00:09Z","total": "12.00"}}
EOF
fxdiff -s "$FX_ROOT/schemas/erp.json" a.jsonl b.jsonl >out &&
test_must_be_empty out &&
test_expect_code 1 fxdiff a.jsonl b.jsonl >out &&
cat >expect <<\EOF &&
~ supermarket.produit 1  prix_vente: "1.5" -> "1.50", tva: 18.0 -> 18, cree_le: "2025-01-09T10:00:09.000Z" -> "2025-01-09T10:00:09Z", actif: true -> "t", categorie: 3 -> "3"
~ supermarket.client 2  uid: "550E8400-E29B-41D4-A716-446655440000" -> "550e8400e29b41d4a716446655440000"
~ supermarket.commande 3  date: "2025-01-09T11:00:09+01:00" -> "2025-01-09T10:00:09Z", total: "12" -> "12.00"
EOF
test_cmp expect out &&
sed 's/"1.50"/"1.51"/; s/"date": "2025-01-09T10:00:09Z"/"date": "2025-01-09T10:00:09"/' b.jsonl >c.jsonl &&
test_expect_code 1 fxdiff -s "$FX_ROOT/schemas/erp.json" a.jsonl c.jsonl >out &&
cat >expect <<\EOF &&
~ supermarket.produit 1  prix_vente: "1.5" -> "1.51"
~ supermarket.commande 3  date: "2025-01-09T11:00:09+01:00" -> "2025-01-09T10:00:09"
EOF
test_cmp expect out
EOT

test_expect '--ignore-field, -m, -x' <<\EOT
make_files &&
test_expect_code 1 fxdiff --ignore-field '*.updated_at' -i '*.telephone' -m supermarket.client old.json new.jsonl >out &&
echo '~ supermarket.client 3  email: "a@example.ci" -> "b@example.ci"' >expect &&
test_cmp expect out &&
fxdiff -i 'supermarket.client.*' -x supermarket.produit -x supermarket.commande old.json new.jsonl >out &&
test_must_be_empty out
EOT

test_expect '--stat' <<\EOT
make_files &&
test_expect_code 1 fxdiff --stat old.json new.jsonl >out &&
cat >expect <<\EOF &&
supermarket.produit: 0 added, 0 removed, 1 changed
supermarket.client: 0 added, 0 removed, 1 changed
supermarket.commande: 1 added, 1 removed, 0 changed
3 models: 1 added, 1 removed, 2 changed
EOF
test_cmp expect out
EOT

test_expect '--format json' <<\EOT
make_files &&
test_expect_code 1 fxdiff --format json -s "$FX_ROOT/schemas/erp.json" -m supermarket.produit old.json new.jsonl >out &&
cat >expect <<\EOF &&
{
  "same":false,
  "added":0,
  "removed":0,
  "changed":1,
  "changes":[
    {
      "op":"changed",
      "model":"supermarket.produit",
      "key":"7",
      "fields":[
        {
          "field":"prix_vente",
          "old":"5355.64",
          "new":"100.00"
        },
        {
          "field":"fournisseurs",
          "old":[1,2],
          "new":[2,3],
          "added":[
            3
          ],
          "removed":[
            1
          ]
        }
      ]
    }
  ]
}
EOF
test_cmp expect out &&
/usr/bin/python3 -m json.tool out >/dev/null
EOT

test_expect '--format fixture: the added and changed records, removed keys on stderr' <<\EOT
make_files &&
test_expect_code 1 fxdiff --format fixture old.json new.jsonl >delta.jsonl 2>err &&
cat >expect <<\EOF &&
{"model": "supermarket.produit","pk": 7,"fields": {"reference": "REF-7","prix_vente": "100.00","fournisseurs": [2,3]}}
{"model": "supermarket.client","pk": 3,"fields": {"telephone": "+225 05 11","email": "b@example.ci","updated_at": "2025-02-01T00:00:00Z"}}
{"model": "supermarket.commande","pk": 6,"fields": {"numero": "CMD-6"}}
EOF
test_cmp expect delta.jsonl &&
echo "fxdiff: removed: supermarket.commande 5" >expect &&
test_cmp expect err &&
fxvalidate -q delta.jsonl
EOT

test_expect '--key matches records by business fields' <<\EOT
cat >a.jsonl <<\EOF &&
{"model": "supermarket.commande","pk": 1,"fields": {"agence": 1,"numero": "X","total": "1.00"}}
EOF
cat >b.jsonl <<\EOF &&
{"model": "supermarket.commande","pk": 9,"fields": {"agence": 1,"numero": "X","total": "2.00"}}
EOF
test_expect_code 1 fxdiff --key supermarket.commande=agence,numero a.jsonl b.jsonl >out &&
echo '~ supermarket.commande [1, "X"]  total: "1.00" -> "2.00"' >expect &&
test_cmp expect out &&
test_expect_code 1 fxdiff a.jsonl b.jsonl >out &&
printf -- '- supermarket.commande 1\n+ supermarket.commande 9\n' >expect &&
test_cmp expect out
EOT

test_expect '-q: only the exit status' <<\EOT
make_files &&
test_expect_code 1 fxdiff -q old.json new.jsonl >out 2>&1 &&
test_must_be_empty out &&
fxdiff -q old.json old.json
EOT

test_expect 'colour only when asked or on a terminal, never with NO_COLOR' <<\EOT
make_files &&
test_expect_code 1 fxdiff --color always -m supermarket.commande old.json new.jsonl >out &&
printf '\033[31m- supermarket.commande 5\033[0m\n\033[32m+ supermarket.commande 6\033[0m\n' >expect &&
test_cmp expect out &&
test_expect_code 1 fxdiff -m supermarket.commande old.json new.jsonl >out &&
! grep -q "$(printf '\033')" out &&
if command -v script >/dev/null; then
    NO_COLOR=1 script -qec "fxdiff -m supermarket.commande old.json new.jsonl" /dev/null >out;
    ! grep -q "$(printf '\033')\[3" out
fi
EOT

test_expect '-o FILE: every format written there, atomically, as on stdout' <<\EOT
make_files &&
for f in "" "--stat" "--format json" "--format fixture"; do
    test_expect_code 1 fxdiff $f old.json new.jsonl >expect 2>/dev/null &&
    test_expect_code 1 fxdiff $f -o out.txt old.json new.jsonl >stdout 2>/dev/null &&
    test_must_be_empty stdout &&
    test_cmp expect out.txt || return 1
done &&
fxdiff -o same.txt old.json old.json &&
test_must_be_empty same.txt &&
test_expect_code 1 fxdiff --color auto -o out.txt -m supermarket.commande old.json new.jsonl &&
printf -- '- supermarket.commande 5\n+ supermarket.commande 6\n' >expect &&
test_cmp expect out.txt &&
ls -A >files && printf 'expect\nfiles\nnew.jsonl\nold.json\nout.txt\nsame.txt\nstdout\n' >want &&
test_cmp want files
EOT

test_expect '-o FILE: untouched when the diff cannot be trusted; -q and -o do not go together' <<\EOT
make_files &&
echo keep >out.txt &&
printf "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": \"\377\"}}]\n" >bad.json &&
test_expect_code 2 fxdiff -o out.txt old.json bad.json 2>err &&
echo keep >expect &&
test_cmp expect out.txt &&
test_expect_code 2 fxdiff -o out.txt old.json missing.json 2>err &&
test_cmp expect out.txt &&
! ls -A | grep -q "fx-" &&
test_expect_code 2 fxdiff -q -o out.txt old.json new.jsonl 2>err &&
grep "^fxdiff: -q writes nothing: do not combine it with -o$" err
EOT

test_expect 'stdin as OLD or NEW' <<\EOT
make_files &&
test_expect_code 1 fxdiff - new.jsonl <old.json >out &&
test_line_count=$(wc -l <out) && [ "$test_line_count" = 4 ]
EOT

test_expect 'the corpus: every layout the same, an edit found' <<\EOT
C=$FX_TESTDATA/corpus &&
fxdiff $C/base.json $C/base.compact.json &&
fxdiff $C/base.json $C/base.jsonl &&
fxdiff $C/base.json $C/base.json.gz &&
sed 's/"prix_vente": "5355.64"/"prix_vente": "100.00"/' $C/base.json >new.json &&
test_expect_code 1 fxdiff $C/base.jsonl new.json >out &&
echo '~ supermarket.produit 1  prix_vente: "5355.64" -> "100.00"' >expect &&
test_cmp expect out
EOT

test_expect 'usage errors and unreadable files: exit 2' <<\EOT
test_expect_code 2 fxdiff only-one.json 2>err &&
grep "give two files" err &&
test_expect_code 2 fxdiff --format xml a b 2>err &&
grep "format takes text, json or fixture" err &&
test_expect_code 2 fxdiff --key nonsense a b 2>err &&
grep "is not a key" err &&
test_expect_code 2 fxdiff missing.json missing2.json 2>err &&
grep "missing.json" err &&
printf '[{"model": "a.b", "pk": 1, "fields": {}},\n<<<<<<< ours\n]' >bad.json &&
test_expect_code 2 fxdiff bad.json bad.json 2>err &&
grep "bad.json:2:1: error: leftover merge conflict marker" err &&
fxdiff --help | grep -q "usage: fxdiff" &&
fxdiff --version | grep -q "fxdiff (fx)"
EOT

test_expect_success 'invalid UTF-8 in an input: exit 2, the error said once' '
    printf "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": \"y\"}}]\n" >old.json &&
    printf "[{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": \"\377\"}}]\n" >new.json &&
    test_expect_code 2 fxdiff -q old.json new.json 2>err &&
    test $(grep -c "^new.json:1:45: error: invalid UTF-8 byte 0xFF" err) = 1 &&
    grep "^fxdiff: error: the inputs have 1 error (above): the differences shown may be wrong; fxvalidate checks the rest of what loaddata refuses$" err &&
    test $(wc -l <err) = 2
'

test_expect_success 'past 64 diagnostics each is said once, and counted once' '
    python3 -c "
for name, bad in ((\"old.json\", b\"\"), (\"new.json\", b\"\\xff\")):
    recs = [b\"{\\\"model\\\": \\\"a.b\\\", \\\"pk\\\": %d, \\\"fields\\\": {\\\"x\\\": \\\"y%s\\\"}}\" % (i, bad) for i in range(1, 71)]
    open(name, \"wb\").write(b\"[\\n\" + b\",\\n\".join(recs) + b\"\\n]\\n\")
" &&
    test_expect_code 2 fxdiff -q old.json new.json 2>err &&
    test $(grep -c "^new.json:[0-9]*:[0-9]*: error: invalid UTF-8 byte 0xFF" err) = 50 &&
    test $(grep "^new.json:" err | cut -d: -f2 | sort -u | wc -l) = 50 &&
    grep "^fxdiff: error: the inputs have 70 errors (the first 50 above): the differences shown may be wrong; .fxvalidate --max-errors 0. lists them all$" err &&
    test $(wc -l <err) = 51
'

test_done
