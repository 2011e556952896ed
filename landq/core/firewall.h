/* Firewall rules that admit only GitHub's webhook source ranges (GET /meta "hooks") to landq's
 * port: pure rendering, used by `landq firewall`. */
#ifndef LQ_FIREWALL_H
#define LQ_FIREWALL_H

#include "cidr.h"
#include "error.h"

typedef enum { LQ_FW_NFTABLES, LQ_FW_GCLOUD, LQ_FW_TERRAFORM } lq_fw_format;

/* "nftables" | "gcloud" | "terraform" -> format; LQ_EINVAL otherwise. */
int lq_firewall_format_parse(lq_fw_format *out, const char *name, lq_error *err);

/* What the rules admit besides GitHub's webhook source ranges. */
typedef struct lq_fw_extra {
    const lq_cidr_list *allow; /* --allow: the operator's proxy, health checks, monitoring;
                                * NULL or empty: none */
    unsigned ops_port;         /* nftables: landq's ops listener port, admitted from loopback
                                * and allow only (never from GitHub); 0: no rule for it */
} lq_fw_extra;

/* Renders the rules as a new string (caller frees). port is landq's listening port (nftables
 * only: App Engine rules apply to the whole app). source names where the list came from, for the
 * header comment. Loopback (127.0.0.0/8, ::1) is always admitted, in every format, and so are
 * extra->allow's ranges (extra may be NULL). LQ_EINVAL for an empty list (refusing everything is
 * not what anyone wants to install by accident), LQ_ENOMEM. */
int lq_firewall_render(char **out, lq_fw_format fmt, const lq_cidr_list *hooks, unsigned port,
                       const char *source, const lq_fw_extra *extra, lq_error *err);

#endif
