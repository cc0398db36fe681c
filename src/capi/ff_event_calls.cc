// The ff_* readiness calls of the C API: epoll, kqueue, poll and select. struct kevent (the
// public FreeBSD layout) and the socket layer's KEvent are translated field by field.
#include <cerrno>

#include "capi/capi_calls.h"
#include "capi/capi_context.h"
#include "ustack/fstack/ff_api.h"
#include "ustack/fstack/ff_epoll.h"

using ustack::KEvent;
using ustack::SocketApi;
using ustack::capi::Call;
using ustack::capi::CapiContext;

namespace {

KEvent FromPublic(const struct kevent& k) {
  KEvent e{};
  e.ident = k.ident;
  e.filter = k.filter;
  e.flags = k.flags;
  e.fflags = k.fflags;
  e.data = k.data;
  e.udata = k.udata;
  for (int i = 0; i < 4; ++i) e.ext[i] = k.ext[i];
  return e;
}

struct kevent ToPublic(const KEvent& e) {
  struct kevent k {};
  k.ident = e.ident;
  k.filter = e.filter;
  k.flags = e.flags;
  k.fflags = e.fflags;
  k.data = e.data;
  k.udata = e.udata;
  for (int i = 0; i < 4; ++i) k.ext[i] = e.ext[i];
  return k;
}

// Runs kevent through the socket layer; `deliver(i, event)` receives each result.
template <typename Deliver>
int KeventCall(int kq, const struct kevent* changelist, int nchanges, bool have_events, int nevents,
               const struct timespec* timeout, Deliver deliver) {
  return Call([&](SocketApi& s) {
    if (nchanges < 0 || nevents < 0) return -EINVAL;
    if ((!changelist && nchanges > 0) || (!have_events && nevents > 0)) return -EFAULT;
    CapiContext* c = CapiContext::Current();
    std::vector<KEvent>& ch = c->changes();
    std::vector<KEvent>& ev = c->events();
    ch.resize(static_cast<size_t>(nchanges));
    ev.resize(static_cast<size_t>(nevents));
    for (int i = 0; i < nchanges; ++i) ch[static_cast<size_t>(i)] = FromPublic(changelist[i]);
    const int n = s.Kevent(kq, ch.data(), nchanges, ev.data(), nevents, timeout);
    for (int i = 0; i < n; ++i) deliver(i, ToPublic(ev[static_cast<size_t>(i)]));
    return n;
  });
}

}  // namespace

extern "C" {

int ff_epoll_create(int size) {
  return Call([&](SocketApi& s) { return size <= 0 ? -EINVAL : s.EpollCreate(); });
}

int ff_epoll_ctl(int epfd, int op, int fd, struct epoll_event* event) {
  return Call([&](SocketApi& s) { return s.EpollCtl(epfd, op, fd, event); });
}

int ff_epoll_wait(int epfd, struct epoll_event* events, int maxevents, int timeout) {
  return Call([&](SocketApi& s) { return s.EpollWait(epfd, events, maxevents, timeout); });
}

int ff_kqueue(void) {
  return Call([](SocketApi& s) { return s.Kqueue(); });
}

int ff_kevent(int kq, const struct kevent* changelist, int nchanges, struct kevent* eventlist,
              int nevents, const struct timespec* timeout) {
  return KeventCall(kq, changelist, nchanges, eventlist != nullptr, nevents, timeout,
                    [&](int i, const struct kevent& k) { eventlist[i] = k; });
}

int ff_kevent_do_each(int kq, const struct kevent* changelist, int nchanges, void* eventlist,
                      int nevents, const struct timespec* timeout,
                      void (*do_each)(void**, struct kevent*)) {
  if (!do_each && nevents > 0) {
    errno = EFAULT;
    return -1;
  }
  return KeventCall(kq, changelist, nchanges, eventlist != nullptr, nevents, timeout,
                    [&](int, struct kevent k) { do_each(&eventlist, &k); });
}

int ff_poll(struct pollfd fds[], nfds_t nfds, int timeout) {
  return Call([&](SocketApi& s) { return s.Poll(fds, nfds, timeout); });
}

int ff_select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
              struct timeval* timeout) {
  return Call([&](SocketApi& s) { return s.Select(nfds, readfds, writefds, exceptfds, timeout); });
}

}  // extern "C"
