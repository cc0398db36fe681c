// The ustack backend of the API tests: two stacks over a clean simulated link (client = A,
// server = B). The clock advances in fixed steps; both SocketApis get a poll_once hook that
// runs one step of the whole simulation, so blocking calls and wait timeouts behave as they
// do under the C API's run loop.
#include <memory>

#include "api_backend.h"
#include "buf/test_eal.h"
#include "sim_harness.h"

namespace ustack::api {
namespace {

using sim::TwoStacks;

class UstackHost final : public Host {
 public:
  explicit UstackHost(SocketApi& s) : s_(s) {}
  int Socket(int d, int t, int p) override { return s_.Socket(d, t, p); }
  int Socketpair(int d, int t, int p, int sv[2]) override { return s_.Socketpair(d, t, p, sv); }
  int Bind(int fd, const sockaddr* a, socklen_t l) override { return s_.Bind(fd, a, l); }
  int Listen(int fd, int backlog) override { return s_.Listen(fd, backlog); }
  int Accept4(int fd, sockaddr* a, socklen_t* l, int f) override { return s_.Accept4(fd, a, l, f); }
  int Connect(int fd, const sockaddr* a, socklen_t l) override { return s_.Connect(fd, a, l); }
  ssize_t Read(int fd, void* b, size_t n) override { return s_.Read(fd, b, n); }
  ssize_t Write(int fd, const void* b, size_t n) override { return s_.Write(fd, b, n); }
  ssize_t SendTo(int fd, const void* b, size_t n, int f, const sockaddr* to,
                 socklen_t tl) override {
    return s_.SendTo(fd, b, n, f, to, tl);
  }
  ssize_t RecvFrom(int fd, void* b, size_t n, int f, sockaddr* from, socklen_t* fl) override {
    return s_.RecvFrom(fd, b, n, f, from, fl);
  }
  ssize_t ReadV(int fd, const iovec* iov, int n) override { return s_.ReadV(fd, iov, n); }
  ssize_t WriteV(int fd, const iovec* iov, int n) override { return s_.WriteV(fd, iov, n); }
  ssize_t SendMsg(int fd, const msghdr* m, int f) override { return s_.SendMsg(fd, m, f); }
  ssize_t RecvMsg(int fd, msghdr* m, int f) override { return s_.RecvMsg(fd, m, f); }
  int Shutdown(int fd, int how) override { return s_.Shutdown(fd, how); }
  int Close(int fd) override { return s_.Close(fd); }
  int GetSockOpt(int fd, int lv, int n, void* v, socklen_t* l) override {
    return s_.GetSockOpt(fd, lv, n, v, l);
  }
  int SetSockOpt(int fd, int lv, int n, const void* v, socklen_t l) override {
    return s_.SetSockOpt(fd, lv, n, v, l);
  }
  int GetSockName(int fd, sockaddr* a, socklen_t* l) override { return s_.GetSockName(fd, a, l); }
  int GetPeerName(int fd, sockaddr* a, socklen_t* l) override { return s_.GetPeerName(fd, a, l); }
  int Fcntl(int fd, int cmd, long arg) override { return s_.Fcntl(fd, cmd, arg); }
  int Ioctl(int fd, unsigned long r, void* arg) override { return s_.Ioctl(fd, r, arg); }
  int Dup(int fd) override { return s_.Dup(fd); }
  int Poll(pollfd* fds, nfds_t n, int t) override { return s_.Poll(fds, n, t); }
  int Select(int n, fd_set* r, fd_set* w, fd_set* e, timeval* t) override {
    return s_.Select(n, r, w, e, t);
  }
  int EpollCreate() override { return s_.EpollCreate(); }
  int EpollCtl(int ep, int op, int fd, epoll_event* ev) override {
    return s_.EpollCtl(ep, op, fd, ev);
  }
  int EpollWait(int ep, epoll_event* ev, int max, int t) override {
    return s_.EpollWait(ep, ev, max, t);
  }

 private:
  SocketApi& s_;
};

rte_mempool* Pool() {
  static PacketPool pool("api_pool", 8191);  // test fixture state
  return pool.get();
}

class UstackBackend final : public Backend {
 public:
  static constexpr Duration kStep = Duration::Micros(50);

  UstackBackend() {
    Impairment clean;
    clean.delay = Duration::Micros(20);
    s_ = std::make_unique<TwoStacks>(Pool(), 4242, clean);
    t_ = s_->now();
    s_->a().set_now(t_);
    s_->b().set_now(t_);
    s_->a().set_poll_once([this] { return Step(); });
    s_->b().set_poll_once([this] { return Step(); });
    client_ = std::make_unique<UstackHost>(s_->a());
    server_ = std::make_unique<UstackHost>(s_->b());
  }
  ~UstackBackend() override {
    s_->a().set_poll_once(nullptr);
    s_->b().set_poll_once(nullptr);
  }

  const char* name() const override { return "ustack"; }
  Host& client() override { return *client_; }
  Host& server() override { return *server_; }
  sockaddr_in ServerAddr(uint16_t port) const override { return sim::Sockaddr(sim::kAddrB, port); }
  bool Until(const std::function<bool()>& pred, Duration limit) override {
    const Instant end = t_ + limit;
    while (!pred()) {
      if (t_ >= end) return false;
      Step();
    }
    return true;
  }
  void Settle() override {
    for (int i = 0; i < 100; ++i) Step();  // 5 ms: many round trips of the 20 us link
  }
  Instant Now() override { return t_; }

 private:
  bool Step() {
    t_ += kStep;
    s_->a().set_now(t_);
    s_->b().set_now(t_);
    s_->stack_a().Poll(t_);
    s_->stack_b().Poll(t_);
    return true;
  }

  std::unique_ptr<TwoStacks> s_;
  Instant t_;
  std::unique_ptr<UstackHost> client_;
  std::unique_ptr<UstackHost> server_;
};

}  // namespace

std::unique_ptr<Backend> MakeUstackBackend() {
  if (!InitTestEal()) return nullptr;
  return std::make_unique<UstackBackend>();
}

}  // namespace ustack::api
