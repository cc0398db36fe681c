// AF_INET socket addresses to and from the stack's address types, and Result to -errno.
// Private to the socket layer.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/addr.h"
#include "base/result.h"

namespace ustack {

// Reads an AF_INET sockaddr; -EINVAL / -EAFNOSUPPORT on bad input.
inline int FromSockaddr(const sockaddr* addr, socklen_t len, Ipv4Addr* ip, uint16_t* port) {
  if (!addr || len < static_cast<socklen_t>(sizeof(sockaddr_in))) return -EINVAL;
  sockaddr_in in;
  std::memcpy(&in, addr, sizeof in);
  if (in.sin_family != AF_INET) return -EAFNOSUPPORT;
  *ip = Ipv4Addr{ntohl(in.sin_addr.s_addr)};
  *port = ntohs(in.sin_port);
  return 0;
}

// Writes an AF_INET sockaddr truncated to *len, and sets *len to its full size.
inline void ToSockaddr(Ipv4Addr ip, uint16_t port, sockaddr* addr, socklen_t* len) {
  if (!addr || !len) return;
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(ip.v);
  in.sin_port = htons(port);
  std::memcpy(addr, &in, std::min<size_t>(*len, sizeof in));
  *len = sizeof in;
}

template <typename T>
ssize_t ToSsize(const Result<T>& r) {
  return r.ok() ? static_cast<ssize_t>(r.value()) : -r.error();
}

}  // namespace ustack
