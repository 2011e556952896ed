/* board: the worker's last evaluation of each pull request, in memory, for the queue pages.
 *
 * After every evaluation the worker puts the object `landq explain --json` would print for that
 * pull request (verdict, reasons, files and owners, checks); the queue pages read it, so a page
 * view costs no GitHub request. Entries are kept as JSON text and parsed into a fresh object for
 * each reader, so the worker and the ops listener's threads share nothing mutable.
 *
 * At most LQ_BOARD_MAX entries: past that the least recently updated one is dropped (its pull
 * request shows "not evaluated since landq started" until its next evaluation). After a restart
 * the board is empty until the worker has looked at each queued pull request again (it does so
 * first thing).
 *
 * lq_board_version() increases on every change, so a page can tell whether anything moved.
 * Thread-safe; NULL-safe on the board (a worker without pages passes NULL). */
#ifndef LQ_BOARD_H
#define LQ_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

#define LQ_BOARD_MAX 20000
#define LQ_BOARD_TEXT_MAX ((size_t)1 << 20) /* larger evaluations are stored without "files" */

typedef struct lq_board lq_board;

lq_board *lq_board_new(void); /* NULL when out of memory */
void lq_board_free(lq_board *b); /* NULL-safe */

/* Records the evaluation of repo#number (copied). */
int lq_board_put(lq_board *b, const char *repo, int number, const json_t *explain,
                 lq_error *err);
/* Forgets repo#number. */
void lq_board_drop(lq_board *b, const char *repo, int number);
/* A new object (json_decref), or NULL when there is none (or out of memory). */
json_t *lq_board_get(lq_board *b, const char *repo, int number);
/* Counts changes (puts, drops) since creation; 0 for NULL. */
uint64_t lq_board_version(lq_board *b);
/* Bumps the version without a put (e.g. a freeze changed what the pages show). */
void lq_board_touch(lq_board *b);

#endif
