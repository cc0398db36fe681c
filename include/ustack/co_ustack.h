// ustack coroutines on the ustack stack: UstackBackend (SocketApi + its epoll, driven by the
// Runtime's poll loop). Separate from ustack/co.h so that kernel-only users of the coroutine
// layer need neither the socket layer's headers nor its library; users of this header link
// ustack_socket (or ustack_runtime).
#pragma once

#include "coro/ustack_backend.h"
#include "ustack/co.h"
