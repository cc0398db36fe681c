// Simulation harness, see sim_harness.h.
#include "sim_harness.h"

#include <algorithm>

namespace ustack::sim {
namespace {

StackConfig ConfigFor(Ipv4Addr addr, uint64_t seed) {
  StackConfig cfg;
  cfg.net.addr = addr;
  cfg.net.netmask = Ipv4Addr::Of(255, 255, 255, 0);
  cfg.seed = seed;
  return cfg;
}

}  // namespace

TwoStacks::TwoStacks(rte_mempool* pool, uint64_t seed, const Impairment& imp)
    : now_(Instant::FromNanos(1'000'000'000)) {
  const MacAddr mac_a{{0x02, 0, 0, 0, 0, 0x0a}};
  const MacAddr mac_b{{0x02, 0, 0, 0, 0, 0x0b}};
  link_ = std::make_unique<SimLink>(pool, seed, imp, imp, mac_a, mac_b);
  stack_a_ =
      std::make_unique<Stack>(link_->MakeEndpoint(Side::kA), ConfigFor(kAddrA, seed * 2 + 1), now_);
  stack_b_ =
      std::make_unique<Stack>(link_->MakeEndpoint(Side::kB), ConfigFor(kAddrB, seed * 2 + 2), now_);
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
    now_ = std::max(next, now_ + Duration::Nanos(1));
  }
  return false;
}

}  // namespace ustack::sim
