#!/usr/bin/env bash
# fxmerge with a schema compares a field's values by its kind, as fxdiff
# does (fx_value_same): the same value in other spellings ("1.5", "1.50";
# "...09.000Z", "...09Z") is no change on a side and no conflict between
# them.  Without a schema the spellings differ.

. "$(dirname "$0")/lib.sh"

test_expect () {
    test_expect_success "$1" "$(cat)"
}

SCHEMA=$FX_ROOT/schemas/erp.json

make_files () {
    cat >base.jsonl <<\EOF
{"model": "supermarket.produit","pk": 1,"fields": {"prix_vente": "1.20","cree_le": "2025-01-09T10:00:09Z","designation": "Riz"}}
{"model": "supermarket.produit","pk": 2,"fields": {"prix_vente": "3.00","cree_le": "2025-01-09T10:00:09Z","designation": "Sel"}}
EOF
    # ours: 1 to 1.5, 2 only spelt again (another database, another tool)
    cat >ours.jsonl <<\EOF
{"model": "supermarket.produit","pk": 1,"fields": {"prix_vente": "1.5","cree_le": "2025-01-09T10:00:09Z","designation": "Riz"}}
{"model": "supermarket.produit","pk": 2,"fields": {"prix_vente": "3","cree_le": "2025-01-09T11:00:09.000+01:00","designation": "Sel"}}
EOF
    # theirs: 1 to the same 1.50, 2 renamed and 4.00
    cat >theirs.jsonl <<\EOF
{"model": "supermarket.produit","pk": 1,"fields": {"prix_vente": "1.50","cree_le": "2025-01-09T10:00:09.000Z","designation": "Riz"}}
{"model": "supermarket.produit","pk": 2,"fields": {"prix_vente": "4.00","cree_le": "2025-01-09T10:00:09Z","designation": "Sel fin"}}
EOF
}

test_expect 'with --schema: the same value spelt otherwise is neither a change nor a conflict' <<\EOT
make_files &&
test_expect_code 0 fxmerge -s "$SCHEMA" base.jsonl ours.jsonl theirs.jsonl >out.jsonl 2>err &&
cat >expect <<\EOF &&
{"model": "supermarket.produit","pk": 1,"fields": {"prix_vente": "1.5","cree_le": "2025-01-09T10:00:09Z","designation": "Riz"}}
{"model": "supermarket.produit","pk": 2,"fields": {"prix_vente": "4.00","cree_le": "2025-01-09T11:00:09.000+01:00","designation": "Sel fin"}}
EOF
test_cmp expect out.jsonl &&
grep "^fxmerge: 2 records: .* 0 conflicts$" err
EOT

test_expect 'without a schema the spellings conflict' <<\EOT
make_files &&
test_expect_code 1 fxmerge base.jsonl ours.jsonl theirs.jsonl >out.jsonl 2>err &&
grep "^fxmerge: conflict (field): supermarket.produit 1: " err &&
grep "^fxmerge: conflict (field): supermarket.produit 2: " err &&
grep "^fxmerge: 2 records: .* 2 conflicts: " err
EOT

test_done
