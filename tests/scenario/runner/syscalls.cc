// Socket calls of a scenario script, see syscalls.h.
#include "syscalls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "tcp_info_fields.h"

namespace ustack::scenario {
namespace {

const Expr& Arg(const SyscallSpec& c, size_t i) {
  if (i >= c.args.size())
    throw std::runtime_error(c.name + ": missing argument " + std::to_string(i + 1));
  return c.args[i];
}

int64_t IntArg(const SyscallSpec& c, size_t i) {
  const Expr& e = Arg(c, i);
  if (e.kind == Expr::Kind::kList && !e.items.empty()) return e.items[0].value;
  return e.value;
}

// The total of an iovec list [{..., 100}, {..., 200}].
int64_t IovLength(const Expr& e) {
  int64_t n = 0;
  for (const Expr& iov : e.items)
    if (!iov.items.empty()) n += iov.items.back().value;
  return n;
}

// `...` is the default address; a {sin_port=htons(p), sin_addr=inet_addr("a")} overrides.
sockaddr_in Address(const Expr& e, Ipv4Addr ip, uint16_t port) {
  for (size_t i = 0; i < e.keys.size(); ++i) {
    if (e.keys[i] == "sin_port") port = static_cast<uint16_t>(e.items[i].value);
    if (e.keys[i] == "sin_addr" && e.items[i].kind == Expr::Kind::kString)
      if (auto a = Ipv4Addr::Parse(e.items[i].text)) ip = *a;
  }
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  in.sin_addr.s_addr = htonl(ip.v);
  return in;
}

// A getsockopt value given as a string (compared as a C string) or a struct: struct tcp_info
// by field name (unnamed fields are not checked), struct linger by position or name.
std::string CheckValue(const Expr& want, int name, const std::vector<uint8_t>& got) {
  if (want.kind == Expr::Kind::kString) {
    const std::string s(got.begin(), std::find(got.begin(), got.end(), uint8_t{0}));
    return s == want.text ? "" : "option value \"" + s + "\", expected \"" + want.text + "\"";
  }
  std::string diffs;
  auto diff = [&diffs](const std::string& field, int64_t w, int64_t g) {
    if (w != g)
      diffs += (diffs.empty() ? "" : ", ") + field + " " + std::to_string(g) + " (expected " +
               std::to_string(w) + ")";
  };
  if (name == TCP_INFO) {
    tcp_info info{};
    std::memcpy(&info, got.data(), std::min(got.size(), sizeof info));
    for (size_t i = 0; i < want.items.size(); ++i) {
      auto v = TcpInfoField(info, want.keys[i]);
      if (!v) throw std::runtime_error("unknown struct tcp_info field '" + want.keys[i] + "'");
      if (want.items[i].kind != Expr::Kind::kEllipsis) diff(want.keys[i], want.items[i].value, *v);
    }
  } else {
    int pair[2] = {0, 0};
    std::memcpy(pair, got.data(), std::min(got.size(), sizeof pair));
    for (size_t i = 0; i < want.items.size() && i < 2; ++i) {
      const bool second = want.keys[i] == "l_linger" || (want.keys[i].empty() && i == 1);
      diff(second ? "l_linger" : "l_onoff", want.items[i].value, pair[second ? 1 : 0]);
    }
  }
  return diffs.empty() ? "" : "option value: " + diffs;
}

}  // namespace

int Syscalls::Live(const Expr& fd) const {
  auto it = fds_.find(fd.value);
  return it != fds_.end() ? it->second : static_cast<int>(1000000 + fd.value);
}

bool Syscalls::Blocking(const Expr& fd) const { return nonblocking_.count(fd.value) == 0; }

std::optional<CallOutcome> Syscalls::Attempt(const SyscallSpec& c, bool first,
                                             int64_t waited_usecs) {
  Backend& api = b_;
  const std::string& n = c.name;
  CallOutcome o;
  if (n == "socket") {
    const Expr& dom = Arg(c, 0);
    o.ret = api.Socket(dom.kind == Expr::Kind::kEllipsis ? AF_INET : static_cast<int>(dom.value),
                       static_cast<int>(IntArg(c, 1)), static_cast<int>(IntArg(c, 2)));
  } else if (n == "bind") {
    const sockaddr_in a = Address(Arg(c, 1), flow_.local_ip, kBindPort);
    flow_.local_port = ntohs(a.sin_port);
    o.ret = api.Bind(Live(Arg(c, 0)), reinterpret_cast<const sockaddr*>(&a), sizeof a);
  } else if (n == "listen") {
    o.ret = api.Listen(Live(Arg(c, 0)), static_cast<int>(IntArg(c, 1)));
  } else if (n == "accept") {
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    o.ret = api.Accept(Live(Arg(c, 0)), reinterpret_cast<sockaddr*>(&peer), &len);
    if (o.ret == -EAGAIN && Blocking(Arg(c, 0))) return std::nullopt;
  } else if (n == "connect") {
    return Connect(c, first);
  } else if (n == "read" || n == "recv" || n == "recvfrom" || n == "readv") {
    return Transfer(c, false, first);
  } else if (n == "write" || n == "send" || n == "sendto" || n == "writev") {
    return Transfer(c, true, first);
  } else if (n == "close") {
    o.ret = api.Close(Live(Arg(c, 0)));
    if (o.ret == 0) {
      fds_.erase(Arg(c, 0).value);
      nonblocking_.erase(Arg(c, 0).value);
    }
  } else if (n == "shutdown") {
    o.ret = api.Shutdown(Live(Arg(c, 0)), static_cast<int>(IntArg(c, 1)));
  } else if (n == "setsockopt" || n == "getsockopt") {
    o = SockOpt(c, n == "setsockopt");
  } else if (n == "fcntl") {
    o = Fcntl(c);
  } else if (n == "poll") {
    return Poll(c, waited_usecs);
  } else {
    throw std::runtime_error("unsupported system call '" + n + "'");
  }
  return o;
}

std::optional<CallOutcome> Syscalls::Connect(const SyscallSpec& c, bool first) {
  Backend& api = b_;
  const int fd = Live(Arg(c, 0));
  const sockaddr_in a = Address(Arg(c, 1), flow_.remote_ip, kBindPort);
  CallOutcome o;
  if (first) {
    flow_.remote_port = ntohs(a.sin_port);
    flow_.local_port_known = false;
    o.ret = api.Connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    if (o.ret == -EINPROGRESS && Blocking(Arg(c, 0))) return std::nullopt;
    return o;
  }
  o.ret = api.Connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  if (o.ret == -EALREADY) return std::nullopt;
  return o;
}

std::optional<CallOutcome> Syscalls::Transfer(const SyscallSpec& c, bool write, bool first) {
  Backend& api = b_;
  const bool vec = c.name == "readv" || c.name == "writev";
  const int64_t want = vec ? IovLength(Arg(c, 1)) : IntArg(c, 2);
  if (want < 0 || want > (64 << 20)) throw std::runtime_error(c.name + ": bad length");
  if (first) progress_ = 0;
  std::vector<uint8_t> buf(static_cast<size_t>(want - progress_), 0);
  const int fd = Live(Arg(c, 0));
  const ssize_t r =
      write ? api.Write(fd, buf.data(), buf.size()) : api.Read(fd, buf.data(), buf.size());
  CallOutcome o;
  const bool blocking = Blocking(Arg(c, 0));
  if (r == -EAGAIN && blocking) return std::nullopt;
  if (r < 0) {
    o.ret = progress_ > 0 ? progress_ : r;
    return o;
  }
  progress_ += r;
  // A blocking write returns once everything is queued; a read once anything arrived.
  if (write && blocking && progress_ < want) return std::nullopt;
  o.ret = progress_;
  return o;
}

std::optional<CallOutcome> Syscalls::Poll(const SyscallSpec& c, int64_t waited_usecs) {
  Backend& api = b_;
  const Expr& list = Arg(c, 0);
  const int64_t timeout_ms = IntArg(c, 2);
  const int ep = api.EpollCreate();
  std::vector<int64_t> want_events, want_revents, fds;
  for (const Expr& pfd : list.items) {
    int64_t fd = -1, events = 0, revents = 0;
    for (size_t i = 0; i < pfd.keys.size(); ++i) {
      if (pfd.keys[i] == "fd") fd = pfd.items[i].value;
      if (pfd.keys[i] == "events") events = pfd.items[i].value;
      if (pfd.keys[i] == "revents") revents = pfd.items[i].value;
    }
    epoll_event ev{};
    ev.events = static_cast<uint32_t>(events);
    ev.data.u64 = fds.size();
    api.EpollCtl(ep, EPOLL_CTL_ADD, Live(Expr{Expr::Kind::kInt, fd, "", {}, {}}), &ev);
    fds.push_back(fd);
    want_events.push_back(events);
    want_revents.push_back(revents);
  }
  std::vector<epoll_event> ready(fds.size() + 1);
  const int n = api.EpollWait(ep, ready.data(), static_cast<int>(ready.size()));
  api.Close(ep);
  if (n <= 0 && (timeout_ms < 0 || waited_usecs < timeout_ms * 1000)) return std::nullopt;
  CallOutcome o;
  o.ret = n < 0 ? n : n;
  std::vector<int64_t> got(fds.size(), 0);
  for (int i = 0; i < n; ++i) got[ready[i].data.u64] = ready[i].events;
  for (size_t i = 0; i < fds.size(); ++i)
    if (got[i] != want_revents[i])
      o.revents_mismatch += "fd " + std::to_string(fds[i]) + " revents expected " +
                            std::to_string(want_revents[i]) + " got " + std::to_string(got[i]) +
                            " ";
  return o;
}

CallOutcome Syscalls::SockOpt(const SyscallSpec& c, bool set) {
  Backend& api = b_;
  const int fd = Live(Arg(c, 0));
  const int level = static_cast<int>(IntArg(c, 1));
  const int name = static_cast<int>(IntArg(c, 2));
  CallOutcome o;
  if (set) {
    const Expr& v = Arg(c, 3);
    if (v.kind == Expr::Kind::kString) {  // TCP_CONGESTION, "reno"
      o.ret = api.SetSockOpt(fd, level, name, v.text.data(), static_cast<socklen_t>(v.text.size()));
    } else if (v.kind == Expr::Kind::kStruct) {  // struct linger {l_onoff, l_linger}
      int pair[2] = {v.items.size() > 0 ? static_cast<int>(v.items[0].value) : 0,
                     v.items.size() > 1 ? static_cast<int>(v.items[1].value) : 0};
      o.ret = api.SetSockOpt(fd, level, name, pair, sizeof pair);
    } else {
      const int val = static_cast<int>(IntArg(c, 3));
      o.ret = api.SetSockOpt(fd, level, name, &val, sizeof val);
    }
    return o;
  }
  const Expr* want = c.args.size() > 3 ? &c.args[3] : nullptr;
  if (want && (want->kind == Expr::Kind::kStruct || want->kind == Expr::Kind::kString)) {
    // struct tcp_info, struct linger or a name: read the whole value.
    std::vector<uint8_t> buf(name == TCP_INFO ? sizeof(tcp_info) : 64, 0);
    socklen_t len = static_cast<socklen_t>(buf.size());
    o.ret = api.GetSockOpt(fd, level, name, buf.data(), &len);
    buf.resize(std::min<size_t>(buf.size(), len));
    o.out_bytes = std::move(buf);
    return o;
  }
  int val = 0;
  socklen_t len = sizeof val;
  o.ret = api.GetSockOpt(fd, level, name, &val, &len);
  o.out_value = val;
  return o;
}

CallOutcome Syscalls::Fcntl(const SyscallSpec& c) {
  const Expr& fd = Arg(c, 0);
  CallOutcome o;
  if (fds_.count(fd.value) == 0) {
    o.ret = -EBADF;
    return o;
  }
  const int64_t cmd = IntArg(c, 1);
  if (cmd == F_SETFL) {
    if (IntArg(c, 2) & O_NONBLOCK) {
      nonblocking_.insert(fd.value);
    } else {
      nonblocking_.erase(fd.value);
    }
  } else if (cmd == F_GETFL) {
    o.ret = O_RDWR | (nonblocking_.count(fd.value) ? O_NONBLOCK : 0);
  } else {
    o.ret = -EINVAL;
  }
  return o;
}

std::string Syscalls::Check(const SyscallSpec& c, const CallOutcome& o) {
  const bool new_fd = (c.name == "socket" || c.name == "accept") && o.ret >= 0 && c.ret >= 0;
  std::string got = o.ret >= 0 ? std::to_string(new_fd ? c.ret : o.ret)
                               : "-1 " + ErrnoName(static_cast<int>(-o.ret));
  std::string want = c.ret == -1 ? "-1 " + c.err : std::to_string(c.ret);
  if (got != want) return "returned " + got + ", expected " + want;
  if ((c.name == "socket" || c.name == "accept") && o.ret >= 0) {
    fds_[c.ret] = static_cast<int>(o.ret);
    if (c.name == "socket" && (IntArg(c, 1) & SOCK_NONBLOCK)) nonblocking_.insert(c.ret);
  }
  if (c.name == "getsockopt" && o.ret == 0 && c.args.size() > 3) {
    const Expr& v = c.args[3];
    if (v.kind == Expr::Kind::kStruct || v.kind == Expr::Kind::kString)
      return CheckValue(v, static_cast<int>(IntArg(c, 2)), o.out_bytes);
    if (v.kind != Expr::Kind::kEllipsis && IntArg(c, 3) != o.out_value)
      return "option value " + std::to_string(o.out_value) + ", expected " +
             std::to_string(IntArg(c, 3));
  }
  if (!o.revents_mismatch.empty()) return o.revents_mismatch;
  return "";
}

}  // namespace ustack::scenario
