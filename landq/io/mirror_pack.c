/* mirror_pack.c -- the mirror's pack compaction after a fetch (libgit2 has no gc). */
#include "mirror_int.h"

#include <dirent.h>
#include <git2/sys/odb_backend.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COMPACT_PACKS 24 /* more packs than this after a fetch: merge all but the largest */

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
int lq_mirror_compact(lq_mirror *m, size_t *merged, lq_error *err)
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
