#!/usr/bin/env bash
# fxfilter and fxdiff --format fixture on fixtures laid out as people write
# them (testdata/layouts/): the output keeps every byte an operation does
# not change.  Each expected file (testdata/layouts/expected/) was written
# by editing the input as a person would: records deleted with their own
# separator, values replaced where they stand, fields deleted with theirs.

. "$(dirname "$0")/lib.sh"

L=$FX_TESTDATA/layouts
E=$L/expected
C=$FX_TESTDATA/corpus
LAYOUTS="indent2-python.json indent4-python.json tabs.json pk-first.json crlf.json
         no-final-newline.json bom.json single-line.json one-a-line.json
         blank-lines.jsonl crlf.jsonl"
REDACT=(--redact '*.email' --drop-field shop.client.telephone --drop-field shop.client.notes
        --redact 'shop.produit.attributs={"bio": false}')

# expected NAME KIND: the expected file of layout NAME for KIND
expected () {
    echo "$E/${1%.*}.$2.${1##*.}"
}

test_expect_success 'the corpus: eleven layouts, five records each, as loaddata reads them' '
    for f in $LAYOUTS; do
        [ $f = bom.json ] && continue
        fxvalidate -q "$L/$f" 2>err || { cat err; return 1; }
        test "$(fxvalidate -q --hash "$L/$f" | wc -l)" = 5 || return 1
    done &&
    test_expect_code 1 fxvalidate -q "$L/bom.json" 2>err &&
    grep "error: file starts with a UTF-8 byte-order mark: .* loaddata refuses it" err &&
    test "$(ls "$E" | wc -l)" = 33
'

test_expect_success 'no selection: the output is the input, byte for byte, in every layout' '
    for f in $LAYOUTS; do
        [ $f = bom.json ] && continue
        fxfilter "$L/$f" >out &&
        cmp out "$L/$f" &&
        fxfilter <"$L/$f" >out &&
        cmp out "$L/$f" &&
        fxfilter -o out "$L/$f" &&
        cmp out "$L/$f" || { echo "differs: $f"; return 1; }
    done
'

test_expect_success 'a UTF-8 BOM is left out unless --keep-bom: nothing else changes' '
    fxfilter "$L/bom.json" >out 2>err &&
    tail -c +4 "$L/bom.json" >expect &&
    cmp expect out &&
    grep "UTF-8 byte-order mark" err &&
    fxfilter -q --keep-bom "$L/bom.json" >out &&
    cmp "$L/bom.json" out &&
    fxfilter -q --keep-bom "$L/tabs.json" >out &&
    cmp "$L/tabs.json" out
'

test_expect_success 'a selection: the records left out go with their own separators' '
    for f in $LAYOUTS; do
        fxfilter -q -m shop.client "$L/$f" >out &&
        cmp "$(expected $f select)" out || { echo "differs: $f"; return 1; }
    done
'

test_expect_success '--redact and --drop-field change only the values and fields they touch' '
    for f in $LAYOUTS; do
        fxfilter -q "${REDACT[@]}" "$L/$f" >out &&
        cmp "$(expected $f redact)" out || { echo "differs: $f"; return 1; }
    done
'

test_expect_success 'fxdiff --format fixture: the delta keeps the records bytes and NEW frame' '
    for f in $LAYOUTS; do
        test_expect_code 1 fxdiff --format fixture "$(expected $f select)" "$L/$f" >out 2>err &&
        ! grep -v "UTF-8 byte-order mark" err &&
        cmp "$(expected $f delta)" out || { echo "differs: $f"; return 1; }
    done &&
    test_expect_code 1 fxdiff --format fixture "$E/tabs.select.json" - <"$L/tabs.json" >out &&
    cmp "$E/tabs.delta.json" out
'

test_expect_success 'nothing selected: the frame alone, as a person emptying the list' '
    test_expect_code 1 fxfilter -q -m shop.none "$L/indent2-python.json" >out &&
    printf "[\n]" >expect && test_cmp expect out &&
    test_expect_code 1 fxfilter -q -m shop.none "$L/single-line.json" >out &&
    printf "[]\n" >expect && test_cmp expect out &&
    test_expect_code 1 fxfilter -q -m shop.none "$L/crlf.json" >out &&
    printf "[\r\n]\r\n" >expect && test_cmp expect out &&
    test_expect_code 1 fxfilter -q -m shop.none --keep-bom "$L/bom.json" >out &&
    printf "\357\273\277[\n]\n" >expect && test_cmp expect out &&
    test_expect_code 1 fxfilter -q -m shop.none "$L/blank-lines.jsonl" >out &&
    test_must_be_empty out &&
    printf "[ ]\n" >empty.json &&
    test_expect_code 1 fxfilter empty.json >out &&
    cmp empty.json out
'

test_expect_success 'records of a later input in another layout are written in the first one' '
    fxfilter -m shop.agence "$L/tabs.json" "$L/single-line.json" >out &&
    printf "%s\n" "[" "{" "	\"model\": \"shop.agence\"," "	\"pk\": 1," "	\"fields\": {" \
        "		\"code\": \"AB01\"," "		\"nom\": \"Abidjan Plateau\"" "	}" "}," \
        "{" "	\"model\": \"shop.agence\"," "	\"pk\": 1," "	\"fields\": {" \
        "		\"code\": \"AB01\"," "		\"nom\": \"Abidjan Plateau\"" "	}" "}" "]" >expect &&
    test_cmp expect out &&
    fxfilter -m shop.agence "$L/single-line.json" "$L/indent4-python.json" >out &&
    printf "%s\n" "[{\"model\":\"shop.agence\",\"pk\":1,\"fields\":{\"code\":\"AB01\",\"nom\":\"Abidjan Plateau\"}},{\"model\":\"shop.agence\",\"pk\":1,\"fields\":{\"code\":\"AB01\",\"nom\":\"Abidjan Plateau\"}}]" >expect &&
    test_cmp expect out &&
    fxfilter -m shop.agence "$L/pk-first.json" "$L/indent4-python.json" >out &&
    printf "%s\n" "[" "{" "  \"pk\": 1," "  \"model\": \"shop.agence\"," "  \"fields\": {" \
        "    \"code\": \"AB01\"," "    \"nom\": \"Abidjan Plateau\"" "  }" "}," \
        "{" "  \"pk\": 1," "  \"model\": \"shop.agence\"," "  \"fields\": {" \
        "    \"code\": \"AB01\"," "    \"nom\": \"Abidjan Plateau\"" "  }" "}" "]" >expect &&
    test_cmp expect out &&
    fxfilter -m shop.agence "$L/indent2-python.json" "$L/crlf.jsonl" >out &&
    printf "%s\n" "[" "  {" "    \"model\": \"shop.agence\"," "    \"pk\": 1," "    \"fields\": {" \
        "      \"code\": \"AB01\"," "      \"nom\": \"Abidjan Plateau\"" "    }" "  }," \
        "  {" "    \"model\": \"shop.agence\"," "    \"pk\": 1," "    \"fields\": {" \
        "      \"code\": \"AB01\"," "      \"nom\": \"Abidjan Plateau\"" "    }" "  }" >expect &&
    printf "]" >>expect &&
    test_cmp expect out
'

test_expect_success '--indent, --compact, --format: dumpdata layouts, whatever the input' '
    sed -e "s/Aïcha/A\\\\u00efcha/" -e "s/citée/cit\\\\u00e9e/" "$L/no-final-newline.json" >expect &&
    echo >>expect &&
    for f in tabs.json pk-first.json single-line.json blank-lines.jsonl; do
        fxfilter -q --indent 2 "$L/$f" >out &&
        test_cmp expect out || return 1
    done &&
    fxfilter -q --indent 2 "$L/crlf.json" >out &&
    { cat "$L/no-final-newline.json"; echo; } >expect &&
    test_cmp expect out &&
    fxfilter -q --compact -m shop.agence -m shop.client "$L/tabs.json" >out &&
    printf "%s" "[{\"model\": \"shop.agence\", \"pk\": 1, \"fields\": {\"code\": \"AB01\", \"nom\": \"Abidjan Plateau\"}}, {\"model\": \"shop.client\", \"pk\": 2, \"fields\": {\"nom\": \"A\\u00efcha\", \"email\": \"aicha@example.ci\", \"telephone\": \"+225 07 00 00 01\", \"notes\": \"ligne 1\\nligne 2 \\\"cit\\u00e9e\\\"\"}}, {\"model\": \"shop.client\", \"pk\": 4, \"fields\": {\"nom\": \"Kofi\", \"email\": \"kofi@example.ci\", \"telephone\": \"+225 05 00 00 02\", \"notes\": \"\"}}]" >expect &&
    test_cmp expect out &&
    fxfilter -q --format jsonl -m shop.agence "$L/indent4-python.json" >out &&
    echo "{\"model\": \"shop.agence\",\"pk\": 1,\"fields\": {\"code\": \"AB01\",\"nom\": \"Abidjan Plateau\"}}" >expect &&
    test_cmp expect out
'

# The real corpus as Python's json.dump(records, indent=4) writes it (the
# records indented inside the list, \u escapes): a selection must be what
# Python writes for the records selected.
pydump () {
    /usr/bin/python3 -c '
import json, sys
recs = json.load(open(sys.argv[1], encoding="utf-8"))
keep = set((r["model"], json.dumps(r.get("pk"))) for r in json.load(open(sys.argv[2], encoding="utf-8"))) if len(sys.argv) > 2 else None
json.dump([r for r in recs if keep is None or (r["model"], json.dumps(r.get("pk"))) in keep], sys.stdout, indent=4)
' "$@"
}

test_expect_success 'the real corpus re-written by Python: selections are what Python writes' '
    pydump "$C/base.json" >py.json &&
    fxfilter py.json >out &&
    cmp py.json out &&
    fxfilter -m supermarket.commande --pk 1-20 -x supermarket.lignecommande "$C/base.json" >sel.json &&
    fxfilter -m supermarket.commande --pk 1-20 py.json >out &&
    pydump "$C/base.json" sel.json >expect &&
    cmp expect out &&
    fxfilter -m supermarket.commande --pk 1-20 --with-deps -s "$C/empty.sqlite3" "$C/base.json" >sel.json &&
    fxfilter -m supermarket.commande --pk 1-20 --with-deps -s "$C/empty.sqlite3" py.json >out &&
    pydump "$C/base.json" sel.json >expect &&
    test "$(grep -c "\"model\"" expect)" -gt 40 &&
    cmp expect out &&
    fxfilter -q --redact auth.user.password -m auth.user py.json >out &&
    sed -n "/\"model\": \"auth.user\"/,/^    }/p" py.json | grep -c "\"password\"" >n &&
    test "$(grep -c "\"password\": \"!\"" out)" = "$(cat n)" &&
    test "$(diff py.json out | grep -c "^>")" = "$(grep -c "\"password\": \"!\"" out)"
'

test_done
