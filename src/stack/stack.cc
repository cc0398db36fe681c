// Stack: the per-core poll loop, see stack.h.
#include "stack/stack.h"

#include "stack/tsc_clock.h"

#include <sys/random.h>

#include <array>
#include <ctime>

namespace ustack {
namespace {

uint64_t SeedFromOs() {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) != sizeof seed) {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    seed = static_cast<uint64_t>(ts.tv_nsec) ^ (static_cast<uint64_t>(ts.tv_sec) << 20);
  }
  return seed | 1;
}

}  // namespace

Stack::Stack(std::unique_ptr<Port> port, const StackConfig& cfg, Instant now)
    : port_(std::move(port)),
      timers_(now),
      random_(cfg.seed != 0 ? cfg.seed : SeedFromOs()),
      rx_burst_(cfg.rx_burst == 0 || cfg.rx_burst > 64 ? 32 : cfg.rx_burst) {
  net_ = std::make_unique<NetInterface>(*port_, timers_, cfg.net, now);
  tcp_ = std::make_unique<TcpLayer>(*net_, timers_, random_, cfg.tcp);
  udp_ = std::make_unique<UdpLayer>(*net_, random_, cfg.udp);
  net_->RegisterTransport(kIpProtoTcp, tcp_.get());
  net_->RegisterTransport(kIpProtoUdp, udp_.get());
  net_->Start(now);
  net_->FlushTx(now);
}

Stack::~Stack() {
  // Transports go first: their destructors may still send through the interface.
  udp_.reset();
  tcp_.reset();
  net_.reset();
}

Instant Stack::Now() { return TscClock::Process().Now(); }

size_t Stack::Poll(Instant now) {
  ++polls_;
  timers_.Advance(now);
  const uint16_t n = port_->RxBurst(std::span(burst_.data(), rx_burst_), now);
  for (uint16_t i = 0; i < n; ++i) net_->Input(std::move(burst_[i]), now);
  Flush(now);
  return n;
}

void Stack::Flush(Instant now) {
  tcp_->Flush(now);
  net_->FlushTx(now);
}

}  // namespace ustack
