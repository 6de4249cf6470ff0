#!/usr/bin/env bash
# fxfilter --redact and --drop-field: defaults by field kind, values,
# patterns, untouched records kept byte for byte, errors.

. "$(dirname "$0")/lib.sh"

C=$FX_TESTDATA/corpus
DB=$C/empty.sqlite3

test_expect_success 'auth.user.password becomes the unusable password; exact bytes' '
    fxfilter -m auth.user --pk 1 --redact auth.user.password --format jsonl "$C/base.json" >out &&
    echo "{\"model\": \"auth.user\",\"pk\": 1,\"fields\": {\"password\": \"!\",\"last_login\": null,\"is_superuser\": false,\"username\": \"caissier1\",\"first_name\": \"Moussa\",\"last_name\": \"O\\\"Brien\",\"email\": \"caissier1@example.ci\",\"is_staff\": false,\"is_active\": true,\"date_joined\": \"2024-01-01T08:00:00Z\",\"groups\": [],\"user_permissions\": []}}" >expect &&
    test_cmp expect out
'

test_expect_success 'a redacted copy to share: changed records re-laid in the same layout' '
    fxfilter -x supermarket.mouvementstock --redact auth.user.password --redact "*.email" \
        --redact supermarket.client.telephone=0000 --drop-field supermarket.client.notes \
        "$C/base.json" >shared.json &&
    ! grep "pbkdf2" shared.json &&
    ! grep "@example" shared.json &&
    ! grep "\"notes\"" shared.json &&
    test "$(grep -c "\"telephone\": \"0000\"" shared.json)" = 500 &&
    fxvalidate -q -s "$DB" shared.json &&
    fxfilter --indent 2 shared.json >again.json && cmp shared.json again.json &&
    fxfilter -m supermarket.commande shared.json >a &&
    fxfilter -m supermarket.commande "$C/base.json" >b &&
    cmp a b
'

test_expect_success 'defaults by kind with --schema: "" for char, null when nullable' '
    fxfilter -s "$DB" -m supermarket.client --pk 1 --redact date_naissance --redact prenom \
        --redact points_fidelite --format jsonl "$C/base.json" >out &&
    grep "\"prenom\": \"\"" out &&
    grep "\"date_naissance\": null" out &&
    grep "\"points_fidelite\": 0," out
'

test_expect_success 'defaults by JSON type without a schema; VALUE as JSON or as a string' '
    fxfilter -m supermarket.produit --pk 1 --redact tva --redact attributs --redact actif \
        --redact "reference=REF-X" --redact "code_barre=null" --redact "prix_achat=\"1.00\"" \
        --format jsonl "$C/base.jsonl" >out &&
    grep "\"tva\": 0," out && grep "\"attributs\": {}," out && grep "\"actif\": false," out &&
    grep "\"reference\": \"REF-X\"," out && grep "\"code_barre\": null," out &&
    grep "\"prix_achat\": \"1.00\"," out
'

test_expect_success 'a NOT NULL date has no default: exit 2, the place, nothing written' '
    echo old >o.json &&
    test_expect_code 2 fxfilter -s "$DB" -m supermarket.commande --redact date -o o.json "$C/base.jsonl" 2>err &&
    grep "base.jsonl:[0-9]*:[0-9]*: error: no default replacement for supermarket.commande.date (datetime, not null): give one" err &&
    echo old >expect && test_cmp expect o.json &&
    fxfilter -s "$DB" -m supermarket.commande --redact date=2000-01-01T00:00:00Z "$C/base.jsonl" >out &&
    test "$(grep -c "\"date\": \"2000-01-01T00:00:00Z\"" out)" = 2000
'

test_expect_success 'a pattern that touches nothing: a warning, records kept as they were' '
    fxfilter -m supermarket.agence --redact "*.nope" --drop-field supermarket.client.x "$C/base.json" >out 2>err &&
    fxfilter -m supermarket.agence "$C/base.json" >expect &&
    test_cmp expect out &&
    grep "'"'"'\*.nope'"'"' matched no field" err &&
    grep "'"'"'supermarket.client.x'"'"' matched no field" err
'

test_expect_success 'bad --redact and --drop-field: exit 2' '
    test_expect_code 2 fxfilter --redact "=x" "$C/base.json" 2>err &&
    grep "no field" err &&
    test_expect_code 2 fxfilter --drop-field "a.b.c=1" "$C/base.json" 2>err &&
    grep "takes no value" err
'

test_done
