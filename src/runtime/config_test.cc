// Tests for config.ini parsing: every accepted key, comments and whitespace, and each kind
// of error with its FILE:LINE prefix.
#include "runtime/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace ustack {
namespace {

constexpr const char* kMinimal = "[port0]\naddr=198.18.0.2\n";

UstackConfig MustParse(const std::string& text) {
  ConfigResult r = ParseConfig(text, "t.ini");
  EXPECT_TRUE(r.ok()) << r.error;
  return r.ok() ? *r.config : UstackConfig{};
}

std::string ErrorOf(const std::string& text) {
  ConfigResult r = ParseConfig(text, "conf/bad.ini");
  EXPECT_FALSE(r.ok());
  return r.error;
}

TEST(ConfigTest, MinimalConfigGetsDefaults) {
  UstackConfig c = MustParse(kMinimal);
  EXPECT_EQ(c.port0.addr, Ipv4Addr::Of(198, 18, 0, 2));
  EXPECT_EQ(c.port0.netmask, Ipv4Addr::Of(255, 255, 255, 0));
  EXPECT_TRUE(c.port0.gateway.IsAny());
  EXPECT_EQ(c.port0.mtu, 1500);
  EXPECT_EQ(c.dpdk.lcore_mask, "1");
  EXPECT_EQ(c.dpdk.memory_mb, 256u);
  EXPECT_FALSE(c.dpdk.no_huge);
  EXPECT_TRUE(c.dpdk.eal_args.empty());
  EXPECT_FALSE(c.pcap.enable);
  EXPECT_EQ(c.tcp.send_buffer, 256u * 1024);
}

TEST(ConfigTest, FullConfigWithCommentsAndWhitespace) {
  UstackConfig c = MustParse(
      "; F-Stack style config\n"
      "# another comment\n"
      "\n"
      "[dpdk]\n"
      "lcore_mask = 0x3   ; two cores\n"
      "  memory=512\n"
      "no_huge =1\n"
      "file_prefix= demo-1\n"
      "eal_args = --no-pci   --vdev=net_af_xdp0,iface=veth0\t--log-level=debug # tail\n"
      "port_id = 2\n"
      "promiscuous = 1\n"
      "\r\n"
      "[ port0 ]\r\n"
      "addr=198.18.0.2\r\n"
      "netmask=255.255.0.0\n"
      "broadcast=198.18.255.255\n"
      "gateway=198.18.0.1\n"
      "mtu=9000\n"
      "[pcap]\n"
      "enable=1\n"
      "snaplen=128\n"
      "savepath=/tmp/caps\n"
      "[tcp]\n"
      "send_buffer=1048576\n"
      "receive_buffer=65536\n"
      "time_wait_ms=1000\n"
      "delayed_ack_ms=0\n"
      "nodelay=1\n");
  EXPECT_EQ(c.dpdk.lcore_mask, "3");
  EXPECT_EQ(c.dpdk.memory_mb, 512u);
  EXPECT_TRUE(c.dpdk.no_huge);
  EXPECT_EQ(c.dpdk.file_prefix, "demo-1");
  ASSERT_EQ(c.dpdk.eal_args.size(), 3u);
  EXPECT_EQ(c.dpdk.eal_args[0], "--no-pci");
  EXPECT_EQ(c.dpdk.eal_args[1], "--vdev=net_af_xdp0,iface=veth0");
  EXPECT_EQ(c.dpdk.eal_args[2], "--log-level=debug");
  EXPECT_EQ(c.dpdk.port_id, 2);
  EXPECT_TRUE(c.dpdk.promiscuous);
  EXPECT_EQ(c.port0.netmask, Ipv4Addr::Of(255, 255, 0, 0));
  EXPECT_EQ(c.port0.broadcast, Ipv4Addr::Of(198, 18, 255, 255));
  EXPECT_EQ(c.port0.gateway, Ipv4Addr::Of(198, 18, 0, 1));
  EXPECT_EQ(c.port0.mtu, 9000);
  EXPECT_TRUE(c.pcap.enable);
  EXPECT_EQ(c.pcap.snaplen, 128u);
  EXPECT_EQ(c.pcap.savepath, "/tmp/caps");
  EXPECT_EQ(c.tcp.send_buffer, 1048576u);
  EXPECT_EQ(c.tcp.receive_buffer, 65536u);
  EXPECT_EQ(c.tcp.time_wait_ms, 1000u);
  EXPECT_EQ(c.tcp.delayed_ack_ms, 0u);
  EXPECT_TRUE(c.tcp.nodelay);
}

TEST(ConfigTest, ToStackConfigCarriesValues) {
  UstackConfig c = MustParse(
      "[port0]\naddr=198.18.0.2\ngateway=198.18.0.1\n[tcp]\nsend_buffer=8192\n"
      "receive_buffer=16384\ntime_wait_ms=1500\ndelayed_ack_ms=10\n");
  StackConfig s = c.ToStackConfig();
  EXPECT_EQ(s.net.addr, Ipv4Addr::Of(198, 18, 0, 2));
  EXPECT_EQ(s.net.netmask, Ipv4Addr::Of(255, 255, 255, 0));
  EXPECT_EQ(s.net.gateway, Ipv4Addr::Of(198, 18, 0, 1));
  EXPECT_TRUE(s.net.broadcast.IsAny());
  EXPECT_EQ(s.tcp.send_buffer, 8192u);
  EXPECT_EQ(s.tcp.receive_buffer, 16384u);
  EXPECT_EQ(s.tcp.time_wait, Duration::Millis(1500));
  EXPECT_EQ(s.tcp.delayed_ack, Duration::Millis(10));
}

TEST(ConfigTest, TxPushSetsFramePushAndEarlyTcpOutput) {
  StackConfig unset = MustParse("[port0]\naddr=198.18.0.2\n").ToStackConfig();
  EXPECT_EQ(unset.net.tx_push_frames, 0);  // off by default
  EXPECT_EQ(unset.tcp.early_output_sends, 0);
  StackConfig s = MustParse("[port0]\naddr=198.18.0.2\ntx_push=4\n").ToStackConfig();
  EXPECT_EQ(s.net.tx_push_frames, 4);
  EXPECT_EQ(s.tcp.early_output_sends, 4);
  EXPECT_NE(ErrorOf("[port0]\naddr=198.18.0.2\ntx_push=65\n"), "");
}

TEST(ConfigTest, RxBurstIsCarriedAndBounded) {
  EXPECT_EQ(MustParse("[port0]\naddr=198.18.0.2\n").ToStackConfig().rx_burst, 32);
  EXPECT_EQ(MustParse("[port0]\naddr=198.18.0.2\nrx_burst=8\n").ToStackConfig().rx_burst, 8);
  EXPECT_NE(ErrorOf("[port0]\naddr=198.18.0.2\nrx_burst=0\n"), "");
  EXPECT_NE(ErrorOf("[port0]\naddr=198.18.0.2\nrx_burst=65\n"), "");
}

TEST(ConfigTest, EmptyEalArgsIsAllowed) {
  UstackConfig c = MustParse("[dpdk]\neal_args=\n[port0]\naddr=198.18.0.2\n");
  EXPECT_TRUE(c.dpdk.eal_args.empty());
}

TEST(ConfigTest, UnknownKeyNamesFileLineKeyAndSection) {
  EXPECT_EQ(ErrorOf("[dpdk]\nno_huge=1\n\n; c\n\n[port0]\nadr=198.18.0.2\n"),
            "conf/bad.ini:7: unknown key 'adr' in section [port0]");
}

TEST(ConfigTest, UnknownSection) {
  EXPECT_EQ(ErrorOf("[port1]\naddr=198.18.0.2\n"), "conf/bad.ini:1: unknown section [port1]");
}

TEST(ConfigTest, MissingEquals) {
  EXPECT_EQ(ErrorOf("[port0]\naddr 198.18.0.2\n"),
            "conf/bad.ini:2: missing '=' in 'addr 198.18.0.2'");
}

TEST(ConfigTest, DuplicateKeyEvenAcrossRepeatedSections) {
  EXPECT_EQ(ErrorOf("[port0]\naddr=198.18.0.2\n[pcap]\nenable=0\n[port0]\naddr=198.18.0.3\n"),
            "conf/bad.ini:6: duplicate key 'addr' in section [port0]");
}

TEST(ConfigTest, KeyBeforeAnySection) {
  EXPECT_EQ(ErrorOf("addr=1.2.3.4\n"), "conf/bad.ini:1: key 'addr' outside of any section");
}

TEST(ConfigTest, BadSectionHeader) {
  EXPECT_EQ(ErrorOf("[port0\naddr=198.18.0.2\n"), "conf/bad.ini:1: unterminated section header");
}

TEST(ConfigTest, EmptyKey) { EXPECT_EQ(ErrorOf("[port0]\n=5\n"), "conf/bad.ini:2: empty key"); }

TEST(ConfigTest, BadNumbers) {
  EXPECT_EQ(ErrorOf("[dpdk]\nmemory=12x\n"),
            "conf/bad.ini:2: [dpdk] memory: '12x' is not a decimal number");
  EXPECT_EQ(ErrorOf("[dpdk]\nmemory=-1\n"),
            "conf/bad.ini:2: [dpdk] memory: '-1' is not a decimal number");
  EXPECT_EQ(ErrorOf("[port0]\nmtu=100000\n"),
            "conf/bad.ini:2: [port0] mtu: value 100000 is out of range [576, 65393]");
  // One mbuf holds a whole frame: 128 bytes of headroom + 14 of Ethernet + 65393 = 65535.
  EXPECT_EQ(ErrorOf("[port0]\nmtu=65394\n"),
            "conf/bad.ini:2: [port0] mtu: value 65394 is out of range [576, 65393]");
  EXPECT_EQ(ErrorOf("[dpdk]\nport_id=\n"),
            "conf/bad.ini:2: [dpdk] port_id: '' is not a decimal number");
  EXPECT_EQ(ErrorOf("[dpdk]\nport_id=99999999999999999999999\n"),
            "conf/bad.ini:2: [dpdk] port_id: '99999999999999999999999' is not a decimal number");
}

TEST(ConfigTest, BadBooleansAndMasks) {
  EXPECT_EQ(ErrorOf("[dpdk]\nno_huge=yes\n"),
            "conf/bad.ini:2: [dpdk] no_huge: 'yes' is not 0 or 1");
  EXPECT_EQ(ErrorOf("[dpdk]\nlcore_mask=0xg1\n"),
            "conf/bad.ini:2: [dpdk] lcore_mask: '0xg1' is not a hexadecimal core mask");
  EXPECT_EQ(ErrorOf("[dpdk]\nlcore_mask=0\n"),
            "conf/bad.ini:2: [dpdk] lcore_mask: core mask is zero");
  EXPECT_EQ(ErrorOf("[dpdk]\nfile_prefix=a/b\n"),
            "conf/bad.ini:2: [dpdk] file_prefix: file_prefix must be a non-empty name without "
            "spaces or '/'");
}

TEST(ConfigTest, BadAddresses) {
  EXPECT_EQ(ErrorOf("[port0]\naddr=198.18.0.256\n"),
            "conf/bad.ini:2: [port0] addr: '198.18.0.256' is not an IPv4 address");
  EXPECT_EQ(ErrorOf("[port0]\naddr=198.18.0.2\ngateway=localhost\n"),
            "conf/bad.ini:3: [port0] gateway: 'localhost' is not an IPv4 address");
}

TEST(ConfigTest, MissingAddrIsAnError) {
  EXPECT_EQ(ErrorOf("[dpdk]\nno_huge=1\n"),
            "conf/bad.ini: missing required key 'addr' in section [port0]");
  EXPECT_EQ(ErrorOf(""), "conf/bad.ini: missing required key 'addr' in section [port0]");
}

TEST(ConfigTest, InconsistentAddressesAreErrors) {
  EXPECT_EQ(ErrorOf("[port0]\naddr=198.18.0.2\nnetmask=255.0.255.0\n"),
            "conf/bad.ini: [port0] netmask 255.0.255.0 is not a contiguous mask");
  EXPECT_EQ(ErrorOf("[port0]\naddr=198.18.0.2\ngateway=198.18.1.1\n"),
            "conf/bad.ini: [port0] gateway 198.18.1.1 is outside the subnet of addr");
  EXPECT_EQ(ErrorOf("[port0]\naddr=224.0.0.1\n"),
            "conf/bad.ini: [port0] addr 224.0.0.1 is not a unicast address");
  EXPECT_EQ(ErrorOf("[port0]\naddr=198.18.0.2\ngateway=198.18.0.2\n"),
            "conf/bad.ini: [port0] gateway equals addr");
}

TEST(ConfigTest, LoadConfigReadsAFileAndReportsMissingOnes) {
  std::string path = ::testing::TempDir() + "/ustack_config_test.ini";
  {
    std::ofstream out(path);
    out << "[port0]\naddr=198.18.0.9\n[pcap]\nenable=1\n";
  }
  ConfigResult r = LoadConfig(path);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.config->port0.addr, Ipv4Addr::Of(198, 18, 0, 9));
  EXPECT_TRUE(r.config->pcap.enable);
  EXPECT_EQ(r.config->path, path);
  std::remove(path.c_str());

  ConfigResult missing = LoadConfig("/nonexistent/ustack.ini");
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.error, "/nonexistent/ustack.ini: cannot open file");
}

}  // namespace
}  // namespace ustack

namespace ustack {
namespace {

TEST(ConfigTest, RuntimeSectionDefaultsToAdaptivePolling) {
  const UstackConfig c = MustParse(kMinimal);
  EXPECT_EQ(c.runtime.poll_mode, PollMode::kAdaptive);
  const IdlePolicyConfig p = c.runtime.ToIdlePolicy();
  EXPECT_EQ(p.mode, PollMode::kAdaptive);
  EXPECT_EQ(p.idle_after, Duration::Micros(2000));
  EXPECT_EQ(p.min_sleep, Duration::Micros(50));
  EXPECT_EQ(p.max_sleep, Duration::Micros(1000));
}

TEST(ConfigTest, RuntimeSectionValues) {
  const UstackConfig c = MustParse(std::string(kMinimal) +
                                   "[runtime]\npoll_mode=busy\nidle_after_us=0\n"
                                   "idle_sleep_us=20\nidle_max_sleep_us=20\n");
  EXPECT_EQ(c.runtime.poll_mode, PollMode::kBusy);
  const IdlePolicyConfig p = c.runtime.ToIdlePolicy();
  EXPECT_EQ(p.idle_after, Duration());
  EXPECT_EQ(p.min_sleep, Duration::Micros(20));
  EXPECT_EQ(p.max_sleep, Duration::Micros(20));
}

TEST(ConfigTest, RuntimeSectionErrorsNameTheLine) {
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "[runtime]\npoll_mode=spin\n"),
            "conf/bad.ini:4: [runtime] poll_mode: 'spin' is not busy or adaptive");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "[runtime]\nidle_sleep_us=0\n"),
            "conf/bad.ini:4: [runtime] idle_sleep_us: value 0 is out of range [1, 1000000]");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "[runtime]\nidle_after_us=2000000\n"),
            "conf/bad.ini:4: [runtime] idle_after_us: value 2000000 is out of range [0, 1000000]");
  // The later of the two keys that disagree is named.
  EXPECT_EQ(
      ErrorOf(std::string(kMinimal) + "[runtime]\nidle_max_sleep_us=30\n\nidle_sleep_us=40\n"),
      "conf/bad.ini:6: [runtime] idle_max_sleep_us 30 is below idle_sleep_us 40");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "[runtime]\nidle_max_sleep_us=10\n"),
            "conf/bad.ini:4: [runtime] idle_max_sleep_us 10 is below idle_sleep_us 50");
}

TEST(ConfigTest, TcpBufferLimits) {
  // Defaults: Linux's tcp_wmem[2] / tcp_rmem[2]; they reach the stack.
  UstackConfig d = MustParse(kMinimal);
  EXPECT_EQ(d.tcp.send_buffer_max, 4u << 20);
  EXPECT_EQ(d.tcp.receive_buffer_max, 6u << 20);
  UstackConfig c = MustParse(std::string(kMinimal) +
                             "[tcp]\nsend_buffer_max=1048576\nreceive_buffer_max=8388608\n");
  StackConfig s = c.ToStackConfig();
  EXPECT_EQ(s.tcp.send_buffer_max, 1048576u);
  EXPECT_EQ(s.tcp.receive_buffer_max, 8388608u);
  // An unset maximum follows a large initial size (no error).
  EXPECT_EQ(
      MustParse(std::string(kMinimal) + "[tcp]\nreceive_buffer=16777216\n").tcp.receive_buffer,
      16777216u);
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "[tcp]\nreceive_buffer_max=100\n"),
            "conf/bad.ini:4: [tcp] receive_buffer_max: value 100 is out of range [4096, "
            "1073741824]");
  // A maximum below its initial size names the later of the two keys.
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "[tcp]\nsend_buffer=65536\n\nsend_buffer_max=8192\n"),
            "conf/bad.ini:6: [tcp] send_buffer_max 8192 is below send_buffer 65536");
  EXPECT_EQ(ErrorOf(std::string(kMinimal) + "[tcp]\nreceive_buffer_max=8192\n"),
            "conf/bad.ini:4: [tcp] receive_buffer_max 8192 is below receive_buffer 262144");
}

}  // namespace
}  // namespace ustack
