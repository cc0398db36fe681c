// PcapngWriter: writes Ethernet frames to a pcapng file (IETF draft-ietf-opsawg-pcapng):
// one Section Header Block, one Interface Description Block (LINKTYPE_ETHERNET, nanosecond
// timestamps), then one Enhanced Packet Block per frame with its direction in epb_flags.
// Written in host byte order (the byte-order magic tells readers which), through buffered
// stdio. Owns the FILE; closes it (flushing) when destroyed. After the first write error
// the writer stops writing and counts every later frame in write_errors().
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace ustack {

enum class CaptureDirection : uint8_t { kInbound = 1, kOutbound = 2 };

struct PcapngOptions {
  uint32_t snaplen = 65535;  // bytes kept per frame; 0 = whole frames
  std::string if_name = "ustack0";
  std::string application = "ustack";
};

class PcapngWriter {
 public:
  // Creates (truncates) `path` and writes the section and interface headers. Returns
  // nullptr and sets *error on failure.
  static std::unique_ptr<PcapngWriter> Open(const std::string& path, const PcapngOptions& opts,
                                            std::string* error);
  ~PcapngWriter();
  PcapngWriter(const PcapngWriter&) = delete;
  PcapngWriter& operator=(const PcapngWriter&) = delete;

  // Writes one Enhanced Packet Block. `captured` holds the first bytes of the frame (at
  // most snaplen are written); `original_len` is the frame's full length; `unix_ns` is the
  // timestamp in nanoseconds since the Unix epoch.
  void WriteFrame(std::span<const uint8_t> captured, uint32_t original_len, int64_t unix_ns,
                  CaptureDirection dir);
  // Pushes buffered blocks to the file; false after any write error.
  bool Flush();

  uint32_t snaplen() const { return snaplen_; }
  uint64_t frames_written() const { return frames_written_; }
  uint64_t write_errors() const { return write_errors_; }

 private:
  PcapngWriter(FILE* f, uint32_t snaplen) : file_(f), snaplen_(snaplen) {}
  bool WriteHeaders(const PcapngOptions& opts);
  bool Emit(const std::vector<uint8_t>& block);

  FILE* file_;
  uint32_t snaplen_;
  uint64_t frames_written_ = 0;
  uint64_t write_errors_ = 0;
  bool failed_ = false;
  std::vector<uint8_t> block_;  // reused for every block: no allocation per frame
};

}  // namespace ustack
