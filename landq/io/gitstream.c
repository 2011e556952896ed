/* gitstream.c -- the TCP stream landq registers with libgit2 (gitstream.h). */
#include "gitstream.h"

#include <errno.h>
#include <git2/sys/stream.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define NET_TIMEOUT_S 60 /* connect, send and receive; libgit2 1.5 has no timeout of its own */

static char *dup_str(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* libgit2's own socket stream leaves Nagle on. Its HTTP client writes a POST's headers and body
 * in two writes, so each git-upload-pack request waits for the server's delayed ACK (40 ms on
 * Linux): an incremental fetch took ~150 ms instead of ~20 ms against mockhub. This stream sets
 * TCP_NODELAY and socket timeouts; libgit2's TLS stream runs on top of the registered one. */
typedef struct nd_stream {
    git_stream parent;
    char *host, *port;
    int fd;
} nd_stream;

static int nd_fail(const char *what, const char *host)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s %s: %s", what, host, strerror(errno));
    git_error_set_str(GIT_ERROR_NET, msg);
    return -1;
}

static int nd_connect(git_stream *gs)
{
    nd_stream *s = (nd_stream *)gs;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    int gai = getaddrinfo(s->host, s->port, &hints, &res);
    if (gai) {
        char msg[512];
        snprintf(msg, sizeof msg, "cannot resolve %s: %s", s->host, gai_strerror(gai));
        git_error_set_str(GIT_ERROR_NET, msg);
        return -1;
    }
    struct timeval tv = {NET_TIMEOUT_S, 0};
    int one = 1;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv); /* also bounds connect() */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            s->fd = fd;
            break;
        }
        int e = errno;
        close(fd);
        errno = e;
    }
    freeaddrinfo(res);
    return s->fd < 0 ? nd_fail("failed to connect to", s->host) : 0;
}

static ssize_t nd_read(git_stream *gs, void *buf, size_t len)
{
    nd_stream *s = (nd_stream *)gs;
    ssize_t n;
    do
        n = recv(s->fd, buf, len, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        errno = ETIMEDOUT;
    return n < 0 ? nd_fail("reading from", s->host) : n;
}

static ssize_t nd_write(git_stream *gs, const char *buf, size_t len, int flags)
{
    (void)flags;
    nd_stream *s = (nd_stream *)gs;
    ssize_t n;
    do
        n = send(s->fd, buf, len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? nd_fail("writing to", s->host) : n;
}

static int nd_close(git_stream *gs)
{
    nd_stream *s = (nd_stream *)gs;
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    return 0;
}

static void nd_free(git_stream *gs)
{
    nd_stream *s = (nd_stream *)gs;
    nd_close(gs);
    free(s->host);
    free(s->port);
    free(s);
}

int lq_gitstream_new(git_stream **out, const char *host, const char *port)
{
    nd_stream *s = calloc(1, sizeof(*s));
    if (!s || !(s->host = dup_str(host)) || !(s->port = dup_str(port && *port ? port : "80"))) {
        if (s)
            free(s->host);
        free(s);
        git_error_set_oom();
        return -1;
    }
    s->fd = -1;
    s->parent.version = GIT_STREAM_VERSION;
    s->parent.connect = nd_connect;
    s->parent.read = nd_read;
    s->parent.write = nd_write;
    s->parent.close = nd_close;
    s->parent.free = nd_free;
    *out = &s->parent;
    return 0;
}

