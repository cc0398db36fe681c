// Response outcome, see response.h.
#include "get/response.h"

#include <cstring>

namespace ustack::get {

void ResponseHandler::Finish(GetExit exit, std::string message) {
  done_ = true;
  result_.exit = exit;
  result_.message = std::move(message);
  result_.body_bytes = parser_.body_bytes();
}

bool ResponseHandler::OnData(std::span<const uint8_t> data) {
  while (!done_) {
    size_t used = 0;
    std::span<const uint8_t> body;
    const ResponseEvent ev = parser_.Next(data, &used, &body);
    data = data.subspan(used);
    switch (ev) {
      case ResponseEvent::kNeedMore:
        return false;
      case ResponseEvent::kHeaders: {
        const HttpResponseHead& h = parser_.head();
        result_.status = h.status;
        if (h.status < 200 || h.status > 299) {
          Finish(GetExit::kHttpStatus,
                 "HTTP " + std::to_string(h.status) + (h.reason.empty() ? "" : " " + h.reason));
        }
        break;
      }
      case ResponseEvent::kBody:
        if (!sink_(body)) Finish(GetExit::kOutput, "cannot write the body to the output");
        break;
      case ResponseEvent::kMessageEnd:
        Finish(GetExit::kOk, "");
        break;
      case ResponseEvent::kError:
        Finish(GetExit::kBadResponse, "bad response: " + parser_.error());
        break;
    }
  }
  return true;
}

void ResponseHandler::OnClose(int error) {
  if (done_) return;
  if (error != 0) {
    Finish(GetExit::kBadResponse, std::string("connection failed (") + std::strerror(error) +
                                      ") after " + std::to_string(parser_.body_bytes()) +
                                      " body bytes");
    return;
  }
  if (parser_.Finish() == ResponseEvent::kMessageEnd) {
    Finish(GetExit::kOk, "");
  } else {
    Finish(GetExit::kBadResponse, "bad response: " + parser_.error());
  }
}

}  // namespace ustack::get
