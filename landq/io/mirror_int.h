/* mirror_int.h -- the mirror's representation, shared by mirror.c (open, check, re-create),
 * mirror_fetch.c, mirror_push.c, mirror_auth.c (credentials for the remote) and mirror_pack.c
 * (pack compaction). Not for other modules: use mirror.h. */
#ifndef LQ_MIRROR_INT_H
#define LQ_MIRROR_INT_H

#include <git2.h>
#include <stddef.h>

#include "error.h"
#include "mirror.h"

struct lq_mirror {
    int (*should_stop)(void *ctx);
    void *stop_ctx;
    char *path;
    char *url;
    char *token;
    git_repository *repo;
    int created; /* created (or re-created) since the last fetch: the next fetch is full */
};

static inline const char *git_msg(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

typedef struct fetch_ctx {
    const lq_mirror *m;
    const char *token;
    int header_sent; /* the token already went in an Authorization header */
    int cred_calls;
    int auth_failed;
    unsigned long updated;
} fetch_ctx;

/* mirror.c: every branch (and pull ref, unless heads_only) must point at a commit whose tree
 * reads back. */
int lq_mirror_sound(git_repository *repo, int heads_only);
/* mirror.c: removes the mirror's directory and creates an empty one (the next fetch is full). */
int lq_mirror_recreate(lq_mirror *m, lq_error *err);
/* mirror_pack.c: merges the small packs (LQ_OK also when nothing was to do); *merged = packs
 * merged. */
int lq_mirror_compact(lq_mirror *m, size_t *merged, lq_error *err);
/* mirror_auth.c: the "Authorization: Basic ..." header for token (caller frees and wipes). */
char *lq_mirror_auth_header(const char *token);
/* mirror_auth.c: libgit2's credentials callback; payload is a fetch_ctx. One try. */
int lq_mirror_on_credentials(git_credential **out, const char *url, const char *user_from_url,
                             unsigned int allowed, void *payload);

#endif
