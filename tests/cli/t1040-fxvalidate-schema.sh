#!/usr/bin/env bash
# fxvalidate --schema: unknown models and fields, every kind's bad value,
# NOT NULL, unique and unique_together, references (--closed), natural
# foreign keys, and --print-schema.  The schemas: the reference app's
# database after migrate (testdata/corpus/empty.sqlite3) and its hand-made
# schema file (schemas/erp.json, which also knows decimal digits).

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

SQ=$FX_TESTDATA/corpus/empty.sqlite3
ERP=$FX_ROOT/schemas/erp.json
export SQ ERP

# One valid record of each model of the app, one a line; a test appends
# its bad record as line 10.
base () {
    cat <<\EOF
{"model": "auth.user","pk": 1,"fields": {"password": "x","last_login": null,"is_superuser": false,"username": "caissier1","first_name": "Moussa","last_name": "O\"Brien","email": "c1@example.ci","is_staff": false,"is_active": true,"date_joined": "2024-01-01T08:00:00Z","groups": [],"user_permissions": []}}
{"model": "supermarket.agence","pk": 1,"fields": {"code": "PLATEAU","nom": "Plateau","ville": "Abidjan","active": true}}
{"model": "supermarket.categorie","pk": 1,"fields": {"code": "CAT000","libelle": "Rayon 0 — épicerie","parent": null}}
{"model": "supermarket.fournisseur","pk": 1,"fields": {"nom": "Fournisseur Kouassi 0","telephone": "+225 07 00 00 00","email": "f0@fournisseur.ci"}}
{"model": "supermarket.produit","pk": 1,"fields": {"reference": "REF-000000","designation": "Sardines à l'huile n°0","categorie": 1,"prix_achat": "4284.51","prix_vente": "5355.64","tva": 1e-07,"code_barre": "4079374116470","attributs": {"bio": true},"actif": true,"cree_le": "2024-03-29T20:36:30.680Z","fournisseurs": [1]}}
{"model": "supermarket.client","pk": 1,"fields": {"uid": "52deac43-b0b3-4093-8a33-a1ac9c0aab8c","nom": "Diallo","prenom": "Éloïse","telephone": "+225 05 15681362","email": "","agence": 1,"date_naissance": "1962-09-14","points_fidelite": 69504,"notes": ""}}
{"model": "supermarket.commande","pk": 1,"fields": {"numero": "CMD-0000000","agence": 1,"client": 1,"vendeur": 1,"date": "2024-11-07T02:17:01.897Z","statut": "ouverte","total": "0.00"}}
{"model": "supermarket.lignecommande","pk": 1,"fields": {"commande": 1,"produit": 1,"quantite": "15.966","prix_unitaire": "246.45","remise": 0}}
{"model": "supermarket.mouvementstock","pk": 1,"fields": {"produit": 1,"agence": 1,"quantite": "35.572","motif": "vente","horodatage": "2024-08-06T20:51:28Z","duree_traitement": "23:53:56.763915","heure": "12:30"}}
EOF
}

# Records to append, with the value to replace (bash ${R/old/new}).
CLIENT='{"model": "supermarket.client","pk": 2,"fields": {"uid": "62deac43-b0b3-4093-8a33-a1ac9c0aab8c","nom": "D","prenom": "E","telephone": "","email": "","agence": 1,"date_naissance": null,"points_fidelite": 1,"notes": ""}}'
PRODUIT='{"model": "supermarket.produit","pk": 2,"fields": {"reference": "REF-2","designation": "x","categorie": 1,"prix_achat": "1.00","prix_vente": "2.00","tva": 0.18,"code_barre": "1","attributs": {},"actif": true,"cree_le": "2024-03-29T20:36:30Z","fournisseurs": []}}'
COMMANDE='{"model": "supermarket.commande","pk": 2,"fields": {"numero": "CMD-2","agence": 1,"client": null,"vendeur": null,"date": "2024-11-07T02:17:01Z","statut": "ouverte","total": "0.00"}}'
MOUVEMENT='{"model": "supermarket.mouvementstock","pk": 2,"fields": {"produit": 1,"agence": 1,"quantite": "1.000","motif": "vente","horodatage": "2024-08-06T20:51:28Z","duree_traitement": null,"heure": null}}'
LIGNE='{"model": "supermarket.lignecommande","pk": 2,"fields": {"commande": 1,"produit": 1,"quantite": "1","prix_unitaire": "1","remise": 0}}'
AGENCE='{"model": "supermarket.agence","pk": 2,"fields": {"code": "BOUAKE","nom": "Bouaké","ville": "Bouaké","active": true}}'
export CLIENT PRODUIT COMMANDE MOUVEMENT LIGNE AGENCE

# with RECORD...: the base and the records, into t.jsonl.
with () {
    base >t.jsonl &&
    printf "%s\n" "$@" >>t.jsonl
}

# ---------------------------------------------------------------- the base

test_expect 'the base is valid with either schema, --closed, no warning' <<\EOT
base >t.jsonl &&
for s in "$SQ" "$ERP"; do
    test_expect_code 0 fxvalidate --closed --schema "$s" t.jsonl 2>err &&
    echo "fxvalidate: 9 records in 1 file: valid, 0 errors, 0 warnings" >expect &&
    test_cmp expect err || return 1
done &&
with "$CLIENT" "$PRODUIT" "$COMMANDE" "$MOUVEMENT" "$LIGNE" "$AGENCE" &&
test_expect_code 0 fxvalidate -q --closed --schema "$SQ" t.jsonl 2>err &&
test_must_be_empty err &&
test_expect_code 0 fxvalidate -q --closed -s "$ERP" t.jsonl 2>err &&
test_must_be_empty err
EOT

# ---------------------------------------------------------------- models, fields

test_expect 'an unknown model: an error, once a model' <<\EOT
with '{"model": "supermarket.rayon","pk": 1,"fields": {}}' \
     '{"model": "supermarket.rayon","pk": 2,"fields": {}}' &&
test_expect_code 1 fxvalidate --schema "$SQ" t.jsonl 2>err &&
{ echo "t.jsonl:10:1: error: unknown model 'supermarket.rayon': not in the schema (sqlite:$SQ); check the label, or run migrate for its app (further records of it not reported) [schema]" &&
  echo "fxvalidate: 11 records in 1 file: invalid, 1 error, 0 warnings"; } >expect &&
test_cmp expect err &&
test_expect_code 1 fxvalidate -q --schema "$ERP" t.jsonl 2>err &&
echo "t.jsonl:10:1: error: unknown model 'supermarket.rayon': not in the schema ($ERP); check the label, or run migrate for its app (further records of it not reported) [schema]" >expect &&
test_cmp expect err
EOT

test_expect 'an unknown field: an error, once a field' <<\EOT
with "${AGENCE/\"active\": true/\"active\": true,\"region\": \"Nord\"}" \
     '{"model": "supermarket.agence","pk": 3,"fields": {"code": "X","nom": "X","ville": "X","active": true,"region": "Sud"}}' &&
test_expect_code 1 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:127: error: unknown field 'region' on supermarket.agence: loaddata fails with FieldDoesNotExist; remove it, or pass --ignorenonexistent as loaddata -i does (further ones not reported) [schema]
EOF
test_cmp expect err
EOT

test_expect 'a record of many unknown fields: 20 listed, the rest counted' <<\EOT
fields=$(i=1; while [ $i -le 25 ]; do printf '"u%d": %d, ' $i $i; i=$((i + 1)); done) &&
with "{\"model\": \"supermarket.agence\",\"pk\": 3,\"fields\": {${fields}\"code\": \"X\"}}" &&
test_expect_code 1 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
test $(grep -c "error: unknown field 'u[0-9]*' on supermarket.agence" err) = 20 &&
grep "error: unknown field 'u20' on" err &&
! grep "'u21'" err &&
tail -n 1 err >last &&
echo "t.jsonl:10:1: error: 5 more fields of this record are not fields of supermarket.agence (not listed) [schema]" >expect &&
test_cmp expect last
EOT

test_expect 'an unknown field with -i / --ignorenonexistent: a warning, exit 0' <<\EOT
with "${AGENCE/\"active\": true/\"active\": true,\"region\": \"Nord\"}" &&
cat >expect <<\EOF &&
t.jsonl:10:127: warning: unknown field 'region' on supermarket.agence: loaddata --ignorenonexistent skips it (further ones not reported) [schema]
fxvalidate: 10 records in 1 file: valid, 0 errors, 1 warning
EOF
test_expect_code 0 fxvalidate -i --schema "$SQ" t.jsonl 2>err &&
test_cmp expect err &&
test_expect_code 0 fxvalidate --ignorenonexistent --schema "$ERP" t.jsonl 2>err &&
test_cmp expect err
EOT

test_expect 'no schema: unknown models and fields are not checked' <<\EOT
with '{"model": "supermarket.rayon","pk": 1,"fields": {"x": 1}}' &&
test_expect_code 0 fxvalidate -q t.jsonl 2>err &&
test_must_be_empty err
EOT

# ---------------------------------------------------------------- values

test_expect 'int: out of range, both ends' <<\EOT
with "${CLIENT/\"points_fidelite\": 1/\"points_fidelite\": 2147483648}" \
     "$(echo "${CLIENT/\"points_fidelite\": 1/\"points_fidelite\": -2147483649}" | sed "s/\"pk\": 2/\"pk\": 3/; s/62deac43/72deac43/")" &&
test_expect_code 1 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:204: error: supermarket.client.points_fidelite: '2147483648' is out of range for int: expected -2147483648 to 2147483647 [type]
t.jsonl:11:204: error: supermarket.client.points_fidelite: '-2147483649' is out of range for int: expected -2147483648 to 2147483647 [type]
EOF
test_cmp expect err &&
with "${CLIENT/\"points_fidelite\": 1/\"points_fidelite\": 2147483647}" &&
test_expect_code 0 fxvalidate -q --schema "$SQ" t.jsonl
EOT

test_expect 'int: not an integer' <<\EOT
with "${CLIENT/\"points_fidelite\": 1/\"points_fidelite\": 1.5}" &&
test_expect_code 1 fxvalidate -q --schema "$ERP" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:204: error: supermarket.client.points_fidelite: '1.5' is not an integer [type]
EOF
test_cmp expect err
EOT

test_expect 'smallint: out of range' <<\EOT
with "${LIGNE/\"remise\": 0/\"remise\": 32768}" &&
test_expect_code 1 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:132: error: supermarket.lignecommande.remise: '32768' is out of range for smallint: expected -32768 to 32767 [type]
EOF
test_cmp expect err
EOT

test_expect 'bool: not a boolean' <<\EOT
with "${AGENCE/\"active\": true/\"active\": \"yes\"}" \
     "$(echo "${AGENCE/\"active\": true/\"active\": 2}" | sed "s/\"pk\": 2/\"pk\": 3/; s/BOUAKE/KORHOGO/")" &&
test_expect_code 1 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:112: error: supermarket.agence.active: 'yes' is not a boolean: expected true or false [type]
t.jsonl:11:113: error: supermarket.agence.active: '2' is not a boolean: expected true or false [type]
EOF
test_cmp expect err
EOT

test_expect 'decimal: decimal places and digits, from erp.json' <<\EOT
with "${PRODUIT/\"prix_achat\": \"1.00\"/\"prix_achat\": \"1.234\"}" \
     "$(echo "${PRODUIT/\"prix_vente\": \"2.00\"/\"prix_vente\": \"12345678901.00\"}" | sed "s/\"pk\": 2/\"pk\": 3/; s/REF-2/REF-3/")" \
     "$(echo "${PRODUIT/\"prix_vente\": \"2.00\"/\"prix_vente\": \"abc\"}" | sed "s/\"pk\": 2/\"pk\": 4/; s/REF-2/REF-4/")" &&
test_expect_code 1 fxvalidate -q --schema "$ERP" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:121: error: supermarket.produit.prix_achat: ensure that there are no more than 2 decimal places [type]
t.jsonl:11:142: error: supermarket.produit.prix_vente: ensure that there are no more than 12 digits in total [type]
t.jsonl:12:142: error: supermarket.produit.prix_vente: 'abc' is not a decimal number [type]
EOF
test_cmp expect err
EOT

test_expect 'decimal: the SQLite database does not tell the digits' <<\EOT
with "${PRODUIT/\"prix_achat\": \"1.00\"/\"prix_achat\": \"1.234\"}" &&
test_expect_code 0 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
test_must_be_empty err
EOT

test_expect 'float: not a number' <<\EOT
with "${PRODUIT/\"tva\": 0.18/\"tva\": \"x\"}" &&
test_expect_code 1 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
echo "t.jsonl:10:156: error: supermarket.produit.tva: 'x' is not a number [type]" >expect &&
test_cmp expect err
EOT

test_expect 'date: not a date' <<\EOT
with "${CLIENT/\"date_naissance\": null/\"date_naissance\": \"1962-02-30\"}" \
     "$(echo "${CLIENT/\"date_naissance\": null/\"date_naissance\": \"14/09/1962\"}" | sed "s/\"pk\": 2/\"pk\": 3/; s/62deac43/72deac43/")" &&
test_expect_code 1 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:180: error: supermarket.client.date_naissance: '1962-02-30' is not a valid date: expected YYYY-MM-DD [type]
t.jsonl:11:180: error: supermarket.client.date_naissance: '14/09/1962' is not a valid date: expected YYYY-MM-DD [type]
EOF
test_cmp expect err
EOT

test_expect 'datetime: not a datetime' <<\EOT
with "${MOUVEMENT/2024-08-06T20:51:28Z/2024-08-06 25:00}" \
     "$(echo "${MOUVEMENT/2024-08-06T20:51:28Z/hier}" | sed "s/\"pk\": 2/\"pk\": 3/")" &&
test_expect_code 1 fxvalidate -q --schema "$ERP" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:135: error: supermarket.mouvementstock.horodatage: '2024-08-06 25:00' is not a valid datetime: expected YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] [type]
t.jsonl:11:135: error: supermarket.mouvementstock.horodatage: 'hier' is not a valid datetime: expected YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] [type]
EOF
test_cmp expect err
EOT

test_expect 'time: not a time' <<\EOT
with "${MOUVEMENT/\"heure\": null/\"heure\": \"12h30\"}" \
     "$(echo "${MOUVEMENT/\"heure\": null/\"heure\": \"25:00\"}" | sed "s/\"pk\": 2/\"pk\": 3/")" &&
test_expect_code 1 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:192: error: supermarket.mouvementstock.heure: '12h30' is not a valid time: expected HH:MM[:ss[.uuuuuu]] [type]
t.jsonl:11:192: error: supermarket.mouvementstock.heure: '25:00' is not a valid time: expected HH:MM[:ss[.uuuuuu]] [type]
EOF
test_cmp expect err
EOT

test_expect 'duration: not a duration (erp.json)' <<\EOT
with "${MOUVEMENT/\"duree_traitement\": null/\"duree_traitement\": \"2 heures\"}" &&
test_expect_code 1 fxvalidate -q --schema "$ERP" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:178: error: supermarket.mouvementstock.duree_traitement: '2 heures' is not a valid duration: expected [DD] [[HH:]MM:]ss[.uuuuuu] [type]
EOF
test_cmp expect err &&
with "${MOUVEMENT/\"duree_traitement\": null/\"duree_traitement\": \"1 02:03:04.5\"}" &&
test_expect_code 0 fxvalidate -q --schema "$ERP" t.jsonl &&
test_expect_code 0 fxvalidate -q --schema "$SQ" t.jsonl
EOT

test_expect 'uuid: not a uuid' <<\EOT
with "${CLIENT/62deac43-b0b3/zzdeac43-b0b3}" \
     "$(echo "${CLIENT/62deac43-b0b3/2deac43-b0b3}" | sed "s/\"pk\": 2/\"pk\": 3/")" &&
test_expect_code 1 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:58: error: supermarket.client.uid: 'zzdeac43-b0b3-4093-8a33-a1ac9c0aab8c' is not a valid uuid: expected 32 hex digits, with or without dashes [type]
t.jsonl:11:58: error: supermarket.client.uid: '2deac43-b0b3-4093-8a33-a1ac9c0aab8c' is not a valid uuid: expected 32 hex digits, with or without dashes [type]
EOF
test_cmp expect err
EOT

test_expect 'char: max_length counts characters, not bytes' <<\EOT
e100=$(printf "é%.0s" $(seq 100)) &&
with "${CLIENT/\"nom\": \"D\"/\"nom\": \"$e100\"}" &&
test "$(sed -n 10p t.jsonl | wc -c)" -gt 300 &&
test_expect_code 0 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
test_must_be_empty err &&
with "${CLIENT/\"nom\": \"D\"/\"nom\": \"${e100}é\"}" &&
test_expect_code 1 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:104: error: supermarket.client.nom: ensure this value has at most 100 characters (it has 101) [type]
EOF
test_cmp expect err
EOT

test_expect 'null in a NOT NULL field' <<\EOT
with "${CLIENT/\"nom\": \"D\"/\"nom\": null}" &&
test_expect_code 1 fxvalidate -q --schema "$ERP" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:104: error: supermarket.client.nom: null is not allowed: this field is NOT NULL [type]
EOF
test_cmp expect err
EOT

test_expect 'pk of the wrong kind' <<\EOT
with "${PRODUIT/\"pk\": 2/\"pk\": \"deux\"}" &&
test_expect_code 1 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
echo "t.jsonl:10:39: error: supermarket.produit pk: 'deux' is not an integer [type]" >expect &&
test_cmp expect err
EOT

test_expect 'm2m: not a list' <<\EOT
with "${PRODUIT/\"fournisseurs\": []/\"fournisseurs\": 3}" &&
test_expect_code 1 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
echo "t.jsonl:10:259: error: supermarket.produit.fournisseurs: expected a list of references to 'supermarket.fournisseur', got a number [type]" >expect &&
test_cmp expect err
EOT

test_expect 'fk: a value that cannot be the target pk' <<\EOT
with "${COMMANDE/\"client\": null/\"client\": \"abc\"}" &&
test_expect_code 1 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
echo "t.jsonl:10:93: error: supermarket.commande.client: 'abc' is not an integer (the pk of 'supermarket.client') [type]" >expect &&
test_cmp expect err
EOT

test_expect 'a record without pk of a model without natural key: a warning' <<\EOT
with "${PRODUIT/\"pk\": 2,/}" &&
test_expect_code 0 fxvalidate -q --schema "$ERP" t.jsonl 2>err &&
echo "t.jsonl:10:1: warning: supermarket.produit record without pk, and the model has no natural key: loaddata inserts it as a new row every time the file is loaded (further ones not reported) [structure]" >expect &&
test_cmp expect err
EOT

# ---------------------------------------------------------------- unique

test_expect 'unique: two produits with the same reference' <<\EOT
with "${PRODUIT/REF-2/REF-000000}" &&
cat >expect <<\EOF &&
t.jsonl:10:65: error: supermarket.produit reference "REF-000000": the same value as the record at t.jsonl:5:65; loaddata fails with IntegrityError: UNIQUE constraint failed; change one of them [unique]
EOF
for s in "$SQ" "$ERP"; do
    test_expect_code 1 fxvalidate -q --schema "$s" t.jsonl 2>err &&
    test_cmp expect err || return 1
done
EOT

test_expect 'unique across files' <<\EOT
base >a.jsonl &&
echo "${PRODUIT/REF-2/REF-000000}" >b.jsonl &&
test_expect_code 1 fxvalidate -q --schema "$SQ" a.jsonl b.jsonl 2>err &&
cat >expect <<\EOF &&
b.jsonl:1:65: error: supermarket.produit reference "REF-000000": the same value as the record at a.jsonl:5:65; loaddata fails with IntegrityError: UNIQUE constraint failed; change one of them [unique]
EOF
test_cmp expect err
EOT

test_expect 'unique_together: two commandes with the same agence and numero' <<\EOT
with "${COMMANDE/CMD-2/CMD-0000000}" &&
cat >expect <<\EOF &&
t.jsonl:10:87: error: supermarket.commande (agence=1, numero="CMD-0000000"): the same value as the record at t.jsonl:7:87; loaddata fails with IntegrityError: UNIQUE constraint failed; change one of them [unique]
EOF
for s in "$SQ" "$ERP"; do
    test_expect_code 1 fxvalidate -q --schema "$s" t.jsonl 2>err &&
    test_cmp expect err || return 1
done &&
with "${COMMANDE/CMD-2/CMD-0000000}" "$AGENCE" &&
sed -i "10s/\"agence\": 1/\"agence\": 2/" t.jsonl &&
test_expect_code 0 fxvalidate -q --schema "$SQ" t.jsonl
EOT

test_expect 'unique: null values never collide' <<\EOT
with "$COMMANDE" "$(echo "$COMMANDE" | sed "s/\"pk\": 2/\"pk\": 3/; s/CMD-2/CMD-3/")" &&
test_expect_code 0 fxvalidate -q --closed --schema "$SQ" t.jsonl 2>err &&
test_must_be_empty err
EOT

# ---------------------------------------------------------------- references

test_expect 'a reference to a record not in the files: a warning' <<\EOT
with "${COMMANDE/\"client\": null/\"client\": 99}" &&
test_expect_code 0 fxvalidate --schema "$ERP" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:93: warning: supermarket.commande pk 2: client 99 points at supermarket.client, which is not in the given files: it must already be in the database (--closed makes this an error) [reference]
fxvalidate: 10 records in 1 file: valid, 0 errors, 1 warning
EOF
test_cmp expect err
EOT

test_expect 'a reference to a record not in the files, --closed: an error' <<\EOT
with "${COMMANDE/\"client\": null/\"client\": 99}" &&
cat >expect <<\EOF &&
t.jsonl:10:93: error: supermarket.commande pk 2: client 99 points at supermarket.client, which is not in the given files; add it (fxfilter --with-deps) or fix the reference [reference]
fxvalidate: 10 records in 1 file: invalid, 1 error, 0 warnings
EOF
for s in "$SQ" "$ERP"; do
    test_expect_code 1 fxvalidate --closed --schema "$s" t.jsonl 2>err &&
    test_cmp expect err || return 1
done
EOT

test_expect 'm2m members are references too' <<\EOT
with "${PRODUIT/\"fournisseurs\": []/\"fournisseurs\": [1, 7]}" &&
test_expect_code 1 fxvalidate -q --closed --schema "$SQ" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:263: error: supermarket.produit pk 2: fournisseurs 7 points at supermarket.fournisseur, which is not in the given files; add it (fxfilter --with-deps) or fix the reference [reference]
EOF
test_cmp expect err
EOT

test_expect 'a reference may point forward, or into another file' <<\EOT
base >a.jsonl &&
echo "${COMMANDE/\"client\": null/\"client\": 7}" >b.jsonl &&
echo "${CLIENT/\"pk\": 2/\"pk\": 7}" >c.jsonl &&
test_expect_code 0 fxvalidate -q --closed --schema "$SQ" a.jsonl b.jsonl c.jsonl 2>err &&
test_must_be_empty err &&
cat a.jsonl b.jsonl c.jsonl >t.jsonl &&
test_expect_code 0 fxvalidate -q --closed --schema "$SQ" t.jsonl 2>err &&
test_must_be_empty err
EOT

test_expect 'natural foreign keys resolve against the records natural keys' <<\EOT
with "${PRODUIT/\"categorie\": 1/\"categorie\": [\"CAT000\"]}" &&
for s in "$SQ" "$ERP"; do
    test_expect_code 0 fxvalidate -q --closed --schema "$s" t.jsonl 2>err &&
    test_must_be_empty err || return 1
done &&
with "${PRODUIT/\"categorie\": 1/\"categorie\": [\"CAT999\"]}" &&
test_expect_code 1 fxvalidate -q --closed --schema "$ERP" t.jsonl 2>err &&
cat >expect <<\EOF &&
t.jsonl:10:105: error: supermarket.produit pk 2: categorie ["CAT999"] points at supermarket.categorie, which is not in the given files; add it (fxfilter --with-deps) or fix the reference [reference]
EOF
test_cmp expect err &&
with "${PRODUIT/\"categorie\": 1/\"categorie\": [\"CAT000\", 2]}" &&
test_expect_code 1 fxvalidate -q --schema "$SQ" t.jsonl 2>err &&
echo "t.jsonl:10:105: error: supermarket.produit.categorie: natural key of 'supermarket.categorie' has 1 value, got 2 [type]" >expect &&
test_cmp expect err
EOT

# ---------------------------------------------------------------- schema specs

test_expect 'a schema that cannot be read: exit 2' <<\EOT
base >t.jsonl &&
test_expect_code 2 fxvalidate --schema nope.json t.jsonl >out 2>err &&
test_must_be_empty out &&
echo "nope.json: error: cannot open schema 'nope.json' (No such file or directory): pass a schema file (JSON) or a SQLite database made by Django's migrate" >expect &&
test_cmp expect err &&
echo "{" >bad.json &&
test_expect_code 2 fxvalidate --schema bad.json t.jsonl 2>err &&
echo "bad.json:2:1: error: not valid JSON (unexpected end of file): fix the schema file at the place given" >expect &&
test_cmp expect err &&
echo "{\"fx_schema\": 1, \"models\": {\"a.b\": {\"fields\": {\"x\": {\"kind\": \"char\", \"max_lenght\": 3}}}}}" >typo.json &&
test_expect_code 2 fxvalidate --schema typo.json t.jsonl 2>err &&
echo "typo.json: error: model 'a.b', field 'x': unknown key 'max_lenght': use kind, null, unique, positive, max_length, max_digits, decimal_places, alt_kind, to, to_field, on_delete, column or through" >expect &&
test_cmp expect err
EOT

test_expect 'sqlite:PATH names a database' <<\EOT
with "${PRODUIT/REF-2/REF-000000}" &&
test_expect_code 1 fxvalidate -q --schema "sqlite:$SQ" t.jsonl 2>err &&
grep "IntegrityError: UNIQUE constraint failed" err
EOT

# ---------------------------------------------------------------- --print-schema

test_expect '--print-schema: JSON on stdout, exit 0' <<\EOT
test_expect_code 0 fxvalidate --schema "$SQ" --print-schema >sq.json 2>err &&
test_must_be_empty err &&
jq -r ".fx_schema, .source" sq.json >actual &&
printf "1\nsqlite:%s\n" "$SQ" >expect &&
test_cmp expect actual &&
jq -r ".models | keys[]" sq.json >actual &&
cat >expect <<\EOF &&
auth.group
auth.permission
auth.user
contenttypes.contenttype
supermarket.agence
supermarket.categorie
supermarket.client
supermarket.commande
supermarket.fournisseur
supermarket.lignecommande
supermarket.mouvementstock
supermarket.produit
EOF
test_cmp expect actual &&
jq -c ".models[\"supermarket.commande\"].unique_together" sq.json >actual &&
echo "[[\"agence\",\"numero\"]]" >expect &&
test_cmp expect actual
EOT

test_expect '--print-schema of erp.json is erp.json' <<\EOT
fxvalidate --schema "$ERP" --print-schema >erp.json &&
jq -S "del(.source)" erp.json >actual &&
jq -S . "$ERP" >expect &&
test_cmp expect actual
EOT

test_expect '--print-schema fed back as --schema: the same findings' <<\EOT
fxvalidate --schema "$SQ" --print-schema >sq.json &&
fxvalidate --schema sq.json --print-schema >again.json &&
test_cmp sq.json again.json &&
with '{"model": "supermarket.rayon","pk": 1,"fields": {}}' \
     "${PRODUIT/REF-2/REF-000000}" \
     "${COMMANDE/\"client\": null/\"client\": 99}" \
     "${LIGNE/\"remise\": 0/\"remise\": 32768}" \
     "${MOUVEMENT/\"heure\": null/\"heure\": \"25:00\"}" &&
sed -i "13s/\"pk\": 2/\"pk\": 3/; 14s/\"pk\": 2/\"pk\": 4/" t.jsonl &&
test_expect_code 1 fxvalidate --closed --schema "$SQ" t.jsonl 2>expect &&
test "$(grep -c " error: " expect)" = 5 &&
test_expect_code 1 fxvalidate --closed --schema sq.json t.jsonl 2>actual &&
test_cmp expect actual
EOT

test_done
