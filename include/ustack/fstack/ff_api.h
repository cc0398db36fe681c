/* ff_api.h: ustack's F-Stack-compatible C API. Applications written against F-Stack's ff_*
 * functions build against these headers and link libustack (pkg-config name: ustack).
 *
 * Model: ff_init starts the stack from a config file; ff_run then calls the application's
 * loop once per poll iteration, on the thread that called ff_init, until ff_stop_run, SIGINT
 * or SIGTERM. Every other call must be made on that thread, from inside the loop (or before
 * ff_run, to set up listeners).
 *
 * Errors: -1 with errno set to the Linux value (EBADF, EINVAL, EAGAIN, ...). Two errnos are
 * specific: ENXIO when ff_init has not succeeded, EPERM when called from another thread than
 * the one that called ff_init (the stack is single-threaded; nothing is touched).
 *
 * Blocking: sockets block unless made non-blocking (ff_ioctl FIONBIO, ff_fcntl O_NONBLOCK,
 * SOCK_NONBLOCK); a blocking call runs the poll loop itself until the socket is ready, and so
 * do the timeouts of ff_epoll_wait, ff_poll, ff_select and ff_kevent. Inside the loop
 * function, use non-blocking sockets and zero timeouts, as with F-Stack.
 *
 * Addresses are struct linux_sockaddr (the same layout as Linux's struct sockaddr); only
 * AF_INET is supported. */
#ifndef USTACK_FSTACK_FF_API_H
#define USTACK_FSTACK_FF_API_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "ff_config.h"
#include "ff_epoll.h"
#include "ff_event.h"
#include "ff_log.h"

#ifdef __cplusplus
extern "C" {
#endif

struct linux_sockaddr {
  short sa_family;
  char sa_data[14];
};

struct timezone; /* declared by <sys/time.h> only under _DEFAULT_SOURCE */

typedef int (*loop_func_t)(void* arg);

/* Starts the stack: argv as described in ff_config.h. 0 on success, -1 on failure (the reason
 * is logged on stderr). Call once per process. */
int ff_init(int argc, char* const argv[]);
/* Runs the poll loop, calling loop(arg) once per iteration, until ff_stop_run, SIGINT or
 * SIGTERM; then stops the stack and returns. */
void ff_run(loop_func_t loop, void* arg);
/* Makes ff_run return after the current iteration. */
void ff_stop_run(void);

int ff_socket(int domain, int type, int protocol);
int ff_setsockopt(int s, int level, int optname, const void* optval, socklen_t optlen);
int ff_getsockopt(int s, int level, int optname, void* optval, socklen_t* optlen);
int ff_listen(int s, int backlog);
int ff_bind(int s, const struct linux_sockaddr* addr, socklen_t addrlen);
int ff_accept(int s, struct linux_sockaddr* addr, socklen_t* addrlen);
int ff_accept4(int s, struct linux_sockaddr* addr, socklen_t* addrlen, int flags);
int ff_connect(int s, const struct linux_sockaddr* name, socklen_t namelen);
int ff_close(int fd);
int ff_shutdown(int s, int how);
int ff_getpeername(int s, struct linux_sockaddr* name, socklen_t* namelen);
int ff_getsockname(int s, struct linux_sockaddr* name, socklen_t* namelen);

ssize_t ff_read(int d, void* buf, size_t nbytes);
ssize_t ff_readv(int fd, const struct iovec* iov, int iovcnt);
ssize_t ff_write(int fd, const void* buf, size_t nbytes);
ssize_t ff_writev(int fd, const struct iovec* iov, int iovcnt);
ssize_t ff_send(int s, const void* buf, size_t len, int flags);
ssize_t ff_sendto(int s, const void* buf, size_t len, int flags, const struct linux_sockaddr* to,
                  socklen_t tolen);
ssize_t ff_sendmsg(int s, const struct msghdr* msg, int flags);
ssize_t ff_recv(int s, void* buf, size_t len, int flags);
ssize_t ff_recvfrom(int s, void* buf, size_t len, int flags, struct linux_sockaddr* from,
                    socklen_t* fromlen);
ssize_t ff_recvmsg(int s, struct msghdr* msg, int flags);

/* F_GETFL / F_SETFL (O_NONBLOCK), F_GETFD / F_SETFD, F_DUPFD. */
int ff_fcntl(int fd, int cmd, ...);
/* FIONBIO (int *), FIONREAD (int *), FIOCLEX, FIONCLEX; others fail with ENOTTY. */
int ff_ioctl(int fd, unsigned long request, ...);

int ff_select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
              struct timeval* timeout);
int ff_poll(struct pollfd fds[], nfds_t nfds, int timeout);
/* AF_UNIX (AF_LOCAL) SOCK_STREAM, optionally with SOCK_NONBLOCK / SOCK_CLOEXEC: two connected
 * stream sockets inside the stack, usable with ff_read/ff_write, ff_epoll, ff_poll and
 * ff_kevent, like Linux's socketpair(2). AF_INET: EOPNOTSUPP; SOCK_DGRAM and SOCK_SEQPACKET
 * pairs are not implemented (EOPNOTSUPP). */
int ff_socketpair(int domain, int type, int protocol, int* sv);
int ff_dup(int oldfd);
/* newfd must be at least 3: fds 0-2 are the process's, not the stack's (EBADF). */
int ff_dup2(int oldfd, int newfd);
int ff_gettimeofday(struct timeval* tv, struct timezone* tz);

/* Zero-copy receive (TCP). ff_zc_recv lends the application up to iovcnt received segments
 * without copying: each ff_zc_iov points into the packet buffer the bytes arrived in and is
 * read-only. Returns the number of iovs filled, 0 at end of stream, -1 with errno (EAGAIN,
 * ENOTCONN, EOPNOTSUPP on a UDP socket or socketpair end, ...); blocks like ff_recv unless
 * the socket is non-blocking or flags has MSG_DONTWAIT. The bytes count as read (the window
 * opens), so the next ff_zc_recv or ff_read continues after them.
 * Every lent buffer must be given back with ff_zc_recv_done, in any order, also after the
 * socket is closed: until then its packet buffer stays out of the stack's pool, so give them
 * back soon. -1 with EINVAL when a handle is not lent (never, or given back already); the
 * valid ones among them are still given back. */
struct ff_zc_iov {
  const void* iov_base;
  size_t iov_len;
  uint64_t zc_handle; /* opaque */
};
ssize_t ff_zc_recv(int fd, struct ff_zc_iov* iov, int iovcnt, int flags);
int ff_zc_recv_done(const struct ff_zc_iov* iov, int iovcnt);

/* Zero-copy send, as in F-Stack:
 *   struct ff_zc_mbuf zc;
 *   ff_zc_mbuf_get(&zc, len);               buffers for len bytes from the stack's mbuf pool
 *   ff_zc_mbuf_write(&zc, data, n);         copies bytes in, after those written (repeatable)
 *   ff_write(fd, zc.bsd_mbuf, n);           (or ff_send / ff_sendto) queues them on the socket
 * A TCP socket takes the bytes by reference: they stay in those mbufs until acknowledged and
 * are never copied into the socket buffer (UDP and socketpair sockets copy them). ff_write
 * with zc.bsd_mbuf sends the first n bytes written and not yet sent (n must not exceed them:
 * EINVAL) and returns how many were taken, like any write: after a short count the same call
 * with the rest sends them. Ordinary buffers work as always; zc.bsd_mbuf is a handle that no
 * application address can equal, and a stale or made-up one fails with EINVAL. Never
 * dereference it; bsd_mbuf_off is opaque too; off counts the bytes written and len the room.
 * ff_writev, ff_sendmsg and the read calls do not take handles (EFAULT).
 * Lifetime: the buffer is released once every byte written to it has been sent (its unused
 * room goes back to the pool at once, as F-Stack hands the whole chain to the socket), by
 * ff_zc_mbuf_free (a ustack extension, for a buffer that will not be sent), or when the
 * stack stops. After that the handle is stale: call ff_zc_mbuf_get for the next data.
 * Errors: -1 with errno EINVAL (m null, len <= 0, a stale handle, writing past the room),
 * EFAULT (data null), ENOMEM (the pool cannot spare the mbufs; a quarter of it always stays
 * for the stack). ff_zc_mbuf_write returns len on success (F-Stack returns len too). */
struct ff_zc_mbuf {
  void* bsd_mbuf;     /* the handle to pass to ff_write */
  void* bsd_mbuf_off; /* opaque */
  int off;            /* bytes written so far; the application must not change it */
  int len;            /* the room asked for */
};
int ff_zc_mbuf_get(struct ff_zc_mbuf* m, int len);
int ff_zc_mbuf_write(struct ff_zc_mbuf* m, const char* data, int len);
/* Declared by F-Stack but not implemented there (a stub); here -1 with EOPNOTSUPP. Received
 * data is read without copying with ff_zc_recv. */
int ff_zc_mbuf_read(struct ff_zc_mbuf* m, const char* data, int len);
/* ustack extension: releases a buffer that will not be (fully) sent; bytes already sent stay
 * queued on their socket. 0, or -1 with EINVAL. */
int ff_zc_mbuf_free(struct ff_zc_mbuf* m);

int ff_kqueue(void);
int ff_kevent(int kq, const struct kevent* changelist, int nchanges, struct kevent* eventlist,
              int nevents, const struct timespec* timeout);
/* Like ff_kevent, but hands each returned event to do_each(&eventlist, &event), which copies
 * it into the caller's own layout and advances *eventlist. */
int ff_kevent_do_each(int kq, const struct kevent* changelist, int nchanges, void* eventlist,
                      int nevents, const struct timespec* timeout,
                      void (*do_each)(void**, struct kevent*));

#ifdef __cplusplus
}
#endif

#endif /* USTACK_FSTACK_FF_API_H */
