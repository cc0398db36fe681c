// Impairment and ImpairedChannel: the fault model of one direction of a wire, shared by the
// simulator's SimLink and the ImpairedPort decorator that impairs a real device.
//
// A channel takes frames with Offer(frame, now) and hands them back from Release(out, now)
// once their arrival time has come: after the rate limit's serialization, the delay and its
// jitter, possibly lost, duplicated, held back (reordered) or with one bit flipped. Every
// random decision comes from the channel's own Random, seeded once, and every time from the
// `now` passed in, so a seed and a sequence of calls replay exactly.
//
// Ownership: the channel owns every frame in flight; destroying it (or Clear()) frees them.
// A frame whose mbufs may be shared (refcount > 1, indirect, external buffer) is deep-copied
// before it is queued, so the receiver may write into what it gets, and corruption is applied
// to a fresh copy only. Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/random.h"
#include "base/time.h"
#include "buf/packet.h"

namespace ustack {

struct Impairment {
  double loss = 0;  // probability a frame is dropped on the wire
  // Longest run of consecutive non-ARP frames that `loss` may drop or `corrupt` may damage
  // (0 = unbounded): random loss rather than a partition that outlasts every retransmission.
  // A corrupted IP frame fails a checksum, so it is lost too; the frame after a full run
  // arrives intact.
  uint32_t max_loss_burst = 0;
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

  // True when the channel would pass every frame through unchanged and at once.
  bool IsClean() const {
    return loss == 0 && duplicate == 0 && reorder == 0 && corrupt == 0 && delay == Duration() &&
           jitter == Duration() && rate_bps == 0;
  }
};

// Counters of one channel.
struct ImpairmentStats {
  uint64_t delivered = 0;    // frames handed out by Release
  uint64_t lost = 0;         // dropped by `loss`
  uint64_t duplicated = 0;   // extra copies created by `duplicate`
  uint64_t reordered = 0;    // frames held back by `reorder`
  uint64_t corrupted = 0;    // frames with a flipped bit
  uint64_t queue_drops = 0;  // tail drops at queue_limit
  uint64_t no_buffer = 0;    // a needed copy failed because the pool was empty
  uint64_t copies = 0;       // deep copies made (shared buffers, duplicates, corruption)
};

class ImpairedChannel {
 public:
  // Copies (duplicates, corruption, shared buffers) are allocated from `pool`.
  ImpairedChannel(const Impairment& imp, uint64_t seed, rte_mempool* pool);
  ImpairedChannel(const ImpairedChannel&) = delete;
  ImpairedChannel& operator=(const ImpairedChannel&) = delete;

  // Takes a valid frame offered at `now`; it comes out of Release at its arrival time, or is
  // dropped and counted.
  void Offer(Packet pkt, Instant now);
  // Moves the frames whose arrival time is <= now into `out`, earliest first (equal times in
  // offering order); returns how many.
  uint16_t Release(std::span<Packet> out, Instant now);
  // Earliest arrival time of a frame in flight; Instant::Max() if none.
  Instant NextRelease() const { return heap_.empty() ? Instant::Max() : heap_.front().at; }
  size_t InFlight() const { return heap_.size(); }
  // Frees every frame in flight.
  void Clear() { heap_.clear(); }

  const ImpairmentStats& stats() const { return stats_; }
  const Impairment& impairment() const { return imp_; }
  // Changes the impairment from now on; frames in flight keep their schedule.
  void set_impairment(const Impairment& imp) { imp_ = imp; }

 private:
  struct InFlightFrame {
    Instant at;
    uint64_t seq;  // tie-break: equal arrival times keep offering order
    Packet pkt;
  };

  void Schedule(Packet pkt, Instant depart, bool corrupt);
  bool Lose();
  bool AtBurstLimit() const;

  Impairment imp_;
  Random rng_;
  rte_mempool* pool_;
  std::vector<InFlightFrame> heap_;  // min-heap on (at, seq)
  uint64_t next_seq_ = 0;
  Instant wire_free_;         // when the serializer finishes the last accepted frame
  Instant last_arrival_;      // arrival of the last in-order frame (keeps jitter FIFO)
  uint32_t loss_streak_ = 0;  // frames lost or corrupted in a row (see max_loss_burst)
  ImpairmentStats stats_;
};

}  // namespace ustack
