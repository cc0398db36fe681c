// Connection and engine reactions to ICMP errors about segments we sent: path MTU discovery
// (RFC 1191, validated per RFC 5927), hard errors that end a connection attempt and soft
// errors remembered for the timeout report (RFC 1122 4.2.3.9, and Linux where it chooses).
#include <algorithm>
#include <cerrno>

#include "base/byte_order.h"
#include "net/pmtu_cache.h"
#include "tcp/connection.h"
#include "tcp/engine.h"
#include "wire/icmp.h"

namespace ustack {

void TcpEngine::OnIcmpError(const IcmpErrorInfo& err, Instant now) {
  // RFC 792: the quote holds at least the ports and the sequence number.
  if (err.transport.size() < 8) return;
  const FourTuple t{err.src, LoadBe16(err.transport.data()), err.dst,
                    LoadBe16(err.transport.data() + 2)};
  Connection* c = Find(t);
  if (c == nullptr) {
    ++stats().drop_icmp_no_connection;
    return;
  }
  c->OnIcmpError(err, Seq32(LoadBe32(err.transport.data() + 4)), now);
  Reap();
}

void Connection::OnIcmpError(const IcmpErrorInfo& err, Seq32 seq, Instant now) {
  // RFC 5927 4.1: believe only errors quoting data in flight, SND.UNA <= SEQ < SND.NXT
  // (SND.MAX here: what was sent, retransmissions included), or SND.UNA when none is.
  const bool in_flight = snd_una_ <= seq && (seq < snd_max_ || seq == snd_una_);
  if (!in_flight) {
    ++engine_.stats().drop_icmp_out_of_window;
    return;
  }
  ++engine_.stats().icmp_errors_in;
  if (err.type == kIcmpDestUnreachable && err.code == kIcmpCodeFragNeeded) {
    OnPathMtu(err, now);
    return;
  }
  const int error = IcmpErrorErrno(err.type, err.code).error;
  if (error == 0) return;
  // RFC 1122 4.2.3.9 (as Linux applies it): an error ends a connection attempt in SYN-SENT;
  // later it is only remembered, and reported if the connection then times out.
  if (state_ == TcpState::kSynSent) {
    ++engine_.stats().connections_aborted;
    EnterClosed(error);
    DeliverEvents();
    return;
  }
  soft_error_ = error;
}

// RFC 1191 6.4/6.5: a "fragmentation needed" for a segment in flight lowers the MSS to what
// the path takes and resends the outstanding data at once in smaller segments; the loss is
// the path's size, not congestion, so the congestion window stays.
void Connection::OnPathMtu(const IcmpErrorInfo& err, Instant now) {
  const uint16_t mtu =
      err.next_hop_mtu != 0 ? err.next_hop_mtu : PmtuPlateauBelow(err.total_length);
  // A next-hop MTU not below the datagram it refused is bogus (RFC 1191 4).
  if (mtu >= err.total_length) {
    ++engine_.stats().drop_icmp_out_of_window;
    return;
  }
  const uint16_t transport = engine_.ip().ReducePathMtu(tuple_.remote, mtu, now);
  if (transport <= kTcpHeaderLen) return;
  const uint16_t mss = static_cast<uint16_t>(transport - kTcpHeaderLen);
  if (mss >= snd_mss_) return;
  ++engine_.stats().pmtu_updates;
  snd_mss_ = mss;
  cc_->SetMss(MaxPayload());
  if (snd_una_ == snd_max_ || state_ == TcpState::kSynSent) return;
  if (in_recovery_) ExitRecovery();
  rtt_timing_ = false;  // RFC 6298 3 (Karn): what goes again is not timed
  snd_nxt_ = snd_una_;  // every segment in flight was too big: send them all again
  high_rxt_ = snd_una_;
  Output(now);
  DeliverEvents();
}

}  // namespace ustack
