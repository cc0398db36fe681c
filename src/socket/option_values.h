// Option value transfer shared by setsockopt/getsockopt at every level, with Linux's rules:
// an int option needs at least sizeof(int) bytes; a read copies at most *len bytes of the
// value and sets *len to that count. Results are 0 or -errno.
#pragma once

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace ustack {

inline int ReadIntOpt(const void* val, socklen_t len, int* out) {
  if (!val) return -EFAULT;
  if (len < static_cast<socklen_t>(sizeof(int))) return -EINVAL;
  std::memcpy(out, val, sizeof(int));
  return 0;
}

inline int WriteBytes(const void* src, size_t n, void* val, socklen_t* len) {
  if (!val || !len) return -EFAULT;
  if (static_cast<int>(*len) < 0) return -EINVAL;
  const size_t copy = std::min(n, static_cast<size_t>(*len));
  std::memcpy(val, src, copy);
  *len = static_cast<socklen_t>(copy);
  return 0;
}

inline int WriteIntOpt(int v, void* val, socklen_t* len) {
  return WriteBytes(&v, sizeof v, val, len);
}

}  // namespace ustack
