// TCP socket options that TcpConnection implements (SO_LINGER, TCP_USER_TIMEOUT, TCP_CORK,
// TCP_CONGESTION, TCP_INFO, TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT). A TcpSock keeps the values
// so that they can be set before connect() or on a listener (accepted sockets inherit them, as on
// Linux) and applies them when its connection exists. Private to the socket layer.
#pragma once

#include <sys/socket.h>

#include "socket/socket_objects.h"

namespace ustack {

// Returns 0 or -errno when (level, name) is one of these options, else +1 (not handled).
int SetTcpOption(TcpSock* t, int level, int name, const void* val, socklen_t len, Instant now);
int GetTcpOption(TcpSock* t, int level, int name, void* val, socklen_t* len, Instant now);
// Pushes the stored values into t->conn (after connect or accept).
void ApplyTcpOptions(TcpSock* t, Instant now);
// Copies the stored values from a listener to an accepted socket.
void InheritTcpOptions(const TcpSock& from, TcpSock* to);
// What connect() / listen() hand to TCP: SO_RCVBUF / SO_SNDBUF (the requested sizes, half
// the doubled values getsockopt reports) and TCP_MAXSEG.
TcpSockSettings SettingsOf(const TcpSock& t);

}  // namespace ustack
