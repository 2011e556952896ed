/* Differential fuzz target: the compiled CODEOWNERS matcher must agree with the naive reference
 * matcher (tests/support/codeowners_ref.c) on every path.
 * Input: CODEOWNERS text, a NUL byte, then paths one per line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codeowners.h"
#include "codeowners_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Paths the reference can judge: non-empty segments, no NUL, bounded depth. */
static int path_ok(const char *p, size_t n)
{
    if (n == 0 || p[0] == '/' || p[n - 1] == '/')
        return 0;
    int segs = 1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '/') {
            if (p[i + 1] == '/')
                return 0;
            segs++;
        }
    }
    return segs <= 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    size_t tlen = nul ? (size_t)(nul - text) : size;
    lq_codeowners *co;
    if (lq_codeowners_parse(&co, text, tlen, NULL) != LQ_OK)
        return 0;
    lq_codeowners_cache *cache;
    if (lq_codeowners_cache_new(&cache, co) != LQ_OK) {
        lq_codeowners_free(co);
        return 0;
    }
    const char *p = nul ? nul + 1 : text + size;
    const char *end = text + size;
    char path[4097];
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (path_ok(p, n) && !memchr(p, '\0', n)) {
            memcpy(path, p, n);
            path[n] = '\0';
            lq_codeowners_match a, b;
            lq_codeowners_match_path(co, cache, path, n, &a);
            lq_codeowners_match_path(co, NULL, path, n, &b);
            long ri = ref_match(co, path);
            unsigned ref_line = 0;
            const char *pat = NULL;
            if (ri >= 0)
                lq_codeowners_rule_at(co, (size_t)ri, &ref_line, &pat);
            if (a.line != ref_line || b.line != a.line) {
                fprintf(stderr, "MISMATCH path '%s': compiled line %u (uncached %u), reference %u (%s)\n",
                        path, a.line, b.line, ref_line, pat ? pat : "-");
                abort();
            }
        }
        p += n + 1;
    }
    lq_codeowners_cache_free(cache);
    lq_codeowners_free(co);
    return 0;
}
