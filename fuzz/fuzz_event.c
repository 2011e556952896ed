/* Fuzz target: webhook payload decoding (core/event.c). The input is "EVENT\nBODY": the
 * X-GitHub-Event name, then the raw body. Must never crash or leak; every string it returns is
 * NUL-terminated within its field and a pull request number is positive or 0. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    const uint8_t *nl = memchr(data, '\n', size < 64 ? size : 64);
    char name[65] = "pull_request";
    size_t skip = 0;
    if (nl) {
        memcpy(name, data, (size_t)(nl - data));
        name[nl - data] = '\0';
        skip = (size_t)(nl - data) + 1;
    }
    lq_event e;
    lq_error err = {0};
    if (lq_event_parse(&e, name, (const char *)data + skip, size - skip, &err) == LQ_OK) {
        if (e.number < 0 || strlen(e.repo) >= sizeof e.repo || strlen(e.label) >= sizeof e.label)
            __builtin_trap();
        for (size_t i = 0; i < e.pull_count; i++)
            if (e.pulls[i] <= 0)
                __builtin_trap();
        (void)lq_event_has_label(&e, "land");
        lq_event_dispose(&e);
    }
    return 0;
}
