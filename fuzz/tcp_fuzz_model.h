// What tcp_stateful_fuzz knows about the connection it drives, kept apart from the stack's
// own state so that the two can be compared: the byte patterns of both directions, the
// peer's record of what it sent (the fuzzer plays the peer), the application's record of
// what it wrote and read, and what the stack's output has shown so far.
// Fuzz harness code only (no protocol logic); single-threaded.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>
#include <utility>

#include "base/seq32.h"

namespace ustack::fuzz {

// Prints "tcp_stateful_fuzz: invariant violated: ..." and traps, so libFuzzer saves the input.
[[noreturn]] void Fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
#define FUZZ_CHECK(cond, ...)                       \
  do {                                              \
    if (!(cond)) ::ustack::fuzz::Fail(__VA_ARGS__); \
  } while (0)

// The peer's payload byte at sequence number `seq`: any delivered byte can be checked against
// the sequence number it was delivered for.
inline uint8_t PeerByte(uint32_t seq) { return static_cast<uint8_t>((seq * 2654435761u) >> 24); }
// The application's byte at offset `off` of the stream it writes.
inline uint8_t AppByte(uint64_t off) {
  return static_cast<uint8_t>(((static_cast<uint32_t>(off) + 0x5bd1e995u) * 0x85ebca6bu) >> 24);
}

// Signed distance of `s` from `base` (stream offsets; valid within 2^31).
inline int64_t Offset(Seq32 s, Seq32 base) { return s - base; }

// A set of half-open integer ranges, merged.
class RangeSet {
 public:
  void Add(int64_t lo, int64_t hi);
  bool Covers(int64_t lo, int64_t hi) const;
  // End of the contiguous run starting at `from` (== from when `from` is not covered).
  int64_t RunEnd(int64_t from) const;
  void Clear() { ranges_.clear(); }

 private:
  std::map<int64_t, int64_t> ranges_;  // lo -> hi, disjoint and non-adjacent
};

// The options one side offered on its SYN.
struct SynOffer {
  std::optional<uint16_t> mss;
  int ws = -1;          // window scale shift offered, -1: none
  bool sack = false;    // SACK-permitted
  bool ts = false;      // timestamps
  bool ecn = false;     // ECN setup flags
  uint16_t window = 0;  // window field of the SYN
};

// The fuzzer's peer: what it sent. Stream offsets count from IRS + 1 (the stack's IRS).
struct PeerModel {
  Seq32 irs;               // the peer's ISN
  SynOffer offer;          // what the peer's SYN (or SYN-ACK) carried
  RangeSet sent;           // stream offsets for which the peer sent payload
  std::set<int64_t> fins;  // stream offsets at which the peer sent a FIN
  // Sequence ranges of the segments sent (a D-SACK, RFC 2883, may report any of them).
  std::deque<std::pair<Seq32, Seq32>> recent;
  Seq32 nxt;              // the peer's next new sequence number
  uint32_t ts_clock = 0;  // the peer's timestamp clock (TSval of the next sane segment)
  std::unordered_set<uint32_t> tsvals;  // every TSval the peer sent
  Seq32 max_ack;                        // highest ACK the stack may have taken (within SND.MAX)
  uint32_t max_wnd = 0;                 // largest scaled window sent with such an ACK
  Seq32 max_right;                      // max_ack + max_wnd: the furthest edge the stack may use
  Seq32 wl1;                            // highest in-window SEQ of an ACK the stack may have taken
  uint16_t window = 65535;              // the window field sane segments carry
  uint8_t shift = 0;                    // how the stack scales the peer's window fields

  Seq32 stream0() const { return irs + 1; }
};

// The application: what it wrote and read, and which calls it made.
struct AppModel {
  uint64_t written = 0;   // bytes Send accepted
  uint64_t read = 0;      // bytes Recv returned
  bool shut_wr = false;   // FIN requested (shutdown or close)
  bool shut_rd = false;   // shutdown(SHUT_RD)
  bool eof = false;       // Recv returned end of stream
  bool released = false;  // Close or Abort: the connection pointer is gone
};

// The stack as its output showed it. Stream offsets count from ISS + 1.
struct SeenModel {
  Seq32 iss;             // the stack's ISN
  SynOffer offer;        // what the stack's SYN (or SYN-ACK) carried
  Seq32 snd_max;         // highest sequence number (plus SYN/FIN) sent
  Seq32 snd_una_floor;   // SND.UNA when the current step started (last known once released)
  bool acked = false;    // an ACK was seen after the handshake
  Seq32 last_ack;        // highest ACK sent
  Seq32 max_adv_right;   // highest right edge of the window the stack advertised
  bool ts_seen = false;  // a TSval was seen
  uint32_t last_tsval = 0;
  uint32_t last_tsecr = 0;  // the stack's TS.Recent as last echoed
  // Negotiated at the handshake (from the connection, checked against the offers).
  bool ts_ok = false, sack_ok = false, ecn_ok = false;
  uint8_t rcv_shift = 0;  // the stack's window shift (0 without scaling)
  uint16_t snd_mss = 536;

  Seq32 stream0() const { return iss + 1; }
};

}  // namespace ustack::fuzz
