/* Fuzz target: the `landq serve` config file parser and validation. Must never crash or leak;
 * every error must carry a message. */
#include <stdint.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    lq_config cfg;
    lq_error err = {0};
    if (lq_config_init(&cfg, &err) != LQ_OK)
        return 0;
    int rc = lq_config_parse(&cfg, (const char *)data, size, "fuzz.conf", &err);
    if (rc != LQ_OK && !err.msg[0])
        __builtin_trap();
    if (rc == LQ_OK) {
        memset(&err, 0, sizeof err);
        if (lq_config_validate(&cfg, &err) != LQ_OK && !err.msg[0])
            __builtin_trap();
    }
    lq_config_dispose(&cfg);
    return 0;
}
