/* mh_patch.h -- where a pull request review comment sits in a file's unified diff ("patch", as
 * the pull request files API gives it: from the first "@@" hunk header on). Pure.
 *
 * GitHub places a comment either by `line` (+ `side`: RIGHT = the new file's line numbers, LEFT =
 * the old file's) or by the legacy `position` (1 = the line below the first hunk header; every
 * later line, hunk headers included, counts one). Either must land on a line of the diff
 * (context, added or removed), else GitHub answers 422. */
#ifndef MH_PATCH_H
#define MH_PATCH_H

enum { MH_SIDE_LEFT = 0, MH_SIDE_RIGHT = 1 };

typedef struct {
    int position; /* 1-based position in the patch */
    int line;     /* line number on `side` */
    int side;     /* MH_SIDE_LEFT or MH_SIDE_RIGHT */
    char *hunk;   /* the patch from this line's hunk header up to this line (owned) */
} mh_patch_spot;

/* Finds `line` on `side`. Returns 0 with *out filled (free out->hunk), -1 when that line is not
 * part of the diff. A line present on both sides (context) is found from either. */
int mh_patch_find_line(const char *patch, int line, int side, mh_patch_spot *out);
/* Finds position `position`. Returns 0 with *out filled (a removed line gives LEFT, others RIGHT),
 * -1 when the position is a hunk header or outside the patch. */
int mh_patch_find_position(const char *patch, int position, mh_patch_spot *out);

#endif
