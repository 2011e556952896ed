/* Unit tests of io/board.c: the worker's last evaluations, read by the queue pages. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "board.h"

Test(board, put_get_replace_drop)
{
    lq_board *b = lq_board_new();
    lq_error err = {0};
    cr_assert_null(lq_board_get(b, "acme/mono", 1));
    uint64_t v0 = lq_board_version(b);
    json_t *ex = json_pack("{s:s, s:{s:s}}", "title", "One", "verdict", "kind", "wait");
    cr_assert_eq(lq_board_put(b, "acme/mono", 1, ex, &err), LQ_OK, "%s", err.msg);
    uint64_t v1 = lq_board_version(b);
    cr_assert_gt(v1, v0);
    json_t *got = lq_board_get(b, "ACME/mono", 1);
    cr_assert(json_equal(got, ex), "a copy of what was put, found case-insensitively");
    cr_assert_neq(got, ex);
    json_decref(got);
    cr_assert_eq(lq_board_put(b, "acme/mono", 1, ex, &err), LQ_OK);
    cr_assert_eq(lq_board_version(b), v1, "the same evaluation again changes nothing");
    json_object_set_new(json_object_get(ex, "verdict"), "kind", json_string("ready"));
    cr_assert_eq(lq_board_put(b, "acme/mono", 1, ex, &err), LQ_OK);
    cr_assert_gt(lq_board_version(b), v1);
    got = lq_board_get(b, "acme/mono", 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(got, "verdict"), "kind")),
                     "ready");
    json_decref(got);
    cr_assert_null(lq_board_get(b, "acme/mono", 2));
    lq_board_drop(b, "acme/mono", 1);
    cr_assert_null(lq_board_get(b, "acme/mono", 1));
    uint64_t v2 = lq_board_version(b);
    lq_board_touch(b);
    cr_assert_gt(lq_board_version(b), v2);
    cr_assert_eq(lq_board_put(b, NULL, 1, ex, &err), LQ_EINVAL);
    json_decref(ex);
    lq_board_free(b);
    /* NULL boards are no-ops */
    cr_assert_eq(lq_board_put(NULL, "a/b", 1, NULL, &err), LQ_OK);
    cr_assert_null(lq_board_get(NULL, "a/b", 1));
    cr_assert_eq(lq_board_version(NULL), 0);
}

Test(board, bounded_oldest_dropped_first)
{
    lq_board *b = lq_board_new();
    lq_error err = {0};
    json_t *ex = json_pack("{s:i}", "n", 0);
    for (int i = 1; i <= LQ_BOARD_MAX + 5; i++) {
        json_object_set_new(ex, "n", json_integer(i));
        cr_assert_eq(lq_board_put(b, "acme/mono", i, ex, &err), LQ_OK);
    }
    for (int i = 1; i <= 5; i++)
        cr_assert_null(lq_board_get(b, "acme/mono", i));
    json_t *got = lq_board_get(b, "acme/mono", LQ_BOARD_MAX + 5);
    cr_assert_not_null(got);
    json_decref(got);
    got = lq_board_get(b, "acme/mono", 6);
    cr_assert_not_null(got);
    json_decref(got);
    json_decref(ex);
    lq_board_free(b);
}

Test(board, huge_evaluations_keep_the_verdict)
{
    lq_board *b = lq_board_new();
    lq_error err = {0};
    char path[401];
    memset(path, 'x', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    json_t *files = json_array();
    for (int i = 0; i < 3000; i++)
        json_array_append_new(files, json_pack("{s:s}", "path", path));
    json_t *ex = json_pack("{s:o, s:{s:s}}", "files", files, "verdict", "kind", "wait");
    cr_assert_eq(lq_board_put(b, "acme/mono", 1, ex, &err), LQ_OK);
    json_t *got = lq_board_get(b, "acme/mono", 1);
    cr_assert_eq(json_array_size(json_object_get(got, "files")), 0);
    cr_assert(json_is_true(json_object_get(got, "files_omitted")));
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(got, "verdict"), "kind")),
                     "wait");
    json_decref(got);
    json_decref(ex);
    lq_board_free(b);
}

static void *reader(void *arg)
{
    lq_board *b = arg;
    for (int i = 0; i < 2000; i++) {
        json_t *o = lq_board_get(b, "acme/mono", i % 10);
        json_decref(o);
    }
    return NULL;
}

Test(board, concurrent_readers_and_writer)
{
    lq_board *b = lq_board_new();
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, reader, b);
    lq_error err = {0};
    json_t *ex = json_pack("{s:i}", "n", 0);
    for (int i = 0; i < 2000; i++) {
        json_object_set_new(ex, "n", json_integer(i));
        cr_assert_eq(lq_board_put(b, "acme/mono", i % 10, ex, &err), LQ_OK);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    json_decref(ex);
    lq_board_free(b);
}
