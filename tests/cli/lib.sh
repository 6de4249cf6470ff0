# tests/cli/lib.sh: a small test library after git's t/test-lib.sh.
# shellcheck shell=bash
#
# A test file (tests/cli/tNNNN-name.sh) sources it, declares tests, ends
# with test_done:
#
#   . "$(dirname "$0")/lib.sh"
#   test_expect_success 'rejects an unknown option' '
#       test_expect_code 2 fxvalidate --nope 2>err &&
#       grep "unknown option" err
#   '
#   test_done
#
# Each test body runs in a subshell, in a fresh empty scratch directory
# ($FX_TRASH/N), with stdout and stderr captured and shown only when it
# fails (or always with -v / FX_TEST_VERBOSE=1).  Chain commands with &&:
# the body's exit status is the test's result.  Scratch directories of
# tests that failed are kept.
#
# Environment: FX_BIN (absolute path of the tools, first in PATH),
# FX_TESTDATA (absolute path of testdata/), FX_ROOT (the source tree),
# FX_TRASH_DIR (where scratch directories go, default build/trash; make
# check SANITIZE=1 uses build/san/trash), LC_ALL=C, TZ=UTC.

FX_ROOT=${FX_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
: "${FX_BIN:=$FX_ROOT/bin}" "${FX_TESTDATA:=$FX_ROOT/testdata}"
FX_BIN=$(cd "$FX_BIN" 2>/dev/null && pwd || echo "$FX_BIN")
FX_TESTDATA=$(cd "$FX_TESTDATA" 2>/dev/null && pwd || echo "$FX_TESTDATA")
PATH=$FX_BIN:$PATH
LC_ALL=C TZ=UTC
export FX_ROOT FX_BIN FX_TESTDATA PATH LC_ALL TZ
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-abort_on_error=1:print_stacktrace=1}"
unset CDPATH GREP_OPTIONS
ulimit -c 0

test_name=$(basename "$0" .sh)
FX_TRASH=${FX_TRASH:-${FX_TRASH_DIR:-$FX_ROOT/build/trash}/$test_name}
rm -rf "$FX_TRASH" && mkdir -p "$FX_TRASH" || exit 2
case ${1-} in -v|--verbose) FX_TEST_VERBOSE=1 ;; esac
test_count=0 test_passed=0 test_failed=0

# test_expect_success 'description' 'commands'
test_expect_success () {
    [ $# = 2 ] || { echo "bug in the test: test_expect_success needs 2 arguments" >&2; exit 2; }
    test_count=$((test_count + 1))
    local dir=$FX_TRASH/$test_count out=$FX_TRASH/$test_count.out
    mkdir -p "$dir"
    if (cd "$dir" && eval "$2") >"$out" 2>&1 </dev/null; then
        test_passed=$((test_passed + 1))
        echo "ok $test_count - $1"
        [ "${FX_TEST_VERBOSE:-0}" = 1 ] && sed 's/^/#  /' "$out"
        rm -rf "$dir" "$out"
    else
        test_failed=$((test_failed + 1))
        echo "not ok $test_count - $1"
        sed 's/^/#   /' <<<"$2"
        echo "#   output (scratch directory kept: $dir):"
        sed 's/^/#  | /' "$out"
    fi
    return 0
}

# test_expect_code N command args...: passes when the command exits with N.
test_expect_code () {
    local want=$1 rc
    shift
    "$@"
    rc=$?
    [ "$rc" = "$want" ] && return 0
    echo "test_expect_code: '$*' exited with $rc, expected $want" >&2
    return 1
}

# test_must_fail command args...: passes when the command fails in an
# ordinary way (exit 1 to 125); a crash or a sanitizer abort does not count.
test_must_fail () {
    local rc
    "$@"
    rc=$?
    [ "$rc" -ge 1 ] && [ "$rc" -le 125 ] && return 0
    echo "test_must_fail: '$*' exited with $rc" >&2
    return 1
}

# test_cmp expected actual: the files are the same, else show a diff.
test_cmp () {
    diff -u "$1" "$2" >&2
}

# test_must_be_empty file
test_must_be_empty () {
    [ -f "$1" ] || { echo "test_must_be_empty: '$1' does not exist" >&2; return 1; }
    [ ! -s "$1" ] && return 0
    echo "test_must_be_empty: '$1' is not empty:" >&2
    cat "$1" >&2
    return 1
}

# test_done: print the totals; exit 1 if any test failed.
test_done () {
    echo "# passed $test_passed failed $test_failed"
    [ "$test_failed" = 0 ] && rm -rf "$FX_TRASH"
    [ "$test_failed" = 0 ]
    exit
}
