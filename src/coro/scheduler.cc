// Scheduler and Waiter: parking, waking and the per-iteration Poll. See scheduler.h.
#include "coro/scheduler.h"

#include <algorithm>
#include <exception>

namespace ustack::co {

// The coroutine type of spawned tasks: starts suspended, destroys itself when done.
struct Scheduler::Root {
  struct promise_type : PromiseBase, LiveLink {
    Scheduler* sched = nullptr;
    ~promise_type() {
      if (sched != nullptr) {  // unlink from the scheduler's live list
        prev->next = next;
        next->prev = prev;
        --sched->live_count_;
      }
    }
    Root get_return_object() {
      return Root{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
  std::coroutine_handle<promise_type> h;
};

Waiter::~Waiter() {
  if (parked_) sched_->Unpark(this);
}

IoBackend& Waiter::backend() const { return sched_->backend(); }

bool Waiter::Begin(Context* ctx, std::coroutine_handle<> h) {
  ctx_ = ctx;
  sched_ = ctx->sched;
  const Instant now = sched_->Now();
  if (ctx->Cancelled()) {
    result_ = -ECANCELED;
    return false;
  }
  if (ctx->deadline <= now) {
    result_ = -ETIMEDOUT;
    return false;
  }
  if (dir_ != Dir::kNone) {
    const int64_t r = Attempt();
    if (r != -EAGAIN) {
      result_ = r;
      return !sched_->TakeInlineBudget(h);
    }
  }
  const Instant own = OwnWakeTime();
  if (own <= now) {
    result_ = 0;
    return false;
  }
  wake_at_ = ctx->deadline;
  wake_result_ = -ETIMEDOUT;
  if (own < wake_at_) {
    wake_at_ = own;
    wake_result_ = 0;
  }
  handle_ = h;
  const int rc = sched_->Park(this);
  if (rc < 0) {
    result_ = rc;
    return false;
  }
  return true;
}

Scheduler::Scheduler(IoBackend& backend) : backend_(backend), now_(backend.Now()) {
  root_.sched = this;
  events_.resize(256);
}

Scheduler::~Scheduler() {
  ready_.clear();
  yielded_.clear();
  // Each destroyed frame unlinks itself (and whatever it owns) from the list.
  while (live_.next != &live_) {
    auto* p = static_cast<Root::promise_type*>(live_.next);
    std::coroutine_handle<Root::promise_type>::from_promise(*p).destroy();
  }
  for (size_t fd = 0; fd < fds_.size(); ++fd) {
    if (fds_[fd].watched) backend_.Unwatch(static_cast<int>(fd));
  }
}

Scheduler::Root Scheduler::RunRoot(Task<void> task) { co_await std::move(task); }

void Scheduler::Spawn(Task<void> task, Context* ctx) {
  Root r = RunRoot(std::move(task));
  r.h.promise().ctx = ctx != nullptr ? ctx : &root_;
  Root::promise_type& p = r.h.promise();
  p.sched = this;
  p.prev = &live_;  // link at the front
  p.next = live_.next;
  live_.next->prev = &p;
  live_.next = &p;
  ++live_count_;
  ready_.push_back(r.h);
}

Scheduler::FdSlot& Scheduler::Slot(int fd) {
  const auto i = static_cast<size_t>(fd);
  if (i >= fds_.size()) fds_.resize(std::max(i + 1, fds_.size() * 2));
  return fds_[i];
}

int Scheduler::Park(Waiter* w) {
  if (w->dir_ != Waiter::Dir::kNone) {
    if (w->fd_ < 0) return -EBADF;
    FdSlot& slot = Slot(w->fd_);
    Waiter*& s = w->dir_ == Waiter::Dir::kIn ? slot.in : slot.out;
    if (s != nullptr) return -EBUSY;
    if (!slot.watched) {
      const int rc = backend_.Watch(w->fd_);
      if (rc < 0) return rc;
      slot.watched = true;
    }
    s = w;
  }
  if (w->wake_at_ != Instant::Max()) TimerPush(w);
  w->prev_ = nullptr;
  w->next_ = parked_head_;
  if (parked_head_ != nullptr) parked_head_->prev_ = w;
  parked_head_ = w;
  w->parked_ = true;
  return 0;
}

void Scheduler::Unpark(Waiter* w) {
  if (!w->parked_) return;
  if (w->dir_ != Waiter::Dir::kNone && static_cast<size_t>(w->fd_) < fds_.size()) {
    FdSlot& slot = fds_[static_cast<size_t>(w->fd_)];
    if (slot.in == w) slot.in = nullptr;
    if (slot.out == w) slot.out = nullptr;
  }
  if (w->wake_at_ != Instant::Max()) TimerErase(w);
  if (w->prev_ != nullptr) {
    w->prev_->next_ = w->next_;
  } else {
    parked_head_ = w->next_;
  }
  if (w->next_ != nullptr) w->next_->prev_ = w->prev_;
  w->prev_ = w->next_ = nullptr;
  w->parked_ = false;
}

bool Scheduler::TakeInlineBudget(std::coroutine_handle<> h) {
  if (--inline_budget_ > 0) return true;
  yielded_.push_back(h);
  return false;
}

void Scheduler::Complete(Waiter* w, int64_t result) {
  Unpark(w);
  w->result_ = result;
  ready_.push_back(w->handle_);
}

void Scheduler::Dispatch(int fd, uint32_t events) {
  if (fd < 0 || static_cast<size_t>(fd) >= fds_.size()) return;
  FdSlot& slot = fds_[static_cast<size_t>(fd)];
  if (Waiter* w = slot.in;
      w != nullptr && (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))) {
    const int64_t r = w->Attempt();
    if (r != -EAGAIN) Complete(w, r);
  }
  if (Waiter* w = slot.out; w != nullptr && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    const int64_t r = w->Attempt();
    if (r != -EAGAIN) Complete(w, r);
  }
}

void Scheduler::TimerPush(Waiter* w) {
  w->timer_seq_ = timer_seq_++;
  timers_.push_back(w);
  TimerPlace(w, timers_.size() - 1);
}

void Scheduler::TimerErase(Waiter* w) {
  const size_t i = w->timer_index_;
  Waiter* last = timers_.back();
  timers_.pop_back();
  if (last != w) TimerPlace(last, i);
}

void Scheduler::TimerPlace(Waiter* w, size_t i) {
  auto before = [](const Waiter* a, const Waiter* b) {
    return a->wake_at_ < b->wake_at_ ||
           (a->wake_at_ == b->wake_at_ && a->timer_seq_ < b->timer_seq_);
  };
  while (i > 0 && before(w, timers_[(i - 1) / 2])) {  // up
    timers_[i] = timers_[(i - 1) / 2];
    timers_[i]->timer_index_ = i;
    i = (i - 1) / 2;
  }
  for (;;) {  // down
    size_t c = 2 * i + 1;
    if (c >= timers_.size()) break;
    if (c + 1 < timers_.size() && before(timers_[c + 1], timers_[c])) ++c;
    if (!before(timers_[c], w)) break;
    timers_[i] = timers_[c];
    timers_[i]->timer_index_ = i;
    i = c;
  }
  timers_[i] = w;
  w->timer_index_ = i;
}

void Scheduler::FireTimers() {
  while (!timers_.empty() && timers_.front()->wake_at_ <= now_) {
    Waiter* w = timers_.front();
    Complete(w, w->wake_result_);
  }
}

void Scheduler::WakeCancelled() {
  cancel_dirty_ = false;
  for (Waiter* w = parked_head_; w != nullptr;) {
    Waiter* next = w->next_;
    if (w->ctx_->Cancelled()) Complete(w, -ECANCELED);
    w = next;
  }
}

void Scheduler::Poll(Duration max_wait) {
  Duration wait = max_wait;
  for (const std::coroutine_handle<> h : yielded_) ready_.push_back(h);
  yielded_.clear();
  if (!ready_.empty() || cancel_dirty_) {
    wait = Duration();
  } else if (!timers_.empty()) {
    wait = std::min(wait, std::max(Duration(), timers_.front()->wake_at_ - now_));
  }
  const int n = backend_.Wait(events_, wait);
  now_ = backend_.Now();
  for (int i = 0; i < n; ++i) {
    Dispatch(events_[static_cast<size_t>(i)].data.fd, events_[static_cast<size_t>(i)].events);
  }
  FireTimers();
  if (cancel_dirty_) WakeCancelled();
  while (!ready_.empty()) {
    std::coroutine_handle<> h = ready_.pop_front();
    inline_budget_ = kInlineBudget;
    h.resume();
  }
}

int Scheduler::Close(int fd) {
  if (fd >= 0 && static_cast<size_t>(fd) < fds_.size()) {
    FdSlot& slot = fds_[static_cast<size_t>(fd)];
    if (slot.in != nullptr) Complete(slot.in, -EBADF);
    if (slot.out != nullptr) Complete(slot.out, -EBADF);
    if (slot.watched) backend_.Unwatch(fd);
    slot.watched = false;
  }
  return backend_.Close(fd);
}

}  // namespace ustack::co
