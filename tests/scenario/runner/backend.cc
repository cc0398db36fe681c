// The two runner backends, see backend.h.
#include "backend.h"

#include <dlfcn.h>
#include <fcntl.h>

#include <cerrno>
#include <deque>

#include "packetdrill/packetdrill_interface.h"

namespace ustack::scenario {
namespace {

class HarnessBackend final : public Backend {
 public:
  explicit HarnessBackend(std::unique_ptr<pd::L3Harness> h) : h_(std::move(h)) {}

  int64_t Now() const override { return h_->elapsed_usecs(); }
  bool Inject(std::span<const uint8_t> ipv4) override { return h_->Inject(ipv4); }
  bool StepTowards(int64_t t) override {
    return h_->StepTowards(h_->start() + Duration::Micros(t));
  }
  void JumpTo(int64_t t) override { h_->AdvanceTo(h_->start() + Duration::Micros(t)); }
  bool HasOutput() override { return h_->has_output(); }
  const SentPacket& Front() override {
    front_ = Convert(h_->front_output());
    return front_;
  }
  SentPacket Pop() override { return Convert(h_->PopOutput()); }

  // Each call is followed by a poll at the same instant so that its output leaves at once.
  template <typename T>
  T Settled(T r) {
    h_->Settle();
    return r;
  }
  int Socket(int d, int t, int p) override { return Settled(api().Socket(d, t, p)); }
  int Bind(int fd, const sockaddr* a, socklen_t l) override {
    return Settled(api().Bind(fd, a, l));
  }
  int Listen(int fd, int b) override { return Settled(api().Listen(fd, b)); }
  int Accept(int fd, sockaddr* a, socklen_t* l) override { return Settled(api().Accept(fd, a, l)); }
  int Connect(int fd, const sockaddr* a, socklen_t l) override {
    return Settled(api().Connect(fd, a, l));
  }
  ssize_t Read(int fd, void* b, size_t n) override { return Settled(api().Read(fd, b, n)); }
  ssize_t Write(int fd, const void* b, size_t n) override { return Settled(api().Write(fd, b, n)); }
  int Shutdown(int fd, int how) override { return Settled(api().Shutdown(fd, how)); }
  int Close(int fd) override { return Settled(api().Close(fd)); }
  int GetSockOpt(int fd, int lv, int nm, void* v, socklen_t* l) override {
    return Settled(api().GetSockOpt(fd, lv, nm, v, l));
  }
  int SetSockOpt(int fd, int lv, int nm, const void* v, socklen_t l) override {
    return Settled(api().SetSockOpt(fd, lv, nm, v, l));
  }
  int EpollCreate() override { return api().EpollCreate(); }
  int EpollCtl(int ep, int op, int fd, epoll_event* ev) override {
    return api().EpollCtl(ep, op, fd, ev);
  }
  int EpollWait(int ep, epoll_event* evs, int max) override {
    return api().EpollWait(ep, evs, max);
  }

 private:
  SocketApi& api() { return h_->api(); }
  SentPacket Convert(const pd::OutPacket& p) const {
    return SentPacket{p.bytes, (p.sent - h_->start()).micros()};
  }
  std::unique_ptr<pd::L3Harness> h_;
  SentPacket front_;
};

// The plugin is driven exactly as packetdrill drives it, through the function pointers.
class PluginBackend final : public Backend {
 public:
  // The shared object stays loaded for the life of the process (its EAL cannot restart).
  explicit PluginBackend(const packetdrill_interface& ifc) : ifc_(ifc), u_(ifc.userdata) {
    timeval tv{};
    ifc_.gettimeofday(u_, &tv, nullptr);
    epoch_ = static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec;
  }
  ~PluginBackend() override { ifc_.free(u_); }

  int64_t Now() const override {
    timeval tv{};
    ifc_.gettimeofday(u_, &tv, nullptr);
    return static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec - epoch_;
  }
  bool Inject(std::span<const uint8_t> ipv4) override {
    const bool ok = ifc_.netdev_send(u_, ipv4.data(), ipv4.size()) == 0;
    Drain();
    return ok;
  }
  // The plugin has no "next deadline": the clock moves in steps of at most 1 ms (timers fire
  // at their exact instants inside usleep; packets carry their own send times).
  bool StepTowards(int64_t t) override {
    const int64_t now = Now();
    if (now >= t) return false;
    ifc_.usleep(u_, static_cast<useconds_t>(std::min<int64_t>(t - now, kStepUsecs)));
    Drain();
    return true;
  }
  void JumpTo(int64_t t) override {
    const int64_t now = Now();
    if (now < t) ifc_.usleep(u_, static_cast<useconds_t>(t - now));
    Drain();
  }
  bool HasOutput() override {
    Drain();
    return !out_.empty();
  }
  const SentPacket& Front() override { return out_.front(); }
  SentPacket Pop() override {
    SentPacket p = std::move(out_.front());
    out_.pop_front();
    return p;
  }

  int Socket(int d, int t, int p) override { return NonBlocking(Ret(ifc_.socket(u_, d, t, p))); }
  int Bind(int fd, const sockaddr* a, socklen_t l) override { return Ret(ifc_.bind(u_, fd, a, l)); }
  int Listen(int fd, int b) override { return Ret(ifc_.listen(u_, fd, b)); }
  int Accept(int fd, sockaddr* a, socklen_t* l) override {
    return NonBlocking(Ret(ifc_.accept(u_, fd, a, l)));
  }
  int Connect(int fd, const sockaddr* a, socklen_t l) override {
    return Ret(ifc_.connect(u_, fd, a, l));
  }
  ssize_t Read(int fd, void* b, size_t n) override { return Ret(ifc_.read(u_, fd, b, n)); }
  ssize_t Write(int fd, const void* b, size_t n) override { return Ret(ifc_.write(u_, fd, b, n)); }
  int Shutdown(int fd, int how) override { return Ret(ifc_.shutdown(u_, fd, how)); }
  int Close(int fd) override { return Ret(ifc_.close(u_, fd)); }
  int GetSockOpt(int fd, int lv, int nm, void* v, socklen_t* l) override {
    return Ret(ifc_.getsockopt(u_, fd, lv, nm, v, l));
  }
  int SetSockOpt(int fd, int lv, int nm, const void* v, socklen_t l) override {
    return Ret(ifc_.setsockopt(u_, fd, lv, nm, v, l));
  }
  int EpollCreate() override { return Ret(ifc_.epoll_create(u_, 1)); }
  int EpollCtl(int ep, int op, int fd, epoll_event* ev) override {
    return Ret(ifc_.epoll_ctl(u_, ep, op, fd, ev));
  }
  int EpollWait(int ep, epoll_event* evs, int max) override {
    return Ret(ifc_.epoll_wait(u_, ep, evs, max, 0));
  }

 private:
  static constexpr int64_t kStepUsecs = 1000;

  template <typename T>
  static T Ret(T r) {
    return r < 0 ? static_cast<T>(-errno) : r;
  }
  int NonBlocking(int fd) {
    if (fd >= 0) ifc_.fcntl(u_, fd, F_SETFL, O_RDWR | O_NONBLOCK);
    return fd;
  }
  void Drain() {
    while (true) {
      SentPacket p;
      p.bytes.resize(65536);
      size_t n = p.bytes.size();
      long long t = 0;
      if (ifc_.netdev_receive(u_, p.bytes.data(), &n, &t) != 0 || n == 0) return;
      p.bytes.resize(n);
      p.sent = t - epoch_;
      out_.push_back(std::move(p));
    }
  }

  packetdrill_interface ifc_;
  void* u_;
  int64_t epoch_ = 0;
  std::deque<SentPacket> out_;
};

}  // namespace

std::unique_ptr<Backend> MakeHarnessBackend(const pd::HarnessConfig& cfg, std::string* error) {
  auto h = pd::L3Harness::Create(cfg, error);
  if (!h) return nullptr;
  return std::make_unique<HarnessBackend>(std::move(h));
}

std::unique_ptr<Backend> MakePluginBackend(const std::string& path, const std::string& flags,
                                           std::string* error) {
  // The library stays loaded for the life of the process (DPDK keeps state in it).
  void* so = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!so) {
    *error = std::string("dlopen: ") + dlerror();
    return nullptr;
  }
  auto init =
      reinterpret_cast<packetdrill_interface_init_t>(dlsym(so, "packetdrill_interface_init"));
  if (!init) {
    *error = "no packetdrill_interface_init in " + path;
    return nullptr;
  }
  packetdrill_interface ifc{};
  init(flags.c_str(), &ifc);
  if (!ifc.userdata) {
    *error = "packetdrill_interface_init failed";
    return nullptr;
  }
  return std::make_unique<PluginBackend>(ifc);
}

}  // namespace ustack::scenario
