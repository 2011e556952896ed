/* message: the squash commit message landq sends with PUT /pulls/{n}/merge (pure).
 *
 * Format (docs/decisions.md, "Commit message"):
 *   <body with HTML comments removed, CRLF turned into LF, leading blank lines and trailing
 *    white space removed>
 *   <blank line>
 *   Approved-by: login1
 *   Approved-by: login2        (one per approver, sorted case-insensitively, duplicates dropped)
 * When the cleaned body is empty the message is just the trailers; with no approvers it is just
 * the body. The title is not part of it: it goes into commit_title unchanged.
 *
 * Only landq writes Approved-by trailers: a body line that looks like one (any case, white space
 * before the token or the colon: what git interpret-trailers or a reader would take for one) is
 * quoted with "> " by the cleaning, so an author cannot forge an approval in the landed message. */
#ifndef LQ_MESSAGE_H
#define LQ_MESSAGE_H

#include <stddef.h>

#include "error.h"

/* Cleans a pull request body as described above. body may be NULL (treated as empty).
 * *out is a new NUL-terminated string owned by the caller (free()). */
int lq_message_clean_body(char **out, const char *body, lq_error *err);

/* Whether line[0..len) reads as an Approved-by trailer (optional blanks, the token in any
 * case, optional blanks, ':'). */
int lq_message_is_trailer(const char *line, size_t len);

/* Builds the whole message. approvers[0..count) are borrowed logins (order irrelevant).
 * *out is owned by the caller (free()). Fails only with LQ_ENOMEM, LQ_ETOOBIG (body over 1 MiB)
 * or LQ_EINVAL (a NULL or empty login, or one with white space or control characters). */
int lq_message_build(char **out, const char *body, const char *const *approvers, size_t count,
                     lq_error *err);

#endif
