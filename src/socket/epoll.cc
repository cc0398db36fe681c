// Readiness for sockets and epoll instances with Linux semantics: level-triggered by default,
// EPOLLET reports on changes only, EPOLLONESHOT disables the watch after one report until
// EPOLL_CTL_MOD, EPOLLERR and EPOLLHUP are always reported. See socket_objects.h.
#include <cerrno>
#include <memory>

#include "socket/kqueue.h"
#include "socket/socket_objects.h"

namespace ustack {

SocketObj::~SocketObj() {
  while (ListNode* n = watches_.front()) {
    Watch* w = static_cast<OwnedNode<Watch>*>(n)->owner();
    w->ep->Forget(w);
  }
  while (!knotes_.empty()) knotes_.back()->kq->Forget(knotes_.back());
}

void SocketObj::OnEvents(uint32_t events) {
  for (ListNode* n = watches_.front(); n; n = watches_.Next(n)) {
    Watch* w = static_cast<OwnedNode<Watch>*>(n)->owner();
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
  // Each Watch's nodes unlink themselves from the sockets' lists and the ready list.
  by_fd_.clear();
  spare_.clear();
}

int EpollObj::Add(int fd, SocketObj* s, const epoll_event& ev) {
  if (fd < 0) return -EBADF;
  if (Find(fd)) return -EEXIST;
  if (static_cast<size_t>(fd) >= by_fd_.size()) by_fd_.resize(static_cast<size_t>(fd) + 1);
  std::unique_ptr<Watch>& slot = by_fd_[static_cast<size_t>(fd)];
  if (spare_.empty()) {
    slot = std::make_unique<Watch>();
  } else {
    slot = std::move(spare_.back());
    spare_.pop_back();
  }
  Watch* w = slot.get();
  w->ep = this;
  w->sock = s;
  w->fd = fd;
  w->mask = ev.events;
  w->data = ev.data;
  w->disabled = false;
  s->watches().PushBack(&w->sock_node);
  if (s->Readiness() & (w->mask | EPOLLERR | EPOLLHUP)) MarkReady(w);
  return 0;
}

int EpollObj::Modify(int fd, const epoll_event& ev) {
  Watch* w = Find(fd);
  if (!w) return -ENOENT;
  if (w->mask & EPOLLEXCLUSIVE) return -EINVAL;  // as Linux: an exclusive watch cannot change
  w->mask = ev.events;
  w->data = ev.data;
  w->disabled = false;
  if (w->sock->Readiness() & (w->mask | EPOLLERR | EPOLLHUP)) MarkReady(w);
  return 0;
}

int EpollObj::Remove(int fd) {
  Watch* w = Find(fd);
  if (!w) return -ENOENT;
  Forget(w);
  return 0;
}

void EpollObj::Forget(Watch* w) {
  w->sock_node.Unlink();
  w->ready_node.Unlink();
  w->sock = nullptr;
  spare_.push_back(std::move(by_fd_[static_cast<size_t>(w->fd)]));
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
