/* md: untrusted text (paths, titles, bodies, branch names, check names, messages) written into
 * landq's Markdown comments so that it renders as itself and nothing more (pure).
 *
 * GitHub renders comments as CommonMark (GFM): a path holding a backtick, or a body holding a
 * line of ````, could otherwise close the code span or fence landq put it in, and what follows
 * would be Markdown: @-mentions that notify people and teams, #references, links, HTML. So:
 *   - lq_md_code(): an inline code span delimited by one backtick more than the longest run of
 *     backticks inside, padded with a space when the text starts or ends with a backtick (or
 *     with a space: CommonMark strips one from each side), control characters (line breaks)
 *     shown as '?': a span never ends a line or a paragraph early;
 *   - lq_md_fence(): a fenced code block whose fence is longer than any run of backticks in the
 *     text (at least 3), so no line of the text can close it.
 * Inside code spans and blocks GitHub neither links @-mentions and #references nor renders
 * HTML. landq pings only the owners and reviewers it names outside them.
 *
 * Text is cut at max bytes (on a UTF-8 boundary) with "..." appended. */
#ifndef LQ_MD_H
#define LQ_MD_H

#include <stddef.h>

#include "str.h"

/* Appends s (NULL = "") as an inline code span, at most max bytes of it. */
void lq_md_code(lq_sb *b, const char *s, size_t max);

/* The same into out[cap] (always NUL-terminated and a closed span: s is cut to fit). Returns out,
 * for use as a printf argument. cap must be at least 16. */
const char *lq_md_code_buf(char *out, size_t cap, const char *s);

/* Appends a fenced code block holding text (NULL = ""), info string info (may be NULL), ending
 * with a newline. */
void lq_md_fence(lq_sb *b, const char *info, const char *text);

#endif
