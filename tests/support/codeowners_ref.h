/* A deliberately simple reference matcher for CODEOWNERS (tests and fuzzing only): every rule is
 * tried from the last to the first with fnmatch(3) per path segment. It shares only the parser
 * (the rule list) with the compiled matcher, so the two can be compared. */
#ifndef LQ_CODEOWNERS_REF_H
#define LQ_CODEOWNERS_REF_H

#include <stddef.h>

#include "codeowners.h"

/* Does the raw pattern (as written in CODEOWNERS, escapes kept) own path? */
int ref_pattern_matches(const char *pattern, const char *path);
/* Index of the deciding rule (last match), or -1 when no rule matches. */
long ref_match(const lq_codeowners *co, const char *path);

#endif
