#!/usr/bin/env bash
# fxfilter --where: typed comparisons on the corpus, ANDed conditions,
# combinations with -m and --pk, and syntax errors (exit 2, the column, a
# caret under the place).

. "$(dirname "$0")/lib.sh"

C=$FX_TESTDATA/corpus
L=$C/base.jsonl

# count EXPR...: records of base.jsonl that fxfilter keeps with these --where
count () {
    local a=()
    for e in "$@"; do a+=(--where "$e"); done
    fxfilter -q "${a[@]}" "$L" --format jsonl | wc -l
}

# jqcount FILTER: the same count by another tool (python3: no jq needed)
pycount () {
    python3 -c "
import json, sys
n = 0
for line in open(sys.argv[1], encoding='utf-8'):
    r = json.loads(line); f = r['fields']
    if $1: n += 1
print(n)" "$L"
}

test_expect_success 'strings: = and != with accents' '
    test "$(count "statut=payée")" = "$(pycount "f.get(\"statut\") == \"payée\"")" &&
    test "$(count "statut!=annulée")" = "$(pycount "\"statut\" in f and f[\"statut\"] != \"annulée\"")" &&
    test "$(count "statut=payée")" -gt 0
'

test_expect_success 'numbers: decimals held in strings compare as numbers' '
    test "$(count "prix_vente>5000")" = "$(pycount "\"prix_vente\" in f and float(f[\"prix_vente\"]) > 5000")" &&
    test "$(count "prix_vente<=12.5")" = "$(pycount "\"prix_vente\" in f and float(f[\"prix_vente\"]) <= 12.5")" &&
    test "$(count "points_fidelite>=4000")" = "$(pycount "isinstance(f.get(\"points_fidelite\"), int) and f[\"points_fidelite\"] >= 4000")" &&
    test "$(count "prix_vente>5000")" -gt 0
'

test_expect_success 'dates: datetimes against a day, and ranges' '
    test "$(count "date>=2024-12-01")" = "$(pycount "isinstance(f.get(\"date\"), str) and f[\"date\"][:10] >= \"2024-12-01\"")" &&
    test "$(count "date>=2024-06-01" "date<2024-07-01")" = "$(pycount "isinstance(f.get(\"date\"), str) and \"2024-06\" == f[\"date\"][:7]")" &&
    test "$(count "date=2024-11-07")" = "$(pycount "isinstance(f.get(\"date\"), str) and f[\"date\"].startswith(\"2024-11-07\")")" &&
    test "$(count "date>=2024-06-01" "date<2024-07-01")" -gt 0
'

test_expect_success 'null, booleans, pk, and a field the record lacks' '
    test "$(count "client=null")" = "$(pycount "\"client\" in f and f[\"client\"] is None")" &&
    test "$(count "client!=null")" = "$(pycount "\"client\" in f and f[\"client\"] is not None")" &&
    test "$(count "actif=true")" = "$(pycount "f.get(\"actif\") is True")" &&
    test "$(count "pk<=3")" = "$(pycount "r.get(\"pk\", 99) <= 3")" &&
    test "$(count "nope=1")" = 0 &&
    test "$(count "nope!=1")" = 0
'

test_expect_success 'a qualified field constrains its model only' '
    n=$(fxfilter -q --where supermarket.commande.agence=2 -c "$L" | awk "\$3 == \"supermarket.commande\" { print \$1 }") &&
    test "$n" = "$(pycount "r[\"model\"] == \"supermarket.commande\" and f[\"agence\"] == 2")" &&
    fxfilter -q --where supermarket.commande.agence=2 -c "$L" | grep " supermarket.lignecommande$" | grep "^ *6094 "
'

test_expect_success 'with -m and --pk; exact output' '
    fxfilter -m supermarket.commande --pk 1-10 --where "statut=annulée" --where "client!=null" "$L" >out &&
    grep -c "" out >n && echo 5 >expect && test_cmp expect n &&
    head -n 1 out >first &&
    echo "{\"model\": \"supermarket.commande\",\"pk\": 2,\"fields\": {\"numero\": \"CMD-0000001\",\"agence\": 2,\"client\": 67,\"vendeur\": 3,\"date\": \"2024-03-10T22:54:15.496Z\",\"statut\": \"annulée\",\"total\": \"0.00\"}}" >expect &&
    test_cmp expect first
'

test_expect_success 'nothing matched: exit 1' '
    test_expect_code 1 fxfilter --where "statut=inconnu" "$L" >out
'

# bad EXPR COLUMN MESSAGE: exit 2, the message, the expression and a caret.
bad () {
    test_expect_code 2 fxfilter --where "$1" "$L" >out 2>err &&
    test_must_be_empty out &&
    printf "fxfilter: error: bad --where '%s' at column %s: %s\n    %s\n    %*s^\n" \
        "$1" "$2" "$3" "$1" "$(($2 - 1))" "" >expect &&
    test_cmp expect err
}

test_expect_success 'syntax errors: exit 2, the column and a caret' '
    bad "agence=>2" 8 "a value cannot start with '"'"'>'"'"' (quote it if it does)" &&
    bad "=2" 1 "expected a field name before '"'"'='"'"': write FIELD OP VALUE" &&
    bad "agence" 7 "expected an operator (= != < <= > >=) and a value after the field" &&
    bad "agence 2" 8 "expected an operator (= != < <= > >=), not '"'"'2'"'"'" &&
    bad "statut=" 8 "expected a value after '"'"'='"'"' (write \"\" for the empty string, null for null)" &&
    bad "x==1" 2 "unknown operator '"'"'=='"'"': write '"'"'='"'"'" &&
    bad "nom=\"abc" 5 "this quote (\") is not closed" &&
    bad "date>=2025-02-30" 7 "not a valid date or time: no such day in that month" &&
    bad "client<null" 7 "'"'"'<'"'"' cannot compare with null, true or false: use = or !=" &&
    bad "commande.statut=x" 1 "a field is NAME or app_label.model.NAME"
'

test_expect_success 'a bad --where is reported before any input is read' '
    test_expect_code 2 fxfilter --where "a<" missing.json 2>err &&
    ! grep missing.json err
'

test_expect_success 'a qualified field of a model the schema does not know' '
    test_expect_code 2 fxfilter -s "$C/empty.sqlite3" --where "shop.vente.x=1" "$L" 2>err &&
    grep "names model '"'"'shop.vente'"'"'" err
'

test_done
