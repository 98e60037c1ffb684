/*
 * fuzz_api — byte-coded sequences of public API calls, checked against a
 * brute-force model kept here.
 *
 * Input: a mode byte (bit 0: in-memory store instead of a directory; bit 1:
 * NIDUS_FSYNC_ON_FLUSH), then operations, one opcode byte each followed by its
 * arguments (see run_op). Names come from small alphabets, so operations collide:
 * 4 collections ("a", "b", "", "ü"), 6 ids (and 26 more that bulk upserts write),
 * attribute keys "k" and "t", dimension 4 vectors with components (int8)byte / 16.
 *
 * The model: collections -> {meta, id -> (vector as given, attrs)}. After every
 * call the store must agree with it:
 *  - every call returns exactly the expected code (NIDUS_OK, or NIDUS_EINVAL /
 *    NIDUS_EDIM for the deliberately bad upserts, NIDUS_EREADONLY on readers) and
 *    a refused call changes nothing;
 *  - delete / delete_where report the number of records the model removes;
 *  - collections, has_collection, get_meta, get_all (ids in bytewise order, unit
 *    vectors bit for bit as docs/FORMAT.md §2.2 normalizes, attrs exactly), get,
 *    footprint.doc_count
 *    match the model; so does a read-only handle opened next to the writer, and
 *    the writer after close + reopen (with or without the dimension);
 *  - search: every hit is an eligible record (scope, filter, min_score) whose score
 *    is within 1e-6 of the model's cosine, hits are best first, the count is
 *    min(top_k, eligible), and no eligible record left out scores higher than the
 *    last hit (beyond 1e-6; ties at the boundary may go either way, since the model
 *    does not know rows); nidus_search_batch gives exactly nidus_search's hits.
 * Any mismatch aborts.
 */
#include "reference.h"

#include <math.h>

#define DIM 4
#define NC 4
#define NI_SMALL 6 /* ids most operations pick from */
#define NI 32      /* plus "b00".."b25", written by bulk upserts (the id table grows) */
#define NK 2
#define NM 3
#define EPS 1e-6
#define MAX_OPS 200

static const char *const COLL[NC] = {"a", "b", "", "\xc3\xbc"};
static const char *ID[NI] = {"0", "1", "2", "x", "yy", ""};
static char bulk_ids[NI - NI_SMALL][4];
static const char *const AKEY[NK + 1] = {"k", "t", "zz"}; /* "zz" is never set */
static const char *const SVAL[4] = {"x", "y", "xy", ""};
static const nidus_str LIST1[1] = {{"x", 1}};
static const nidus_str LIST2[2] = {{"x", 1}, {"y", 1}};
static const char *const PAT[] = {"x*", "*y", "?", "x?", "[xy]*", "*", "", "[!x]*", "[a-x]y", "y", "[]"};
#define NPAT (sizeof PAT / sizeof *PAT)
static const char *const MKEY[NM] = {"m", "n", "o"};
static const char *const MVAL[3] = {"1", "2", ""};

/* ------------------------------------------------------------------- model ---- */

typedef struct mdoc {
    bool on;
    float v[DIM];          /* as given */
    bool has[NK];          /* attrs by key index ("k" < "t") */
    nidus_value val[NK];   /* strings point into the static tables */
} mdoc;

typedef struct mcoll {
    bool on;
    int meta[NM]; /* -1 absent, else index into MVAL */
    mdoc d[NI];
} mcoll;

static mcoll M[NC];
static int coll_order[NC], id_order[NI]; /* indices in bytewise order of the names */

static void coll_reset(mcoll *c) {
    memset(c, 0, sizeof *c);
    for (int k = 0; k < NM; k++) c->meta[k] = -1;
}

static int idx_cmp_coll(const void *a, const void *b) { return strcmp(COLL[*(const int *)a], COLL[*(const int *)b]); }
static int idx_cmp_id(const void *a, const void *b) { return strcmp(ID[*(const int *)a], ID[*(const int *)b]); }

static int find_name(const char *const *names, int n, const char *s) {
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], s)) return i;
    return -1;
}

/* nidus's normalization (docs/FORMAT.md §2.2), written from the spec. */
static void spec_normalize(const float *in, float *out) {
    float ss = 0.0f;
    for (int i = 0; i < DIM; i++) ss = ss + in[i] * in[i];
    float norm = sqrtf(ss);
    if (norm < 1e-12f || !isfinite(norm)) {
        memcpy(out, in, sizeof(float) * DIM);
        return;
    }
    float inv = 1.0f / norm;
    for (int i = 0; i < DIM; i++) out[i] = in[i] * inv;
}

static double model_score(const float *doc, const float *query) {
    float a[DIM], b[DIM];
    spec_normalize(doc, a);
    spec_normalize(query, b);
    float s = 0.0f; /* dimension < 8: only the tail loop of the 0.3 order runs */
    for (int i = 0; i < DIM; i++) s += a[i] * b[i];
    return s;
}

/* --------------------------------------------------------------- generators ---- */

static nidus_value gen_value(fz *f) {
    nidus_value v;
    memset(&v, 0, sizeof v);
    uint8_t t = fz_u8(f), a = fz_u8(f);
    switch (t % 7) {
    case 0: v.type = NIDUS_NULL; break;
    case 1: v.type = NIDUS_STR; v.v.str.ptr = SVAL[a % 4]; v.v.str.len = strlen(SVAL[a % 4]); break;
    case 2: v.type = NIDUS_INT; v.v.i = (int64_t)(a % 4) - 1; break;
    case 3: v.type = NIDUS_BOOL; v.v.b = a & 1; break;
    case 4:
        v.type = NIDUS_LIST;
        v.v.list.count = a % 3;
        v.v.list.items = a % 3 == 1 ? LIST1 : a % 3 == 2 ? LIST2 : NULL;
        break;
    case 5: {
        static const double F[4] = {0.5, -0.0, 0.0, 2.0};
        v.type = NIDUS_FLOAT;
        v.v.f = a % 5 == 4 ? NAN : F[a % 5];
        break;
    }
    default: v.type = NIDUS_DATETIME; v.v.i = a % 3; break;
    }
    return v;
}

static void gen_vec(fz *f, float *v) {
    for (int i = 0; i < DIM; i++) v[i] = (float)(int8_t)fz_u8(f) / 16.0f;
}

#define MAXP 2
#define MAXS 3
typedef struct filt {
    nidus_pred p[MAXP];
    nidus_value set[MAXP][MAXS];
    size_t n;
} filt;

static void gen_filter(fz *f, filt *out) {
    memset(out, 0, sizeof *out);
    out->n = fz_u8(f) % (MAXP + 1);
    for (size_t k = 0; k < out->n; k++) {
        nidus_pred *p = &out->p[k];
        uint8_t kind = fz_u8(f);
        p->kind = (nidus_pred_kind)(kind % 3);
        p->key = AKEY[fz_u8(f) % (NK + 1)];
        if (p->kind == NIDUS_PRED_EQ) {
            p->value = gen_value(f);
        } else if (p->kind == NIDUS_PRED_GLOB) {
            p->pattern = PAT[fz_u8(f) % NPAT];
        } else {
            p->set_len = fz_u8(f) % (MAXS + 1);
            p->set = out->set[k];
            for (size_t s = 0; s < p->set_len; s++) out->set[k][s] = gen_value(f);
        }
    }
}

static bool model_match(const filt *fl, const mdoc *d) {
    for (size_t k = 0; k < fl->n; k++) {
        const nidus_pred *p = &fl->p[k];
        int ki = find_name(AKEY, NK, p->key);
        if (ki < 0 || !d->has[ki]) return false;
        const nidus_value *v = &d->val[ki];
        bool m = false;
        if (p->kind == NIDUS_PRED_EQ) {
            m = ref_eq(&p->value, v);
        } else if (p->kind == NIDUS_PRED_GLOB) {
            m = v->type == NIDUS_STR && ref_glob(p->pattern, strlen(p->pattern), v->v.str.ptr, v->v.str.len);
        } else {
            for (size_t s = 0; s < p->set_len && !m; s++) m = ref_eq(&p->set[s], v);
        }
        if (!m) return false;
    }
    return true;
}

/* -------------------------------------------------------------- verification ---- */

static bool same_value(const nidus_value *a, const nidus_value *b) {
    if (a->type != b->type) return false;
    switch (a->type) {
    case NIDUS_NULL: return true;
    case NIDUS_STR:
        return nidus__in_len(a->v.str) == nidus__in_len(b->v.str) &&
               memcmp(a->v.str.ptr, b->v.str.ptr, nidus__in_len(a->v.str)) == 0;
    case NIDUS_INT:
    case NIDUS_DATETIME: return a->v.i == b->v.i;
    case NIDUS_BOOL: return !a->v.b == !b->v.b;
    case NIDUS_FLOAT: return memcmp(&a->v.f, &b->v.f, sizeof a->v.f) == 0;
    case NIDUS_LIST:
        if (a->v.list.count != b->v.list.count) return false;
        for (size_t k = 0; k < a->v.list.count; k++)
            if (a->v.list.items[k].len != b->v.list.items[k].len ||
                memcmp(a->v.list.items[k].ptr, b->v.list.items[k].ptr, a->v.list.items[k].len) != 0)
                return false;
        return true;
    }
    return false;
}

static void check_attrs(const mdoc *d, const nidus_attr *a, size_t n, const char *where) {
    size_t want = 0;
    for (int k = 0; k < NK; k++) want += d->has[k];
    FZ_CHECK_MSG(n == want, "%s: %zu attrs, model has %zu", where, n, want);
    size_t j = 0;
    for (int k = 0; k < NK; k++) {
        if (!d->has[k]) continue;
        FZ_CHECK_MSG(!strcmp(a[j].key, AKEY[k]), "%s: attr %zu is \"%s\", model has \"%s\"", where, j, a[j].key,
                     AKEY[k]);
        FZ_CHECK_MSG(same_value(&a[j].value, &d->val[k]), "%s: attr \"%s\" differs", where, AKEY[k]);
        j++;
    }
}

static void check_doc(const mdoc *d, const nidus_doc *doc, int c, int i) {
    char where[96];
    snprintf(where, sizeof where, "get %s/%s", COLL[c], ID[i]);
    FZ_CHECK_MSG(!strcmp(doc->collection, COLL[c]) && !strcmp(doc->id, ID[i]), "%s: got %s/%s", where,
                 doc->collection, doc->id);
    float u[DIM];
    spec_normalize(d->v, u);
    /* Stored rows are bit-exact (docs/FORMAT.md §2.2), so no tolerance here. */
    for (int j = 0; j < DIM; j++)
        FZ_CHECK_MSG(memcmp(&doc->vector[j], &u[j], sizeof u[j]) == 0, "%s: vector[%d] %.9g, model %.9g", where, j,
                     (double)doc->vector[j], (double)u[j]);
    check_attrs(d, doc->attrs, doc->n_attrs, where);
}

static void verify(nidus_db *db, const char *when) {
    nidus_names *names = NULL;
    FZ_CHECK(nidus_collections(db, &names) == NIDUS_OK);
    size_t n = 0, total = 0;
    for (int o = 0; o < NC; o++) {
        int c = coll_order[o];
        if (!M[c].on) continue;
        FZ_CHECK_MSG(n < names->count && !strcmp(names->names[n], COLL[c]), "%s: collection %zu is not \"%s\"", when,
                     n, COLL[c]);
        n++;
    }
    FZ_CHECK_MSG(names->count == n, "%s: %zu collections, model has %zu", when, names->count, n);
    nidus_free(names);

    for (int c = 0; c < NC; c++) {
        FZ_CHECK_MSG(nidus_has_collection(db, COLL[c]) == M[c].on, "%s: has_collection(\"%s\")", when, COLL[c]);
        nidus_meta *m = NULL;
        FZ_CHECK(nidus_get_meta(db, COLL[c], &m) == NIDUS_OK);
        size_t j = 0;
        for (int k = 0; k < NM; k++) {
            if (M[c].meta[k] < 0) continue;
            FZ_CHECK_MSG(j < m->count && !strcmp(m->entries[j].key, MKEY[k]) &&
                             !strcmp(m->entries[j].value, MVAL[M[c].meta[k]]),
                         "%s: meta of \"%s\" differs at %zu", when, COLL[c], j);
            j++;
        }
        FZ_CHECK_MSG(m->count == j, "%s: meta of \"%s\" has %zu entries, model %zu", when, COLL[c], m->count, j);
        nidus_free(m);

        nidus_docs *docs = NULL;
        FZ_CHECK(nidus_get_all(db, COLL[c], &docs) == NIDUS_OK);
        size_t got = 0;
        for (int o = 0; o < NI; o++) {
            int i = id_order[o];
            if (!M[c].on || !M[c].d[i].on) continue;
            FZ_CHECK_MSG(got < docs->count, "%s: get_all(\"%s\") lacks \"%s\"", when, COLL[c], ID[i]);
            check_doc(&M[c].d[i], &docs->docs[got], c, i);
            got++;
        }
        FZ_CHECK_MSG(docs->count == got, "%s: get_all(\"%s\") has %zu docs, model %zu", when, COLL[c], docs->count,
                     got);
        total += got;
        nidus_free(docs);
    }
    nidus_footprint fp;
    FZ_CHECK(nidus_get_footprint(db, &fp) == NIDUS_OK);
    FZ_CHECK_MSG(fp.doc_count == total && fp.dimension == DIM, "%s: footprint doc_count %llu, model %zu", when,
                 (unsigned long long)fp.doc_count, total);
    FZ_CHECK(fp.dead_rows <= fp.rows && fp.doc_count <= fp.rows);
}

/* ------------------------------------------------------------------ search ---- */

typedef struct cand {
    int c, i;
    double score;
    bool sure, maybe; /* surely / possibly past min_score */
    bool hit;
} cand;

static void op_search(nidus_db *db, fz *f) {
    nidus_search_opts o;
    nidus_search_opts_init(&o);
    o.threads = 1;
    uint8_t kb = fz_u8(f);
    o.top_k = kb == 0xFF ? 1000 : kb % 8;
    float q[DIM];
    gen_vec(f, q);
    const char *scope[3];
    bool in_scope[NC] = {false};
    uint8_t sb = fz_u8(f);
    if (sb % 4) {
        o.n_collections = sb % 4;
        o.collections = scope;
        for (size_t s = 0; s < o.n_collections; s++) {
            uint8_t x = fz_u8(f) % (NC + 1);
            scope[s] = x < NC ? COLL[x] : "absent";
            if (x < NC) in_scope[x] = true;
        }
    } else {
        for (int c = 0; c < NC; c++) in_scope[c] = true;
    }
    filt fl;
    gen_filter(f, &fl);
    o.filter = fl.n ? fl.p : NULL;
    o.n_filter = fl.n;
    uint8_t mb = fz_u8(f) % 4;
    o.has_min_score = mb != 0;
    o.min_score = mb == 1 ? -0.5f : mb == 2 ? 0.0f : 0.5f;

    cand cands[NC * NI];
    size_t nc = 0, n_sure = 0, n_maybe = 0;
    for (int c = 0; c < NC; c++) {
        if (!in_scope[c] || !M[c].on) continue;
        for (int i = 0; i < NI; i++) {
            const mdoc *d = &M[c].d[i];
            if (!d->on || !model_match(&fl, d)) continue;
            cand *x = &cands[nc++];
            x->c = c;
            x->i = i;
            x->score = model_score(d->v, q);
            x->sure = !o.has_min_score || x->score >= (double)o.min_score + EPS;
            x->maybe = !o.has_min_score || x->score >= (double)o.min_score - EPS;
            x->hit = false;
            n_sure += x->sure;
            n_maybe += x->maybe;
        }
    }

    nidus_hits *h = NULL;
    int rc = nidus_search(db, q, DIM, &o, &h);
    FZ_CHECK_MSG(rc == NIDUS_OK, "search: rc %d: %s", rc, nidus_errmsg(db));
    size_t lo = o.top_k < n_sure ? o.top_k : n_sure, hi = o.top_k < n_maybe ? o.top_k : n_maybe;
    FZ_CHECK_MSG(h->count >= lo && h->count <= hi, "search: %zu hits, model expects %zu..%zu (top_k %zu)", h->count,
                 lo, hi, o.top_k);
    double last = INFINITY;
    for (size_t j = 0; j < h->count; j++) {
        const nidus_hit *hit = &h->hits[j];
        int c = find_name(COLL, NC, hit->collection), i = find_name(ID, NI, hit->id);
        cand *x = NULL;
        for (size_t k = 0; k < nc && !x; k++)
            if (cands[k].c == c && cands[k].i == i) x = &cands[k];
        FZ_CHECK_MSG(x && x->maybe, "search: hit %s/%s is not an eligible record", hit->collection, hit->id);
        FZ_CHECK_MSG(!x->hit, "search: hit %s/%s twice", hit->collection, hit->id);
        x->hit = true;
        FZ_CHECK_MSG(fabs((double)hit->score - x->score) <= EPS, "search: %s/%s scores %.9g, model %.9g",
                     hit->collection, hit->id, (double)hit->score, x->score);
        FZ_CHECK_MSG(!(j && hit->score > h->hits[j - 1].score), "search: hits out of order at %zu", j);
        check_attrs(&M[c].d[i], hit->attrs, hit->n_attrs, "search hit");
        last = x->score;
    }
    for (size_t k = 0; k < nc; k++) {
        if (!cands[k].sure || cands[k].hit) continue;
        FZ_CHECK_MSG(h->count == o.top_k, "search: eligible %s/%s missing with only %zu hits", COLL[cands[k].c],
                     ID[cands[k].i], h->count);
        FZ_CHECK_MSG(cands[k].score <= last + EPS, "search: %s/%s (%.9g) left out, last hit scores %.9g",
                     COLL[cands[k].c], ID[cands[k].i], cands[k].score, last);
    }

    /* nidus_search_batch answers each query exactly as nidus_search does; five
     * queries, so a CPU with a batch screen screens them (close copies of the
     * query make near ties at the screen's margin). */
    enum { NB = 5 };
    float qs[NB * DIM];
    for (int j = 0; j < DIM; j++) {
        qs[j] = q[j];
        qs[DIM + j] = -q[(j + 1) % DIM];
        qs[2 * DIM + j] = nextafterf(q[j], j % 2 ? INFINITY : -INFINITY);
        qs[3 * DIM + j] = q[j] * 3.0f;
        qs[4 * DIM + j] = j ? q[j] : nextafterf(q[j], INFINITY);
    }
    nidus_hits *hb[NB] = {NULL}, *hs[NB] = {NULL};
    FZ_CHECK(nidus_search_batch(db, qs, NB, DIM, &o, hb) == NIDUS_OK);
    for (int p = 0; p < NB; p++) {
        if (p == 0) {
            hs[0] = h;
        } else {
            FZ_CHECK(nidus_search(db, qs + p * DIM, DIM, &o, &hs[p]) == NIDUS_OK);
        }
        const nidus_hits *x = hs[p], *y = hb[p];
        FZ_CHECK_MSG(x->count == y->count, "search_batch query %d: %zu hits, search %zu", p, y->count, x->count);
        for (size_t j = 0; j < x->count; j++)
            FZ_CHECK_MSG(!strcmp(x->hits[j].collection, y->hits[j].collection) && !strcmp(x->hits[j].id, y->hits[j].id) &&
                             memcmp(&x->hits[j].score, &y->hits[j].score, sizeof(float)) == 0 &&
                             x->hits[j].row == y->hits[j].row,
                         "search_batch query %d hit %zu differs from search", p, j);
    }
    for (int p = 0; p < NB; p++) {
        nidus_free(hb[p]);
        nidus_free(hs[p]);
    }
}

/* -------------------------------------------------------------- operations ---- */

static char dir[600];
static bool verbose; /* NIDUS_FUZZ_VERBOSE=1: trace the operations */
static bool memory_mode;
static nidus_fsync fsync_mode;

static nidus_db *open_writer(uint32_t dim) {
    nidus_db *db = NULL;
    int rc;
    if (memory_mode) {
        rc = nidus_open_memory(DIM, &db);
    } else {
        nidus_config cfg;
        nidus_config_init(&cfg, dim);
        cfg.fsync = fsync_mode;
        rc = nidus_open(dir, &cfg, &db);
    }
    FZ_CHECK_MSG(rc == NIDUS_OK, "open: rc %d: %s", rc, nidus_errmsg(db));
    return db;
}

static void expect(nidus_db *db, int rc, int want, const char *what) {
    FZ_CHECK_MSG(rc == want, "%s: rc %d (%s), expected %d: %s", what, rc, nidus_strerror(rc), want,
                 nidus_errmsg(db));
}

static void op_upsert(nidus_db *db, fz *f, int c) {
    size_t n = fz_u8(f) % 4;
    uint8_t bad = fz_u8(f);
    nidus_record recs[3];
    float vecs[3][DIM];
    nidus_attr attrs[3][3];
    int ids[3];
    for (size_t r = 0; r < n; r++) {
        ids[r] = fz_u8(f) % NI_SMALL;
        gen_vec(f, vecs[r]);
        size_t na = fz_u8(f) % 4;
        for (size_t a = 0; a < na; a++) {
            attrs[r][a].key = AKEY[fz_u8(f) % NK];
            attrs[r][a].value = gen_value(f);
        }
        recs[r] = (nidus_record){ID[ids[r]], vecs[r], DIM, na ? attrs[r] : NULL, na};
    }
    int want = NIDUS_OK;
    if (n && bad == 0xEE) {
        vecs[n - 1][bad % DIM] = NAN;
        want = NIDUS_EINVAL;
    } else if (n && bad == 0xEF) {
        recs[0].dim = DIM - 1;
        want = NIDUS_EDIM;
    }
    expect(db, nidus_upsert(db, COLL[c], n ? recs : NULL, n), want, "upsert");
    if (want != NIDUS_OK) return;
    if (!M[c].on) {
        coll_reset(&M[c]);
        M[c].on = true;
    }
    for (size_t r = 0; r < n; r++) {
        mdoc *d = &M[c].d[ids[r]];
        memset(d, 0, sizeof *d);
        d->on = true;
        memcpy(d->v, vecs[r], sizeof d->v);
        for (size_t a = 0; a < recs[r].n_attrs; a++) { /* last of a key wins */
            int k = find_name(AKEY, NK, attrs[r][a].key);
            d->has[k] = true;
            d->val[k] = attrs[r][a].value;
        }
    }
}

/* Many records at once (the bulk ids), so collections outgrow their first id
 * table; vectors and an Int attr "k" derived from one seed byte. */
static void op_bulk(nidus_db *db, fz *f, int c) {
    size_t n = 8 + fz_u8(f) % (NI - NI_SMALL - 7);
    uint8_t seed = fz_u8(f);
    nidus_record recs[NI - NI_SMALL];
    float vecs[NI - NI_SMALL][DIM];
    nidus_attr attrs[NI - NI_SMALL];
    for (size_t r = 0; r < n; r++) {
        for (int j = 0; j < DIM; j++) vecs[r][j] = (float)(int8_t)(uint8_t)(seed * (r + 1) + 37 * j) / 16.0f;
        attrs[r].key = "k";
        attrs[r].value = nidus_int((int64_t)(r % 4) - 1);
        recs[r] = (nidus_record){ID[NI_SMALL + r], vecs[r], DIM, &attrs[r], 1};
    }
    expect(db, nidus_upsert(db, COLL[c], recs, n), NIDUS_OK, "bulk upsert");
    if (!M[c].on) {
        coll_reset(&M[c]);
        M[c].on = true;
    }
    for (size_t r = 0; r < n; r++) {
        mdoc *d = &M[c].d[NI_SMALL + r];
        memset(d, 0, sizeof *d);
        d->on = true;
        memcpy(d->v, vecs[r], sizeof d->v);
        d->has[0] = true;
        d->val[0] = attrs[r].value;
    }
}

static void op_get(nidus_db *db, fz *f, int c) {
    size_t n = fz_u8(f) % 5;
    const char *ids[4];
    int idx[4];
    for (size_t k = 0; k < n; k++) ids[k] = ID[idx[k] = fz_u8(f) % NI_SMALL];
    nidus_docs *docs = NULL;
    FZ_CHECK(nidus_get(db, COLL[c], ids, n, &docs) == NIDUS_OK);
    size_t j = 0;
    for (size_t k = 0; k < n; k++) {
        if (!M[c].on || !M[c].d[idx[k]].on) continue;
        FZ_CHECK_MSG(j < docs->count, "get: \"%s\" missing", ids[k]);
        check_doc(&M[c].d[idx[k]], &docs->docs[j], c, idx[k]);
        j++;
    }
    FZ_CHECK_MSG(docs->count == j, "get: %zu docs, model %zu", docs->count, j);
    nidus_free(docs);
}

/* Returns the (possibly new) writer handle. */
static nidus_db *run_op(nidus_db *db, fz *f) {
    uint8_t op = fz_u8(f);
    int c = fz_u8(f) % NC;
    if (verbose) fprintf(stderr, "op %d on \"%s\"\n", op % 16, COLL[c]);
    switch (op % 16) {
    case 0:
        expect(db, nidus_create_collection(db, COLL[c]), NIDUS_OK, "create");
        if (!M[c].on) {
            coll_reset(&M[c]);
            M[c].on = true;
        }
        break;
    case 1:
        expect(db, nidus_drop_collection(db, COLL[c]), NIDUS_OK, "drop");
        coll_reset(&M[c]);
        break;
    case 2: {
        size_t n = fz_u8(f) % 4;
        nidus_meta_entry es[3];
        int keys[3], vals[3];
        for (size_t k = 0; k < n; k++) {
            keys[k] = fz_u8(f) % NM;
            vals[k] = fz_u8(f) % 3;
            es[k] = (nidus_meta_entry){MKEY[keys[k]], MVAL[vals[k]]};
        }
        expect(db, nidus_set_meta(db, COLL[c], n ? es : NULL, n), NIDUS_OK, "set_meta");
        if (!M[c].on) {
            coll_reset(&M[c]);
            M[c].on = true;
        }
        for (int k = 0; k < NM; k++) M[c].meta[k] = -1;
        for (size_t k = 0; k < n; k++) M[c].meta[keys[k]] = vals[k];
        break;
    }
    case 3:
    case 4: op_upsert(db, f, c); break;
    case 5: {
        size_t n = fz_u8(f) % 4;
        const char *ids[3];
        bool del[NI] = {false};
        for (size_t k = 0; k < n; k++) {
            int i = fz_u8(f) % NI_SMALL;
            ids[k] = ID[i];
            del[i] = true;
        }
        size_t deleted = 99, want = 0;
        expect(db, nidus_delete(db, COLL[c], n ? ids : NULL, n, &deleted), NIDUS_OK, "delete");
        for (int i = 0; i < NI; i++)
            if (del[i] && M[c].on && M[c].d[i].on) {
                M[c].d[i].on = false;
                want++;
            }
        FZ_CHECK_MSG(deleted == want, "delete: deleted %zu, model %zu", deleted, want);
        break;
    }
    case 6: {
        filt fl;
        gen_filter(f, &fl);
        size_t deleted = 99, want = 0;
        expect(db, nidus_delete_where(db, COLL[c], fl.n ? fl.p : NULL, fl.n, &deleted), NIDUS_OK, "delete_where");
        for (int i = 0; M[c].on && i < NI; i++)
            if (M[c].d[i].on && model_match(&fl, &M[c].d[i])) {
                M[c].d[i].on = false;
                want++;
            }
        FZ_CHECK_MSG(deleted == want, "delete_where: deleted %zu, model %zu", deleted, want);
        break;
    }
    case 7: expect(db, nidus_compact(db), NIDUS_OK, "compact"); break;
    case 8:
    case 9: op_search(db, f); return db;
    case 10:
        if (memory_mode) break;
        nidus_close(db);
        db = open_writer(c & 1 ? DIM : 0);
        verify(db, "after reopen");
        return db;
    case 11: {
        if (memory_mode) break;
        nidus_config cfg;
        nidus_config_init(&cfg, c & 1 ? DIM : 0);
        cfg.read_only = 1;
        nidus_db *ro = NULL;
        int rc = nidus_open(dir, &cfg, &ro);
        FZ_CHECK_MSG(rc == NIDUS_OK, "read-only open next to the writer: rc %d: %s", rc, nidus_errmsg(ro));
        verify(ro, "read-only handle");
        expect(ro, nidus_create_collection(ro, "a"), NIDUS_EREADONLY, "create on a reader");
        const char *id = ID[0];
        expect(ro, nidus_delete(ro, "a", &id, 1, NULL), NIDUS_EREADONLY, "delete on a reader");
        nidus_close(ro);
        return db;
    }
    case 12: op_get(db, f, c); return db;
    case 15: op_bulk(db, f, c); break;
    case 13: expect(db, nidus_flush(db), NIDUS_OK, "flush"); return db;
    default: {
        /* Invalid arguments are refused and change nothing. */
        const char *bad = "\xff";
        expect(db, nidus_create_collection(db, bad), NIDUS_EINVAL, "create with bad UTF-8");
        nidus_meta_entry e = {"k", "\xc3"};
        expect(db, nidus_set_meta(db, COLL[c], &e, 1), NIDUS_EINVAL, "set_meta with bad UTF-8");
        nidus_pred p = {.kind = NIDUS_PRED_GLOB, .key = "k", .pattern = NULL};
        expect(db, nidus_delete_where(db, COLL[c], &p, 1, NULL), NIDUS_EINVAL, "delete_where with a NULL pattern");
        break;
    }
    }
    verify(db, "after a write");
    return db;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    static bool ready;
    if (!ready) {
        ready = true;
        verbose = getenv("NIDUS_FUZZ_VERBOSE") != NULL;
        for (int i = 0; i < NC; i++) coll_order[i] = i;
        for (int i = NI_SMALL; i < NI; i++) {
            snprintf(bulk_ids[i - NI_SMALL], sizeof bulk_ids[0], "b%02d", i - NI_SMALL);
            ID[i] = bulk_ids[i - NI_SMALL];
        }
        for (int i = 0; i < NI; i++) id_order[i] = i;
        qsort(coll_order, NC, sizeof *coll_order, idx_cmp_coll);
        qsort(id_order, NI, sizeof *id_order, idx_cmp_id);
    }
    fz f = {data, size, 0};
    uint8_t mode = fz_u8(&f);
    memory_mode = mode & 1;
    fsync_mode = mode & 2 ? NIDUS_FSYNC_ON_FLUSH : NIDUS_FSYNC_PER_BATCH;
    if (!memory_mode) {
        if (!dir[0]) snprintf(dir, sizeof dir, "%s/store", fz_tmproot());
        fz_clean_dir(dir);
        rmdir(dir);
    }
    for (int c = 0; c < NC; c++) coll_reset(&M[c]);

    nidus_db *db = open_writer(DIM);
    for (int n = 0; n < MAX_OPS && fz_more(&f); n++) db = run_op(db, &f);
    verify(db, "at the end");
    nidus_close(db);
    if (!memory_mode) {
        /* What was acknowledged is what a fresh reader finds. */
        nidus_config cfg;
        nidus_config_init(&cfg, 0);
        cfg.read_only = 1;
        nidus_db *ro = NULL;
        int rc = nidus_open(dir, &cfg, &ro);
        FZ_CHECK_MSG(rc == NIDUS_OK, "final read-only open: rc %d: %s", rc, nidus_errmsg(ro));
        verify(ro, "final read-only open");
        nidus_close(ro);
        fz_clean_dir(dir);
    }
    return 0;
}
