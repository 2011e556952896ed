/* html: a small HTML writer for landq's queue pages (pure).
 *
 * Every untrusted string (titles, logins, paths, reasons, branch names) goes through
 * lq_html_text() or lq_html_attr(): `& < > " '` become entities, bytes that are not valid UTF-8
 * and control characters (C0 except tab/newline, DEL, C1) become U+FFFD, so hostile text can
 * neither open markup nor break the document. Bidirectional overrides (U+202A..E, U+2066..9)
 * are kept as text but must be isolated by the caller: lq_html_bdi() wraps text in <bdi>, so an
 * RTL override in a title cannot reorder the cells around it.
 *
 * Links are written only by lq_html_link(), which refuses any URL that does not start with the
 * allowed https origin (a `javascript:` or `data:` URL becomes plain text).
 *
 * Ownership: lq_html_take() returns an owned string (free()). After an allocation failure or
 * LQ_HTML_MAX bytes every call is a no-op and lq_html_take() returns NULL. */
#ifndef LQ_HTML_H
#define LQ_HTML_H

#include <stddef.h>

#include "error.h"

#define LQ_HTML_MAX ((size_t)32 << 20)

typedef struct lq_html {
    char *p;
    size_t len, cap;
    int failed;
} lq_html;

/* Markup written as is (only for literals and text already escaped). */
void lq_html_raw(lq_html *h, const char *s);
void lq_html_rawf(lq_html *h, const char *fmt, ...) LQ_PRINTF(2, 3);
/* Escaped text (element content); NULL writes nothing. */
void lq_html_text(lq_html *h, const char *s);
void lq_html_textn(lq_html *h, const char *s, size_t n);
void lq_html_textf(lq_html *h, const char *fmt, ...) LQ_PRINTF(2, 3);
/* Escaped attribute value (the caller writes the quotes). */
void lq_html_attr(lq_html *h, const char *s);
/* <bdi>escaped s</bdi>. */
void lq_html_bdi(lq_html *h, const char *s);
/* Text in which `code spans` (backtick-delimited, as landq's reasons write paths and owners)
 * become <code><bdi>..</bdi></code>; everything else escaped. */
void lq_html_codetext(lq_html *h, const char *s);
/* <a href="url">escaped text</a> when url starts with origin + "/" (origin: "https://host",
 * validated by lq_html_origin_ok()), else the escaped text alone. */
void lq_html_link(lq_html *h, const char *origin, const char *url, const char *text);

/* The text so far (owned), or NULL after a failure; h is reset either way. */
char *lq_html_take(lq_html *h);
void lq_html_dispose(lq_html *h);

/* 1 when s is "https://HOST" or "https://HOST:PORT" with HOST made of letters, digits, '-' and
 * '.', and nothing else (no path, user info, query or fragment). */
int lq_html_origin_ok(const char *s);

/* Escapes s into a new string (free()); NULL when out of memory. */
char *lq_html_escape(const char *s);

#endif
