/* config: landq serve settings and the config file parser (pure; see docs/configuration.md).
 *
 * File format: UTF-8 text, one `key = value` per line; blank lines and lines starting with `#`
 * are ignored; white space around keys and values is trimmed; a value may be wrapped in double
 * quotes to keep leading/trailing spaces or a '#'. Repeatable keys (repo, required_check) add
 * one value per line. Unknown keys, missing '=' and duplicate single keys are errors reported
 * as FILE:LINE: message.
 *
 * Precedence (applied by cmd_serve.c): defaults < config file < environment < flags. Every
 * value remembers where it came from ("landq.conf:3", "--repo", "LANDQ_DB"), so validation
 * errors name both the setting and its origin.
 *
 * Ownership: lq_config owns all its strings; lq_config_dispose() frees them. */
#ifndef LQ_CONFIG_H
#define LQ_CONFIG_H

#include <stddef.h>

#include "error.h"

typedef struct lq_config_value {
    char *value;
    char *origin; /* "FILE:LINE", "--flag", "ENV_NAME" or "default" */
} lq_config_value;

typedef struct lq_config_list {
    lq_config_value *items;
    size_t count;
} lq_config_list;

typedef struct lq_config {
    lq_config_value listen;              /* ADDR:PORT, default 127.0.0.1:8080 */
    lq_config_value github_api;          /* default https://api.github.com */
    lq_config_value label;               /* default land */
    lq_config_value db;                  /* default ./landq.db; or a PostgreSQL URI / keyword
                                            string (core/dburl.h) */
    lq_config_value status_context;      /* default landq */
    lq_config_value port_file;           /* optional: write the bound port here */
    lq_config_value github_token_file;   /* optional: file holding the token */
    lq_config_value webhook_secret_file; /* optional: file holding the webhook secret */
    lq_config_value mirror_dir;          /* optional: bare git mirrors (conflict analysis);
                                            unset = DB_DIR/mirrors */
    lq_config_value meta_refresh;        /* seconds between GET /meta refreshes, default 3600 */
    lq_config_value webhook_allowlist;   /* "meta" (default: GitHub's hooks ranges) or "off" */
    lq_config_value reconcile_interval;  /* seconds between sweeps for lost webhooks, default
                                            300; 0 = no sweeps */
    lq_config_value inbox_retention;     /* processed deliveries kept (duration.h), default 7d */
    lq_config_value audit_retention;     /* audit rows kept (duration.h), default 400d */
    lq_config_value app_id;              /* GitHub App authentication (instead of a token): */
    lq_config_value app_private_key_file;/*   the App's id, its private key (PEM file) and */
    lq_config_value app_installation_id; /*   the installation on the served repositories */
    lq_config_value ops_listen;          /* ops listener ADDR:PORT (/metrics, /healthz, admin
                                            pages), default 127.0.0.1:9090 */
    lq_config_value ops_port_file;       /* optional: write the ops listener's port here */
    lq_config_value header_timeout;      /* seconds for a request's headers, default 10 */
    lq_config_value per_source_connections; /* webhook connections per source, default 64 */
    lq_config_value github_web;          /* GitHub web origin for the queue page's links;
                                            unset = derived from github_api (lq_config_web_url) */
    lq_config_value priority_label;      /* optional: label that puts a pull request ahead */
    lq_config_value priority_min_permission; /* who may apply it: read, triage, write,
                                            maintain (default) or admin */
    lq_config_value admin_token_file;    /* optional: file holding the ops admin token */
    lq_config_value lease_ttl;           /* branch lease TTL (duration.h), default 30s */
    lq_config_value lease_renew;         /* lease renewal interval, default 5s */
    lq_config_value mode;                /* direct (default) or predictive (docs/predictive.md) */
    lq_config_value speculation;         /* predictive: candidates of a lane under test at
                                            once, 1..32, default 1 */
    lq_config_value batch;               /* predictive: pull requests per candidate, 1..32,
                                            default 1 */
    lq_config_value retry_failed;        /* predictive: re-runs of a failed candidate before
                                            ejecting, 0..5, default 0 */
    lq_config_value optimistic;          /* predictive: a passing candidate rescues the failed
                                            ones it contains; true/false, default false */
    lq_config_value ci_timeout;          /* predictive: a candidate whose required checks did
                                            not all report by then failed, default 60m */
    lq_config_value lanes;               /* predictive: single (default), codeowners or paths
                                            (core/lanes.h) */
    lq_config_list trusted_proxies;      /* CIDRs whose X-Forwarded-For is believed */
    lq_config_list repos;                /* OWNER/NAME, at least one */
    lq_config_list required_checks;      /* optional narrowing of the checks that must pass */
    lq_config_list lane_areas;           /* `lane = NAME: PREFIX...` (lanes = paths) */
    lq_config_list lane_catch_all;       /* `lane_catch_all = PREFIX`: a pull request touching
                                            it spans every lane */
    lq_config_list redeliver_hooks;      /* OWNER/NAME:HOOK_ID: at start-up, ask GitHub to
                                            redeliver that webhook's failed deliveries */
} lq_config;

/* Fills defaults. LQ_OK or LQ_ENOMEM. */
int lq_config_init(lq_config *cfg, lq_error *err);
void lq_config_dispose(lq_config *cfg); /* NULL-safe */

/* Sets one setting by its file key (e.g. "repo", "github_api"); repeatable keys append.
 * origin is copied. LQ_EINVAL for an unknown key (message lists the known ones). */
int lq_config_set(lq_config *cfg, const char *key, const char *value, const char *origin,
                  lq_error *err);
/* Empties a repeatable setting (flags replace the file's list instead of adding to it). */
void lq_config_clear(lq_config *cfg, const char *key);

/* Parses config text; filename is used in messages only. Stops at the first error:
 * LQ_EINVAL with "FILE:LINE: ..." in err. */
int lq_config_parse(lq_config *cfg, const char *text, size_t len, const char *filename,
                    lq_error *err);

/* Checks every value; the message names the setting and its origin. */
int lq_config_validate(const lq_config *cfg, lq_error *err);

/* Splits a validated listen value into host and port (host written into host[hostlen]). */
int lq_config_listen_split(const char *listen, char *host, size_t hostlen, int *port,
                           lq_error *err);

/* The GitHub web origin the queue page links to: github_web when set, else derived from
 * github_api (https://api.github.com -> https://github.com, https://HOST/api/v3 -> https://HOST;
 * anything else, e.g. a local mockhub -> https://github.com). */
void lq_config_web_url(const lq_config *cfg, char *out, size_t cap);

/* Rank of a GitHub repository permission (the collaborator permission API's role_name):
 * read 0, triage 1, write 2, maintain 3, admin 4; -1 for anything else. */
int lq_config_permission_rank(const char *permission);

/* true/yes/on/1 -> 1, false/no/off/0 -> 0, anything else -1. */
int lq_config_bool(const char *v);

/* All keys accepted in a config file, comma-separated, for help texts. */
const char *lq_config_keys(void);

#endif
