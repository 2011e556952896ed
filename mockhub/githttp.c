/* githttp.c -- git smart HTTP at /{owner}/{repo}.git/... by delegating to `git http-backend`
 * (CGI), with GitHub's token auth (Basic, any user name, the token as password). A push
 * (receive-pack) runs under the state lock; refs are compared before and after so that branch
 * updates go through mh_on_ref_update (push and pull_request synchronize webhooks). */
#include "mockhub.h"

#include <errno.h>
#include <microhttpd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static struct MHD_Response *text_response(int *status, int code, const char *text)
{
    *status = code;
    return MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
}

static json_t *snapshot_heads(mh_repo *r)
{
    json_t *o = json_object();
    git_reference_iterator *it = NULL;
    if (git_reference_iterator_new(&it, r->git) < 0)
        return o;
    git_reference *ref;
    while (git_reference_next(&ref, it) == 0) {
        const git_oid *t = git_reference_target(ref);
        const char *name = git_reference_name(ref);
        if (t && (!strncmp(name, "refs/heads/", 11) || !strncmp(name, "refs/tags/", 10)))
            json_object_set_new(o, name, json_string(git_oid_tostr_s(t)));
        git_reference_free(ref);
    }
    git_reference_iterator_free(it);
    return o;
}

typedef struct {
    mh_buf q;
} qs_ctx;

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    qs_ctx *q = cls;
    mh_buf_printf(&q->q, "%s%s%s%s", q->q.len ? "&" : "", key, value ? "=" : "", value ? value : "");
    return MHD_YES;
}

static int run_cgi(char **env, const char *body, size_t len, mh_buf *out)
{
    char tmpl[] = "/tmp/mockhub-git-XXXXXX";
    int in = mkstemp(tmpl);
    if (in < 0)
        return -1;
    unlink(tmpl);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(in, body + off, len - off);
        if (w <= 0) {
            close(in);
            return -1;
        }
        off += (size_t)w;
    }
    lseek(in, 0, SEEK_SET);
    int pipefd[2];
    if (pipe(pipefd) < 0) {
        close(in);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in, 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_addclose(&fa, pipefd[0]);
    char *argv[] = {"git", "http-backend", NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "git", &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    close(in);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        return -1;
    }
    char buf[65536];
    ssize_t n;
    while ((n = read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            mh_buf_put(out, buf, (size_t)n);
    close(pipefd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return 0;
}

void mh_git_http(void *connection, const char *method, const char *url, const char *body,
                 size_t body_len, void **resp_out, int *status_out)
{
    struct MHD_Connection *conn = connection;
    /* /{owner}/{repo}.git/rest */
    char owner[128], name[256];
    const char *p = url + 1, *s1 = strchr(p, '/');
    const char *s2 = strchr(s1 + 1, '/');
    snprintf(owner, sizeof owner, "%.*s", (int)(s1 - p), p);
    size_t nl = s2 ? (size_t)(s2 - s1 - 1) : strlen(s1 + 1);
    snprintf(name, sizeof name, "%.*s", (int)(nl - 4), s1 + 1);
    const char *rest = s2 ? s2 : "";
    qs_ctx qs;
    mh_buf_init(&qs.q);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_arg, &qs);
    int push = strstr(rest, "git-receive-pack") || (qs.q.ptr && strstr(qs.q.ptr, "git-receive-pack"));

    pthread_mutex_lock(&g_mh->lock);
    mh_repo *r = mh_repo_find(owner, name);
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    mh_user *u = NULL;
    int bad = 0;
    if (auth && strncasecmp(auth, "basic ", 6) == 0) {
        size_t n;
        unsigned char *dec = mh_base64_decode(auth + 6, &n);
        char *colon = dec ? strchr((char *)dec, ':') : NULL;
        u = mh_user_by_token(colon ? colon + 1 : dec ? (char *)dec : "");
        bad = !u;
        free(dec);
    } else if (auth && (strncasecmp(auth, "bearer ", 7) == 0 || strncasecmp(auth, "token ", 6) == 0)) {
        u = mh_user_by_token(strchr(auth, ' ') + 1);
        bad = !u;
    }
    int role = r ? mh_repo_role(r, u) : 0;
    if (bad || (!u && (!r || role < 1 || push))) {
        pthread_mutex_unlock(&g_mh->lock);
        mh_buf_dispose(&qs.q);
        struct MHD_Response *resp = text_response(status_out, 401, bad ? "Invalid username or token.\n" : "Authentication required\n");
        MHD_add_response_header(resp, "WWW-Authenticate", "Basic realm=\"GitHub\"");
        mh_log("info", "decision", "why=git-auth-required path=%s bad_token=%d", url, bad);
        *resp_out = resp;
        return;
    }
    if (!r || role < 1) {
        pthread_mutex_unlock(&g_mh->lock);
        mh_buf_dispose(&qs.q);
        *resp_out = text_response(status_out, 404, "Repository not found.\n");
        return;
    }
    if (push && role < 3) {
        pthread_mutex_unlock(&g_mh->lock);
        mh_buf_dispose(&qs.q);
        mh_log("info", "decision", "why=git-push-permission repo=%s user=%s role=%s", r->full_name, u->login, mh_role_name(role));
        *resp_out = text_response(status_out, 403, "Permission to repository denied.\n");
        return;
    }
    char root[4096], path_info[4096];
    snprintf(root, sizeof root, "%s/repos", g_mh->state_dir);
    snprintf(path_info, sizeof path_info, "/%s/%s.git%s", r->owner->login, r->name, rest);
    json_t *before = push ? snapshot_heads(r) : NULL;
    if (!push)
        pthread_mutex_unlock(&g_mh->lock);

    char *env[24];
    int ne = 0;
    char e[16][4200];
    const char *ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    const char *cenc = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Encoding");
    const char *gproto = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Git-Protocol");
    snprintf(e[0], sizeof e[0], "GIT_PROJECT_ROOT=%s", root);
    snprintf(e[1], sizeof e[1], "PATH_INFO=%s", path_info);
    snprintf(e[2], sizeof e[2], "REQUEST_METHOD=%s", method);
    snprintf(e[3], sizeof e[3], "QUERY_STRING=%s", qs.q.ptr ? qs.q.ptr : "");
    snprintf(e[4], sizeof e[4], "CONTENT_TYPE=%s", ctype ? ctype : "");
    snprintf(e[5], sizeof e[5], "CONTENT_LENGTH=%zu", body_len);
    snprintf(e[6], sizeof e[6], "GIT_HTTP_EXPORT_ALL=1");
    snprintf(e[7], sizeof e[7], "REMOTE_USER=%s", u ? u->login : "");
    snprintf(e[8], sizeof e[8], "REMOTE_ADDR=127.0.0.1");
    snprintf(e[9], sizeof e[9], "HTTP_CONTENT_ENCODING=%s", cenc ? cenc : "");
    snprintf(e[10], sizeof e[10], "GIT_PROTOCOL=%s", gproto ? gproto : "");
    snprintf(e[11], sizeof e[11], "PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    snprintf(e[12], sizeof e[12], "GIT_CONFIG_NOSYSTEM=1");
    snprintf(e[13], sizeof e[13], "GIT_CONFIG_GLOBAL=/dev/null");
    snprintf(e[14], sizeof e[14], "HOME=/nonexistent");
    for (int i = 0; i < 15; i++)
        env[ne++] = e[i];
    env[ne] = NULL;
    mh_buf out;
    mh_buf_init(&out);
    int rc = run_cgi(env, body, body_len, &out);
    mh_buf_dispose(&qs.q);
    if (push) {
        json_t *after = snapshot_heads(r);
        const char *k;
        json_t *v;
        json_object_foreach(after, k, v) {
            json_t *old = json_object_get(before, k);
            if (old && json_equal(old, v))
                continue;
            git_oid o, n;
            git_oid_fromstr(&n, json_string_value(v));
            if (old)
                git_oid_fromstr(&o, json_string_value(old));
            int forced = old && !mh_git_is_ancestor(r, &o, &n);
            mh_on_ref_update(r, k, old ? &o : NULL, &n, u, forced);
        }
        json_object_foreach(before, k, v) {
            if (!json_object_get(after, k)) {
                git_oid o;
                git_oid_fromstr(&o, json_string_value(v));
                mh_on_ref_update(r, k, &o, NULL, u, 0);
            }
        }
        json_decref(after);
        json_decref(before);
        pthread_mutex_unlock(&g_mh->lock);
    }
    if (rc < 0 || !out.ptr) {
        mh_buf_dispose(&out);
        *resp_out = text_response(status_out, 500, "git http-backend failed\n");
        return;
    }
    /* split CGI headers from the body */
    char *sep = strstr(out.ptr, "\r\n\r\n");
    size_t hl = 4;
    char *sep2 = strstr(out.ptr, "\n\n");
    if (!sep || (sep2 && sep2 < sep)) {
        sep = sep2;
        hl = 2;
    }
    int status = 200;
    struct MHD_Response *resp;
    if (!sep) {
        resp = MHD_create_response_from_buffer(out.len, out.ptr, MHD_RESPMEM_MUST_COPY);
    } else {
        size_t boff = (size_t)(sep - out.ptr) + hl;
        resp = MHD_create_response_from_buffer(out.len - boff, out.ptr + boff, MHD_RESPMEM_MUST_COPY);
        *sep = '\0';
        char *save = NULL;
        for (char *line = strtok_r(out.ptr, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
            char *colon = strchr(line, ':');
            if (!colon)
                continue;
            *colon = '\0';
            char *val = colon + 1;
            while (*val == ' ')
                val++;
            if (!strcasecmp(line, "Status"))
                status = atoi(val);
            else
                MHD_add_response_header(resp, line, val);
        }
    }
    mh_buf_dispose(&out);
    *status_out = status;
    *resp_out = resp;
}
