/* page_html: the parts every queue page shares (pure): the document head and foot (one
 * stylesheet and one script, both served by landq, no inline code, so the Content-Security-
 * Policy can forbid everything else), and the error page for 400/404/405/413.
 *
 * The script (landq/assets/queue.js) polls the page it is on every data-refresh seconds and
 * swaps <main> in place; without JavaScript the pages are complete as served. */
#ifndef LQ_PAGE_HTML_H
#define LQ_PAGE_HTML_H

#include "html.h"

/* The Content-Security-Policy sent with every page and asset. */
#define LQ_PAGE_CSP                                                                           \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "                \
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* <!doctype html> ... <body data-refresh="refresh_s"> (0: no live updates). title is escaped. */
void lq_page_head(lq_html *h, const char *title, unsigned refresh_s);
/* </body></html> with a short footer. */
void lq_page_foot(lq_html *h);

/* A complete error page: "<status> <reason>" and message (escaped). New string or NULL. */
char *lq_page_error_html(int status, const char *message);
/* "Not Found", "Bad Request", ... for the statuses the pages use. */
const char *lq_page_reason(int status);

#endif
