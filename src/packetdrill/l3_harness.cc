// L3Harness and its port, see l3_harness.h.
#include "packetdrill/l3_harness.h"

#include <algorithm>
#include <cstdio>

#include "packetdrill/harness_eal.h"
#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

namespace ustack::pd {
namespace {

constexpr MacAddr kStackMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
constexpr MacAddr kPeerMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
constexpr unsigned kPoolSize = 4095;
constexpr int kMaxSettleRounds = 1000;   // bound on polls at one instant
constexpr int kMaxTimerSteps = 1000000;  // bound on deadline jumps in one AdvanceTo

}  // namespace

// The port under the stack: transmit answers ARP and queues IPv4 packets in the harness;
// receive hands out what the harness injected (and ARP replies).
class HarnessPort final : public Port {
 public:
  HarnessPort(L3Harness& h, rte_mempool* pool, uint16_t mtu) : h_(h), pool_(pool), mtu_(mtu) {}

  uint16_t RxBurst(std::span<Packet> out, Instant) override {
    uint16_t n = 0;
    while (n < out.size() && !rx_.empty()) {
      stats_.rx_packets++;
      stats_.rx_bytes += rx_.front().length();
      out[n++] = std::move(rx_.front());
      rx_.pop_front();
    }
    return n;
  }

  uint16_t TxBurst(std::span<Packet> pkts, Instant now) override {
    for (Packet& p : pkts) {
      stats_.tx_packets++;
      stats_.tx_bytes += p.length();
      std::vector<uint8_t> frame(p.length());
      p.CopyOut(0, frame);
      p.Reset();
      OnFrame(frame, now);
    }
    return static_cast<uint16_t>(pkts.size());
  }

  MacAddr mac() const override { return kStackMac; }
  uint16_t mtu() const override { return mtu_; }
  rte_mempool* pool() const override { return pool_; }
  PortStats stats() const override { return stats_; }

  bool rx_pending() const { return !rx_.empty(); }

  // Queues `payload` for the stack behind an Ethernet header of `ethertype`.
  bool Deliver(uint16_t ethertype, std::span<const uint8_t> payload) {
    std::vector<uint8_t> frame(kEthernetHeaderLen + payload.size());
    EthernetRepr eth{kStackMac, kPeerMac, ethertype, std::nullopt};
    eth.Emit(frame);
    std::copy(payload.begin(), payload.end(), frame.begin() + kEthernetHeaderLen);
    Packet p = Packet::FromBytes(pool_, frame);
    if (!p) return false;
    rx_.push_back(std::move(p));
    return true;
  }

 private:
  void OnFrame(std::span<const uint8_t> frame, Instant now) {
    auto eth = EthernetView::Parse(frame);
    if (!eth) return;
    const uint16_t type = eth->inner_ethertype();
    if (type == kEtherTypeArp) {
      auto arp = ArpRepr::Parse(eth->payload());
      // Answer every request except the stack's own gratuitous announcements.
      if (!arp.ok() || arp.value().op != ArpOp::kRequest ||
          arp.value().target_ip == arp.value().sender_ip) {
        return;
      }
      ArpRepr reply{ArpOp::kReply, kPeerMac, arp.value().target_ip, kStackMac,
                    arp.value().sender_ip};
      std::vector<uint8_t> bytes(ArpRepr::length());
      reply.Emit(bytes);
      Deliver(kEtherTypeArp, bytes);
      return;
    }
    if (type != kEtherTypeIpv4) return;
    auto ip = Ipv4View::ParseHeader(eth->payload());
    if (!ip) return;
    const size_t len = std::min<size_t>(ip->total_length(), eth->payload().size());
    auto bytes = eth->payload().first(len);
    h_.Collect(OutPacket{std::vector<uint8_t>(bytes.begin(), bytes.end()), now});
  }

  L3Harness& h_;
  rte_mempool* pool_;
  uint16_t mtu_;
  std::deque<Packet> rx_;
  PortStats stats_;
};

L3Harness::L3Harness(const HarnessConfig& cfg)
    : cfg_(cfg), start_(Instant::FromNanos(int64_t{1000} * 1000000000)), now_(start_) {}

L3Harness::~L3Harness() {
  api_.reset();
  stack_.reset();
  pool_.reset();
}

std::unique_ptr<L3Harness> L3Harness::Create(const HarnessConfig& cfg, std::string* error) {
  if (!InitHarnessEal()) {
    if (error) *error = "cannot initialise the DPDK EAL";
    return nullptr;
  }
  std::unique_ptr<L3Harness> h(new L3Harness(cfg));
  char name[32];
  std::snprintf(
      name, sizeof name, "pdh%llx",
      static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(h.get()) & 0xffffffffffULL));
  h->pool_ = std::make_unique<PacketPool>(name, kPoolSize);
  if (!h->pool_->ok()) {
    if (error) *error = "cannot create the mbuf pool";
    return nullptr;
  }
  auto port = std::make_unique<HarnessPort>(*h, h->pool_->get(), cfg.mtu);
  h->port_ = port.get();
  StackConfig sc;
  sc.net.addr = cfg.local_ip;
  sc.net.netmask = cfg.netmask;
  sc.net.gateway = cfg.gateway;
  sc.tcp = cfg.tcp;
  sc.seed = cfg.seed;
  h->stack_ = std::make_unique<Stack>(std::move(port), sc, h->now_);
  h->api_ = std::make_unique<SocketApi>(*h->stack_);
  h->api_->set_now(h->now_);
  h->Settle();
  return h;
}

void L3Harness::Settle() {
  api_->set_now(now_);
  for (int i = 0; i < kMaxSettleRounds; ++i) {
    stack_->Poll(now_);
    if (!port_->rx_pending()) break;
  }
}

bool L3Harness::Inject(std::span<const uint8_t> ipv4) {
  const bool ok = port_->Deliver(kEtherTypeIpv4, ipv4);
  Settle();
  return ok;
}

bool L3Harness::StepTowards(Instant limit) {
  if (now_ >= limit) return false;
  Instant next = stack_->NextDeadline();
  if (next <= now_) next = now_ + Duration::Nanos(1);
  now_ = std::min(next, limit);
  Settle();
  return true;
}

void L3Harness::AdvanceTo(Instant t) {
  for (int i = 0; i < kMaxTimerSteps && StepTowards(t); ++i) {
  }
}

OutPacket L3Harness::PopOutput() {
  OutPacket p = std::move(out_.front());
  out_.pop_front();
  return p;
}

}  // namespace ustack::pd
