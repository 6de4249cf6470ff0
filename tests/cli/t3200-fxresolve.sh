#!/usr/bin/env bash
# fxresolve on merged exports with every kind of conflict (field, reference,
# delete/modify, cascade, add/add, unique), in dumpdata's layout and in the
# hand-written ones (testdata/layouts/merged/): the list (text and json),
# --take each side by each kind of selector, --set, bad selectors and
# values (exit 2, the file untouched), a file without conflict (exit 0).
# Results are compared byte for byte with an oracle written in awk (keep
# one section of the blocks selected, drop the markers) or with the
# layout's file edited by hand.

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

SCHEMA=$FX_ROOT/schemas/erp.json
L=$FX_TESTDATA/layouts
M=$L/merged

# The merge of tests: base, ours and theirs as dumpdata --indent 2 writes
# them; ours deletes order 1 (with its lines) and client 5 (order 4's
# client set to null), theirs changes line 1, client 5 and order 4; both
# change client 3's email, add category code X and order 2.
make_merged () {
    cat >mk.py <<\EOF &&
import copy, json
def rec(m, pk, **f): return {"model": "supermarket." + m, "pk": pk, "fields": f}
def get(l, m, pk): return next(r for r in l if r["model"] == "supermarket." + m and r["pk"] == pk)
base = [rec("categorie", 1, code="A", libelle="a", parent=None),
        rec("client", 3, nom="Kone", telephone="+225 07 00", email="a@example.ci"),
        rec("client", 5, nom="Awa", telephone="+225 05 00", email="b@example.ci"),
        rec("commande", 1, numero="CMD-1", agence=1, client=3, statut="new"),
        rec("commande", 4, numero="CMD-4", agence=1, client=5, statut="new"),
        rec("lignecommande", 1, commande=1, quantite="1.000"),
        rec("lignecommande", 2, commande=1, quantite="2.000"),
        rec("lignecommande", 3, commande=4, quantite="3.000")]
ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
get(ours, "client", 3)["fields"]["email"] = "ours@example.ci"
get(theirs, "client", 3)["fields"]["email"] = "theirs@example.ci"
ours = [r for r in ours if (r["model"], r["pk"]) not in (
    ("supermarket.commande", 1), ("supermarket.lignecommande", 1),
    ("supermarket.lignecommande", 2), ("supermarket.client", 5))]
get(ours, "commande", 4)["fields"]["client"] = None
get(theirs, "lignecommande", 1)["fields"]["quantite"] = "5.000"
get(theirs, "commande", 4)["fields"]["statut"] = "paid"
get(theirs, "client", 5)["fields"]["telephone"] = "+225 05 99"
ours.insert(1, rec("categorie", 2, code="X", libelle="ours", parent=None))
theirs.insert(1, rec("categorie", 7, code="X", libelle="theirs", parent=None))
ours.append(rec("commande", 2, numero="CMD-2-O", agence=1, client=3, statut="new"))
theirs.append(rec("commande", 2, numero="CMD-2-T", agence=1, client=3, statut="new"))
for n, l in (("base", base), ("ours", ours), ("theirs", theirs)):
    open(n + ".json", "w").write(json.dumps(l, indent=2) + "\n")
EOF
    python3 mk.py &&
    test_expect_code 1 fxmerge -q -s "$SCHEMA" --renumber none --report rep.json \
        -o merged.json base.json ours.json theirs.json
}

# keep SIDE REGEX FILE: FILE with SIDE's section of each block whose marker
# line matches REGEX, the other blocks as they are (the oracle).
keep () {
    awk -v side="$1" -v re="$2" '
        /^<<<<<<< / { inb = 1; sel = ($0 ~ re); sec = "ours"; buf = $0 "\n"; next }
        inb && /^\|\|\|\|\|\|\| / { sec = "base"; buf = buf $0 "\n"; next }
        inb && /^=======/ { sec = "theirs"; buf = buf $0 "\n"; next }
        inb && /^>>>>>>> / { inb = 0; if (sel) printf "%s", out; else printf "%s%s\n", buf, $0; out = ""; next }
        inb { buf = buf $0 "\n"; if (sec == side) out = out $0 "\n"; next }
        { print }' "$3"
}

test_expect 'the list: one line a conflict or a field, three values side by side; exit 1' <<\EOT
make_merged &&
cp merged.json before.json &&
test_expect_code 1 fxresolve merged.json >out &&
cat >expect <<\EOF &&
supermarket.categorie 2 unique: base (none) | ours libelle="ours" | theirs libelle="theirs"
supermarket.client 3 email: base "a@example.ci" | ours "ours@example.ci" | theirs "theirs@example.ci"
supermarket.client 5 delete/modify: base telephone="+225 05 00" | ours (none) | theirs telephone="+225 05 99"
supermarket.commande 1 cascade: base (record) | ours (none) | theirs (record)
supermarket.commande 4 client (reference): base 5 | ours null | theirs 5
supermarket.lignecommande 1 delete/modify: base quantite="1.000" | ours (none) | theirs quantite="5.000"
supermarket.lignecommande 2 cascade: base (record) | ours (none) | theirs (record)
supermarket.commande 2 add/add: base (none) | ours numero="CMD-2-O" | theirs numero="CMD-2-T"
EOF
test_cmp expect out &&
test_expect_code 1 fxresolve merged.json supermarket.client >out &&
test $(wc -l <out) = 2 &&
cmp before.json merged.json
EOT

test_expect '--format json: the description fxmerge --report gives, the lines those of the blocks' <<\EOT
make_merged &&
test_expect_code 1 fxresolve --format json merged.json >out.json &&
python3 - <<\EOF
import json
got = json.load(open("out.json"))
rep = json.load(open("rep.json"))["conflicts"]
assert got["file"] == "merged.json", got
got = got["conflicts"]
assert len(got) == len(rep) == 8, (got, rep)
lines = open("merged.json").read().split("\n")
for c in rep:
    g = next(x for x in got if (x["model"], x["key"], x["kind"]) == (c["model"], c["key"], c["kind"]))
    assert g["line"] == c["line"] and lines[g["line"] - 1].startswith("<<<<<<< ours " + c["kind"]), (g, c)
    if c["kind"] in ("field", "reference"):
        c.pop("hint")
        assert g == c, (g, c)
ref = next(x for x in got if x["kind"] == "reference")
assert ref["fields"] == [{"field": "client", "line": ref["line"], "base": 5, "ours": None, "theirs": 5}], ref
dm = next(x for x in got if x["key"] == "1" and x["kind"] == "delete/modify")
assert dm["fields"] == [{"field": "quantite", "base": "1.000", "theirs": "5.000"}], dm
EOF
EOT

test_expect '--take each side for every conflict: the oracle, byte for byte' <<\EOT
make_merged &&
for side in ours theirs base; do
    cp merged.json m.json &&
    fxresolve --take $side m.json 2>err &&
    keep $side . merged.json >expect &&
    test_cmp expect m.json &&
    grep "^fxresolve: 8 decisions written to m.json; 0 conflicts left, the file is a valid fixture$" err &&
    fxresolve m.json >out && test ! -s out || return 1
done
EOT

test_expect '--take by app.Model, app.Model:PK and app.Model:PK:field; the rest stays between markers' <<\EOT
make_merged &&
cp merged.json m.json &&
test_expect_code 1 fxresolve -q --take theirs m.json supermarket.lignecommande &&
keep theirs " supermarket.lignecommande " merged.json >expect &&
test_cmp expect m.json &&
cp m.json step1.json &&
test_expect_code 1 fxresolve -q --take base m.json supermarket.commande:1 supermarket.Categorie:2 &&
keep base " supermarket.(commande 1|categorie 2)( |$)" step1.json >expect &&
test_cmp expect m.json &&
cp m.json step2.json &&
test_expect_code 1 fxresolve -q --take ours m.json supermarket.client:3:email &&
keep ours " supermarket.client 3 email" step2.json >expect &&
test_cmp expect m.json &&
test_expect_code 1 fxresolve m.json >out &&
cat >expect <<\EOF &&
supermarket.client 5 delete/modify: base telephone="+225 05 00" | ours (none) | theirs telephone="+225 05 99"
supermarket.commande 4 client (reference): base 5 | ours null | theirs 5
supermarket.commande 2 add/add: base (none) | ours numero="CMD-2-O" | theirs numero="CMD-2-T"
EOF
test_cmp expect out
EOT

test_expect '--set writes the value in the field, checked against --schema; the rest by --take' <<\EOT
make_merged &&
cp merged.json m.json &&
fxresolve -s "$SCHEMA" --set "supermarket.client:3:email=\"set@example.ci\"" \
    --set "supermarket.commande:4:client=3" --take theirs m.json 2>err &&
grep "^fxresolve: 8 decisions written to m.json; 0 conflicts left" err &&
keep theirs . merged.json | sed -e "s/theirs@example.ci/set@example.ci/" \
    -e "/CMD-4/,/statut/s/\"client\": 5/\"client\": 3/" >expect &&
test_cmp expect m.json
EOT

test_expect 'bad selectors and values: exit 2, a message, the file untouched' <<\EOT
make_merged &&
cp merged.json before.json &&
test_expect_code 2 fxresolve --take ours merged.json supermarket 2>err &&
grep "^fxresolve: .supermarket. is not a selector: write app.Model, app.Model:PK or app.Model:PK:field" err &&
test_expect_code 2 fxresolve --take ours merged.json supermarket.client:9 2>err &&
grep "^merged.json: error: no conflict left matches .supermarket.client:9.: nothing written" err &&
test_expect_code 2 fxresolve --take ours merged.json supermarket.lignecommande:1:quantite 2>err &&
grep "^fxresolve: error: supermarket.lignecommande 1 is a delete/modify conflict, decided for the whole record: name it without a field (supermarket.lignecommande:1)$" err &&
test_expect_code 2 fxresolve --take mine merged.json 2>err &&
grep "^fxresolve: --take takes ours, theirs or base, not .mine." err &&
test_expect_code 2 fxresolve --set "supermarket.client:3:email=set@example.ci" merged.json 2>err &&
grep "^fxresolve: error: the value for supermarket.client 3 email is not one JSON value: .set@example.ci.; write it as in the file" err &&
test_expect_code 2 fxresolve --set "supermarket.client:3:email" merged.json 2>err &&
grep "is not app.Model:PK:field=VALUE" err &&
test_expect_code 2 fxresolve -s "$SCHEMA" --set "supermarket.commande:4:client=\"x\"" merged.json 2>err &&
grep "^fxresolve: error: the value \"x\" for supermarket.commande 4 client does not fit the field (fk): " err &&
test_expect_code 2 fxresolve --set "supermarket.client:3:nom=\"N\"" merged.json 2>err &&
grep "^merged.json: error: no field conflict matches .supermarket.client:3:nom." err &&
cmp before.json merged.json &&
test_expect_code 2 fxresolve -i merged.json 2>err </dev/null &&
grep "^fxresolve: -i asks on a terminal: standard input is not one" err &&
test_expect_code 2 fxresolve --take theirs supermarket.client:3 merged.json 2>err &&
grep "^fxresolve: .supermarket.client:3. is no file but looks like a selector: the file comes first (fxresolve --take SIDE FILE SELECTOR...)$" err &&
cmp before.json merged.json
EOT

test_expect 'a result that is not a valid fixture is not written' <<\EOT
make_merged &&
cp merged.json before.json &&
sed -i "s/\"numero\": \"CMD-2-T\"/\"numero\": \"CMD-1\"/" merged.json && cp merged.json before.json &&
test_expect_code 2 fxresolve -s "$SCHEMA" --take theirs merged.json 2>err &&
grep "error: .*unique" err &&
grep "^merged.json: error: the file once resolved has 1 error (above): nothing written" err &&
cmp before.json merged.json
EOT

test_expect 'no conflict: exit 0, nothing said on stdout, the file unchanged' <<\EOT
cp "$L/indent2-python.json" clean.json &&
fxresolve clean.json >out 2>err &&
test ! -s out &&
grep "^fxresolve: no conflict in clean.json: it is a valid fixture$" err &&
fxresolve --take ours clean.json 2>err &&
grep "^fxresolve: nothing decided: clean.json left as it was$" err &&
cmp "$L/indent2-python.json" clean.json
EOT

# The layouts: OURS's and THEIRS's edits (t3160), in the layout's own style.
ours_edit () {
    sed -E -e 's/aicha@example.ci/ours@example.ci/' -e 's/("notes": *)""/\1"o"/' \
        -e 's/("seuil": *)-Infinity/\15/' -e 's/("bio": *)true/\1false/' \
        -e 's/\+225 07 00 00 01/+225 07 99 99 99/' "$1"
}
theirs_edit () {
    sed -E -e 's/aicha@example.ci/theirs@example.ci/' -e 's/("notes": *)""/\1"t"/' \
        -e 's/("seuil": *)-Infinity/\17/' -e 's/("l": *)10/\112/' \
        -e 's/\+225 07 00 00 01/+225 07 99 99 99/' "$1"
}
JSON_LAYOUTS="indent2-python.json indent4-python.json tabs.json pk-first.json crlf.json
              no-final-newline.json bom.json single-line.json one-a-line.json"

test_expect 'hand-written layouts: each side kept is the file as a person would edit it' <<\EOT
for f in $JSON_LAYOUTS blank-lines.jsonl crlf.jsonl; do
    c=$M/${f%.*}.conflict.${f##*.} &&
    test_expect_code 1 fxresolve $c >out &&
    grep -q "^shop.produit 5 seuil: base -Infinity | ours 5 | theirs 7$" out &&
    test $(wc -l <out) = 4 || { echo "list: $f"; return 1; }
done &&
for f in $JSON_LAYOUTS; do
    c=$M/${f%.*}.conflict.${f##*.} &&
    fxresolve -q --take ours -o o.$f $c &&
    ours_edit "$L/$f" >expect && cmp expect o.$f &&
    fxresolve -q --take theirs -o t.$f $c &&
    theirs_edit "$L/$f" >expect && cmp expect t.$f || { echo "differs: $f"; return 1; }
done &&
for f in blank-lines.jsonl crlf.jsonl; do
    c=$M/${f%.*}.conflict.${f##*.} &&
    fxresolve -q --take ours -o o.$f $c &&
    keep ours . $c >expect && cmp expect o.$f || { echo "differs: $f"; return 1; }
done
EOT

test_expect 'a record block of several fields (jsonl), decided one field at a time' <<\EOT
printf "%s\n" "{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": 1, \"y\": \"a\", \"z\": true}}" >base.jsonl &&
sed "s/\"x\": 1/\"x\": 2/; s/\"a\"/\"o\"/" base.jsonl >ours.jsonl &&
sed "s/\"x\": 1/\"x\": 3/; s/\"a\"/\"t\"/" base.jsonl >theirs.jsonl &&
test_expect_code 1 fxmerge -q -o m.jsonl base.jsonl ours.jsonl theirs.jsonl &&
grep "^<<<<<<< ours field a.b 1 x y$" m.jsonl &&
test_expect_code 1 fxresolve -q --take theirs m.jsonl a.b:1:y &&
cat >expect <<\EOF &&
<<<<<<< ours field a.b 1 x
{"model": "a.b", "pk": 1, "fields": {"x": 2, "y": "t", "z": true}}
||||||| base
{"model": "a.b", "pk": 1, "fields": {"x": 1, "y": "t", "z": true}}
=======
{"model": "a.b", "pk": 1, "fields": {"x": 3, "y": "t", "z": true}}
>>>>>>> theirs
EOF
test_cmp expect m.jsonl &&
fxresolve -q --set "a.b:1:x=[4, 5]" m.jsonl &&
echo "{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": [4, 5], \"y\": \"t\", \"z\": true}}" >expect &&
test_cmp expect m.jsonl
EOT

test_expect 'markers fxmerge did not write: exit 2 at their line' <<\EOT
printf "[\n<<<<<<< HEAD\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n=======\n>>>>>>> x\n]\n" >git.json &&
test_expect_code 2 fxresolve git.json 2>err &&
grep "^git.json:2:1: error: a conflict block fxmerge did not write" err &&
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n=======\n]\n" >stray.json &&
test_expect_code 2 fxresolve stray.json 2>err &&
grep "^stray.json:3:1: error: marker line .=======. outside a conflict block" err &&
gzip -k stray.json && test_expect_code 2 fxresolve stray.json.gz 2>err &&
grep "^stray.json.gz:3:1: error: marker line .=======. outside a conflict block" err
EOT

test_expect 'compressed merged files: listed, resolved in place in their compression, -o by its name' <<\EOT
make_merged &&
test_expect_code 1 fxresolve merged.json >list &&
keep theirs . merged.json >theirs.expect &&
keep ours . merged.json >ours.expect &&
gzip -k merged.json && bzip2 -k merged.json && xz -k merged.json &&
for z in gz bz2 xz; do
    test_expect_code 1 fxresolve merged.json.$z >out && test_cmp list out &&
    test_expect_code 1 fxresolve --format json merged.json.$z >out.json &&
    grep "\"file\":\"merged.json.$z\"" out.json || return 1
done &&
cp merged.json.gz m.json.gz &&
fxresolve --take theirs m.json.gz 2>err &&
grep "^fxresolve: 8 decisions written to m.json.gz; 0 conflicts left, the file is a valid fixture$" err &&
gzip -t m.json.gz && gzip -dc m.json.gz >got && test_cmp theirs.expect got &&
fxvalidate -q m.json.gz &&
cp merged.json.bz2 m.json.bz2 &&
test_expect_code 1 fxresolve -q --take ours m.json.bz2 supermarket.lignecommande &&
bzip2 -dc m.json.bz2 >got && keep ours " supermarket.lignecommande " merged.json >expect &&
test_cmp expect got &&
fxresolve -q --take ours -o out.json merged.json.xz && test_cmp ours.expect out.json &&
fxresolve -q --take theirs -o out.json.gz merged.json.xz &&
gzip -dc out.json.gz >got && test_cmp theirs.expect got &&
xz -dc merged.json.xz | cmp - merged.json &&
zip -q m.json.zip merged.json && cp m.json.zip before.zip &&
test_expect_code 1 fxresolve m.json.zip >out && test_cmp list out &&
test_expect_code 2 fxresolve --take ours m.json.zip 2>err &&
grep "^m.json.zip: error: a zip archive is not rewritten in place: write the result with -o FILE" err &&
cmp before.zip m.json.zip &&
fxresolve -q --take ours -o out2.json m.json.zip && test_cmp ours.expect out2.json
EOT

test_expect 'a UTF-16 merged file: listed, resolved in UTF-16 with its BOM, in place and with -o' <<\EOT
make_merged &&
test_expect_code 1 fxresolve merged.json >list &&
keep theirs . merged.json >theirs.expect &&
{ printf "\377\376" && iconv -f UTF-8 -t UTF-16LE merged.json; } >le.json &&
{ printf "\376\377" && iconv -f UTF-8 -t UTF-16BE merged.json; } >be.json &&
for e in le be; do
    test_expect_code 1 fxresolve $e.json >out && test_cmp list out || return 1
done &&
{ printf "\377\376" && iconv -f UTF-8 -t UTF-16LE theirs.expect; } >le.expect &&
{ printf "\376\377" && iconv -f UTF-8 -t UTF-16BE theirs.expect; } >be.expect &&
cp le.json m.json &&
fxresolve -q --take theirs m.json && cmp le.expect m.json &&
fxresolve -q --take theirs -o out.json be.json && cmp be.expect out.json &&
fxvalidate -q out.json 2>err; test $? = 1 && grep "UTF-16" err &&
gzip -k le.json && fxresolve -q --take theirs -o out.json.gz le.json.gz &&
gzip -dc out.json.gz | cmp le.expect -
EOT

test_done
