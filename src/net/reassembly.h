// Reassembler: IPv4 fragment reassembly (RFC 791 3.2, RFC 1122 3.3.2, RFC 815 style hole
// accounting). Datagrams are keyed by (source, destination, protocol, identification). Each
// holds its fragments sorted by offset and never overlapping: a fragment that overlaps held
// data with identical bytes is trimmed to what is new (or ignored when it adds nothing); one
// whose overlapping bytes differ drops the whole datagram (in the spirit of RFC 5722).
// Limits: reassembly_max_bytes over all incomplete datagrams (charged with each fragment's
// buffer size, so tiny fragments cannot pin many buffers; the oldest datagrams are evicted to
// make room), reassembly_timeout per datagram from its first fragment (one Timer each), at
// most kMaxFragments fragments per datagram and 65535 bytes per datagram.
// Ownership: the reassembler owns incomplete datagrams and their fragment packets; a
// completed datagram's payload is handed back to the caller as one (chained) Packet.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>

#include "base/addr.h"
#include "base/intrusive_list.h"
#include "base/time.h"
#include "base/timer_wheel.h"
#include "buf/packet.h"
#include "net/interface.h"
#include "wire/ipv4.h"

namespace ustack {

struct Reassembled {
  Packet payload;                                   // the whole datagram's data, IP header excluded
  std::array<uint8_t, kIpv4MaxHeaderLen> header{};  // the first fragment's IP header
  uint8_t header_len = 0;
};

class Reassembler {
 public:
  static constexpr size_t kMaxFragments = 256;
  // Fixed bookkeeping cost charged per datagram against the memory limit.
  static constexpr size_t kDatagramCost = 256;

  Reassembler(TimerWheel& timers, const InterfaceConfig& cfg, NetCounters& counters);
  ~Reassembler();
  Reassembler(const Reassembler&) = delete;
  Reassembler& operator=(const Reassembler&) = delete;

  // Adds one fragment. `payload` is its data (IP header removed, link padding trimmed);
  // `hdr` views its IP header (in storage owned by the caller). Returns the datagram when
  // this fragment completes it. Malformed fragments and failures are counted.
  std::optional<Reassembled> Add(Packet payload, const Ipv4View& hdr, Instant now);

  size_t datagrams() const { return table_.size(); }
  size_t bytes() const { return bytes_; }

 private:
  struct Key {
    uint32_t src;
    uint32_t dst;
    uint16_t ident;
    uint8_t protocol;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Fragment;
  struct Datagram;
  enum class Merge { kInserted, kNothingNew, kInconsistent, kDropped };

  static void OnTimeout(void* ctx, Instant now);
  Datagram* FindOrCreate(const Key& key, Instant now);
  Merge Insert(Datagram* d, Packet& payload, uint32_t first, uint32_t end);
  bool MakeRoom(Datagram* keep, size_t charge);
  std::optional<Reassembled> Complete(Datagram* d);
  void Drop(Datagram* d);

  TimerWheel& timers_;
  const InterfaceConfig& cfg_;
  NetCounters& counters_;
  std::unordered_map<Key, std::unique_ptr<Datagram>, KeyHash> table_;
  ListHead by_age_;  // front: the oldest datagram
  size_t bytes_ = 0;
};

}  // namespace ustack
