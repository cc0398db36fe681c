// Scheduler: runs coroutines on one core, driven once per loop iteration by Poll(). A
// parked await (a Waiter) is woken by readiness of its fd, by its deadline, or by the
// cancellation of its Context; woken coroutines go to a FIFO ready queue which Poll drains.
// Invariants: a parked Waiter is in exactly one fd slot (or none, for Sleep), in the timer
// heap iff it has a finite wake time, and in the parked list; Unpark removes it from all.
// At most one reader and one writer may be parked per fd (a second gets -EBUSY). Timers
// live in an ordered multimap (O(log n) insert and erase by iterator); readiness is
// edge-triggered, so every await tries its operation before parking. Fairness: a coroutine
// whose awaits keep completing at once yields after kInlineBudget of them, and waits for
// the next Poll (after the I/O check), so one busy connection cannot starve the others.
// Steady operation allocates nothing (no per-resume or per-spawn bookkeeping allocation).
// Ownership: the Scheduler owns spawned top-level tasks and destroys those still running
// when it is destroyed; Waiters live in coroutine frames and unpark themselves on
// destruction. Everything runs on the scheduler's thread.
#pragma once

#include <cerrno>
#include <coroutine>
#include <cstdint>
#include <vector>

#include "coro/backend.h"
#include "coro/ready_queue.h"
#include "coro/task.h"

namespace ustack::co {

class Scheduler;

// Base of every leaf await. Subclasses implement Attempt(): perform the operation and
// return its result, or -EAGAIN to keep waiting for readiness.
class Waiter {
 public:
  enum class Dir : uint8_t { kNone, kIn, kOut };

  Waiter() = default;
  Waiter(int fd, Dir dir) : fd_(fd), dir_(dir) {}
  Waiter(const Waiter& o) : fd_(o.fd_), dir_(o.dir_) {}  // only unparked waiters are copied
  Waiter& operator=(const Waiter&) = delete;
  virtual ~Waiter();

  bool await_ready() const noexcept { return false; }
  template <typename P>
  bool await_suspend(std::coroutine_handle<P> h) {
    return Begin(h.promise().ctx, h);
  }

 protected:
  virtual int64_t Attempt() = 0;
  // For Sleep: its own wake time (result 0) if earlier than the context deadline.
  virtual Instant OwnWakeTime() const { return Instant::Max(); }
  IoBackend& backend() const;
  int64_t result_ = 0;
  int fd_ = -1;

 private:
  friend class Scheduler;
  // Tries once; parks and returns true to suspend, or returns false with result_ set.
  bool Begin(Context* ctx, std::coroutine_handle<> h);

  Dir dir_ = Dir::kNone;
  Scheduler* sched_ = nullptr;
  Context* ctx_ = nullptr;
  std::coroutine_handle<> handle_;
  bool parked_ = false;
  Instant wake_at_ = Instant::Max();
  int64_t wake_result_ = -ETIMEDOUT;
  uint64_t timer_seq_ = 0;  // ties between equal wake times fire in parking order
  size_t timer_index_ = 0;  // position in the scheduler's timer heap
  Waiter* prev_ = nullptr;  // parked list
  Waiter* next_ = nullptr;
};

class Scheduler {
 public:
  static constexpr int kInlineBudget = 64;  // immediate completions per resumption

  explicit Scheduler(IoBackend& backend);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  IoBackend& backend() { return backend_; }
  // Time of the current iteration (refreshed from the backend on every Poll).
  Instant Now() const { return now_; }
  // The root context: no deadline, no cancellation.
  Context* root() { return &root_; }

  // Starts `task` as a top-level coroutine (at the next Poll). An exception escaping it
  // calls std::terminate. With `ctx`, the task runs under that context (it must outlive it).
  void Spawn(Task<void> task, Context* ctx = nullptr);
  // Top-level coroutines still running.
  size_t live() const { return live_count_; }

  // One loop iteration: waits at most max_wait (less if a timer is due; not at all when
  // work is queued) for readiness, wakes the due waiters and resumes everything ready.
  void Poll(Duration max_wait);
  // Polls until no top-level coroutine is left or `stop` returns true.
  template <typename F>
  void RunUntil(F&& stop, Duration max_wait = Duration::Millis(50)) {
    while (live_count_ > 0 && !stop()) Poll(max_wait);
  }
  void Run() {
    RunUntil([] { return false; });
  }

  // Closes fd through the backend after waking its parked awaits with -EBADF.
  int Close(int fd);

  // Internal (Waiter, CancelSource, combinators).
  void Schedule(std::coroutine_handle<> h) { ready_.push_back(h); }
  void NoteCancel() { cancel_dirty_ = true; }

 private:
  friend class Waiter;
  struct FdSlot {
    Waiter* in = nullptr;
    Waiter* out = nullptr;
    bool watched = false;
  };
  struct Root;  // the coroutine type of spawned tasks
  // Links the frames of running top-level coroutines (intrusive: spawning allocates only
  // the frame); live_ is the list's sentinel.
  struct LiveLink {
    LiveLink* prev = this;
    LiveLink* next = this;
  };

  int Park(Waiter* w);
  // False (and h queued for the next Poll) once the running coroutine used its budget.
  bool TakeInlineBudget(std::coroutine_handle<> h);
  void Unpark(Waiter* w);
  void Complete(Waiter* w, int64_t result);
  void Dispatch(int fd, uint32_t events);
  void FireTimers();
  void TimerPush(Waiter* w);
  void TimerErase(Waiter* w);
  void TimerPlace(Waiter* w, size_t i);  // sifts w from slot i to where it belongs
  void WakeCancelled();
  FdSlot& Slot(int fd);
  Root RunRoot(Task<void> task);

  IoBackend& backend_;
  Instant now_;
  Context root_;
  std::vector<FdSlot> fds_;
  // Parked waiters with a finite wake time: a binary min-heap on (wake_at_, timer_seq_),
  // each waiter knowing its index, so that insert and erase are O(log n) and allocate
  // nothing once the vector has grown.
  std::vector<Waiter*> timers_;
  uint64_t timer_seq_ = 0;
  Waiter* parked_head_ = nullptr;
  ReadyQueue ready_;
  std::vector<std::coroutine_handle<>> yielded_;  // resumed at the next Poll
  int inline_budget_ = kInlineBudget;
  LiveLink live_;  // running top-level coroutines (their promises)
  size_t live_count_ = 0;
  std::vector<epoll_event> events_;
  bool cancel_dirty_ = false;
};

// The requesting side of a cancellation; tokens (Contexts) observe it. Cancel() makes every
// await parked under it return -ECANCELED at the next Poll, and later awaits fail at once.
class CancelSource {
 public:
  explicit CancelSource(Scheduler& sched) : state_(std::make_shared<CancelState>()) {
    state_->sched = &sched;
  }
  void Cancel() {
    state_->cancelled = true;
    state_->sched->NoteCancel();
  }
  bool cancelled() const { return state_->cancelled; }
  const std::shared_ptr<CancelState>& state() const { return state_; }

 private:
  std::shared_ptr<CancelState> state_;
};

}  // namespace ustack::co
