/* CODEOWNERS parser and compiled matcher.
 *
 * Parsing follows GitHub's rules plus landq's decisions (docs/codeowners.md, section 11).
 * Matching compiles every valid pattern into one automaton over path segments: a trie whose
 * edges are literal segments (hash lookup), `*SUFFIX` / `PREFIX*` segments (hash lookup per
 * distinct affix length), a single `*` edge, generic glob edges, and `**` nodes that loop on any
 * segment. A path is matched by stepping the set of live states through its segments (an NFA
 * simulation); the answer is the highest rule index among accepting states (last match wins).
 * The state set after each directory prefix is cached per thread (lq_codeowners_cache), so a
 * file costs one hash lookup for its directory plus one step for its name. */
#include "codeowners.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const lq_codeowners_locations[3] = {".github/CODEOWNERS", "CODEOWNERS",
                                                "docs/CODEOWNERS"};

#define NONE UINT32_MAX

/* ---------- small arena: owns every string of a ruleset ---------- */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
} arena_block;

typedef struct {
    arena_block *head;
} arena;

static void *arena_alloc(arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        arena_block *b = malloc(sizeof(*b) + cap);
        if (!b)
            return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

static char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static void arena_dispose(arena *a)
{
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

/* ---------- hashing and an edge table keyed by (node, bytes) ---------- */

static uint64_t hash_bytes(uint64_t seed, const char *s, size_t n)
{
    /* FNV-1a over 8-byte words where possible; good enough and fast for short segments. */
    uint64_t h = 1469598103934665603ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 1099511628211ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    h ^= h >> 32;
    return h * 0x9E3779B97F4A7C15ULL;
}

/* 32 bytes per slot; value 0 marks an empty slot (the root, node 0, is never a child). Keys of
 * up to 8 bytes are compared through key8 alone, without touching the key store. */
typedef struct {
    uint32_t hash;
    uint32_t keylen;
    uint32_t node;
    uint32_t value;      /* the child node */
    int32_t child_full;  /* the child's full-path acceptance (with its double-star closure) */
    uint32_t key_off;    /* into edge_table.keys */
    uint64_t key8;       /* first 8 bytes of the key, zero padded */
} edge_slot;

typedef struct {
    edge_slot *slots; /* owned */
    size_t cap, count;
    char *keys; /* owned: every key, back to back */
    size_t keys_len, keys_cap;
} edge_table;

static inline uint64_t load8(const char *p, size_t n)
{
    uint64_t w = 0;
    memcpy(&w, p, n < 8 ? n : 8);
    return w;
}

static int edge_table_grow(edge_table *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 64;
    edge_slot *ns = calloc(ncap, sizeof(*ns));
    if (!ns)
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        edge_slot *s = &t->slots[i];
        if (!s->value)
            continue;
        size_t j = s->hash & (ncap - 1);
        while (ns[j].value)
            j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    return 0;
}

/* Slot hash of (node, key) from the key's own hash, so a segment is hashed once per step and
 * then looked up under many nodes. */
static inline uint32_t edge_hash(uint32_t node, uint64_t keyhash)
{
    uint64_t h = keyhash ^ ((uint64_t)node * 0xC2B2AE3D27D4EB4FULL);
    h ^= h >> 31;
    return (uint32_t)((h * 0x9E3779B97F4A7C15ULL) >> 32);
}

static const edge_slot *edge_table_find(const edge_table *t, uint32_t node, const char *key,
                                        size_t len, uint64_t keyhash)
{
    if (!t->cap)
        return NULL;
    uint32_t h = edge_hash(node, keyhash);
    uint64_t k8 = load8(key, len);
    size_t j = h & (t->cap - 1);
    for (;;) {
        const edge_slot *s = &t->slots[j];
        if (!s->value)
            return NULL;
        if (s->hash == h && s->node == node && s->keylen == len && s->key8 == k8 &&
            (len <= 8 || !memcmp(t->keys + s->key_off + 8, key + 8, len - 8)))
            return s;
        j = (j + 1) & (t->cap - 1);
    }
}

static uint32_t edge_table_get(const edge_table *t, uint32_t node, const char *key, size_t len,
                               uint64_t keyhash)
{
    const edge_slot *s = edge_table_find(t, node, key, len, keyhash);
    return s ? s->value : NONE;
}

/* Returns 0, or -1 on allocation failure. */
static int edge_table_put(edge_table *t, uint32_t node, const char *key, size_t len, uint32_t value)
{
    if ((t->count + 1) * 2 > t->cap && edge_table_grow(t) != 0)
        return -1;
    if (t->keys_len + len > t->keys_cap) {
        size_t nc = t->keys_cap ? t->keys_cap : 4096;
        while (nc < t->keys_len + len)
            nc *= 2;
        char *nk = realloc(t->keys, nc);
        if (!nk)
            return -1;
        t->keys = nk;
        t->keys_cap = nc;
    }
    memcpy(t->keys + t->keys_len, key, len);
    uint32_t h = edge_hash(node, hash_bytes(0, key, len));
    size_t j = h & (t->cap - 1);
    while (t->slots[j].value)
        j = (j + 1) & (t->cap - 1);
    t->slots[j] = (edge_slot){h, (uint32_t)len, node, value, -1, (uint32_t)t->keys_len,
                              load8(key, len)};
    t->keys_len += len;
    t->count++;
    return 0;
}

/* ---------- segment globs ---------- */

/* A compiled segment: items are literal bytes, '*' (G_STAR) or '?' (G_ANY). */
enum { SEG_LITERAL, SEG_ANY, SEG_SUFFIX, SEG_PREFIX, SEG_GLOB, SEG_STARSTAR };

#define G_STAR 0x100
#define G_ANY 0x101

typedef struct {
    uint16_t *items; /* arena */
    uint32_t count;
} glob;

/* Matches one path segment against glob items ('*' never crosses '/', segments contain none). */
static int glob_match(const uint16_t *g, size_t gn, const char *s, size_t sn)
{
    size_t gi = 0, si = 0, star_g = SIZE_MAX, star_s = 0;
    while (si < sn) {
        if (gi < gn && g[gi] == G_STAR) {
            star_g = ++gi;
            star_s = si;
        } else if (gi < gn && (g[gi] == G_ANY || g[gi] == (unsigned char)s[si])) {
            gi++;
            si++;
        } else if (star_g != SIZE_MAX) {
            gi = star_g;
            si = ++star_s;
        } else {
            return 0;
        }
    }
    while (gi < gn && g[gi] == G_STAR)
        gi++;
    return gi == gn;
}

/* ---------- automaton ---------- */

#define BLOOM_BIT(keyhash) ((uint64_t)1 << ((keyhash) >> 58))

typedef struct {
    uint32_t glob; /* index into co->globs */
    uint32_t child;
} glob_edge;

typedef struct {
    /* One bit per literal / affix child, indexed by the top bits of the key's hash: most
     * lookups at a node miss, and this rejects them without touching the big edge tables. */
    uint64_t lit_bloom, affix_bloom;
    uint64_t suffix_mask;    /* bit L: a `*SUFFIX` child with a suffix of L (< 64) bytes */
    uint64_t prefix_mask;
    uint32_t any_child;      /* edge for a segment that is exactly `*` */
    uint32_t starstar;       /* epsilon edge to a `**` node */
    uint32_t glob_edges;     /* index of first entry in co->gedges (linked by gnext) */
    uint32_t suffix_lens;    /* longer affix lengths: index into co->lens lists (NONE if empty) */
    uint32_t prefix_lens;
    int32_t accept_full;     /* highest rule accepting when the path ends here */
    int32_t accept_prefix;   /* highest rule accepting when more segments follow */
    int32_t full_closure;    /* max accept_full over this node and its double-star chain */
    uint8_t self_loop;       /* a `**` node: stays live on any segment */
    uint8_t has_literal;
} co_node;

typedef struct {
    unsigned line;
    const char *pattern; /* as written (escapes kept), arena */
    lq_owner *owners;    /* arena */
    size_t owner_count;
} co_rule;

/* Small growable arrays. */
#define VEC(T) struct { T *v; size_t n, cap; }
#define VEC_PUSH(vec, val, fail)                                                                   \
    do {                                                                                           \
        if ((vec).n == (vec).cap) {                                                                \
            size_t nc_ = (vec).cap ? (vec).cap * 2 : 16;                                           \
            void *nv_ = realloc((vec).v, nc_ * sizeof(*(vec).v));                                  \
            if (!nv_)                                                                              \
                goto fail;                                                                         \
            (vec).v = nv_;                                                                         \
            (vec).cap = nc_;                                                                       \
        }                                                                                          \
        (vec).v[(vec).n++] = (val);                                                                \
    } while (0)

typedef struct {
    uint32_t len;
    uint32_t next; /* next entry of the same node's list, or NONE */
} len_entry;

typedef struct {
    glob_edge e;
    uint32_t next;
} gedge_entry;

struct lq_codeowners {
    arena mem;
    VEC(co_rule) rules;
    VEC(lq_codeowners_error) errors;
    VEC(co_node) nodes;
    VEC(glob) globs;
    VEC(gedge_entry) gedges;
    VEC(len_entry) lens;
    edge_table literal, suffix, prefix;
};

static uint32_t node_new(lq_codeowners *co)
{
    co_node n = {.any_child = NONE,
                 .starstar = NONE,
                 .glob_edges = NONE,
                 .suffix_lens = NONE,
                 .prefix_lens = NONE,
                 .accept_full = -1,
                 .accept_prefix = -1,
                 .full_closure = -1};
    VEC_PUSH(co->nodes, n, fail);
    return (uint32_t)(co->nodes.n - 1);
fail:
    return NONE;
}

/* Adds len to a node's affix length list (kept unique). */
static int lens_add(lq_codeowners *co, uint32_t *head, uint32_t len)
{
    for (uint32_t i = *head; i != NONE; i = co->lens.v[i].next)
        if (co->lens.v[i].len == len)
            return 0;
    len_entry e = {len, *head};
    VEC_PUSH(co->lens, e, fail);
    *head = (uint32_t)(co->lens.n - 1);
    return 0;
fail:
    return -1;
}

/* ---------- pattern compilation ---------- */

typedef struct {
    int kind;
    const char *lit; /* SEG_LITERAL/SUFFIX/PREFIX: unescaped bytes (arena) */
    size_t lit_len;
    uint16_t *items; /* SEG_GLOB */
    size_t item_count;
} seg_spec;

/* Compiles segment text [s, s+n) (escapes kept) into spec. Returns 0 or -1 (no memory). */
static int seg_compile(lq_codeowners *co, const char *s, size_t n, seg_spec *out)
{
    uint16_t *items = arena_alloc(&co->mem, (n + 1) * sizeof(uint16_t));
    if (!items)
        return -1;
    size_t k = 0, stars = 0, qmarks = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' && i + 1 < n) {
            items[k++] = (unsigned char)s[++i];
        } else if (c == '*') {
            if (k == 0 || items[k - 1] != G_STAR) { /* runs of '*' collapse inside a segment */
                items[k++] = G_STAR;
                stars++;
            }
        } else if (c == '?') {
            items[k++] = G_ANY;
            qmarks++;
        } else {
            items[k++] = c;
        }
    }
    memset(out, 0, sizeof(*out));
    if (n == 2 && s[0] == '*' && s[1] == '*') {
        out->kind = SEG_STARSTAR;
        return 0;
    }
    if (stars == 0 && qmarks == 0) {
        char *lit = arena_alloc(&co->mem, k + 1);
        if (!lit)
            return -1;
        for (size_t i = 0; i < k; i++)
            lit[i] = (char)items[i];
        lit[k] = '\0';
        out->kind = SEG_LITERAL;
        out->lit = lit;
        out->lit_len = k;
        return 0;
    }
    if (k == 1 && items[0] == G_STAR) {
        out->kind = SEG_ANY;
        return 0;
    }
    if (qmarks == 0 && stars == 1 && (items[0] == G_STAR || items[k - 1] == G_STAR)) {
        int suffix = items[0] == G_STAR;
        const uint16_t *src = suffix ? items + 1 : items;
        char *lit = arena_alloc(&co->mem, k);
        if (!lit)
            return -1;
        for (size_t i = 0; i + 1 < k; i++)
            lit[i] = (char)src[i];
        lit[k - 1] = '\0';
        out->kind = suffix ? SEG_SUFFIX : SEG_PREFIX;
        out->lit = lit;
        out->lit_len = k - 1;
        return 0;
    }
    out->kind = SEG_GLOB;
    out->items = items;
    out->item_count = k;
    return 0;
}

/* Returns the child of node for this segment, creating it. NONE on allocation failure. */
static uint32_t node_child(lq_codeowners *co, uint32_t node, const seg_spec *sp)
{
    uint32_t c;
    switch (sp->kind) {
    case SEG_STARSTAR:
        if (co->nodes.v[node].starstar != NONE)
            return co->nodes.v[node].starstar;
        if ((c = node_new(co)) == NONE)
            return NONE;
        co->nodes.v[c].self_loop = 1;
        co->nodes.v[node].starstar = c;
        return c;
    case SEG_ANY:
        if (co->nodes.v[node].any_child != NONE)
            return co->nodes.v[node].any_child;
        if ((c = node_new(co)) == NONE)
            return NONE;
        co->nodes.v[node].any_child = c;
        return c;
    case SEG_LITERAL:
    case SEG_SUFFIX:
    case SEG_PREFIX: {
        edge_table *t = sp->kind == SEG_LITERAL ? &co->literal
                        : sp->kind == SEG_SUFFIX ? &co->suffix
                                                 : &co->prefix;
        uint64_t kh = hash_bytes(0, sp->lit, sp->lit_len);
        c = edge_table_get(t, node, sp->lit, sp->lit_len, kh);
        if (c != NONE)
            return c;
        if ((c = node_new(co)) == NONE)
            return NONE;
        if (sp->kind == SEG_LITERAL)
            co->nodes.v[node].lit_bloom |= BLOOM_BIT(kh);
        else
            co->nodes.v[node].affix_bloom |= BLOOM_BIT(kh);
        if (edge_table_put(t, node, sp->lit, sp->lit_len, c) != 0)
            return NONE;
        if (sp->kind == SEG_LITERAL)
            co->nodes.v[node].has_literal = 1;
        else if (sp->lit_len < 64)
            *(sp->kind == SEG_SUFFIX ? &co->nodes.v[node].suffix_mask
                                     : &co->nodes.v[node].prefix_mask) |= (uint64_t)1
                                                                          << sp->lit_len;
        else if (lens_add(co, sp->kind == SEG_SUFFIX ? &co->nodes.v[node].suffix_lens
                                                     : &co->nodes.v[node].prefix_lens,
                          (uint32_t)sp->lit_len) != 0)
            return NONE;
        return c;
    }
    default: { /* SEG_GLOB: share identical globs on the same node */
        for (uint32_t i = co->nodes.v[node].glob_edges; i != NONE; i = co->gedges.v[i].next) {
            const glob *g = &co->globs.v[co->gedges.v[i].e.glob];
            if (g->count == sp->item_count &&
                !memcmp(g->items, sp->items, sp->item_count * sizeof(uint16_t)))
                return co->gedges.v[i].e.child;
        }
        if ((c = node_new(co)) == NONE)
            return NONE;
        glob g = {sp->items, (uint32_t)sp->item_count};
        VEC_PUSH(co->globs, g, fail);
        gedge_entry ge = {{(uint32_t)(co->globs.n - 1), c}, co->nodes.v[node].glob_edges};
        VEC_PUSH(co->gedges, ge, fail);
        co->nodes.v[node].glob_edges = (uint32_t)(co->gedges.n - 1);
        return c;
    }
    }
fail:
    return NONE;
}

/* Adds a validated pattern for rule index ri. Returns 0 or -1 (no memory). */
static int pattern_add(lq_codeowners *co, const char *p, size_t n, int32_t ri)
{
    /* Anchored when a '/' appears at the start or in the middle (gitignore). */
    int dir_only = n > 0 && p[n - 1] == '/' && !(n >= 2 && p[n - 2] == '\\');
    size_t end = dir_only ? n - 1 : n;
    int anchored = 0;
    for (size_t i = 0; i < end; i++) {
        if (p[i] == '\\') {
            i++;
            continue;
        }
        if (p[i] == '/')
            anchored = 1;
    }
    size_t start = (n > 0 && p[0] == '/') ? 1 : 0;

    /* Split into segments. */
    seg_spec segs[64];
    seg_spec *sv = segs;
    size_t nseg = 0, cap = 64;
    seg_spec *heap = NULL;
    int rc = -1;
    for (size_t i = start; i < end;) {
        size_t j = i;
        while (j < end && p[j] != '/') {
            if (p[j] == '\\' && j + 1 < end)
                j++;
            j++;
        }
        if (nseg == cap) {
            seg_spec *nh = realloc(heap, cap * 2 * sizeof(*nh));
            if (!nh)
                goto out;
            if (!heap)
                memcpy(nh, segs, sizeof(segs));
            heap = nh;
            sv = heap;
            cap *= 2;
        }
        if (seg_compile(co, p + i, j - i, &sv[nseg]) != 0)
            goto out;
        nseg++;
        i = j + 1;
    }

    /* A trailing double-star segment means "one or more segments below": the same as a single
     * star segment with the directory-prefix rule; with a trailing slash it still owns files
     * directly inside (landq decision 11.3). */
    int allow_full = !dir_only, allow_prefix = 1;
    if (nseg > 0 && sv[nseg - 1].kind == SEG_STARSTAR) {
        sv[nseg - 1].kind = SEG_ANY;
        allow_full = 1;
        allow_prefix = 1;
    } else if (!dir_only && nseg > 0 && sv[nseg - 1].kind == SEG_ANY && (anchored || nseg > 1)) {
        allow_prefix = 0; /* trailing slash-star: files directly inside only (CODEOWNERS) */
    }

    if (nseg == 0) { /* nothing to match (e.g. an escaped lone slash) */
        rc = 0;
        goto out;
    }
    uint32_t node = 0;
    if (!anchored) {
        seg_spec ss = {SEG_STARSTAR, NULL, 0, NULL, 0};
        if ((node = node_child(co, node, &ss)) == NONE)
            goto out;
    }
    for (size_t i = 0; i < nseg; i++)
        if ((node = node_child(co, node, &sv[i])) == NONE)
            goto out;
    co_node *nd = &co->nodes.v[node];
    if (allow_full && ri > nd->accept_full)
        nd->accept_full = ri;
    if (allow_prefix && ri > nd->accept_prefix)
        nd->accept_prefix = ri;
    rc = 0;
out:
    free(heap);
    return rc;
}

/* ---------- line parsing ---------- */

static int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* GitHub login: alphanumerics and '-', '_' (managed users), starting with an alphanumeric. */
static int valid_login(const char *s, size_t n)
{
    if (n == 0 || n > 100 || !is_alnum(s[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_')
            return 0;
    return 1;
}

static int valid_team_slug(const char *s, size_t n)
{
    if (n == 0 || n > 255 || !(is_alnum(s[0]) || s[0] == '_'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return 0;
    return 1;
}

static int valid_email(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    if (!at || at == s || memchr(at + 1, '@', n - (size_t)(at + 1 - s)))
        return 0;
    size_t ln = (size_t)(at - s), dn = n - ln - 1;
    if (s[0] == '.' || s[ln - 1] == '.')
        return 0;
    for (size_t i = 0; i < ln; i++)
        if (!is_alnum(s[i]) && !strchr(".!#$%&'*+/=?^_`{|}~-", s[i]))
            return 0;
    const char *d = at + 1;
    if (dn < 3 || d[0] == '.' || d[0] == '-' || d[dn - 1] == '.' || d[dn - 1] == '-')
        return 0;
    int dots = 0;
    for (size_t i = 0; i < dn; i++) {
        if (d[i] == '.') {
            if (d[i + 1] == '.')
                return 0;
            dots++;
        } else if (!is_alnum(d[i]) && d[i] != '-') {
            return 0;
        }
    }
    return dots > 0;
}

static char fold(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* a (NUL-terminated) equals b[0..n) case-insensitively. */
static int owner_equal_n(const char *a, const char *b, size_t n)
{
    size_t i = 0;
    for (; i < n && a[i]; i++)
        if (fold(a[i]) != fold(b[i]))
            return 0;
    return i == n && a[i] == '\0';
}

/* Classifies an owner token; returns 0 when invalid. */
static int owner_classify(const char *s, size_t n, lq_owner_kind *kind)
{
    if (n > 1 && s[0] == '@') {
        const char *slash = memchr(s + 1, '/', n - 1);
        if (!slash) {
            *kind = LQ_OWNER_USER;
            return valid_login(s + 1, n - 1);
        }
        size_t on = (size_t)(slash - s - 1);
        *kind = LQ_OWNER_TEAM;
        return valid_login(s + 1, on) && valid_team_slug(slash + 1, n - on - 2);
    }
    *kind = LQ_OWNER_EMAIL;
    return valid_email(s, n);
}

typedef struct {
    lq_codeowners *co;
    const char *line;
    size_t line_len;
    unsigned lineno;
    const char *source; /* arena copy of the line, made on first error */
} line_ctx;

static int add_error(line_ctx *lc, size_t col0, const char *kind, const char *suggestion,
                     const char *reason, const char *tok, size_t tok_len)
{
    lq_codeowners *co = lc->co;
    if (!lc->source && !(lc->source = arena_strndup(&co->mem, lc->line, lc->line_len)))
        return -1;
    /* Messages quote the offending token, capped so a huge token cannot bloat memory. */
    char buf[400];
    int tl = tok_len > 200 ? 200 : (int)tok_len;
    snprintf(buf, sizeof(buf), "%s on line %u: `%.*s` %s", kind, lc->lineno, tl, tok, reason);
    lq_codeowners_error e = {lc->lineno, (unsigned)col0 + 1, kind, lc->source,
                             arena_strndup(&co->mem, buf, strlen(buf)),
                             suggestion ? arena_strndup(&co->mem, suggestion, strlen(suggestion))
                                        : NULL};
    if (!e.message || (suggestion && !e.suggestion))
        return -1;
    VEC_PUSH(co->errors, e, fail);
    return 0;
fail:
    return -1;
}

/* Validates a pattern token; on error records it and returns 1. Returns -1 on no memory. */
static int pattern_check(line_ctx *lc, size_t col0, const char *p, size_t n)
{
    const char *why = NULL;
    char sugg[300];
    const char *suggestion = NULL;
    if (p[0] == '!')
        why = "uses negation (!), which CODEOWNERS does not support";
    else if (n >= 2 && p[0] == '\\' && p[1] == '#')
        why = "escapes a leading #, which CODEOWNERS does not support";
    else if (n == 1 && p[0] == '/') {
        why = "will never match anything";
        suggestion = "The pattern `/` will never match anything, did you mean `*` instead?";
    }
    for (size_t i = 0; !why && i < n; i++) {
        if (p[i] == '\\') {
            if (i + 1 == n)
                why = "ends with a lone backslash";
            i++;
        } else if (p[i] == '[' || p[i] == ']') {
            why = "uses a character range ([...]), which CODEOWNERS does not support";
        } else if (p[i] == '*' && i + 2 < n && p[i + 1] == '*' && p[i + 2] == '*') {
            why = "has three or more consecutive asterisks";
            /* Suggest the pattern with every run of 3+ stars reduced to `**`. */
            size_t k = 0;
            memcpy(sugg, "Did you mean `", 14);
            k = 14;
            for (size_t j = 0; j < n && k < sizeof(sugg) - 4; j++) {
                if (p[j] == '*' && j >= 2 && p[j - 1] == '*' && p[j - 2] == '*')
                    continue;
                sugg[k++] = p[j];
            }
            memcpy(sugg + k, "`?", 3);
            suggestion = sugg;
        } else if (p[i] == '/' && i + 1 < n && p[i + 1] == '/') {
            why = "has an empty path segment (//)";
        }
    }
    if (!why)
        return 0;
    return add_error(lc, col0, "Invalid pattern", suggestion, why, p, n) ? -1 : 1;
}

/* Parses one line (no terminator). Returns 0 or -1 (no memory). */
static int line_parse(lq_codeowners *co, const char *line, size_t len, unsigned lineno)
{
    line_ctx lc = {co, line, len, lineno, NULL};
    size_t i = 0;
    while (i < len && is_ws(line[i]))
        i++;
    if (i == len || line[i] == '#')
        return 0;

    /* Pattern token: up to unescaped whitespace; `\ ` keeps a space in the pattern. */
    size_t ps = i;
    while (i < len && !is_ws(line[i])) {
        if (line[i] == '\\' && i + 1 < len)
            i++;
        i++;
    }
    size_t pn = i - ps;
    int bad = pattern_check(&lc, ps, line + ps, pn);
    if (bad < 0)
        return -1;

    /* Owners, until a token starting with '#' (inline comment). */
    lq_owner owners_stack[16];
    lq_owner *owners = owners_stack;
    size_t nown = 0, ocap = 16, ntokens = 0;
    lq_owner *heap = NULL;
    int rc = -1;
    for (;;) {
        while (i < len && is_ws(line[i]))
            i++;
        if (i == len || line[i] == '#')
            break;
        size_t os = i;
        while (i < len && !is_ws(line[i]))
            i++;
        ntokens++;
        lq_owner_kind kind;
        if (!owner_classify(line + os, i - os, &kind)) {
            if (add_error(&lc, os, "Invalid owner", NULL,
                          "is not a valid user (@login), team (@org/team) or email address",
                          line + os, i - os))
                goto out;
            continue;
        }
        int dup = 0;
        for (size_t k = 0; k < nown; k++)
            if (owner_equal_n(owners[k].name, line + os, i - os))
                dup = 1;
        if (dup)
            continue;
        if (nown == ocap) {
            lq_owner *nh = realloc(heap, ocap * 2 * sizeof(*nh));
            if (!nh)
                goto out;
            if (!heap)
                memcpy(nh, owners_stack, sizeof(owners_stack));
            heap = nh;
            owners = heap;
            ocap *= 2;
        }
        owners[nown].kind = kind;
        if (!(owners[nown].name = arena_strndup(&co->mem, line + os, i - os)))
            goto out;
        nown++;
    }
    rc = 0;
    /* Skip the line when the pattern is invalid, or when owners were written but none is
     * valid: applying it would silently un-own files that earlier rules protect. */
    if (bad || (ntokens > 0 && nown == 0))
        goto out;

    co_rule r = {lineno, arena_strndup(&co->mem, line + ps, pn), NULL, nown};
    if (!r.pattern)
        goto fail;
    if (nown) {
        if (!(r.owners = arena_alloc(&co->mem, nown * sizeof(lq_owner))))
            goto fail;
        memcpy(r.owners, owners, nown * sizeof(lq_owner));
    }
    VEC_PUSH(co->rules, r, fail);
    if (pattern_add(co, line + ps, pn, (int32_t)(co->rules.n - 1)) != 0)
        goto fail;
    goto out;
fail:
    rc = -1;
out:
    free(heap);
    return rc;
}

/* Precomputes, for every edge, the acceptance of its child including the child's double-star
 * closure, so matching a file name reads only the edge slot. Children are always created after
 * their parents, so one backwards pass sees each closure complete. */
static void finalize(lq_codeowners *co)
{
    for (size_t i = co->nodes.n; i-- > 0;) {
        co_node *nd = &co->nodes.v[i];
        nd->full_closure = nd->accept_full;
        if (nd->starstar != NONE && co->nodes.v[nd->starstar].full_closure > nd->full_closure)
            nd->full_closure = co->nodes.v[nd->starstar].full_closure;
    }
    edge_table *tables[3] = {&co->literal, &co->suffix, &co->prefix};
    for (int t = 0; t < 3; t++)
        for (size_t i = 0; i < tables[t]->cap; i++)
            if (tables[t]->slots[i].value)
                tables[t]->slots[i].child_full =
                    co->nodes.v[tables[t]->slots[i].value].full_closure;
}

int lq_codeowners_parse(lq_codeowners **out, const char *text, size_t len, lq_error *err)
{
    *out = NULL;
    if (len >= LQ_CODEOWNERS_MAX_BYTES)
        return lq_error_set(err, LQ_ETOOBIG,
                            "CODEOWNERS is %zu bytes; GitHub ignores files of 3 MiB (%zu bytes) "
                            "or more, so landq refuses it",
                            len, LQ_CODEOWNERS_MAX_BYTES);
    lq_codeowners *co = calloc(1, sizeof(*co));
    if (!co || node_new(co) != 0) /* node 0: the root */
        goto nomem;
    unsigned lineno = 0;
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len;
        size_t ll = e - i;
        if (ll > 0 && text[i + ll - 1] == '\r')
            ll--;
        lineno++;
        if (line_parse(co, text + i, ll, lineno) != 0)
            goto nomem;
        i = e + 1;
    }
    finalize(co);
    *out = co;
    return LQ_OK;
nomem:
    lq_codeowners_free(co);
    return lq_error_set(err, LQ_ENOMEM, "out of memory while parsing CODEOWNERS");
}

void lq_codeowners_free(lq_codeowners *co)
{
    if (!co)
        return;
    arena_dispose(&co->mem);
    free(co->rules.v);
    free(co->errors.v);
    free(co->nodes.v);
    free(co->globs.v);
    free(co->gedges.v);
    free(co->lens.v);
    free(co->literal.slots);
    free(co->suffix.slots);
    free(co->prefix.slots);
    free(co->literal.keys);
    free(co->suffix.keys);
    free(co->prefix.keys);
    free(co);
}

size_t lq_codeowners_rule_count(const lq_codeowners *co)
{
    return co->rules.n;
}

int lq_codeowners_rule_at(const lq_codeowners *co, size_t i, unsigned *line, const char **pattern)
{
    if (i >= co->rules.n)
        return LQ_ENOTFOUND;
    *line = co->rules.v[i].line;
    *pattern = co->rules.v[i].pattern;
    return LQ_OK;
}

size_t lq_codeowners_error_count(const lq_codeowners *co)
{
    return co->errors.n;
}

const lq_codeowners_error *lq_codeowners_error_at(const lq_codeowners *co, size_t i)
{
    return i < co->errors.n ? &co->errors.v[i] : NULL;
}

/* ---------- matching ---------- */

/* A set of live states, deduplicated with per-node generation stamps (cache-owned). */
typedef struct {
    uint32_t *v;
    size_t n, cap;
} state_set;

typedef struct {
    uint64_t hash;
    uint32_t key_off, key_len; /* into cache->keys */
    uint32_t st_off, st_len;   /* into cache->states */
    int32_t best;              /* best prefix acceptance so far (directory rule) */
    uint32_t used;
} dir_slot;

struct lq_codeowners_cache {
    const lq_codeowners *co;
    uint32_t *stamp; /* per node */
    uint32_t gen;
    state_set a, b;
    dir_slot *slots;
    size_t cap, count;
    char *keys;
    size_t keys_len, keys_cap;
    uint32_t *states;
    size_t states_len, states_cap;
};

#define CACHE_MAX_ENTRIES (1u << 18)
#define CACHE_MAX_BYTES ((size_t)16 << 20)

int lq_codeowners_cache_new(lq_codeowners_cache **out, const lq_codeowners *co)
{
    *out = NULL;
    lq_codeowners_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return LQ_ENOMEM;
    c->co = co;
    c->stamp = calloc(co->nodes.n, sizeof(uint32_t));
    if (!c->stamp) {
        free(c);
        return LQ_ENOMEM;
    }
    *out = c;
    return LQ_OK;
}

void lq_codeowners_cache_free(lq_codeowners_cache *c)
{
    if (!c)
        return;
    free(c->stamp);
    free(c->a.v);
    free(c->b.v);
    free(c->slots);
    free(c->keys);
    free(c->states);
    free(c);
}

static void cache_reset_dirs(lq_codeowners_cache *c)
{
    if (c->slots)
        memset(c->slots, 0, c->cap * sizeof(*c->slots));
    c->count = 0;
    c->keys_len = 0;
    c->states_len = 0;
}

static uint32_t next_gen(lq_codeowners_cache *c)
{
    if (++c->gen == 0) { /* wrapped: clear stamps */
        memset(c->stamp, 0, c->co->nodes.n * sizeof(uint32_t));
        c->gen = 1;
    }
    return c->gen;
}

static int set_reserve(state_set *s, size_t need)
{
    if (need <= s->cap)
        return 0;
    size_t nc = s->cap ? s->cap : 16;
    while (nc < need)
        nc *= 2;
    uint32_t *nv = realloc(s->v, nc * sizeof(uint32_t));
    if (!nv)
        return -1;
    s->v = nv;
    s->cap = nc;
    return 0;
}

/* Adds node and its epsilon closure (`**` children). Returns -1 on no memory. */
static int set_add(lq_codeowners_cache *c, state_set *s, uint32_t node)
{
    while (node != NONE && c->stamp[node] != c->gen) {
        c->stamp[node] = c->gen;
        if (set_reserve(s, s->n + 1))
            return -1;
        s->v[s->n++] = node;
        node = c->co->nodes.v[node].starstar;
    }
    return 0;
}

/* Reached node during a step: into the next state set, or, for the last segment of a path
 * (out == NULL), straight into the best full-path acceptance: no set is built for a file. */
static inline int emit(lq_codeowners_cache *c, state_set *out, uint32_t node, int32_t *best)
{
    if (out)
        return set_add(c, out, node);
    if (c->co->nodes.v[node].full_closure > *best)
        *best = c->co->nodes.v[node].full_closure;
    return 0;
}

/* Same for an edge found in a table: the slot already carries the child's acceptance. */
static inline int emit_slot(lq_codeowners_cache *c, state_set *out, const edge_slot *sl,
                            int32_t *best)
{
    if (out)
        return set_add(c, out, sl->value);
    if (sl->child_full > *best)
        *best = sl->child_full;
    return 0;
}

/* Hashes of a segment's suffixes (or prefixes) by length, computed once per step. */
typedef struct {
    uint64_t have; /* bit L: h[L] is set */
    uint64_t h[64];
} affix_memo;

static inline uint64_t affix_hash(affix_memo *m, int suffix, const char *seg, size_t n, uint32_t L)
{
    const char *k = suffix ? seg + n - L : seg;
    if (L >= 64)
        return hash_bytes(0, k, L);
    if (!(m->have & ((uint64_t)1 << L))) {
        m->h[L] = hash_bytes(0, k, L);
        m->have |= (uint64_t)1 << L;
    }
    return m->h[L];
}

/* Follows the `*SUFFIX` (suffix=1) or `PREFIX*` edges of node id that fit segment seg. */
static int affix_step(lq_codeowners_cache *c, state_set *out, int32_t *best, const co_node *nd,
                      uint32_t id, int suffix, const char *seg, size_t n, affix_memo *memo)
{
    const lq_codeowners *co = c->co;
    const edge_table *t = suffix ? &co->suffix : &co->prefix;
    uint64_t mask = suffix ? nd->suffix_mask : nd->prefix_mask;
    if (n < 63)
        mask &= ((uint64_t)2 << n) - 1; /* only lengths <= n */
    while (mask) {
        uint32_t L = (uint32_t)__builtin_ctzll(mask);
        mask &= mask - 1;
        uint64_t h = affix_hash(memo, suffix, seg, n, L);
        const edge_slot *hit = (nd->affix_bloom & BLOOM_BIT(h))
                                   ? edge_table_find(t, id, suffix ? seg + n - L : seg, L, h)
                                   : NULL;
        if (hit && emit_slot(c, out, hit, best))
            return -1;
    }
    for (uint32_t l = suffix ? nd->suffix_lens : nd->prefix_lens; l != NONE;
         l = co->lens.v[l].next) {
        uint32_t L = co->lens.v[l].len;
        if (L > n)
            continue;
        uint64_t h = affix_hash(memo, suffix, seg, n, L);
        const edge_slot *hit = edge_table_find(t, id, suffix ? seg + n - L : seg, L, h);
        if (hit && emit_slot(c, out, hit, best))
            return -1;
    }
    return 0;
}

/* One NFA step over segment seg: in -> out, or (out == NULL) in -> *best. */
static int step(lq_codeowners_cache *c, const state_set *in, state_set *out, const char *seg,
                size_t n, int32_t *best)
{
    const lq_codeowners *co = c->co;
    if (out) {
        out->n = 0;
        next_gen(c);
    }
    uint64_t hseg = 0;
    int have_hseg = 0;
    affix_memo memo_s, memo_p;
    memo_s.have = memo_p.have = 0;
    for (size_t k = 0; k < in->n; k++) {
        uint32_t id = in->v[k];
        const co_node *nd = &co->nodes.v[id];
        if (nd->self_loop && emit(c, out, id, best))
            return -1;
        if (nd->has_literal) {
            if (!have_hseg) {
                hseg = hash_bytes(0, seg, n);
                have_hseg = 1;
            }
            const edge_slot *hit = (nd->lit_bloom & BLOOM_BIT(hseg))
                                       ? edge_table_find(&co->literal, id, seg, n, hseg)
                                       : NULL;
            if (hit && emit_slot(c, out, hit, best))
                return -1;
        }
        if (nd->any_child != NONE && emit(c, out, nd->any_child, best))
            return -1;
        if ((nd->suffix_mask || nd->suffix_lens != NONE) &&
            affix_step(c, out, best, nd, id, 1, seg, n, &memo_s))
            return -1;
        if ((nd->prefix_mask || nd->prefix_lens != NONE) &&
            affix_step(c, out, best, nd, id, 0, seg, n, &memo_p))
            return -1;
        for (uint32_t g = nd->glob_edges; g != NONE; g = co->gedges.v[g].next) {
            const glob *gl = &co->globs.v[co->gedges.v[g].e.glob];
            if (glob_match(gl->items, gl->count, seg, n) &&
                emit(c, out, co->gedges.v[g].e.child, best))
                return -1;
        }
    }
    return 0;
}

static int32_t best_of(const lq_codeowners *co, const state_set *s, int prefix, int32_t best)
{
    for (size_t k = 0; k < s->n; k++) {
        const co_node *nd = &co->nodes.v[s->v[k]];
        int32_t r = prefix ? nd->accept_prefix : nd->accept_full;
        if (r > best)
            best = r;
    }
    return best;
}

/* Drops states that cannot consume another segment (their acceptance is already in best), so
 * every later step, and every file of a cached directory, does less work. */
static void prune(const lq_codeowners *co, state_set *s)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        const co_node *nd = &co->nodes.v[s->v[i]];
        if (nd->self_loop || nd->has_literal || nd->any_child != NONE || nd->glob_edges != NONE ||
            nd->suffix_mask || nd->prefix_mask || nd->suffix_lens != NONE ||
            nd->prefix_lens != NONE)
            s->v[k++] = s->v[i];
    }
    s->n = k;
}

static dir_slot *dir_find(lq_codeowners_cache *c, const char *key, size_t n, uint64_t h)
{
    if (!c->cap)
        return NULL;
    size_t j = h & (c->cap - 1);
    for (;;) {
        dir_slot *s = &c->slots[j];
        if (!s->used)
            return NULL;
        if (s->hash == h && s->key_len == n && !memcmp(c->keys + s->key_off, key, n))
            return s;
        j = (j + 1) & (c->cap - 1);
    }
}

static int grow_bytes(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 1024;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, nc * elem);
    if (!np)
        return -1;
    *p = np;
    *cap = nc;
    return 0;
}

/* Remembers the state set after directory key. Failure to cache is not an error. */
static void dir_store(lq_codeowners_cache *c, const char *key, size_t n, uint64_t h,
                      const state_set *s, int32_t best)
{
    if (c->count >= CACHE_MAX_ENTRIES || c->keys_len + n > CACHE_MAX_BYTES ||
        (c->states_len + s->n) * sizeof(uint32_t) > CACHE_MAX_BYTES)
        cache_reset_dirs(c);
    if ((c->count + 1) * 2 > c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 1024;
        dir_slot *ns = calloc(nc, sizeof(*ns));
        if (!ns)
            return;
        for (size_t i = 0; i < c->cap; i++) {
            if (!c->slots[i].used)
                continue;
            size_t j = c->slots[i].hash & (nc - 1);
            while (ns[j].used)
                j = (j + 1) & (nc - 1);
            ns[j] = c->slots[i];
        }
        free(c->slots);
        c->slots = ns;
        c->cap = nc;
    }
    if (grow_bytes((void **)&c->keys, &c->keys_cap, c->keys_len + n + 1, 1) ||
        grow_bytes((void **)&c->states, &c->states_cap, c->states_len + s->n + 1,
                   sizeof(uint32_t)))
        return;
    size_t j = h & (c->cap - 1);
    while (c->slots[j].used)
        j = (j + 1) & (c->cap - 1);
    memcpy(c->keys + c->keys_len, key, n);
    if (s->n) /* s->v may be NULL when the set is empty */
        memcpy(c->states + c->states_len, s->v, s->n * sizeof(uint32_t));
    c->slots[j] = (dir_slot){h,
                             (uint32_t)c->keys_len,
                             (uint32_t)n,
                             (uint32_t)c->states_len,
                             (uint32_t)s->n,
                             best,
                             1};
    c->keys_len += n;
    c->states_len += s->n;
    c->count++;
}

static void fill_match(const lq_codeowners *co, int32_t best, lq_codeowners_match *out)
{
    if (best < 0) {
        out->line = 0;
        out->owner_count = 0;
        out->owners = NULL;
        return;
    }
    const co_rule *r = &co->rules.v[best];
    out->line = r->line;
    out->owner_count = r->owner_count;
    out->owners = r->owners;
}

/* Matches with cache c; returns -1 on no memory (caller falls back). */
static int match_cached(lq_codeowners_cache *c, const char *path, size_t len, int32_t *best_out)
{
    const lq_codeowners *co = c->co;
    /* Directory part = up to the last '/'. Find the longest cached directory prefix. */
    size_t dir_end = len;
    while (dir_end > 0 && path[dir_end - 1] != '/')
        dir_end--;
    size_t dlen = dir_end ? dir_end - 1 : 0; /* without the trailing '/' */

    state_set *cur = &c->a, *nxt = &c->b;
    int32_t best = -1;
    size_t pos = 0; /* path offset where stepping resumes */
    dir_slot *hit = NULL;
    if (dlen > 0) {
        hit = dir_find(c, path, dlen, hash_bytes(0, path, dlen));
        if (!hit) {
            /* Walk up to the nearest cached ancestor. */
            size_t k = dlen;
            while (k > 0) {
                while (k > 0 && path[k - 1] != '/')
                    k--;
                if (k == 0)
                    break;
                k--; /* k: length of ancestor dir */
                if ((hit = dir_find(c, path, k, hash_bytes(0, path, k))))
                    break;
            }
        }
    }
    if (hit) {
        if (set_reserve(cur, hit->st_len))
            return -1;
        if (hit->st_len)
            memcpy(cur->v, c->states + hit->st_off, hit->st_len * sizeof(uint32_t));
        cur->n = hit->st_len;
        best = hit->best;
        pos = hit->key_len + 1;
    } else {
        cur->n = 0;
        next_gen(c);
        if (set_add(c, cur, 0))
            return -1;
    }
    /* Step through the remaining directory segments, caching each prefix. */
    while (pos < len) {
        const char *seg = path + pos;
        const char *sl = memchr(seg, '/', len - pos);
        size_t sn = sl ? (size_t)(sl - seg) : len - pos;
        if (!sl) { /* the file name: only its acceptance matters */
            if (step(c, cur, NULL, seg, sn, &best))
                return -1;
            break;
        }
        if (step(c, cur, nxt, seg, sn, NULL))
            return -1;
        state_set *t = cur;
        cur = nxt;
        nxt = t;
        best = best_of(co, cur, 1, best);
        prune(co, cur);
        size_t plen = pos + sn;
        dir_store(c, path, plen, hash_bytes(0, path, plen), cur, best);
        pos = plen + 1;
        if (cur->n == 0)
            break; /* nothing can match deeper */
    }
    *best_out = best;
    return 0;
}

int lq_codeowners_match_path(const lq_codeowners *co, lq_codeowners_cache *cache,
                             const char *path, size_t len, lq_codeowners_match *out)
{
    while (len > 0 && path[0] == '/') {
        path++;
        len--;
    }
    while (len > 0 && path[len - 1] == '/')
        len--;
    int32_t best = -1;
    fill_match(co, -1, out);
    if (len > 0) {
        lq_codeowners_cache *tmp = NULL;
        if (!cache && lq_codeowners_cache_new(&tmp, co) != LQ_OK)
            return LQ_ENOMEM;
        int rc = match_cached(cache ? cache : tmp, path, len, &best);
        lq_codeowners_cache_free(tmp);
        if (rc != 0)
            return LQ_ENOMEM; /* never guess "unowned" */
    }
    fill_match(co, best, out);
    return LQ_OK;
}

int lq_owner_equal(const char *a, const char *b)
{
    return owner_equal_n(a, b, strlen(b));
}
