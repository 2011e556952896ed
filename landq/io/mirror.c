/* mirror.c -- bare libgit2 mirror of a repository: open (checking it), create, re-create, and
 * the directory helpers that needs. Fetch: mirror_fetch.c; push: mirror_push.c; names and
 * URLs: mirror_path.c; pack compaction: mirror_pack.c. */
#include "mirror_int.h"
#include "gitstream.h"

#include <dirent.h>
#include <errno.h>
#include <git2/sys/stream.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "str.h"

#define MARKER_FILE "landq-mirror"

/* ---------------------------------------------------------------- directory helpers */

static int mkdir_p(const char *path, lq_error *err)
{
    char *p = lq_strdup(path);
    if (!p)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) && errno != EEXIST) {
            int e = errno;
            lq_error_set(err, LQ_ERROR, "cannot create %s: %s", p, strerror(e));
            free(p);
            return LQ_ERROR;
        }
        *s = '/';
    }
    int rc = LQ_OK;
    if (mkdir(p, 0700) && errno != EEXIST)
        rc = lq_error_set(err, LQ_ERROR, "cannot create %s: %s", p, strerror(errno));
    free(p);
    return rc;
}

/* Removes path and everything under it (no symlink is followed). */
static int rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st))
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *child = malloc(n);
        if (!child) {
            rc = -1;
            break;
        }
        snprintf(child, n, "%s/%s", path, e->d_name);
        rc = rm_tree(child);
        free(child);
    }
    closedir(d);
    return rc ? rc : rmdir(path);
}

static int rm_rf(const char *path, lq_error *err)
{
    if (rm_tree(path))
        return lq_error_set(err, LQ_ERROR, "cannot remove the broken mirror %s: %s", path,
                            strerror(errno));
    return LQ_OK;
}

/* 1 when path is missing or an empty directory. */
static int dir_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT;
    int empty = 1;
    struct dirent *e;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    return empty;
}

static int has_marker(const char *path)
{
    char m[8192];
    snprintf(m, sizeof m, "%s/%s", path, MARKER_FILE);
    return access(m, F_OK) == 0;
}

/* ---------------------------------------------------------------- open / check / create */

/* Every branch (and pull ref, unless heads_only) must point at a commit whose tree reads back.
 * On open everything is checked; before each fetch only the branches (pull refs pile up). */
int lq_mirror_sound(git_repository *repo, int heads_only)
{
    if (!git_repository_is_bare(repo))
        return 0;
    git_reference_iterator *it = NULL;
    if (git_reference_iterator_new(&it, repo) < 0)
        return 0;
    int ok = 1;
    git_reference *ref;
    int rc;
    while (ok && (rc = git_reference_next(&ref, it)) == 0) {
        const char *name = git_reference_name(ref);
        if (!strncmp(name, "refs/heads/", 11) || (!heads_only && !strncmp(name, "refs/pull/", 10))) {
            git_commit *c = NULL;
            git_tree *t = NULL;
            const git_oid *id = git_reference_target(ref);
            ok = id && git_commit_lookup(&c, repo, id) == 0 && git_commit_tree(&t, c) == 0;
            git_tree_free(t);
            git_commit_free(c);
        }
        git_reference_free(ref);
    }
    if (ok && rc != GIT_ITEROVER)
        ok = 0;
    git_reference_iterator_free(it);
    return ok;
}

static int create_repo(lq_mirror *m, lq_error *err)
{
    int rc = mkdir_p(m->path, err);
    if (rc)
        return rc;
    if (git_repository_init(&m->repo, m->path, 1) < 0)
        return lq_error_set(err, LQ_ERROR, "cannot create the mirror %s: %s", m->path, git_msg());
    char mk[8192];
    snprintf(mk, sizeof mk, "%s/%s", m->path, MARKER_FILE);
    FILE *f = fopen(mk, "w");
    if (!f || fputs("bare mirror kept by landq; safe to delete (it is re-created)\n", f) < 0 ||
        fclose(f)) {
        if (f)
            fclose(f);
        return lq_error_set(err, LQ_ERROR, "cannot write %s: %s", mk, strerror(errno));
    }
    m->created = 1;
    return LQ_OK;
}

int lq_mirror_recreate(lq_mirror *m, lq_error *err)
{
    git_repository_free(m->repo);
    m->repo = NULL;
    int rc = rm_rf(m->path, err);
    return rc ? rc : create_repo(m, err);
}

int lq_mirror_open(lq_mirror **out, const lq_mirror_config *cfg, lq_error *err)
{
    *out = NULL;
    if (!cfg || !cfg->path || !*cfg->path || !cfg->url || !*cfg->url)
        return lq_error_set(err, LQ_EINVAL, "mirror: path and url are required");
    if (git_libgit2_init() < 0)
        return lq_error_set(err, LQ_ERROR, "cannot initialize libgit2: %s", git_msg());
    /* Process-wide, and forgotten by the last git_libgit2_shutdown(): registered on each open. */
    git_stream_registration reg = {GIT_STREAM_VERSION, lq_gitstream_new, NULL};
    if (git_stream_register(GIT_STREAM_STANDARD, &reg) < 0) {
        git_libgit2_shutdown();
        return lq_error_set(err, LQ_ERROR, "cannot register the TCP stream: %s", git_msg());
    }
    lq_mirror *m = calloc(1, sizeof(*m));
    if (!m) {
        git_libgit2_shutdown();
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    m->should_stop = cfg->should_stop;
    m->stop_ctx = cfg->stop_ctx;
    m->path = lq_strdup(cfg->path);
    m->url = lq_strdup(cfg->url);
    m->token = cfg->token && *cfg->token ? lq_strdup(cfg->token) : NULL;
    int rc = LQ_OK;
    if (!m->path || !m->url || (cfg->token && *cfg->token && !m->token)) {
        rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    } else if (dir_empty(m->path)) {
        rc = create_repo(m, err);
    } else if (!has_marker(m->path)) {
        rc = lq_error_set(err, LQ_ERROR, "%s exists but is not a landq mirror (no %s file); "
                          "refusing to use or delete it: choose another mirror_dir",
                          m->path, MARKER_FILE);
    } else if (git_repository_open_bare(&m->repo, m->path) < 0 ||
               !lq_mirror_sound(m->repo, 0)) {
        rc = lq_mirror_recreate(m, err);
    }
    if (rc) {
        lq_mirror_free(m);
        return rc;
    }
    *out = m;
    return LQ_OK;
}

void lq_mirror_free(lq_mirror *m)
{
    if (!m)
        return;
    git_repository_free(m->repo);
    free(m->path);
    free(m->url);
    if (m->token) {
        memset(m->token, 0, strlen(m->token));
        free(m->token);
    }
    free(m);
    git_libgit2_shutdown();
}

git_repository *lq_mirror_repo(lq_mirror *m)
{
    return m ? m->repo : NULL;
}

const char *lq_mirror_dir(const lq_mirror *m)
{
    return m ? m->path : NULL;
}
