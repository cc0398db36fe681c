/* epoll_http.c: a hello-world HTTP server on ustack's F-Stack-compatible C API, driven by
 * epoll. Every request read gets the same small page, sent with F-Stack's zero-copy send
 * (ff_zc_mbuf_get, ff_zc_mbuf_write, then ff_write with zc.bsd_mbuf); the connection is
 * closed at EOF.
 *   ff_epoll_http --conf config.ini         (listens on TCP port 80) */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "ff_api.h"
#include "ff_epoll.h"

#define MAX_EVENTS 512

static const char kBody[] = "<html><body><h1>Hello, world!</h1><p>ustack epoll</p></body></html>\n";
static char reply[512];
static int reply_len;
static int epfd;
static int listen_fd;
static struct epoll_event events[MAX_EVENTS];

static void accept_all(void) {
  for (;;) {
    int fd = ff_accept(listen_fd, NULL, NULL);
    if (fd < 0) break; /* EAGAIN: the queue is empty */
    int on = 1;
    ff_ioctl(fd, FIONBIO, &on);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    ff_epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
  }
}

/* The reply is written once into stack buffers, which the socket then takes by reference. */
static void send_reply(int fd) {
  struct ff_zc_mbuf zc;
  if (ff_zc_mbuf_get(&zc, reply_len) < 0) {
    ff_write(fd, reply, (size_t)reply_len); /* no buffer to spare: an ordinary write */
    return;
  }
  if (ff_zc_mbuf_write(&zc, reply, reply_len) < 0 ||
      ff_write(fd, zc.bsd_mbuf, (size_t)reply_len) != reply_len) {
    ff_zc_mbuf_free(&zc); /* not all sent (the socket failed): give the buffer back */
  }
}

static void serve(int fd) {
  char buf[2048];
  ssize_t n = ff_read(fd, buf, sizeof buf);
  if (n > 0) {
    send_reply(fd);
  } else if (n == 0 || errno != EAGAIN) {
    ff_epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    ff_close(fd);
  }
}

static int loop(void *arg) {
  (void)arg;
  int n = ff_epoll_wait(epfd, events, MAX_EVENTS, 0);
  for (int i = 0; i < n; i++) {
    if (events[i].data.fd == listen_fd) {
      accept_all();
    } else if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
      serve(events[i].data.fd);
    }
  }
  return 0;
}

int main(int argc, char *argv[]) {
  if (ff_init(argc, argv) < 0) return 1;
  reply_len = snprintf(reply, sizeof reply,
                       "HTTP/1.1 200 OK\r\nServer: ustack\r\nContent-Type: text/html\r\n"
                       "Content-Length: %zu\r\n\r\n%s",
                       sizeof kBody - 1, kBody);
  epfd = ff_epoll_create(MAX_EVENTS);
  listen_fd = ff_socket(AF_INET, SOCK_STREAM, 0);
  if (epfd < 0 || listen_fd < 0) return 1;
  int on = 1;
  ff_ioctl(listen_fd, FIONBIO, &on);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(80);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (ff_bind(listen_fd, (struct linux_sockaddr *)&addr, sizeof addr) < 0 ||
      ff_listen(listen_fd, MAX_EVENTS) < 0) {
    ff_log(FF_LOG_ERR, FF_LOGTYPE_FSTACK_APP, "bind/listen: %s\n", strerror(errno));
    return 1;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = listen_fd};
  ff_epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
  ff_log(FF_LOG_INFO, FF_LOGTYPE_FSTACK_APP, "epoll_http: listening on port 80\n");
  ff_run(loop, NULL);
  return 0;
}
