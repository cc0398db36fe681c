// SimLink: an in-memory Ethernet link joining two stacks in one process, for deterministic
// simulation tests. Each direction is an ImpairedChannel (port/impairment.h: delay, jitter,
// rate, loss, duplication, reordering, corruption, queue limit) with its own Random seeded
// from the link seed, so a seed replays exactly. Time comes only from the `now` passed to
// Rx/TxBurst.
//
// Ownership: the link owns its two endpoint Ports and every frame in flight. MakeEndpoint()
// hands out owning Port wrappers (for Stack's std::unique_ptr<Port>) that forward to the link;
// the link must outlive them. Frames given to TxBurst are always taken; a frame whose mbufs
// may be shared (refcount > 1, indirect, external buffer) is deep-copied before it is queued,
// so the receiver may write into what it gets. Corruption is applied to a fresh copy only.
// Single-threaded, like every Port.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/addr.h"
#include "base/time.h"
#include "port/impairment.h"
#include "port/port.h"

namespace ustack {

enum class Side : uint8_t { kA = 0, kB = 1 };

constexpr Side Other(Side s) { return s == Side::kA ? Side::kB : Side::kA; }

class SimLink {
 public:
  // Counters of one direction (frames sent by one side towards the other): the channel's
  // (delivered = handed to the receiver's RxBurst) and the link's own checks.
  struct Stats : ImpairmentStats {
    uint64_t offered = 0;   // frames given to TxBurst
    uint64_t oversize = 0;  // longer than MTU + Ethernet header (+ VLAN tag)
    uint64_t runts = 0;     // invalid packets or shorter than an Ethernet header
  };

  SimLink(rte_mempool* pool, uint64_t seed, Impairment a_to_b, Impairment b_to_a, MacAddr a,
          MacAddr b, uint16_t mtu = 1500);
  ~SimLink();
  SimLink(const SimLink&) = delete;
  SimLink& operator=(const SimLink&) = delete;

  Port& a() { return endpoint(Side::kA); }
  Port& b() { return endpoint(Side::kB); }
  Port& endpoint(Side side);
  // An owning Port that forwards to endpoint(side). The link must outlive it.
  std::unique_ptr<Port> MakeEndpoint(Side side);

  // Earliest arrival time of a frame in flight in either direction; Instant::Max() if none.
  Instant NextDelivery() const;
  // Earliest arrival time of a frame in flight towards `to`; Instant::Max() if none.
  Instant NextDelivery(Side to) const;
  // Frames in flight from `from` towards the other side.
  size_t InFlight(Side from) const;

  Stats stats(Side from) const;
  const Impairment& impairment(Side from) const;
  // Changes the impairment of one direction from now on (frames in flight keep their
  // schedule); e.g. loss = 1 to partition the link for a while.
  void SetImpairment(Side from, const Impairment& imp);

 private:
  class Endpoint;
  class ForwardingPort;
  struct Direction {
    Direction(const Impairment& i, uint64_t seed, rte_mempool* pool) : channel(i, seed, pool) {}
    ImpairedChannel channel;
    uint64_t offered = 0;
    uint64_t oversize = 0;
    uint64_t runts = 0;
    PortStats tx;  // the sending endpoint's tx counters
    PortStats rx;  // the receiving endpoint's rx counters
  };

  uint16_t Send(Side from, std::span<Packet> pkts, Instant now);
  uint16_t Deliver(Side to, std::span<Packet> out, Instant now);
  void SendOne(Direction& d, Packet pkt, Instant now);
  size_t MaxFrameLength(const Packet& pkt) const;
  Direction& dir(Side from) { return from == Side::kA ? a_to_b_ : b_to_a_; }
  const Direction& dir(Side from) const { return from == Side::kA ? a_to_b_ : b_to_a_; }

  rte_mempool* pool_;
  uint16_t mtu_;
  Direction a_to_b_;
  Direction b_to_a_;
  std::unique_ptr<Endpoint> a_;
  std::unique_ptr<Endpoint> b_;
};

}  // namespace ustack
