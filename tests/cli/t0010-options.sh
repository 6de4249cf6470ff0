#!/usr/bin/env bash
# Option mistakes, the same in every tool: said once (getopt's own message
# is not printed besides ours), naming the option, with the synopsis, exit 2.

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

# The synopsis each tool prints after a usage mistake.
synopsis () {
    "$1" --help | awk 'NR == 1 || /^ / { print; next } { exit }'
    echo "'$1 --help' for more help"
}

# mistake TOOL MESSAGE ARGS...: the tool exits 2 with exactly MESSAGE and
# its synopsis on stderr, nothing on stdout.
mistake () {
    local tool=$1 msg=$2
    shift 2
    test_expect_code 2 "$tool" "$@" >out 2>err &&
    test_must_be_empty out &&
    { echo "$tool: $msg" && synopsis "$tool"; } >expect &&
    test_cmp expect err
}

test_expect 'an unknown long option: once, named, with the synopsis' <<\EOT
for t in fxvalidate fxdiff fxmerge fxfilter fxload fxresolve fxsync; do
    mistake $t "unknown option '--nope'" --nope x y z &&
    mistake $t "unknown option '--nope'" --nope=1 x y z || return 1
done
EOT

test_expect 'an unknown short option, alone or in a cluster' <<\EOT
for t in fxvalidate fxdiff fxmerge fxfilter fxload fxresolve fxsync; do
    mistake $t "unknown option '-Z'" -Z x y z &&
    mistake $t "unknown option '-Z'" -qZ x y z || return 1
done
EOT

test_expect 'a missing value, short or long' <<\EOT
for t in fxvalidate fxdiff fxmerge fxfilter fxload fxresolve fxsync; do
    mistake $t "option '-s' needs a value" -s &&
    mistake $t "option '--schema' needs a value" --schema || return 1
done
EOT

test_expect 'a value given to an option that takes none' <<\EOT
for t in fxvalidate fxdiff fxmerge fxfilter fxload fxresolve fxsync; do
    mistake $t "option '--quiet' takes no value" --quiet=yes x y z || return 1
done
EOT

test_expect 'an ambiguous abbreviation names the options it could be' <<\EOT
mistake fxdiff "option '--s' is ambiguous: --schema, --stat" --s x a b &&
mistake fxmerge "option '--s' is ambiguous: --schema, --strategy" --s x a b c &&
mistake fxfilter "option '--co' is ambiguous: --count, --compact" --co x &&
# a synonym is no ambiguity
printf '[]\n' >a.json &&
test_expect_code 0 fxdiff --col never a.json a.json
EOT

test_done
