// HttpServer: HTTP/1.1 with keep-alive on Boost.Beast + Asio.
//
// A small pool of I/O threads runs every connection asynchronously (no thread per
// connection), so thousands of idle keep-alive connections cost memory, not threads, and
// never starve each other. Each connection reads one request at a time (header first: a
// Content-Length over the limit is refused with 413 before the body is read, and
// "Expect: 100-continue" is answered), hands it to the handler, and writes the answer
// when the handler's responder is called, from any thread. Reading a request and idle
// keep-alive time are bounded by request_timeout_ms.
//
// Shutdown: stop_accepting() closes the listener and makes every further answer close
// its connection; wait_idle() waits for requests in flight; stop() ends the I/O threads.
//
// Thread-safety: start/stop_accepting/wait_idle/stop from one controlling thread; the
// handler runs on I/O threads and must not throw or block for long.
#ifndef QUIVER_SERVE_HTTP_SERVER_H_
#define QUIVER_SERVE_HTTP_SERVER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "quiver/status.h"

namespace quiver::serve {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target without the query
  std::string query;   // after '?', or ""
  std::string body;
  std::string authorization;  // the Authorization header, or ""
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};  // extra header fields
};

// Called exactly once per request, from any thread.
using Responder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest&& request, Responder respond)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: pick a free port
  int threads = 2;
  int64_t max_body_bytes = 1 << 20;
  int64_t request_timeout_ms = 30000;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O threads. IOError when the address is taken.
  Status start();
  int port() const { return port_; }

  void stop_accepting();
  // Waits until no request is in flight or `timeout` passes; true when idle.
  bool wait_idle(std::chrono::milliseconds timeout);
  void stop();

  struct Shared;  // state shared with connections (defined in the .cc)

 private:
  HttpServerOptions options_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::thread> threads_;
  int port_ = 0;
};

}  // namespace quiver::serve

#endif  // QUIVER_SERVE_HTTP_SERVER_H_
