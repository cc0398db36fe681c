// Task<T>: a lazy, move-only C++20 coroutine that runs on a co::Scheduler. A Task starts
// only when co_awaited (or handed to Scheduler::Spawn) and resumes its awaiter when done.
// Exceptions thrown inside a Task are captured and rethrown from co_await in the awaiting
// coroutine; an exception escaping a spawned (top-level) task calls std::terminate.
// Each running coroutine carries a Context*: the scheduler, a deadline and a cancellation
// chain that leaf awaits (Read, Sleep...) obey. An awaited Task inherits its awaiter's
// Context unless one is given explicitly (WithTimeout, WithCancel, WhenAny do that).
// Ownership: the Task object owns the coroutine frame until it is awaited to completion or
// destroyed; Contexts live in the frames of the coroutines that created them and outlive
// every child that points at them (children always finish before their parent resumes).
#pragma once

#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <utility>

#include "base/time.h"

namespace ustack::co {

class Scheduler;

// Shared by a CancelSource and the Contexts that observe it.
struct CancelState {
  bool cancelled = false;
  Scheduler* sched = nullptr;  // told when cancelled, so that it wakes parked awaits
};

struct Context {
  Scheduler* sched = nullptr;
  const Context* parent = nullptr;
  Instant deadline = Instant::Max();  // already the minimum over the parent chain
  std::shared_ptr<CancelState> cancel;

  bool Cancelled() const {
    for (const Context* c = this; c != nullptr; c = c->parent) {
      if (c->cancel && c->cancel->cancelled) return true;
    }
    return false;
  }
  // A child of `parent` with an earlier deadline and/or one more cancellation source.
  static Context Child(const Context& parent, Instant deadline,
                       std::shared_ptr<CancelState> cancel) {
    Context c;
    c.sched = parent.sched;
    c.parent = &parent;
    c.deadline = Earliest(parent.deadline, deadline);
    c.cancel = std::move(cancel);
    return c;
  }
};

struct PromiseBase {
  Context* ctx = nullptr;
  std::coroutine_handle<> continuation;
  std::exception_ptr error;

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      std::coroutine_handle<> c = h.promise().continuation;
      return c ? c : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() { error = std::current_exception(); }
};

template <typename T>
class Task;

template <typename T>
struct Promise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object();
  template <typename U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T Take() {
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object();
  void return_void() {}
  void Take() {
    if (error) std::rethrow_exception(error);
  }
};

template <typename T = void>
class [[nodiscard]] Task {
 public:
  using promise_type = Promise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;
  explicit Task(Handle h) : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      Reset();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { Reset(); }

  bool valid() const { return static_cast<bool>(h_); }
  bool done() const { return h_ && h_.done(); }
  // For the scheduler and combinators: the frame stays owned by this Task.
  Handle handle() const { return h_; }

  struct Awaiter {
    Handle h;
    Context* ctx_override;
    bool await_ready() const noexcept { return !h || h.done(); }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
      h.promise().ctx = ctx_override != nullptr ? ctx_override : parent.promise().ctx;
      h.promise().continuation = parent;
      return h;
    }
    T await_resume() { return h.promise().Take(); }
  };
  Awaiter operator co_await() && noexcept { return Awaiter{h_, nullptr}; }
  // Awaits this task with an explicit context (which must outlive the await).
  Awaiter In(Context* ctx) && noexcept { return Awaiter{h_, ctx}; }

 private:
  void Reset() {
    if (h_) h_.destroy();
    h_ = {};
  }
  Handle h_;
};

template <typename T>
Task<T> Promise<T>::get_return_object() {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}

// `Context* c = co_await CurrentContext{};` inside a Task: the caller's context.
struct CurrentContext {
  Context* ctx = nullptr;
  bool await_ready() const noexcept { return false; }
  template <typename P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    ctx = h.promise().ctx;
    return false;
  }
  Context* await_resume() const noexcept { return ctx; }
};

}  // namespace ustack::co
