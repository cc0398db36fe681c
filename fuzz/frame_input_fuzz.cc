// libFuzzer target over the frame input path: a whole Stack (Ethernet, ARP, IPv4, reassembly,
// ICMP, UDP, TCP with a listener) fed a sequence of frames. Stateful on purpose: one stack
// lives across inputs, so sequences of segments reach deep TCP states. The input is a list
// of frames, each prefixed by a 16-bit length; time advances 1 ms per frame.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/byte_order.h"
#include "buf/packet.h"
#include "buf/test_eal.h"
#include "socket/socket_api.h"
#include "stack/stack.h"

namespace ustack {
namespace {

// A port whose received frames come from the fuzzer and whose transmitted frames vanish.
class FuzzPort final : public Port {
 public:
  explicit FuzzPort(rte_mempool* pool) : pool_(pool) {}
  uint16_t RxBurst(std::span<Packet> out, Instant) override {
    uint16_t n = 0;
    while (n < out.size() && !pending_.empty()) {
      out[n++] = std::move(pending_.back());
      pending_.pop_back();
    }
    return n;
  }
  uint16_t TxBurst(std::span<Packet> pkts, Instant) override {
    for (auto& p : pkts) p.Reset();
    return static_cast<uint16_t>(pkts.size());
  }
  MacAddr mac() const override { return {{0x02, 0, 0, 0, 0, 0x02}}; }
  uint16_t mtu() const override { return 1500; }
  rte_mempool* pool() const override { return pool_; }
  PortStats stats() const override { return {}; }
  void Push(Packet p) { pending_.insert(pending_.begin(), std::move(p)); }

 private:
  rte_mempool* pool_;
  std::vector<Packet> pending_;
};

struct Harness {
  PacketPool pool{"fuzz_pool", 4095};
  FuzzPort* port = nullptr;
  std::unique_ptr<Stack> stack;
  std::unique_ptr<SocketApi> api;
  Instant now = Instant::FromNanos(1000000000);

  Harness() {
    auto p = std::make_unique<FuzzPort>(pool.get());
    port = p.get();
    StackConfig cfg;
    cfg.net.addr = Ipv4Addr::Of(198, 18, 0, 2);
    cfg.net.gateway = Ipv4Addr::Of(198, 18, 0, 1);
    cfg.seed = 1;
    stack = std::make_unique<Stack>(std::move(p), cfg, now);
    api = std::make_unique<SocketApi>(*stack);
    const int l = api->Socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(80);
    api->Bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a);
    api->Listen(l, 16);
    const int u = api->Socket(AF_INET, SOCK_DGRAM, 0);
    a.sin_port = htons(7);
    api->Bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
};

Harness& GetHarness() {
  static Harness h;  // fuzz harness state, not protocol code
  return h;
}

}  // namespace
}  // namespace ustack

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ustack::InitTestEal();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ustack;
  Harness& h = GetHarness();
  std::span<const uint8_t> in(data, size);
  while (in.size() >= 2) {
    const size_t len = std::min<size_t>(LoadBe16(in.data()), in.size() - 2);
    Packet p = Packet::FromBytes(h.pool.get(), in.subspan(2, len));
    in = in.subspan(2 + len);
    if (!p) break;
    h.port->Push(std::move(p));
    h.now += Duration::Millis(1);
    h.api->set_now(h.now);
    h.stack->Poll(h.now);
  }
  // Let timers run so retransmission and reassembly expiry paths execute too.
  h.now += Duration::Millis(300);
  h.stack->Poll(h.now);
  return 0;
}
