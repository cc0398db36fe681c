/* ff_epoll.h: epoll over ustack sockets with Linux's struct epoll_event and semantics
 * (level-triggered by default, EPOLLET, EPOLLONESHOT, EPOLLRDHUP; EPOLLEXCLUSIVE accepted).
 * Errors return -1 with errno set to Linux values. */
#ifndef USTACK_FSTACK_FF_EPOLL_H
#define USTACK_FSTACK_FF_EPOLL_H

#include <sys/epoll.h>

#ifdef __cplusplus
extern "C" {
#endif

/* size is ignored (it must be positive, as for epoll_create). */
int ff_epoll_create(int size);
int ff_epoll_ctl(int epfd, int op, int fd, struct epoll_event* event);
/* timeout in ms: 0 returns at once, -1 waits for ever; a wait runs the stack's poll loop. */
int ff_epoll_wait(int epfd, struct epoll_event* events, int maxevents, int timeout);

#ifdef __cplusplus
}
#endif

#endif /* USTACK_FSTACK_FF_EPOLL_H */
