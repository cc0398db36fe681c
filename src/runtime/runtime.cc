// Process start-up and the poll loop, see runtime.h. The stop flag below is the process's
// only global: a signal handler can reach nothing else.
#include "runtime/runtime.h"

#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>

#include "port/dpdk_port.h"
#include "port/frame_size.h"
#include "port/impaired_port.h"
#include "port/memif_args.h"
#include "port/pcapng_port.h"
#include "runtime/eal.h"
#include "runtime/idle_policy.h"

namespace ustack {
namespace {

volatile std::sig_atomic_t stop_requested = 0;

void OnStopSignal(int) { stop_requested = 1; }

// Sleeps for `d` (a signal cuts it short, which is what a stop request wants).
void SleepFor(Duration d) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(d.nanos() / 1000000000);
  ts.tv_nsec = static_cast<long>(d.nanos() % 1000000000);
  nanosleep(&ts, nullptr);
}

void SetStopHandlers(void (*handler)(int)) {
  struct sigaction sa = {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace

void Runtime::RequestStop() { stop_requested = 1; }

std::unique_ptr<Runtime> Runtime::Create(const UstackConfig& cfg, const std::string& program,
                                         std::string* error) {
  std::unique_ptr<Runtime> rt(new Runtime(cfg));
  if (!rt->Start(program, error)) return nullptr;
  return rt;
}

bool Runtime::Start(const std::string& program, std::string* error) {
  // Frames above 1500 bytes: memif buffers (bsize) and mbufs that hold a whole frame.
  DpdkSection dpdk = cfg_.dpdk;
  dpdk.eal_args = WithMemifBufferSize(dpdk.eal_args, cfg_.port0.mtu);
  if (!InitEal(dpdk, program, error)) return false;
  eal_started_ = true;
  const uint16_t room = DataRoomForMtu(cfg_.port0.mtu);
  const unsigned mbufs = PoolMbufsFor(room, kPoolMbufs);
  pool_ = std::make_unique<PacketPool>("ustack_pool0", mbufs, room);
  if (!pool_->ok()) {
    *error = "cannot create a pool of " + std::to_string(mbufs) + " mbufs of " +
             std::to_string(room) + " bytes (is [dpdk] memory large enough?)";
    return false;
  }
  DpdkPortConfig pc;
  pc.port_id = cfg_.dpdk.port_id;
  pc.mtu = cfg_.port0.mtu;
  pc.promiscuous = cfg_.dpdk.promiscuous;
  std::string port_error;
  std::unique_ptr<Port> port = DpdkPort::Open(pc, *pool_, &port_error);
  if (!port) {
    *error = "cannot open DPDK port " + std::to_string(pc.port_id) + " (" +
             std::to_string(DpdkPortCount()) + " ports available): " + port_error;
    return false;
  }
  // Zero-copy send may chain the application's mbufs into segments only where the device
  // transmits mbuf chains and no wrapper (impairment, capture) looks at whole frames.
  const DpdkCapabilities& caps = static_cast<DpdkPort*>(port.get())->capabilities();
  const bool attach = caps.tx_multi_segs && !cfg_.impair.enable && !cfg_.pcap.enable;
  const std::string mtu_note = "up to " + std::to_string(caps.usable_max_mtu) + ": " +
                               caps.mtu_limit + "; device at " +
                               std::to_string(caps.configured_mtu);
  if (cfg_.impair.enable) port = WrapImpaired(std::move(port));
  if (cfg_.pcap.enable) {
    capture_path_ =
        cfg_.pcap.savepath + "/ustack-" + std::to_string(static_cast<long>(getpid())) + ".pcapng";
    std::unique_ptr<Port> wrapped =
        PcapngPort::Wrap(std::move(port), capture_path_, cfg_.pcap.snaplen, &port_error);
    if (!wrapped) {
      *error = "cannot capture to " + capture_path_ + ": " + port_error;
      return false;
    }
    port = std::move(wrapped);
  }
  MacAddr mac = port->mac();
  StackConfig stack_cfg = cfg_.ToStackConfig();
  stack_cfg.tcp.zero_copy_attach = attach;
  stack_ = std::make_unique<Stack>(std::move(port), stack_cfg, Stack::Now());
  sockets_ = std::make_unique<SocketApi>(*stack_);
  std::fprintf(stderr, "ustack: port %u mac %s addr %s mtu %u (%s)%s%s\n", cfg_.dpdk.port_id,
               mac.ToString().c_str(), cfg_.port0.addr.ToString().c_str(), stack_->port().mtu(),
               mtu_note.c_str(), capture_path_.empty() ? "" : " capture ", capture_path_.c_str());
  return true;
}

std::unique_ptr<Port> Runtime::WrapImpaired(std::unique_ptr<Port> port) {
  const ImpairSection& c = cfg_.impair;
  const Impairment imp = c.ToImpairment();
  auto wrapped =
      std::make_unique<ImpairedPort>(std::move(port), c.impairs_rx() ? imp : Impairment{},
                                     c.impairs_tx() ? imp : Impairment{}, c.seed);
  impaired_ = wrapped.get();
  std::fprintf(stderr,
               "ustack: impairing %s: delay %u+-%u us, loss %g, duplicate %g, reorder %g "
               "(held %u us), corrupt %g, rate %llu kbit/s, seed %llu\n",
               c.direction == ImpairSection::Direction::kBoth ? "both directions"
               : c.impairs_rx()                               ? "rx only"
                                                              : "tx only",
               c.delay_us, c.jitter_us, c.loss, c.duplicate, c.reorder, c.reorder_delay_us,
               c.corrupt, static_cast<unsigned long long>(c.rate_kbps),
               static_cast<unsigned long long>(c.seed));
  return wrapped;
}

Instant Runtime::NextDeadline() const {
  const Instant timers = stack_->NextDeadline();
  return impaired_ == nullptr ? timers : Earliest(timers, impaired_->NextRelease());
}

Runtime::~Runtime() {
  sockets_.reset();
  stack_.reset();
  pool_.reset();
  if (eal_started_) CleanupEal();
}

bool Runtime::FlushMovedFrames(Instant now, uint64_t* tx_seen) {
  const size_t rx = stack_->Poll(now);
  const uint64_t tx = stack_->port().stats().tx_packets;
  const bool moved = rx > 0 || tx != *tx_seen;
  *tx_seen = tx;
  return moved;
}

int Runtime::Run(const std::function<void()>& on_iteration) {
  SetStopHandlers(OnStopSignal);
  IdlePolicy idle(cfg_.runtime.ToIdlePolicy(), Stack::Now());
  uint64_t tx_seen = stack_->port().stats().tx_packets;
  uint64_t sleeps = 0;
  Duration slept;
  while (stop_requested == 0) {
    const Instant now = Stack::Now();
    sockets_->set_now(now);
    const size_t rx = stack_->Poll(now);
    if (on_iteration) {
      on_iteration();
      stack_->Flush(now);
    }
    const uint64_t tx = stack_->port().stats().tx_packets;
    const bool active = rx > 0 || tx != tx_seen;
    tx_seen = tx;
    Duration nap = idle.Next(now, active);
    if (nap > Duration() && FlushMovedFrames(now, &tx_seen)) nap = idle.Next(now, true);
    // Only now: NextDeadline() may scan the timer wheel.
    if (nap > Duration()) nap = IdlePolicy::ClampToDeadline(nap, now, NextDeadline());
    if (nap > Duration()) {
      SleepFor(nap);
      ++sleeps;
      slept += nap;
    }
  }
  SetStopHandlers(SIG_DFL);
  std::fprintf(stderr, "ustack: stopping after %llu polls, %llu idle sleeps (%.3f s)\n",
               static_cast<unsigned long long>(stack_->polls()),
               static_cast<unsigned long long>(sleeps), static_cast<double>(slept.nanos()) / 1e9);
  stack_->PrintCounters(stderr);
  if (impaired_ != nullptr) impaired_->PrintCounters(stderr);
  std::fflush(stderr);
  return 0;
}

}  // namespace ustack
