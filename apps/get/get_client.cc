// One HTTP request over ustack sockets, see get_client.h.
#include "get/get_client.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

namespace ustack::get {
namespace {

constexpr size_t kReadBuffer = 64 * 1024;

std::string Errno(int e) { return std::strerror(e); }

}  // namespace

GetClient::GetClient(SocketApi& api, const HttpUrl& url, std::string head,
                     std::span<const uint8_t> body, ResponseHandler& handler)
    : api_(api),
      url_(url),
      head_(std::move(head)),
      body_(body),
      handler_(handler),
      buf_(kReadBuffer) {}

GetClient::~GetClient() {
  if (fd_ >= 0) api_.Close(fd_);
}

void GetClient::Fail(GetExit exit, std::string message) {
  done_ = true;
  state_ = State::kDone;
  final_ = handler_.result();
  final_.exit = exit;
  final_.message = std::move(message);
  if (fd_ >= 0) api_.Close(fd_);
  fd_ = -1;
}

void GetClient::Finish() {
  done_ = true;
  state_ = State::kDone;
  final_ = handler_.result();
  if (fd_ >= 0) api_.Close(fd_);
  fd_ = -1;
}

bool GetClient::Start(Instant now, Duration timeout) {
  deadline_ = now + timeout;
  fd_ = api_.Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd_ < 0) {
    Fail(GetExit::kSetup, "socket: " + Errno(-fd_));
    return false;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(url_.port);
  sa.sin_addr.s_addr = htonl(url_.addr.v);
  const int r = api_.Connect(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  if (r != 0 && r != -EINPROGRESS) {
    Fail(GetExit::kConnect, "connect to " + url_.authority + ": " + Errno(-r));
    return false;
  }
  return true;
}

void GetClient::CheckConnected() {
  pollfd p{fd_, POLLOUT, 0};
  if (api_.Poll(&p, 1, 0) <= 0) return;
  int err = 0;
  socklen_t len = sizeof err;
  api_.GetSockOpt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0 || (p.revents & (POLLERR | POLLHUP)) != 0) {
    Fail(GetExit::kConnect,
         "connect to " + url_.authority + ": " + Errno(err != 0 ? err : ECONNREFUSED));
    return;
  }
  state_ = State::kSending;
}

void GetClient::Send() {
  const uint64_t total = head_.size() + body_.size();
  while (sent_ < total) {
    const uint8_t* p = sent_ < head_.size() ? reinterpret_cast<const uint8_t*>(head_.data()) + sent_
                                            : body_.data() + (sent_ - head_.size());
    const size_t n = sent_ < head_.size() ? head_.size() - sent_ : total - sent_;
    const ssize_t w = api_.Write(fd_, p, n);
    if (w == -EAGAIN) return;
    if (w < 0) {
      Receive();  // the server may have answered (e.g. 413) before it closed
      if (!done_) {
        Fail(GetExit::kBadResponse, "sending the request failed after " + std::to_string(sent_) +
                                        " bytes: " + Errno(static_cast<int>(-w)));
      }
      return;
    }
    sent_ += static_cast<uint64_t>(w);
  }
  state_ = State::kReceiving;
}

void GetClient::Receive() {
  while (!done_) {
    const ssize_t r = api_.Read(fd_, buf_.data(), buf_.size());
    if (r == -EAGAIN) return;
    if (r > 0) {
      if (handler_.OnData(std::span(buf_.data(), static_cast<size_t>(r)))) Finish();
      continue;
    }
    handler_.OnClose(r == 0 ? 0 : static_cast<int>(-r));
    Finish();
  }
}

bool GetClient::Poll(Instant now) {
  if (done_) return true;
  if (now >= deadline_) {
    const char* phase = state_ == State::kConnecting ? "connecting"
                        : state_ == State::kSending  ? "sending the request"
                                                     : "receiving the response";
    std::string msg = std::string("timed out ") + phase;
    if (state_ == State::kReceiving) {
      msg += " after " + std::to_string(handler_.parser().body_bytes()) + " body bytes";
    }
    Fail(GetExit::kTimeout, msg);
    return true;
  }
  if (state_ == State::kConnecting) CheckConnected();
  if (state_ == State::kSending) Send();
  if (state_ == State::kSending || state_ == State::kReceiving) Receive();
  return done_;
}

}  // namespace ustack::get
