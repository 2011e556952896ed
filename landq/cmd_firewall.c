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
    "                      [--allow CIDR]... [--ops-port N] [--meta-file FILE]\n"
    "\n"
    "Prints firewall rules that admit only GitHub's webhook source ranges (the \"hooks\" list of\n"
    "GET /meta) to landq, plus loopback (always) and the --allow ranges, with everything else\n"
    "denied:\n"
    "  nftables   an nftables ruleset for landq's TCP port (load with 'nft -f')\n"
    "  gcloud     'gcloud app firewall-rules' commands for App Engine (default rule set to deny)\n"
    "  terraform  google_app_engine_firewall_rule resources, with a default deny\n"
    "\n"
    "Options:\n"
    "  --format F         output format (required)\n"
    "  --github-api URL   where to GET /meta (default $LANDQ_GITHUB_API or https://api.github.com)\n"
    "  --port N           the port to protect, for nftables (default 8080): landq's webhook\n"
    "                     port, or the TLS proxy's public port (e.g. 443) when one is in front\n"
    "  --allow CIDR       also admit this range (repeatable): your reverse proxy or load\n"
    "                     balancer, its health checks, your monitoring\n"
    "  --ops-port N       nftables: also restrict landq's ops listener port to loopback and\n"
    "                     the --allow ranges (only needed when it listens beyond loopback)\n"
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
                                             {"allow", required_argument, NULL, 'A'},
                                             {"ops-port", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *format = NULL, *api = getenv("LANDQ_GITHUB_API"), *meta_file = NULL;
    unsigned port = 8080, ops_port = 0;
    lq_cidr_list allow = {NULL, 0};
    lq_error err;
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
        case 'p':
        case 'o': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 65535) {
                fprintf(stderr, "landq firewall: --%s: '%s' is not a TCP port (1-65535)\n",
                        c == 'p' ? "port" : "ops-port", optarg);
                lq_cidr_list_dispose(&allow);
                return 2;
            }
            if (c == 'p')
                port = (unsigned)v;
            else
                ops_port = (unsigned)v;
            break;
        }
        case 'A': {
            lq_cidr cidr;
            lq_cidr *nv = realloc(allow.v, (allow.n + 1) * sizeof(*nv));
            if (nv)
                allow.v = nv;
            if (!nv || lq_cidr_parse(&cidr, optarg, strlen(optarg), &err) != LQ_OK) {
                fprintf(stderr, "landq firewall: --allow: %s\n", nv ? err.msg : "out of memory");
                lq_cidr_list_dispose(&allow);
                return 2;
            }
            allow.v[allow.n++] = cidr;
            break;
        }
        case 'h': lq_cidr_list_dispose(&allow); fputs(firewall_help, stdout); return 0;
        default:
            lq_cidr_list_dispose(&allow);
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
        lq_cidr_list_dispose(&allow);
        return 2;
    }
    lq_fw_format fmt;
    int rc = 2;
    char *body = NULL, *out = NULL;
    lq_cidr_list hooks = {NULL, 0};
    if (!format) {
        fprintf(stderr, "landq firewall: --format is required (nftables, gcloud or terraform)\n");
        goto done;
    }
    if (lq_firewall_format_parse(&fmt, format, &err) != LQ_OK) {
        fprintf(stderr, "landq firewall: --format: %s\n", err.msg);
        goto done;
    }
    size_t len = 0;
    char source[1100];
    if (meta_file) {
        if (lq_file_read(&body, &len, meta_file, (size_t)16 << 20, &err) != LQ_OK) {
            fprintf(stderr, "landq firewall: %s\n", err.msg);
            goto done;
        }
        snprintf(source, sizeof(source), "%.1000s", meta_file);
    } else {
        rc = 1;
        if (fetch_meta(api, &body, &len) != 0)
            goto done;
        snprintf(source, sizeof(source), "GET %.1000s/meta", api);
    }
    rc = 1;
    if (lq_meta_parse_hooks(&hooks, body, len, &err) != LQ_OK) {
        fprintf(stderr, "landq firewall: %s\n", err.msg);
        goto done;
    }
    lq_fw_extra extra = {.allow = &allow, .ops_port = ops_port};
    if (lq_firewall_render(&out, fmt, &hooks, port, source, &extra, &err) != LQ_OK) {
        fprintf(stderr, "landq firewall: %s\n", err.msg);
        goto done;
    }
    fputs(out, stdout);
    rc = 0;
done:
    free(out);
    free(body);
    lq_cidr_list_dispose(&hooks);
    lq_cidr_list_dispose(&allow);
    return rc;
}
