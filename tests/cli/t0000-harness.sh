#!/usr/bin/env bash
# The test harness itself: if these fail, no other CLI result can be trusted.

. "$(dirname "$0")/lib.sh"

# Run a small test file written by the test, with its own scratch area.
run_sub () {
    cat >sub.sh &&
    { FX_TRASH=$PWD/sub-trash bash sub.sh >out 2>&1; echo $? >rc; }
}

test_expect_success 'environment: FX_BIN first in PATH, FX_TESTDATA, C locale' '
    case "$FX_BIN" in /*) ;; *) false ;; esac &&
    test "${PATH%%:*}" = "$FX_BIN" &&
    test -f "$FX_TESTDATA/corpus/empty.sqlite3" &&
    test "$LC_ALL" = C
'

test_expect_success 'each test starts in a fresh empty directory' '
    test -z "$(ls -A)" &&
    echo left-behind >junk
'

test_expect_success 'the next one does not see what the last one left' '
    test ! -e junk &&
    test -z "$(ls -A)"
'

test_expect_success 'test_cmp passes on equal files' '
    printf "a\nb\n" >expect &&
    printf "a\nb\n" >actual &&
    test_cmp expect actual
'

test_expect_success 'test_cmp fails on a difference and shows it' '
    printf "a\nb\n" >expect &&
    printf "a\nc\n" >actual &&
    ! test_cmp expect actual 2>diff &&
    grep "^-b" diff &&
    grep "^+c" diff
'

test_expect_success 'test_expect_code checks the exact exit status' '
    test_expect_code 3 sh -c "exit 3" &&
    test_expect_code 0 true &&
    ! test_expect_code 2 sh -c "exit 1" 2>err &&
    grep "exited with 1, expected 2" err
'

test_expect_success 'test_must_fail accepts a failure, not a success or a crash' '
    test_must_fail false &&
    ! test_must_fail true 2>/dev/null &&
    ! test_must_fail sh -c "kill -SEGV \$\$" 2>/dev/null
'

test_expect_success 'test_must_be_empty' '
    : >empty &&
    test_must_be_empty empty &&
    echo x >full &&
    ! test_must_be_empty full 2>/dev/null &&
    ! test_must_be_empty missing 2>/dev/null
'

test_expect_success 'a failing test is reported, counted and fails its file' '
    run_sub <<-\SUB &&
	. "$FX_ROOT/tests/cli/lib.sh"
	test_expect_success "good" "true"
	test_expect_success "bad" "echo some output && false"
	test_expect_success "good again" "true"
	test_done
	SUB
    test "$(cat rc)" = 1 &&
    grep "^ok 1 - good$" out &&
    grep "^not ok 2 - bad$" out &&
    grep "^#  | some output$" out &&
    grep "^ok 3 - good again$" out &&
    test "$(tail -n 1 out)" = "# passed 2 failed 1" &&
    test -d sub-trash/2
'

test_expect_success 'a file whose tests all pass exits 0' '
    run_sub <<-\SUB &&
	. "$FX_ROOT/tests/cli/lib.sh"
	test_expect_success "one" "true"
	test_done
	SUB
    test "$(cat rc)" = 0 &&
    test "$(tail -n 1 out)" = "# passed 1 failed 0" &&
    test ! -e sub-trash
'

test_done
