/* assets: the queue page's stylesheet and script, compiled into landq (embed.py) so the pages
 * need no file and no other server. Served by io/page.c at /queue/assets/. */
#ifndef LQ_ASSETS_H
#define LQ_ASSETS_H

#include <stddef.h>

extern const char lq_asset_queue_css[];
extern const size_t lq_asset_queue_css_len;
extern const char lq_asset_queue_js[];
extern const size_t lq_asset_queue_js_len;
extern const char lq_asset_favicon_svg[];
extern const size_t lq_asset_favicon_svg_len;

#endif
