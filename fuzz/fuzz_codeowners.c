/* Fuzz target: CODEOWNERS parsing, then matching a few fixed paths. Must never crash or leak. */
#include <stdint.h>
#include <string.h>

#include "codeowners.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lq_codeowners *co;
    if (lq_codeowners_parse(&co, (const char *)data, size, NULL) != LQ_OK)
        return 0;
    for (size_t i = 0; i < lq_codeowners_error_count(co); i++) {
        const lq_codeowners_error *e = lq_codeowners_error_at(co, i);
        if (!e->kind || !e->message || !e->source || e->line == 0 || e->column == 0)
            __builtin_trap();
    }
    static const char *paths[] = {"a", "src/a.c", ".github/CODEOWNERS", "docs/x/y.md", "a/b/c/d"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        lq_codeowners_match m;
        lq_codeowners_match_path(co, NULL, paths[i], strlen(paths[i]), &m);
    }
    lq_codeowners_free(co);
    return 0;
}
