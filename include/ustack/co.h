// ustack coroutines: the public header. C++20 coroutines on one core's poll loop, over an
// IoBackend (the ustack stack or the Linux kernel), so that the same source runs on both.
//
//   co::KernelBackend backend;  // or co::UstackBackend(runtime.sockets()): ustack/co_ustack.h
//   co::Scheduler sched(backend);
//   sched.Spawn(Serve(sched));            // Task<void> Serve(co::Scheduler&)
//   sched.Run();                          // kernel; ustack: runtime.Run([&]{ sched.Poll({}); })
//
// Inside a Task: co_await co::Read(fd, buf), co::WriteAll(fd, buf), co::Accept(fd),
// co::Connect(fd, addr), co::UdpRecvFrom/UdpSendTo, co::Sleep(d); wrap any of them or a
// Task in co::WithTimeout(x, d) / WithDeadline / WithCancel(x, source); group Tasks with
// co::WhenAll / co::WhenAny; exchange framed requests with co::SendRecv over a ConnPool.
// Errors are -errno values; exceptions propagate through co_await (std::terminate at the
// top level). Close fds that coroutines use with Scheduler::Close.
#pragma once

#include "coro/backend.h"
#include "coro/combinators.h"
#include "coro/io.h"
#include "coro/kernel_backend.h"
#include "coro/scheduler.h"
#include "coro/send_recv.h"
#include "coro/task.h"
