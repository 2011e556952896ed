/* `landq firewall`: firewall rules admitting only GitHub's webhook source ranges. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "commands.h"
#include "firewall.h"
#include "fsutil.h"
#include "github.h"

static const char firewall_help[] =
    "Usage: landq firewall --format nftables|gcloud|terraform [--github-api URL] [--port N]\n"
    "                      [--meta-file FILE]\n"
    "\n"
    "Prints firewall rules that admit only GitHub's webhook source ranges (the \"hooks\" list of\n"
    "GET /meta) to landq, with everything else denied:\n"
    "  nftables   an nftables ruleset for landq's TCP port (load with 'nft -f')\n"
    "  gcloud     'gcloud app firewall-rules' commands for App Engine (default rule set to deny)\n"
    "  terraform  google_app_engine_firewall_rule resources, with a default deny\n"
    "\n"
    "Options:\n"
    "  --format F         output format (required)\n"
    "  --github-api URL   where to GET /meta (default $LANDQ_GITHUB_API or https://api.github.com)\n"
    "  --port N           landq's listening port, for nftables (default 8080)\n"
    "  --meta-file FILE   read a saved GET /meta response instead of fetching it\n"
    "  -h, --help         show this help\n"
    "\n"
    "LANDQ_GITHUB_TOKEN is sent when set (GET /meta needs no token, but unauthenticated clients\n"
    "get a lower rate limit). Exit status: 0 ok, 1 the list could not be fetched or parsed,\n"
    "2 usage error.\n";

/* Fetches GET /meta into a malloc'd body; 0 or -1 (message printed). */
static int fetch_meta(const char *api, char **body, size_t *len)
{
    lq_github *gh = NULL;
    lq_error err;
    lq_github_config cfg = {.api_url = api, .token = getenv("LANDQ_GITHUB_TOKEN"),
                            .timeout_ms = 15000, .max_retries = 2, .backoff_ms = 500};
    if (lq_github_new(&gh, &cfg, &err) != LQ_OK) {
        fprintf(stderr, "landq firewall: %s\n", err.msg);
        return -1;
    }
    json_t *meta = NULL;
    int rc = lq_github_get_json(gh, &meta, "/meta", &err);
    lq_github_free(gh);
    if (rc != LQ_OK) {
        fprintf(stderr, "landq firewall: GET %s/meta: %s\n", api, err.msg);
        return -1;
    }
    *body = json_dumps(meta, JSON_COMPACT);
    json_decref(meta);
    if (!*body) {
        fprintf(stderr, "landq firewall: out of memory\n");
        return -1;
    }
    *len = strlen(*body);
    return 0;
}

int lq_cmd_firewall(int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"github-api", required_argument, NULL, 'a'},
                                             {"port", required_argument, NULL, 'p'},
                                             {"meta-file", required_argument, NULL, 'm'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *format = NULL, *api = getenv("LANDQ_GITHUB_API"), *meta_file = NULL;
    unsigned port = 8080;
    if (!api || !*api)
        api = "https://api.github.com";
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 'a': api = optarg; break;
        case 'm': meta_file = optarg; break;
        case 'p': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 65535) {
                fprintf(stderr, "landq firewall: --port: '%s' is not a TCP port (1-65535)\n",
                        optarg);
                return 2;
            }
            port = (unsigned)v;
            break;
        }
        case 'h': fputs(firewall_help, stdout); return 0;
        default:
            if (optopt)
                fprintf(stderr, "landq firewall: option '%s' needs an argument\n",
                        argv[optind - 1]);
            else
                fprintf(stderr, "landq firewall: unknown option '%s' (try 'landq firewall --help')\n",
                        argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "landq firewall: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    lq_fw_format fmt;
    lq_error err;
    if (!format) {
        fprintf(stderr, "landq firewall: --format is required (nftables, gcloud or terraform)\n");
        return 2;
    }
    if (lq_firewall_format_parse(&fmt, format, &err) != LQ_OK) {
        fprintf(stderr, "landq firewall: --format: %s\n", err.msg);
        return 2;
    }
    char *body = NULL;
    size_t len = 0;
    char source[1100];
    if (meta_file) {
        if (lq_file_read(&body, &len, meta_file, (size_t)16 << 20, &err) != LQ_OK) {
            fprintf(stderr, "landq firewall: %s\n", err.msg);
            return 2;
        }
        snprintf(source, sizeof(source), "%.1000s", meta_file);
    } else {
        if (fetch_meta(api, &body, &len) != 0)
            return 1;
        snprintf(source, sizeof(source), "GET %.1000s/meta", api);
    }
    lq_cidr_list hooks;
    int rc = lq_meta_parse_hooks(&hooks, body, len, &err);
    free(body);
    if (rc != LQ_OK) {
        fprintf(stderr, "landq firewall: %s\n", err.msg);
        return 1;
    }
    char *out;
    rc = lq_firewall_render(&out, fmt, &hooks, port, source, &err);
    lq_cidr_list_dispose(&hooks);
    if (rc != LQ_OK) {
        fprintf(stderr, "landq firewall: %s\n", err.msg);
        return 1;
    }
    fputs(out, stdout);
    free(out);
    return 0;
}
