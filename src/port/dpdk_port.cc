// DpdkPort and its DpdkDevice, see dpdk_port.h. Every DPDK call's failure is turned into
// text with rte_strerror; nothing here aborts the process.
#include "port/dpdk_port.h"

#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include "port/frame_size.h"
#include "port/memif_args.h"

namespace ustack {
namespace {

// Frames moved per rte_eth_*_burst call; larger spans are served in several calls.
constexpr uint16_t kChunk = 64;

std::string DpdkError(const std::string& what, uint16_t port_id, int ret) {
  return "DPDK port " + std::to_string(port_id) + ": " + what + ": " + rte_strerror(-ret) + " (" +
         std::to_string(ret) + ")";
}

DpdkCapabilities ReadCapabilities(uint16_t port_id, const rte_eth_dev_info& info) {
  DpdkCapabilities c;
  c.driver = info.driver_name ? info.driver_name : "";
  char name[RTE_ETH_NAME_MAX_LEN] = {};
  if (rte_eth_dev_get_name_by_port(port_id, name) == 0) c.name = name;
  c.min_mtu = info.min_mtu;
  c.max_mtu = info.max_mtu;
  c.max_rx_queues = info.max_rx_queues;
  c.max_tx_queues = info.max_tx_queues;
  c.reta_size = info.reta_size;
  c.rss_hash_types = info.flow_type_rss_offloads;
  c.rx_offload_capa = info.rx_offload_capa;
  c.tx_offload_capa = info.tx_offload_capa;
  c.rx_ipv4_checksum = (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) != 0;
  c.rx_tcp_checksum = (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) != 0;
  c.rx_udp_checksum = (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_UDP_CKSUM) != 0;
  c.tx_ipv4_checksum = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
  c.tx_tcp_checksum = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) != 0;
  c.tx_udp_checksum = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0;
  c.tx_tcp_tso = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO) != 0;
  c.tx_multi_segs = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
  return c;
}

std::string PortName(uint16_t port_id, const DpdkCapabilities& caps) {
  return "DPDK port " + std::to_string(port_id) + " (" + caps.driver + ")";
}

// The largest MTU whose frames fit one mbuf of `pool` behind the headroom.
uint16_t PoolMtu(rte_mempool* pool) {
  const uint16_t room = rte_pktmbuf_data_room_size(pool);
  return room <= RTE_PKTMBUF_HEADROOM ? 0 : MtuForFrameLen(room - RTE_PKTMBUF_HEADROOM);
}

// Fills caps.usable_max_mtu / mtu_limit: the least of the device's own limit (memif: its
// bsize, see memif_args.h; others: dev_info's max_mtu), the pool's mbufs and kMaxPortMtu.
// *memif_mtu gets the MTU of memif's buffers. False (and *error) when a memif's devargs
// cannot be read.
bool FindMtuLimit(const rte_eth_dev_info& info, rte_mempool* pool, uint16_t port_id,
                  DpdkCapabilities* caps, uint16_t* memif_mtu, std::string* error) {
  caps->usable_max_mtu = info.max_mtu;
  caps->mtu_limit = "the device's max_mtu";
  if (caps->driver == kMemifDriver) {
    const rte_devargs* da = info.device ? rte_dev_devargs(info.device) : nullptr;
    const char* args = da && da->args ? da->args : "";
    const std::optional<uint16_t> bsize = MemifBufferSize(args);
    if (!bsize) {
      *error = PortName(port_id, *caps) + ": cannot read bsize from the devargs '" + args + "'";
      return false;
    }
    *memif_mtu = MtuForFrameLen(*bsize);
    caps->usable_max_mtu = *memif_mtu;
    caps->mtu_limit = "net_memif bsize " + std::to_string(*bsize);
  }
  const uint16_t pool_mtu = PoolMtu(pool);
  if (pool_mtu < caps->usable_max_mtu) {
    caps->usable_max_mtu = pool_mtu;
    caps->mtu_limit = "packet pool data room " + std::to_string(rte_pktmbuf_data_room_size(pool));
  }
  if (kMaxPortMtu < caps->usable_max_mtu) {
    caps->usable_max_mtu = kMaxPortMtu;
    caps->mtu_limit = "one mbuf per frame";
  }
  return true;
}

// Why `mtu` cannot be used, or "" when it can. Memif's bound is its buffer size; other
// drivers keep dev_info's range (ethdev also checks max_rx_pktlen at configure).
std::string CheckMtu(uint16_t mtu, const rte_eth_dev_info& info, rte_mempool* pool,
                     uint16_t port_id, const DpdkCapabilities& caps, uint16_t memif_mtu) {
  const std::string name = PortName(port_id, caps) + ": MTU " + std::to_string(mtu);
  const bool memif = caps.driver == kMemifDriver;
  if (mtu < info.min_mtu || (!memif && mtu > info.max_mtu)) {
    return name + " outside the device's range [" + std::to_string(info.min_mtu) + ", " +
           std::to_string(info.max_mtu) + "]";
  }
  const std::string frame = std::to_string(FrameLenForMtu(mtu)) + "-byte frames";
  if (memif && mtu > memif_mtu) {
    return name + " needs " + frame + " but memif buffers hold " +
           std::to_string(FrameLenForMtu(memif_mtu)) +
           " bytes (devarg bsize); add bsize=" + std::to_string(MemifBufferSizeForMtu(mtu)) +
           " to the --vdev devargs (ustack's runtime does when they set none)";
  }
  if (mtu > kMaxPortMtu) {
    return name + " above " + std::to_string(kMaxPortMtu) + ", the most one mbuf can carry";
  }
  if (mtu > PoolMtu(pool)) {
    return name + " needs " + frame + " in one mbuf, but the packet pool's data room is " +
           std::to_string(rte_pktmbuf_data_room_size(pool)) + " bytes (" +
           std::to_string(RTE_PKTMBUF_HEADROOM) + " of headroom); the pool needs " +
           std::to_string(DataRoomForMtu(mtu)) + " (DataRoomForMtu)";
  }
  return {};
}

}  // namespace

// The ethdev itself: configured with nb_queues queue pairs, started, and on destruction
// stopped and closed. Shared by the ports of its queues.
class DpdkDevice {
 public:
  static std::shared_ptr<DpdkDevice> Open(const DpdkPortConfig& cfg, uint16_t nb_queues,
                                          std::span<rte_mempool* const> pools, std::string* error);
  ~DpdkDevice();
  DpdkDevice(const DpdkDevice&) = delete;
  DpdkDevice& operator=(const DpdkDevice&) = delete;

  uint16_t port_id() const { return port_id_; }
  const DpdkCapabilities& caps() const { return caps_; }
  MacAddr mac() const { return mac_; }
  uint16_t mtu() const { return mtu_; }

 private:
  explicit DpdkDevice(uint16_t port_id) : port_id_(port_id) {}
  bool Configure(const DpdkPortConfig& cfg, uint16_t nb_queues, std::span<rte_mempool* const> pools,
                 std::string* error);
  bool SetMtu(uint16_t mtu, std::string* error);
  // The MTU the ethdev is configured with: `mtu`, except on memif above what its dev_info
  // admits (1500), where the data path does not depend on it.
  uint16_t DeviceMtu(uint16_t mtu, const rte_eth_dev_info& info) const;
  bool Start(const DpdkPortConfig& cfg, std::string* error);

  uint16_t port_id_;
  bool started_ = false;
  bool configured_ = false;
  DpdkCapabilities caps_;
  MacAddr mac_;
  uint16_t mtu_ = 0;
};

std::shared_ptr<DpdkDevice> DpdkDevice::Open(const DpdkPortConfig& cfg, uint16_t nb_queues,
                                             std::span<rte_mempool* const> pools,
                                             std::string* error) {
  std::string local_error;
  if (error == nullptr) error = &local_error;
  if (!rte_eth_dev_is_valid_port(cfg.port_id)) {
    *error = "DPDK port " + std::to_string(cfg.port_id) + " does not exist (the EAL found " +
             std::to_string(DpdkPortCount()) + " ports; is --vdev or a bound NIC missing?)";
    return nullptr;
  }
  if (nb_queues == 0 || pools.size() != nb_queues) {
    *error = "DPDK port " + std::to_string(cfg.port_id) + ": need one mempool per queue";
    return nullptr;
  }
  for (rte_mempool* p : pools) {
    if (p == nullptr) {
      *error = "DPDK port " + std::to_string(cfg.port_id) + ": packet pool not created";
      return nullptr;
    }
  }
  std::shared_ptr<DpdkDevice> dev(new DpdkDevice(cfg.port_id));
  if (!dev->Configure(cfg, nb_queues, pools, error)) return nullptr;
  if (!dev->SetMtu(cfg.mtu, error)) return nullptr;
  if (!dev->Start(cfg, error)) return nullptr;
  return dev;
}

bool DpdkDevice::Configure(const DpdkPortConfig& cfg, uint16_t nb_queues,
                           std::span<rte_mempool* const> pools, std::string* error) {
  rte_eth_dev_info info{};
  int ret = rte_eth_dev_info_get(port_id_, &info);
  if (ret != 0) {
    *error = DpdkError("dev_info_get failed", port_id_, ret);
    return false;
  }
  caps_ = ReadCapabilities(port_id_, info);
  if (nb_queues > info.max_rx_queues || nb_queues > info.max_tx_queues) {
    *error = "DPDK port " + std::to_string(port_id_) + " (" + caps_.driver +
             "): " + std::to_string(nb_queues) + " queues requested, device has at most " +
             std::to_string(std::min(info.max_rx_queues, info.max_tx_queues));
    return false;
  }
  uint16_t memif_mtu = 0;
  if (!FindMtuLimit(info, pools[0], port_id_, &caps_, &memif_mtu, error)) return false;
  for (rte_mempool* p : pools) {
    const std::string why = CheckMtu(cfg.mtu, info, p, port_id_, caps_, memif_mtu);
    if (!why.empty()) {
      *error = why;
      return false;
    }
  }
  rte_eth_conf conf{};  // no offloads, no RSS: one queue pair for now
  conf.rxmode.mtu = DeviceMtu(cfg.mtu, info);
  ret = rte_eth_dev_configure(port_id_, nb_queues, nb_queues, &conf);
  if (ret != 0) {
    *error = DpdkError("configure failed", port_id_, ret);
    return false;
  }
  configured_ = true;
  uint16_t rxd = cfg.rx_desc;
  uint16_t txd = cfg.tx_desc;
  ret = rte_eth_dev_adjust_nb_rx_tx_desc(port_id_, &rxd, &txd);
  if (ret != 0) {
    *error = DpdkError("adjusting descriptor counts failed", port_id_, ret);
    return false;
  }
  caps_.rx_desc = rxd;
  caps_.tx_desc = txd;
  const int socket = rte_eth_dev_socket_id(port_id_);
  const unsigned socket_id =
      socket < 0 ? static_cast<unsigned>(SOCKET_ID_ANY) : static_cast<unsigned>(socket);
  for (uint16_t q = 0; q < nb_queues; ++q) {
    ret = rte_eth_rx_queue_setup(port_id_, q, rxd, socket_id, nullptr, pools[q]);
    if (ret != 0) {
      *error = DpdkError("rx queue " + std::to_string(q) + " setup failed", port_id_, ret);
      return false;
    }
    ret = rte_eth_tx_queue_setup(port_id_, q, txd, socket_id, nullptr);
    if (ret != 0) {
      *error = DpdkError("tx queue " + std::to_string(q) + " setup failed", port_id_, ret);
      return false;
    }
  }
  return true;
}

uint16_t DpdkDevice::DeviceMtu(uint16_t mtu, const rte_eth_dev_info& info) const {
  constexpr uint32_t kOverhead = RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
  if (caps_.driver != kMemifDriver || info.max_rx_pktlen <= kOverhead) return mtu;
  return static_cast<uint16_t>(std::min<uint32_t>(mtu, info.max_rx_pktlen - kOverhead));
}

bool DpdkDevice::SetMtu(uint16_t mtu, std::string* error) {
  uint16_t actual = 0;
  if (caps_.driver == kMemifDriver) {
    // memif has no MTU operation; ustack bounds its frames by bsize (see memif_args.h).
    caps_.configured_mtu = rte_eth_dev_get_mtu(port_id_, &actual) == 0 ? actual : 0;
    mtu_ = mtu;
    return true;
  }
  const int ret = rte_eth_dev_set_mtu(port_id_, mtu);
  if (ret != 0 && ret != -ENOTSUP) {
    *error = DpdkError("setting MTU " + std::to_string(mtu) + " failed", port_id_, ret);
    return false;
  }
  mtu_ = rte_eth_dev_get_mtu(port_id_, &actual) == 0 && actual != 0 ? actual : mtu;
  caps_.configured_mtu = mtu_;
  return true;
}

bool DpdkDevice::Start(const DpdkPortConfig& cfg, std::string* error) {
  int ret = rte_eth_dev_start(port_id_);
  if (ret != 0) {
    *error = DpdkError("start failed", port_id_, ret);
    return false;
  }
  started_ = true;
  if (cfg.promiscuous) {
    ret = rte_eth_promiscuous_enable(port_id_);
    if (ret != 0 && ret != -ENOTSUP) {
      *error = DpdkError("enabling promiscuous mode failed", port_id_, ret);
      return false;
    }
  }
  rte_ether_addr addr{};
  ret = rte_eth_macaddr_get(port_id_, &addr);
  if (ret != 0) {
    *error = DpdkError("reading the MAC address failed", port_id_, ret);
    return false;
  }
  std::copy(std::begin(addr.addr_bytes), std::end(addr.addr_bytes), mac_.b.begin());
  return true;
}

DpdkDevice::~DpdkDevice() {
  // Only a device this object configured is closed; a port whose configure failed (or was
  // never tried, e.g. a bad MTU) stays available for another Open.
  if (started_) rte_eth_dev_stop(port_id_);
  if (configured_) rte_eth_dev_close(port_id_);
}

std::unique_ptr<DpdkPort> DpdkPort::Open(const DpdkPortConfig& cfg, PacketPool& pool,
                                         std::string* error) {
  rte_mempool* const pools[1] = {pool.get()};
  std::shared_ptr<DpdkDevice> dev = DpdkDevice::Open(cfg, 1, pools, error);
  if (!dev) return nullptr;
  return std::unique_ptr<DpdkPort>(new DpdkPort(std::move(dev), 0, pool.get()));
}

DpdkPort::DpdkPort(std::shared_ptr<DpdkDevice> dev, uint16_t queue_id, rte_mempool* pool)
    : dev_(std::move(dev)),
      port_id_(dev_->port_id()),
      queue_id_(queue_id),
      pool_(pool),
      mac_(dev_->mac()),
      mtu_(dev_->mtu()) {}

DpdkPort::~DpdkPort() = default;

const DpdkCapabilities& DpdkPort::capabilities() const { return dev_->caps(); }

uint16_t DpdkPort::RxBurst(std::span<Packet> out, Instant /*now*/) {
  const size_t limit = std::min<size_t>(out.size(), UINT16_MAX);
  size_t total = 0;
  while (total < limit) {
    std::array<rte_mbuf*, kChunk> mbufs;
    const uint16_t want = static_cast<uint16_t>(std::min<size_t>(kChunk, limit - total));
    const uint16_t n = rte_eth_rx_burst(port_id_, queue_id_, mbufs.data(), want);
    uint16_t kept = 0;
    for (uint16_t i = 0; i < n; ++i) {
      if (mbufs[i]->nb_segs != 1) {  // more than one mbuf can hold: see RxBurst in the header
        rte_pktmbuf_free(mbufs[i]);
        ++stats_.rx_dropped;
        continue;
      }
      stats_.rx_bytes += rte_pktmbuf_pkt_len(mbufs[i]);
      out[total + kept++] = Packet(mbufs[i]);  // adopts the mbuf
    }
    stats_.rx_packets += kept;
    total += kept;
    if (n < want) break;
  }
  return static_cast<uint16_t>(total);
}

uint16_t DpdkPort::TxBurst(std::span<Packet> pkts, Instant /*now*/) {
  const size_t limit = std::min<size_t>(pkts.size(), UINT16_MAX);
  size_t done = 0;  // pkts[0, done) were taken (or were invalid and skipped)
  while (done < limit) {
    std::array<rte_mbuf*, kChunk> mbufs;
    std::array<size_t, kChunk> index;  // position in pkts of each mbuf
    uint16_t n = 0;
    size_t next = done;
    for (; next < limit && n < kChunk; ++next) {
      if (!pkts[next]) continue;  // nothing to send: counts as taken
      index[n] = next;
      mbufs[n++] = pkts[next].Release();
    }
    const uint16_t sent = n == 0 ? 0 : rte_eth_tx_burst(port_id_, queue_id_, mbufs.data(), n);
    for (uint16_t i = 0; i < sent; ++i) stats_.tx_bytes += rte_pktmbuf_pkt_len(mbufs[i]);
    stats_.tx_packets += sent;
    if (sent < n) {
      for (uint16_t i = sent; i < n; ++i) pkts[index[i]] = Packet(mbufs[i]);  // give back
      stats_.tx_dropped += n - sent;
      return static_cast<uint16_t>(index[sent]);
    }
    done = next;
  }
  return static_cast<uint16_t>(done);
}

bool DpdkPort::DeviceStats(DpdkDeviceStats* out, std::string* error) const {
  rte_eth_stats s{};
  const int ret = rte_eth_stats_get(port_id_, &s);
  if (ret != 0) {
    if (error) *error = DpdkError("stats_get failed", port_id_, ret);
    return false;
  }
  out->ipackets = s.ipackets;
  out->opackets = s.opackets;
  out->ibytes = s.ibytes;
  out->obytes = s.obytes;
  out->imissed = s.imissed;
  out->ierrors = s.ierrors;
  out->oerrors = s.oerrors;
  out->rx_nombuf = s.rx_nombuf;
  return true;
}

bool DpdkPort::LinkUp() const {
  rte_eth_link link{};
  return rte_eth_link_get_nowait(port_id_, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

uint16_t DpdkPortCount() { return rte_eth_dev_count_avail(); }

}  // namespace ustack
