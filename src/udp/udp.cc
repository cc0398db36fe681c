// UDP sockets and demultiplexing, see udp.h. Sockets are owned by the layer (unique_ptr in
// a vector); the port table maps a local port to the sockets bound on it.
#include "udp/udp.h"

#include <algorithm>
#include <cerrno>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/byte_order.h"
#include "base/checksum.h"
#include "base/ring_fifo.h"
#include "wire/icmp.h"
#include "wire/udp.h"

namespace ustack {
namespace {

inline constexpr size_t kMaxUdpPayload = 65507;  // 65535 - 20 (IPv4) - 8 (UDP)

struct Datagram {
  Packet payload;
  UdpEndpoint from;
};

class UdpSocketImpl final : public UdpSocket {
 public:
  UdpSocketImpl(UdpLayer::Impl& layer, UdpEndpoint local, EventSink* sink)
      : layer_(layer), local_(local), sink_(sink) {}

  Result<size_t> SendTo(std::span<const uint8_t> data, UdpEndpoint to, Instant now) override;
  Result<size_t> RecvFrom(std::span<uint8_t> out, UdpEndpoint* from) override;
  uint32_t events() const override {
    return (queue_.empty() ? 0 : kEventIn) | kEventOut | (error_ != 0 ? kEventErr : 0);
  }
  void set_sink(EventSink* sink) override { sink_ = sink; }
  UdpEndpoint local() const override { return local_; }
  void set_peer(UdpEndpoint peer) override { peer_ = peer; }
  int TakeError() override { return std::exchange(error_, 0); }

  // Queues a datagram whose payload starts at the front of `payload`; false when full.
  bool Enqueue(Packet payload, UdpEndpoint from, uint32_t limit);
  // A hard ICMP error about a datagram sent to `to`: pending when `to` is the connected peer.
  bool ReportError(UdpEndpoint to, int error);

 private:
  UdpLayer::Impl& layer_;
  UdpEndpoint local_;
  EventSink* sink_;
  RingFifo<Datagram> queue_;  // allocates nothing while empty
  size_t queued_bytes_ = 0;
  UdpEndpoint peer_;  // port 0: not connected
  int error_ = 0;     // pending error (errno), reported once
};

}  // namespace

struct UdpLayer::Impl {
  IpOutput& ip;
  Random& random;
  UdpConfig cfg;
  UdpCounters counters;
  std::unordered_map<uint16_t, std::vector<std::unique_ptr<UdpSocketImpl>>> ports;

  UdpSocketImpl* Lookup(Ipv4Addr dst, uint16_t port) {
    auto it = ports.find(port);
    if (it == ports.end()) return nullptr;
    UdpSocketImpl* wildcard = nullptr;
    for (auto& s : it->second) {
      if (s->local().addr == dst) return s.get();
      if (s->local().addr.IsAny()) wildcard = s.get();
    }
    return wildcard;
  }

  bool PortFree(Ipv4Addr addr, uint16_t port) const {
    auto it = ports.find(port);
    if (it == ports.end()) return true;
    return std::none_of(it->second.begin(), it->second.end(), [&](const auto& s) {
      return s->local().addr.IsAny() || addr.IsAny() || s->local().addr == addr;
    });
  }

  uint16_t PickEphemeral(Ipv4Addr addr) {
    const uint32_t span = uint32_t{cfg.ephemeral_hi} - cfg.ephemeral_lo + 1;
    const uint32_t start = static_cast<uint32_t>(random.Below(span));
    for (uint32_t i = 0; i < span; ++i) {
      const auto port = static_cast<uint16_t>(cfg.ephemeral_lo + (start + i) % span);
      if (PortFree(addr, port)) return port;
    }
    return 0;
  }
};

namespace {

Result<size_t> UdpSocketImpl::SendTo(std::span<const uint8_t> data, UdpEndpoint to, Instant now) {
  UdpCounters& c = layer_.counters;
  if (error_ != 0) return Error{TakeError()};  // as Linux: the send reports it instead
  if (data.size() > kMaxUdpPayload) return Error{EMSGSIZE};
  if (to.port == 0 || to.addr.IsAny()) return Error{EDESTADDRREQ};
  Packet pkt = layer_.ip.AllocTx();
  if (!pkt) {
    ++c.drop_send_failed;
    return Error{ENOBUFS};
  }
  const bool fits = data.size() <= pkt.tailroom();
  if (fits) {
    std::copy(data.begin(), data.end(), pkt.Append(static_cast<uint16_t>(data.size())));
  } else if (!layer_.ip.tx_pool() || !pkt.AppendBytes(layer_.ip.tx_pool(), data)) {
    ++c.drop_send_failed;
    return Error{ENOBUFS};
  }
  const Ipv4Addr src = local_.addr.IsAny() ? layer_.ip.SourceFor(to.addr) : local_.addr;
  const auto total = static_cast<uint16_t>(data.size() + kUdpHeaderLen);
  UdpRepr hdr{.src_port = local_.port, .dst_port = to.port, .length = total, .checksum = 0};
  uint8_t* h = pkt.Prepend(kUdpHeaderLen);
  if (!h) return Error{ENOBUFS};
  hdr.Emit(std::span<uint8_t, kUdpHeaderLen>(h, kUdpHeaderLen));
  uint64_t sum = PseudoHeaderSumV4(src.v, to.addr.v, kIpProtoUdp, total);
  uint16_t ck = ChecksumFinish(pkt.ChecksumSum(0, total) + sum);
  // RFC 768: a computed checksum of zero is transmitted as all ones.
  hdr.checksum = ck == 0 ? 0xffff : ck;
  hdr.Emit(std::span<uint8_t, kUdpHeaderLen>(h, kUdpHeaderLen));
  Ipv4SendOptions opts;
  opts.dont_fragment = false;  // large datagrams are fragmented by IP
  if (!layer_.ip.SendIpv4(std::move(pkt), src, to.addr, kIpProtoUdp, opts, now)) {
    ++c.drop_send_failed;
    return Error{EHOSTUNREACH};
  }
  ++c.datagrams_out;
  return data.size();
}

Result<size_t> UdpSocketImpl::RecvFrom(std::span<uint8_t> out, UdpEndpoint* from) {
  if (error_ != 0) return Error{TakeError()};
  if (queue_.empty()) return Error{EAGAIN};
  Datagram d = queue_.pop_front();
  queued_bytes_ -= d.payload.length();
  if (from) *from = d.from;
  return d.payload.CopyOut(0, out);  // excess is discarded, as for a datagram socket
}

bool UdpSocketImpl::ReportError(UdpEndpoint to, int error) {
  if (peer_.port == 0 || peer_.port != to.port || peer_.addr != to.addr) return false;
  error_ = error;
  if (sink_) sink_->OnEvents(events());
  return true;
}

bool UdpSocketImpl::Enqueue(Packet payload, UdpEndpoint from, uint32_t limit) {
  if (queued_bytes_ + payload.length() > limit) return false;
  queued_bytes_ += payload.length();
  queue_.push_back({std::move(payload), from});
  if (sink_) sink_->OnEvents(events());
  return true;
}

}  // namespace

UdpLayer::UdpLayer(IpOutput& ip, Random& random, const UdpConfig& cfg)
    : impl_(new Impl{ip, random, cfg, {}, {}}) {}

UdpLayer::~UdpLayer() = default;

const UdpCounters& UdpLayer::counters() const { return impl_->counters; }

Result<UdpSocket*> UdpLayer::Bind(UdpEndpoint local, EventSink* sink) {
  if (local.port == 0) {
    local.port = impl_->PickEphemeral(local.addr);
    if (local.port == 0) return Error{EADDRNOTAVAIL};
  } else if (!impl_->PortFree(local.addr, local.port)) {
    return Error{EADDRINUSE};
  }
  if (!local.addr.IsAny() && !impl_->ip.IsLocal(local.addr)) return Error{EADDRNOTAVAIL};
  auto s = std::make_unique<UdpSocketImpl>(*impl_, local, sink);
  UdpSocket* raw = s.get();
  impl_->ports[local.port].push_back(std::move(s));
  return raw;
}

void UdpLayer::Close(UdpSocket* s) {
  auto it = impl_->ports.find(s->local().port);
  if (it == impl_->ports.end()) return;
  auto& v = it->second;
  v.erase(std::remove_if(v.begin(), v.end(), [&](const auto& p) { return p.get() == s; }), v.end());
  if (v.empty()) impl_->ports.erase(it);
}

// RFC 1122 4.1.3.3: UDP MUST pass ICMP errors to the application. As Linux does without
// IP_RECVERR, only hard errors about a datagram to a connected socket's peer are kept, as the
// socket's pending error (ECONNREFUSED for port unreachable); the rest is counted.
void UdpLayer::OnIcmpError(const IcmpErrorInfo& err, Instant) {
  UdpCounters& c = impl_->counters;
  // Linux without IP_RECVERR: only hard errors reach the socket.
  const IcmpErrno meaning = IcmpErrorErrno(err.type, err.code);
  const int error = meaning.hard ? meaning.error : 0;
  UdpSocketImpl* s = nullptr;
  if (error != 0 && err.transport.size() >= 4) {  // the quote holds both ports
    s = impl_->Lookup(err.src, LoadBe16(err.transport.data()));
  }
  const UdpEndpoint to{
      err.dst, err.transport.size() >= 4 ? LoadBe16(err.transport.data() + 2) : uint16_t{0}};
  if (s != nullptr && s->ReportError(to, error)) {
    ++c.icmp_errors_reported;
  } else {
    ++c.icmp_errors_ignored;
  }
}

Delivery UdpLayer::OnIpv4(Packet& pkt, const Ipv4Info& ip, Instant) {
  UdpCounters& c = impl_->counters;
  if (!pkt.MakeContiguous(kUdpHeaderLen)) {
    ++c.drop_malformed;
    return Delivery::kConsumed;
  }
  auto hdr = UdpRepr::Parse(pkt.head(), pkt.length());
  if (!hdr) {
    ++c.drop_malformed;
    return Delivery::kConsumed;
  }
  // RFC 768: a zero checksum means the sender did not compute one.
  if (hdr->checksum != 0) {
    uint64_t sum = PseudoHeaderSumV4(ip.src.v, ip.dst.v, kIpProtoUdp, hdr->length);
    if (ChecksumFold(pkt.ChecksumSum(0, hdr->length) + sum) != 0xffff) {
      ++c.drop_bad_checksum;
      return Delivery::kConsumed;
    }
  }
  UdpSocketImpl* s = impl_->Lookup(ip.dst, hdr->dst_port);
  if (!s) {
    ++c.drop_no_port;
    return Delivery::kNoListener;
  }
  Packet payload = std::move(pkt);
  if (!payload.TruncateTo(hdr->length) || !payload.Pull(kUdpHeaderLen)) {
    ++c.drop_malformed;
    return Delivery::kConsumed;
  }
  ++c.datagrams_in;
  if (!s->Enqueue(std::move(payload), {ip.src, hdr->src_port}, impl_->cfg.receive_buffer)) {
    ++c.drop_receive_buffer_full;
  }
  return Delivery::kConsumed;
}

}  // namespace ustack
