#!/usr/bin/env bash
# Input errors in fxfilter, fxdiff and fxmerge, said as fxvalidate says
# them: at most 50 printed (fxvalidate's --max-errors default), the rest
# counted, and the last line says so and how to list them all; nothing
# written.

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

# N records, each with a Windows-1252 'é' (one error each).
bad_records () {
    for i in $(seq 1 "$1"); do
        printf '{"model": "a.b", "pk": %d, "fields": {"s": "caf\351"}}\n' "$i"
    done
}

test_expect 'fxfilter: 120 errors, the first 50 printed, then the count and how to see them all' <<\EOT
bad_records 120 >bad.jsonl &&
echo keep >out.jsonl &&
test_expect_code 2 fxfilter bad.jsonl -o out.jsonl 2>err &&
echo keep >expect && test_cmp expect out.jsonl &&
test "$(grep -c "^bad.jsonl:[0-9]*:4[78]: error: invalid UTF-8 byte 0xE9" err)" = 50 &&
grep -q "^bad.jsonl:50:48: error" err && ! grep -q "^bad.jsonl:51:" err &&
tail -n 1 err >last &&
echo "fxfilter: error: the input has 120 errors (the first 50 above): nothing written; 'fxvalidate --max-errors 0' lists them all" >expect &&
test_cmp expect last &&
test "$(wc -l <err)" = 51 &&
# what fxvalidate says of the same file: the same 50, then it stops
test_expect_code 1 fxvalidate bad.jsonl 2>verr &&
test "$(grep -c "^bad.jsonl:[0-9]*:4[78]: error: invalid UTF-8 byte 0xE9" verr)" = 50 &&
grep "^fxvalidate: stopped after 50 errors" verr &&
test_expect_code 1 fxvalidate -q --max-errors 0 bad.jsonl 2>verr &&
test "$(grep -c "error: invalid UTF-8 byte 0xE9" verr)" = 120
EOT

test_expect 'fxfilter: a few errors, all printed' <<\EOT
bad_records 3 >bad.jsonl &&
test_expect_code 2 fxfilter bad.jsonl -o out.jsonl 2>err &&
test ! -e out.jsonl &&
cat >expect <<\EOF &&
bad.jsonl:1:47: error: invalid UTF-8 byte 0xE9 at offset 46: it reads as 'é' in Windows-1252, as dumpdata writes on Windows without UTF-8 mode; export again with 'python -X utf8 manage.py dumpdata -o FILE', or convert with 'iconv -f WINDOWS-1252 -t UTF-8' [encoding]
bad.jsonl:2:47: error: invalid UTF-8 byte 0xE9 at offset 97: it reads as 'é' in Windows-1252, as dumpdata writes on Windows without UTF-8 mode; export again with 'python -X utf8 manage.py dumpdata -o FILE', or convert with 'iconv -f WINDOWS-1252 -t UTF-8' [encoding]
bad.jsonl:3:47: error: invalid UTF-8 byte 0xE9 at offset 148: it reads as 'é' in Windows-1252, as dumpdata writes on Windows without UTF-8 mode; export again with 'python -X utf8 manage.py dumpdata -o FILE', or convert with 'iconv -f WINDOWS-1252 -t UTF-8' [encoding]
fxfilter: error: the input has 3 errors (above): nothing written; fxvalidate checks the rest of what loaddata refuses
EOF
test_cmp expect err
EOT

test_expect 'fxdiff and fxmerge say it alike' <<\EOT
bad_records 60 >bad.jsonl &&
printf '{"model": "a.b", "pk": 1, "fields": {"s": "x"}}\n' >ok.jsonl &&
test_expect_code 2 fxdiff ok.jsonl bad.jsonl >out 2>err &&
test "$(grep -c "error: invalid UTF-8" err)" = 50 &&
tail -n 1 err >last &&
echo "fxdiff: error: the inputs have 60 errors (the first 50 above): the differences shown may be wrong; 'fxvalidate --max-errors 0' lists them all" >expect &&
test_cmp expect last &&
test_expect_code 2 fxmerge ok.jsonl ok.jsonl bad.jsonl >out 2>err &&
test_must_be_empty out &&
test "$(grep -c "error: invalid UTF-8" err)" = 50 &&
tail -n 1 err >last &&
echo "fxmerge: error: the inputs have 60 errors (the first 50 above): nothing written; 'fxvalidate --max-errors 0' lists them all" >expect &&
test_cmp expect last
EOT

test_done
