// TcpEngine: tables, demultiplexing, LISTEN and CLOSED input (with SYN cookies, RFC 4987),
// TIME-WAIT reuse (RFC 6191), opens, accept, Flush, the RFC 5961 challenge ACK budget and
// the deferred freeing of connections. See engine.h.
#include "tcp/engine.h"

#include <algorithm>
#include <cerrno>
#include <new>

namespace ustack {
namespace {

Connection* OwnerOf(ListNode* n) { return static_cast<OwnedNode<Connection>*>(n)->owner(); }

bool BadAddress(Ipv4Addr a) { return a.IsAny() || a.IsBroadcast() || a.IsMulticast(); }

// How many freed connections' memory is kept for reuse. None under AddressSanitizer (where
// BlockCache keeps nothing either), so a use after free of a connection is still caught.
constexpr size_t kSpareConnections = BlockCache::kKeepsBlocks ? 256 : 0;
static_assert(alignof(Connection) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
// Freed blocks kept per cached size (at most 1 MiB of 4 KiB send rings).
constexpr size_t kSpareBlocks = 256;

}  // namespace

TcpEngine::TcpEngine(IpOutput& ip, TimerWheel& timers, Random& random, const TcpConfig& cfg)
    : ip_(ip),
      timers_(timers),
      random_(random),
      cfg_(cfg),
      isn_(random),
      cookies_(random),
      table_(FourTupleHash{random.Next64()}, TupleOf{}, 64),
      port_hash_{random.Next64()},
      next_ephemeral_(static_cast<uint32_t>(random.Next64())),
      port_holds_(port_hash_.key ^ 0x5bd1e9955bd1e995ULL),
      blocks_({SendBuffer::kMinRing, ChunkRing::kInitialBytes, SentLog::kInitialBytes},
              kSpareBlocks) {}

TcpEngine::~TcpEngine() {
  retired_.clear();
  while (ListNode* n = all_.PopFront()) FreeConnection(OwnerOf(n));
  for (void* p : spare_conns_) ::operator delete(p);
  listeners_.clear();
}

uint16_t TcpEngine::MssFor(Ipv4Addr remote) const {
  // RFC 9293 3.7.1: MSS = MMS_R - 20 (TCP header without options); MMS_R is what IP says
  // fits the path unfragmented, minus nothing else here.
  const uint16_t m = ip_.MaxTransportSize(remote);
  return m > kTcpHeaderLen + 64 ? static_cast<uint16_t>(m - kTcpHeaderLen) : 536;
}

Connection* TcpEngine::Find(const FourTuple& t) const {
  Connection* const* c = table_.Find(t);
  return c ? *c : nullptr;
}

Listener* TcpEngine::FindListener(Ipv4Addr addr, uint16_t port) const {
  auto it = listeners_.find(ListenKey(addr, port));  // exact address first
  if (it == listeners_.end()) it = listeners_.find(ListenKey(Ipv4Addr::Any(), port));
  return it == listeners_.end() ? nullptr : it->second.get();
}

Delivery TcpEngine::OnIpv4(Packet& pkt, const Ipv4Info& ip, Instant now) {
  ++counters_.segs_in;
  Segment seg;
  FourTuple t;
  if (ParseSegment(pkt, ip, &seg, &t)) {
    Connection* c = Find(t);
    Listener* tw_listener = nullptr;
    if (c && c->state() == TcpState::kTimeWait && c->TimeWaitAcceptsSyn(seg)) {
      tw_listener = FindListener(t.local, t.local_port);
    }
    if (tw_listener) {
      // RFC 6191 / RFC 9293 3.6.1 (RFC 1122 4.2.2.13): a new SYN that is provably newer than
      // the old incarnation ends TIME-WAIT early and opens a new connection.
      ++counters_.time_wait_reused;
      c->ResetAndClose(now);
      Unhash(c);
      ListenInput(tw_listener, t, seg, now);
    } else if (c) {
      c->OnSegment(seg, now);
    } else if (Listener* l = FindListener(t.local, t.local_port)) {
      ListenInput(l, t, seg, now);
    } else {
      ResetNoConnection(t, seg, now);
    }
  }
  Reap();
  return Delivery::kConsumed;  // TCP answers with RST, never ICMP port unreachable
}

bool TcpEngine::ParseSegment(Packet& pkt, const Ipv4Info& ip, Segment* seg, FourTuple* t) {
  const uint32_t len = pkt.length();
  if (len < kTcpHeaderLen) {
    ++counters_.drop_malformed;
    return false;
  }
  // RFC 9293 3.1: the checksum covers the pseudo header, header and data.
  if (!TcpChecksumValidV4(ip.src, ip.dst, len, pkt.ChecksumSum(0, len))) {
    ++counters_.drop_bad_checksum;
    return false;
  }
  if (!pkt.MakeContiguous(std::min<uint32_t>(len, kTcpMaxHeaderLen))) {
    ++counters_.drop_no_memory;
    return false;
  }
  const auto view = TcpView::Parse(pkt.head());
  const auto repr = view ? TcpRepr::Parse(*view) : std::nullopt;
  // RFC 1122 4.2.3.10: no segments from or to broadcast/multicast addresses; port 0 is invalid.
  if (!repr || BadAddress(ip.src) || BadAddress(ip.dst) || ip.dst_broadcast ||
      repr->src_port == 0 || repr->dst_port == 0) {
    ++counters_.drop_malformed;
    return false;
  }
  *t = FourTuple{ip.dst, repr->dst_port, ip.src, repr->src_port};
  seg->seq = Seq32(repr->seq);
  seg->ack = Seq32(repr->ack);
  seg->flags = repr->flags;
  seg->window = repr->window;
  seg->options = repr->options;
  seg->pkt = &pkt;
  seg->payload_off = static_cast<uint32_t>(view->header_length());
  seg->payload_len = len - seg->payload_off;
  seg->ce = (ip.tos & 3) == 3;  // RFC 3168 5: Congestion Experienced
  return true;
}

// RFC 9293 3.10.7.2: SEGMENT ARRIVES in LISTEN.
void TcpEngine::ListenInput(Listener* l, const FourTuple& t, Segment& seg, Instant now) {
  if (seg.has(kTcpRst)) return;  // first: an incoming RST is ignored
  if (seg.has(kTcpAck)) {        // second: any ACK is bad: <SEQ=SEG.ACK><CTL=RST>
    if (!seg.has(kTcpSyn) && TryCookie(l, t, seg, now)) return;  // unless it returns a cookie
    ResetNoConnection(t, seg, now);
    return;
  }
  if (!seg.has(kTcpSyn)) {  // fourth: anything else is dropped
    ++counters_.drop_malformed;
    return;
  }
  // Third: a SYN. Bounded half-open and accept queues; beyond them the SYN is dropped.
  if (!l->CanTakeSyn() || connection_count_ >= cfg_.max_connections) {
    // RFC 4987 3.6: a full half-open queue answers with a cookie and keeps no state.
    if (cfg_.syn_cookies && l->HalfOpenFull() && !l->AcceptQueueFull() &&
        connection_count_ < cfg_.max_connections) {
      SendCookie(t, seg, l->settings(), now);
      return;
    }
    ++counters_.drop_listen_overflow;
    return;
  }
  Connection* c = Create(t, nullptr, l->settings(), now);
  l->AddHalfOpen(c);
  ++counters_.passive_opens;
  c->PassiveOpen(seg, now);
}

void TcpEngine::SendCookie(const FourTuple& t, const Segment& syn, const TcpSockSettings& s,
                           Instant now) {
  TcpRepr r;
  r.src_port = t.local_port;
  r.dst_port = t.remote_port;
  const uint16_t peer_mss = syn.options.mss.value_or(536);
  r.seq = cookies_.Make(t, syn.seq, peer_mss, now);
  r.ack = (syn.seq + 1).raw();
  r.flags = kTcpSyn | kTcpAck;
  r.window = static_cast<uint16_t>(std::min<uint32_t>(InitialReceiveBuffer(cfg_, s), 65535));
  r.options.mss = ClampMss(MssFor(t.remote), s);
  // Window scaling and SACK need the TSval to be remembered; without timestamps they are off.
  if (cfg_.timestamps && syn.options.timestamps) {
    CookieOptions o;
    o.wscale_ok = cfg_.window_scaling && syn.options.window_scale.has_value();
    o.wscale = syn.options.window_scale.value_or(0);
    o.sack_ok = cfg_.sack && syn.options.sack_permitted;
    if (o.wscale_ok) r.options.window_scale = WindowShiftFor(MaxReceiveBuffer(cfg_, s));
    r.options.sack_permitted = o.sack_ok;
    const uint32_t tsval = static_cast<uint32_t>(now.nanos() / 1'000'000) + isn_.TsOffset(t);
    r.options.timestamps =
        TcpTimestamps{SynCookies::EncodeOptions(tsval, o), syn.options.timestamps->value};
  }
  Packet pkt = ip_.AllocTx();
  if (!pkt) {
    ++counters_.drop_no_memory;
    return;
  }
  ++counters_.cookies_sent;
  EmitSegment(ip_, counters_, t, r, std::move(pkt), nullptr, 0, 0, now);
}

bool TcpEngine::TryCookie(Listener* l, const FourTuple& t, Segment& ack, Instant now) {
  if (!cfg_.syn_cookies || counters_.cookies_sent == 0 || ack.has(kTcpRst)) return false;
  const auto mss = cookies_.Check(t, ack.seq - 1, (ack.ack - 1).raw(), now);
  if (!mss) {
    ++counters_.cookies_failed;
    return false;
  }
  if (l->AcceptQueueFull() || connection_count_ >= cfg_.max_connections) {
    ++counters_.drop_listen_overflow;  // the peer retransmits; nothing is kept
    return true;
  }
  ++counters_.cookies_validated;
  ++counters_.passive_opens;
  const bool ts = cfg_.timestamps && ack.options.timestamps.has_value();
  const CookieOptions o =
      ts ? SynCookies::DecodeOptions(ack.options.timestamps->echo) : CookieOptions{};
  Connection* c = Create(t, nullptr, l->settings(), now);
  c->set_listener(l);
  c->CookieOpen(ack, *mss, ts, o, now);
  c->OnSegment(ack, now);  // data riding on the ACK
  return true;
}

// RFC 9293 3.10.7.1: for a segment to a CLOSED port: a RST is dropped; with ACK send
// <SEQ=SEG.ACK><CTL=RST>; without, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
void TcpEngine::ResetNoConnection(const FourTuple& t, const Segment& seg, Instant now) {
  ++counters_.drop_no_connection;
  if (seg.has(kTcpRst)) return;
  TcpRepr r;
  r.src_port = t.local_port;
  r.dst_port = t.remote_port;
  if (seg.has(kTcpAck)) {
    r.seq = seg.ack.raw();
    r.flags = kTcpRst;
  } else {
    r.seq = 0;
    r.ack = (seg.seq + seg.seg_len()).raw();
    r.flags = kTcpRst | kTcpAck;
  }
  Packet pkt = ip_.AllocTx();
  if (!pkt) {
    ++counters_.drop_no_memory;
    return;
  }
  EmitSegment(ip_, counters_, t, r, std::move(pkt), nullptr, 0, 0, now);
}

Result<TcpListener*> TcpEngine::Listen(Ipv4Addr addr, uint16_t port, int backlog, EventSink* sink,
                                       const TcpSockSettings& settings) {
  if (port == 0) return Error{EINVAL};
  if (!addr.IsAny() && !ip_.IsLocal(addr)) return Error{EADDRNOTAVAIL};
  const uint64_t key = ListenKey(addr, port);
  if (listeners_.count(key)) return Error{EADDRINUSE};
  auto l = std::make_unique<Listener>(addr, port, backlog, sink);
  l->SetSettings(settings);
  TcpListener* raw = l.get();
  listeners_.emplace(key, std::move(l));
  return raw;
}

Result<uint16_t> TcpEngine::PickEphemeralPort(Ipv4Addr local, Ipv4Addr remote,
                                              uint16_t remote_port) {
  if (cfg_.ephemeral_hi < cfg_.ephemeral_lo) return Error{EADDRNOTAVAIL};
  const uint32_t n = uint32_t{cfg_.ephemeral_hi} - cfg_.ephemeral_lo + 1;
  // RFC 6056 3.3.3 (Algorithm 3): offset = F(local, remote, remote port, secret) plus a
  // counter, so one destination walks its ports in order (a port comes back only after the
  // whole range, long after its TIME-WAIT) while others cannot guess the sequence.
  const uint32_t offset =
      static_cast<uint32_t>(port_hash_(FourTuple{local, 0, remote, remote_port}));
  for (uint32_t i = 0; i < n; ++i) {
    const uint16_t port =
        static_cast<uint16_t>(cfg_.ephemeral_lo + (offset + next_ephemeral_++) % n);
    if (FindListener(local, port)) continue;
    if (!Find(FourTuple{local, port, remote, remote_port})) return port;
  }
  return Error{EADDRNOTAVAIL};
}

Result<TcpConnection*> TcpEngine::Connect(Ipv4Addr local, uint16_t local_port, Ipv4Addr remote,
                                          uint16_t remote_port, EventSink* sink, Instant now,
                                          const TcpSockSettings& settings) {
  if (BadAddress(remote) || remote_port == 0) return Error{EINVAL};
  if (local.IsAny()) {
    local = ip_.SourceFor(remote);
    if (local.IsAny()) return Error{ENETUNREACH};
  } else if (!ip_.IsLocal(local)) {
    return Error{EADDRNOTAVAIL};
  }
  if (connection_count_ >= cfg_.max_connections) {
    ++counters_.drop_no_memory;
    return Error{ENOBUFS};
  }
  if (local_port == 0) {
    auto port = PickEphemeralPort(local, remote, remote_port);
    if (!port) return Error{port.error()};
    local_port = *port;
  } else if (Find(FourTuple{local, local_port, remote, remote_port})) {
    return Error{EADDRINUSE};
  }
  Connection* c = Create(FourTuple{local, local_port, remote, remote_port}, sink, settings, now);
  c->set_user_holds(true);
  ++counters_.active_opens;
  c->ActiveOpen(now);
  return static_cast<TcpConnection*>(c);
}

Connection* TcpEngine::Create(const FourTuple& t, EventSink* sink, const TcpSockSettings& s,
                              Instant now) {
  void* mem = nullptr;
  if (spare_conns_.empty()) {
    mem = ::operator new(sizeof(Connection));
  } else {
    mem = spare_conns_.back();
    spare_conns_.pop_back();
  }
  auto* c = new (mem) Connection(*this, t, sink, s, now);
  all_.PushBack(&c->all_node());
  if (Connection** slot = table_.Find(t)) {
    *slot = c;  // not expected: callers look the tuple up first
  } else {
    table_.Insert(c);
  }
  ++connection_count_;
  return c;
}

TcpConnection* TcpEngine::Accept(TcpListener* l, EventSink* sink) {
  Connection* c = static_cast<Listener*>(l)->PopAccepted();
  if (!c) return nullptr;
  c->set_user_holds(true);
  c->set_sink(sink);
  return c;
}

void TcpEngine::CloseListener(TcpListener* l, Instant now) {
  auto* lis = static_cast<Listener*>(l);
  while (Connection* c = lis->PopAny()) c->ResetAndClose(now);  // RST to each queued peer
  listeners_.erase(ListenKey(lis->local_addr(), lis->local_port()));
  Reap();
}

void TcpEngine::HoldPortAfterClose(Connection* c, bool reuse_addr, bool reuse_port) {
  if (c->state() == TcpState::kClosed || c->retired()) return;
  port_holds_.Hold(c, c->tuple().local, c->tuple().local_port, reuse_addr, reuse_port);
}

bool TcpEngine::PortHeldAfterClose(Ipv4Addr addr, uint16_t port, bool reuse_addr,
                                   bool reuse_port) const {
  return port_holds_.Conflicts(addr, port, reuse_addr, reuse_port);
}

bool TcpEngine::AllowChallengeAck(Instant now) {
  if (cfg_.challenge_ack_limit == 0) return true;
  if (now - challenge_window_ >= Duration::Seconds(1)) {
    challenge_window_ = now;
    challenge_count_ = 0;
  }
  return challenge_count_++ < cfg_.challenge_ack_limit;
}

void TcpEngine::ScheduleFlush(Connection* c) {
  if (!c->flush_node().linked() && !c->retired()) flush_list_.PushBack(&c->flush_node());
}

void TcpEngine::OutputEarly(Connection* latest, Instant now) {
  if (cfg_.early_output_sends == 0 || ++sends_since_flush_ < cfg_.early_output_sends) return;
  sends_since_flush_ = 0;
  ListHead work;
  while (ListNode* n = flush_list_.PopFront()) work.PushBack(n);
  bool sent = false;
  while (ListNode* n = work.PopFront()) {
    Connection* c = OwnerOf(n);
    if (c == latest) {
      flush_list_.PushBack(n);
      continue;
    }
    c->Output(now);
    sent = true;
  }
  if (sent) ip_.Push(now);
}

void TcpEngine::Flush(Instant now) {
  sends_since_flush_ = 0;
  ListHead work;
  while (ListNode* n = flush_list_.PopFront()) work.PushBack(n);
  while (ListNode* n = work.PopFront()) OwnerOf(n)->Output(now);
  Reap();
}

void TcpEngine::Unhash(Connection* c) {
  table_.EraseIf(c->tuple(), [c](const Connection* x) { return x == c; });
}

void TcpEngine::Retire(Connection* c) {
  if (c->retired()) return;
  c->MarkRetired();
  Unhash(c);
  if (!port_holds_.empty()) port_holds_.Drop(c);
  if (Listener* l = c->listener()) {
    l->Remove(c);
    c->set_listener(nullptr);
  }
  c->flush_node().Unlink();
  c->CancelTimers();
  retired_.push_back(c);
}

void TcpEngine::Reap() {
  for (Connection* c : retired_) {
    --connection_count_;
    FreeConnection(c);
  }
  retired_.clear();
}

void TcpEngine::FreeConnection(Connection* c) {
  c->~Connection();
  if (spare_conns_.size() < kSpareConnections) {
    spare_conns_.push_back(c);
  } else {
    ::operator delete(c);
  }
}

}  // namespace ustack
