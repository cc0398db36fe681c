/* kqueue_http.c: a hello-world HTTP server on ustack's F-Stack-compatible C API, driven by
 * kqueue. Every request read gets the same small page; the connection is closed at EOF.
 *   ff_kqueue_http --conf config.ini        (listens on TCP port 80) */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "ff_api.h"

#define MAX_EVENTS 512

static const char kBody[] = "<html><body><h1>Hello, world!</h1><p>ustack kqueue</p></body></html>\n";
static char reply[512];
static int reply_len;
static int kq;
static int listen_fd;
static struct kevent events[MAX_EVENTS];

static void watch_read(int fd) {
  struct kevent change;
  EV_SET(&change, fd, EVFILT_READ, EV_ADD, 0, 0, NULL);
  if (ff_kevent(kq, &change, 1, NULL, 0, NULL) < 0) {
    ff_log(FF_LOG_ERR, FF_LOGTYPE_FSTACK_APP, "kevent add %d: %s\n", fd, strerror(errno));
  }
}

static void accept_all(int backlog) {
  while (backlog-- > 0) {
    int fd = ff_accept(listen_fd, NULL, NULL);
    if (fd < 0) break;
    int on = 1;
    ff_ioctl(fd, FIONBIO, &on);
    watch_read(fd);
  }
}

static void serve(const struct kevent *ev) {
  int fd = (int)ev->ident;
  char buf[2048];
  ssize_t n = ff_read(fd, buf, sizeof buf);
  if (n > 0) {
    ff_write(fd, reply, (size_t)reply_len);
  } else if (n == 0 || errno != EAGAIN) {
    ff_close(fd); /* closing the fd also removes its kevent */
    return;
  }
  if ((ev->flags & EV_EOF) && ev->data <= n) ff_close(fd);
}

static int loop(void *arg) {
  (void)arg;
  struct timespec zero = {0, 0};
  int n = ff_kevent(kq, NULL, 0, events, MAX_EVENTS, &zero);
  for (int i = 0; i < n; i++) {
    if ((int)events[i].ident == listen_fd) {
      accept_all((int)events[i].data); /* data: connections waiting */
    } else if (events[i].filter == EVFILT_READ) {
      serve(&events[i]);
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
  kq = ff_kqueue();
  listen_fd = ff_socket(AF_INET, SOCK_STREAM, 0);
  if (kq < 0 || listen_fd < 0) return 1;
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
  watch_read(listen_fd);
  ff_log(FF_LOG_INFO, FF_LOGTYPE_FSTACK_APP, "kqueue_http: listening on port 80\n");
  ff_run(loop, NULL);
  return 0;
}
