#!/usr/bin/env bash
# fxvalidate on bad input: each one with the exact diagnostic, its place
# (FILE:LINE:COLUMN, columns in characters) and the exit status: 1 for an
# invalid fixture, 2 when it could not be read.

. "$(dirname "$0")/lib.sh"

# test_expect 'description' <<\EOT ... EOT: the body read from a here-doc,
# so that it can hold the single quotes of the tool's messages.
test_expect () {
    test_expect_success "$1" "$(cat)"
}

# ---------------------------------------------------------------- syntax

test_expect 'a number with a leading zero (indent 2)' <<\EOT
cat >bad.json <<\EOF &&
[
{
  "model": "a.b",
  "pk": 1,
  "fields": {
    "n": 007
  }
}
]
EOF
test_expect_code 1 fxvalidate bad.json >out 2>err &&
test_must_be_empty out &&
cat >expect <<\EOF &&
bad.json:6:10: error: number with a leading zero: JSON does not allow '00', near '007' [syntax]
fxvalidate: 0 records in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'malformed numbers' <<\EOT
for n in "-" "1." "1e" "1e+" "-x"; do
    printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": %s}}\n]\n" "$n" >bad.json &&
    test_expect_code 1 fxvalidate -q bad.json 2>>err || return 1
done &&
cat >expect <<\EOF &&
bad.json:2:43: error: invalid number: a digit must follow '-', near '-}}' [syntax]
bad.json:2:43: error: invalid number: a digit must follow '.', near '1.}}' [syntax]
bad.json:2:43: error: invalid number: a digit must follow the exponent, near '1e}}' [syntax]
bad.json:2:43: error: invalid number: a digit must follow the exponent, near '1e+}}' [syntax]
bad.json:2:43: error: invalid number: a digit must follow '-', near '-x}}' [syntax]
EOF
test_cmp expect err
EOT

test_expect 'a trailing comma before ]' <<\EOT
cat >bad.json <<\EOF &&
[
{"model": "a.b", "pk": 1, "fields": {}},
]
EOF
test_expect_code 1 fxvalidate bad.json 2>err &&
cat >expect <<\EOF &&
bad.json:3:1: error: trailing comma before ']': JSON does not allow it; remove the comma, near ']' [syntax]
fxvalidate: 1 record in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'a missing comma between records: both records are read' <<\EOT
cat >bad.json <<\EOF &&
[
{"model": "a.b", "pk": 1, "fields": {}}
{"model": "a.b", "pk": 2, "fields": {}}
]
EOF
test_expect_code 1 fxvalidate bad.json 2>err &&
cat >expect <<\EOF &&
bad.json:3:1: error: expected ',' between records: a comma is missing, near '{"model": "a.b", "pk": 2' [syntax]
fxvalidate: 2 records in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'two commas between records' <<\EOT
cat >bad.json <<\EOF &&
[
{"model": "a.b", "pk": 1, "fields": {}},
{"model": "a.b", "pk": 2, "fields": {}},,
{"model": "a.b", "pk": 3, "fields": {}}
]
EOF
test_expect_code 1 fxvalidate bad.json 2>err &&
cat >expect <<\EOF &&
bad.json:3:41: error: expected a record '{', near ',' [syntax]
fxvalidate: 3 records in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'missing : and , inside a record' <<\EOT
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\" 1}}\n]\n" >colon.json &&
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": 1 \"y\": 2}}\n]\n" >comma.json &&
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": [1 2]}}\n]\n" >list.json &&
test_expect_code 1 fxvalidate -q colon.json comma.json list.json 2>err &&
cat >expect <<\EOF &&
colon.json:2:42: error: expected ':' after a key, near '1}}' [syntax]
comma.json:2:45: error: expected ',' or '}' after a value in an object, near '"y": 2}}' [syntax]
list.json:2:46: error: expected ',' or ']' in a list, near '2]}}' [syntax]
EOF
test_cmp expect err
EOT

test_expect 'Python literals and single quotes are not JSON' <<\EOT
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": True, \"y\": None}}\n]\n" >py.json &&
printf "[{'model': 'a.b', 'pk': 1, 'fields': {}}]\n" >quotes.json &&
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": tru}}\n]\n" >tru.json &&
test_expect_code 1 fxvalidate -q py.json quotes.json tru.json 2>err &&
cat >expect <<\EOF &&
py.json:2:43: error: expected a value (string, number, object, list, true, false or null), near 'True, "y": None}}' [syntax]
quotes.json:1:3: error: expected a key string in double quotes, near ''model': 'a.b', 'pk': 1,' [syntax]
tru.json:2:43: error: expected a value (string, number, object, list, true, false or null), near 'tru}}' [syntax]
EOF
test_cmp expect err
EOT

test_expect 'a comment line; the records after it are still read' <<\EOT
cat >bad.json <<\EOF &&
[
// users
{"model": "a.b", "pk": 1, "fields": {}}
]
EOF
test_expect_code 1 fxvalidate bad.json 2>err &&
cat >expect <<\EOF &&
bad.json:2:1: error: expected a record '{', near '// users' [syntax]
fxvalidate: 1 record in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'bad string escapes' <<\EOT
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"s\": \"a\\\\qb\"}}\n]\n" >esc.json &&
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"s\": \"a\\\\u12g4\"}}\n]\n" >u.json &&
test_expect_code 1 fxvalidate -q esc.json u.json 2>err &&
cat >expect <<\EOF &&
esc.json:2:45: error: invalid escape '\q' in a string: JSON allows \" \\ \/ \b \f \n \r \t \uXXXX, near '\qb"}}' [syntax]
u.json:2:45: error: invalid \u escape: four hex digits must follow '\u', near '\u12g4"}}' [syntax]
EOF
test_cmp expect err
EOT

test_expect 'raw control characters inside a string' <<\EOT
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"s\": \"a\tb\"}}\n]\n" >tab.json &&
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"s\": \"a\000b\"}}\n]\n" >zero.json &&
test_expect_code 1 fxvalidate -q tab.json zero.json 2>err &&
cat >expect <<\EOF &&
tab.json:2:45: error: control character U+0009 inside a string: JSON needs it escaped as \u0009, near '\x09b"}}' [syntax]
zero.json:2:45: error: control character U+0000 inside a string: JSON needs it escaped as \u0000, near '\x00b"}}' [syntax]
EOF
test_cmp expect err
EOT

test_expect 'a lone surrogate escape' <<\EOT
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"s\": \"\\\\ud800x\"}}\n]\n" >bad.json &&
test_expect_code 1 fxvalidate bad.json 2>err &&
cat >expect <<\EOF &&
bad.json:2:44: error: lone surrogate '\ud800' in a string: no database can store it; fix the text at its source [encoding]
fxvalidate: 1 record in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err &&
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"s\": \"\\\\ud83d\\\\ude00\"}}\n]\n" >pair.json &&
test_expect_code 0 fxvalidate -q pair.json 2>err &&
test_must_be_empty err
EOT

test_expect 'nesting deeper than 512 levels' <<\EOT
open=$(printf "%600s" "" | tr " " "[") &&
close=$(printf "%600s" "" | tr " " "]") &&
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": %s1%s}}\n]\n" "$open" "$close" >bad.json &&
test_expect_code 1 fxvalidate -q bad.json 2>err &&
cat >expect <<\EOF &&
bad.json:2:553: error: nesting deeper than 512 levels: not a Django fixture, near '[[[[[[[[[[[[[[[[[[[[[[[[' [syntax]
EOF
test_cmp expect err &&
open=$(printf "%510s" "" | tr " " "[") &&
close=$(printf "%510s" "" | tr " " "]") &&
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": %s1%s}}\n]\n" "$open" "$close" >deep.json &&
test_expect_code 0 fxvalidate -q deep.json
EOT

test_expect 'text after the closing ]' <<\EOT
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n]\nxx\n" >after.json &&
printf "[\n{\"model\": \"a.b\", \"pk\": 2, \"fields\": {}}\n]\n][\n" >again.json &&
test_expect_code 1 fxvalidate -q after.json again.json 2>err &&
cat >expect <<\EOF &&
after.json:4:1: error: unexpected text after the closing ']', near 'xx' [syntax]
again.json:4:1: error: unexpected text after the closing ']', near '][' [syntax]
EOF
test_cmp expect err
EOT

test_expect 'a list of something else than records' <<\EOT
printf "[1, 2]\n" >bad.json &&
test_expect_code 1 fxvalidate bad.json 2>err &&
cat >expect <<\EOF &&
bad.json:1:2: error: expected a record '{', near '1, 2]' [syntax]
fxvalidate: 0 records in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'an empty list is a valid fixture of no records' <<\EOT
printf "[]\n" >empty.json &&
test_expect_code 0 fxvalidate empty.json 2>err &&
echo "fxvalidate: 0 records in 1 file: valid, 0 errors, 0 warnings" >expect &&
test_cmp expect err
EOT

test_expect 'jsonl: two records on one line' <<\EOT
printf "{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}} {\"model\": \"a.b\", \"pk\": 2, \"fields\": {}}\n" >bad.jsonl &&
test_expect_code 1 fxvalidate bad.jsonl 2>err &&
cat >expect <<\EOF &&
bad.jsonl:1:41: error: more text after the record on the same line: jsonl holds one record a line, near '{"model": "a.b", "pk": 2' [syntax]
fxvalidate: 1 record in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'jsonl: a syntax error skips its line only' <<\EOT
cat >bad.jsonl <<\EOF &&
{"model": "a.b", "pk": 1, "fields": {}}
{"model": "a.b", "pk": 2, "fields": {"x": 01}}
{"model": "a.b", "pk": 3, "fields": {}}
{"model": "a.b", "pk": 1, "fields": {}}
EOF
test_expect_code 1 fxvalidate bad.jsonl 2>err &&
cat >expect <<\EOF &&
bad.jsonl:2:43: error: number with a leading zero: JSON does not allow '01', near '01}}' [syntax]
bad.jsonl:4:1: error: duplicate record a.b pk 1: also at bad.jsonl:1:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]
fxvalidate: 3 records in 1 file: invalid, 2 errors, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'json: after a syntax error the next records are still checked' <<\EOT
cat >bad.json <<\EOF &&
[
{"model": "a.b", "pk": 1, "fields": {}},
{"model": "a.b", "pk": 2, "fields": {"x": 01}},
{"model": "a.b", "pk": 3, "fields": {}},
{"model": "a.b", "pk": 1, "fields": {}}
]
EOF
test_expect_code 1 fxvalidate bad.json 2>err &&
cat >expect <<\EOF &&
bad.json:3:43: error: number with a leading zero: JSON does not allow '01', near '01}},' [syntax]
bad.json:5:1: error: duplicate record a.b pk 1: also at bad.json:2:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]
fxvalidate: 3 records in 1 file: invalid, 2 errors, 0 warnings
EOF
test_cmp expect err
EOT

# ---------------------------------------------------------------- not a fixture

test_expect 'an empty file, and one of white space only' <<\EOT
: >empty.json &&
printf "\n  \n\t\n" >blank.json &&
test_expect_code 1 fxvalidate empty.json blank.json 2>err &&
cat >expect <<\EOF &&
empty.json: error: empty file: a fixture holds a list of records ('[...]') or one record a line; was the export interrupted? [format]
blank.json: error: empty file: a fixture holds a list of records ('[...]') or one record a line; was the export interrupted? [format]
fxvalidate: 0 records in 2 files: invalid, 2 errors, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'an HTML page saved instead of the export' <<\EOT
cat >page.json <<\EOF &&
<!DOCTYPE html>
<html><head><title>Log in | Django site admin</title></head></html>
EOF
test_expect_code 1 fxvalidate page.json 2>err &&
cat >expect <<\EOF &&
page.json:1:1: error: not JSON: this looks like an HTML page, perhaps an error or login page saved instead of the export; download the export again [format]
fxvalidate: 0 records in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err &&
printf "\n  <html>\n" >indented.json &&
test_expect_code 1 fxvalidate -q indented.json 2>err &&
echo "indented.json:2:3: error: not JSON: this looks like an HTML page, perhaps an error or login page saved instead of the export; download the export again [format]" >expect &&
test_cmp expect err
EOT

test_expect 'text that is not a fixture' <<\EOT
printf "model,pk\na.b,1\n" >bad.csv &&
test_expect_code 1 fxvalidate -q bad.csv 2>err &&
cat >expect <<\EOF &&
bad.csv:1:1: error: not a Django fixture: expected '[' (json) or '{' (jsonl) at the start, near 'model,pk' [format]
EOF
test_cmp expect err
EOT

test_expect 'a format error stops that file only' <<\EOT
: >empty.json &&
printf "{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}\n" >good.jsonl &&
test_expect_code 1 fxvalidate empty.json good.jsonl 2>err &&
tail -n 1 err >last &&
echo "fxvalidate: 1 record in 2 files: invalid, 1 error, 0 warnings" >expect &&
test_cmp expect last
EOT

# ---------------------------------------------------------------- structure

test_expect 'a record without "fields"' <<\EOT
cat >bad.json <<\EOF &&
[
{
  "model": "a.b",
  "pk": 1
}
]
EOF
test_expect_code 1 fxvalidate bad.json 2>err &&
cat >expect <<\EOF &&
bad.json:2:1: error: record has no "fields": every record needs a "fields" object, even an empty one {}, near '{' [structure]
fxvalidate: 0 records in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'jsonl: a record without "fields" among good ones' <<\EOT
cat >bad.jsonl <<\EOF &&
{"model": "a.b", "pk": 1, "fields": {}}
{"model": "a.b", "pk": 2}
{"model": "a.b", "pk": 3, "fields": {}}
EOF
test_expect_code 1 fxvalidate bad.jsonl 2>err &&
cat >expect <<\EOF &&
bad.jsonl:2:1: error: record has no "fields": every record needs a "fields" object, even an empty one {}, near '{"model": "a.b", "pk": 2' [structure]
fxvalidate: 2 records in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'json: a structure error in the middle or at the end is one error' <<\EOT
cat >mid.json <<\EOF &&
[
{"model": "a.b", "pk": 1, "fields": {}},
{"model": "a.b", "pk": 2},
{"model": "a.b", "pk": 3, "fields": {}}
]
EOF
test_expect_code 1 fxvalidate mid.json 2>err &&
cat >expect <<\EOF &&
mid.json:3:1: error: record has no "fields": every record needs a "fields" object, even an empty one {}, near '{"model": "a.b", "pk": 2' [structure]
fxvalidate: 2 records in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err &&
cat >last.json <<\EOF &&
[
{"model": "a.b", "pk": 1, "fields": {}},
{"model": "a.b", "pk": 2, "fields": []}
]
EOF
test_expect_code 1 fxvalidate last.json 2>err &&
cat >expect <<\EOF &&
last.json:3:37: error: "fields" must be an object of field names and values, near '[]}' [structure]
fxvalidate: 1 record in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err &&
printf "[{\"model\": \"a.b\", \"pk\": 1}, {\"model\": 5, \"pk\": 2, \"fields\": {}}, {\"model\": \"a.b\", \"pk\": 3, \"fields\": {}}]" >compact.json &&
test_expect_code 1 fxvalidate compact.json 2>err &&
cat >expect <<\EOF &&
compact.json:1:2: error: record has no "fields": every record needs a "fields" object, even an empty one {}, near '{"model": "a.b", "pk": 1' [structure]
compact.json:1:39: error: "model" must be a string "app_label.modelname", near '5, "pk": 2, "fields": {}' [structure]
fxvalidate: 1 record in 1 file: invalid, 2 errors, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'a record without "model"' <<\EOT
printf "[\n{\"pk\": 1, \"fields\": {}}\n]\n" >bad.json &&
test_expect_code 1 fxvalidate -q bad.json 2>err &&
cat >expect <<\EOF &&
bad.json:2:1: error: record has no "model": every record needs "model": "app_label.modelname", near '{"pk": 1, "fields": {}}' [structure]
EOF
test_cmp expect err
EOT

test_expect 'bad model labels' <<\EOT
for m in supermarket a.b.c "a b.c" .b a. "" a-b.c; do
    printf "{\"model\": \"%s\", \"pk\": 1, \"fields\": {}}\n" "$m" || return 1
done >bad.jsonl &&
test_expect_code 1 fxvalidate bad.jsonl 2>err &&
cat >expect <<\EOF &&
bad.jsonl:1:11: error: invalid model label: expected "app_label.modelname" as in "supermarket.produit", near '"supermarket", "pk": 1, ' [structure]
bad.jsonl:2:11: error: invalid model label: expected "app_label.modelname" as in "supermarket.produit", near '"a.b.c", "pk": 1, "field' [structure]
bad.jsonl:3:11: error: invalid model label: expected "app_label.modelname" as in "supermarket.produit", near '"a b.c", "pk": 1, "field' [structure]
bad.jsonl:4:11: error: invalid model label: expected "app_label.modelname" as in "supermarket.produit", near '".b", "pk": 1, "fields":' [structure]
bad.jsonl:5:11: error: invalid model label: expected "app_label.modelname" as in "supermarket.produit", near '"a.", "pk": 1, "fields":' [structure]
bad.jsonl:6:11: error: invalid model label: expected "app_label.modelname" as in "supermarket.produit", near '"", "pk": 1, "fields": {' [structure]
bad.jsonl:7:11: error: invalid model label: expected "app_label.modelname" as in "supermarket.produit", near '"a-b.c", "pk": 1, "field' [structure]
fxvalidate: 0 records in 1 file: invalid, 7 errors, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'model, pk and fields of the wrong type' <<\EOT
cat >bad.jsonl <<\EOF &&
{"model": 5, "pk": 1, "fields": {}}
{"model": "a.b", "pk": 2, "fields": []}
{"model": "a.b", "pk": true, "fields": {}}
{"model": "a.b", "pk": [1], "fields": {}}
{"model": "a.b", "pk": {"id": 1}, "fields": {}}
EOF
test_expect_code 1 fxvalidate -q bad.jsonl 2>err &&
cat >expect <<\EOF &&
bad.jsonl:1:11: error: "model" must be a string "app_label.modelname", near '5, "pk": 1, "fields": {}' [structure]
bad.jsonl:2:37: error: "fields" must be an object of field names and values, near '[]}' [structure]
bad.jsonl:3:24: error: "pk" must be a number, a string or null, near 'true, "fields": {}}' [structure]
bad.jsonl:4:24: error: "pk" must be a number, a string or null, near '[1], "fields": {}}' [structure]
bad.jsonl:5:24: error: "pk" must be a number, a string or null, near '{"id": 1}, "fields": {}}' [structure]
EOF
test_cmp expect err
EOT

test_expect 'records wrapped in an object' <<\EOT
printf "{\"data\": [{\"model\": \"a.b\", \"pk\": 1, \"fields\": {}}]}\n" >bad.json &&
test_expect_code 1 fxvalidate -q bad.json 2>err &&
cat >expect <<\EOF &&
bad.json:1:2: warning: unknown key "data" in a record: loaddata ignores it; only "model", "pk" and "fields" count [structure]
bad.json:1:1: error: record has no "model": every record needs "model": "app_label.modelname", near '{"data": [{"model": "a.b' [structure]
EOF
test_cmp expect err
EOT

test_expect 'an unknown key in a record: a warning, exit 0' <<\EOT
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"extra\": 1, \"fields\": {}}\n]\n" >w.json &&
test_expect_code 0 fxvalidate w.json 2>err &&
cat >expect <<\EOF &&
w.json:2:27: warning: unknown key "extra" in a record: loaddata ignores it; only "model", "pk" and "fields" count [structure]
fxvalidate: 1 record in 1 file: valid, 0 errors, 1 warning
EOF
test_cmp expect err
EOT

test_expect 'a key twice in a record: a warning, Python keeps the last' <<\EOT
cat >w.jsonl <<\EOF &&
{"model": "a.b", "pk": 1, "pk": 2, "fields": {}}
{"model": "a.b", "pk": 3, "fields": {"x": 1}, "fields": {"y": 2}}
{"model": "a.b", "pk": 1, "fields": {}}
EOF
test_expect_code 0 fxvalidate w.jsonl 2>err &&
cat >expect <<\EOF &&
w.jsonl:1:27: warning: record has "pk" twice: Python's json keeps the last [duplicate-key]
w.jsonl:2:47: warning: record has "fields" twice: Python's json keeps the last [duplicate-key]
fxvalidate: 3 records in 1 file: valid, 0 errors, 2 warnings
EOF
test_cmp expect err &&
fxvalidate -q --hash w.jsonl | cut -f 3 >pks &&
printf "2\n3\n1\n" >expect &&
test_cmp expect pks
EOT

# ---------------------------------------------------------------- duplicates

test_expect 'a duplicate (model, pk): an error naming the first one' <<\EOT
cat >bad.json <<\EOF &&
[
{
  "model": "supermarket.produit",
  "pk": 7,
  "fields": {}
},
{
  "model": "supermarket.produit",
  "pk": 8,
  "fields": {}
},
{
  "model": "supermarket.produit",
  "pk": 7,
  "fields": {}
}
]
EOF
test_expect_code 1 fxvalidate bad.json 2>err &&
cat >expect <<\EOF &&
bad.json:12:1: error: duplicate record supermarket.produit pk 7: also at bad.json:2:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]
fxvalidate: 3 records in 1 file: invalid, 1 error, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'pk 7 and pk "7" are the same row; other models are not' <<\EOT
cat >bad.jsonl <<\EOF &&
{"model": "a.b", "pk": 7, "fields": {}}
{"model": "a.c", "pk": 7, "fields": {}}
{"model": "a.b", "pk": "7", "fields": {}}
EOF
test_expect_code 1 fxvalidate -q bad.jsonl 2>err &&
cat >expect <<\EOF &&
bad.jsonl:3:1: error: duplicate record a.b pk 7: also at bad.jsonl:1:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]
EOF
test_cmp expect err
EOT

test_expect 'records without pk are never duplicates of each other' <<\EOT
cat >ok.jsonl <<\EOF &&
{"model": "a.b", "fields": {"code": "X"}}
{"model": "a.b", "fields": {"code": "X"}}
{"model": "a.b", "pk": null, "fields": {}}
{"model": "a.b", "pk": null, "fields": {}}
EOF
test_expect_code 0 fxvalidate -q ok.jsonl 2>err &&
test_must_be_empty err
EOT

# ---------------------------------------------------------------- values

test_expect 'NaN and Infinity: a warning each field, exit 0' <<\EOT
cat >nan.json <<\EOF &&
[
{"model": "a.b", "pk": 1, "fields": {"x": NaN, "y": Infinity, "z": -Infinity}},
{"model": "a.b", "pk": 2, "fields": {"x": NaN, "l": [1, NaN]}}
]
EOF
test_expect_code 0 fxvalidate nan.json 2>err &&
cat >expect <<\EOF &&
nan.json:2:43: warning: a.b.x is NaN: Python and loaddata accept it, but PostgreSQL numeric and integer columns and strict JSON readers refuse it (further ones in this field not reported) [nan]
nan.json:2:53: warning: a.b.y is Infinity: Python and loaddata accept it, but PostgreSQL numeric and integer columns and strict JSON readers refuse it (further ones in this field not reported) [nan]
nan.json:2:68: warning: a.b.z is -Infinity: Python and loaddata accept it, but PostgreSQL numeric and integer columns and strict JSON readers refuse it (further ones in this field not reported) [nan]
nan.json:3:57: warning: a.b.l is NaN: Python and loaddata accept it, but PostgreSQL numeric and integer columns and strict JSON readers refuse it (further ones in this field not reported) [nan]
fxvalidate: 2 records in 1 file: valid, 0 errors, 4 warnings
EOF
test_cmp expect err
EOT

test_expect 'NaN spelled otherwise is a syntax error' <<\EOT
printf "[\n{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"x\": nan}}\n]\n" >bad.json &&
test_expect_code 1 fxvalidate -q bad.json 2>err &&
cat >expect <<\EOF &&
bad.json:2:43: error: expected a value (string, number, object, list, true, false or null), near 'nan}}' [syntax]
EOF
test_cmp expect err
EOT

# ---------------------------------------------------------------- conflict markers

test_expect 'leftover conflict markers (json)' <<\EOT
cat >bad.json <<\EOF &&
[
{"model": "a.b", "pk": 1, "fields": {}},
<<<<<<< HEAD
{"model": "a.b", "pk": 2, "fields": {"x": 1}}
=======
{"model": "a.b", "pk": 2, "fields": {"x": 2}}
>>>>>>> theirs
]
EOF
test_expect_code 1 fxvalidate bad.json 2>err &&
cat >expect <<\EOF &&
bad.json:3:1: error: leftover merge conflict marker '<<<<<<<': resolve the conflict (keep the side you want, or run fxmerge) and remove the marker lines [conflict-marker]
bad.json:5:1: error: leftover merge conflict marker '=======': resolve the conflict (keep the side you want, or run fxmerge) and remove the marker lines [conflict-marker]
bad.json:6:1: error: duplicate record a.b pk 2: also at bad.json:4:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]
bad.json:7:1: error: leftover merge conflict marker '>>>>>>>': resolve the conflict (keep the side you want, or run fxmerge) and remove the marker lines [conflict-marker]
fxvalidate: 3 records in 1 file: invalid, 4 errors, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'leftover conflict markers (jsonl, diff3 style)' <<\EOT
cat >bad.jsonl <<\EOF &&
{"model": "a.b", "pk": 1, "fields": {}}
<<<<<<< ours
{"model": "a.b", "pk": 2, "fields": {"x": 1}}
||||||| base
{"model": "a.b", "pk": 2, "fields": {"x": 0}}
=======
{"model": "a.b", "pk": 3, "fields": {"x": 2}}
>>>>>>> theirs
EOF
test_expect_code 1 fxvalidate bad.jsonl 2>err &&
cat >expect <<\EOF &&
bad.jsonl:2:1: error: leftover merge conflict marker '<<<<<<<': resolve the conflict (keep the side you want, or run fxmerge) and remove the marker lines [conflict-marker]
bad.jsonl:4:1: error: leftover merge conflict marker '|||||||': resolve the conflict (keep the side you want, or run fxmerge) and remove the marker lines [conflict-marker]
bad.jsonl:5:1: error: duplicate record a.b pk 2: also at bad.jsonl:3:1; loaddata keeps only the last one; remove or renumber one of them [duplicate]
bad.jsonl:6:1: error: leftover merge conflict marker '=======': resolve the conflict (keep the side you want, or run fxmerge) and remove the marker lines [conflict-marker]
bad.jsonl:8:1: error: leftover merge conflict marker '>>>>>>>': resolve the conflict (keep the side you want, or run fxmerge) and remove the marker lines [conflict-marker]
fxvalidate: 4 records in 1 file: invalid, 5 errors, 0 warnings
EOF
test_cmp expect err
EOT

test_expect 'a conflict marker on the first line' <<\EOT
cat >bad.json <<\EOF &&
<<<<<<< HEAD
[
{"model": "a.b", "pk": 1, "fields": {}}
]
=======
[]
>>>>>>> theirs
EOF
test_expect_code 1 fxvalidate -q bad.json 2>err &&
head -n 1 err >first &&
cat >expect <<\EOF &&
bad.json:1:1: error: leftover merge conflict marker '<<<<<<<': resolve the conflict (keep the side you want, or run fxmerge) and remove the marker lines [conflict-marker]
EOF
test_cmp expect first
EOT

test_expect 'seven = inside a string is not a marker' <<\EOT
printf "{\"model\": \"a.b\", \"pk\": 1, \"fields\": {\"s\": \"=======\"}}\n" >ok.jsonl &&
test_expect_code 0 fxvalidate -q ok.jsonl 2>err &&
test_must_be_empty err
EOT

test_done
