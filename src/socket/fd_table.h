// The fd table behind SocketApi: fds map to owned socket and epoll objects. POSIX hands out
// the lowest free descriptor, and so does this table. Private to the socket layer.
#pragma once

#include <memory>
#include <set>
#include <vector>

#include "socket/socket_api.h"
#include "socket/socket_objects.h"

namespace ustack {

inline constexpr int kFdBase = 3;  // like a process, fds 0-2 are never handed out

struct SocketApi::Impl {
  std::vector<std::unique_ptr<FdObject>> table;
  std::set<int> free_fds;

  int Insert(std::unique_ptr<FdObject> obj) {
    int idx;
    if (!free_fds.empty()) {
      idx = *free_fds.begin();
      free_fds.erase(free_fds.begin());
      table[static_cast<size_t>(idx)] = std::move(obj);
    } else {
      idx = static_cast<int>(table.size());
      table.push_back(std::move(obj));
    }
    return idx + kFdBase;
  }
  FdObject* Get(int fd) const {
    const int idx = fd - kFdBase;
    if (idx < 0 || static_cast<size_t>(idx) >= table.size()) return nullptr;
    return table[static_cast<size_t>(idx)].get();
  }
  std::unique_ptr<FdObject> Take(int fd) {
    const int idx = fd - kFdBase;
    std::unique_ptr<FdObject> obj = std::move(table[static_cast<size_t>(idx)]);
    free_fds.insert(idx);
    return obj;
  }
  TcpSock* Tcp(int fd) const {
    FdObject* o = Get(fd);
    return o && o->kind() == ObjKind::kTcp ? static_cast<TcpSock*>(o) : nullptr;
  }
  UdpSock* Udp(int fd) const {
    FdObject* o = Get(fd);
    return o && o->kind() == ObjKind::kUdp ? static_cast<UdpSock*>(o) : nullptr;
  }
};

}  // namespace ustack
