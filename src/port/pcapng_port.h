// PcapngPort: a Port wrapper that forwards to an inner Port and records every frame it
// receives and every frame the inner port accepted for transmission in a pcapng file.
// Timestamps are the `now` given to Rx/TxBurst shifted so that the first call lands at the
// wall-clock time read once when the file was opened: relative times follow the stack's
// clock exactly (also a manual clock in simulation), absolute times are roughly real.
// Ownership: owns the inner Port and the file; the file is flushed and closed on
// destruction. Single-threaded, like every Port.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "port/pcapng_writer.h"
#include "port/port.h"

namespace ustack {

class PcapngPort final : public Port {
 public:
  // Wraps `inner`, writing to `path` with frames cut to `snaplen` bytes (0 = whole frames).
  // On failure returns nullptr, sets *error and leaves `inner` untouched.
  static std::unique_ptr<PcapngPort> Wrap(std::unique_ptr<Port>&& inner, const std::string& path,
                                          uint32_t snaplen, std::string* error);
  // As above with all options. `wall_clock_ns`, when set, replaces the wall-clock read (for
  // byte-identical files in simulation).
  static std::unique_ptr<PcapngPort> Wrap(std::unique_ptr<Port>&& inner, const std::string& path,
                                          const PcapngOptions& opts,
                                          std::optional<int64_t> wall_clock_ns, std::string* error);
  ~PcapngPort() override;

  uint16_t RxBurst(std::span<Packet> out, Instant now) override;
  // Records only the frames the inner port took.
  uint16_t TxBurst(std::span<Packet> pkts, Instant now) override;
  MacAddr mac() const override { return inner_->mac(); }
  uint16_t mtu() const override { return inner_->mtu(); }
  rte_mempool* pool() const override { return inner_->pool(); }
  PortStats stats() const override { return inner_->stats(); }

  Port& inner() { return *inner_; }
  bool Flush() { return writer_->Flush(); }
  uint64_t frames_written() const { return writer_->frames_written(); }
  uint64_t write_errors() const { return writer_->write_errors(); }

 private:
  PcapngPort(std::unique_ptr<Port> inner, std::unique_ptr<PcapngWriter> writer,
             int64_t wall_clock_ns);
  int64_t Timestamp(Instant now);
  void Record(const Packet& pkt, Instant now, CaptureDirection dir);

  std::unique_ptr<Port> inner_;
  std::unique_ptr<PcapngWriter> writer_;
  int64_t wall_at_open_ns_;
  std::optional<int64_t> offset_ns_;  // unix_ns = now + offset, fixed at the first burst
  // Staging for transmit frames, copied before the inner port may free them.
  std::vector<uint8_t> stage_;
  std::vector<uint32_t> stage_len_;
};

}  // namespace ustack
