#!/usr/bin/env bash
# fxvalidate on encodings and compression: BOMs, UTF-16 (PowerShell's '>'),
# UTF-32, Windows-1252, text mangled by code pages, CRLF, every compression
# loaddata reads (gzip, bzip2, xz, lzma, single-file zip), damaged archives.
# Where the records are read, their --hash lines equal those of the plain
# file; what loaddata refuses (t1060 checks it against loaddata itself) is
# an error.

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

two_agences () {
    cat <<\EOF
[
{
  "model": "supermarket.agence",
  "pk": 1,
  "fields": {
    "code": "PLATEAU",
    "nom": "Plateau",
    "ville": "Abidjan",
    "active": true
  }
},
{
  "model": "supermarket.agence",
  "pk": 2,
  "fields": {
    "code": "BOUAKE",
    "nom": "Bouaké",
    "ville": "Bouaké",
    "active": false
  }
}
]
EOF
}

two_jsonl () {
    cat <<\EOF
{"model": "supermarket.agence","pk": 1,"fields": {"code": "PLATEAU","nom": "Plateau","ville": "Abidjan","active": true}}
{"model": "supermarket.agence","pk": 2,"fields": {"code": "BOUAKE","nom": "Bouaké","ville": "Bouaké","active": false}}
EOF
}

# The --hash lines of the plain file, in "expect".
plain_hashes () {
    two_agences >plain.json &&
    fxvalidate -q --hash plain.json >expect &&
    test "$(wc -l <expect)" = 2
}

# The error for a UTF-16 or UTF-32 file loaddata refuses: FILE ENC with|without.
utf16_error () {
    if [ "$2 $3" = "UTF-16LE with" ]; then
        echo "$1:1:1: error: file is UTF-16LE with a byte-order mark, as Windows PowerShell's '>' writes: fx reads it, but loaddata refuses it; write a UTF-8 copy with 'fxfilter $1 -o OUT', and export with 'python -X utf8 manage.py dumpdata -o FILE' instead of '>' [encoding]"
    else
        case $2 in *BE) json=" in a json file" ;; *) json= ;; esac
        echo "$1:1:1: error: file is $2 $3 a byte-order mark: fx reads it, but loaddata refuses it$json; write a UTF-8 copy with 'fxfilter $1 -o OUT', and export with 'python -X utf8 manage.py dumpdata -o FILE' [encoding]"
    fi
}

# The warning for a big-endian jsonl file: FILE ENC with|without.
be_warning () {
    echo "$1:1:1: warning: file is $2 $3 a byte-order mark: loaddata reads this jsonl file only because json.loads() guesses each line's encoding, and fails on a line holding a character whose $2 code has a byte 0x0A (such as 'Ċ' or '😊'); write a UTF-8 copy with 'fxfilter $1 -o OUT' [encoding]"
}

# ---------------------------------------------------------------- BOM, UTF-16

test_expect 'jsonl with a UTF-8 BOM: valid, no warning, the same records' <<\EOT
two_jsonl >plain.jsonl &&
fxvalidate -q --hash plain.jsonl >expect &&
{ printf "\357\273\277" && cat plain.jsonl; } >bom.jsonl &&
test_expect_code 0 fxvalidate --hash bom.jsonl >out 2>err &&
test_cmp expect out &&
echo "fxvalidate: 2 records in 1 file: valid, 0 errors, 0 warnings" >expect &&
test_cmp expect err
EOT

test_expect 'json with a UTF-8 BOM: the records are read, but it is invalid (loaddata refuses it)' <<\EOT
plain_hashes &&
{ printf "\357\273\277" && cat plain.json; } >bom.json &&
test_expect_code 1 fxvalidate --hash bom.json >out 2>err &&
test_cmp expect out &&
cat >expect <<\EOF &&
bom.json:1:1: error: file starts with a UTF-8 byte-order mark: fx reads it, but loaddata refuses it in a json file ("Unexpected UTF-8 BOM"); write a copy without it with 'fxfilter bom.json -o OUT', and export with 'python -X utf8 manage.py dumpdata -o FILE' [encoding]
fxvalidate: 2 records in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'jsonl with a UTF-8 BOM on a line without a record: invalid' <<\EOT
two_jsonl >plain.jsonl &&
{ printf "\357\273\277\n" && cat plain.jsonl; } >bom.jsonl &&
test_expect_code 1 fxvalidate -q bom.jsonl 2>err &&
cat >expect <<\EOF &&
bom.jsonl:1:1: error: file starts with a UTF-8 byte-order mark on a line without a record: loaddata takes a BOM in a jsonl file only before its first record, and fails on this line; write a copy without it with 'fxfilter bom.jsonl -o OUT' [encoding]
EOF
test_cmp expect err &&
{ printf "\357\273\277  " && cat plain.jsonl; } >bom.jsonl &&
test_expect_code 0 fxvalidate -q bom.jsonl
EOT

test_expect 'after a UTF-8 BOM, columns on line 1 do not count it' <<\EOT
printf "\357\273\277{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": 01}}\n" >bom.jsonl &&
test_expect_code 1 fxvalidate -q bom.jsonl 2>err &&
echo "bom.jsonl:1:43: error: number with a leading zero: JSON does not allow '01', near '01}}' [syntax]" >expect &&
test_cmp expect err
EOT

test_expect 'UTF-16LE with a BOM: the same records, invalid, the error names PowerShell and the fix' <<\EOT
plain_hashes &&
mv expect hashes &&
{ printf "\377\376" && iconv -f UTF-8 -t UTF-16LE plain.json; } >le.json &&
test_expect_code 1 fxvalidate --hash le.json >out 2>err &&
test_cmp hashes out &&
{ utf16_error le.json UTF-16LE with &&
  echo "fxvalidate: 2 records in 1 file: invalid, 1 error, 0 warnings"; } >expect &&
test_cmp expect err
EOT

test_expect 'UTF-16BE with a BOM: the same' <<\EOT
plain_hashes &&
mv expect hashes &&
{ printf "\376\377" && iconv -f UTF-8 -t UTF-16BE plain.json; } >be.json &&
test_expect_code 1 fxvalidate --hash be.json >out 2>err &&
test_cmp hashes out &&
{ utf16_error be.json UTF-16BE with &&
  echo "fxvalidate: 2 records in 1 file: invalid, 1 error, 0 warnings"; } >expect &&
test_cmp expect err
EOT

test_expect 'UTF-16 without a BOM is recognised by its zero bytes' <<\EOT
plain_hashes &&
iconv -f UTF-8 -t UTF-16LE plain.json >le.json &&
iconv -f UTF-8 -t UTF-16BE plain.json >be.json &&
for f in le be; do
    test_expect_code 1 fxvalidate -q --hash $f.json >out 2>err &&
    test_cmp expect out &&
    utf16_error $f.json UTF-16$(echo $f | tr a-z A-Z) without >want &&
    test_cmp want err ||
    return 1
done
EOT

test_expect 'UTF-16: places are those of the text' <<\EOT
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"s\": \"é\", \"x\": 01}}\n]\n" >plain.json &&
{ printf "\377\376" && iconv -f UTF-8 -t UTF-16LE plain.json; } >le.json &&
test_expect_code 1 fxvalidate -q le.json 2>err &&
{ utf16_error le.json UTF-16LE with &&
  echo "le.json:2:53: error: number with a leading zero: JSON does not allow '01', near '01}}' [syntax]"; } >expect &&
test_cmp expect err
EOT

test_expect 'UTF-16 cut in the middle of a character' <<\EOT
two_agences >plain.json &&
{ printf "\377\376" && iconv -f UTF-8 -t UTF-16LE plain.json; } >le.json &&
head -c $(($(wc -c <le.json) - 1)) le.json >odd.json &&
test_expect_code 1 fxvalidate -q odd.json 2>err &&
echo "odd.json: error: the UTF-16LE text ends in the middle of a character: the file is truncated [format]" >expect &&
test_cmp expect err
EOT

test_expect 'big-endian UTF-16 jsonl: valid (loaddata reads it line by line), with a warning' <<\EOT
two_jsonl >plain.jsonl &&
fxvalidate -q --hash plain.jsonl >expect &&
{ printf "\376\377" && iconv -f UTF-8 -t UTF-16BE plain.jsonl; } >be.jsonl &&
iconv -f UTF-8 -t UTF-16BE plain.jsonl >nobom.jsonl &&
test_expect_code 0 fxvalidate -q --hash be.jsonl >out 2>err &&
test_cmp expect out &&
be_warning be.jsonl UTF-16BE with >want &&
test_cmp want err &&
test_expect_code 0 fxvalidate -q nobom.jsonl 2>err &&
be_warning nobom.jsonl UTF-16BE without >want &&
test_cmp want err &&
{ printf "\377\376" && iconv -f UTF-8 -t UTF-16LE plain.jsonl; } >le.jsonl &&
test_expect_code 1 fxvalidate -q le.jsonl 2>err &&
utf16_error le.jsonl UTF-16LE with >want &&
test_cmp want err
EOT

test_expect 'big-endian jsonl: the first character with a 0x0A byte in its code is an error at its place' <<\EOT
cat >plain.jsonl <<\EOF &&
{"model": "a.b", "pk": 1, "fields": {"s": "ok"}}
{"model": "a.b", "pk": 2, "fields": {"s": "Ż Ċ ਅ"}}
{"model": "a.b", "pk": 3, "fields": {"s": "😊"}}
EOF
{ printf "\376\377" && iconv -f UTF-8 -t UTF-16BE plain.jsonl; } >be.jsonl &&
test_expect_code 1 fxvalidate -q be.jsonl 2>err &&
{ be_warning be.jsonl UTF-16BE with &&
  echo "be.jsonl:2:46: error: 'Ċ' (U+010A), whose UTF-16BE code holds the byte 0x0A: loaddata reads a UTF-16BE jsonl file line by line, cuts this line there and fails; write a UTF-8 copy with 'fxfilter be.jsonl -o OUT' [encoding]"; } >expect &&
test_cmp expect err &&
sed 2d plain.jsonl | iconv -f UTF-8 -t UTF-16BE >emoji.jsonl &&
test_expect_code 1 fxvalidate -q emoji.jsonl 2>err &&
{ be_warning emoji.jsonl UTF-16BE without &&
  echo "emoji.jsonl:2:44: error: '😊' (U+1F60A), whose UTF-16BE code holds the byte 0x0A: loaddata reads a UTF-16BE jsonl file line by line, cuts this line there and fails; write a UTF-8 copy with 'fxfilter emoji.jsonl -o OUT' [encoding]"; } >expect &&
test_cmp expect err &&
{ printf "\0\0\376\377" && iconv -f UTF-8 -t UTF-32BE plain.jsonl; } >be32.jsonl &&
test_expect_code 1 fxvalidate -q be32.jsonl 2>err &&
{ be_warning be32.jsonl UTF-32BE with &&
  echo "be32.jsonl:2:46: error: 'Ċ' (U+010A), whose UTF-32BE code holds the byte 0x0A: loaddata reads a UTF-32BE jsonl file line by line, cuts this line there and fails; write a UTF-8 copy with 'fxfilter be32.jsonl -o OUT' [encoding]"; } >expect &&
test_cmp expect err &&
fxfilter -q be.jsonl -o utf8.jsonl &&
test_cmp plain.jsonl utf8.jsonl
EOT

test_expect 'UTF-32 is read as UTF-32, not taken for UTF-16: invalid, the same records' <<\EOT
plain_hashes &&
two_jsonl >plain.jsonl &&
fxvalidate -q --hash plain.jsonl >expect.jsonl &&
{ printf "\377\376\0\0" && iconv -f UTF-8 -t UTF-32LE plain.json; } >le.json &&
{ printf "\0\0\376\377" && iconv -f UTF-8 -t UTF-32BE plain.json; } >be.json &&
iconv -f UTF-8 -t UTF-32LE plain.jsonl >le.jsonl &&
iconv -f UTF-8 -t UTF-32BE plain.jsonl >be.jsonl &&
test_expect_code 1 fxvalidate -q --hash le.json >out 2>err &&
test_cmp expect out &&
utf16_error le.json UTF-32LE with >want &&
test_cmp want err &&
test_expect_code 1 fxvalidate -q --hash be.json >out 2>err &&
test_cmp expect out &&
utf16_error be.json UTF-32BE with >want &&
test_cmp want err &&
test_expect_code 1 fxvalidate -q --hash le.jsonl >out 2>err &&
test_cmp expect.jsonl out &&
utf16_error le.jsonl UTF-32LE without >want &&
test_cmp want err &&
test_expect_code 0 fxvalidate -q --hash be.jsonl >out 2>err &&
test_cmp expect.jsonl out &&
be_warning be.jsonl UTF-32BE without >want &&
test_cmp want err
EOT

test_expect 'UTF-32 cut in the middle of a character, and a code that is no character' <<\EOT
two_agences >plain.json &&
{ printf "\377\376\0\0" && iconv -f UTF-8 -t UTF-32LE plain.json; } >le.json &&
head -c $(($(wc -c <le.json) - 2)) le.json >odd.json &&
test_expect_code 1 fxvalidate -q odd.json 2>err &&
echo "odd.json: error: the UTF-32LE text ends in the middle of a character: the file is truncated [format]" >expect &&
test_cmp expect err &&
printf "\377\376\0\0[\0\0\0\0\0\021\0]\0\0\0" >bad.json &&
test_expect_code 1 fxvalidate -q bad.json 2>err &&
echo "bad.json: error: invalid UTF-32LE at byte 8 (not a character): the file is damaged; re-export it with 'manage.py dumpdata -o FILE' [format]" >expect &&
test_cmp expect err
EOT

test_expect 'the other tools read what loaddata refuses, with a warning, and write plain UTF-8' <<\EOT
two_agences >plain.json &&
{ printf "\377\376" && iconv -f UTF-8 -t UTF-16LE plain.json; } >le.json &&
{ printf "\357\273\277" && cat plain.json; } >bom.json &&
{ printf "\377\376\0\0" && iconv -f UTF-8 -t UTF-32LE plain.json; } >le32.json &&
for f in le.json bom.json le32.json; do
    test_expect_code 0 fxfilter $f -o out.json 2>err &&
    test_cmp plain.json out.json &&
    test "$(wc -l <err)" = 1 &&
    grep "^$f:1:1: warning: .*loaddata refuses it.* \[encoding\]$" err &&
    test_expect_code 0 fxvalidate -q out.json || return 1
done &&
cp plain.json base.json &&
test_expect_code 0 fxmerge base.json bom.json le.json -o merged.json 2>err &&
test_cmp plain.json merged.json &&
grep "^bom.json:1:1: warning: file starts with a UTF-8 byte-order mark" err &&
grep "^le.json:1:1: warning: file is UTF-16LE with a byte-order mark" err &&
test_expect_code 0 fxvalidate -q merged.json
EOT

test_expect 'a jsonl file in a zip: invalid (loaddata cannot iterate over the zip)' <<\EOT
two_jsonl >x.jsonl &&
zip -q x.jsonl.zip x.jsonl &&
test_expect_code 1 fxvalidate -q x.jsonl.zip 2>err &&
echo "x.jsonl.zip: error: a jsonl file inside a zip archive: loaddata cannot read it ('SingleZipReader' object is not iterable); compress it with gzip, bzip2 or xz instead, or unzip it [encoding]" >expect &&
test_cmp expect err &&
gzip -c x.jsonl >x.jsonl.gz &&
test_expect_code 0 fxvalidate -q x.jsonl.gz
EOT

# ---------------------------------------------------------------- not UTF-8

test_expect 'a Windows-1252 byte: an error with the hint, at its place' <<\EOT
two_agences | iconv -f UTF-8 -t WINDOWS-1252 >cp.json &&
test_expect_code 1 fxvalidate cp.json 2>err &&
cat >expect <<\EOF &&
cp.json:17:18: error: invalid UTF-8 byte 0xE9 at offset 256: it reads as 'é' in Windows-1252, as dumpdata writes on Windows without UTF-8 mode; export again with 'python -X utf8 manage.py dumpdata -o FILE', or convert with 'iconv -f WINDOWS-1252 -t UTF-8' [encoding]
fxvalidate: 2 records in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err &&
test "$(tail -c +257 cp.json | head -c 1 | od -An -tx1 | tr -d " ")" = e9
EOT

test_expect 'Windows-1252 punctuation in 0x80-0x9F is named' <<\EOT
printf "{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"s\": \"5 \200\"}}\n{\"model\": \"a.b\", \"pk\": 2, \"fields\": {\"s\": \"l\222eau \205\"}}\n" >cp.jsonl &&
test_expect_code 1 fxvalidate -q cp.jsonl 2>err &&
test "$(tail -c +95 cp.jsonl | head -c 1 | od -An -tx1 | tr -d " ")" = 92 &&
cat >expect <<\EOF &&
cp.jsonl:1:46: error: invalid UTF-8 byte 0x80 at offset 45: it reads as '€' in Windows-1252, as dumpdata writes on Windows without UTF-8 mode; export again with 'python -X utf8 manage.py dumpdata -o FILE', or convert with 'iconv -f WINDOWS-1252 -t UTF-8' [encoding]
cp.jsonl:2:45: error: invalid UTF-8 byte 0x92 at offset 94: it reads as '’' in Windows-1252, as dumpdata writes on Windows without UTF-8 mode; export again with 'python -X utf8 manage.py dumpdata -o FILE', or convert with 'iconv -f WINDOWS-1252 -t UTF-8' [encoding]
EOF
test_cmp expect err
EOT

test_expect 'a byte Windows-1252 leaves undefined: not UTF-8, no hint' <<\EOT
printf "{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"s\": \"x\201\"}}\n" >bad.jsonl &&
test_expect_code 1 fxvalidate -q bad.jsonl 2>err &&
cat >expect <<\EOF &&
bad.jsonl:1:45: error: invalid UTF-8 byte 0x81 at offset 44: the file is not UTF-8; export it again with 'manage.py dumpdata -o FILE' [encoding]
EOF
test_cmp expect err
EOT

test_expect 'double-encoded text (Ã© for é): a warning, exit 0' <<\EOT
two_agences | sed "s/Bouaké\",/BouakÃ©\",/" >moji.json &&
test_expect_code 0 fxvalidate moji.json 2>err &&
cat >expect <<\EOF &&
moji.json:17:18: warning: supermarket.agence.nom looks double-encoded ('BouakÃ©' for 'Bouaké'): UTF-8 text was read as Windows-1252 or Latin-1 and encoded again; fix it at the source (further ones in this field not reported) [encoding]
moji.json:18:20: warning: supermarket.agence.ville looks double-encoded ('BouakÃ©' for 'Bouaké'): UTF-8 text was read as Windows-1252 or Latin-1 and encoded again; fix it at the source (further ones in this field not reported) [encoding]
fxvalidate: 2 records in 1 file: valid, 0 errors, 2 warnings
EOF
test_cmp expect err
EOT

test_expect 'double-encoded: once a field, not for real accents' <<\EOT
cat >moji.jsonl <<\EOF &&
{"model": "a.b", "pk": 1, "fields": {"s": "CafÃ©", "t": "Ã¨re"}}
{"model": "a.b", "pk": 2, "fields": {"s": "DÃ©jÃ "}}
{"model": "a.b", "pk": 3, "fields": {"s": "Ébrié à Ã"}}
EOF
test_expect_code 0 fxvalidate -q moji.jsonl 2>err &&
cat >expect <<\EOF &&
moji.jsonl:1:47: warning: a.b.s looks double-encoded ('CafÃ©' for 'Café'): UTF-8 text was read as Windows-1252 or Latin-1 and encoded again; fix it at the source (further ones in this field not reported) [encoding]
moji.jsonl:1:58: warning: a.b.t looks double-encoded ('Ã¨re' for 'ère'): UTF-8 text was read as Windows-1252 or Latin-1 and encoded again; fix it at the source (further ones in this field not reported) [encoding]
EOF
test_cmp expect err
EOT

# Text mangled on its way through a code page, made with Python's codecs:
# French ERP words written as UTF-8 or Windows-1252 and read as
# Windows-1252, Latin-1, cp850 or cp437.  make.py writes moji.jsonl, one
# record a word and mix-up, and the warnings expected, with the column of
# the first mangled character and the code pages that give the same text.
cat >"$FX_TRASH/moji.py" <<\EOF
import json
words = ["Bouaké", "Café crème", "Épicerie fine", "déjà vu", "Boulangerie-pâtisserie",
         "Côte d'Ivoire", "l’eau minérale", "Noël", "Ça coûte cher", "maïs doux", "CAFÉ",
         "«Spécial»", "n°5 ÉLÈVE", "Crème brûlée", "Pâté de foie", "Fromage râpé",
         "Bière blonde", "Huile extrême", "Jus d'orange pressé", "Thé vert", "Gâteau",
         "Lait stérilisé", "Épinards hachés", "Société Générale", "Coût unitaire",
         "Quantité reçue", "Dépôt", "Réf. fournisseur", "Mme Koné Aïcha", "M. Traoré",
         "Garçon", "Français", "hôtel", "forêt", "naïf", "cœur d’artichaut", "Über"]
groups = [("UTF-8", "utf-8", [("Windows-1252", "cp1252"), ("Latin-1", "latin-1")]),
          ("UTF-8", "utf-8", [("cp850", "cp850"), ("cp437", "cp437")]),
          ("Windows-1252", "cp1252", [("cp850", "cp850"), ("cp437", "cp437")])]
out, expect, n = [], [], 0
for w in words:
    for gi, (wrote, enc, reads) in enumerate(groups):
        for name, dec in reads:
            try:
                m = w.encode(enc).decode(dec)
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            n += 1
            field = "w%d" % n
            line = json.dumps({"model": "a.b", "pk": n, "fields": {field: m}}, ensure_ascii=False)
            out.append(line)
            same = [nm for nm, d in reads if w.encode(enc).decode(d, "replace") == m]
            d = next(i for i in range(len(m)) if m[i] != w[i])
            col = line.index('"' + m) + 2 + d
            if gi == 0:
                msg = ("a.b.%s looks double-encoded ('%s' for '%s'): UTF-8 text was read as %s "
                       "and encoded again; fix it at the source (further ones in this field "
                       "not reported)" % (field, m, w, " or ".join(same)))
            else:
                msg = ("a.b.%s looks mangled by a console code page ('%s' for '%s'): %s text "
                       "was read as %s, as PowerShell's '>' reads what Python writes (with "
                       "the console's OEM code page: cp850 in Western Europe, cp437 in the "
                       "US); export with 'python -X utf8 manage.py dumpdata -o FILE' instead "
                       "of '>' (further ones in this field not reported)"
                       % (field, m, w, wrote, " or ".join(same)))
            expect.append("moji.jsonl:%d:%d: warning: %s [encoding]" % (len(out), col, msg))
            out.append(json.dumps({"model": "a.b", "pk": 10000 + n, "fields": {"ok" + field: w}},
                                  ensure_ascii=False))
open("moji.jsonl", "w").write("\n".join(out) + "\n")
open("expect", "w").write("\n".join(expect) + "\n")
EOF

test_expect 'code page mix-ups (double-encoded, through a console): each named, with the text meant' <<\EOT
python3 "$FX_TRASH/moji.py" &&
test "$(wc -l <expect)" -gt 200 &&
test_expect_code 0 fxvalidate -q moji.jsonl 2>err &&
test_cmp expect err &&
grep -q "'BouakÚ' for 'Bouaké'): Windows-1252 text was read as cp850," err &&
grep -q "'BouakΘ' for 'Bouaké'): Windows-1252 text was read as cp437," err &&
grep -q "'Bouak├®' for 'Bouaké'): UTF-8 text was read as cp850," err &&
grep -q "'Bouak├⌐' for 'Bouaké'): UTF-8 text was read as cp437," err &&
grep -q "'Garþon' for 'Garçon'): Windows-1252 text was read as cp850," err &&
grep -q "'├ça co├╗te cher' for 'Ça coûte cher'): UTF-8 text was read as cp850 or cp437," err
EOT

test_expect 'escaped text is checked too; the place is then the string' <<\EOT
printf '{"model": "a.b", "pk": 1, "fields": {"s": "Bouak\\u00da"}}\n' >esc.jsonl &&
test_expect_code 0 fxvalidate -q esc.jsonl 2>err &&
grep "^esc.jsonl:1:43: warning: a.b.s looks mangled by a console code page ('BouakÚ' for 'Bouaké'): Windows-1252 text was read as cp850," err
EOT

test_expect 'no mix-up reported in real text: Django'"'"'s messages in 27 languages' <<\EOT
po=/usr/lib/python3/dist-packages/django/conf/locale
test -d $po || { echo "python3-django missing: skipped"; return 0; }
cat >po.py <<\EOF &&
import glob, json, re, sys
n = 0
for lang in sys.argv[1:]:
    for f in sorted(glob.glob("/usr/lib/python3/dist-packages/django/**/locale/%s/LC_MESSAGES/*.po"
                              % lang, recursive=True)):
        for m in re.finditer(r'^msgstr "(.+)"$', open(f, encoding="utf-8").read(), re.M):
            t = m.group(1).encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
            if any(ord(c) > 127 for c in t):
                n += 1
                print(json.dumps({"model": "a.b", "pk": n, "fields": {"s%d" % n: t}},
                                 ensure_ascii=False))
EOF
python3 po.py fr de es pt it ca nl da sv nb fi pl cs hu ro tr vi sk sl hr et lv lt gl ga af sq >po.jsonl &&
test "$(wc -l <po.jsonl)" -gt 7000 &&
test_expect_code 0 fxvalidate po.jsonl 2>err &&
echo "fxvalidate: $(wc -l <po.jsonl) records in 1 file: valid, 0 errors, 0 warnings" >expect &&
test_cmp expect err
EOT

# ---------------------------------------------------------------- CRLF

test_expect 'CRLF line ends: valid, the same records, the layout says CRLF' <<\EOT
plain_hashes &&
sed "s/\$/\r/" plain.json >crlf.json &&
test_expect_code 0 fxvalidate --hash crlf.json >out 2>err &&
test_cmp expect out &&
echo "fxvalidate: 2 records in 1 file: valid, 0 errors, 0 warnings" >expect &&
test_cmp expect err &&
fxvalidate --format json crlf.json | jq -r ".files[0].layout" >actual &&
echo "indent=2 (CRLF)" >expect &&
test_cmp expect actual
EOT

test_expect 'CRLF jsonl: valid; places as in the LF file' <<\EOT
two_jsonl | sed "s/\$/\r/" >crlf.jsonl &&
test_expect_code 0 fxvalidate -q crlf.jsonl 2>err &&
test_must_be_empty err &&
printf "[\r\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": 01}}\r\n]\r\n" >bad.json &&
test_expect_code 1 fxvalidate -q bad.json 2>err &&
echo "bad.json:2:43: error: number with a leading zero: JSON does not allow '01', near '01}}' [syntax]" >expect &&
test_cmp expect err
EOT

# ---------------------------------------------------------------- compression

test_expect 'gzip, bzip2, xz, lzma: valid, the same records as the plain file' <<\EOT
plain_hashes &&
gzip -9 -c plain.json >p.json.gz &&
bzip2 -c plain.json >p.json.bz2 &&
xz -c plain.json >p.json.xz &&
xz --format=lzma -c plain.json >p.json.lzma &&
for f in p.json.gz p.json.bz2 p.json.xz p.json.lzma; do
    test_expect_code 0 fxvalidate --hash "$f" >out 2>err &&
    test_cmp expect out &&
    echo "fxvalidate: 2 records in 1 file: valid, 0 errors, 0 warnings" >summary &&
    test_cmp summary err || return 1
done
EOT

test_expect 'compression is told by content; a name loaddata misreads is an error' <<\EOT
plain_hashes &&
gzip -c plain.json >gz.json &&
bzip2 -c plain.json >bz.jsonl &&
xz -c plain.json >xz.gz &&
cp plain.json plain.json.gz &&
for f in gz.json bz.jsonl xz.gz plain.json.gz; do
    test_expect_code 1 fxvalidate -q --hash "$f" >out 2>>err &&
    test_cmp expect out || return 1
done &&
cat >expect <<\EOF &&
gz.json: error: the file is gzip-compressed but its name does not say so: loaddata reads it as plain text and fails; name it 'gz.json.gz' [name]
bz.jsonl: error: the name ends in '.jsonl' but the file holds json (one array of records): loaddata reads it as jsonl and fails; name it 'bz.json.bz2' [name]
bz.jsonl: error: the file is bzip2-compressed but its name does not say so: loaddata reads it as plain text and fails; name it 'bz.json.bz2' [name]
xz.gz: error: loaddata takes the format from the file name, and 'xz.gz' names none: it looks for 'xz.json.gz' and the like instead, and does not read this file; name it 'xz.json.xz' [name]
xz.gz: error: the name ends in '.gz' but the file is xz-compressed: loaddata fails to decompress it; name it 'xz.json.xz' [name]
plain.json.gz: error: the name ends in '.gz' but the file is not compressed: loaddata fails to decompress it; name it 'plain.json' [name]
EOF
test_cmp expect err &&
mv gz.json gz.json.gz && mv bz.jsonl bz.json.bz2 && mv xz.gz xz.json.xz &&
for f in gz.json.gz bz.json.bz2 xz.json.xz; do
    test_expect_code 0 fxvalidate -q "$f" || return 1
done
EOT

test_expect 'a zip holding one file: valid, the same records' <<\EOT
plain_hashes &&
zip -q plain.json.zip plain.json &&
test_expect_code 0 fxvalidate --hash plain.json.zip >out 2>err &&
test_cmp expect out &&
echo "fxvalidate: 2 records in 1 file: valid, 0 errors, 0 warnings" >expect &&
test_cmp expect err
EOT

test_expect 'a zip holding two files: an error, exit 1' <<\EOT
two_agences >a.json &&
printf "[]\n" >b.json &&
zip -q two.zip a.json b.json &&
test_expect_code 1 fxvalidate two.zip >out 2>err &&
test_must_be_empty out &&
cat >expect <<\EOF &&
two.zip: error: zip archive holds more than one file: loaddata reads single-file zips only; extract the fixture you want with unzip [format]
fxvalidate: 0 records in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'compressed jsonl, compressed UTF-16, compressed CRLF' <<\EOT
two_jsonl >plain.jsonl &&
fxvalidate -q --hash plain.jsonl >expect &&
gzip -c plain.jsonl >a.jsonl.gz &&
{ printf "\377\376" && iconv -f UTF-8 -t UTF-16LE plain.jsonl; } | xz -c >b.jsonl.xz &&
sed "s/\$/\r/" plain.jsonl | bzip2 -c >c.jsonl.bz2 &&
for f in a.jsonl.gz b.jsonl.xz c.jsonl.bz2; do
    fxvalidate -q --hash "$f" >out 2>/dev/null
    test_cmp expect out || return 1
done &&
test_expect_code 1 fxvalidate -q b.jsonl.xz 2>err &&
utf16_error b.jsonl.xz UTF-16LE with >expect &&
test_cmp expect err
EOT

test_expect 'a truncated gzip: exit 2, says it is truncated' <<\EOT
two_agences | gzip -c >full.gz &&
head -c $(($(wc -c <full.gz) - 12)) full.gz >cut.gz &&
test_expect_code 2 fxvalidate cut.gz >out 2>err &&
test_must_be_empty out &&
cat >expect <<\EOF &&
cut.gz: error: cannot read the input: truncated gzip input [io]
fxvalidate: 0 records in 1 file: could not check everything, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'a damaged gzip: exit 2, says decompression failed' <<\EOT
two_agences | gzip -c >full.gz &&
{ head -c 20 full.gz && printf "\377\377\377\377\377\377" && tail -c +27 full.gz; } >bad.gz &&
test_expect_code 2 fxvalidate -q bad.gz >out 2>err &&
test_must_be_empty out &&
echo "bad.gz: error: cannot read the input: gzip decompression failed [io]" >expect &&
test_cmp expect err
EOT

test_expect 'truncated bzip2 and xz: exit 2, cannot read the input' <<\EOT
two_agences >plain.json &&
bzip2 -c plain.json | head -c 100 >cut.bz2 &&
xz -c plain.json | head -c 100 >cut.xz &&
test_expect_code 2 fxvalidate -q cut.bz2 2>err &&
echo "cut.bz2: error: cannot read the input: truncated bzip2 input [io]" >expect &&
test_cmp expect err &&
test_expect_code 2 fxvalidate -q cut.xz 2>err &&
grep "^cut.xz: error: cannot read the input: .* \[io\]$" err &&
test "$(wc -l <err)" = 1
EOT

test_expect 'a compressed HTML page and a compressed empty file' <<\EOT
printf "<!DOCTYPE html>\n<html></html>\n" | gzip -c >page.gz &&
: | xz -c >empty.xz &&
test_expect_code 1 fxvalidate page.gz empty.xz 2>err &&
cat >expect <<\EOF &&
page.gz:1:1: error: not JSON: this looks like an HTML page, perhaps an error or login page saved instead of the export; download the export again [format]
empty.xz: error: empty file: a fixture holds a list of records ('[...]') or one record a line; was the export interrupted? [format]
fxvalidate: 0 records in 2 files: invalid, 2 errors, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'an HTML page and an empty file, plain' <<\EOT
printf "<html><body>502 Bad Gateway</body></html>\n" >page.json &&
: >empty.json &&
test_expect_code 1 fxvalidate -q page.json empty.json 2>err &&
cat >expect <<\EOF &&
page.json:1:1: error: not JSON: this looks like an HTML page, perhaps an error or login page saved instead of the export; download the export again [format]
empty.json: error: empty file: a fixture holds a list of records ('[...]') or one record a line; was the export interrupted? [format]
EOF
test_cmp expect err
EOT

test_expect 'the corpus gzip reads as its plain copy' <<\EOT
fxvalidate -q --hash "$FX_TESTDATA/corpus/base.json" >expect &&
fxvalidate -q --hash "$FX_TESTDATA/corpus/base.json.gz" >out &&
test_cmp expect out &&
test "$(wc -l <out)" = 10852
EOT

test_done
