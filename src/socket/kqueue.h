// kqueue objects for SocketApi: FreeBSD's kevent semantics over ustack sockets, timers and
// user events. A Knote is one (ident, filter) registration. Socket knotes sit on their socket's
// knote list and are queued on the kqueue's ready list when the transport reports a change;
// kevent() then evaluates each queued knote: level-triggered ones stay queued while they fire,
// EV_CLEAR ones wait for the next change, EV_ONESHOT ones are deleted and EV_DISPATCH ones
// disabled after delivery. Timers are checked against `now` on every collection.
// Ownership: the KqueueObj owns its knotes; a socket holds non-owning pointers to its knotes
// and a socket knote holds a non-owning pointer to its socket, both cut when either side goes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "base/intrusive_list.h"
#include "base/time.h"
#include "socket/socket_objects.h"

namespace ustack {

// FreeBSD's struct kevent layout (the public C header declares the same layout).
struct KEvent {
  uintptr_t ident;
  int16_t filter;
  uint16_t flags;
  uint32_t fflags;
  int64_t data;
  void* udata;
  uint64_t ext[4];
};

// Flag, filter and note values are FreeBSD's.
inline constexpr uint16_t kEvAdd = 0x0001;
inline constexpr uint16_t kEvDelete = 0x0002;
inline constexpr uint16_t kEvEnable = 0x0004;
inline constexpr uint16_t kEvDisable = 0x0008;
inline constexpr uint16_t kEvOneshot = 0x0010;
inline constexpr uint16_t kEvClear = 0x0020;
inline constexpr uint16_t kEvReceipt = 0x0040;
inline constexpr uint16_t kEvDispatch = 0x0080;
inline constexpr uint16_t kEvError = 0x4000;
inline constexpr uint16_t kEvEof = 0x8000;

inline constexpr int16_t kEvFiltRead = -1;
inline constexpr int16_t kEvFiltWrite = -2;
inline constexpr int16_t kEvFiltTimer = -7;
inline constexpr int16_t kEvFiltUser = -11;

inline constexpr uint32_t kNoteSeconds = 0x1;  // EVFILT_TIMER units; the default is ms
inline constexpr uint32_t kNoteMseconds = 0x2;
inline constexpr uint32_t kNoteUseconds = 0x4;
inline constexpr uint32_t kNoteNseconds = 0x8;
inline constexpr uint32_t kNoteFfAnd = 0x40000000;  // EVFILT_USER fflags control
inline constexpr uint32_t kNoteFfOr = 0x80000000;
inline constexpr uint32_t kNoteFfCopy = 0xc0000000;
inline constexpr uint32_t kNoteFfCtrlMask = 0xc0000000;
inline constexpr uint32_t kNoteFfFlagsMask = 0x00ffffff;
inline constexpr uint32_t kNoteTrigger = 0x01000000;

class KqueueObj;

struct Knote {
  Knote(KqueueObj* k, uintptr_t i, int16_t f) : kq(k), ident(i), filter(f), ready_node(this) {}
  KqueueObj* kq;
  uintptr_t ident;
  int16_t filter;
  uint16_t flags = 0;   // EV_ADD plus EV_ONESHOT / EV_CLEAR / EV_DISPATCH as registered
  uint32_t fflags = 0;  // user: the stored fflags; timer: the unit
  int64_t sdata = 0;    // timer period in its unit
  void* udata = nullptr;
  bool enabled = true;
  SocketObj* sock = nullptr;  // socket filters only
  Duration period;            // timers
  Instant next_fire;          // timers
  bool triggered = false;     // user events
  OwnedNode<Knote> ready_node;
};

class KqueueObj final : public FdObject {
 public:
  KqueueObj() : FdObject(ObjKind::kKqueue) {}
  ~KqueueObj() override;

  // Applies one change; `sock` is the socket `change.ident` names (null when it is not a
  // socket fd, `is_fd` false when it names no fd at all). Returns 0 or -errno.
  int Apply(const KEvent& change, SocketObj* sock, bool is_fd, Instant now);
  // Writes up to `max` triggered events; returns how many.
  int Collect(KEvent* out, int max, Instant now);
  // Called by a socket whose readiness may have changed.
  void MarkReady(Knote* k) { ready_.PushBack(&k->ready_node); }
  // Drops a knote (its socket is closing, or its fd was closed).
  void Forget(Knote* k);
  // The soonest timer deadline, Instant::Max() when there is none.
  Instant NextTimer() const;

 private:
  using Key = std::pair<uintptr_t, int16_t>;
  int AddOrModify(Knote* k, const KEvent& change, Instant now);
  bool Evaluate(Knote* k, KEvent* out, Instant now);
  void Deliver(Knote* k);

  std::map<Key, std::unique_ptr<Knote>> notes_;
  std::set<Knote*> timers_;
  ListHead ready_;
};

}  // namespace ustack
