/* ff_event.h: FreeBSD's struct kevent, EV_SET and the kqueue flag, filter and note values, for
 * applications of the F-Stack-compatible C API (ff_kqueue / ff_kevent in ff_api.h). The layout
 * and the numbers are FreeBSD's, so code written for F-Stack compiles unchanged. */
#ifndef USTACK_FSTACK_FF_EVENT_H
#define USTACK_FSTACK_FF_EVENT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kevent {
  uintptr_t ident;      /* fd for EVFILT_READ / EVFILT_WRITE, any id for timers and user events */
  short filter;         /* EVFILT_* */
  unsigned short flags; /* EV_* */
  unsigned int fflags;  /* filter-specific NOTE_* */
  int64_t data;         /* READ: bytes readable (listener: accept queue length); WRITE: space */
  void* udata;          /* returned as given */
  uint64_t ext[4];
};

#define EV_SET(kevp, a, b, c, d, e, f) \
  do {                                 \
    struct kevent* ev_set_p_ = (kevp); \
    ev_set_p_->ident = (a);            \
    ev_set_p_->filter = (b);           \
    ev_set_p_->flags = (c);            \
    ev_set_p_->fflags = (d);           \
    ev_set_p_->data = (e);             \
    ev_set_p_->udata = (f);            \
    ev_set_p_->ext[0] = 0;             \
    ev_set_p_->ext[1] = 0;             \
    ev_set_p_->ext[2] = 0;             \
    ev_set_p_->ext[3] = 0;             \
  } while (0)

#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)
#define EVFILT_TIMER (-7)
#define EVFILT_USER (-11)

#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_ENABLE 0x0004
#define EV_DISABLE 0x0008
#define EV_ONESHOT 0x0010
#define EV_CLEAR 0x0020
#define EV_RECEIPT 0x0040
#define EV_DISPATCH 0x0080
#define EV_ERROR 0x4000
#define EV_EOF 0x8000

/* EVFILT_TIMER units (milliseconds when none is given). */
#define NOTE_SECONDS 0x00000001
#define NOTE_MSECONDS 0x00000002
#define NOTE_USECONDS 0x00000004
#define NOTE_NSECONDS 0x00000008

/* EVFILT_USER. */
#define NOTE_FFNOP 0x00000000
#define NOTE_FFAND 0x40000000
#define NOTE_FFOR 0x80000000
#define NOTE_FFCOPY 0xc0000000
#define NOTE_FFCTRLMASK 0xc0000000
#define NOTE_FFLAGSMASK 0x00ffffff
#define NOTE_TRIGGER 0x01000000

#ifdef __cplusplus
}
#endif

#endif /* USTACK_FSTACK_FF_EVENT_H */
