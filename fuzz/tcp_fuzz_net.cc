// FuzzNet and its port, see tcp_fuzz_net.h.
#include "tcp_fuzz_net.h"

#include <algorithm>

#include "buf/packet.h"
#include "port/port.h"
#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

namespace ustack::fuzz {
namespace {

constexpr MacAddr kStackMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
constexpr MacAddr kPeerMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
constexpr int kMaxSettleRounds = 1000;  // bound on polls at one instant

}  // namespace

class FuzzNet::Port final : public ustack::Port {
 public:
  Port(rte_mempool* pool, std::deque<std::vector<uint8_t>>& out) : pool_(pool), out_(out) {}

  uint16_t RxBurst(std::span<Packet> out, Instant) override {
    uint16_t n = 0;
    while (n < out.size() && !rx_.empty()) {
      out[n++] = std::move(rx_.front());
      rx_.pop_front();
    }
    return n;
  }

  uint16_t TxBurst(std::span<Packet> pkts, Instant) override {
    for (Packet& p : pkts) {
      std::vector<uint8_t> frame(p.length());
      p.CopyOut(0, frame);
      p.Reset();
      OnFrame(frame);
    }
    return static_cast<uint16_t>(pkts.size());
  }

  MacAddr mac() const override { return kStackMac; }
  uint16_t mtu() const override { return 1500; }
  rte_mempool* pool() const override { return pool_; }
  PortStats stats() const override { return {}; }
  bool rx_pending() const { return !rx_.empty(); }

  // Queues `payload` for the stack behind an Ethernet header of `ethertype`.
  void Deliver(uint16_t ethertype, std::span<const uint8_t> payload) {
    std::vector<uint8_t> frame(kEthernetHeaderLen + payload.size());
    EthernetRepr{kStackMac, kPeerMac, ethertype, std::nullopt}.Emit(frame);
    std::copy(payload.begin(), payload.end(), frame.begin() + kEthernetHeaderLen);
    Packet p = Packet::FromBytes(pool_, frame);
    if (p) rx_.push_back(std::move(p));
  }

 private:
  // ARP requests are answered with the peer's MAC; IPv4 packets are kept.
  void OnFrame(std::span<const uint8_t> frame) {
    auto eth = EthernetView::Parse(frame);
    if (!eth) return;
    if (eth->inner_ethertype() == kEtherTypeArp) {
      auto arp = ArpRepr::Parse(eth->payload());
      if (!arp.ok() || arp.value().op != ArpOp::kRequest ||
          arp.value().target_ip == arp.value().sender_ip) {
        return;
      }
      const ArpRepr reply{ArpOp::kReply, kPeerMac, arp.value().target_ip, kStackMac,
                          arp.value().sender_ip};
      std::vector<uint8_t> bytes(ArpRepr::length());
      reply.Emit(bytes);
      Deliver(kEtherTypeArp, bytes);
      return;
    }
    if (eth->inner_ethertype() != kEtherTypeIpv4) return;
    auto ip = eth->payload();
    out_.emplace_back(ip.begin(), ip.end());
  }

  rte_mempool* pool_;
  std::deque<std::vector<uint8_t>>& out_;
  std::deque<Packet> rx_;
};

FuzzNet::FuzzNet(rte_mempool* pool, const TcpConfig& tcp)
    : start_(Instant::FromNanos(int64_t{1000} * 1000000000)), now_(start_) {
  auto port = std::make_unique<Port>(pool, out_);
  port_ = port.get();
  StackConfig sc;
  sc.net.addr = kLocalIp;
  sc.net.gateway = kGatewayIp;
  sc.tcp = tcp;
  sc.seed = 1;
  stack_ = std::make_unique<Stack>(std::move(port), sc, now_);
  Settle();
}

FuzzNet::~FuzzNet() = default;

void FuzzNet::Settle() {
  for (int i = 0; i < kMaxSettleRounds; ++i) {
    stack_->Poll(now_);
    if (!port_->rx_pending()) break;
  }
}

void FuzzNet::Inject(std::span<const uint8_t> ipv4) {
  port_->Deliver(kEtherTypeIpv4, ipv4);
  Settle();
}

bool FuzzNet::StepTowards(Instant limit) {
  if (now_ >= limit) return false;
  Instant next = stack_->NextDeadline();
  if (next <= now_) next = now_ + Duration::Nanos(1);
  now_ = std::min(next, limit);
  Settle();
  return true;
}

std::vector<uint8_t> FuzzNet::PopOutput() {
  std::vector<uint8_t> p = std::move(out_.front());
  out_.pop_front();
  return p;
}

}  // namespace ustack::fuzz
