// GetClient: one HTTP/1.1 request over a ustack TCP socket, non-blocking, driven by Poll()
// once per poll iteration on the stack's thread: connect, send the request head and body
// (also reading, in case the server answers early), read the response into a
// ResponseHandler until it decides the outcome, then close.
// Ownership: owns its socket; the request body and the handler belong to the caller and
// must outlive the client.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/time.h"
#include "get/response.h"
#include "get/url.h"
#include "socket/socket_api.h"

namespace ustack::get {

class GetClient {
 public:
  GetClient(SocketApi& api, const HttpUrl& url, std::string head, std::span<const uint8_t> body,
            ResponseHandler& handler);
  ~GetClient();
  GetClient(const GetClient&) = delete;
  GetClient& operator=(const GetClient&) = delete;

  // Opens the socket and starts connecting; false with result() set on failure.
  bool Start(Instant now, Duration timeout);
  // Moves whatever can move now; returns true once the outcome is known (see result()).
  bool Poll(Instant now);
  const GetResult& result() const { return done_ ? final_ : handler_.result(); }
  bool done() const { return done_; }

 private:
  enum class State : uint8_t { kConnecting, kSending, kReceiving, kDone };

  void CheckConnected();
  void Send();
  void Receive();
  void Fail(GetExit exit, std::string message);
  void Finish();

  SocketApi& api_;
  HttpUrl url_;
  std::string head_;
  std::span<const uint8_t> body_;
  ResponseHandler& handler_;
  State state_ = State::kConnecting;
  int fd_ = -1;
  uint64_t sent_ = 0;  // bytes of head_ then body_ written so far
  Instant deadline_;
  bool done_ = false;
  GetResult final_;
  std::vector<uint8_t> buf_;
};

}  // namespace ustack::get
