#!/usr/bin/env bash
# Faults while writing: a full disk, a closed pipe, a signal.  None may
# leave a partial -o file or a temporary .NAME.fx-* file; each exits
# non-zero.  A closed stdout pipe kills the tool by SIGPIPE (exit 141 in
# the shell), as it kills cat or grep: nothing is left to clean up.

. "$(dirname "$0")/lib.sh"

BIG=$FX_TESTDATA/corpus/base.json   # 2.4 MB, 10,852 records
export BIG

leftovers () {   # leftovers DIR: nothing but what the test put there
    ls -A "$1" | grep -v '^in$' | grep . && return 1
    return 0
}
export -f leftovers

# A real full disk: a 512 KB tmpfs (root only, where mount is allowed).
if [ "$(id -u)" = 0 ] && mkdir -p "$FX_TRASH/small" &&
   mount -t tmpfs -o size=512k tmpfs "$FX_TRASH/small" 2>/dev/null; then
    trap 'umount "$FX_TRASH/small" "$FX_TRASH/fulldb" 2>/dev/null' EXIT
    SMALL=$FX_TRASH/small
    export SMALL
    test_expect_success 'a full disk: exit 2, the old file kept, no temporary file' '
        echo old >"$SMALL/out.json" &&
        test_expect_code 2 fxfilter -o "$SMALL/out.json" "$BIG" 2>err &&
        grep "No space left on device; free some disk space" err &&
        echo old >expect && test_cmp expect "$SMALL/out.json" &&
        test "$(ls -A "$SMALL")" = out.json &&
        test_expect_code 2 fxmerge -o "$SMALL/m.json" "$BIG" "$BIG" "$BIG" 2>err &&
        grep "No space left on device" err &&
        test "$(ls -A "$SMALL")" = out.json
    '
    umount "$FX_TRASH/small" && rmdir "$FX_TRASH/small"
    # fxload onto a full disk: with a small page cache SQLite spills pages
    # (and meets the full disk) in the middle of the load, and then rolls
    # the whole transaction back by itself; later statements must not
    # commit one by one (they did: 1,901 rows were left, and the message
    # was about a foreign key).  With the default cache it happens at
    # COMMIT.
    mkdir -p "$FX_TRASH/fulldb" &&
    mount -t tmpfs -o size=1200k tmpfs "$FX_TRASH/fulldb" &&
    /usr/bin/python3 "$FX_ROOT/tests/bench/gen.py" 40000 >"$FX_TRASH/e40.json" &&
    for cache in 2 256; do
        test_expect_success "fxload onto a full disk (page cache $cache MB): exit 2, no row written" '
            db=$FX_TRASH/fulldb/db.sqlite3 &&
            cp "$FX_TESTDATA/empty.sqlite3" "$db" &&
            FX_LOAD_CACHE_MB='$cache' test_expect_code 2 fxload --db "$db" "$FX_TRASH/e40.json" 2>err &&
            grep "database or disk is full (while .*): SQLite rolled the whole load back, nothing was written; free some disk space, then load again" err &&
            test "$(sqlite3 "$db" "select count(*) from supermarket_lignecommande")" = 0 &&
            test "$(sqlite3 "$db" "pragma integrity_check")" = ok
        '
    done
    umount "$FX_TRASH/fulldb" && rmdir "$FX_TRASH/fulldb"
else
    echo "# skipped the full-disk test: cannot mount a small tmpfs here"
fi

# (Windows has no SIGPIPE: there the write fails, as in the next test)
[ "${FX_WINDOWS:-0}" = 1 ] ||
test_expect_success 'a closed stdout pipe: fxfilter dies by SIGPIPE, at once' '
    timeout 20 fxfilter "$BIG" | head -c 10 >out &&
    test "${PIPESTATUS[0]}" = 141 &&
    test "$(wc -c <out)" = 10
'

test_expect_success 'a closed stdout pipe with SIGPIPE ignored: exit 2, a message' '
    (trap "" PIPE && timeout 20 fxfilter "$BIG" 2>err | head -c 10 >out;
     test "${PIPESTATUS[0]}" = 2) &&
    grep "the reading end of the pipe closed" err
'

# The tool reads a FIFO we feed by halves, so it is caught while the
# temporary file exists.  Background jobs of a script ignore SIGINT: env
# gives the tool the default action back.  Windows has no SIGTERM or
# SIGHUP; wine turns SIGINT into a Ctrl-C, and a console program that
# Ctrl-C stops exits with STATUS_CONTROL_C_EXIT (0xC000013A: 58 here).
sigs="INT TERM HUP"
[ "${FX_WINDOWS:-0}" = 1 ] && sigs=INT
for sig in $sigs; do
    want=$((128 + $(kill -l $sig)))
    [ "${FX_WINDOWS:-0}" = 1 ] && want=58
    test_expect_success "SIG$sig while writing -o: the temporary file is removed" "
        mkdir in && mkfifo in/fifo || return 1
        env --default-signal=INT fxfilter -o out.json in/fifo 2>in/err &
        pid=\$!
        exec 3>in/fifo &&
        head -c 1000000 \"\$BIG\" >&3 &&
        for i in \$(seq 100); do
            ls -A | grep -q '^\.out\.json\.fx-' && break; sleep 0.1
        done &&
        ls -A | grep '^\.out\.json\.fx-' &&
        kill -$sig \$pid
        wait \$pid
        rc=\$?
        exec 3>&-
        test \$rc = $want &&
        leftovers .
    "
done

test_done
