// TcpLayer: the public face (tcp.h) forwarding to TcpEngine (engine.h), and TcpStateName.
#include "tcp/engine.h"
#include "tcp/tcp.h"

namespace ustack {

struct TcpLayer::Impl {
  Impl(IpOutput& ip, TimerWheel& timers, Random& random, const TcpConfig& cfg)
      : engine(ip, timers, random, cfg) {}
  TcpEngine engine;
};

TcpLayer::TcpLayer(IpOutput& ip, TimerWheel& timers, Random& random, const TcpConfig& cfg)
    : impl_(std::make_unique<Impl>(ip, timers, random, cfg)) {}

TcpLayer::~TcpLayer() = default;

Delivery TcpLayer::OnIpv4(Packet& pkt, const Ipv4Info& ip, Instant now) {
  return impl_->engine.OnIpv4(pkt, ip, now);
}

void TcpLayer::OnIcmpError(const IcmpErrorInfo& err, Instant now) {
  impl_->engine.OnIcmpError(err, now);
}

Result<TcpListener*> TcpLayer::Listen(Ipv4Addr addr, uint16_t port, int backlog, EventSink* sink,
                                      const TcpSockSettings& settings) {
  return impl_->engine.Listen(addr, port, backlog, sink, settings);
}

Result<TcpConnection*> TcpLayer::Connect(Ipv4Addr local, uint16_t local_port, Ipv4Addr remote,
                                         uint16_t remote_port, EventSink* sink, Instant now,
                                         const TcpSockSettings& settings) {
  return impl_->engine.Connect(local, local_port, remote, remote_port, sink, now, settings);
}

TcpConnection* TcpLayer::Accept(TcpListener* l, EventSink* sink) {
  return impl_->engine.Accept(l, sink);
}

void TcpLayer::CloseListener(TcpListener* l, Instant now) { impl_->engine.CloseListener(l, now); }

void TcpLayer::HoldPortAfterClose(TcpConnection* c, bool reuse_addr, bool reuse_port) {
  impl_->engine.HoldPortAfterClose(static_cast<Connection*>(c), reuse_addr, reuse_port);
}

bool TcpLayer::PortHeldAfterClose(Ipv4Addr addr, uint16_t port, bool reuse_addr,
                                  bool reuse_port) const {
  return impl_->engine.PortHeldAfterClose(addr, port, reuse_addr, reuse_port);
}

void TcpLayer::Flush(Instant now) { impl_->engine.Flush(now); }

const TcpCounters& TcpLayer::counters() const { return impl_->engine.counters(); }

size_t TcpLayer::connection_count() const { return impl_->engine.connection_count(); }

const char* TcpStateName(TcpState s) {
  switch (s) {
    case TcpState::kClosed:
      return "CLOSED";
    case TcpState::kListen:
      return "LISTEN";
    case TcpState::kSynSent:
      return "SYN-SENT";
    case TcpState::kSynReceived:
      return "SYN-RECEIVED";
    case TcpState::kEstablished:
      return "ESTABLISHED";
    case TcpState::kFinWait1:
      return "FIN-WAIT-1";
    case TcpState::kFinWait2:
      return "FIN-WAIT-2";
    case TcpState::kCloseWait:
      return "CLOSE-WAIT";
    case TcpState::kClosing:
      return "CLOSING";
    case TcpState::kLastAck:
      return "LAST-ACK";
    case TcpState::kTimeWait:
      return "TIME-WAIT";
  }
  return "?";
}

}  // namespace ustack
