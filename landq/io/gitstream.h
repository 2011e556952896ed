/* gitstream: the TCP stream landq registers with libgit2 for its fetches and pushes (the mirror,
 * io/mirror.h). libgit2's own socket stream leaves Nagle on, so each git-upload-pack POST waited
 * for the server's delayed ACK (40 ms on Linux); this one sets TCP_NODELAY and send/receive/connect
 * timeouts (libgit2 1.5 has none). libgit2's TLS stream runs on top of it. */
#ifndef LQ_GITSTREAM_H
#define LQ_GITSTREAM_H

#include <git2.h>
#include <git2/sys/stream.h>

/* A git_stream_registration.init: a new, unconnected stream to host:port (default 80). */
int lq_gitstream_new(git_stream **out, const char *host, const char *port);

#endif
