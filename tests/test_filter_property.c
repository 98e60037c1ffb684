/* test_filter_property.c — the compiled filter against the brute-force model of
 * test_filter_model.h over random trees (every op, depth <= 5) and random
 * attributes of every type. */
#include "test.h"
#include "test_filter_model.h"

static void property(uint64_t seed, int rounds, bool with_pred) {
    static fm_gen tg, ag;
    fm_src s = {seed, NULL, 0, 0};
    for (int r = 0; r < rounds; r++) {
        tg.nn = tg.nv = tg.ni = 0;
        ag.nn = ag.nv = ag.ni = 0;
        nidus_filter *root = fm_root(&tg, &s);
        nidus_attr in[8];
        size_t na = fm_attrs(&ag, &s, in);
        nattrs a;
        nerr e = {0};
        CHECK_INT(nidus__attrs_from_input(na ? in : NULL, na, &a, &e), NIDUS_OK);
        /* Optionally an old predicate ANDed in front (nidus 0.3's Eq). */
        nidus_pred p = {0};
        p.kind = NIDUS_PRED_EQ;
        p.key = FM_KEYS[fm_below(&s, 4)];
        p.value = fm_value(&ag, &s);
        nfilter *f = NULL;
        int rc = nidus__filter_compile_tree(with_pred ? &p : NULL, with_pred, root, &f, &e);
        if (rc != NIDUS_OK) t_fail(__FILE__, __LINE__, "round %d: compile -> %d: %s", r, rc, e.msg);
        bool got = nidus__filter_match(f, &a);
        bool want = fm_eval(root, in, na);
        if (with_pred) {
            const nidus_value *v = fm_get(in, na, p.key);
            want = want && v && fm_eq(v, &p.value);
        }
        if (got != want) t_fail(__FILE__, __LINE__, "seed %llu round %d: library %d, model %d", (unsigned long long)seed, r, got, want);
        nidus__filter_free(f);
        nidus__attrs_free(&a);
    }
}

TEST(filter_property_random_trees_match_the_model) { property(1, 20000, false); }
TEST(filter_property_random_trees_with_old_predicates) { property(2, 10000, true); }

/* Both verdicts occur often enough for the property to mean something. */
TEST(filter_property_generator_covers_both_verdicts) {
    static fm_gen tg, ag;
    fm_src s = {3, NULL, 0, 0};
    int yes = 0, ops[NIDUS_F_REGEX + 1] = {0};
    for (int r = 0; r < 5000; r++) {
        tg.nn = tg.nv = tg.ni = 0;
        ag.nn = ag.nv = ag.ni = 0;
        nidus_filter *root = fm_root(&tg, &s);
        for (size_t i = 0; i < tg.nn; i++) ops[tg.nodes[i].op]++;
        nidus_attr in[8];
        size_t na = fm_attrs(&ag, &s, in);
        yes += fm_eval(root, in, na);
    }
    CHECK(yes > 500 && yes < 4500);
    for (int op = 0; op <= NIDUS_F_REGEX; op++)
        if (ops[op] < 20) t_fail(__FILE__, __LINE__, "op %d generated only %d times", op, ops[op]);
}
