/* dburl: what the `db` setting names, and how to print it safely. Pure.
 *
 * `db` is either a SQLite file path (the default, ./landq.db) or a PostgreSQL connection target
 * as libpq takes it: a URI (postgresql://user@host1:5432,host2:5432/landq?target_session_attrs=
 * read-write, also postgres://) or a keyword/value string (host=/run/postgresql dbname=landq).
 * Anything else is a path ("sqlite:PATH" may be written to force a path that contains '='). */
#ifndef LQ_DBURL_H
#define LQ_DBURL_H

#include <stddef.h>

typedef enum { LQ_DB_SQLITE, LQ_DB_POSTGRESQL } lq_db_kind;

lq_db_kind lq_dburl_kind(const char *target);
/* The SQLite path of a LQ_DB_SQLITE target (target itself, or after "sqlite:"). */
const char *lq_dburl_path(const char *target);
/* target with every password replaced by "***" (URI user:password@, password= in a URI query or
 * a keyword/value string), for logs and error messages. Truncates safely to cap; returns out. */
char *lq_dburl_redact(const char *target, char *out, size_t cap);

#endif
