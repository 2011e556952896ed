/* page_route.c -- classifying queue page requests (pure). */
#include "page_route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int owner_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

static int name_char(char c)
{
    return owner_char(c) || c == '.' || c == '_';
}

/* Length of a valid OWNER at s (up to '/'), or 0. */
static size_t owner_len(const char *s)
{
    size_t n = 0;
    while (owner_char(s[n]))
        n++;
    return n >= 1 && n <= 39 && s[0] != '-' ? n : 0;
}

static size_t name_len(const char *s)
{
    size_t n = 0;
    while (name_char(s[n]))
        n++;
    if (n == 0 || n > 100 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return 0;
    return n;
}

int lq_page_repo_ok(const char *repo)
{
    if (!repo)
        return 0;
    size_t o = owner_len(repo);
    if (!o || repo[o] != '/')
        return 0;
    size_t n = name_len(repo + o + 1);
    return n && repo[o + 1 + n] == '\0';
}

/* "OWNER/NAME/N" (the rest of the path) into out; 400 or 200. */
static int parse_pr(lq_page_req *out, const char *s, lq_error *err)
{
    size_t o = owner_len(s);
    if (!o || s[o] != '/')
        return lq_error_set(err, LQ_EINVAL, "the path must be /queue/OWNER/NAME/NUMBER with a GitHub "
                                      "owner name"), 400;
    size_t n = name_len(s + o + 1);
    if (!n || s[o + 1 + n] != '/')
        return lq_error_set(err, LQ_EINVAL, "the path must be /queue/OWNER/NAME/NUMBER with a GitHub "
                                      "repository name"), 400;
    const char *num = s + o + 1 + n + 1;
    size_t d = 0;
    while (num[d] >= '0' && num[d] <= '9')
        d++;
    if (!d || num[d] != '\0' || num[0] == '0' || d > 10 || strtoll(num, NULL, 10) > 2147483647)
        return lq_error_set(err, LQ_EINVAL, "the pull request number must be a number from 1 to "
                                      "2147483647"), 400;
    snprintf(out->repo, sizeof out->repo, "%.*s", (int)(o + 1 + n), s);
    out->number = (int)strtol(num, NULL, 10);
    return 200;
}

int lq_page_route(lq_page_req *out, const char *method, const char *path, size_t query_len,
                  lq_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!path || !method)
        return lq_error_set(err, LQ_EINVAL, "malformed request"), 400;
    out->json = !strncmp(path, "/api/", 5);
    if (query_len > LQ_PAGE_QUERY_MAX)
        return lq_error_set(err, LQ_EINVAL, "the query string is too long (%zu bytes; these pages "
                                      "take no parameters)", query_len), 400;
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    out->head = !strcmp(method, "HEAD");
    if (!strcmp(path, "/api/freeze") || !strcmp(path, "/api/unfreeze")) {
        out->kind = path[5] == 'f' ? LQ_PAGE_FREEZE : LQ_PAGE_UNFREEZE;
        if (strcmp(method, "POST"))
            return lq_error_set(err, LQ_EINVAL, "%s takes POST only", path), 405;
        return 200;
    }
    int rc = 200;
    if (!strcmp(path, "/queue") || !strcmp(path, "/queue/")) {
        out->kind = LQ_PAGE_QUEUE;
    } else if (!strcmp(path, "/api/queue") || !strcmp(path, "/api/queue/")) {
        out->kind = LQ_PAGE_QUEUE_JSON;
    } else if (!strcmp(path, "/queue/assets/queue.css")) {
        out->kind = LQ_PAGE_CSS;
    } else if (!strcmp(path, "/queue/assets/queue.js")) {
        out->kind = LQ_PAGE_JS;
    } else if (!strcmp(path, "/queue/assets/favicon.svg")) {
        out->kind = LQ_PAGE_ICON;
    } else if (!strncmp(path, "/queue/assets/", 14)) {
        return lq_error_set(err, LQ_ENOTFOUND, "no such asset"), 404;
    } else if (!strncmp(path, "/queue/", 7)) {
        out->kind = LQ_PAGE_PR;
        rc = parse_pr(out, path + 7, err);
    } else if (!strncmp(path, "/api/queue/", 11)) {
        out->kind = LQ_PAGE_PR_JSON;
        rc = parse_pr(out, path + 11, err);
    } else {
        return lq_error_set(err, LQ_ENOTFOUND, "no such page"), 404;
    }
    if (rc != 200)
        return rc;
    if (!get)
        return lq_error_set(err, LQ_EINVAL, "this page takes GET (or HEAD) only"), 405;
    return 200;
}
