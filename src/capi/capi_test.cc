// The C API itself: ff_init's command line, logging filters, and, on a real Runtime over
// DPDK's null PMD, the life cycle (calls before ff_init fail ENXIO, from another thread EPERM,
// ff_stop_run ends ff_run, which tears the stack down) and -1 + errno on socket errors.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "capi/capi_context.h"
#include "ustack/fstack/ff_api.h"

namespace ustack::capi {
namespace {

TEST(FfArgsTest, ParsesConfProcTypeAndProcId) {
  FfArgs a;
  std::string err;
  const char* ok1[] = {"app", "--conf", "x.ini", "--proc-type=auto", "--proc-id=0", "--mine"};
  ASSERT_TRUE(ParseFfArgs(6, ok1, &a, &err)) << err;
  EXPECT_EQ(a.conf, "x.ini");
  EXPECT_EQ(a.proc_type, FF_PROC_AUTO);
  const char* ok2[] = {"app", "-c", "y.ini", "--proc-type", "primary"};
  ASSERT_TRUE(ParseFfArgs(5, ok2, &a, &err)) << err;
  EXPECT_EQ(a.conf, "y.ini");
  EXPECT_EQ(a.proc_type, FF_PROC_PRIMARY);
  const char* eq[] = {"app", "--conf=z.ini"};
  ASSERT_TRUE(ParseFfArgs(2, eq, &a, &err));
  EXPECT_EQ(a.conf, "z.ini");
  const char* none[] = {"app"};
  EXPECT_FALSE(ParseFfArgs(1, none, &a, &err));
  const char* missing[] = {"app", "--conf"};
  EXPECT_FALSE(ParseFfArgs(2, missing, &a, &err));
  const char* badtype[] = {"app", "--conf", "x", "--proc-type=other"};
  EXPECT_FALSE(ParseFfArgs(4, badtype, &a, &err));
  const char* secondary[] = {"app", "--conf", "x", "--proc-type=secondary"};
  EXPECT_FALSE(ParseFfArgs(4, secondary, &a, &err));
  const char* badid[] = {"app", "--conf", "x", "--proc-id=x1"};
  EXPECT_FALSE(ParseFfArgs(4, badid, &a, &err));
  const char* id1[] = {"app", "--conf", "x", "--proc-id=1"};
  EXPECT_FALSE(ParseFfArgs(4, id1, &a, &err));
}

TEST(FfLogTest, FiltersByGlobalAndTypeLevel) {
  char* buf = nullptr;
  size_t size = 0;
  FILE* mem = open_memstream(&buf, &size);
  ASSERT_NE(mem, nullptr);
  ff_log_reset_stream(mem);
  ff_log_set_global_level(FF_LOG_INFO);
  EXPECT_GT(ff_log(FF_LOG_INFO, FF_LOGTYPE_FSTACK_APP, "a%d", 1), 0);
  EXPECT_EQ(ff_log(FF_LOG_DEBUG, FF_LOGTYPE_FSTACK_APP, "b"), 0);  // above the global level
  ASSERT_EQ(ff_log_set_level(FF_LOGTYPE_FSTACK_LIB, FF_LOG_ERR), 0);
  EXPECT_EQ(ff_log(FF_LOG_WARNING, FF_LOGTYPE_FSTACK_LIB, "c"), 0);  // above the type level
  EXPECT_GT(ff_log(FF_LOG_ERR, FF_LOGTYPE_FSTACK_LIB, "d"), 0);
  EXPECT_EQ(ff_log(FF_LOG_ERR, 40, "e"), -1);
  EXPECT_EQ(ff_log_set_level(40, FF_LOG_ERR), -1);
  ff_log_set_global_level(FF_LOG_DISABLE);
  EXPECT_EQ(ff_log(FF_LOG_EMERG, FF_LOGTYPE_USER8, "f"), 0);
  ff_log_set_global_level(FF_LOG_INFO);
  ff_log_set_level(FF_LOGTYPE_FSTACK_LIB, FF_LOG_DEBUG);
  ff_log_reset_stream(nullptr);
  std::fclose(mem);
  EXPECT_EQ(std::string(buf, size), "a1d");
  std::free(buf);
}

int StopAfter(void* arg) {
  int* n = static_cast<int*>(arg);
  if (++*n == 3) ff_stop_run();
  return 0;
}

// One test for the whole life cycle: the EAL can be started once per process.
TEST(FfLifeCycleTest, InitCallsThreadGuardStopAndTeardown) {
  EXPECT_EQ(ff_socket(AF_INET, SOCK_STREAM, 0), -1);
  EXPECT_EQ(errno, ENXIO);
  const std::string conf = "/tmp/ustack-capi-test-" + std::to_string(getpid()) + ".ini";
  {
    std::ofstream f(conf);
    f << "[dpdk]\nlcore_mask=1\nmemory=256\nno_huge=1\nfile_prefix=capi-test-" << getpid()
      << "\neal_args=--no-pci --vdev=net_null0\n[port0]\naddr=198.18.0.2\n"
         "netmask=255.255.255.0\n";
  }
  const char* argv[] = {"capi_test", "--conf", conf.c_str(), "--proc-type=primary"};
  ASSERT_EQ(ff_init(4, const_cast<char* const*>(argv)), 0);
  std::remove(conf.c_str());
  ASSERT_NE(ff_get_config(), nullptr);
  EXPECT_EQ(ff_get_config()->proc_type, FF_PROC_PRIMARY);
  EXPECT_EQ(ff_init(4, const_cast<char* const*>(argv)), -1);  // once per process

  const int fd = ff_socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 3);
  int on = 1;
  EXPECT_EQ(ff_ioctl(fd, FIONBIO, &on), 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(80);
  EXPECT_EQ(ff_bind(fd, reinterpret_cast<linux_sockaddr*>(&addr), 3), -1);
  EXPECT_EQ(errno, EINVAL);
  ASSERT_EQ(ff_bind(fd, reinterpret_cast<linux_sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(ff_listen(fd, 8), 0);
  EXPECT_EQ(ff_accept(fd, nullptr, nullptr), -1);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_EQ(ff_close(999), -1);
  EXPECT_EQ(errno, EBADF);
  int sv[2];
  EXPECT_EQ(ff_socketpair(AF_INET, SOCK_STREAM, 0, sv), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  ASSERT_EQ(ff_socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  ASSERT_EQ(ff_write(sv[0], "pair", 4), 4);
  char pbuf[8];
  ASSERT_EQ(ff_recv(sv[1], pbuf, sizeof pbuf, MSG_PEEK), 4);  // stays queued
  ASSERT_EQ(ff_recvfrom(sv[1], pbuf, 2, MSG_PEEK, nullptr, nullptr), 2);
  iovec piov{pbuf, 3};
  msghdr pmsg{};
  pmsg.msg_iov = &piov;
  pmsg.msg_iovlen = 1;
  ASSERT_EQ(ff_recvmsg(sv[1], &pmsg, MSG_PEEK), 3);
  ASSERT_EQ(ff_read(sv[1], pbuf, sizeof pbuf), 4);
  EXPECT_EQ(std::string(pbuf, 4), "pair");
  EXPECT_EQ(ff_read(sv[1], pbuf, sizeof pbuf), -1);
  EXPECT_EQ(errno, EAGAIN);
  ff_zc_iov zc[2];
  EXPECT_EQ(ff_zc_recv(sv[1], zc, 2, 0), -1);  // zero-copy receive is for TCP
  EXPECT_EQ(errno, EOPNOTSUPP);
  EXPECT_EQ(ff_zc_recv(fd, zc, 2, 0), -1);  // a listener
  EXPECT_EQ(errno, ENOTCONN);
  zc[0] = ff_zc_iov{nullptr, 0, 12345};
  EXPECT_EQ(ff_zc_recv_done(zc, 1), -1);  // never lent
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(ff_zc_recv_done(zc, 0), 0);
  // Zero-copy send through the C API (a socketpair copies the bytes; TCP is tested in
  // tests/api/zero_copy_send_test.cc).
  ff_zc_mbuf zm;
  EXPECT_EQ(ff_zc_mbuf_get(nullptr, 10), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(ff_zc_mbuf_get(&zm, 0), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(zm.bsd_mbuf, nullptr);
  ASSERT_EQ(ff_zc_mbuf_get(&zm, 10), 0);
  EXPECT_NE(zm.bsd_mbuf, nullptr);
  EXPECT_EQ(zm.off, 0);
  EXPECT_EQ(zm.len, 10);
  EXPECT_EQ(ff_zc_mbuf_write(&zm, "zero-", 5), 5);
  EXPECT_EQ(ff_zc_mbuf_write(&zm, "copy!!", 6), -1);  // past the room
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(ff_zc_mbuf_write(&zm, "copy", 4), 4);
  EXPECT_EQ(zm.off, 9);
  EXPECT_EQ(ff_zc_mbuf_read(&zm, pbuf, 1), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  EXPECT_EQ(ff_write(sv[0], zm.bsd_mbuf, 10), -1);  // only 9 written
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(ff_send(sv[0], zm.bsd_mbuf, 9, 0), 9);
  ASSERT_EQ(ff_read(sv[1], pbuf, sizeof pbuf), 8);
  EXPECT_EQ(std::string(pbuf, 8), "zero-cop");
  ASSERT_EQ(ff_read(sv[1], pbuf, sizeof pbuf), 1);
  EXPECT_EQ(ff_write(sv[0], zm.bsd_mbuf, 1), -1);  // all sent: the handle is stale
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(ff_zc_mbuf_free(&zm), -1);
  EXPECT_EQ(errno, EINVAL);
  ASSERT_EQ(ff_zc_mbuf_get(&zm, 100), 0);
  EXPECT_EQ(ff_zc_mbuf_free(&zm), 0);  // never sent
  EXPECT_EQ(zm.bsd_mbuf, nullptr);
  ASSERT_EQ(ff_close(sv[0]), 0);
  EXPECT_EQ(ff_read(sv[1], pbuf, sizeof pbuf), 0);  // end of stream
  EXPECT_EQ(ff_write(sv[1], "x", 1), -1);
  EXPECT_EQ(errno, EPIPE);
  ASSERT_EQ(ff_close(sv[1]), 0);
  const int kq = ff_kqueue();
  ASSERT_GE(kq, 3);
  struct kevent ch;
  EV_SET(&ch, 5, EVFILT_TIMER, EV_ADD, 0, 1, nullptr);
  ASSERT_EQ(ff_kevent(kq, &ch, 1, nullptr, 0, nullptr), 0);
  struct kevent out[2];
  const timespec wait{1, 0};
  ASSERT_EQ(ff_kevent(kq, nullptr, 0, out, 2, &wait), 1);  // the real loop runs until 1 ms
  EXPECT_EQ(out[0].ident, 5u);

  int thread_rc = 0, thread_errno = 0;
  std::thread other([&] {
    thread_rc = ff_socket(AF_INET, SOCK_STREAM, 0);
    thread_errno = errno;
  });
  other.join();
  EXPECT_EQ(thread_rc, -1);
  EXPECT_EQ(thread_errno, EPERM);

  int iterations = 0;
  ff_run(StopAfter, &iterations);
  EXPECT_EQ(iterations, 3);
  EXPECT_EQ(ff_close(fd), -1);  // the stack is gone
  EXPECT_EQ(errno, ENXIO);
  timeval tv{};
  EXPECT_EQ(ff_gettimeofday(&tv, nullptr), 0);
  EXPECT_GT(tv.tv_sec, 0);
}

}  // namespace
}  // namespace ustack::capi
