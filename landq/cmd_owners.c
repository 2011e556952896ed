/* `landq owners` and `landq codeowners-check`: the CODEOWNERS engine on the command line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codeowners.h"
#include "commands.h"
#include "fsutil.h"

static const char owners_help[] =
    "Usage: landq owners [--codeowners FILE] [--json] [PATH...]\n"
    "\n"
    "Prints the code owners of each PATH under GitHub's CODEOWNERS rules (last matching\n"
    "line wins). With no PATH, reads paths from standard input, one per line.\n"
    "\n"
    "Output, one line per path:  PATH<TAB>OWNER OWNER...\n"
    "  (unowned)  a rule matched but names no owners\n"
    "  (no rule)  no rule matched\n"
    "\n"
    "Options:\n"
    "  --codeowners FILE  the CODEOWNERS file to use; default: the first of\n"
    "                     .github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS in the current\n"
    "                     directory (GitHub's order)\n"
    "  --json             print one JSON array: [{\"path\": \"a/b.c\", \"owners\": [\"@org/team\"],\n"
    "                     \"line\": 12}]; owners [] when the rule names no owners, owners and\n"
    "                     line null when no rule matched\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 ok, 2 usage error or unreadable/oversized CODEOWNERS.\n"
    "Errors in the file are reported on stderr; bad lines are skipped as GitHub does.\n";

static const char check_help[] =
    "Usage: landq codeowners-check [--codeowners FILE] [--json]\n"
    "\n"
    "Checks a CODEOWNERS file and prints each error as\n"
    "  FILE:LINE:COLUMN: KIND: MESSAGE\n"
    "where KIND is 'Invalid pattern' or 'Invalid owner'. Lines with errors are skipped by\n"
    "GitHub (and landq); a line keeps its valid owners when only some owners are invalid.\n"
    "\n"
    "Options:\n"
    "  --codeowners FILE  the file to check; default: discovered in the current directory\n"
    "                     (.github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS)\n"
    "  --json             print {\"errors\": [{\"line\", \"column\", \"kind\", \"source\",\n"
    "                     \"message\", \"suggestion\", \"path\"}]}\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 no errors, 1 errors found, 2 usage error or unreadable file.\n";

struct co_opts {
    const char *file;
    int json;
    int help;
};

/* Parses the shared options; returns index of the first operand, or -1 (message printed). */
static int parse_opts(int argc, char **argv, const char *cmd, struct co_opts *o)
{
    static const struct option longopts[] = {{"codeowners", required_argument, NULL, 'c'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof(*o));
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->file = optarg; break;
        case 'j': o->json = 1; break;
        case 'h': o->help = 1; break;
        default:
            if (optopt == 'c' || (optind > 0 && !strcmp(argv[optind - 1], "--codeowners")))
                fprintf(stderr, "landq %s: option '--codeowners' needs a FILE argument\n", cmd);
            else
                fprintf(stderr, "landq %s: unknown option '%s' (try 'landq %s --help')\n", cmd,
                        argv[optind - 1], cmd);
            return -1;
        }
    }
    return optind;
}

/* Loads the CODEOWNERS file named in o (or discovered). On failure prints one line, returns 2. */
static int load(const struct co_opts *o, const char *cmd, lq_codeowners **out, const char **path)
{
    *out = NULL;
    const char *file = o->file;
    if (!file) {
        struct stat st;
        for (size_t i = 0; i < 3 && !file; i++)
            if (stat(lq_codeowners_locations[i], &st) == 0 && S_ISREG(st.st_mode))
                file = lq_codeowners_locations[i];
        if (!file) {
            fprintf(stderr,
                    "landq %s: no CODEOWNERS file in the current directory (looked for "
                    ".github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS); use --codeowners FILE\n",
                    cmd);
            return 2;
        }
    }
    *path = file;
    char *text;
    size_t len;
    lq_error err;
    /* Read one byte past the limit so an oversized file is told apart from a full one. */
    if (lq_file_read(&text, &len, file, LQ_CODEOWNERS_MAX_BYTES, &err) != LQ_OK) {
        if (err.code == LQ_ETOOBIG)
            fprintf(stderr,
                    "landq %s: %s: 3 MiB or larger; GitHub does not load such a file, so landq "
                    "refuses it\n",
                    cmd, file);
        else
            fprintf(stderr, "landq %s: %s\n", cmd, err.msg);
        return 2;
    }
    int rc = lq_codeowners_parse(out, text, len, &err);
    free(text);
    if (rc != LQ_OK) {
        fprintf(stderr, "landq %s: %s: %s\n", cmd, file, err.msg);
        return 2;
    }
    return 0;
}

static void json_str(FILE *f, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    putc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            putc('\\', f);
            putc(c, f);
        } else if (c == '\n') {
            fputs("\\n", f);
        } else if (c == '\t') {
            fputs("\\t", f);
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
        } else {
            putc(c, f);
        }
    }
    putc('"', f);
}

struct out_state {
    int json;
    size_t count;
};

static int print_one(const lq_codeowners *co, lq_codeowners_cache *cache, struct out_state *st,
                     const char *path, size_t len)
{
    lq_codeowners_match m;
    if (lq_codeowners_match_path(co, cache, path, len, &m) != LQ_OK) {
        fprintf(stderr, "landq owners: out of memory\n");
        return -1;
    }
    if (st->json) {
        fputs(st->count ? ",\n" : "[\n", stdout);
        fputs(" {\"path\": ", stdout);
        json_str(stdout, path, len);
        if (!m.line) {
            fputs(", \"owners\": null, \"line\": null}", stdout);
        } else {
            fputs(", \"owners\": [", stdout);
            for (size_t i = 0; i < m.owner_count; i++) {
                if (i)
                    fputs(", ", stdout);
                json_str(stdout, m.owners[i].name, strlen(m.owners[i].name));
            }
            printf("], \"line\": %u}", m.line);
        }
    } else {
        fwrite(path, 1, len, stdout);
        putchar('\t');
        if (!m.line)
            fputs("(no rule)", stdout);
        else if (!m.owner_count)
            fputs("(unowned)", stdout);
        for (size_t i = 0; i < m.owner_count; i++) {
            if (i)
                putchar(' ');
            fputs(m.owners[i].name, stdout);
        }
        putchar('\n');
    }
    st->count++;
    return 0;
}

int lq_cmd_owners(int argc, char **argv)
{
    struct co_opts o;
    int first = parse_opts(argc, argv, "owners", &o);
    if (first < 0)
        return 2;
    if (o.help) {
        fputs(owners_help, stdout);
        return 0;
    }
    lq_codeowners *co;
    const char *file;
    if (load(&o, "owners", &co, &file))
        return 2;
    if (lq_codeowners_error_count(co))
        fprintf(stderr,
                "landq owners: %s has %zu error(s); those lines are skipped (see 'landq "
                "codeowners-check')\n",
                file, lq_codeowners_error_count(co));
    lq_codeowners_cache *cache = NULL;
    if (lq_codeowners_cache_new(&cache, co) != LQ_OK) {
        lq_codeowners_free(co);
        fprintf(stderr, "landq owners: out of memory\n");
        return 2;
    }
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    struct out_state st = {o.json, 0};
    int rc = 0;
    if (first < argc) {
        for (int i = first; i < argc && !rc; i++)
            rc = print_one(co, cache, &st, argv[i], strlen(argv[i]));
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while (!rc && (n = getline(&line, &cap, stdin)) >= 0) {
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                n--;
            if (n == 0)
                continue;
            rc = print_one(co, cache, &st, line, (size_t)n);
        }
        free(line);
    }
    if (o.json)
        fputs(st.count ? "\n]\n" : "[]\n", stdout);
    fflush(stdout);
    setvbuf(stdout, NULL, _IONBF, 0);
    lq_codeowners_cache_free(cache);
    lq_codeowners_free(co);
    return rc ? 2 : 0;
}

int lq_cmd_codeowners_check(int argc, char **argv)
{
    struct co_opts o;
    int first = parse_opts(argc, argv, "codeowners-check", &o);
    if (first < 0)
        return 2;
    if (o.help) {
        fputs(check_help, stdout);
        return 0;
    }
    if (first < argc) {
        fprintf(stderr, "landq codeowners-check: unexpected argument '%s' (use --codeowners FILE)\n",
                argv[first]);
        return 2;
    }
    lq_codeowners *co;
    const char *file;
    if (load(&o, "codeowners-check", &co, &file))
        return 2;
    size_t n = lq_codeowners_error_count(co);
    if (o.json)
        fputs("{\"errors\": [", stdout);
    for (size_t i = 0; i < n; i++) {
        const lq_codeowners_error *e = lq_codeowners_error_at(co, i);
        if (o.json) {
            printf("%s\n  {\"line\": %u, \"column\": %u, \"kind\": ", i ? "," : "", e->line,
                   e->column);
            json_str(stdout, e->kind, strlen(e->kind));
            fputs(", \"source\": ", stdout);
            json_str(stdout, e->source, strlen(e->source));
            fputs(", \"message\": ", stdout);
            json_str(stdout, e->message, strlen(e->message));
            fputs(", \"suggestion\": ", stdout);
            if (e->suggestion)
                json_str(stdout, e->suggestion, strlen(e->suggestion));
            else
                fputs("null", stdout);
            fputs(", \"path\": ", stdout);
            json_str(stdout, file, strlen(file));
            fputs("}", stdout);
        } else {
            /* The message starts "KIND on line N: " (GitHub's shape); the text form already
             * says both, so print only the reason after it. */
            const char *reason = strstr(e->message, ": ");
            printf("%s:%u:%u: %s: %s\n", file, e->line, e->column, e->kind,
                   reason ? reason + 2 : e->message);
        }
    }
    if (o.json)
        fputs(n ? "\n]}\n" : "]}\n", stdout);
    lq_codeowners_free(co);
    return n ? 1 : 0;
}
