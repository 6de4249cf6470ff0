#!/usr/bin/env bash
# fxmerge: clean merges to stdout and in place (-o OURS), OURS's layout,
# the summary, --report, conflict blocks and what fxvalidate says of them,
# --strategy, --renumber with --schema, usage errors; exit 0 clean, 1
# conflicts, 2 trouble.

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

SCHEMA=$FX_ROOT/schemas/erp.json

# base, ours (dumpdata --indent 2) and theirs (jsonl): each side changes a
# different field of client 3, a price each, and adds an order with a line
# under the same pks.
make_files () {
    cat >base.json <<\EOF
[
{
  "model": "supermarket.produit",
  "pk": 1,
  "fields": {
    "reference": "REF-1",
    "prix_vente": "10.00"
  }
},
{
  "model": "supermarket.produit",
  "pk": 2,
  "fields": {
    "reference": "REF-2",
    "prix_vente": "20.00"
  }
},
{
  "model": "supermarket.client",
  "pk": 3,
  "fields": {
    "telephone": "+225 07 00",
    "email": "a@example.ci"
  }
},
{
  "model": "supermarket.commande",
  "pk": 1,
  "fields": {
    "numero": "CMD-1",
    "agence": 1,
    "client": 3
  }
},
{
  "model": "supermarket.lignecommande",
  "pk": 1,
  "fields": {
    "commande": 1,
    "produit": 1,
    "quantite": "1.000"
  }
}
]
EOF
    sed -e 's/"10.00"/"11.00"/' -e 's/+225 07 00/+225 05 99/' base.json >ours.json &&
    python3 - <<\EOF
import json
recs = json.load(open("ours.json"))
recs.insert(4, {"model": "supermarket.commande", "pk": 2, "fields": {"numero": "CMD-L", "agence": 1, "client": 3}})
recs.append({"model": "supermarket.lignecommande", "pk": 2, "fields": {"commande": 2, "produit": 1, "quantite": "2.000"}})
open("ours.json", "w").write("[\n" + ",\n".join(json.dumps(r, indent=2) for r in recs) + "\n]\n")
EOF
    cat >theirs.jsonl <<\EOF
{"model": "supermarket.produit","pk": 1,"fields": {"reference": "REF-1","prix_vente": "10.00"}}
{"model": "supermarket.produit","pk": 2,"fields": {"reference": "REF-2","prix_vente": "22.00"}}
{"model": "supermarket.client","pk": 3,"fields": {"telephone": "+225 07 00","email": "new@example.ci"}}
{"model": "supermarket.commande","pk": 1,"fields": {"numero": "CMD-1","agence": 1,"client": 3}}
{"model": "supermarket.commande","pk": 2,"fields": {"numero": "CMD-O","agence": 1,"client": 3}}
{"model": "supermarket.lignecommande","pk": 1,"fields": {"commande": 1,"produit": 1,"quantite": "1.000"}}
{"model": "supermarket.lignecommande","pk": 2,"fields": {"commande": 2,"produit": 1,"quantite": "2.000"}}
EOF
}

cat >"$FX_TRASH/merged.expect" <<\EOF
[
{
  "model": "supermarket.produit",
  "pk": 1,
  "fields": {
    "reference": "REF-1",
    "prix_vente": "11.00"
  }
},
{
  "model": "supermarket.produit",
  "pk": 2,
  "fields": {
    "reference": "REF-2",
    "prix_vente": "22.00"
  }
},
{
  "model": "supermarket.client",
  "pk": 3,
  "fields": {
    "telephone": "+225 05 99",
    "email": "new@example.ci"
  }
},
{
  "model": "supermarket.commande",
  "pk": 1,
  "fields": {
    "numero": "CMD-1",
    "agence": 1,
    "client": 3
  }
},
{
  "model": "supermarket.commande",
  "pk": 2,
  "fields": {
    "numero": "CMD-L",
    "agence": 1,
    "client": 3
  }
},
{
  "model": "supermarket.commande",
  "pk": 3,
  "fields": {
    "numero": "CMD-O",
    "agence": 1,
    "client": 3
  }
},
{
  "model": "supermarket.lignecommande",
  "pk": 1,
  "fields": {
    "commande": 1,
    "produit": 1,
    "quantite": "1.000"
  }
},
{
  "model": "supermarket.lignecommande",
  "pk": 2,
  "fields": {
    "commande": 2,
    "produit": 1,
    "quantite": "2.000"
  }
},
{
  "model": "supermarket.lignecommande",
  "pk": 3,
  "fields": {
    "commande": 3,
    "produit": 1,
    "quantite": "2.000"
  }
}
]
EOF

test_expect 'a clean merge with renumbering, in ours layout, summary on stderr' <<\EOT
make_files &&
fxmerge --schema "$SCHEMA" base.json ours.json theirs.jsonl >out 2>err &&
test_cmp "$FX_TRASH/merged.expect" out &&
echo "fxmerge: 9 records: 5 from ours, 3 from theirs, 1 merged field by field, 0 deleted, 2 renumbered, 0 resolved by --strategy, 0 conflicts" >expect &&
test_cmp expect err &&
fxvalidate -q --schema "$SCHEMA" - <out
EOT

test_expect '-o OURS: in place, atomically; -q' <<\EOT
make_files &&
fxmerge -q -s "$SCHEMA" -o ours.json base.json ours.json theirs.jsonl 2>err &&
test_must_be_empty err &&
test_cmp "$FX_TRASH/merged.expect" ours.json &&
! ls -a | grep -q "fx-"
EOT

test_expect '--report: merges and renumberings as JSON' <<\EOT
make_files &&
fxmerge -q -s "$SCHEMA" --report rep.json -o out.json base.json ours.json theirs.jsonl &&
cat >expect <<\EOF &&
{
  "clean":true,
  "summary":{
    "records":9,
    "ours":5,
    "theirs":3,
    "merged":1,
    "deleted":0,
    "renumbered":2,
    "conflicts":0,
    "resolved":0,
    "restored":0,
    "reverted":0,
    "nulled":0,
    "cascaded":0
  },
  "conflicts":[
  ],
  "resolved":[
  ],
  "merged":[
    {
      "model":"supermarket.client",
      "key":"3",
      "fields":[
        "email"
      ]
    }
  ],
  "renumbered":[
    {
      "model":"supermarket.commande",
      "key":"2",
      "side":"theirs",
      "new_key":"3"
    },
    {
      "model":"supermarket.lignecommande",
      "key":"2",
      "side":"theirs",
      "new_key":"3"
    }
  ],
  "followed":[
  ]
}
EOF
test_cmp expect rep.json
EOT

test_expect 'without --schema colliding adds are conflicts, with a hint' <<\EOT
make_files &&
test_expect_code 1 fxmerge -o out.json base.json ours.json theirs.jsonl 2>err &&
grep "conflict (add/add): supermarket.commande 2: both sides added this pk: pass --schema" err &&
grep "1 conflict: resolve the blocks" err
EOT

test_expect 'a field conflict: the record once, the field between markers; fxvalidate flags them' <<\EOT
make_files &&
sed 's/"22.00"/"23.00"/' theirs.jsonl >t2.jsonl &&
sed 's/"20.00"/"21.00"/' ours.json >o2.json &&
test_expect_code 1 fxmerge -s "$SCHEMA" --report rep.json -o out.json base.json o2.json t2.jsonl 2>err &&
sed -n 10,23p out.json >block &&
cat >expect <<\EOF &&
{
  "model": "supermarket.produit",
  "pk": 2,
  "fields": {
    "reference": "REF-2",
<<<<<<< ours field supermarket.produit 2 prix_vente
    "prix_vente": "21.00"
||||||| base
    "prix_vente": "20.00"
=======
    "prix_vente": "23.00"
>>>>>>> theirs
  }
},
EOF
test_cmp expect block &&
test_expect_code 1 fxvalidate out.json 2>verr &&
grep "conflict-marker" verr | cut -d: -f2 >lines &&
printf '15\n17\n19\n21\n' >expect &&
test_cmp expect lines &&
sed -e '/^<<<<<<< ours/,/^=======$/d' -e '/^>>>>>>> theirs$/d' out.json >resolved.json &&
fxvalidate -q --schema "$SCHEMA" resolved.json &&
grep -q '"23.00"' resolved.json
EOT

test_expect '--report: each conflict with its kind, its line, each field with its values as JSON' <<\EOT
make_files &&
sed -e 's/"22.00"/"23.00"/' -e 's/"REF-2"/"REF-2T"/' theirs.jsonl >t2.jsonl &&
sed -e 's/"20.00"/"21.00"/' -e 's/"REF-2"/"REF-2O"/' ours.json >o2.json &&
test_expect_code 1 fxmerge -q -s "$SCHEMA" --report rep.json -o out.json base.json o2.json t2.jsonl &&
cat >expect <<\EOF &&
  "conflicts":[
    {
      "model":"supermarket.produit",
      "key":"2",
      "kind":"field",
      "line":14,
      "fields":[
        {
          "field":"reference",
          "line":14,
          "base":"REF-2",
          "ours":"REF-2O",
          "theirs":"REF-2T"
        },
        {
          "field":"prix_vente",
          "line":21,
          "base":"20.00",
          "ours":"21.00",
          "theirs":"23.00"
        }
      ],
      "hint":"keep one side's value in the record, delete the other sides and the markers"
    }
  ],
EOF
sed -n '/^  "conflicts":/,/^  \],/p' rep.json >got &&
test_cmp expect got &&
sed -n 14p out.json >got && echo "<<<<<<< ours field supermarket.produit 2 reference" >expect &&
test_cmp expect got &&
sed -n 21p out.json >got && echo "<<<<<<< ours field supermarket.produit 2 prix_vente" >expect &&
test_cmp expect got
EOT

test_expect 'a model only THEIRS has goes where the schema puts it: auth.group before the auth.user naming it' <<\EOT
echo '{"model": "auth.user", "pk": 1, "fields": {"username": "ama", "password": "!", "groups": []}}' >base.jsonl &&
sed 's/"ama"/"ama.k"/' base.jsonl >ours.jsonl &&
user='{"model": "auth.user", "pk": 1, "fields": {"username": "ama", "password": "!", "groups": [["caisse"]]}}' &&
group='{"model": "auth.group", "pk": 1, "fields": {"name": "caisse", "permissions": []}}' &&
printf '%s\n' "$user" "$group" >theirs.jsonl &&
fxmerge -q -s "$SCHEMA" base.jsonl ours.jsonl theirs.jsonl >out &&
printf '%s\n' "$group" "${user/\"ama\"/\"ama.k\"}" >expect &&
test_cmp expect out &&
fxmerge -q base.jsonl ours.jsonl theirs.jsonl >out &&
printf '%s\n' "${user/\"ama\"/\"ama.k\"}" "$group" >expect &&
test_cmp expect out
EOT

test_expect '--strategy ours|theirs resolves field conflicts' <<\EOT
make_files &&
sed 's/"22.00"/"23.00"/' theirs.jsonl >t2.jsonl &&
sed 's/"20.00"/"21.00"/' ours.json >o2.json &&
fxmerge -q -s "$SCHEMA" --strategy ours base.json o2.json t2.jsonl >out &&
grep -q '"21.00"' out && ! grep -q '"23.00"' out &&
fxmerge -q -s "$SCHEMA" --strategy theirs base.json o2.json t2.jsonl >out &&
grep -q '"23.00"' out && ! grep -q '"21.00"' out
EOT

test_expect 'delete against an edit: a conflict, or the strategy decides' <<\EOT
make_files &&
grep -v '"pk": 2,"fields": {"reference"' theirs.jsonl >t2.jsonl &&
sed 's/"20.00"/"21.00"/' ours.json >o2.json &&
test_expect_code 1 fxmerge -s "$SCHEMA" base.json o2.json t2.jsonl >out 2>err &&
grep "conflict (modify/delete): supermarket.produit 2" err &&
fxmerge -q -s "$SCHEMA" --strategy theirs base.json o2.json t2.jsonl >out &&
! grep -q REF-2 out &&
fxmerge -q -s "$SCHEMA" --strategy ours base.json o2.json t2.jsonl >out &&
grep -q '"21.00"' out
EOT

test_expect '--renumber none: an id collision stays a conflict whatever the strategy' <<\EOT
make_files &&
test_expect_code 1 fxmerge -s "$SCHEMA" --renumber none --strategy theirs base.json ours.json theirs.jsonl >out 2>err &&
grep "conflict (add/add): supermarket.commande 2" err
EOT

test_expect '--renumber ours: the mirror image' <<\EOT
make_files &&
fxmerge -q -s "$SCHEMA" -o a.json base.json ours.json theirs.jsonl &&
fxmerge -q -s "$SCHEMA" --renumber ours -o b.json base.json theirs.jsonl ours.json &&
fxdiff a.json b.json
EOT

test_expect 'usage errors and trouble: exit 2' <<\EOT
test_expect_code 2 fxmerge a b 2>err &&
grep "give three files" err &&
test_expect_code 2 fxmerge --renumber both a b c 2>err &&
grep "renumber takes ours, none or theirs" err &&
test_expect_code 2 fxmerge --strategy none a b c 2>err &&
test_expect_code 2 fxmerge missing.json b c 2>err &&
grep "missing.json" err &&
make_files &&
test_expect_code 2 fxmerge -o out.json base.json ours.json missing.json 2>err &&
! test -e out.json &&
fxmerge --help | grep -q "merge.fixture.driver" &&
fxmerge --version | grep -q "fxmerge (fx)"
EOT

test_expect 'past 64 diagnostics each is said once, and counted once' <<\EOT
python3 - <<\EOF &&
for name, bad in (("base.json", b""), ("ours.json", b"\xff"), ("dup.json", b"")):
    dup = b"\"nom\": \"a\", " if name == "dup.json" else b""
    recs = [b"{\"model\": \"supermarket.fournisseur\", \"pk\": %d, \"fields\": {%s\"nom\": \"F%d%s\"}}"
            % (i, dup, i, bad) for i in range(1, 71)]
    open(name, "wb").write(b"[\n" + b",\n".join(recs) + b"\n]\n")
EOF
test_expect_code 2 fxmerge -o out.json base.json ours.json base.json 2>err &&
test $(grep -c "^ours.json:[0-9]*:[0-9]*: error: invalid UTF-8 byte 0xFF" err) = 50 &&
test $(grep "^ours.json:" err | cut -d: -f2 | sort -u | wc -l) = 50 &&
grep "^fxmerge: error: the inputs have 70 errors (the first 50 above): nothing written; .fxvalidate --max-errors 0. lists them all$" err &&
test $(wc -l <err) = 51 &&
! test -e out.json &&
# warnings: the records taken from a side are read again to be written
fxmerge -o out.json base.json dup.json base.json 2>err &&
test $(grep -c "^dup.json:[0-9]*:[0-9]*: warning: field \"nom\" given twice" err) = 70 &&
test $(wc -l <err) = 71
EOT

test_expect 'a CRLF file: the conflict marker lines end in CRLF too' <<\EOT
printf '[\r\n{\r\n  "model": "a.b",\r\n  "pk": 1,\r\n  "fields": {\r\n    "x": "1"\r\n  }\r\n}\r\n]\r\n' >base.json &&
sed 's/"1"/"2"/' base.json >ours.json &&
sed 's/"1"/"3"/' base.json >theirs.json &&
test_expect_code 1 fxmerge -q -o out.json base.json ours.json theirs.json &&
test $(grep -c '^<<<<<<< ours field a.b 1 x'$'\r''$' out.json) = 1 &&
test $(grep -c '^||||||| base'$'\r''$' out.json) = 1 &&
test $(grep -c '^======='$'\r''$' out.json) = 1 &&
test $(grep -c '^>>>>>>> theirs'$'\r''$' out.json) = 1 &&
test $(wc -l <out.json) = 15 &&
! grep -qv $'\r''$' out.json
EOT

test_expect 'a unique clash stays a conflict with --strategy, which says why' <<\EOT
echo '{"model": "supermarket.categorie", "pk": 1, "fields": {"code": "A", "libelle": "a", "parent": null}}' >base.jsonl &&
cp base.jsonl ours.jsonl && cp base.jsonl theirs.jsonl &&
echo '{"model": "supermarket.categorie", "pk": 2, "fields": {"code": "X", "libelle": "ours", "parent": null}}' >>ours.jsonl &&
echo '{"model": "supermarket.categorie", "pk": 7, "fields": {"code": "X", "libelle": "theirs", "parent": null}}' >>theirs.jsonl &&
for s in ours theirs; do
    test_expect_code 1 fxmerge -s "$SCHEMA" --strategy $s -o out.jsonl base.jsonl ours.jsonl theirs.jsonl 2>err &&
    grep "^fxmerge: conflict (unique): supermarket.categorie 2: both sides added a record with this unique value: keep one, or change the value in one of them (--strategy never drops a record one side added)$" err &&
    grep -c '"libelle": "ours"' out.jsonl && grep -c '"libelle": "theirs"' out.jsonl || return 1
done
EOT

test_expect '-o may name OURS, never BASE or THEIRS, whatever the name' <<\EOT
make_files &&
cp base.json base.orig && cp theirs.jsonl theirs.orig &&
test_expect_code 2 fxmerge -s "$SCHEMA" -o ./base.json base.json ours.json theirs.jsonl 2>err &&
echo "./base.json: error: -o names BASE (base.json): the merge must not overwrite an input it is to keep; write the result to OURS or to another file" >expect &&
test_cmp expect err &&
ln theirs.jsonl hard.jsonl && ln -s base.json soft.json &&
test_expect_code 2 fxmerge -s "$SCHEMA" -o hard.jsonl base.json ours.json theirs.jsonl 2>err &&
grep "^hard.jsonl: error: -o names THEIRS (theirs.jsonl): " err &&
test_expect_code 2 fxmerge -s "$SCHEMA" -o base.json soft.json ours.json theirs.jsonl 2>err &&
grep "^base.json: error: -o names BASE (soft.json): " err &&
cmp base.json base.orig && cmp theirs.jsonl theirs.orig &&
fxmerge -q -s "$SCHEMA" -o ./ours.json base.json ours.json theirs.jsonl &&
test_cmp "$FX_TRASH/merged.expect" ours.json
EOT

test_expect 'a side that lost a whole model, or everything: exit 2, nothing written' <<\EOT
make_files &&
grep -v lignecommande theirs.jsonl >t2.jsonl &&
test_expect_code 2 fxmerge -s "$SCHEMA" -o out.json base.json ours.json t2.jsonl 2>err &&
echo "t2.jsonl: error: THEIRS has no record of supermarket.lignecommande (1 in BASE): was it exported with other --exclude options than BASE? A merge would delete them all; export again with the same options as BASE (dumpdata --exclude, app labels), or pass --allow-mass-delete if they were really deleted" >expect &&
test_cmp expect err &&
! test -e out.json &&
fxmerge -q -s "$SCHEMA" --allow-mass-delete -o out.json base.json ours.json t2.jsonl &&
test $(grep -c lignecommande out.json) = 1 && grep -q '"quantite": "2.000"' out.json &&
echo "[]" >empty.json &&
test_expect_code 2 fxmerge -s "$SCHEMA" -o ours.json base.json empty.json theirs.jsonl 2>err &&
echo "empty.json: error: OURS holds no record and BASE has 5: an export that failed or was cut short? A merge would delete every record; export again with the same options as BASE (dumpdata --exclude, app labels), or pass --allow-mass-delete if they were really deleted" >expect &&
test_cmp expect err &&
test_cmp empty.json - <<\EOF
[]
EOF
EOT

test_expect 'BASE and OURS swapped: exit 2; a stale THEIRS: a warning' <<\EOT
make_files &&
test_expect_code 2 fxmerge -s "$SCHEMA" -o out.json ours.json base.json theirs.jsonl 2>err &&
echo "base.json: error: BASE and OURS look swapped: BASE has 2 records OURS lacks, all newer than anything OURS has (by their ids, above OURS's largest of their model: supermarket.commande 2, supermarket.lignecommande 2), and OURS adds none: give the last common export first (fxmerge BASE OURS THEIRS); a merge would delete them, so pass --allow-mass-delete if OURS really deleted them" >expect &&
test_cmp expect err &&
! test -e out.json &&
# The next sync with the online export already merged: it lacks what ours
# made last time (now order 3 and its line, renumbered) and adds nothing.
cp "$FX_TRASH/merged.expect" last-sync.json &&
cp last-sync.json local.json &&
fxmerge -s "$SCHEMA" -o out.json last-sync.json local.json theirs.jsonl 2>err &&
echo "theirs.jsonl: warning: THEIRS looks older than BASE: BASE has 2 records THEIRS lacks, all newer than anything THEIRS has (by their ids, above THEIRS's largest of their model: supermarket.commande 3, supermarket.lignecommande 3), and THEIRS adds none: is it an export from before the last sync, merged then already? Merged again, it deletes them: export it again [stale]" >expect &&
head -n 1 err >first &&
test_cmp expect first
EOT

test_expect 'BASE and OURS swapped, told by timestamps when the records have no pk' <<\EOF_T
user () {    # user NAME DATE_JOINED
    echo "{\"model\": \"auth.user\", \"fields\": {\"username\": \"$1\", \"password\": \"!\", \"date_joined\": \"$2\"}}"
}
{ user ama 2024-03-01T08:00:00Z; user kofi 2024-06-01T08:00:00.250Z; } >base.jsonl &&
{ cat base.jsonl; user awa 2025-01-05T14:30:00+02:00; user yao 2025-01-06T09:00:00Z; } >local.jsonl &&
{ cat base.jsonl; user ali 2025-01-04T10:00:00Z; } >online.jsonl &&
test_expect_code 2 fxmerge -s "$SCHEMA" -o out.jsonl local.jsonl base.jsonl online.jsonl 2>err &&
echo "base.jsonl: error: BASE and OURS look swapped: BASE has 2 records OURS lacks, all newer than anything OURS has (by their timestamps: up to 2025-01-06T09:00:00, and OURS's latest is 2024-06-01T08:00:00), and OURS adds none: give the last common export first (fxmerge BASE OURS THEIRS); a merge would delete them, so pass --allow-mass-delete if OURS really deleted them" >expect &&
test_cmp expect err &&
fxmerge -q -s "$SCHEMA" -o out.jsonl base.jsonl local.jsonl online.jsonl &&
test $(wc -l <out.jsonl) = 5
EOF_T

test_expect 'a merged field whose text THEIRS wrote wrong is named at its record, nothing written' <<\EOT
printf '[\n  {\n    "model": "a.x",\n    "pk": 1,\n    "fields": {\n      "a": "x",\n      "b": 1\n    }\n  }\n]\n' >b.json &&
sed 's/"b": 1/"b": 2/' b.json >o.json &&
sed 's/"a": "x"/"a": "\xff"/' b.json >t.json &&
test_expect_code 2 fxmerge -o out.json b.json o.json t.json 2>err &&
echo "t.json:2:3: error: a.x 1: field 'a' holds text that is not valid (see the errors above): correct it and run again" >expect &&
tail -n 1 err >last &&
test_cmp expect last &&
grep -q "^t.json:6:13: error: invalid UTF-8 byte 0xFF" err &&
! test -e out.json
EOT

test_done
