// Combinators over Tasks and leaf awaits: deadlines, timeouts, cancellation, WhenAll and
// WhenAny. Deadlines and cancellation are scoped: they apply to every leaf await made
// (directly or through nested Tasks) while the wrapped task runs, and those awaits return
// -ETIMEDOUT / -ECANCELED; the wrapped task is expected to pass such errors up (every
// errno-style op here does). Children always finish before the combinator returns.
#pragma once

#include <concepts>
#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "coro/scheduler.h"
#include "coro/task.h"

namespace ustack::co {

template <typename A>
concept LeafAwait = std::derived_from<A, Waiter>;

template <typename A>
using LeafResult = decltype(std::declval<A&>().await_resume());

// The coroutines below are templates, compiled into every translation unit that uses them,
// so their frame types must be identical everywhere (the ODR). GCC 12 keeps the result of
// `co_return co_await x;` in an unnamed frame field named after a per-translation-unit id,
// which makes the frames differ and link-time optimisation report -Wodr. Every awaited
// result here is therefore stored in a named local first.

// A leaf await as a Task (so that it can be given a context or grouped).
template <LeafAwait A>
Task<LeafResult<A>> AsTask(A a) {
  LeafResult<A> result = co_await a;
  co_return result;
}

template <typename T>
Task<T> WithDeadline(Task<T> task, Instant deadline) {
  Context* parent = co_await CurrentContext{};
  Context ctx = Context::Child(*parent, deadline, nullptr);
  if constexpr (std::is_void_v<T>) {
    co_await std::move(task).In(&ctx);
  } else {
    T result = co_await std::move(task).In(&ctx);
    co_return result;
  }
}

template <typename T>
Task<T> WithTimeout(Task<T> task, Duration d) {
  Context* parent = co_await CurrentContext{};
  Context ctx = Context::Child(*parent, parent->sched->Now() + d, nullptr);
  if constexpr (std::is_void_v<T>) {
    co_await std::move(task).In(&ctx);
  } else {
    T result = co_await std::move(task).In(&ctx);
    co_return result;
  }
}

// Runs `task` so that source.Cancel() makes its pending and later awaits fail (-ECANCELED).
template <typename T>
Task<T> WithCancel(Task<T> task, const CancelSource& source) {
  Context* parent = co_await CurrentContext{};
  Context ctx = Context::Child(*parent, Instant::Max(), source.state());
  if constexpr (std::is_void_v<T>) {
    co_await std::move(task).In(&ctx);
  } else {
    T result = co_await std::move(task).In(&ctx);
    co_return result;
  }
}

template <LeafAwait A>
Task<LeafResult<A>> WithTimeout(A a, Duration d) {
  return WithTimeout(AsTask(std::move(a)), d);
}
template <LeafAwait A>
Task<LeafResult<A>> WithDeadline(A a, Instant deadline) {
  return WithDeadline(AsTask(std::move(a)), deadline);
}
template <LeafAwait A>
Task<LeafResult<A>> WithCancel(A a, const CancelSource& source) {
  return WithCancel(AsTask(std::move(a)), source);
}

namespace detail {

// Counts finished members of a group and resumes the waiting parent after the last one.
struct Join {
  size_t remaining = 0;
  std::coroutine_handle<> parent;
  Scheduler* sched = nullptr;
  std::exception_ptr error;
  void Done() {
    if (--remaining == 0) sched->Schedule(parent);
  }
};

// Starts every member (with `ctx`) and suspends the parent until all have finished.
struct StartAll {
  std::vector<Task<void>>* members;
  Join* join;
  Context* ctx;
  bool await_ready() const noexcept { return members->empty(); }
  void await_suspend(std::coroutine_handle<> parent) {
    join->parent = parent;
    join->sched = ctx->sched;
    join->remaining = members->size();
    for (Task<void>& m : *members) {
      m.handle().promise().ctx = ctx;
      m.handle().resume();
    }
  }
  void await_resume() const noexcept {}
};

template <typename T>
Task<void> AllMember(Task<T> t, std::optional<T>* out, Join* join) {
  try {
    T result = co_await std::move(t);
    out->emplace(std::move(result));
  } catch (...) {
    if (!join->error) join->error = std::current_exception();
  }
  join->Done();
}

inline Task<void> AllMemberVoid(Task<void> t, Join* join) {
  try {
    co_await std::move(t);
  } catch (...) {
    if (!join->error) join->error = std::current_exception();
  }
  join->Done();
}

template <typename T>
Task<void> AnyMember(Task<T> t, size_t index, std::optional<std::pair<size_t, T>>* first,
                     CancelState* cancel, Join* join) {
  try {
    T v = co_await std::move(t);
    if (!*first) {
      first->emplace(index, std::move(v));
      cancel->cancelled = true;
      cancel->sched->NoteCancel();
    }
  } catch (...) {
    if (!join->error) join->error = std::current_exception();
    cancel->cancelled = true;
    cancel->sched->NoteCancel();
  }
  join->Done();
}

}  // namespace detail

// Runs all tasks concurrently; their results in order. The first exception (if any) is
// rethrown once all have finished.
template <typename T>
Task<std::vector<T>> WhenAll(std::vector<Task<T>> tasks) {
  Context* ctx = co_await CurrentContext{};
  std::vector<std::optional<T>> results(tasks.size());
  detail::Join join;
  std::vector<Task<void>> members;
  members.reserve(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    members.push_back(detail::AllMember(std::move(tasks[i]), &results[i], &join));
  }
  co_await detail::StartAll{&members, &join, ctx};
  if (join.error) std::rethrow_exception(join.error);
  std::vector<T> out;
  out.reserve(results.size());
  for (auto& r : results) out.push_back(std::move(*r));
  co_return out;
}

inline Task<void> WhenAll(std::vector<Task<void>> tasks) {
  Context* ctx = co_await CurrentContext{};
  detail::Join join;
  std::vector<Task<void>> members;
  members.reserve(tasks.size());
  for (Task<void>& t : tasks) members.push_back(detail::AllMemberVoid(std::move(t), &join));
  co_await detail::StartAll{&members, &join, ctx};
  if (join.error) std::rethrow_exception(join.error);
}

// WhenAll over tasks of different (non-void) result types: a tuple of their results.
template <typename... Ts>
requires(sizeof...(Ts) >= 2 &&
         (!std::is_void_v<Ts> && ...)) Task<std::tuple<Ts...>> WhenAll(Task<Ts>... tasks) {
  Context* ctx = co_await CurrentContext{};
  std::tuple<std::optional<Ts>...> results;
  detail::Join join;
  std::vector<Task<void>> members;
  members.reserve(sizeof...(Ts));
  [&]<size_t... I>(std::index_sequence<I...>) {
    (members.push_back(detail::AllMember(std::move(tasks), &std::get<I>(results), &join)), ...);
  }
  (std::index_sequence_for<Ts...>{});
  co_await detail::StartAll{&members, &join, ctx};
  if (join.error) std::rethrow_exception(join.error);
  co_return std::apply([](auto&... r) { return std::tuple<Ts...>(std::move(*r)...); }, results);
}

// Runs all tasks concurrently; when the first finishes, the others are cancelled (their
// awaits return -ECANCELED) and awaited. Returns the winner's index and result. `tasks`
// must not be empty.
template <typename T>
Task<std::pair<size_t, T>> WhenAny(std::vector<Task<T>> tasks) {
  Context* parent = co_await CurrentContext{};
  auto cancel = std::make_shared<CancelState>();
  cancel->sched = parent->sched;
  Context ctx = Context::Child(*parent, Instant::Max(), cancel);
  std::optional<std::pair<size_t, T>> first;
  detail::Join join;
  std::vector<Task<void>> members;
  members.reserve(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    members.push_back(detail::AnyMember(std::move(tasks[i]), i, &first, cancel.get(), &join));
  }
  co_await detail::StartAll{&members, &join, &ctx};
  if (join.error) std::rethrow_exception(join.error);
  co_return std::move(*first);
}

}  // namespace ustack::co
