/* Unit tests of the logfmt logger (landq/io/log.c): untrusted values (file names, titles,
 * logins) can neither end a line nor forge a key (issue 12, defect 7). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* The lines the sink received. */
static char lines[8][4200];
static int nlines;

static void capture(lq_log_level level, const char *line, void *ctx)
{
    (void)level;
    (void)ctx;
    if (nlines < 8)
        snprintf(lines[nlines], sizeof lines[0], "%s", line);
    nlines++;
}

static void setup(void)
{
    nlines = 0;
    lq_log_set_level(LQ_LOG_INFO);
    lq_log_set_sink(capture, NULL);
}

static void teardown(void)
{
    lq_log_set_sink(NULL, NULL);
}

/* A logfmt reader: the keys of line, in order, into keys[] ("k1 k2 ..."). Values are bare
 * (up to a space) or quoted with \-escapes. Returns 0 when the line is not well formed. */
static int logfmt_keys(const char *line, char *keys, size_t cap)
{
    size_t o = 0;
    keys[0] = '\0';
    const char *p = line;
    while (*p) {
        if (*p == ' ') {
            p++;
            continue;
        }
        const char *k = p;
        while (*p && *p != '=' && *p != ' ' && *p != '"')
            p++;
        if (*p != '=' || p == k)
            return 0;
        o += (size_t)snprintf(keys + o, cap - o, "%s%.*s", o ? " " : "", (int)(p - k), k);
        p++;
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p != '"')
                return 0;
            p++;
        } else {
            while (*p && *p != ' ') {
                if (*p == '"' || *p == '=')
                    return 0;
                p++;
            }
        }
        if (*p && *p != ' ')
            return 0;
    }
    return 1;
}

#define FORGED "x\nts=2026-01-01T00:00:00.000Z level=info mod=worker msg=\"landed\" pr=66"

Test(log, newline_in_a_file_name_cannot_forge_a_line, .init = setup, .fini = teardown)
{
    LQ_INFO("worker", "msg=\"owner approval missing\" repo=%s pr=%d path=%s", "acme/mono", 7,
            FORGED);
    cr_assert_eq(nlines, 1);
    cr_assert_null(strchr(lines[0], '\n'), "%s", lines[0]);
    cr_assert_null(strchr(lines[0], '\r'), "%s", lines[0]);
    char keys[512];
    cr_assert(logfmt_keys(lines[0], keys, sizeof keys), "not logfmt: %s", lines[0]);
    cr_assert_str_eq(keys, "ts level mod msg repo pr path", "%s", lines[0]);
    cr_assert(strstr(lines[0], "path=\"x\\nts=2026"), "%s", lines[0]);
}

Test(log, quoted_value_cannot_close_its_quotes, .init = setup, .fini = teardown)
{
    LQ_WARN("feedback", "msg=\"cannot write\" title=\"%s\" error=\"%s\"",
            "a\" level=error msg=\"forged", "back\\slash\r\n\x01");
    cr_assert_eq(nlines, 1);
    char keys[512];
    cr_assert(logfmt_keys(lines[0], keys, sizeof keys), "not logfmt: %s", lines[0]);
    cr_assert_str_eq(keys, "ts level mod msg title error", "%s", lines[0]);
    cr_assert(strstr(lines[0], "title=\"a\\\" level=error msg=\\\"forged\""), "%s", lines[0]);
    cr_assert(strstr(lines[0], "error=\"back\\\\slash\\r\\n\\x01\""), "%s", lines[0]);
}

Test(log, bare_values_with_spaces_or_equals_are_quoted, .init = setup, .fini = teardown)
{
    char buf[256];
    lq_log_format(buf, sizeof buf, "login=%s path=%s empty=%s n=%d", "mallory level=error",
                  "a=b", "", 3);
    cr_assert_str_eq(buf, "login=\"mallory level=error\" path=\"a=b\" empty=\"\" n=3");
    char keys[128];
    cr_assert(logfmt_keys(buf, keys, sizeof keys));
    cr_assert_str_eq(keys, "login path empty n");
}

Test(log, prebuilt_lines_stay_one_line, .init = setup, .fini = teardown)
{
    /* lq_log_line: a module's own line (intake, page, ...) */
    lq_log_line(LQ_LOG_INFO, "intake", "msg=webhook event=push\nlevel=error msg=\"forged\"");
    cr_assert_eq(nlines, 1);
    cr_assert_null(strchr(lines[0], '\n'), "%s", lines[0]);
}

Test(log, levels_below_the_minimum_are_not_formatted, .init = setup, .fini = teardown)
{
    lq_log_set_level(LQ_LOG_WARN);
    LQ_INFO("worker", "msg=quiet x=%s", "y");
    LQ_DEBUG("worker", "msg=quieter");
    cr_assert_eq(nlines, 0);
    LQ_ERR("worker", "msg=loud");
    cr_assert_eq(nlines, 1);
    cr_assert(strstr(lines[0], " level=error mod=worker msg=loud"), "%s", lines[0]);
}
