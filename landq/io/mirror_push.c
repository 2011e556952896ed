/* mirror_push.c -- pushing refspecs from the mirror to the remote (try branches). */
#include "mirror_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct push_ctx {
    fetch_ctx f;
    char rejected[200];
    char why[200];
} push_ctx;

static int on_push_credentials(git_credential **out, const char *url, const char *user_from_url,
                               unsigned int allowed, void *payload)
{
    return lq_mirror_on_credentials(out, url, user_from_url, allowed,
                                    &((push_ctx *)payload)->f);
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
        if (!(hdr = lq_mirror_auth_header(m->token))) {
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
