/* mirror: a bare local mirror of one GitHub repository, kept with libgit2.
 *
 * Layout: MIRROR_DIR/OWNER/NAME.git (lq_mirror_path), by default MIRROR_DIR = DB_DIR/mirrors.
 * The mirror holds the branches (refs/heads/...) and the refs/pull/{n}/head refs asked for; it is fetched over
 * HTTP(S) with the API token as the Basic-auth password (user "x-access-token", as GitHub
 * accepts), or from a local path / file:// URL (tests, benchmark). Fetches are incremental: the
 * first one downloads everything, later ones only the objects the mirror does not have yet
 * (libgit2 negotiates with the mirror's refs). Tags are not fetched.
 *
 * Each fetch adds a pack; past a few dozen, the small ones are merged into one (libgit2 has no
 * gc, and lookups slow down with every pack).
 *
 * Never trusted: on open the mirror must be a bare repository landq created (a marker file
 * "landq-mirror" in it), open cleanly, and every branch it holds must resolve to a commit whose
 * tree is readable; otherwise the directory is removed and re-created (empty, so the next fetch
 * is a full one). A fetch failing for a reason other than the network (corrupt pack, missing
 * object) also re-creates it and fetches once more. A directory without the marker is never
 * deleted: opening fails instead (someone pointed mirror_dir at a real repository).
 *
 * The remote URL and the token live only in memory: nothing is written to the mirror's config.
 * Ownership: lq_mirror owns its repository handle; lq_mirror_repo() lends it. One thread at a
 * time per mirror. lq_mirror_open() calls git_libgit2_init(), lq_mirror_free() the shutdown. */
#ifndef LQ_MIRROR_H
#define LQ_MIRROR_H

#include <git2.h>
#include <stddef.h>

#include "error.h"

typedef struct lq_mirror lq_mirror;

typedef struct lq_mirror_config {
    const char *path;  /* the bare repository directory (created with parents when missing) */
    const char *url;   /* http(s):// URL, file:// URL or local path of the remote repository */
    const char *token; /* Basic-auth password for http(s); NULL/"" = anonymous */
    /* Optional: polled during a fetch; non-zero cancels it (LQ_ETRANSIENT), e.g. on shutdown. */
    int (*should_stop)(void *ctx);
    void *stop_ctx;
} lq_mirror_config;

typedef struct lq_mirror_stats {
    unsigned long received_objects; /* objects downloaded by the last fetch */
    unsigned long received_bytes;   /* pack bytes downloaded by the last fetch */
    unsigned long updated_refs;     /* refs created or moved by the last fetch */
    int recreated;                  /* the mirror was re-created (corrupt/missing/first use) */
    int full;                       /* the fetch started from an empty mirror */
    unsigned long packs_merged;     /* small packs merged into one after the fetch (see .c) */
} lq_mirror_stats;

/* Opens (checking it) or creates the mirror. LQ_ERROR with the reason (and path) when the
 * directory cannot be used. *out owned by the caller (lq_mirror_free). */
int lq_mirror_open(lq_mirror **out, const lq_mirror_config *cfg, lq_error *err);
void lq_mirror_free(lq_mirror *m); /* NULL-safe */

/* Fetches every branch (refs/heads/... into refs/heads/...) and refs/pull/{n}/head for each pulls[i] > 0.
 * A pull ref the remote does not have is skipped. stats may be NULL.
 * LQ_ETRANSIENT on network/HTTP failures (retry later), LQ_ERROR on authentication failure or
 * when the mirror stays broken after re-creating it. */
int lq_mirror_fetch(lq_mirror *m, const int *pulls, size_t pull_count, lq_mirror_stats *stats,
                    lq_error *err);

/* The same, limited to the given branches (names without "refs/heads/"; a monorepo has many
 * feature branches landq never needs). LQ_EINVAL for a malformed branch name. */
int lq_mirror_fetch_branches(lq_mirror *m, const char *const *branches, size_t branch_count,
                             const int *pulls, size_t pull_count, lq_mirror_stats *stats,
                             lq_error *err);

/* Pushes refspecs to the remote as `git push` does (smart HTTP with the token as the Basic-auth
 * password, or a local path): "+refs/landq/try/X:refs/heads/landq/try/X" (the source must be a
 * ref of the mirror), ":refs/heads/landq/try/X" deletes. All of them must be accepted: LQ_ECONFLICT
 * names the first ref the server rejected and why; LQ_ETRANSIENT on network/HTTP failures,
 * LQ_ERROR on authentication failure; LQ_EINVAL for a malformed refspec. Deleting a branch that
 * does not exist succeeds (the server reports nothing to do). */
int lq_mirror_push(lq_mirror *m, const char *const *refspecs, size_t n, lq_error *err);

/* The repository (borrowed; valid until the next lq_mirror_fetch or lq_mirror_free, which may
 * re-create it). */
git_repository *lq_mirror_repo(lq_mirror *m);
const char *lq_mirror_dir(const lq_mirror *m);

/* MIRROR_DIR/OWNER/NAME.git for repo "OWNER/NAME" (rejecting "..", empty parts and extra '/').
 * *out owned by the caller (free()). LQ_EINVAL on a malformed repo name. */
int lq_mirror_path(char **out, const char *mirror_dir, const char *repo, lq_error *err);

/* The git URL of repo "OWNER/NAME" from the REST API base URL: https://api.github.com ->
 * https://github.com/OWNER/NAME.git, https://HOST/api/v3 -> https://HOST/OWNER/NAME.git (GitHub
 * Enterprise Server), anything else (mockhub) -> API_URL/OWNER/NAME.git. *out owned (free()). */
int lq_mirror_url_from_api(char **out, const char *api_url, const char *repo, lq_error *err);

#endif
