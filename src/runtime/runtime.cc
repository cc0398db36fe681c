// Process start-up and the poll loop, see runtime.h. The stop flag below is the process's
// only global: a signal handler can reach nothing else.
#include "runtime/runtime.h"

#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "port/dpdk_port.h"
#include "port/pcapng_port.h"
#include "runtime/eal.h"

namespace ustack {
namespace {

volatile std::sig_atomic_t stop_requested = 0;

void OnStopSignal(int) { stop_requested = 1; }

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
  if (!InitEal(cfg_.dpdk, program, error)) return false;
  eal_started_ = true;
  pool_ = std::make_unique<PacketPool>("ustack_pool0", kPoolMbufs);
  if (!pool_->ok()) {
    *error = "cannot create a pool of " + std::to_string(kPoolMbufs) +
             " mbufs (is [dpdk] memory large enough?)";
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
  stack_ = std::make_unique<Stack>(std::move(port), cfg_.ToStackConfig(), Stack::Now());
  sockets_ = std::make_unique<SocketApi>(*stack_);
  std::fprintf(stderr, "ustack: port %u mac %s addr %s mtu %u%s%s\n", cfg_.dpdk.port_id,
               mac.ToString().c_str(), cfg_.port0.addr.ToString().c_str(), cfg_.port0.mtu,
               capture_path_.empty() ? "" : " capture ", capture_path_.c_str());
  return true;
}

Runtime::~Runtime() {
  sockets_.reset();
  stack_.reset();
  pool_.reset();
  if (eal_started_) CleanupEal();
}

int Runtime::Run(const std::function<void()>& on_iteration) {
  SetStopHandlers(OnStopSignal);
  while (stop_requested == 0) {
    Instant now = Stack::Now();
    sockets_->set_now(now);
    stack_->Poll(now);
    if (on_iteration) on_iteration();
  }
  SetStopHandlers(SIG_DFL);
  std::fprintf(stderr, "ustack: stopping after %llu polls\n",
               static_cast<unsigned long long>(stack_->polls()));
  stack_->PrintCounters(stderr);
  std::fflush(stderr);
  return 0;
}

}  // namespace ustack
