/* Tests for landq/core/dburl.c: which backend a `db` setting names, and password redaction. */
#include <criterion/criterion.h>
#include <string.h>

#include "dburl.h"

Test(dburl, kind)
{
    cr_assert_eq(lq_dburl_kind("./landq.db"), LQ_DB_SQLITE);
    cr_assert_eq(lq_dburl_kind("/var/lib/landq/landq.db"), LQ_DB_SQLITE);
    cr_assert_eq(lq_dburl_kind("landq.db"), LQ_DB_SQLITE);
    cr_assert_eq(lq_dburl_kind("postgresql://db.internal/landq"), LQ_DB_POSTGRESQL);
    cr_assert_eq(lq_dburl_kind("postgres://u@h/landq"), LQ_DB_POSTGRESQL);
    cr_assert_eq(lq_dburl_kind("PostgreSQL://h/landq"), LQ_DB_POSTGRESQL);
    cr_assert_eq(lq_dburl_kind("host=/run/postgresql dbname=landq"), LQ_DB_POSTGRESQL);
    cr_assert_eq(lq_dburl_kind("  dbname = landq"), LQ_DB_POSTGRESQL);
    cr_assert_eq(lq_dburl_kind("sqlite:odd=name.db"), LQ_DB_SQLITE);
    cr_assert_str_eq(lq_dburl_path("sqlite:odd=name.db"), "odd=name.db");
    cr_assert_str_eq(lq_dburl_path("./landq.db"), "./landq.db");
    cr_assert_eq(lq_dburl_kind("./a=b.db"), LQ_DB_SQLITE);
    cr_assert_eq(lq_dburl_kind("postgresql:/x"), LQ_DB_SQLITE, "not a URI: a file name");
}

static void redacts(const char *in, const char *want)
{
    char out[256];
    cr_assert_str_eq(lq_dburl_redact(in, out, sizeof out), want, "%s", in);
}

Test(dburl, redaction)
{
    redacts("./landq.db", "./landq.db");
    redacts("postgresql://landq@db/landq", "postgresql://landq@db/landq");
    redacts("postgresql://landq:s3cr%40t@db:5432/landq", "postgresql://landq:***@db:5432/landq");
    redacts("postgresql://u:p@h1:5432,h2:5432/landq?target_session_attrs=read-write",
            "postgresql://u:***@h1:5432,h2:5432/landq?target_session_attrs=read-write");
    redacts("postgresql://h/landq?user=u&password=hunter2&sslmode=require",
            "postgresql://h/landq?user=u&password=***&sslmode=require");
    redacts("postgresql://h/landq?password=hunter2", "postgresql://h/landq?password=***");
    redacts("postgresql://u:p@h", "postgresql://u:***@h");
    redacts("host=db user=landq password=hunter2 dbname=landq",
            "host=db user=landq password=*** dbname=landq");
    redacts("password = 'a b\\' c' host=db", "password = *** host=db");
    redacts("host=db passwordx=1", "host=db passwordx=1");
}

Test(dburl, redaction_truncates_safely)
{
    char out[12];
    lq_dburl_redact("postgresql://u:secret@h/db", out, sizeof out);
    cr_assert_lt(strlen(out), sizeof out);
    cr_assert_null(strstr(out, "secret"));
    char one[1];
    lq_dburl_redact("x", one, 1);
    cr_assert_str_eq(one, "");
}
