// ResponseHandler: what ustack-get makes of the bytes a server sends back. It feeds them to
// an HttpResponseParser, passes the body of a 2xx response to a sink (stdout in the app) and
// decides the outcome: success, a non-2xx status, a malformed or truncated response, or an
// output error, each with its exit code and a one-line message. Pure: no sockets.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "get/http_response_parser.h"

namespace ustack::get {

// ustack-get's exit codes.
enum class GetExit : int {
  kOk = 0,
  kSetup = 1,        // config, EAL, port or input file
  kUsage = 2,        // command line or URL
  kConnect = 3,      // the connection could not be made
  kHttpStatus = 4,   // the server answered with a status other than 2xx
  kBadResponse = 5,  // malformed, truncated or reset response
  kTimeout = 6,      // --timeout passed
  kOutput = 7,       // writing the body failed
};

struct GetResult {
  GetExit exit = GetExit::kOk;
  std::string message;  // empty on success
  int status = 0;       // the final response's status, 0 before its head
  uint64_t body_bytes = 0;
};

class ResponseHandler {
 public:
  // Gets the body of a 2xx response in pieces; returns false when it could not take them.
  using Sink = std::function<bool(std::span<const uint8_t>)>;

  explicit ResponseHandler(Sink sink) : sink_(std::move(sink)) {}

  // Bytes received from the server. Returns true once the outcome is decided.
  bool OnData(std::span<const uint8_t> data);
  // The server closed the connection: `error` is 0 for an orderly close (FIN), else the
  // errno of the failure (e.g. ECONNRESET).
  void OnClose(int error);

  bool done() const { return done_; }
  const GetResult& result() const { return result_; }
  const HttpResponseParser& parser() const { return parser_; }

 private:
  void Finish(GetExit exit, std::string message);

  Sink sink_;
  HttpResponseParser parser_;
  bool done_ = false;
  GetResult result_;
};

}  // namespace ustack::get
