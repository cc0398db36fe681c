// The ff_* socket, I/O, fcntl/ioctl and start-up calls of the C API: each enters the
// CapiContext (thread and init checks) and maps SocketApi's -errno results onto -1 + errno.
#include <fcntl.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "capi/capi_calls.h"
#include "capi/capi_context.h"
#include "ustack/fstack/ff_api.h"

using ustack::SocketApi;
using ustack::ZcIov;
using ustack::capi::Call;
using ustack::capi::CapiContext;

namespace {

const sockaddr* In(const linux_sockaddr* a) { return reinterpret_cast<const sockaddr*>(a); }
sockaddr* Out(linux_sockaddr* a) { return reinterpret_cast<sockaddr*>(a); }

}  // namespace

extern "C" {

int ff_init(int argc, char* const argv[]) {
  std::string error;
  if (!CapiContext::Init(argc, argv, &error)) {
    std::fprintf(stderr, "ff_init: %s\n", error.c_str());
    errno = EINVAL;
    return -1;
  }
  return 0;
}

void ff_run(loop_func_t loop, void* arg) { CapiContext::Run(loop, arg); }

void ff_stop_run(void) { CapiContext::Stop(); }

const struct ff_config* ff_get_config(void) { return CapiContext::Config(); }

int ff_socket(int domain, int type, int protocol) {
  return Call([&](SocketApi& s) { return s.Socket(domain, type, protocol); });
}

int ff_setsockopt(int fd, int level, int optname, const void* optval, socklen_t optlen) {
  return Call([&](SocketApi& s) { return s.SetSockOpt(fd, level, optname, optval, optlen); });
}

int ff_getsockopt(int fd, int level, int optname, void* optval, socklen_t* optlen) {
  return Call([&](SocketApi& s) { return s.GetSockOpt(fd, level, optname, optval, optlen); });
}

int ff_listen(int fd, int backlog) {
  return Call([&](SocketApi& s) { return s.Listen(fd, backlog); });
}

int ff_bind(int fd, const struct linux_sockaddr* addr, socklen_t addrlen) {
  return Call([&](SocketApi& s) { return s.Bind(fd, In(addr), addrlen); });
}

int ff_accept(int fd, struct linux_sockaddr* addr, socklen_t* addrlen) {
  return Call([&](SocketApi& s) { return s.Accept(fd, Out(addr), addrlen); });
}

int ff_accept4(int fd, struct linux_sockaddr* addr, socklen_t* addrlen, int flags) {
  return Call([&](SocketApi& s) { return s.Accept4(fd, Out(addr), addrlen, flags); });
}

int ff_connect(int fd, const struct linux_sockaddr* name, socklen_t namelen) {
  return Call([&](SocketApi& s) { return s.Connect(fd, In(name), namelen); });
}

int ff_close(int fd) {
  return Call([&](SocketApi& s) { return s.Close(fd); });
}

int ff_shutdown(int fd, int how) {
  return Call([&](SocketApi& s) { return s.Shutdown(fd, how); });
}

int ff_getpeername(int fd, struct linux_sockaddr* name, socklen_t* namelen) {
  return Call([&](SocketApi& s) { return s.GetPeerName(fd, Out(name), namelen); });
}

int ff_getsockname(int fd, struct linux_sockaddr* name, socklen_t* namelen) {
  return Call([&](SocketApi& s) { return s.GetSockName(fd, Out(name), namelen); });
}

ssize_t ff_read(int fd, void* buf, size_t nbytes) {
  return Call([&](SocketApi& s) { return s.Read(fd, buf, nbytes); });
}

ssize_t ff_readv(int fd, const struct iovec* iov, int iovcnt) {
  return Call([&](SocketApi& s) { return s.ReadV(fd, iov, iovcnt); });
}

ssize_t ff_write(int fd, const void* buf, size_t nbytes) {
  return Call([&](SocketApi& s) { return s.Write(fd, buf, nbytes); });
}

ssize_t ff_writev(int fd, const struct iovec* iov, int iovcnt) {
  return Call([&](SocketApi& s) { return s.WriteV(fd, iov, iovcnt); });
}

ssize_t ff_send(int fd, const void* buf, size_t len, int flags) {
  return Call([&](SocketApi& s) { return s.SendTo(fd, buf, len, flags, nullptr, 0); });
}

ssize_t ff_sendto(int fd, const void* buf, size_t len, int flags, const struct linux_sockaddr* to,
                  socklen_t tolen) {
  return Call([&](SocketApi& s) { return s.SendTo(fd, buf, len, flags, In(to), tolen); });
}

ssize_t ff_sendmsg(int fd, const struct msghdr* msg, int flags) {
  return Call([&](SocketApi& s) { return s.SendMsg(fd, msg, flags); });
}

ssize_t ff_recv(int fd, void* buf, size_t len, int flags) {
  return Call([&](SocketApi& s) { return s.RecvFrom(fd, buf, len, flags, nullptr, nullptr); });
}

ssize_t ff_recvfrom(int fd, void* buf, size_t len, int flags, struct linux_sockaddr* from,
                    socklen_t* fromlen) {
  return Call([&](SocketApi& s) { return s.RecvFrom(fd, buf, len, flags, Out(from), fromlen); });
}

ssize_t ff_recvmsg(int fd, struct msghdr* msg, int flags) {
  return Call([&](SocketApi& s) { return s.RecvMsg(fd, msg, flags); });
}

int ff_fcntl(int fd, int cmd, ...) {
  long arg = 0;
  if (cmd == F_SETFL || cmd == F_SETFD || cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
    va_list ap;
    va_start(ap, cmd);
    arg = va_arg(ap, long);
    va_end(ap);
  }
  return Call([&](SocketApi& s) { return s.Fcntl(fd, cmd, arg); });
}

int ff_ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return Call([&](SocketApi& s) { return s.Ioctl(fd, request, arg); });
}

int ff_socketpair(int domain, int type, int protocol, int* sv) {
  return Call([&](SocketApi& s) { return s.Socketpair(domain, type, protocol, sv); });
}

ssize_t ff_zc_recv(int fd, struct ff_zc_iov* iov, int iovcnt, int flags) {
  return Call([&](SocketApi& s) -> ssize_t {
    if (iovcnt > 0 && !iov) return -EFAULT;
    std::vector<ZcIov>& tmp = CapiContext::Current()->zc_iovs();
    tmp.resize(iovcnt > 0 ? static_cast<size_t>(iovcnt) : 0);
    const ssize_t n = s.ZcRecv(fd, tmp.data(), iovcnt, flags);
    for (ssize_t i = 0; i < n; ++i) {
      const ZcIov& z = tmp[static_cast<size_t>(i)];
      iov[i] = ff_zc_iov{z.base, z.len, z.handle};
    }
    return n;
  });
}

int ff_zc_recv_done(const struct ff_zc_iov* iov, int iovcnt) {
  return Call([&](SocketApi& s) {
    if (iovcnt > 0 && !iov) return -EFAULT;
    std::vector<ZcIov>& tmp = CapiContext::Current()->zc_iovs();
    tmp.resize(iovcnt > 0 ? static_cast<size_t>(iovcnt) : 0);
    for (size_t i = 0; i < tmp.size(); ++i)
      tmp[i] = ZcIov{iov[i].iov_base, iov[i].iov_len, iov[i].zc_handle};
    return s.ZcRecvDone(tmp.data(), iovcnt);
  });
}

int ff_zc_mbuf_get(struct ff_zc_mbuf* m, int len) {
  return Call([&](SocketApi& s) {
    if (!m) return -EINVAL;
    void* handle = nullptr;
    const int rc = s.ZcMbufGet(len, &handle);
    *m = ff_zc_mbuf{rc == 0 ? handle : nullptr, rc == 0 ? handle : nullptr, 0, rc == 0 ? len : 0};
    return rc;
  });
}

int ff_zc_mbuf_write(struct ff_zc_mbuf* m, const char* data, int len) {
  return Call([&](SocketApi& s) {
    if (!m) return -EINVAL;
    const int64_t rc = s.ZcMbufWrite(m->bsd_mbuf, data, len);
    if (rc > 0) m->off += len;
    return static_cast<int>(rc);
  });
}

int ff_zc_mbuf_read(struct ff_zc_mbuf* m, const char* data, int len) {
  (void)m, (void)data, (void)len;
  return Call([](SocketApi&) { return -EOPNOTSUPP; });
}

int ff_zc_mbuf_free(struct ff_zc_mbuf* m) {
  return Call([&](SocketApi& s) {
    if (!m) return -EINVAL;
    const int rc = s.ZcMbufFree(m->bsd_mbuf);
    if (rc == 0) *m = ff_zc_mbuf{nullptr, nullptr, 0, 0};
    return rc;
  });
}

int ff_dup(int oldfd) {
  return Call([&](SocketApi& s) { return s.Dup(oldfd); });
}

int ff_dup2(int oldfd, int newfd) {
  return Call([&](SocketApi& s) { return s.Dup2(oldfd, newfd); });
}

int ff_gettimeofday(struct timeval* tv, struct timezone* tz) {
  if (tz) std::memset(tz, 0, sizeof *tz);
  return gettimeofday(tv, nullptr);
}

}  // extern "C"
