#!/usr/bin/env bash
# fxmerge on fixtures laid out as people write them (testdata/layouts/):
# the output is OURS as a person would have edited it.  THEIRS's side is
# always in another layout (dumpdata's jsonl, made with fxfilter), so that
# what it brings must be written in OURS's style.  Each expected file
# (testdata/layouts/merged/) was written by editing the input as a person
# would, not taken from fxmerge's output (fxmerge runs with --keep-bom,
# so that bom.json's keep its BOM):
#   NAME.merge.EXT     THEIRS added "ville" to agence 1, changed client 2's
#                      email, removed client 4's notes, deleted produit 3,
#                      added client 6 (after client 4, the last client)
#   NAME.conflict.EXT  both changed client 2's email, produit 3's attributs
#                      (a nested object), client 4's notes (its last field)
#                      and produit 5's seuil; THEIRS alone client 2's
#                      telephone: the record once, each conflicting field
#                      between markers (jsonl: each side's record whole)

. "$(dirname "$0")/lib.sh"

L=$FX_TESTDATA/layouts
M=$L/merged
LAYOUTS="indent2-python.json indent4-python.json tabs.json pk-first.json crlf.json
         no-final-newline.json bom.json single-line.json one-a-line.json
         blank-lines.jsonl crlf.jsonl"

# expected NAME KIND: the expected file of layout NAME for KIND
expected () {
    echo "$M/${1%.*}.$2.${1##*.}"
}

# theirs_change FILE: FILE's records as dumpdata's jsonl, with THEIRS's edits
theirs_change () {
    fxfilter -q --format jsonl "$1" | sed \
        -e 's/"nom": "Abidjan Plateau"}/"nom": "Abidjan Plateau","ville": "Abidjan"}/' \
        -e 's/aicha@example.ci/aicha@example.com/' -e 's/,"notes": ""}}/}}/' -e '/"pk": 3,/d' \
        -e '/"pk": 4,/a\
{"model": "shop.client","pk": 6,"fields": {"nom": "Awa","email": "awa@example.ci","telephone": "+225 01 00 00 03","notes": ""}}'
}

# ours_conflict FILE, theirs_conflict FILE: each side's edits, OURS's in
# FILE's own layout, THEIRS's as dumpdata's jsonl
ours_conflict () {
    sed -E -e 's/aicha@example.ci/ours@example.ci/' -e 's/("notes": *)""/\1"o"/' \
        -e 's/("seuil": *)-Infinity/\15/' -e 's/("bio": *)true/\1false/' "$1"
}
theirs_conflict () {
    fxfilter -q --format jsonl "$1" | sed -e 's/aicha@example.ci/theirs@example.ci/' \
        -e 's/"notes": ""/"notes": "t"/' -e 's/"seuil": -Infinity/"seuil": 7/' \
        -e 's/"l": 10/"l": 12/' -e 's/+225 07 00 00 01/+225 07 99 99 99/'
}

test_expect_success 'the expected files: two a layout, each a valid fixture once resolved' '
    test "$(ls "$M" | wc -l)" = 22 &&
    for f in $LAYOUTS; do
        [ $f = bom.json ] && continue
        fxvalidate -q "$(expected $f merge)" || return 1
    done
'

test_expect_success 'THEIRS brings nothing: the output is OURS, byte for byte' '
    for f in $LAYOUTS; do
        e=$(expected $f merge) &&
        fxmerge -q --keep-bom "$L/$f" "$e" "$L/$f" >out &&
        cmp out "$e" &&
        fxmerge -q --keep-bom "$L/$f" "$L/$f" "$L/$f" >out &&
        cmp out "$L/$f" || { echo "differs: $f"; return 1; }
    done
'

test_expect_success 'OURS UTF-8 BOM is left out unless --keep-bom (loaddata refuses it): nothing else changes' '
    e=$(expected bom.json merge) &&
    fxmerge -q "$L/bom.json" "$e" "$L/bom.json" >out &&
    tail -c +4 "$e" >want &&
    cmp want out &&
    theirs_change "$L/bom.json" >theirs.jsonl &&
    fxmerge -q "$L/bom.json" "$L/bom.json" theirs.jsonl >out &&
    cmp want out &&
    cp out out.json && fxvalidate -q out.json 2>err &&
    ! grep -q "byte-order mark" err &&
    fxmerge -q --keep-bom "$L/bom.json" "$L/bom.json" theirs.jsonl >out &&
    cmp "$e" out
'

test_expect_success 'OURS brings nothing: THEIRS changes in OURS frame and style' '
    for f in $LAYOUTS; do
        theirs_change "$L/$f" >theirs.jsonl &&
        fxmerge --keep-bom "$L/$f" "$L/$f" theirs.jsonl >out 2>err &&
        cmp "$(expected $f merge)" out &&
        grep "^fxmerge: 5 records: 1 from ours, 4 from theirs, 0 merged field by field, 1 deleted, 0 renumbered, 0 resolved by --strategy, 0 conflicts$" err &&
        fxmerge -q --keep-bom -o out "$L/$f" "$(expected $f merge)" theirs.jsonl &&
        cmp "$(expected $f merge)" out || { echo "differs: $f"; return 1; }
    done
'

test_expect_success 'field conflicts: the record once, each field between markers in the file style' '
    for f in $LAYOUTS; do
        ours_conflict "$L/$f" >ours &&
        theirs_conflict "$L/$f" >theirs.jsonl &&
        test_expect_code 1 fxmerge --keep-bom --report rep.json "$L/$f" ours theirs.jsonl >out 2>err &&
        cmp "$(expected $f conflict)" out &&
        test "$(grep -c "^fxmerge: conflict (field): " err)" = 4 || { echo "differs: $f"; return 1; }
    done
'

# The report's conflicts, one field a line: its line, kind, model, key,
# field, then the values as the report writes them (their text, on one
# line), from the report's own text.
report_lines () {
    python3 -c '
import json, re, sys
text = open(sys.argv[1]).read()
raw = re.findall(r"^ {10}\"(base|ours|theirs)\":(.*?),?$", text, re.M)
k = 0
for c in json.load(open(sys.argv[1]))["conflicts"]:
    for f in c["fields"]:
        vals = []
        for side in ("base", "ours", "theirs"):
            assert raw[k][0] == side
            vals.append(raw[k][1])
            k += 1
        print(f["line"], c["kind"], c["model"], c["key"], f["field"], *vals)
' "$1"
}

test_expect_success '--report: each conflict field with its values as written and its line' '
    for f in $LAYOUTS; do
        case $f in    # attributs as the file writes it
        single-line.json) a="{\"bio\":true,\"tags\":[\"frais\",\"local\"],\"dims\":{\"l\":10,\"h\":[1,2]}}" ;;
        crlf.jsonl) a="{\"bio\": true,\"tags\": [\"frais\",\"local\"],\"dims\": {\"l\": 10,\"h\": [1,2]}}" ;;
        *) a="{\"bio\": true, \"tags\": [\"frais\", \"local\"], \"dims\": {\"l\": 10, \"h\": [1, 2]}}" ;;
        esac &&
        t="{\"bio\": true,\"tags\": [\"frais\",\"local\"],\"dims\": {\"l\": 12,\"h\": [1,2]}}" &&
        printf "%s\n" "field shop.client 2 email \"aicha@example.ci\" \"ours@example.ci\" \"theirs@example.ci\"" \
            "field shop.produit 3 attributs $a ${a/true/false} $t" \
            "field shop.client 4 notes \"\" \"o\" \"t\"" \
            "field shop.produit 5 seuil -Infinity 5 7" >want &&
        ours_conflict "$L/$f" >ours &&
        theirs_conflict "$L/$f" >theirs.jsonl &&
        test_expect_code 1 fxmerge -q --keep-bom --report rep.json "$L/$f" ours theirs.jsonl >out &&
        report_lines rep.json >lines &&
        cut -d" " -f2- lines >got &&
        test_cmp want got &&
        grep -n "^<<<<<<< ours" out | cut -d: -f1 >markers &&
        cut -d" " -f1 lines >at &&
        test_cmp markers at || { echo "differs: $f"; return 1; }
    done
'

test_expect_success 'fxvalidate reports every marker, at the field too, with its line' '
    for f in $LAYOUTS; do
        test_expect_code 1 fxvalidate "$(expected $f conflict)" 2>err &&
        grep "conflict-marker" err | cut -d: -f2 >got &&
        grep -n "^\(<<<<<<<\|||||||\|=======\|>>>>>>>\)" "$(expected $f conflict)" |
            cut -d: -f1 >want &&
        test "$(wc -l <want)" = 16 &&
        test_cmp want got || { echo "differs: $f"; return 1; }
    done
'

# keep SIDE FILE: FILE with one side of every block kept, the rest and the
# markers deleted, as a person resolving by hand
keep () {
    awk -v side="$1" '
        /^<<<<<<< / { s = "ours"; next }
        /^\|\|\|\|\|\|\| / { s = "base"; next }
        /^=======\r?$/ { s = "theirs"; next }
        /^>>>>>>> / { s = ""; next }
        s == "" || s == side' "$2"
}

test_expect_success 'keeping one side of each block leaves a valid fixture with that side values' '
    for f in $LAYOUTS; do
        for side in ours base theirs; do
            keep $side "$(expected $f conflict)" >resolved.${f##*.} &&
            { fxvalidate -q resolved.${f##*.} 2>err || grep -q "UTF-8 byte-order mark" err; } &&
            ! grep -v "byte-order mark\|\[nan\]$" err &&
            test "$(fxvalidate -q --hash resolved.${f##*.} 2>/dev/null | wc -l)" = 5 || {
                echo "invalid: $f, $side"; cat err; return 1; }
        done &&
        keep theirs "$(expected $f conflict)" >resolved &&
        grep -q "theirs@example.ci" resolved && grep -q "+225 07 99 99 99" resolved &&
        grep -q "\"l\": *12" resolved && ! grep -q "ours@" resolved &&
        keep ours "$(expected $f conflict)" >resolved &&
        grep -q "ours@example.ci" resolved && grep -q "\"bio\": *false" resolved || return 1
    done
'

test_done
