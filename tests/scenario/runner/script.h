// The scenario script model: what a packetdrill-syntax script says, after parsing. A script is
// a list of events `<time> <event>`: an inbound packet (`<`), an expected outbound packet
// (`>`) or a socket call with its expected result. Times are absolute, `+relative` to the
// previous event, `*` (any time) or a range `a~b`; a call may block until `...end`.
// Sequence numbers in packets are relative, as in packetdrill (each side's ISN is 0).
// Plain value types; the parser (script.cc) is the only producer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ustack::scenario {

enum class TimeKind : uint8_t { kAbsolute, kRelative, kAny };

struct TimeSpec {
  TimeKind kind = TimeKind::kRelative;
  int64_t usecs = 0;
};

struct EventTime {
  TimeSpec start;
  std::optional<TimeSpec> range_end;  // `a~b`: any time in [a, b]
};

// One TCP option as written: kind is "mss", "wscale", "sackOK", "nop", "eol", "TS" or "sack".
struct OptionSpec {
  std::string kind;
  uint32_t a = 0;                                     // mss value, wscale shift, TS val
  uint32_t b = 0;                                     // TS ecr
  std::vector<std::pair<uint32_t, uint32_t>> blocks;  // sack left:right (relative)
};

struct PacketSpec {
  bool inbound = true;
  // `[noecn]`, `[ect1]`, `[ect0]`, `[ce]` (`[ect01]`: either ECT) before the flags: the IP
  // ECN field (RFC 3168 5) set on an inbound packet, checked on an outbound one.
  std::optional<uint8_t> ecn;
  bool ecn_any_ect = false;  // `[ect01]`
  uint8_t flags = 0;         // TCP flag bits
  uint32_t seq = 0;          // relative start
  uint32_t len = 0;          // payload bytes
  std::optional<uint32_t> ack;
  std::optional<uint32_t> win;
  std::optional<uint32_t> urg;
  bool options_given = false;  // `<...>` list present
  bool options_any = false;    // `<...>`: outbound options are not checked
  std::vector<OptionSpec> options;
  // ustack extension `peer N`: the packet belongs to the flow whose remote port is N (for
  // scripts with several connections); without it, the script's main flow.
  std::optional<uint16_t> peer_port;
  std::string text;  // as written, for messages
};

// A syscall argument or expected value.
struct Expr {
  enum class Kind : uint8_t { kInt, kEllipsis, kList, kStruct, kString };
  Kind kind = Kind::kInt;
  int64_t value = 0;
  std::string text;               // kString, or a struct field name in `keys`
  std::vector<Expr> items;        // kList, kStruct
  std::vector<std::string> keys;  // kStruct: field names ("" when positional)
};

struct SyscallSpec {
  std::string name;
  std::vector<Expr> args;
  int64_t ret = 0;
  std::string err;                    // errno name when ret == -1
  std::optional<TimeSpec> block_end;  // `start...end`: the call returns at end
  std::string text;
};

struct Event {
  enum class Type : uint8_t { kInbound, kOutbound, kSyscall };
  int line = 0;
  Type type = Type::kSyscall;
  EventTime time;
  PacketSpec pkt;
  SyscallSpec call;
};

struct Script {
  std::string path;
  std::vector<Event> events;
  // `--key=value` lines in the script header (tolerance_usecs and stack flags).
  std::vector<std::pair<std::string, std::string>> options;
};

// Parses a script. On failure returns false with "path:line: message" in *error. A script must
// open with a `//` comment that cites the RFC section it checks ("RFC <number>").
bool ParseScript(const std::string& path, const std::string& text, Script* out, std::string* error);

// Resolves a symbolic constant (SOCK_STREAM, O_NONBLOCK, EINPROGRESS, ...); false if unknown.
bool LookupConstant(const std::string& name, int64_t* value);
// The errno name for a positive errno value ("E?" plus the number when unknown).
std::string ErrnoName(int err);

}  // namespace ustack::scenario
