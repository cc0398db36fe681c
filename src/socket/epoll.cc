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
    auto& v = w.sock->watches();
    v.erase(std::remove(v.begin(), v.end(), &w), v.end());
  }
}

int EpollObj::Add(int fd, SocketObj* s, const epoll_event& ev) {
  const auto [it, added] = watches_.try_emplace(fd, this, s, fd);
  if (!added) return -EEXIST;
  Watch* w = &it->second;
  w->mask = ev.events;
  w->data = ev.data;
  s->watches().push_back(w);
  if (s->Readiness() & (w->mask | EPOLLERR | EPOLLHUP)) MarkReady(w);
  return 0;
}

int EpollObj::Modify(int fd, const epoll_event& ev) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return -ENOENT;
  Watch* w = &it->second;
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
  Forget(&it->second);
  return 0;
}

void EpollObj::Forget(Watch* w) {
  auto& v = w->sock->watches();
  v.erase(std::remove(v.begin(), v.end(), w), v.end());
  const int fd = w->fd;  // a copy: the key must outlive the node erase destroys
  watches_.erase(fd);    // destroys w, unlinking it from the ready list
}

int EpollObj::Wait(epoll_event* out, int max) {
  if (max <= 0) return -EINVAL;
  if (ready_.empty()) return 0;  // the common case of a busy loop's poll
  // Watches are taken from the front of the ready list; those not reached stay there, in
  // their order, so they go first next time. Reported level-triggered watches go behind them.
  ListHead requeue;
  int count = 0;
  while (count < max) {
    ListNode* n = ready_.PopFront();
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
      requeue.PushBack(n);  // level-triggered: stays ready until drained
    }
  }
  while (ListNode* n = requeue.PopFront()) ready_.PushBack(n);
  return count;
}

}  // namespace ustack
