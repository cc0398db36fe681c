// Simulation harness, see sim_harness.h.
#include "sim_harness.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "port/pcapng_port.h"

namespace ustack::sim {
namespace {

StackConfig ConfigFor(Ipv4Addr addr, uint64_t seed, const TcpConfig& tcp) {
  StackConfig cfg;
  cfg.tcp = tcp;
  cfg.net.addr = addr;
  cfg.net.netmask = Ipv4Addr::Of(255, 255, 255, 0);
  cfg.seed = seed;
  return cfg;
}

// With USTACK_SIM_PCAP=PREFIX set, stack X's port is recorded in PREFIX-X.pcapng (for
// replaying a failing seed in Wireshark or tshark).
std::unique_ptr<Port> MaybeCapture(std::unique_ptr<Port> port, const char* side) {
  const char* prefix = std::getenv("USTACK_SIM_PCAP");
  if (prefix == nullptr || *prefix == '\0') return port;
  const std::string path = std::string(prefix) + "-" + side + ".pcapng";
  std::string error;
  PcapngOptions opts;
  opts.snaplen = 128;  // headers are what a replay needs
  auto wrapped = PcapngPort::Wrap(std::move(port), path, opts, int64_t{0}, &error);
  if (!wrapped) {
    std::fprintf(stderr, "USTACK_SIM_PCAP: %s\n", error.c_str());
    std::abort();
  }
  std::fprintf(stderr, "capturing stack %s in %s\n", side, path.c_str());
  return wrapped;
}

}  // namespace

TwoStacks::TwoStacks(rte_mempool* pool, uint64_t seed, const Impairment& imp, const TcpConfig& tcp)
    : now_(Instant::FromNanos(1'000'000'000)) {
  const MacAddr mac_a{{0x02, 0, 0, 0, 0, 0x0a}};
  const MacAddr mac_b{{0x02, 0, 0, 0, 0, 0x0b}};
  link_ = std::make_unique<SimLink>(pool, seed, imp, imp, mac_a, mac_b);
  stack_a_ = std::make_unique<Stack>(MaybeCapture(link_->MakeEndpoint(Side::kA), "a"),
                                     ConfigFor(kAddrA, seed * 2 + 1, tcp), now_);
  stack_b_ = std::make_unique<Stack>(MaybeCapture(link_->MakeEndpoint(Side::kB), "b"),
                                     ConfigFor(kAddrB, seed * 2 + 2, tcp), now_);
  api_a_ = std::make_unique<SocketApi>(*stack_a_);
  api_b_ = std::make_unique<SocketApi>(*stack_b_);
  // Calls made before the first RunUntil (connect, listen) must see the simulated clock too.
  api_a_->set_now(now_);
  api_b_->set_now(now_);
}

TwoStacks::~TwoStacks() {
  api_a_.reset();
  api_b_.reset();
  stack_a_.reset();
  stack_b_.reset();
}

bool TwoStacks::RunUntil(const std::function<bool()>& step, Duration limit) {
  const Instant end = now_ + limit;
  while (now_ < end) {
    api_a_->set_now(now_);
    api_b_->set_now(now_);
    const size_t work = stack_a_->Poll(now_) + stack_b_->Poll(now_);
    if (step()) return true;
    // Flush what the applications produced in this iteration.
    stack_a_->Poll(now_);
    stack_b_->Poll(now_);
    Instant next =
        std::min({link_->NextDelivery(), stack_a_->NextDeadline(), stack_b_->NextDeadline()});
    if (work > 0) next = std::min(next, now_ + Duration::Micros(1));
    // Nothing pending: stop at the limit rather than at Instant::Max (a later call would
    // start from there).
    now_ = std::max(std::min(next, end), now_ + Duration::Nanos(1));
  }
  return false;
}

}  // namespace ustack::sim
