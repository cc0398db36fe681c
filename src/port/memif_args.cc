// net_memif devargs, see memif_args.h.
#include "port/memif_args.h"

#include <charconv>

#include "port/frame_size.h"

namespace ustack {
namespace {

// The value of `key` in a comma-separated "k=v,k=v" list; nullopt when absent.
std::optional<std::string_view> DevargValue(std::string_view args, std::string_view key) {
  while (!args.empty()) {
    const size_t comma = args.find(',');
    const std::string_view item = args.substr(0, comma);
    const size_t eq = item.find('=');
    if (eq != std::string_view::npos && item.substr(0, eq) == key) return item.substr(eq + 1);
    if (comma == std::string_view::npos) break;
    args.remove_prefix(comma + 1);
  }
  return std::nullopt;
}

// Appends our sizes to one vdev string when it is a memif without a bsize.
std::string AddSizes(const std::string& vdev, uint16_t bsize, uint8_t log2_ring) {
  if (!vdev.starts_with(kMemifDriver)) return vdev;
  const size_t comma = vdev.find(',');
  const std::string_view args =
      comma == std::string::npos ? std::string_view() : std::string_view(vdev).substr(comma + 1);
  if (DevargValue(args, "bsize")) return vdev;
  std::string out = vdev + ",bsize=" + std::to_string(bsize);
  if (log2_ring < kMemifDefaultLog2Ring && !DevargValue(args, "rsize")) {
    out += ",rsize=" + std::to_string(log2_ring);
  }
  return out;
}

}  // namespace

std::optional<uint16_t> MemifBufferSize(std::string_view devargs) {
  const std::optional<std::string_view> v = DevargValue(devargs, "bsize");
  if (!v) return kMemifDefaultBufferSize;
  unsigned n = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n == 0 || n > UINT16_MAX) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(n);
}

uint16_t MemifBufferSizeForMtu(uint16_t mtu) {
  const uint32_t rounded = (FrameLenForMtu(mtu) + 63) / 64 * 64;
  return static_cast<uint16_t>(rounded > UINT16_MAX ? UINT16_MAX : rounded);
}

uint8_t MemifLog2RingForBufferSize(uint16_t bsize) {
  uint8_t log2 = kMemifDefaultLog2Ring;
  while (log2 > 1 && (uint32_t{bsize} << log2) > kMemifRingBudgetBytes) --log2;
  return log2;
}

std::vector<std::string> WithMemifBufferSize(std::vector<std::string> eal_args, uint16_t mtu) {
  if (FrameLenForMtu(mtu) <= kMemifDefaultBufferSize) return eal_args;
  const uint16_t bsize = MemifBufferSizeForMtu(mtu);
  const uint8_t log2_ring = MemifLog2RingForBufferSize(bsize);
  constexpr std::string_view kVdevEq = "--vdev=";
  for (size_t i = 0; i < eal_args.size(); ++i) {
    std::string& a = eal_args[i];
    if (a.starts_with(kVdevEq)) {
      a = std::string(kVdevEq) + AddSizes(a.substr(kVdevEq.size()), bsize, log2_ring);
    } else if (a == "--vdev" && i + 1 < eal_args.size()) {
      eal_args[i + 1] = AddSizes(eal_args[i + 1], bsize, log2_ring);
      ++i;
    }
  }
  return eal_args;
}

}  // namespace ustack
