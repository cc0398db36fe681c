// Call(): the wrapper every ff_* function goes through. It enters the CapiContext (failing
// with ENXIO before ff_init, EPERM on a foreign thread) and turns SocketApi's -errno results
// into the C convention: -1 with errno set.
#pragma once

#include <cerrno>

#include "capi/capi_context.h"

namespace ustack::capi {

template <typename F>
auto Call(F&& f) -> decltype(f(std::declval<SocketApi&>())) {
  int err = 0;
  SocketApi* api = CapiContext::Enter(&err);
  if (!api) {
    errno = err;
    return -1;
  }
  auto rc = f(*api);
  if (rc < 0) {
    errno = static_cast<int>(-rc);
    return -1;
  }
  return rc;
}

}  // namespace ustack::capi
