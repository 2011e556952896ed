/* page_html.c -- document head/foot and error pages of the queue pages (pure). */
#include "page_html.h"

#include <stdio.h>

void lq_page_head(lq_html *h, const char *title, unsigned refresh_s)
{
    lq_html_raw(h, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
    lq_html_text(h, title);
    lq_html_raw(h, "</title>\n<link rel=\"stylesheet\" href=\"/queue/assets/queue.css\">\n"
                   "<link rel=\"icon\" href=\"/queue/assets/favicon.svg\" type=\"image/svg+xml\">\n"
                   "<script src=\"/queue/assets/queue.js\" defer></script>\n</head>\n");
    lq_html_rawf(h, "<body data-refresh=\"%u\">\n<a class=\"skip\" href=\"#queue\">Skip to the "
                    "content</a>\n", refresh_s);
}

void lq_page_foot(lq_html *h)
{
    lq_html_raw(h, "<footer><p>Served by landq from what it already knows (no GitHub request "
                   "per view). <a href=\"/queue\">The queue</a> \xC2\xB7 "
                   "<a href=\"/api/queue\">JSON</a></p></footer>\n</body>\n</html>\n");
}

const char *lq_page_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Server Error" : "Error";
    }
}

char *lq_page_error_html(int status, const char *message)
{
    lq_html h = {0};
    char title[64];
    snprintf(title, sizeof title, "%d %s", status, lq_page_reason(status));
    lq_page_head(&h, title, 0);
    lq_html_raw(&h, "<main id=\"queue\">\n<h1>");
    lq_html_text(&h, title);
    lq_html_raw(&h, "</h1>\n<p class=\"error\">");
    lq_html_text(&h, message ? message : "");
    lq_html_raw(&h, "</p>\n<p><a href=\"/queue\">Back to the queue</a></p>\n</main>\n");
    lq_page_foot(&h);
    return lq_html_take(&h);
}
