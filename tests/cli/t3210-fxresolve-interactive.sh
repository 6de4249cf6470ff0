#!/usr/bin/env bash
# fxresolve -i on a pseudo-terminal (tests/cli/pty-answer.py answers the
# prompts, as git's tests drive git add -p): each conflict asked in turn
# with its three values and the record's other fields, answered o, t, b,
# e ($EDITOR), s, q, ?; quitting halfway keeps the decisions made and
# leaves the rest between markers; colour on a terminal unless NO_COLOR.
# Then git: a merge through the merge driver left a conflict, resolved
# with git mergetool --tool=fx (fxresolve --take, then fxresolve -i).

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

PTY="python3 $FX_ROOT/tests/cli/pty-answer.py"
SCHEMA=$FX_ROOT/schemas/erp.json
M=$FX_TESTDATA/layouts/merged/indent2-python.conflict.json

test_expect 'answers o, ?, t, then q: two decisions kept, two blocks left' <<\EOT
cp "$M" m.json &&
NO_COLOR=1 test_expect_code 1 $PTY o "?" t q -- fxresolve -i m.json >out &&
grep "^(1/4) shop.client 2 email: field conflict, line 15$" out &&
grep "^   nom: \"Aïcha\"$" out &&
grep "^base    \"aicha@example.ci\"$" out &&
grep "^ours    \"ours@example.ci\"$" out &&
grep "^theirs  \"theirs@example.ci\"$" out &&
grep "^(1/4) Keep which \[o,t,b,e,s,q,?\]? o$" out &&
grep "^e - edit the value in \$EDITOR$" out &&
grep "^(2/4) Keep which \[o,t,b,e,s,q,?\]? t$" out &&
grep "^(3/4) Keep which \[o,t,b,e,s,q,?\]? q$" out &&
grep "^fxresolve: 2 decisions written to m.json; 2 conflicts left$" out &&
! grep -q "$(printf "\033")" out &&
test_expect_code 1 fxresolve m.json >list &&
cat >expect <<\EOF &&
shop.client 4 notes: base "" | ours "o" | theirs "t"
shop.produit 5 seuil: base -Infinity | ours 5 | theirs 7
EOF
test_cmp expect list &&
grep "\"email\": \"ours@example.ci\"," m.json &&
grep "\"l\": 12," m.json
EOT

test_expect 'skip, base, an end of input: what was decided is written' <<\EOT
cp "$M" m.json &&
test_expect_code 1 $PTY s b -- fxresolve -i m.json shop.client >out &&
grep "$(printf "\033\\[32mours ")" out &&
grep "^fxresolve: 1 decision written to m.json; 3 conflicts left$" out &&
grep "\"notes\": \"\"$" m.json &&
grep -c "^<<<<<<< " m.json | grep -x 3
EOT

test_expect 'e: the value from $EDITOR, checked, then written' <<\EOT
cp "$M" m.json &&
cat >ed.sh <<\EOF &&
#!/bin/sh
grep -q "^# ours    \"ours@example.ci\"$" "$1" || exit 1
echo "\"edited@example.ci\"" >>"$1"
sed -i "/^\"ours@example.ci\"$/d" "$1"
EOF
chmod +x ed.sh &&
EDITOR=$PWD/ed.sh test_expect_code 1 $PTY e q -- fxresolve -i m.json >out &&
grep "^fxresolve: 1 decision written to m.json; 3 conflicts left$" out &&
grep "^      \"email\": \"edited@example.ci\",$" m.json &&
printf "#!/bin/sh\necho nope >\"\$1\"\n" >bad.sh && chmod +x bad.sh &&
cp "$M" m.json &&
EDITOR=$PWD/bad.sh test_expect_code 1 $PTY e q -- fxresolve -i m.json >out &&
grep "is not one JSON value: .nope." out &&
cmp "$M" m.json
EOT

# git: the merge driver leaves a conflict, git mergetool resolves it.
command -v git >/dev/null || { echo "# git not found: skipped"; test_done; }
export GIT_AUTHOR_NAME=fx GIT_AUTHOR_EMAIL=fx@example.ci
export GIT_COMMITTER_NAME=fx GIT_COMMITTER_EMAIL=fx@example.ci
export GIT_CONFIG_NOSYSTEM=1 HOME=$FX_TRASH

# A repository whose branches main and online both change client 1's email
# (a field conflict) and the price of product 2 (another).
make_repo () {
    git init -q -b main repo && cd repo &&
    echo '*.json merge=fixture' >.gitattributes &&
    git config merge.fixture.driver "fxmerge -q --schema $SCHEMA -o %A %O %A %B" &&
    cat >export.json <<\EOF &&
[
{
  "model": "supermarket.client",
  "pk": 1,
  "fields": {
    "email": "a@example.ci"
  }
},
{
  "model": "supermarket.produit",
  "pk": 2,
  "fields": {
    "prix_vente": "20.00"
  }
}
]
EOF
    git add . && git commit -qm base &&
    git checkout -qb online &&
    sed -i "s/a@example.ci/online@example.ci/; s/20.00/23.00/" export.json &&
    git commit -qam online &&
    git checkout -q main &&
    sed -i "s/a@example.ci/local@example.ci/; s/20.00/21.00/" export.json &&
    git commit -qam local &&
    test_must_fail git merge -q online &&
    grep "^<<<<<<< ours field supermarket.client 1 email$" export.json
}

test_expect 'git mergetool --tool=fx with fxresolve --take: resolved, valid, committed' <<\EOT
make_repo &&
git config mergetool.fx.cmd "fxmerge -q --schema $SCHEMA -o \"\$MERGED\" \"\$BASE\" \"\$LOCAL\" \"\$REMOTE\"; fxresolve -q --take theirs \"\$MERGED\"" &&
git config mergetool.fx.trustExitCode true &&
git mergetool --tool=fx --no-prompt export.json &&
fxvalidate -q --schema "$SCHEMA" export.json &&
grep "\"email\": \"online@example.ci\"" export.json &&
grep "\"prix_vente\": \"23.00\"" export.json &&
test -z "$(git diff --name-only --diff-filter=U)" &&
git commit -qm merged && git show --stat HEAD | grep -q export.json
EOT

test_expect 'git mergetool --tool=fx with fxresolve -i on a terminal; quitting with a conflict left fails' <<\EOT
make_repo &&
git config mergetool.fx.cmd "fxmerge -q --schema $SCHEMA -o \"\$MERGED\" \"\$BASE\" \"\$LOCAL\" \"\$REMOTE\"; fxresolve -q -i \"\$MERGED\"" &&
git config mergetool.fx.trustExitCode true &&
export NO_COLOR=1 &&
cp export.json ../before.json &&
test_must_fail $PTY o q -- git mergetool --tool=fx --no-prompt export.json >../out &&
grep "^(2/2) Keep which \[o,t,b,e,s,q,?\]? .*q$" ../out &&
grep "merge of export.json failed" ../out &&
cmp ../before.json export.json &&
test "$(git diff --name-only --diff-filter=U)" = export.json &&
$PTY o t -- git mergetool --tool=fx --no-prompt export.json >../out &&
grep "\"email\": \"local@example.ci\"" export.json &&
grep "\"prix_vente\": \"23.00\"" export.json &&
! grep -q "^<<<<<<<" export.json &&
test -z "$(git diff --name-only --diff-filter=U)"
EOT

test_done
