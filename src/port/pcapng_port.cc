// PcapngPort implementation, see pcapng_port.h.
#include "port/pcapng_port.h"

#include <time.h>

#include <algorithm>
#include <utility>

namespace ustack {
namespace {

int64_t WallClockNanos() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

std::unique_ptr<PcapngPort> PcapngPort::Wrap(std::unique_ptr<Port>&& inner, const std::string& path,
                                             uint32_t snaplen, std::string* error) {
  PcapngOptions opts;
  opts.snaplen = snaplen;
  return Wrap(std::move(inner), path, opts, std::nullopt, error);
}

std::unique_ptr<PcapngPort> PcapngPort::Wrap(std::unique_ptr<Port>&& inner, const std::string& path,
                                             const PcapngOptions& opts,
                                             std::optional<int64_t> wall_clock_ns,
                                             std::string* error) {
  if (!inner) {
    if (error) *error = "pcapng: no inner port";
    return nullptr;
  }
  std::unique_ptr<PcapngWriter> writer = PcapngWriter::Open(path, opts, error);
  if (!writer) return nullptr;
  const int64_t wall = wall_clock_ns ? *wall_clock_ns : WallClockNanos();
  return std::unique_ptr<PcapngPort>(new PcapngPort(std::move(inner), std::move(writer), wall));
}

PcapngPort::PcapngPort(std::unique_ptr<Port> inner, std::unique_ptr<PcapngWriter> writer,
                       int64_t wall_clock_ns)
    : inner_(std::move(inner)), writer_(std::move(writer)), wall_at_open_ns_(wall_clock_ns) {}

PcapngPort::~PcapngPort() { writer_->Flush(); }

int64_t PcapngPort::Timestamp(Instant now) {
  if (!offset_ns_) offset_ns_ = wall_at_open_ns_ - now.nanos();
  return now.nanos() + *offset_ns_;
}

void PcapngPort::Record(const Packet& pkt, Instant now, CaptureDirection dir) {
  if (!pkt) return;
  const uint32_t len = pkt.length();
  stage_.resize(std::min(len, writer_->snaplen()));
  const size_t got = pkt.CopyOut(0, stage_);
  writer_->WriteFrame({stage_.data(), got}, len, Timestamp(now), dir);
}

uint16_t PcapngPort::RxBurst(std::span<Packet> out, Instant now) {
  const uint16_t n = inner_->RxBurst(out, now);
  for (uint16_t i = 0; i < n; ++i) Record(out[i], now, CaptureDirection::kInbound);
  return n;
}

uint16_t PcapngPort::TxBurst(std::span<Packet> pkts, Instant now) {
  // Copy first: the inner port may free (or hand on) the frames it takes.
  const size_t count = std::min<size_t>(pkts.size(), UINT16_MAX);
  stage_.clear();
  stage_len_.clear();
  for (size_t i = 0; i < count; ++i) {
    const uint32_t len = pkts[i].length();
    const size_t start = stage_.size();
    stage_.resize(start + std::min(len, writer_->snaplen()));
    const size_t got = pkts[i].CopyOut(0, {stage_.data() + start, stage_.size() - start});
    stage_.resize(start + got);
    stage_len_.push_back(len);
  }
  const uint16_t taken = inner_->TxBurst(pkts.first(count), now);
  const int64_t ts = Timestamp(now);
  size_t offset = 0;
  for (uint16_t i = 0; i < taken; ++i) {
    const uint32_t len = stage_len_[i];
    const size_t caplen = std::min<size_t>(len, writer_->snaplen());
    if (len > 0) {
      writer_->WriteFrame({stage_.data() + offset, caplen}, len, ts, CaptureDirection::kOutbound);
    }
    offset += caplen;
  }
  return taken;
}

}  // namespace ustack
