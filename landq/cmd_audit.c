/* cmd_audit.c -- `landq audit [--pr OWNER/NAME#N] [--db PATH]`: the decisions landq recorded.
 *
 * Reads the lq_audit table of the serve database (io/store.h: SQLite read-only, or PostgreSQL),
 * so it can run while `landq serve` is running. Oldest first; one line per decision, then its
 * reasons. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "config.h"
#include "dburl.h"
#include "fsutil.h"
#include "store.h"

static const char audit_help[] =
    "Usage: landq audit [--pr OWNER/NAME#N] [--db PATH] [--config FILE] [--limit N] [--json]\n"
    "\n"
    "Prints the decisions `landq serve` recorded in its database (table lq_audit), oldest\n"
    "first: when, which pull request and head commit, the action (landed, ready, wait,\n"
    "blocked, eject, refused, conflict, head-moved, plan-changed, incident, dequeued), the\n"
    "summary, the reasons and the landed commit.\n"
    "\n"
    "Options:\n"
    "  --pr OWNER/NAME#N  only this pull request\n"
    "  --db PATH|URL      the serve database, SQLite file or PostgreSQL URL (default:\n"
    "                     --config's db, else $LANDQ_DB, else ./landq.db)\n"
    "  --config FILE      the serve config file (for its db setting)\n"
    "  --limit N          only the last N decisions\n"
    "  --json             one JSON object per line\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 ok (also when nothing was recorded), 1 the database cannot be read,\n"
    "2 usage error.\n";

static int usage_error(const char *fmt, ...) LQ_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "landq audit: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try 'landq audit --help')\n");
    return 2;
}

typedef struct print_ctx {
    int as_json;
} print_ctx;

static int print_row(void *ctx, const lq_audit_entry *row)
{
    const print_ctx *pc = ctx;
    long long at = row->at_ms;
    time_t secs = (time_t)(at / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char when[40], stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when, sizeof when, "%s.%03lldZ", stamp, at % 1000);
    json_t *reasons = json_loads(row->reasons, 0, NULL);
    if (pc->as_json) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:O?, s:s}", "at", when, "repo",
                              row->repo, "number", (json_int_t)row->number, "head_sha",
                              row->head_sha, "action", row->action, "summary", row->summary,
                              "reasons", reasons, "commit", row->commit_sha);
        char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (line)
            printf("%s\n", line);
        free(line);
        json_decref(o);
    } else {
        printf("%s %s#%d %s head=%.12s%s%.12s  %s\n", when, row->repo, row->number, row->action,
               row->head_sha, *row->commit_sha ? " commit=" : "", row->commit_sha, row->summary);
        size_t i;
        json_t *r;
        json_array_foreach(reasons, i, r)
            if (json_is_string(r) && strcmp(json_string_value(r), row->summary))
                printf("    - %s\n", json_string_value(r));
    }
    json_decref(reasons);
    return 0;
}

int lq_cmd_audit(int argc, char **argv)
{
    const char *pr = NULL, *db = NULL, *config_path = NULL, *limit_s = NULL;
    int as_json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(audit_help, stdout);
            return 0;
        }
        if (!strcmp(a, "--json")) {
            as_json = 1;
            continue;
        }
        const char **slot = !strcmp(a, "--pr") ? &pr : !strcmp(a, "--db") ? &db
                            : !strcmp(a, "--config") ? &config_path
                            : !strcmp(a, "--limit") ? &limit_s : NULL;
        if (!slot)
            return usage_error("unknown option '%s'", a);
        if (i + 1 >= argc)
            return usage_error("%s needs a value", a);
        *slot = argv[++i];
    }
    char repo[256] = "";
    long number = 0, limit = -1;
    if (pr) {
        const char *hash = strrchr(pr, '#'), *slash = strchr(pr, '/');
        char *end = NULL;
        if (hash)
            number = strtol(hash + 1, &end, 10);
        if (!hash || !slash || slash > hash || slash == pr || slash + 1 == hash || !hash[1] ||
            *end || number <= 0 || number > 0x7fffffff || (size_t)(hash - pr) >= sizeof repo)
            return usage_error("--pr: '%s' is not OWNER/NAME#NUMBER", pr);
        memcpy(repo, pr, (size_t)(hash - pr));
        repo[hash - pr] = '\0';
    }
    if (limit_s) {
        char *end = NULL;
        limit = strtol(limit_s, &end, 10);
        if (!*limit_s || *end || limit <= 0)
            return usage_error("--limit: '%s' is not a positive number", limit_s);
    }
    lq_config cfg;
    memset(&cfg, 0, sizeof cfg);
    lq_error err = {0};
    int have_cfg = 0;
    if (!db && config_path) {
        char *text = NULL;
        size_t len = 0;
        if (lq_config_init(&cfg, &err) ||
            lq_file_read(&text, &len, config_path, 1 << 20, &err) ||
            lq_config_parse(&cfg, text, len, config_path, &err)) {
            fprintf(stderr, "landq audit: --config: %s\n", err.msg);
            free(text);
            lq_config_dispose(&cfg);
            return 2;
        }
        free(text);
        have_cfg = 1;
        db = cfg.db.value;
    }
    if (!db)
        db = getenv("LANDQ_DB") && *getenv("LANDQ_DB") ? getenv("LANDQ_DB") : "./landq.db";
    char shown[1024];
    lq_dburl_redact(db, shown, sizeof shown); /* a PostgreSQL URL may hold a password */
    lq_store *st = NULL;
    int rc = 1;
    if (lq_store_open_existing(&st, db, &err) != LQ_OK) {
        fprintf(stderr, "landq audit: %s: cannot open the database: %s\n", shown, err.msg);
        goto out;
    }
    print_ctx pc = {.as_json = as_json};
    if (lq_store_audit_each(st, repo, (int)number, limit, print_row, &pc, &err) != LQ_OK) {
        fprintf(stderr, "landq audit: %s: %s\n", shown, err.msg);
        goto out;
    }
    rc = fflush(stdout) ? 1 : 0;
out:
    lq_store_close(st);
    if (have_cfg)
        lq_config_dispose(&cfg);
    return rc;
}
