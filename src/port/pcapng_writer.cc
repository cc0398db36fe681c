// PcapngWriter implementation, see pcapng_writer.h. Block layouts follow
// draft-ietf-opsawg-pcapng: every block is type, total length, body, total length again;
// bodies and options are padded to 32 bits. All fields are written in host byte order.
#include "port/pcapng_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ustack {
namespace {

// pcapng 4.1: block type of the Section Header Block, and its byte-order magic.
constexpr uint32_t kBlockSectionHeader = 0x0A0D0D0A;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
// pcapng 4.2 / 4.3: Interface Description and Enhanced Packet blocks.
constexpr uint32_t kBlockInterfaceDescription = 0x00000001;
constexpr uint32_t kBlockEnhancedPacket = 0x00000006;
constexpr uint16_t kLinkTypeEthernet = 1;  // LINKTYPE_ETHERNET
// Option codes (pcapng 3.5, 4.1, 4.2, 4.3).
constexpr uint16_t kOptEndOfOpt = 0;
constexpr uint16_t kOptShbUserAppl = 4;
constexpr uint16_t kOptIfName = 2;
constexpr uint16_t kOptIfTsResol = 9;
constexpr uint16_t kOptEpbFlags = 2;
constexpr uint8_t kTsResolNanos = 9;  // 10^-9 s per timestamp unit
// A bound on snaplen so that one block never needs more than this much buffer.
constexpr uint32_t kMaxSnaplen = 262144;

// Appends a value in host byte order (pcapng readers detect it from the byte-order magic).
template <typename T>
void PutRaw(std::vector<uint8_t>& b, T v) {
  const size_t at = b.size();
  b.resize(at + sizeof v);
  std::memcpy(b.data() + at, &v, sizeof v);
}

void Put16(std::vector<uint8_t>& b, uint16_t v) { PutRaw(b, v); }
void Put32(std::vector<uint8_t>& b, uint32_t v) { PutRaw(b, v); }

void PadTo32(std::vector<uint8_t>& b) {
  while (b.size() % 4 != 0) b.push_back(0);
}

// Appends one option (code, length, value, padding).
void PutOption(std::vector<uint8_t>& b, uint16_t code, std::span<const uint8_t> value) {
  Put16(b, code);
  Put16(b, static_cast<uint16_t>(value.size()));
  b.insert(b.end(), value.begin(), value.end());
  PadTo32(b);
}

void PutStringOption(std::vector<uint8_t>& b, uint16_t code, const std::string& s) {
  const size_t n = std::min<size_t>(s.size(), 256);
  PutOption(b, code, {reinterpret_cast<const uint8_t*>(s.data()), n});
}

void PutEndOfOptions(std::vector<uint8_t>& b) {
  Put16(b, kOptEndOfOpt);
  Put16(b, 0);
}

// Starts a block in `b` (type and a placeholder length).
void BeginBlock(std::vector<uint8_t>& b, uint32_t type) {
  b.clear();
  Put32(b, type);
  Put32(b, 0);
}

// Ends a block: appends the trailing length and patches the leading one.
void EndBlock(std::vector<uint8_t>& b) {
  const uint32_t total = static_cast<uint32_t>(b.size() + 4);
  Put32(b, total);
  std::memcpy(b.data() + 4, &total, sizeof total);
}

}  // namespace

std::unique_ptr<PcapngWriter> PcapngWriter::Open(const std::string& path, const PcapngOptions& opts,
                                                 std::string* error) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    if (error) *error = "pcapng: cannot create " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  const uint32_t snaplen =
      opts.snaplen == 0 ? kMaxSnaplen : std::min<uint32_t>(opts.snaplen, kMaxSnaplen);
  std::unique_ptr<PcapngWriter> w(new PcapngWriter(f, snaplen));
  if (!w->WriteHeaders(opts) || !w->Flush()) {
    if (error) *error = "pcapng: cannot write " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  return w;
}

PcapngWriter::~PcapngWriter() {
  if (file_ != nullptr) std::fclose(file_);  // flushes the stdio buffer
}

bool PcapngWriter::WriteHeaders(const PcapngOptions& opts) {
  // pcapng 4.1: Section Header Block; section length -1 means "not specified".
  BeginBlock(block_, kBlockSectionHeader);
  Put32(block_, kByteOrderMagic);
  Put16(block_, 1);  // major version
  Put16(block_, 0);  // minor version
  Put32(block_, 0xFFFFFFFFu);
  Put32(block_, 0xFFFFFFFFu);
  PutStringOption(block_, kOptShbUserAppl, opts.application);
  PutEndOfOptions(block_);
  EndBlock(block_);
  if (!Emit(block_)) return false;

  // pcapng 4.2: Interface Description Block for interface 0.
  BeginBlock(block_, kBlockInterfaceDescription);
  Put16(block_, kLinkTypeEthernet);
  Put16(block_, 0);  // reserved
  Put32(block_, snaplen_);
  PutStringOption(block_, kOptIfName, opts.if_name);
  const uint8_t tsresol = kTsResolNanos;
  PutOption(block_, kOptIfTsResol, {&tsresol, 1});
  PutEndOfOptions(block_);
  EndBlock(block_);
  return Emit(block_);
}

void PcapngWriter::WriteFrame(std::span<const uint8_t> captured, uint32_t original_len,
                              int64_t unix_ns, CaptureDirection dir) {
  if (failed_) {
    write_errors_++;
    return;
  }
  const uint32_t caplen = static_cast<uint32_t>(
      std::min<size_t>({captured.size(), size_t{snaplen_}, size_t{original_len}}));
  const uint64_t ts = unix_ns < 0 ? 0 : static_cast<uint64_t>(unix_ns);
  // pcapng 4.3: Enhanced Packet Block.
  BeginBlock(block_, kBlockEnhancedPacket);
  Put32(block_, 0);  // interface id
  Put32(block_, static_cast<uint32_t>(ts >> 32));
  Put32(block_, static_cast<uint32_t>(ts));
  Put32(block_, caplen);
  Put32(block_, original_len);
  block_.insert(block_.end(), captured.begin(), captured.begin() + caplen);
  PadTo32(block_);
  // pcapng 4.3.1: epb_flags bits 0-1 are the direction, 01 inbound, 10 outbound.
  const uint32_t flags = static_cast<uint32_t>(dir);
  uint8_t raw[4];
  std::memcpy(raw, &flags, sizeof flags);
  PutOption(block_, kOptEpbFlags, raw);
  PutEndOfOptions(block_);
  EndBlock(block_);
  if (Emit(block_)) {
    frames_written_++;
  } else {
    write_errors_++;
  }
}

bool PcapngWriter::Flush() {
  if (!failed_ && std::fflush(file_) != 0) failed_ = true;
  return !failed_;
}

bool PcapngWriter::Emit(const std::vector<uint8_t>& block) {
  if (failed_) return false;
  if (std::fwrite(block.data(), 1, block.size(), file_) != block.size()) failed_ = true;
  return !failed_;
}

}  // namespace ustack
