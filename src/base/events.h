// Readiness bits shared by transports and the socket layer. The values are Linux's EPOLL*
// values so that the socket layer can report them without translation.
#pragma once

#include <cstdint>

namespace ustack {

inline constexpr uint32_t kEventIn = 0x001;      // EPOLLIN: readable, or a connection to accept
inline constexpr uint32_t kEventOut = 0x004;     // EPOLLOUT: writable
inline constexpr uint32_t kEventErr = 0x008;     // EPOLLERR: pending error (SO_ERROR)
inline constexpr uint32_t kEventHup = 0x010;     // EPOLLHUP: both directions closed
inline constexpr uint32_t kEventRdHup = 0x2000;  // EPOLLRDHUP: peer closed its sending side

// Implemented by whoever wants to hear when a transport object's readiness may have changed
// (the socket layer). Called from inside Stack::Poll; must not re-enter the transport.
class EventSink {
 public:
  virtual void OnEvents(uint32_t events) = 0;

 protected:
  virtual ~EventSink() = default;
};

}  // namespace ustack
