/*
 * fuzz_filter_tree — nidus 0.80 filter trees: compilation and matching.
 *
 * Input: the choices of tests/test_filter_model.h's generator, two bytes each
 * (zeros once the input runs out): a random tree (every op, depth <= 5), then a
 * mode, then attributes of every type.
 *
 * Properties:
 *  - mode 0..5: the tree is valid; nidus__filter_compile_tree accepts it and
 *    nidus__filter_match agrees with the model's evaluation over the attributes;
 *  - mode 6: one leaf's key is replaced by raw input bytes; compile succeeds
 *    exactly when they are valid UTF-8 (then matching still agrees);
 *  - mode 7: one node is made invalid (unknown op, Not with 0 or 2 children, a
 *    NULL key, a NULL array with a count, Fuzzy above 8, a bad or refused regex,
 *    bad UTF-8, nesting deeper than 64); compile is NIDUS_EINVAL with an
 *    "invalid filter" message and leaves *out NULL;
 *  - never a crash, an out-of-bounds read, a leak or undefined behaviour.
 */
#include "common.h"

#include "../tests/test_filter_model.h"

static fm_gen tg, ag;
static nidus_filter chain[70];

static bool corrupt(nidus_filter *n, fm_src *s) {
    static const char *const BADRX[] = {"(", "[", "(a)\\1", "(?=x)", "\\p{L}", "a{1,2", "[\\w]"};
    switch (fm_below(s, 9)) {
    case 0: n->op = (nidus_filter_op)(21 + fm_below(s, 300)); break;
    case 1: *n = nidus_f_not(chain); n->count = fm_below(s, 2) ? 0 : 2; break;
    case 2: *n = nidus_f_eq(NULL, nidus_int(1)); break;
    case 3: *n = nidus_f_fuzzy("k0", "x", 9 + fm_below(s, 100)); break;
    case 4: *n = nidus_f_regex("k1", BADRX[fm_below(s, sizeof BADRX / sizeof *BADRX)]); break;
    case 5: *n = nidus_f_eq("k\xff", nidus_int(1)); break;
    case 6: *n = nidus_f_in("k0", NULL, 1 + fm_below(s, 3)); break;
    case 7: *n = fm_below(s, 2) ? nidus_f_all(NULL, 1) : nidus_f_any(NULL, 2); break;
    default:
        chain[0] = nidus_f_eq("k0", nidus_int(1));
        for (int i = 1; i <= 65; i++) chain[i] = nidus_f_not(&chain[i - 1]);
        *n = chain[65];
        break;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fm_src s = {0, data, size, 0};
    tg.nn = tg.nv = tg.ni = 0;
    ag.nn = ag.nv = ag.ni = 0;
    nidus_filter *root = fm_root(&tg, &s);
    unsigned mode = fm_below(&s, 8);
    bool valid = true;
    char rawkey[9];
    if (mode == 7) {
        valid = corrupt(&tg.nodes[fm_below(&s, (unsigned)tg.nn)], &s);
    } else if (mode == 6) {
        size_t len = fm_below(&s, 9), k = 0;
        for (; k < len; k++) {
            uint8_t b = (uint8_t)fm_rand(&s);
            rawkey[k] = (char)(b ? b : 'z');
        }
        rawkey[k] = 0;
        /* The first leaf in the pool gets it. */
        for (size_t i = 0; i < tg.nn; i++)
            if (tg.nodes[i].op != NIDUS_F_ALL && tg.nodes[i].op != NIDUS_F_ANY && tg.nodes[i].op != NIDUS_F_NOT) {
                tg.nodes[i].key = rawkey;
                valid = nidus__utf8_valid(rawkey, k);
                break;
            }
    }
    nfilter *f = (nfilter *)&s;
    nerr e = {0};
    int rc = nidus__filter_compile_tree(NULL, 0, root, &f, &e);
    if (!valid) {
        FZ_CHECK_MSG(rc == NIDUS_EINVAL, "bad tree compiled: rc %d", rc);
        FZ_CHECK(f == NULL);
        FZ_CHECK_MSG(strncmp(e.msg, "invalid filter", 14) == 0, "message: %s", e.msg);
        return 0;
    }
    FZ_CHECK_MSG(rc == NIDUS_OK, "valid tree refused: rc %d: %s", rc, e.msg);
    nidus_attr in[8];
    size_t na = fm_attrs(&ag, &s, in);
    nattrs a;
    FZ_CHECK(nidus__attrs_from_input(na ? in : NULL, na, &a, &e) == NIDUS_OK);
    bool got = nidus__filter_match(f, &a), want = fm_eval(root, in, na);
    FZ_CHECK_MSG(got == want, "filter_match = %d, model says %d", got, want);
    nidus__attrs_free(&a);
    nidus__filter_free(f);
    return 0;
}
