// Loads libustack_packetdrill.so the way packetdrill does (dlopen + packetdrill_interface_init)
// and drives a passive handshake, a data exchange and a close through the function pointers.
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <thread>
#include <vector>

#include "packetdrill/l3_harness.h"
#include "packetdrill/packetdrill_interface.h"
#include "packetdrill/test_packets.h"

namespace ustack::pd {
namespace {

using testing::ParseTcp;
using testing::SeenTcp;
using testing::TcpPacket;

constexpr uint16_t kPeerPort = 41000;
constexpr uint32_t kPeerIsn = 5000;

class PluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    so_ = dlopen(USTACK_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(so_, nullptr) << dlerror();
    auto init =
        reinterpret_cast<packetdrill_interface_init_t>(dlsym(so_, "packetdrill_interface_init"));
    ASSERT_NE(init, nullptr);
    init("local_ip=192.168.0.1 tcp.delayed_ack_ms=40 tcp.cc=newreno", &ifc_);
    ASSERT_NE(ifc_.userdata, nullptr);
    u_ = ifc_.userdata;
  }
  void TearDown() override {
    if (ifc_.free) ifc_.free(ifc_.userdata);
    // The .so stays loaded: DPDK keeps state in it for the life of the process.
  }

  void Send(uint32_t seq, uint32_t ack, uint8_t flags, size_t payload = 0) {
    auto p = TcpPacket(kDefaultRemoteIp, kDefaultLocalIp, kPeerPort, 8080, seq, ack, flags, 65535,
                       payload);
    ASSERT_EQ(ifc_.netdev_send(u_, p.data(), p.size()), 0);
  }
  std::optional<SeenTcp> Receive(long long* t = nullptr) {
    std::vector<uint8_t> buf(2048);
    size_t n = buf.size();
    long long when = 0;
    if (ifc_.netdev_receive(u_, buf.data(), &n, &when) != 0 || n == 0) return std::nullopt;
    if (t) *t = when;
    return ParseTcp({buf.data(), n});
  }

  void* so_ = nullptr;
  packetdrill_interface ifc_{};
  void* u_ = nullptr;
};

TEST_F(PluginTest, EveryFunctionPointerIsSet) {
  const auto* p = reinterpret_cast<const unsigned char*>(&ifc_);
  // The struct is a void* followed by function pointers, all pointer-sized.
  for (size_t off = 0; off < sizeof ifc_; off += sizeof(void*)) {
    void* f = nullptr;
    std::memcpy(&f, p + off, sizeof f);
    EXPECT_NE(f, nullptr) << "field at offset " << off;
  }
  EXPECT_EQ(sizeof ifc_, 33 * sizeof(void*));  // userdata, free, 22 calls, 4 netdev/clock, 5 more
  int fds[2];
  errno = 0;
  EXPECT_EQ(ifc_.pipe(u_, fds), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  EXPECT_EQ(ifc_.ioctl(u_, 3, 0UL), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
}

TEST_F(PluginTest, PassiveHandshakeDataAndClose) {
  const int lfd = ifc_.socket(u_, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
  ASSERT_GE(lfd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(8080);
  ASSERT_EQ(ifc_.bind(u_, lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(ifc_.listen(u_, lfd, 8), 0);
  errno = 0;
  EXPECT_EQ(ifc_.accept(u_, lfd, nullptr, nullptr), -1);
  EXPECT_EQ(errno, EAGAIN);

  timeval t0{};
  ifc_.gettimeofday(u_, &t0, nullptr);
  Send(kPeerIsn, 0, kTcpSyn);
  long long sent = 0;
  auto synack = Receive(&sent);
  ASSERT_TRUE(synack.has_value());
  EXPECT_EQ(synack->tcp.flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(synack->tcp.ack, kPeerIsn + 1);
  EXPECT_EQ(synack->dst, kDefaultRemoteIp);
  EXPECT_EQ(sent, static_cast<long long>(t0.tv_sec) * 1000000 + t0.tv_usec);
  const uint32_t iss = synack->tcp.seq;
  EXPECT_FALSE(Receive().has_value());  // *count = 0 when nothing is queued

  ASSERT_EQ(ifc_.usleep(u_, 100000), 0);
  timeval t1{};
  ifc_.gettimeofday(u_, &t1, nullptr);
  EXPECT_EQ((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_usec - t0.tv_usec), 100000);
  Send(kPeerIsn + 1, iss + 1, kTcpAck);
  const int fd = ifc_.accept(u_, lfd, nullptr, nullptr);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ifc_.fcntl(u_, fd, F_SETFL, O_RDWR | O_NONBLOCK), 0);
  EXPECT_EQ(ifc_.fcntl(u_, fd, F_GETFL), O_RDWR | O_NONBLOCK);

  // Data from the peer is ACKed by the delayed ACK timer 40 ms later.
  Send(kPeerIsn + 1, iss + 1, kTcpAck | kTcpPsh, 100);
  EXPECT_FALSE(Receive().has_value());
  ifc_.usleep(u_, 40000);
  auto ack = Receive();
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->tcp.ack, kPeerIsn + 101);
  char buf[200];
  EXPECT_EQ(ifc_.read(u_, fd, buf, sizeof buf), 100);
  errno = 0;
  EXPECT_EQ(ifc_.read(u_, fd, buf, sizeof buf), -1);
  EXPECT_EQ(errno, EAGAIN);

  // Writes go out at once.
  iovec iov[2] = {{buf, 30}, {buf + 30, 20}};
  EXPECT_EQ(ifc_.writev(u_, fd, iov, 2), 50);
  auto data = Receive();
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->payload, 50u);
  EXPECT_EQ(data->tcp.seq, iss + 1);

  pollfd pfd{fd, POLLOUT, 0};
  EXPECT_EQ(ifc_.poll(u_, &pfd, 1, 0), 1);
  EXPECT_TRUE(pfd.revents & POLLOUT);

  EXPECT_EQ(ifc_.close(u_, fd), 0);
  auto fin = Receive();
  ASSERT_TRUE(fin.has_value());
  EXPECT_TRUE(fin->tcp.flags & kTcpFin);
  errno = 0;
  EXPECT_EQ(ifc_.close(u_, fd), -1);
  EXPECT_EQ(errno, EBADF);
}

// packetdrill runs blocking calls in a thread of their own while its main thread injects
// packets: a blocking accept() and connect() must wait, then return what the packets caused.
TEST_F(PluginTest, BlockingCallsWaitForPacketsFromAnotherThread) {
  const int lfd = ifc_.socket(u_, AF_INET, SOCK_STREAM, IPPROTO_TCP);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(8080);
  ASSERT_EQ(ifc_.bind(u_, lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(ifc_.listen(u_, lfd, 8), 0);
  auto accepted =
      std::async(std::launch::async, [&] { return ifc_.accept(u_, lfd, nullptr, nullptr); });
  EXPECT_EQ(accepted.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  Send(kPeerIsn, 0, kTcpSyn);
  auto synack = Receive();
  ASSERT_TRUE(synack.has_value());
  ifc_.usleep(u_, 1000);
  Send(kPeerIsn + 1, synack->tcp.seq + 1, kTcpAck);
  ASSERT_EQ(accepted.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  const int fd = accepted.get();
  EXPECT_GE(fd, 0);

  // A blocking read returns once data arrives.
  auto got = std::async(std::launch::async, [&] {
    char buf[100];
    return ifc_.read(u_, fd, buf, sizeof buf);
  });
  EXPECT_EQ(got.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  Send(kPeerIsn + 1, synack->tcp.seq + 1, kTcpAck | kTcpPsh, 42);
  ASSERT_EQ(got.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(got.get(), 42);

  // A blocking connect() to a peer that refuses fails with ECONNREFUSED.
  const int cfd = ifc_.socket(u_, AF_INET, SOCK_STREAM, IPPROTO_TCP);
  sockaddr_in r{};
  r.sin_family = AF_INET;
  r.sin_port = htons(9999);
  r.sin_addr.s_addr = htonl(kDefaultRemoteIp.v);
  auto connected = std::async(std::launch::async, [&] {
    const int rc = ifc_.connect(u_, cfd, reinterpret_cast<sockaddr*>(&r), sizeof r);
    return rc == 0 ? 0 : errno;
  });
  std::optional<SeenTcp> syn;
  for (int i = 0; i < 1000 && !syn; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    syn = Receive();
  }
  ASSERT_TRUE(syn.has_value());
  ASSERT_EQ(syn->tcp.flags & kTcpSyn, kTcpSyn);
  auto rst = TcpPacket(kDefaultRemoteIp, kDefaultLocalIp, 9999, syn->tcp.src_port, 0,
                       syn->tcp.seq + 1, kTcpRst | kTcpAck, 0);
  ASSERT_EQ(ifc_.netdev_send(u_, rst.data(), rst.size()), 0);
  ASSERT_EQ(connected.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(connected.get(), ECONNREFUSED);
}

TEST_F(PluginTest, RejectsIpv6AndGarbage) {
  uint8_t v6[40] = {0x60};
  errno = 0;
  EXPECT_EQ(ifc_.netdev_send(u_, v6, sizeof v6), -1);
  EXPECT_EQ(errno, EAFNOSUPPORT);
  uint8_t junk[3] = {1, 2, 3};
  EXPECT_EQ(ifc_.netdev_send(u_, junk, sizeof junk), -1);
}

}  // namespace
}  // namespace ustack::pd
