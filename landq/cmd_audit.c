/* cmd_audit.c -- `landq audit [--pr OWNER/NAME#N] [--db PATH]`: the decisions landq recorded.
 *
 * Reads the lq_audit table of the serve database (io/store.h) read-only, so it can run while
 * `landq serve` is running (WAL). Oldest first; one line per decision, then its reasons. */
#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "config.h"
#include "fsutil.h"

static const char audit_help[] =
    "Usage: landq audit [--pr OWNER/NAME#N] [--db PATH] [--config FILE] [--limit N] [--json]\n"
    "\n"
    "Prints the decisions `landq serve` recorded in its database (table lq_audit), oldest\n"
    "first: when, which pull request and head commit, the action (landed, ready, wait,\n"
    "blocked, eject, refused, conflict, head-moved, dequeued), the summary, the reasons and\n"
    "the landed commit.\n"
    "\n"
    "Options:\n"
    "  --pr OWNER/NAME#N  only this pull request\n"
    "  --db PATH          the serve database (default: --config's db, else $LANDQ_DB, else\n"
    "                     ./landq.db)\n"
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

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
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
    sqlite3 *h = NULL;
    int rc = 1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "landq audit: %s: cannot open the database: %s\n", db,
                h ? sqlite3_errmsg(h) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(h, 5000);
    const char *sql =
        "SELECT at_ms, repo, number, head_sha, action, summary, reasons, commit_sha FROM ("
        " SELECT * FROM lq_audit WHERE (?1 = '' OR (repo = ?1 COLLATE NOCASE AND number = ?2))"
        " ORDER BY id DESC LIMIT ?3) ORDER BY at_ms, rowid";
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "landq audit: %s: not a landq database (no audit table): %s\n", db,
                sqlite3_errmsg(h));
        goto out;
    }
    sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, number);
    sqlite3_bind_int64(st, 3, limit);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        long long at = sqlite3_column_int64(st, 0);
        time_t secs = (time_t)(at / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        char when[40], stamp[32];
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(when, sizeof when, "%s.%03lldZ", stamp, at % 1000);
        json_t *reasons = json_loads(col(st, 6), 0, NULL);
        if (as_json) {
            json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:O?, s:s}", "at", when, "repo",
                                  col(st, 1), "number", (json_int_t)sqlite3_column_int64(st, 2),
                                  "head_sha", col(st, 3), "action", col(st, 4), "summary",
                                  col(st, 5), "reasons", reasons, "commit", col(st, 7));
            char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
            if (line)
                printf("%s\n", line);
            free(line);
            json_decref(o);
        } else {
            printf("%s %s#%lld %s head=%.12s%s%.12s  %s\n", when, col(st, 1),
                   (long long)sqlite3_column_int64(st, 2), col(st, 4), col(st, 3),
                   *col(st, 7) ? " commit=" : "", col(st, 7), col(st, 5));
            size_t i;
            json_t *r;
            json_array_foreach(reasons, i, r)
                if (json_is_string(r) && strcmp(json_string_value(r), col(st, 5)))
                    printf("    - %s\n", json_string_value(r));
        }
        json_decref(reasons);
    }
    if (s != SQLITE_DONE) {
        fprintf(stderr, "landq audit: %s: %s\n", db, sqlite3_errmsg(h));
        goto out;
    }
    rc = fflush(stdout) ? 1 : 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(h);
    if (have_cfg)
        lq_config_dispose(&cfg);
    return rc;
}
