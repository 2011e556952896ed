/* mirror_path.c -- where a repository's mirror lives (MIRROR_DIR/OWNER/NAME.git) and the git
 * URL of a repository from the REST API base URL. */
#include "mirror_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 100 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

static int split_repo(const char *repo, size_t *owner_len, lq_error *err)
{
    const char *slash = repo ? strchr(repo, '/') : NULL;
    if (!slash || !name_ok(repo, (size_t)(slash - repo)) || !name_ok(slash + 1, strlen(slash + 1)))
        return lq_error_set(err, LQ_EINVAL, "repository name \"%.200s\" is not OWNER/NAME",
                            repo ? repo : "");
    *owner_len = (size_t)(slash - repo);
    return LQ_OK;
}

int lq_mirror_path(char **out, const char *mirror_dir, const char *repo, lq_error *err)
{
    *out = NULL;
    size_t ol;
    int rc = split_repo(repo, &ol, err);
    if (rc)
        return rc;
    if (!mirror_dir || !*mirror_dir)
        return lq_error_set(err, LQ_EINVAL, "no mirror directory configured");
    size_t n = strlen(mirror_dir) + strlen(repo) + 8;
    char *p = malloc(n);
    if (!p)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    size_t dl = strlen(mirror_dir);
    while (dl > 1 && mirror_dir[dl - 1] == '/')
        dl--;
    snprintf(p, n, "%.*s/%s.git", (int)dl, mirror_dir, repo);
    *out = p;
    return LQ_OK;
}

int lq_mirror_url_from_api(char **out, const char *api_url, const char *repo, lq_error *err)
{
    *out = NULL;
    size_t ol;
    int rc = split_repo(repo, &ol, err);
    if (rc)
        return rc;
    if (!api_url || strncmp(api_url, "http", 4))
        return lq_error_set(err, LQ_EINVAL, "API URL \"%.200s\" is not http(s)",
                            api_url ? api_url : "");
    size_t al = strlen(api_url);
    while (al > 0 && api_url[al - 1] == '/')
        al--;
    size_t n = al + strlen(repo) + 32;
    char *p = malloc(n);
    if (!p)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    if (al == strlen("https://api.github.com") && !strncmp(api_url, "https://api.github.com", al))
        snprintf(p, n, "https://github.com/%s.git", repo);
    else if (al >= 7 && !strncmp(api_url + al - 7, "/api/v3", 7))
        snprintf(p, n, "%.*s/%s.git", (int)(al - 7), api_url, repo);
    else
        snprintf(p, n, "%.*s/%s.git", (int)al, api_url, repo);
    *out = p;
    return LQ_OK;
}
