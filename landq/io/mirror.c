/* mirror.c -- bare libgit2 mirror of a repository: open-or-recreate, incremental fetch. */
#include "mirror.h"
#include "gitstream.h"

#include <dirent.h>
#include <errno.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/stream.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKER_FILE "landq-mirror"
#define MAX_PULL_REFS 4096
#define COMPACT_PACKS 24 /* more packs than this after a fetch: merge all but the largest */

struct lq_mirror {
    int (*should_stop)(void *ctx);
    void *stop_ctx;
    char *path;
    char *url;
    char *token;
    git_repository *repo;
    int created; /* created (or re-created) since the last fetch: the next fetch is full */
};

static char *dup_str(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static const char *git_msg(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

/* ---------------------------------------------------------------- paths and URLs */

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

/* ---------------------------------------------------------------- directory helpers */

static int mkdir_p(const char *path, lq_error *err)
{
    char *p = dup_str(path);
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
static int mirror_sound(git_repository *repo, int heads_only)
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

static int recreate(lq_mirror *m, lq_error *err)
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
    m->path = dup_str(cfg->path);
    m->url = dup_str(cfg->url);
    m->token = cfg->token && *cfg->token ? dup_str(cfg->token) : NULL;
    int rc = LQ_OK;
    if (!m->path || !m->url || (cfg->token && *cfg->token && !m->token)) {
        rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    } else if (dir_empty(m->path)) {
        rc = create_repo(m, err);
    } else if (!has_marker(m->path)) {
        rc = lq_error_set(err, LQ_ERROR, "%s exists but is not a landq mirror (no %s file); "
                          "refusing to use or delete it: choose another mirror_dir",
                          m->path, MARKER_FILE);
    } else if (git_repository_open_bare(&m->repo, m->path) < 0 || !mirror_sound(m->repo, 0)) {
        rc = recreate(m, err);
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

/* ---------------------------------------------------------------- pack compaction */

/* Every fetch adds one pack, and libgit2 looks an object up pack by pack: after months of
 * landings thousands of tiny packs would make every lookup slow (libgit2 has no gc). So when
 * there are more than COMPACT_PACKS, the objects of all packs but the largest (the first fetch,
 * usually) are written into one new pack and the old ones deleted; the work is proportional to
 * what was fetched since, not to the repository. */
typedef struct pack_file {
    char name[256]; /* "pack-<hash>" */
    long long size;
} pack_file;

static int insert_object(const git_oid *id, void *payload)
{
    return git_packbuilder_insert(payload, id, NULL);
}

/* Number of packs in dir; fills up to cap entries. -1 when the directory cannot be read. */
static long list_packs(const char *dir, pack_file *out, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || len >= sizeof out->name + 5 || strcmp(e->d_name + len - 5, ".pack"))
            continue;
        if ((size_t)n < cap) {
            snprintf(out[n].name, sizeof out[n].name, "%.*s", (int)(len - 5), e->d_name);
            char p[8192];
            struct stat st;
            int pl = snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            out[n].size = pl < 0 || (size_t)pl >= sizeof p || stat(p, &st) ? 0
                                                                           : (long long)st.st_size;
        }
        n++;
    }
    closedir(d);
    return n;
}

/* Returns LQ_OK (also when nothing was to do) or LQ_ERROR; the mirror stays valid either way
 * (old packs are deleted only after the new one is complete). *merged = packs merged. */
static int compact_packs(lq_mirror *m, size_t *merged, lq_error *err)
{
    *merged = 0;
    char dir[8192];
    int dl = snprintf(dir, sizeof dir, "%s/objects/pack", m->path);
    if (dl < 0 || (size_t)dl >= sizeof dir)
        return LQ_OK; /* a path that long cannot be listed; leave the packs alone */
    pack_file packs[256];
    long n = list_packs(dir, packs, sizeof packs / sizeof packs[0]);
    if (n <= COMPACT_PACKS)
        return LQ_OK;
    if (n > (long)(sizeof packs / sizeof packs[0]))
        n = sizeof packs / sizeof packs[0]; /* the rest next time */
    size_t big = 0;
    for (long i = 1; i < n; i++)
        if (packs[i].size > packs[big].size)
            big = (size_t)i;
    git_packbuilder *pb = NULL;
    int rc = LQ_OK;
    if (git_packbuilder_new(&pb, m->repo) < 0)
        rc = LQ_ERROR;
    for (long i = 0; rc == LQ_OK && i < n; i++) {
        if ((size_t)i == big)
            continue;
        char idx[8600];
        int il = snprintf(idx, sizeof idx, "%s/%s.idx", dir, packs[i].name);
        git_odb_backend *be = NULL;
        if (il < 0 || (size_t)il >= sizeof idx || git_odb_backend_one_pack(&be, idx) < 0 ||
            be->foreach(be, insert_object, pb) < 0)
            rc = LQ_ERROR;
        if (be)
            be->free(be);
    }
    if (rc == LQ_OK && git_packbuilder_write(pb, dir, 0, NULL, NULL) < 0)
        rc = LQ_ERROR;
    if (rc) {
        lq_error_set(err, LQ_ERROR, "compacting the packs of %s: %s", m->path, git_msg());
        git_packbuilder_free(pb);
        return rc;
    }
    char keep[300];
    snprintf(keep, sizeof keep, "pack-%s", git_packbuilder_name(pb));
    git_packbuilder_free(pb);
    /* The repository handle has the old packs open: reopen it after deleting them. */
    git_repository_free(m->repo);
    m->repo = NULL;
    for (long i = 0; i < n; i++) {
        if ((size_t)i == big || !strcmp(packs[i].name, keep))
            continue;
        static const char *const exts[] = {".idx", ".pack", ".rev", ".keep"};
        for (size_t k = 0; k < sizeof exts / sizeof exts[0]; k++) {
            char p[8600];
            int pl = snprintf(p, sizeof p, "%s/%s%s", dir, packs[i].name, exts[k]);
            if (pl > 0 && (size_t)pl < sizeof p)
                unlink(p);
        }
        (*merged)++;
    }
    if (git_repository_open_bare(&m->repo, m->path) < 0)
        return lq_error_set(err, LQ_ERROR, "reopening %s: %s", m->path, git_msg());
    return LQ_OK;
}

/* ---------------------------------------------------------------- fetch */

/* "Authorization: Basic base64(x-access-token:TOKEN)", sent with every request (as
 * actions/checkout does with http.extraheader): no 401 round trip, and no reliance on libgit2
 * 1.5's replay after a 401, which fails with "http parser error: invalid constant string" when
 * the 401 carries a body on a kept-alive connection (mockhub's does). Caller frees (and wipes). */
static char *auth_header(const char *token)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *user = "x-access-token:";
    size_t ul = strlen(user), tl = strlen(token), n = ul + tl;
    unsigned char *raw = malloc(n + 1);
    char *out = malloc(32 + (n + 2) / 3 * 4 + 1);
    if (!raw || !out) {
        free(raw);
        free(out);
        return NULL;
    }
    memcpy(raw, user, ul);
    memcpy(raw + ul, token, tl);
    size_t o = (size_t)sprintf(out, "Authorization: Basic ");
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (i + 1 < n ? (unsigned)raw[i + 1] << 8 : 0) |
                     (i + 2 < n ? raw[i + 2] : 0);
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    out[o] = '\0';
    memset(raw, 0, n);
    free(raw);
    return out;
}

typedef struct fetch_ctx {
    const lq_mirror *m;
    const char *token;
    int header_sent; /* the token already went in an Authorization header */
    int cred_calls;
    int auth_failed;
    unsigned long updated;
} fetch_ctx;

static int on_credentials(git_credential **out, const char *url, const char *user_from_url,
                          unsigned int allowed, void *payload)
{
    (void)url;
    (void)user_from_url;
    fetch_ctx *c = payload;
    /* One try: a second call means the server refused the token; libgit2 would loop. */
    if (!c->token || c->header_sent || c->cred_calls++ > 0 ||
        !(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
        c->auth_failed = 1;
        return GIT_EUSER;
    }
    return git_credential_userpass_plaintext_new(out, "x-access-token", c->token);
}

static int on_progress(const git_indexer_progress *stats, void *payload)
{
    (void)stats;
    const fetch_ctx *c = payload;
    return c->m->should_stop && c->m->should_stop(c->m->stop_ctx) ? -1 : 0;
}

static int on_sideband(const char *str, int len, void *payload)
{
    (void)str;
    (void)len;
    return on_progress(NULL, payload);
}

static int on_update_tips(const char *refname, const git_oid *a, const git_oid *b, void *payload)
{
    (void)refname;
    (void)a;
    (void)b;
    ((fetch_ctx *)payload)->updated++;
    return 0;
}

/* One fetch attempt. Returns LQ_OK, LQ_ETRANSIENT (network), LQ_ERROR (auth) or LQ_ECONFLICT
 * (the repository side failed: corrupt mirror, re-create and retry). */
static int fetch_once(lq_mirror *m, const char *const *branches, size_t nb, const int *pulls,
                      size_t n, lq_mirror_stats *stats, lq_error *err)
{
    if (n > MAX_PULL_REFS)
        n = MAX_PULL_REFS;
    char **specs = calloc(n + nb + 1, sizeof(*specs));
    if (!specs)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    size_t ns = 0;
    int rc = LQ_OK;
    if (!branches)
        specs[ns++] = dup_str("+refs/heads/*:refs/heads/*");
    for (size_t i = 0; branches && i < nb; i++) {
        size_t len = strlen(branches[i]) * 2 + 32;
        char *sp = malloc(len);
        if (sp)
            snprintf(sp, len, "+refs/heads/%s:refs/heads/%s", branches[i], branches[i]);
        specs[ns++] = sp;
    }
    for (size_t i = 0; i < n; i++) {
        if (pulls[i] <= 0)
            continue;
        char buf[96];
        snprintf(buf, sizeof buf, "+refs/pull/%d/head:refs/pull/%d/head", pulls[i], pulls[i]);
        specs[ns++] = dup_str(buf);
    }
    for (size_t i = 0; i < ns; i++)
        if (!specs[i])
            rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    git_remote *remote = NULL;
    fetch_ctx ctx = {m, m->token, 0, 0, 0, 0};
    git_remote_create_options ro;
    git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
    ro.repository = m->repo;
    /* Anonymous, no url.*.insteadOf rewriting (it also leaks in libgit2 1.5's regex code). */
    ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    if (!rc && git_remote_create_with_opts(&remote, m->url, &ro) < 0)
        rc = lq_error_set(err, LQ_ERROR, "bad remote URL for the mirror: %s", git_msg());
    if (!rc) {
        git_fetch_options fo;
        git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
        fo.callbacks.credentials = on_credentials;
        fo.callbacks.update_tips = on_update_tips;
        fo.callbacks.transfer_progress = on_progress;
        fo.callbacks.sideband_progress = on_sideband;
        fo.callbacks.payload = &ctx;
        fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
        fo.prune = GIT_FETCH_NO_PRUNE;
        fo.update_fetchhead = 0;
        /* The token goes only to the configured URL: no redirects. */
        fo.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
        char *hdr = NULL;
        if (m->token && !strncmp(m->url, "http", 4)) {
            if (!(hdr = auth_header(m->token))) {
                git_remote_free(remote);
                for (size_t i = 0; i < ns; i++)
                    free(specs[i]);
                free(specs);
                return lq_error_set(err, LQ_ENOMEM, "out of memory");
            }
            fo.custom_headers.strings = &hdr;
            fo.custom_headers.count = 1;
            ctx.header_sent = 1;
        }
        git_strarray refspecs = {specs, ns};
        if (git_remote_fetch(remote, &refspecs, &fo, "landq mirror fetch") < 0) {
            const git_error *e = git_error_last();
            int klass = e ? e->klass : GIT_ERROR_NONE;
            char why[400];
            snprintf(why, sizeof why, "%s", git_msg());
            if (m->should_stop && m->should_stop(m->stop_ctx))
                rc = lq_error_set(err, LQ_ETRANSIENT, "fetching %s: cancelled (stopping)",
                                  m->url);
            else if (ctx.auth_failed)
                rc = lq_error_set(err, LQ_ERROR, "fetching %s: authentication failed (the server "
                                  "refused the token, or none is configured)", m->url);
            else if (klass != GIT_ERROR_ODB && klass != GIT_ERROR_ZLIB &&
                     klass != GIT_ERROR_OBJECT && klass != GIT_ERROR_INDEXER &&
                     klass != GIT_ERROR_REFERENCE && klass != GIT_ERROR_REPOSITORY &&
                     mirror_sound(m->repo, 1))
                /* Network, HTTP, TLS, connect: the mirror is fine, the remote was not. */
                rc = lq_error_set(err, LQ_ETRANSIENT, "fetching %s: %s", m->url, why);
            else
                rc = lq_error_set(err, LQ_ECONFLICT, "fetching %s into %s: %s", m->url,
                                  m->path, why);
        } else if (stats) {
            const git_indexer_progress *p = git_remote_stats(remote);
            stats->received_objects = p->received_objects;
            stats->received_bytes = (unsigned long)p->received_bytes;
            stats->updated_refs = ctx.updated;
        }
        if (hdr) {
            memset(hdr, 0, strlen(hdr));
            free(hdr);
        }
    }
    git_remote_free(remote);
    for (size_t i = 0; i < ns; i++)
        free(specs[i]);
    free(specs);
    return rc;
}

int lq_mirror_fetch(lq_mirror *m, const int *pulls, size_t pull_count, lq_mirror_stats *stats,
                    lq_error *err)
{
    return lq_mirror_fetch_branches(m, NULL, 0, pulls, pull_count, stats, err);
}

int lq_mirror_fetch_branches(lq_mirror *m, const char *const *branches, size_t branch_count,
                             const int *pulls, size_t pull_count, lq_mirror_stats *stats,
                             lq_error *err)
{
    lq_mirror_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    if (!m)
        return lq_error_set(err, LQ_EINVAL, "no mirror");
    for (size_t i = 0; branches && i < branch_count; i++) {
        int valid = 0;
        char ref[600];
        snprintf(ref, sizeof ref, "refs/heads/%.500s", branches[i] ? branches[i] : "");
        if (!branches[i] || !*branches[i] || strlen(branches[i]) > 500 ||
            git_reference_name_is_valid(&valid, ref) < 0 || !valid || strchr(branches[i], '*'))
            return lq_error_set(err, LQ_EINVAL, "bad branch name \"%.100s\"",
                                branches[i] ? branches[i] : "");
    }
    int rc = LQ_OK;
    /* Checked before every fetch, not only on open: never negotiate from a broken mirror. */
    if (!m->repo || !mirror_sound(m->repo, 1))
        rc = recreate(m, err);
    if (rc)
        return rc;
    stats->recreated = m->created;
    stats->full = m->created;
    rc = fetch_once(m, branches, branch_count, pulls, pull_count, stats, err);
    if (rc == LQ_ECONFLICT) {
        /* The mirror's side failed (corrupt objects or refs): never trust it, start over. */
        int rrc = recreate(m, err);
        if (rrc)
            return rrc;
        stats->recreated = stats->full = 1;
        rc = fetch_once(m, branches, branch_count, pulls, pull_count, stats, err);
        if (rc == LQ_ECONFLICT)
            rc = LQ_ERROR;
    }
    if (rc == LQ_OK) {
        m->created = 0;
        lq_error cerr = {0};
        size_t merged = 0;
        if (compact_packs(m, &merged, &cerr)) {
            /* The pack files are intact (deleted only after the new pack was written), but if
             * the reopen failed the handle is gone: the next fetch re-creates the mirror. */
            if (!m->repo)
                return lq_error_set(err, LQ_ERROR, "%s", cerr.msg);
        }
        stats->packs_merged = merged;
    }
    return rc;
}

/* ---------------------------------------------------------------- push */

typedef struct push_ctx {
    fetch_ctx f;
    char rejected[200];
    char why[200];
} push_ctx;

static int on_push_credentials(git_credential **out, const char *url, const char *user_from_url,
                               unsigned int allowed, void *payload)
{
    return on_credentials(out, url, user_from_url, allowed, &((push_ctx *)payload)->f);
}

static int on_push_ref(const char *refname, const char *status, void *payload)
{
    push_ctx *c = payload;
    if (status && !c->rejected[0]) {
        snprintf(c->rejected, sizeof c->rejected, "%s", refname);
        snprintf(c->why, sizeof c->why, "%s", status);
    }
    return 0;
}

int lq_mirror_push(lq_mirror *m, const char *const *refspecs, size_t n, lq_error *err)
{
    if (!m || !m->repo)
        return lq_error_set(err, LQ_EINVAL, "no mirror");
    if (n == 0)
        return LQ_OK;
    for (size_t i = 0; i < n; i++) {
        git_refspec *rs = NULL;
        if (!refspecs[i] || git_refspec_parse(&rs, refspecs[i], 0) < 0)
            return lq_error_set(err, LQ_EINVAL, "bad refspec \"%.200s\"", refspecs[i] ? refspecs[i] : "");
        git_refspec_free(rs);
    }
    git_remote *remote = NULL;
    git_remote_create_options ro;
    git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
    ro.repository = m->repo;
    ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    if (git_remote_create_with_opts(&remote, m->url, &ro) < 0)
        return lq_error_set(err, LQ_ERROR, "bad remote URL for the mirror: %s", git_msg());
    push_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.f.m = m;
    ctx.f.token = m->token;
    git_push_options po;
    git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
    po.callbacks.credentials = on_push_credentials;
    po.callbacks.push_update_reference = on_push_ref;
    po.callbacks.payload = &ctx;
    po.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
    char *hdr = NULL;
    if (m->token && !strncmp(m->url, "http", 4)) {
        if (!(hdr = auth_header(m->token))) {
            git_remote_free(remote);
            return lq_error_set(err, LQ_ENOMEM, "out of memory");
        }
        po.custom_headers.strings = &hdr;
        po.custom_headers.count = 1;
        ctx.f.header_sent = 1;
    }
    git_strarray specs = {(char **)refspecs, n};
    int rc = LQ_OK;
    if (git_remote_push(remote, &specs, &po) < 0) {
        if (ctx.f.auth_failed)
            rc = lq_error_set(err, LQ_ERROR, "pushing to %s: authentication failed (the server refused "
                              "the token, or none is configured)", m->url);
        else if (ctx.rejected[0])
            rc = lq_error_set(err, LQ_ECONFLICT, "the server rejected %s: %s", ctx.rejected, ctx.why);
        else
            rc = lq_error_set(err, LQ_ETRANSIENT, "pushing to %s: %s", m->url, git_msg());
    } else if (ctx.rejected[0]) {
        rc = lq_error_set(err, LQ_ECONFLICT, "the server rejected %s: %s", ctx.rejected, ctx.why);
    }
    if (hdr) {
        memset(hdr, 0, strlen(hdr));
        free(hdr);
    }
    git_remote_free(remote);
    return rc;
}
