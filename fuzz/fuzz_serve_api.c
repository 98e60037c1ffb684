/*
 * fuzz_serve_api — `nidus serve`'s router and request handling (cli/serve_api.c:
 * srv_handle, with cli/json.c's readers and printers) over an in-memory store of
 * dimension 3, without sockets.
 *
 * Input: up to 32 requests separated by NUL bytes, each "METHOD PATH\nBODY" (a
 * missing newline: no body), run in order against one store.
 *
 * Properties, for every request:
 *  - the status is one the API answers: 200, 400, 404, 405, 501 or 507 (an
 *    in-memory writer is never read-only, locked, or failing on I/O: a 500 is a
 *    bug);
 *  - a JSON response parses; an error is an object with a non-empty "error"
 *    string; a 200 of /search, /search/similar and /list is an array of hits
 *    {"collection", "id", "score", "attrs"}, of /search/batch {"results": [...]};
 *  - /health and /metrics answer text;
 * and afterwards the store still answers (footprint, collections).
 */
#include <jansson.h>

#include "cli.h"
#include "json.h"
#include "serve.h"
#include "common.h"

/* ---- what cli/json.c takes from the rest of the CLI ---- */

_Noreturn void cli_fail(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "cli_fail reached: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort(); /* the server must never exit on a request */
}

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) abort();
    return p;
}

static bool is_hit(json_t *h) {
    return json_is_object(h) && json_object_size(h) == 4 && json_is_string(json_object_get(h, "collection")) &&
           json_is_string(json_object_get(h, "id")) && json_is_number(json_object_get(h, "score")) &&
           json_is_object(json_object_get(h, "attrs"));
}

static bool is_hits(json_t *a) {
    if (!json_is_array(a)) return false;
    for (size_t i = 0; i < json_array_size(a); i++)
        if (!is_hit(json_array_get(a, i))) return false;
    return true;
}

static void check(const char *method, const char *path, const srv_resp *r) {
    int st = r->status;
    FZ_CHECK_MSG(st == 200 || st == 400 || st == 404 || st == 405 || st == 501 || st == 507,
                 "%s %s answered %d: %.*s", method, path, st, (int)r->len, r->body ? r->body : "");
    FZ_CHECK(r->ctype);
    srv_route rt = srv_match(path);
    if (strncmp(r->ctype, "application/json", 16) != 0) {
        FZ_CHECK_MSG(st == 200 && (rt == R_HEALTH || rt == R_METRICS), "text answer from %s", path);
        return;
    }
    json_error_t je;
    json_t *j = json_loadb(r->body ? r->body : "", r->len, JSON_DECODE_ANY, &je);
    FZ_CHECK_MSG(j, "%s %s: response is not JSON (%s): %.*s", method, path, je.text, (int)r->len, r->body);
    if (st != 200) {
        json_t *e = json_object_get(j, "error");
        FZ_CHECK_MSG(json_is_object(j) && json_is_string(e) && json_string_length(e) > 0, "error without message");
    } else if (rt == R_SEARCH || rt == R_SIMILAR || rt == R_LIST) {
        FZ_CHECK_MSG(is_hits(j), "%s: not an array of hits", path);
    } else if (rt == R_BATCH) {
        json_t *res = json_object_get(j, "results");
        FZ_CHECK(json_is_array(res));
        for (size_t i = 0; i < json_array_size(res); i++) FZ_CHECK(is_hits(json_array_get(res, i)));
    }
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool seeded;
    if (!seeded) json_object_seed(1), seeded = true;
    nidus_db *db;
    FZ_CHECK(nidus_open_memory(3, &db) == NIDUS_OK);
    srv s;
    FZ_CHECK(srv_init(&s, db, NULL, NULL, false) == 0);
    char *buf = malloc(size + 1);
    FZ_CHECK(buf);
    memcpy(buf, data, size);
    buf[size] = 0;
    size_t i = 0;
    for (int n = 0; n < 32 && i <= size; n++) {
        size_t end = i;
        while (end < size && buf[end]) end++;
        char *req = buf + i, *nl = memchr(req, '\n', end - i);
        const char *body = "";
        size_t blen = 0;
        if (nl) {
            *nl = 0;
            body = nl + 1;
            blen = (size_t)(buf + end - body);
        }
        char *sp = strchr(req, ' ');
        const char *method = "GET", *path = req;
        if (sp) {
            *sp = 0;
            method = req;
            path = sp + 1;
        }
        srv_resp r;
        srv_handle(&s, method, path, body, blen, &r);
        check(method, path, &r);
        srv_observe(&s, srv_match(path), r.status, 1);
        free(r.body);
        i = end + 1;
    }
    nidus_footprint fp;
    FZ_CHECK(nidus_get_footprint(s.db, &fp) == NIDUS_OK);
    nidus_names *names;
    FZ_CHECK(nidus_collections(s.db, &names) == NIDUS_OK);
    nidus_free(names);
    free(buf);
    srv_destroy(&s);
    nidus_close(s.db);
    return 0;
}
