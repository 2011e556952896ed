/* mirror_fetch.c -- the mirror's incremental fetch (branches, refs/pull/N/head), re-creating
 * the mirror once when its side of the fetch fails. */
#include "mirror_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"

#define MAX_PULL_REFS 4096

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
        specs[ns++] = lq_strdup("+refs/heads/*:refs/heads/*");
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
        specs[ns++] = lq_strdup(buf);
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
        fo.callbacks.credentials = lq_mirror_on_credentials;
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
            if (!(hdr = lq_mirror_auth_header(m->token))) {
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
                     lq_mirror_sound(m->repo, 1))
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
    if (!m->repo || !lq_mirror_sound(m->repo, 1))
        rc = lq_mirror_recreate(m, err);
    if (rc)
        return rc;
    stats->recreated = m->created;
    stats->full = m->created;
    rc = fetch_once(m, branches, branch_count, pulls, pull_count, stats, err);
    if (rc == LQ_ECONFLICT) {
        /* The mirror's side failed (corrupt objects or refs): never trust it, start over. */
        int rrc = lq_mirror_recreate(m, err);
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
        if (lq_mirror_compact(m, &merged, &cerr)) {
            /* The pack files are intact (deleted only after the new pack was written), but if
             * the reopen failed the handle is gone: the next fetch re-creates the mirror. */
            if (!m->repo)
                return lq_error_set(err, LQ_ERROR, "%s", cerr.msg);
        }
        stats->packs_merged = merged;
    }
    return rc;
}

