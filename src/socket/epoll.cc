// Readiness for sockets and epoll instances with Linux semantics: level-triggered by default,
// EPOLLET reports on changes only, EPOLLONESHOT disables the watch after one report until
// EPOLL_CTL_MOD, EPOLLERR and EPOLLHUP are always reported. See socket_objects.h.
#include <algorithm>
#include <cerrno>

#include "socket/kqueue.h"
#include "socket/socket_objects.h"

namespace ustack {

SocketObj::~SocketObj() {
  while (!watches_.empty()) watches_.back()->ep->Forget(watches_.back());
  while (!knotes_.empty()) knotes_.back()->kq->Forget(knotes_.back());
}

void SocketObj::OnEvents(uint32_t events) {
  for (Watch* w : watches_) {
    // As in Linux, a change only wakes watches interested in one of the changed bits.
    if (!w->disabled && (events & (w->mask | EPOLLERR | EPOLLHUP)) != 0) w->ep->MarkReady(w);
  }
  // kqueue filters are evaluated when collected; any change may make one fire.
  for (Knote* k : knotes_) {
    if (k->enabled) k->kq->MarkReady(k);
  }
}

uint32_t TcpSock::Readiness() const {
  switch (state) {
    case TcpSockState::kFresh:
      return kEventOut | kEventHup;  // Linux reports an unconnected TCP socket this way
    case TcpSockState::kListening:
      return listener->events();
    case TcpSockState::kConnected:
      return conn->events();
  }
  return 0;
}

EpollObj::~EpollObj() {
  for (auto& [fd, w] : watches_) {
    auto& v = w->sock->watches();
    v.erase(std::remove(v.begin(), v.end(), w.get()), v.end());
  }
}

int EpollObj::Add(int fd, SocketObj* s, const epoll_event& ev) {
  if (watches_.count(fd)) return -EEXIST;
  auto w = std::make_unique<Watch>(this, s, fd);
  w->mask = ev.events;
  w->data = ev.data;
  s->watches().push_back(w.get());
  if (s->Readiness() & (w->mask | EPOLLERR | EPOLLHUP)) MarkReady(w.get());
  watches_.emplace(fd, std::move(w));
  return 0;
}

int EpollObj::Modify(int fd, const epoll_event& ev) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return -ENOENT;
  Watch* w = it->second.get();
  if (w->mask & EPOLLEXCLUSIVE) return -EINVAL;  // as Linux: an exclusive watch cannot change
  w->mask = ev.events;
  w->data = ev.data;
  w->disabled = false;
  if (w->sock->Readiness() & (w->mask | EPOLLERR | EPOLLHUP)) MarkReady(w);
  return 0;
}

int EpollObj::Remove(int fd) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return -ENOENT;
  Forget(it->second.get());
  return 0;
}

void EpollObj::Forget(Watch* w) {
  auto& v = w->sock->watches();
  v.erase(std::remove(v.begin(), v.end(), w), v.end());
  watches_.erase(w->fd);  // destroys w, unlinking it from the ready list
}

int EpollObj::Wait(epoll_event* out, int max) {
  if (max <= 0) return -EINVAL;
  ListHead pending;
  while (ListNode* n = ready_.PopFront()) pending.PushBack(n);
  int count = 0;
  while (count < max) {
    ListNode* n = pending.PopFront();
    if (!n) break;
    Watch* w = static_cast<OwnedNode<Watch>*>(n)->owner();
    if (w->disabled) continue;
    const uint32_t ev = w->sock->Readiness() & (w->mask | EPOLLERR | EPOLLHUP);
    if (ev == 0) continue;  // no longer ready; a transport event will queue it again
    out[count].events = ev;
    out[count].data = w->data;
    ++count;
    if (w->mask & EPOLLONESHOT) {
      w->disabled = true;
    } else if (!(w->mask & EPOLLET)) {
      ready_.PushBack(n);  // level-triggered: stays ready until drained
    }
  }
  // Whatever did not fit goes first next time, in its order.
  while (ListNode* n = ready_.PopFront()) pending.PushBack(n);
  while (ListNode* n = pending.PopFront()) ready_.PushBack(n);
  return count;
}

}  // namespace ustack
