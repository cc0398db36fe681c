// SimLink: an in-memory Ethernet link joining two stacks in one process, for deterministic
// simulation tests. Each direction has its own Impairment (delay, jitter, rate, loss,
// duplication, reordering, corruption, queue limit) and its own Random seeded from the link
// seed, so a seed replays exactly. Time comes only from the `now` passed to Rx/TxBurst.
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
#include <vector>

#include "base/addr.h"
#include "base/random.h"
#include "base/time.h"
#include "port/port.h"

namespace ustack {

struct Impairment {
  double loss = 0;            // probability a frame is dropped on the wire
  double duplicate = 0;       // probability a frame is delivered twice (the second a deep copy)
  double reorder = 0;         // probability a frame is held back so that later frames overtake it
  double corrupt = 0;         // probability one random bit of a (copied) frame is flipped
  Duration delay = {};        // one-way propagation delay
  Duration jitter = {};       // extra delay, uniform in [0, jitter]; never reorders by itself
  uint64_t rate_bps = 0;      // serialization rate of the frame bytes; 0 = unlimited
  size_t queue_limit = 1000;  // frames in flight in this direction; tail drop beyond
  // A reordered frame is held back by an extra delay uniform in [reorder_delay/2,
  // reorder_delay] on top of its normal arrival time.
  Duration reorder_delay = Duration::Millis(1);
};

enum class Side : uint8_t { kA = 0, kB = 1 };

constexpr Side Other(Side s) { return s == Side::kA ? Side::kB : Side::kA; }

class SimLink {
 public:
  // Counters of one direction (frames sent by one side towards the other).
  struct Stats {
    uint64_t offered = 0;      // frames given to TxBurst
    uint64_t delivered = 0;    // frames handed to the receiver's RxBurst
    uint64_t lost = 0;         // dropped by `loss`
    uint64_t duplicated = 0;   // extra copies created by `duplicate`
    uint64_t reordered = 0;    // frames held back by `reorder`
    uint64_t corrupted = 0;    // frames with a flipped bit
    uint64_t queue_drops = 0;  // tail drops at queue_limit
    uint64_t oversize = 0;     // longer than MTU + Ethernet header (+ VLAN tag)
    uint64_t runts = 0;        // invalid packets or shorter than an Ethernet header
    uint64_t no_buffer = 0;    // a needed copy failed because the pool was empty
    uint64_t copies = 0;       // deep copies made (shared buffers, duplicates, corruption)
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

  const Stats& stats(Side from) const;
  const Impairment& impairment(Side from) const;
  // Changes the impairment of one direction from now on (frames in flight keep their
  // schedule); e.g. loss = 1 to partition the link for a while.
  void SetImpairment(Side from, const Impairment& imp);

 private:
  class Endpoint;
  class ForwardingPort;
  struct InFlightFrame {
    Instant at;
    uint64_t seq;  // tie-break: equal arrival times keep sending order
    Packet pkt;
  };
  struct Direction {
    Direction(const Impairment& i, uint64_t seed) : imp(i), rng(seed) {}
    Impairment imp;
    Random rng;
    std::vector<InFlightFrame> heap;  // min-heap on (at, seq)
    uint64_t next_seq = 0;
    Instant wire_free;     // when the serializer finishes the last accepted frame
    Instant last_arrival;  // arrival of the last in-order frame (keeps jitter FIFO)
    Stats stats;
    PortStats tx;  // the sending endpoint's tx counters
    PortStats rx;  // the receiving endpoint's rx counters
  };

  uint16_t Send(Side from, std::span<Packet> pkts, Instant now);
  uint16_t Deliver(Side to, std::span<Packet> out, Instant now);
  void SendOne(Direction& d, Packet pkt, Instant now);
  void Schedule(Direction& d, Packet pkt, Instant depart, bool corrupt);
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
