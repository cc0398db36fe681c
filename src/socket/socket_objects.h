// Objects behind socket file descriptors: TCP and UDP sockets and epoll instances, and the
// readiness plumbing between them. A socket is an EventSink of its transport object; when the
// transport reports a change, every epoll watching the socket queues it on its ready list.
// Ownership: the fd table owns every object (shared between fds after dup); watches are owned
// by their epoll, knotes by their kqueue, and both are unlinked from the socket when either
// side closes.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "base/addr.h"
#include "base/events.h"
#include "base/intrusive_list.h"
#include "base/time.h"
#include "tcp/send_buffer.h"
#include "tcp/tcp.h"
#include "udp/udp.h"

namespace ustack {

class EpollObj;
class SocketObj;
struct Knote;

// One socket's registration in one epoll instance. Owned by the epoll, which reuses it for
// later registrations once it is removed; on the socket's list of watches while registered.
struct Watch {
  Watch() : ready_node(this), sock_node(this) {}
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;
  EpollObj* ep = nullptr;
  SocketObj* sock = nullptr;
  int fd = -1;
  uint32_t mask = 0;  // EPOLL* bits asked for, including EPOLLET / EPOLLONESHOT
  epoll_data_t data{};
  bool disabled = false;  // EPOLLONESHOT fired; re-armed by EPOLL_CTL_MOD
  OwnedNode<Watch> ready_node;
  OwnedNode<Watch> sock_node;  // on sock->watches()
};

enum class ObjKind { kTcp, kUdp, kPair, kEpoll, kKqueue };

inline bool IsSocket(ObjKind k) {
  return k == ObjKind::kTcp || k == ObjKind::kUdp || k == ObjKind::kPair;
}

class FdObject {
 public:
  explicit FdObject(ObjKind k) : kind_(k) {}
  virtual ~FdObject() = default;
  ObjKind kind() const { return kind_; }

  // O_NONBLOCK of the open file description (shared by dup'd fds). Only matters once the
  // SocketApi has a poll_once hook; without one every call is non-blocking.
  bool nonblocking = false;

 private:
  ObjKind kind_;
};

class SocketObj : public FdObject, public EventSink {
 public:
  using FdObject::FdObject;
  ~SocketObj() override;

  // Current readiness in EPOLL* bits.
  virtual uint32_t Readiness() const = 0;
  void OnEvents(uint32_t events) override;

  ListHead& watches() { return watches_; }  // of Watch::sock_node
  std::vector<Knote*>& knotes() { return knotes_; }

  Duration rcv_timeout = Duration::Nanos(0);  // SO_RCVTIMEO; zero waits forever
  Duration snd_timeout = Duration::Nanos(0);  // SO_SNDTIMEO; zero waits forever
  bool reuse_addr = false;                    // SO_REUSEADDR (TCP bind rules: tcp_ports.h)
  bool reuse_port = false;                    // SO_REUSEPORT
  int rcvbuf = 0;                             // SO_RCVBUF as set (0: the default)
  int sndbuf = 0;                             // SO_SNDBUF as set (0: the default)

 private:
  ListHead watches_;
  std::vector<Knote*> knotes_;
};

enum class TcpSockState { kFresh, kListening, kConnected };

class TcpSock final : public SocketObj {
 public:
  TcpSock() : SocketObj(ObjKind::kTcp) {}
  uint32_t Readiness() const override;

  TcpSockState state = TcpSockState::kFresh;
  Ipv4Addr bound_addr;
  uint16_t bound_port = 0;
  bool bound = false;
  bool nodelay = false;
  int user_mss = 0;               // TCP_MAXSEG as set (0: none)
  bool connect_reported = false;  // a connect() result was already returned once
  // Options applied to the connection once it exists (socket/tcp_options.h).
  bool linger_on = false;
  int linger_secs = 0;
  bool cork = false;
  uint32_t user_timeout_ms = 0;
  TcpCongestionAlgo congestion = TcpCongestionAlgo::kCubic;
  bool congestion_set = false;
  bool keepalive = false;  // SO_KEEPALIVE (not settable yet, see tcp_options.cc)
  int keep_idle_s = 7200;  // TCP_KEEPIDLE, Linux's default
  int keep_intvl_s = 75;   // TCP_KEEPINTVL
  int keep_cnt = 9;        // TCP_KEEPCNT
  TcpListener* listener = nullptr;
  TcpConnection* conn = nullptr;
  // The other holders of held_port while port_held (TcpPorts' chain, tcp_ports.h).
  TcpSock* port_prev = nullptr;
  TcpSock* port_next = nullptr;
  uint16_t held_port = 0;
  bool port_held = false;
};

class UdpSock final : public SocketObj {
 public:
  UdpSock() : SocketObj(ObjKind::kUdp) {}
  uint32_t Readiness() const override {
    return (sock ? sock->events() : kEventOut) | (has_peeked ? kEventIn : 0);
  }

  UdpSocket* sock = nullptr;  // null until bound (explicitly or by the first send)
  UdpEndpoint peer;           // set by connect()
  bool connected = false;
  // Takes the next datagram from the transport into `peeked` unless one is there already:
  // 0, or -errno (-EAGAIN when none is queued).
  int Stash();
  // A datagram taken from the transport by MSG_PEEK (or FIONREAD) and not yet read: the next
  // receive returns it (the transport has no peek of its own).
  bool has_peeked = false;
  std::vector<uint8_t> peeked;
  UdpEndpoint peeked_from;
};

// One end of a socketpair (AF_UNIX SOCK_STREAM inside the fd table). What one end writes goes
// into the other end's receive ring. Shutdown flags follow Linux's sk_shutdown: SHUT_WR here
// sets send_shut here and recv_shut on the peer; closing an end shuts both directions of the
// other and cuts `peer` (ECONNRESET on the other end when unread bytes were dropped).
class PairSock final : public SocketObj {
 public:
  static constexpr uint32_t kCapacity = 212992;  // Linux's default socket buffer size

  PairSock() : SocketObj(ObjKind::kPair), rx(kCapacity) {}
  uint32_t Readiness() const override;
  // Bytes the peer may still write into this end's ring.
  uint32_t room() const { return rx.free_space(); }

  PairSock* peer = nullptr;
  SendBuffer rx;  // a byte ring: bytes written by the peer, not yet read
  bool recv_shut = false;
  bool send_shut = false;
  int error = 0;  // SO_ERROR
};

class EpollObj final : public FdObject {
 public:
  EpollObj() : FdObject(ObjKind::kEpoll) {}
  ~EpollObj() override;

  int Add(int fd, SocketObj* s, const epoll_event& ev);
  int Modify(int fd, const epoll_event& ev);
  int Remove(int fd);
  int Wait(epoll_event* out, int max);
  // Called by a socket whose readiness may have changed.
  void MarkReady(Watch* w) { ready_.PushBack(&w->ready_node); }
  // Forgets a socket that is being closed.
  void Forget(Watch* w);

 private:
  Watch* Find(int fd) const {
    return fd >= 0 && static_cast<size_t>(fd) < by_fd_.size()
               ? by_fd_[static_cast<size_t>(fd)].get()
               : nullptr;
  }

  // Watches by fd (null: not registered), each in its own allocation so that sockets and the
  // ready list may point at it while the vector grows; removed watches wait in spare_ for the
  // next EPOLL_CTL_ADD, so steady registering and removing does not allocate.
  std::vector<std::unique_ptr<Watch>> by_fd_;
  std::vector<std::unique_ptr<Watch>> spare_;
  ListHead ready_;
};

}  // namespace ustack
