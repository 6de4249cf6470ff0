#!/usr/bin/env bash
# fxmerge as a git merge driver: .gitattributes "*.json merge=fixture" and
# merge.fixture.driver "fxmerge --schema S -o %A %O %A %B".  Two branches
# change the same export; `git merge` runs the driver, which merges what
# the line merge cannot (both sides add orders at the end of the same
# model, with colliding pks), and leaves a conflict when there is one.

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

command -v git >/dev/null || { echo "# git not found: skipped"; test_done; }

export GIT_AUTHOR_NAME=fx GIT_AUTHOR_EMAIL=fx@example.ci
export GIT_COMMITTER_NAME=fx GIT_COMMITTER_EMAIL=fx@example.ci
export GIT_CONFIG_NOSYSTEM=1 HOME=$FX_TRASH

SCHEMA=$FX_ROOT/schemas/erp.json

# A repository with export.json on main, a branch "online" that adds order
# 3 (with a line) and changes client 1's email, and main that adds its own
# order 3 (with a line) and changes client 1's phone.
make_repo () {
    git init -q -b main repo && cd repo &&
    echo '*.json merge=fixture' >.gitattributes &&
    git config merge.fixture.name "fx fixture merge" &&
    git config merge.fixture.driver "fxmerge -q --schema $SCHEMA -o %A %O %A %B" &&
    cat >export.json <<\EOF &&
[
{
  "model": "supermarket.client",
  "pk": 1,
  "fields": {
    "telephone": "+225 07 00",
    "email": "a@example.ci"
  }
},
{
  "model": "supermarket.commande",
  "pk": 2,
  "fields": {
    "numero": "CMD-2",
    "client": 1
  }
},
{
  "model": "supermarket.lignecommande",
  "pk": 5,
  "fields": {
    "commande": 2,
    "quantite": "1.000"
  }
}
]
EOF
    git add . && git commit -qm base &&
    git checkout -qb online &&
    python3 "$FX_ROOT/tests/cli/edit-fixture.py" export.json \
        'client 1 email=online@example.ci' 'add commande 3 numero=CMD-ONLINE client=1' \
        'add lignecommande 6 commande=3 quantite=2.000' &&
    git commit -qam online &&
    git checkout -q main &&
    python3 "$FX_ROOT/tests/cli/edit-fixture.py" export.json \
        'client 1 telephone=+225 05 55' 'add commande 3 numero=CMD-LOCAL client=1' \
        'add lignecommande 6 commande=3 quantite=9.000' &&
    git commit -qam local
}

test_expect 'the line merge alone conflicts' <<\EOT
make_repo &&
git -c merge.fixture.driver=false merge -q online 2>/dev/null; rc=$?;
[ $rc != 0 ] && git merge --abort
EOT

test_expect 'git merge uses the driver: every change kept, pks renumbered' <<\EOT
make_repo &&
git merge -q -m merged online &&
cat >../expect <<\EOF &&
[
{
  "model": "supermarket.client",
  "pk": 1,
  "fields": {
    "telephone": "+225 05 55",
    "email": "online@example.ci"
  }
},
{
  "model": "supermarket.commande",
  "pk": 2,
  "fields": {
    "numero": "CMD-2",
    "client": 1
  }
},
{
  "model": "supermarket.commande",
  "pk": 3,
  "fields": {
    "numero": "CMD-LOCAL",
    "client": 1
  }
},
{
  "model": "supermarket.commande",
  "pk": 4,
  "fields": {
    "numero": "CMD-ONLINE",
    "client": 1
  }
},
{
  "model": "supermarket.lignecommande",
  "pk": 5,
  "fields": {
    "commande": 2,
    "quantite": "1.000"
  }
},
{
  "model": "supermarket.lignecommande",
  "pk": 6,
  "fields": {
    "commande": 3,
    "quantite": "9.000"
  }
},
{
  "model": "supermarket.lignecommande",
  "pk": 7,
  "fields": {
    "commande": 4,
    "quantite": "2.000"
  }
}
]
EOF
test_cmp ../expect export.json &&
git log --oneline | grep -q merged &&
test -z "$(git status --porcelain)"
EOT

test_expect 'a true conflict: git merge fails and the markers are in the file' <<\EOT
make_repo &&
git checkout -q online &&
python3 "$FX_ROOT/tests/cli/edit-fixture.py" export.json 'client 1 telephone=+225 01 01' &&
git commit -qam "online phone" &&
git checkout -q main &&
test_must_fail git merge -q online >out 2>&1 &&
grep -q "CONFLICT (content): Merge conflict in export.json" out &&
grep -q "^<<<<<<< ours" export.json &&
grep -q "^>>>>>>> theirs" export.json &&
test_expect_code 1 fxvalidate -q export.json
EOT

# A fixture people keep by hand (four-space indent, records indented in the
# list, no final newline: json.dump(indent=4)), in a repository whose
# driver runs fxmerge without a schema; the online branch changes client
# 4's phone, main produit 5's price.
make_hand_repo () {
    git init -q -b main repo && cd repo &&
    echo '*.json merge=fixture' >.gitattributes &&
    git config merge.fixture.name "fx fixture merge" &&
    git config merge.fixture.driver "fxmerge -q -o %A %O %A %B" &&
    cp "$FX_TESTDATA/layouts/indent4-python.json" fixture.json &&
    git add . && git commit -qm base &&
    git checkout -qb online &&
    sed -i 's/"+225 05 00 00 02"/"+225 05 11 11 11"/' fixture.json &&
    git commit -qam "online: client 4's phone" &&
    git checkout -q main &&
    sed -i 's/"prix": 2.5,/"prix": 2.75,/' fixture.json &&
    git commit -qam "local: produit 5's price"
}

# changes A B: the lines git diff shows between commits A and B, without
# the line numbers
changes () {
    git diff -U0 "$1" "$2" -- fixture.json | grep '^[-+][^-+]'
}

test_expect 'a hand-written fixture: the merge differs from each branch only by the other branch record' <<\EOT
make_hand_repo &&
git merge -q -m merged online &&
l=$(git rev-parse main^1) o=$(git rev-parse main^2) &&
b=$(git merge-base $l $o) &&
changes $l main >got && changes $b $o >want && test_cmp want got &&
changes $o main >got && changes $b $l >want && test_cmp want got &&
test "$(wc -l <got)" = 2 &&
git show $l:fixture.json >local.json &&
test_expect_code 1 fxdiff local.json fixture.json >d &&
echo "~ shop.client 4  telephone: \"+225 05 00 00 02\" -> \"+225 05 11 11 11\"" >expect &&
test_cmp expect d &&
test -z "$(git status --porcelain --untracked-files=no)"
EOT

test_expect 'a conflicting field: git diff shows only that field lines between the markers' <<\EOT
make_hand_repo &&
git checkout -q online &&
sed -i 's/"nom": "Kofi"/"nom": "Kofi Online"/' fixture.json &&
git commit -qam "online: client 4's name" &&
git checkout -q main &&
sed -i 's/"nom": "Kofi"/"nom": "Kofi Local"/' fixture.json &&
git commit -qam "local: client 4's name" &&
test_must_fail git merge -q online >out 2>&1 &&
grep -q "CONFLICT (content): Merge conflict in fixture.json" out &&
git diff >d &&
sed -n "/^++<<<<<<< /,/^++>>>>>>> /p" d >changed &&
cat >expect <<\EOF &&
++<<<<<<< ours field shop.client 4 nom
 +            "nom": "Kofi Local",
++||||||| base
++            "nom": "Kofi",
++=======
+             "nom": "Kofi Online",
++>>>>>>> theirs
EOF
test_cmp expect changed &&
grep -q '"telephone": "+225 05 11 11 11"' fixture.json &&
grep -q '"prix": 2.75,' fixture.json &&
test_expect_code 1 fxvalidate -q fixture.json 2>err &&
test "$(grep -c conflict-marker err)" = 4
EOT

test_done
