// UstackConfig: the contents of config.ini, with F-Stack's section and key names where they
// exist. LoadConfig/ParseConfig validate everything once (unknown sections and keys, duplicate
// keys, bad numbers and addresses are errors reported as "FILE:LINE: message"); a config that
// parsed successfully is complete and consistent, and ToStackConfig() cannot fail.
//
//   [dpdk]  lcore_mask (hex), memory (MB), no_huge (0/1), file_prefix, eal_args (extra EAL
//           arguments, split on whitespace), port_id, promiscuous (0/1)
//   [port0] addr (required), netmask, broadcast, gateway, mtu (576..65393; above 1500 see
//           DpdkPort and port/memif_args.h), tx_push (0..64: hand frames to the device once
//           this many wait and output TCP as often during the application's turn; 0, the
//           default: at the end of each iteration), rx_burst (1..64 frames per poll, 32)
//   [pcap]  enable (0/1), snaplen, savepath
//   [tcp]   send_buffer, receive_buffer (initial sizes), send_buffer_max, receive_buffer_max
//           (autosizing limits, not below the initial sizes), time_wait_ms, delayed_ack_ms,
//           nodelay (0/1)
//   [runtime] poll_mode (busy|adaptive), idle_after_us, idle_sleep_us, idle_max_sleep_us
//   [impair] enable (0/1), direction (both|rx|tx), seed, delay_us, jitter_us, loss,
//           duplicate, reorder, reorder_delay_us, corrupt, rate_kbps, queue_limit
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/addr.h"
#include "port/impairment.h"
#include "runtime/idle_policy.h"
#include "stack/stack.h"

namespace ustack {

struct DpdkSection {
  std::string lcore_mask = "1";  // hex digits, without 0x
  uint32_t memory_mb = 256;
  bool no_huge = false;
  std::string file_prefix = "ustack";
  std::vector<std::string> eal_args;
  uint16_t port_id = 0;
  bool promiscuous = false;
};

struct PortSection {
  Ipv4Addr addr;
  Ipv4Addr netmask = Ipv4Addr::Of(255, 255, 255, 0);
  Ipv4Addr broadcast;   // Any: derived from addr and netmask
  Ipv4Addr gateway;     // Any: no default route
  uint16_t mtu = 1500;  // largest IP packet; frames are 14 bytes longer
  // Frames to queue before they are handed to the device, and application sends between
  // early TCP outputs (InterfaceConfig::tx_push_frames, TcpConfig::early_output_sends).
  // Off by default: it halves round trips with 8-32 busy connections over memif, but costs
  // HTTP keep-alive with 64 (docs/BENCHMARKS.md, session 6).
  uint16_t tx_push = 0;
  // Frames taken from the device per poll iteration (StackConfig::rx_burst).
  uint16_t rx_burst = 32;
};

struct PcapSection {
  bool enable = false;
  uint32_t snaplen = 96;
  std::string savepath = ".";
};

struct TcpSection {
  uint32_t send_buffer = 256 * 1024;
  uint32_t receive_buffer = 256 * 1024;
  uint32_t send_buffer_max = 4 << 20;     // autosizing limits, like Linux's tcp_wmem[2]
  uint32_t receive_buffer_max = 6 << 20;  // and tcp_rmem[2]
  uint32_t time_wait_ms = 60000;
  uint32_t delayed_ack_ms = 40;
  bool nodelay = false;  // applications set TCP_NODELAY on their sockets when true
};

// The run loop's polling (see IdlePolicy): busy-poll always, or back off to sleeps of
// idle_sleep_us doubling up to idle_max_sleep_us once idle for idle_after_us.
struct RuntimeSection {
  PollMode poll_mode = PollMode::kAdaptive;
  uint32_t idle_after_us = 2000;
  uint32_t idle_sleep_us = 50;
  uint32_t idle_max_sleep_us = 1000;

  IdlePolicyConfig ToIdlePolicy() const;
};

// A simulated bad wire between the stack and the device (ImpairedPort), for tests against
// real peers. The delay varies uniformly within delay_us +- jitter_us (jitter_us <= delay_us);
// probabilities are fractions (0.005) or percentages (0.5%).
struct ImpairSection {
  enum class Direction : uint8_t { kBoth, kRx, kTx };  // rx: frames towards the stack
  bool enable = false;
  Direction direction = Direction::kBoth;
  uint64_t seed = 1;  // each run with the same seed draws the same faults for the same frames
  uint32_t delay_us = 0;
  uint32_t jitter_us = 0;
  double loss = 0;
  double duplicate = 0;
  double reorder = 0;
  uint32_t reorder_delay_us = 1000;  // a reordered frame is held back by 1/2 to 1 times this
  double corrupt = 0;
  uint64_t rate_kbps = 0;  // 0: unlimited
  uint32_t queue_limit = 1000;

  // The impairment of each impaired direction.
  Impairment ToImpairment() const;
  bool impairs_rx() const { return enable && direction != Direction::kTx; }
  bool impairs_tx() const { return enable && direction != Direction::kRx; }
};

struct UstackConfig {
  std::string path;  // where it was loaded from, for messages
  DpdkSection dpdk;
  PortSection port0;
  PcapSection pcap;
  TcpSection tcp;
  RuntimeSection runtime;
  ImpairSection impair;

  // The per-core stack's configuration.
  StackConfig ToStackConfig() const;
};

// A loaded config or the first error found, as "FILE:LINE: message" (LINE omitted for
// errors about the file as a whole, e.g. a missing required key).
struct ConfigResult {
  std::optional<UstackConfig> config;
  std::string error;

  bool ok() const { return config.has_value(); }
};

// Reads and parses the file at `path`.
ConfigResult LoadConfig(const std::string& path);
// Parses INI text; `name` is used in error messages in place of a file name.
ConfigResult ParseConfig(std::string_view text, const std::string& name);

}  // namespace ustack
