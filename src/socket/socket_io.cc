// SocketApi: blocking waits through the poll_once hook, scatter/gather I/O, ioctl, fcntl and
// dup. See socket_api.h for the blocking model.
#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>

#include <cstring>

#include "socket/fd_table.h"
#include "stack/stack.h"

namespace ustack {
namespace {

// Total length of an iovec array; -EINVAL as Linux for a bad count or an overflowing sum.
ssize_t IovLength(const iovec* iov, int iovcnt) {
  if (iovcnt < 0 || iovcnt > IOV_MAX) return -EINVAL;
  if (!iov && iovcnt > 0) return -EFAULT;
  size_t total = 0;
  for (int i = 0; i < iovcnt; ++i) {
    if (!iov[i].iov_base && iov[i].iov_len > 0) return -EFAULT;
    // Zero-copy send handles go to write/send/sendto only; here they are no memory.
    if (ZcSendBuffers::IsHandle(iov[i].iov_base)) return -EFAULT;
    if (iov[i].iov_len > static_cast<size_t>(SSIZE_MAX) - total) return -EINVAL;
    total += iov[i].iov_len;
  }
  return static_cast<ssize_t>(total);
}

void Gather(const iovec* iov, int iovcnt, uint8_t* out) {
  for (int i = 0; i < iovcnt; ++i) {
    if (iov[i].iov_len == 0) continue;
    std::memcpy(out, iov[i].iov_base, iov[i].iov_len);
    out += iov[i].iov_len;
  }
}

void Scatter(const uint8_t* in, size_t len, const iovec* iov, int iovcnt) {
  for (int i = 0; i < iovcnt && len > 0; ++i) {
    const size_t n = std::min(len, iov[i].iov_len);
    if (n == 0) continue;
    std::memcpy(iov[i].iov_base, in, n);
    in += n;
    len -= n;
  }
}

}  // namespace

bool SocketApi::Blocks(const FdObject* o, int flags) const {
  return poll_once_ && o && !o->nonblocking && !(flags & MSG_DONTWAIT);
}

std::optional<Duration> SocketApi::SockTimeout(Duration d) {
  if (d <= Duration::Nanos(0)) return std::nullopt;
  return d;
}

std::optional<Instant> SocketApi::DeadlineAfter(Duration sock_timeout) const {
  if (sock_timeout <= Duration::Nanos(0)) return std::nullopt;
  return now_ + sock_timeout;
}

int SocketApi::Drive(const std::function<bool()>& done, std::optional<Duration> timeout) {
  return DriveUntil(done, timeout ? std::optional<Instant>(now_ + *timeout) : std::nullopt);
}

int SocketApi::DriveUntil(const std::function<bool()>& done, std::optional<Instant> deadline) {
  if (!poll_once_) return done() ? 0 : -EAGAIN;
  const Instant end = deadline ? *deadline : Instant::Max();
  while (!done()) {
    if (now_ >= end) return -EAGAIN;
    if (!poll_once_()) return -EINTR;
  }
  return 0;
}

namespace {

// readv/writev as recvmsg/sendmsg with no address and no control data.
msghdr MsgOf(const iovec* iov, int iovcnt) {
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = static_cast<size_t>(std::max(iovcnt, 0));
  return msg;
}

}  // namespace

ssize_t SocketApi::ReadV(int fd, const iovec* iov, int iovcnt) {
  if (iovcnt < 0) return impl_->Get(fd) ? -EINVAL : -EBADF;
  msghdr msg = MsgOf(iov, iovcnt);
  return RecvMsg(fd, &msg, 0);
}

ssize_t SocketApi::WriteV(int fd, const iovec* iov, int iovcnt) {
  if (iovcnt < 0) return impl_->Get(fd) ? -EINVAL : -EBADF;
  const msghdr msg = MsgOf(iov, iovcnt);
  return SendMsg(fd, &msg, 0);
}

ssize_t SocketApi::SendMsg(int fd, const msghdr* msg, int flags) {
  if (!impl_->Get(fd)) return -EBADF;
  if (!msg) return -EFAULT;
  const int cnt =
      msg->msg_iovlen > static_cast<size_t>(IOV_MAX) ? -1 : static_cast<int>(msg->msg_iovlen);
  const ssize_t total = IovLength(msg->msg_iov, cnt);
  if (total < 0) return total;
  std::vector<uint8_t>& buf = impl_->scratch;
  buf.resize(static_cast<size_t>(total));
  Gather(msg->msg_iov, cnt, buf.data());
  const auto* to = static_cast<const sockaddr*>(msg->msg_name);
  const ssize_t n = SendTo(fd, buf.data(), buf.size(), flags, to, to ? msg->msg_namelen : 0);
  return n;
}

ssize_t SocketApi::RecvMsg(int fd, msghdr* msg, int flags) {
  if (!impl_->Get(fd)) return -EBADF;
  if (!msg) return -EFAULT;
  const int cnt =
      msg->msg_iovlen > static_cast<size_t>(IOV_MAX) ? -1 : static_cast<int>(msg->msg_iovlen);
  const ssize_t total = IovLength(msg->msg_iov, cnt);
  if (total < 0) return total;
  std::vector<uint8_t>& buf = impl_->scratch;
  buf.resize(static_cast<size_t>(total));
  auto* from = static_cast<sockaddr*>(msg->msg_name);
  socklen_t fromlen = from ? msg->msg_namelen : 0;
  const ssize_t n = RecvFrom(fd, buf.data(), buf.size(), flags, from, from ? &fromlen : nullptr);
  if (n < 0) return n;
  Scatter(buf.data(), static_cast<size_t>(n), msg->msg_iov, cnt);
  if (from) msg->msg_namelen = fromlen;
  msg->msg_controllen = 0;  // no ancillary data is produced
  msg->msg_flags = 0;
  return n;
}

int SocketApi::Ioctl(int fd, unsigned long request, void* arg) {
  FdObject* o = impl_->Get(fd);
  if (!o) return -EBADF;
  switch (request) {
    case FIONBIO: {
      if (!arg) return -EFAULT;
      int on = 0;
      std::memcpy(&on, arg, sizeof on);
      o->nonblocking = on != 0;
      return 0;
    }
    case FIONREAD: {
      if (!arg) return -EFAULT;
      if (PairSock* p = impl_->Pair(fd)) {
        const int n = static_cast<int>(p->rx.size());
        std::memcpy(arg, &n, sizeof n);
        return 0;
      }
      if (UdpSock* u = impl_->Udp(fd)) {  // Linux: the size of the next datagram, 0 if none
        const int n = u->Stash() == 0 ? static_cast<int>(u->peeked.size()) : 0;
        std::memcpy(arg, &n, sizeof n);
        return 0;
      }
      TcpSock* t = impl_->Tcp(fd);
      if (!t) return -ENOTTY;
      if (t->state == TcpSockState::kListening) return -EINVAL;  // as Linux
      const int n = t->state == TcpSockState::kConnected
                        ? static_cast<int>(std::min<size_t>(t->conn->readable_bytes(), INT_MAX))
                        : 0;
      std::memcpy(arg, &n, sizeof n);
      return 0;
    }
    case FIOCLEX:
    case FIONCLEX:
      impl_->SetCloexec(fd, request == FIOCLEX);  // recorded; nothing is exec'd here
      return 0;
    default:
      return -ENOTTY;
  }
}

int SocketApi::Fcntl(int fd, int cmd, long arg) {
  FdObject* o = impl_->Get(fd);
  if (!o) return -EBADF;
  switch (cmd) {
    case F_GETFL:
      return O_RDWR | (o->nonblocking ? O_NONBLOCK : 0);
    case F_SETFL:
      o->nonblocking = (arg & O_NONBLOCK) != 0;
      return 0;
    case F_GETFD:
      return impl_->Cloexec(fd) ? FD_CLOEXEC : 0;
    case F_SETFD:
      impl_->SetCloexec(fd, (arg & FD_CLOEXEC) != 0);
      return 0;
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      if (arg < 0 || arg > kFdMax) return -EINVAL;
      const int nfd = impl_->InsertAtLeast(impl_->Shared(fd), static_cast<int>(arg));
      if (nfd >= 0) impl_->SetCloexec(nfd, cmd == F_DUPFD_CLOEXEC);
      return nfd;
    }
    default:
      return -EINVAL;
  }
}

int SocketApi::Dup(int fd) {
  if (!impl_->Get(fd)) return -EBADF;
  return impl_->Insert(impl_->Shared(fd));
}

int SocketApi::Dup2(int oldfd, int newfd) {
  if (!impl_->Get(oldfd)) return -EBADF;
  if (newfd < kFdBase || newfd > kFdMax) return -EBADF;
  if (newfd == oldfd) return newfd;
  if (impl_->Get(newfd)) Close(newfd);
  return impl_->InsertAt(impl_->Shared(oldfd), newfd);
}

}  // namespace ustack
