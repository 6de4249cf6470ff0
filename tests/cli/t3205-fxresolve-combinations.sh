#!/usr/bin/env bash
# fxresolve on merged files whose blocks (delete/modify, modify/delete) stand
# at the start, in the middle and at the end of the array, with records
# every resolution keeps between them or none: every combination of ours,
# theirs and base, decided a block at a time in either order, gives a valid
# fixture, the records chosen, and the bytes of the sections kept with the
# commas that separate no two records dropped (resolve-combinations.py).
# json (indented, tabs, compact) and jsonl.

. "$(dirname "$0")/lib.sh"

for scenario in anchored none-kept; do
    for layout in indent2 indent4-tabs compact jsonl; do
        test_expect_success "every combination of choices: $scenario, $layout" "
            python3 \"\$FX_ROOT/tests/cli/resolve-combinations.py\" $scenario $layout
        "
    done
done

test_done
