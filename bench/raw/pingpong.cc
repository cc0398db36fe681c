// Reflector and client loops, see pingpong.h. The only DPDK call here is rte_rdtsc.
#include "pingpong.h"

#include <rte_cycles.h>

#include <unistd.h>

#include <algorithm>
#include <vector>

#include "probe.h"

namespace ustack::rawbench {
namespace {

constexpr uint16_t kBurst = 32;
constexpr uint64_t kLinkProbeSeq = UINT64_MAX;  // link-up probes, never measured
// The client's last frames: the reflector stops touching the device before the client
// disconnects. DPDK 22.11's memif tears a connection down in its control thread while the
// polling thread may be inside rx/tx burst, which can crash the process that stays.
constexpr uint64_t kByeSeq = UINT64_MAX - 1;

uint64_t Ticks(const ClientOptions& o, double seconds) {
  return static_cast<uint64_t>(seconds * static_cast<double>(o.tsc_hz));
}

Packet NewProbe(Port& port, uint16_t size, Probe p) {
  Packet pkt = Packet::Alloc(port.pool());
  if (!pkt) return pkt;
  uint8_t* data = pkt.Append(size);
  if (data == nullptr || !WriteProbe({data, size}, MacAddr::Broadcast(), port.mac(), p)) {
    return Packet();
  }
  return pkt;
}

// Sends a link-up probe every 10 ms until one comes back, then drains stragglers for 20 ms.
bool WaitForPeer(Port& port, const ClientOptions& o, const volatile std::sig_atomic_t& stop,
                 ClientResult* r) {
  const uint64_t deadline = rte_rdtsc() + Ticks(o, o.connect_s);
  uint64_t next_send = 0;
  uint64_t drain_until = 0;
  Packet in[kBurst];
  while (stop == 0) {
    const uint64_t now = rte_rdtsc();
    if (drain_until != 0 && now >= drain_until) return true;
    if (drain_until == 0 && now >= deadline) return false;
    if (drain_until == 0 && now >= next_send) {
      Packet p = NewProbe(port, o.size, {kLinkProbeSeq, now});
      if (p) port.TxBurst({&p, 1}, Instant());  // refused while memif is not connected
      next_send = now + Ticks(o, 0.01);
    }
    const uint16_t n = port.RxBurst(in, Instant());
    for (uint16_t i = 0; i < n; ++i) {
      const auto probe = ReadProbe(in[i].head());
      if (probe && probe->seq == kLinkProbeSeq && drain_until == 0) {
        r->connected = true;
        drain_until = now + Ticks(o, 0.02);
      } else if (!probe || probe->seq != kLinkProbeSeq) {
        ++r->stray;
      }
      in[i].Reset();
    }
  }
  return false;
}

// The window of probes: received frames are recorded and queued to go out again at once.
class Flight {
 public:
  Flight(Port& port, const ClientOptions& o, ClientResult* r) : port_(port), o_(o), r_(r) {
    pending_.reserve(o.window + kBurst);
  }

  // One poll: receive, top the window up, transmit; returns false at `end`.
  bool Step(uint64_t end, bool record) {
    Packet in[kBurst];
    const uint16_t n = port_.RxBurst(in, Instant());
    const uint64_t now = rte_rdtsc();
    if (n > 0) last_progress_ = now;
    for (uint16_t i = 0; i < n; ++i) Receive(std::move(in[i]), now, record);
    if (now >= end) return false;
    if (in_flight_ > 0 && now - last_progress_ > loss_ticks_) GiveUpFlight(now);
    TopUp();
    if (!pending_.empty()) Transmit();
    return true;
  }

 private:
  void Receive(Packet pkt, uint64_t now, bool record) {
    const auto probe = ReadProbe(pkt.head());
    if (!probe || probe->seq < first_live_seq_ || probe->seq >= next_seq_) {
      ++r_->stray;
      return;
    }
    if (record)
      r_->rtt.Add(Duration::Nanos(
          static_cast<int64_t>(static_cast<double>(now - probe->tsc) * o_.ns_per_tick + 0.5)));
    --in_flight_;
    pending_.push_back(std::move(pkt));
  }

  // Nothing came back for loss_timeout_s: whatever is in flight is lost; late arrivals of
  // it will count as stray.
  void GiveUpFlight(uint64_t now) {
    r_->lost += in_flight_;
    in_flight_ = 0;
    first_live_seq_ = next_seq_;
    last_progress_ = now;
  }

  void TopUp() {
    while (in_flight_ + pending_.size() < o_.window) {
      Packet p = NewProbe(port_, o_.size, {});
      if (!p) {
        ++r_->alloc_failed;
        return;
      }
      pending_.push_back(std::move(p));
    }
  }

  void Transmit() {
    const uint64_t now = rte_rdtsc();
    for (Packet& p : pending_) StampProbe(p.head(), {next_seq_++, now});
    const uint16_t sent = port_.TxBurst(pending_, Instant());
    in_flight_ += sent;
    if (sent == 0 && in_flight_ == 0) last_progress_ = now;
    r_->tx_refused += pending_.size() - sent;
    pending_.erase(pending_.begin(), pending_.begin() + sent);
  }

  Port& port_;
  const ClientOptions& o_;
  ClientResult* r_;
  std::vector<Packet> pending_;  // to (re)transmit on this poll
  uint64_t in_flight_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t first_live_seq_ = 0;
  uint64_t last_progress_ = rte_rdtsc();
  uint64_t loss_ticks_ = Ticks(o_, o_.loss_timeout_s);
};

// Lets the frames in flight come back (for 10 ms), then sends the goodbye a few times and
// gives the reflector 20 ms to see it before the caller closes the port.
void SayGoodbye(Port& port, const ClientOptions& o) {
  Packet in[kBurst];
  const uint64_t drain_end = rte_rdtsc() + Ticks(o, 0.01);
  while (rte_rdtsc() < drain_end) {
    const uint16_t n = port.RxBurst(in, Instant());
    for (uint16_t i = 0; i < n; ++i) in[i].Reset();
  }
  for (int i = 0; i < 3; ++i) {
    Packet p = NewProbe(port, o.size, {kByeSeq, rte_rdtsc()});
    if (p) port.TxBurst({&p, 1}, Instant());
  }
  usleep(20000);
}

}  // namespace

void RunReflector(Port& port, const volatile std::sig_atomic_t& stop, ReflectorStats* stats) {
  Packet in[kBurst];
  while (stop == 0 && !stats->bye) {
    const uint16_t n = port.RxBurst(in, Instant());
    if (n == 0) continue;
    stats->received += n;
    uint16_t keep = 0;
    for (uint16_t i = 0; i < n; ++i) {
      const auto probe = ReadProbe(in[i].head());
      if (probe && probe->seq == kByeSeq) stats->bye = true;
      if (stats->bye || !SwapMacs(in[i].head())) {
        ++stats->not_swapped;
        in[i].Reset();
        continue;
      }
      if (keep != i) in[keep] = std::move(in[i]);
      ++keep;
    }
    const uint16_t sent = port.TxBurst({in, keep}, Instant());
    stats->reflected += sent;
    stats->not_taken += keep - sent;
    for (uint16_t i = sent; i < keep; ++i) in[i].Reset();
  }
  // After the client's goodbye: leave the device alone until told to stop.
  while (stop == 0) usleep(1000);
}

bool RunClient(Port& port, const ClientOptions& o, const volatile std::sig_atomic_t& stop,
               ClientResult* r) {
  if (!WaitForPeer(port, o, stop, r)) return false;
  Flight flight(port, o, r);
  const uint64_t warm_end = rte_rdtsc() + Ticks(o, o.warmup_s);
  while (stop == 0 && flight.Step(warm_end, false)) {
  }
  r->rtt.Clear();
  const uint64_t start = rte_rdtsc();
  const uint64_t end = start + Ticks(o, o.duration_s);
  while (stop == 0 && flight.Step(end, true)) {
  }
  r->measured_ticks = rte_rdtsc() - start;
  SayGoodbye(port, o);
  return true;
}

}  // namespace ustack::rawbench
