/* test_errors.c — the error messages (errors.c): always valid UTF-8, even when
 * they quote a caller's key cut at a byte count or a path that is not UTF-8, so
 * every binding can decode them. */
#include "test.h"

#include "test_hooks.h"
#include "test_store_helpers.h"

TEST(errors_message_cut_mid_character_stays_utf8) {
    char key[300] = "x";
    for (int i = 0; i < 67; i++) strcat(key, "\xE2\x82\xAC"); /* 1 + 201 bytes: "%.200s" cuts a euro sign */
    nerr e = {0};
    CHECK_RC(nidus__err(&e, NIDUS_EINVAL, 0, "key `%.200s` is bad", key), NIDUS_EINVAL);
    CHECK(nidus__utf8_valid(e.msg, strlen(e.msg)));
    CHECK(strstr(e.msg, "\xE2\x82\xAC?` is bad") != NULL); /* the cut character's two bytes: one '?' each */
    /* Whole characters and plain ASCII are untouched. */
    CHECK_RC(nidus__err(&e, NIDUS_EIO, 5, "caf\xC3\xA9 %s", "ok"), NIDUS_EIO);
    CHECK_STR(e.msg, "caf\xC3\xA9 ok");
    CHECK(e.sys == 5);
}

TEST(errors_public_messages_are_utf8) {
    nidus_db *db = th_mem(2);
    char key[300] = "x";
    for (int i = 0; i < 67; i++) strcat(key, "\xE2\x82\xAC");
    nidus_filter f = nidus_f_fuzzy(key, "a", 99);
    nidus_list_opts lo;
    nidus_list_opts_init(&lo);
    lo.where = &f;
    nidus_docs *d = NULL;
    CHECK_RC(nidus_list_docs(db, &lo, &d), NIDUS_EINVAL);
    const char *m = nidus_errmsg(db);
    CHECK(strstr(m, "Fuzzy") != NULL);
    CHECK(nidus__utf8_valid(m, strlen(m)));
    nidus_close(db);
    /* A path that is not UTF-8, quoted by a failed open. */
    char path[600];
    snprintf(path, sizeof path, "%s/nope-\xFF-dir", t_tmpdir());
    nidus_config cfg;
    nidus_config_init(&cfg, 2);
    cfg.read_only = 1;
    nidus_db *ro = NULL;
    CHECK_RC(nidus_open(path, &cfg, &ro), NIDUS_ENOTFOUND);
    m = nidus_errmsg(ro);
    CHECK(nidus__utf8_valid(m, strlen(m)));
    CHECK(strstr(m, "nope-?-dir") != NULL);
    nidus_close(ro);
}
