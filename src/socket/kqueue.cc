// kqueue semantics over ustack sockets, timers and user events, see kqueue.h.
#include "socket/kqueue.h"

#include <cerrno>

namespace ustack {
namespace {

inline constexpr int64_t kUdpMaxPayload = 65507;

// Whether a socket filter fires now, with its data and EV_EOF. FreeBSD's meaning of data:
// a listener's accept-queue length, else the readable or writable byte count.
bool SocketFires(const SocketObj* s, int16_t filter, int64_t* data, uint16_t* eof) {
  *data = 0;
  *eof = 0;
  if (s->kind() == ObjKind::kUdp) {
    const uint32_t ev = static_cast<const UdpSock*>(s)->Readiness();
    if (filter == kEvFiltWrite) *data = kUdpMaxPayload;  // one datagram of any size fits
    return (ev & (filter == kEvFiltRead ? kEventIn : kEventOut)) != 0;
  }
  if (s->kind() == ObjKind::kPair) {
    const auto* p = static_cast<const PairSock*>(s);
    const uint32_t ev = p->Readiness();
    if (filter == kEvFiltRead) {
      *data = p->rx.size();
      if (p->recv_shut) *eof = kEvEof;
      return (ev & kEventIn) != 0;
    }
    *data = p->peer ? p->peer->room() : 0;
    if (!p->peer || p->send_shut) *eof = kEvEof;
    return (ev & kEventOut) != 0;
  }
  const auto* t = static_cast<const TcpSock*>(s);
  if (t->state == TcpSockState::kListening) {
    if (filter != kEvFiltRead) return false;
    *data = static_cast<int64_t>(t->listener->accept_queue_length());
    return *data > 0;
  }
  if (t->state != TcpSockState::kConnected) return false;
  const uint32_t ev = t->conn->events();
  if (filter == kEvFiltRead) {
    *data = static_cast<int64_t>(t->conn->readable_bytes());
    if (ev & kEventRdHup) *eof = kEvEof;  // the peer sent FIN (or reset)
    return (ev & kEventIn) != 0;
  }
  *data = static_cast<int64_t>(t->conn->writable_bytes());
  if (ev & kEventHup) *eof = kEvEof;
  return (ev & kEventOut) != 0;
}

// A timer period in the unit its fflags select (milliseconds by default); negative is invalid.
bool TimerPeriod(int64_t value, uint32_t fflags, Duration* out) {
  if (value < 0) return false;
  if (fflags & kNoteSeconds) {
    *out = Duration::Seconds(value);
  } else if (fflags & kNoteUseconds) {
    *out = Duration::Micros(value);
  } else if (fflags & kNoteNseconds) {
    *out = Duration::Nanos(value);
  } else {
    *out = Duration::Millis(value);
  }
  return true;
}

// EVFILT_USER: applies the fflags control (NOTE_FFAND / NOTE_FFOR / NOTE_FFCOPY).
uint32_t UserFflags(uint32_t stored, uint32_t change) {
  const uint32_t v = change & kNoteFfFlagsMask;
  switch (change & kNoteFfCtrlMask) {
    case kNoteFfAnd:
      return stored & v;
    case kNoteFfOr:
      return stored | v;
    case kNoteFfCopy:
      return v;
    default:
      return stored;
  }
}

}  // namespace

KqueueObj::~KqueueObj() {
  for (auto& [key, k] : notes_) {
    if (!k->sock) continue;
    auto& v = k->sock->knotes();
    std::erase(v, k.get());
  }
}

int KqueueObj::Apply(const KEvent& ch, SocketObj* sock, bool is_fd, Instant now) {
  switch (ch.filter) {
    case kEvFiltRead:
    case kEvFiltWrite:
      if (!is_fd) return -EBADF;
      if (!sock) return -EINVAL;
      break;
    case kEvFiltTimer:
    case kEvFiltUser:
      break;
    default:
      return -EINVAL;
  }
  const Key key{ch.ident, ch.filter};
  auto it = notes_.find(key);
  Knote* k = it == notes_.end() ? nullptr : it->second.get();
  if (ch.flags & kEvDelete) {
    if (!k) return -ENOENT;
    Forget(k);
    return 0;
  }
  if (ch.flags & kEvAdd) {
    const bool created = k == nullptr;
    if (created) {
      auto owned = std::make_unique<Knote>(this, ch.ident, ch.filter);
      k = owned.get();
      notes_.emplace(key, std::move(owned));
      if (sock && (ch.filter == kEvFiltRead || ch.filter == kEvFiltWrite)) {
        k->sock = sock;
        sock->knotes().push_back(k);
      }
    }
    if (int rc = AddOrModify(k, ch, now); rc < 0) {
      if (created) Forget(k);
      return rc;
    }
    k->enabled = true;  // adding enables, unless EV_DISABLE comes with it (below)
  } else if (!k) {
    return -ENOENT;
  } else if (k->filter == kEvFiltUser) {
    k->fflags = UserFflags(k->fflags, ch.fflags);
    if (ch.fflags & kNoteTrigger) k->triggered = true;
  }
  if (ch.flags & kEvDisable) k->enabled = false;
  if (ch.flags & kEvEnable) k->enabled = true;
  if (k->enabled) MarkReady(k);  // evaluated at collection: reported only if it fires
  return 0;
}

int KqueueObj::AddOrModify(Knote* k, const KEvent& ch, Instant now) {
  if (k->filter == kEvFiltTimer) {
    Duration period;
    if (!TimerPeriod(ch.data, ch.fflags, &period)) return -EINVAL;
    k->period = period;
    k->next_fire = now + period;
    k->sdata = ch.data;
    k->fflags = ch.fflags;
    timers_.insert(k);
  } else if (k->filter == kEvFiltUser) {
    k->fflags = UserFflags(k->fflags, ch.fflags);
    if (ch.fflags & kNoteTrigger) k->triggered = true;
  }
  k->flags = static_cast<uint16_t>(kEvAdd | (ch.flags & (kEvOneshot | kEvClear | kEvDispatch)));
  k->udata = ch.udata;
  return 0;
}

void KqueueObj::Forget(Knote* k) {
  if (k->sock) std::erase(k->sock->knotes(), k);
  timers_.erase(k);
  notes_.erase(Key{k->ident, k->filter});  // destroys k, unlinking it from the ready list
}

Instant KqueueObj::NextTimer() const {
  Instant next = Instant::Max();
  for (const Knote* t : timers_) {
    if (t->enabled && t->next_fire < next) next = t->next_fire;
  }
  return next;
}

bool KqueueObj::Evaluate(Knote* k, KEvent* out, Instant now) {
  int64_t data = 0;
  uint16_t eof = 0;
  uint32_t fflags = 0;
  switch (k->filter) {
    case kEvFiltRead:
    case kEvFiltWrite:
      if (!SocketFires(k->sock, k->filter, &data, &eof)) return false;
      break;
    case kEvFiltTimer: {
      if (now < k->next_fire) return false;
      data = 1;
      if (k->period > Duration::Nanos(0)) {
        data += (now - k->next_fire).nanos() / k->period.nanos();  // expirations since last
        k->next_fire += k->period * data;
      } else {
        k->next_fire = now + Duration::Nanos(1);
      }
      break;
    }
    case kEvFiltUser:
      if (!k->triggered) return false;
      fflags = k->fflags;
      break;
    default:
      return false;
  }
  *out = KEvent{};
  out->ident = k->ident;
  out->filter = k->filter;
  out->flags = static_cast<uint16_t>(k->flags | eof);
  out->fflags = fflags;
  out->data = data;
  out->udata = k->udata;
  return true;
}

// After one delivery: EV_ONESHOT deletes, EV_DISPATCH disables, EV_CLEAR resets the state and
// waits for the next change; a level-triggered socket or user knote stays queued.
void KqueueObj::Deliver(Knote* k) {
  if (k->flags & kEvOneshot) {
    Forget(k);
    return;
  }
  if (k->flags & kEvDispatch) k->enabled = false;
  if (k->filter == kEvFiltUser && (k->flags & kEvClear)) {
    k->triggered = false;
    k->fflags = 0;
  }
  if (k->filter == kEvFiltTimer) return;  // re-queued by Collect when due again
  if (k->enabled && !(k->flags & kEvClear)) ready_.PushBack(&k->ready_node);
}

int KqueueObj::Collect(KEvent* out, int max, Instant now) {
  for (Knote* t : timers_) {
    if (t->enabled && now >= t->next_fire) MarkReady(t);
  }
  ListHead pending;
  while (ListNode* n = ready_.PopFront()) pending.PushBack(n);
  int count = 0;
  while (count < max) {
    ListNode* n = pending.PopFront();
    if (!n) break;
    Knote* k = static_cast<OwnedNode<Knote>*>(n)->owner();
    if (!k->enabled || !Evaluate(k, &out[count], now)) continue;
    ++count;
    Deliver(k);
  }
  // Whatever did not fit goes first next time, in its order.
  while (ListNode* n = ready_.PopFront()) pending.PushBack(n);
  while (ListNode* n = pending.PopFront()) ready_.PushBack(n);
  return count;
}

}  // namespace ustack
