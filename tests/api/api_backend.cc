// Host conveniences shared by both backends, see api_backend.h.
#include "api_backend.h"

namespace ustack::api {

int Host::GetInt(int fd, int level, int name, int* out) {
  socklen_t len = sizeof *out;
  const int rc = GetSockOpt(fd, level, name, out, &len);
  if (rc == 0 && len != sizeof *out) return -EMSGSIZE;  // an int option must say so
  return rc;
}

int Host::SetInt(int fd, int level, int name, int v) {
  return SetSockOpt(fd, level, name, &v, sizeof v);
}

}  // namespace ustack::api
