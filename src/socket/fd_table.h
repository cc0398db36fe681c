// The fd table behind SocketApi: fds map to socket, epoll and kqueue objects. POSIX hands out
// the lowest free descriptor, and so does this table. dup() makes two fds share one object
// (one open file description); the object lives until its last fd is closed. FD_CLOEXEC is
// kept per fd, O_NONBLOCK per object, as in POSIX. Private to the socket layer.
#pragma once

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

#include "socket/free_fds.h"
#include "socket/socket_api.h"
#include "socket/socket_objects.h"
#include "socket/tcp_ports.h"
#include "socket/zero_copy.h"
#include "socket/zero_copy_send.h"

namespace ustack {

inline constexpr int kFdBase = 3;       // like a process, fds 0-2 are never handed out
inline constexpr int kFdMax = 1 << 20;  // dup2() targets above this fail with EBADF

struct SocketApi::Impl {
  std::vector<std::shared_ptr<FdObject>> table;
  std::vector<uint8_t> cloexec;  // FD_CLOEXEC per table slot
  FreeFds free_fds;              // free slots below table.size()
  std::vector<uint8_t> scratch;  // gather/scatter buffer for readv/writev/sendmsg/recvmsg
  TcpPorts tcp_ports;
  ZcBuffers zc;                      // receive buffers lent to the application (zero-copy receive)
  std::vector<RecvChunk> zc_chunks;  // scratch for ZcRecv
  ZcSendBuffers zc_send;             // zero-copy send buffers held by the application

  int Insert(std::shared_ptr<FdObject> obj) { return InsertAtLeast(std::move(obj), kFdBase); }
  // The lowest free fd that is >= min_fd (F_DUPFD); -EMFILE past kFdMax.
  int InsertAtLeast(std::shared_ptr<FdObject> obj, int min_fd) {
    const int min_idx = std::max(min_fd, kFdBase) - kFdBase;
    if (const int idx = free_fds.LowestAtLeast(min_idx); idx >= 0) {
      free_fds.Remove(idx);
      table[static_cast<size_t>(idx)] = std::move(obj);
      cloexec[static_cast<size_t>(idx)] = 0;
      return idx + kFdBase;
    }
    const int idx = std::max(min_idx, static_cast<int>(table.size()));
    if (idx + kFdBase > kFdMax) return -EMFILE;
    return InsertAt(std::move(obj), idx + kFdBase);
  }
  // Puts obj at a free fd (dup2); grows the table as needed.
  int InsertAt(std::shared_ptr<FdObject> obj, int fd) {
    const size_t idx = static_cast<size_t>(fd - kFdBase);
    while (table.size() <= idx) {
      free_fds.Add(static_cast<int>(table.size()));
      table.emplace_back();
      cloexec.push_back(0);
    }
    free_fds.Remove(static_cast<int>(idx));
    table[idx] = std::move(obj);
    cloexec[idx] = 0;
    return fd;
  }
  FdObject* Get(int fd) const {
    const int idx = fd - kFdBase;
    if (idx < 0 || static_cast<size_t>(idx) >= table.size()) return nullptr;
    return table[static_cast<size_t>(idx)].get();
  }
  std::shared_ptr<FdObject> Shared(int fd) const {
    return Get(fd) ? table[static_cast<size_t>(fd - kFdBase)] : nullptr;
  }
  std::shared_ptr<FdObject> Take(int fd) {
    const int idx = fd - kFdBase;
    std::shared_ptr<FdObject> obj = std::move(table[static_cast<size_t>(idx)]);
    free_fds.Add(idx);
    return obj;
  }
  bool Cloexec(int fd) const { return Get(fd) && cloexec[static_cast<size_t>(fd - kFdBase)]; }
  void SetCloexec(int fd, bool on) {
    if (Get(fd)) cloexec[static_cast<size_t>(fd - kFdBase)] = on ? 1 : 0;
  }
  TcpSock* Tcp(int fd) const {
    FdObject* o = Get(fd);
    return o && o->kind() == ObjKind::kTcp ? static_cast<TcpSock*>(o) : nullptr;
  }
  PairSock* Pair(int fd) const {
    FdObject* o = Get(fd);
    return o && o->kind() == ObjKind::kPair ? static_cast<PairSock*>(o) : nullptr;
  }
  UdpSock* Udp(int fd) const {
    FdObject* o = Get(fd);
    return o && o->kind() == ObjKind::kUdp ? static_cast<UdpSock*>(o) : nullptr;
  }
  SocketObj* Sock(int fd) const {
    FdObject* o = Get(fd);
    return o && IsSocket(o->kind()) ? static_cast<SocketObj*>(o) : nullptr;
  }
};

}  // namespace ustack
