// Test helpers for black-box server tests: a synchronous Boost.Beast HTTP/1.1 client
// (keep-alive) and a `quiver serve` child process started on 127.0.0.1 with --port 0.
#ifndef QUIVER_TESTS_SERVER_HTTP_CLIENT_H_
#define QUIVER_TESTS_SERVER_HTTP_CLIENT_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace quiver::testing {

struct HttpResult {
  int status = 0;  // 0: the connection failed (see body)
  std::string body;
  std::string content_type;
  bool keep_alive = false;
};

// One keep-alive connection; reconnects when the server closed it. Not thread-safe: use
// one client per thread.
class HttpClient {
 public:
  explicit HttpClient(int port, std::string host = "127.0.0.1");
  ~HttpClient();
  HttpResult get(const std::string& target, const std::map<std::string, std::string>& headers = {});
  HttpResult post(const std::string& target, const std::string& body,
                  const std::map<std::string, std::string>& headers = {});
  HttpResult request(const std::string& method, const std::string& target, const std::string& body,
                     const std::map<std::string, std::string>& headers);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The value of the Prometheus sample `series` (its name and labels exactly as /metrics
// writes them, e.g. `quiver_requests_total{model="B"}`) in a /metrics body, or -1 when the
// body has no such line; the second form scrapes /metrics first.
double metric_value(const std::string& metrics_body, const std::string& series);
double metric_value(HttpClient& client, const std::string& series);

// Sends raw bytes on a fresh connection and returns whatever the server answers until it
// closes (or `timeout_ms` passes).
std::string raw_exchange(int port, const std::string& bytes, int timeout_ms = 3000);

// `quiver serve --config FILE --port 0 [extra...]` as a child process.
class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess();  // SIGKILL if still running
  // Starts and reads the first stdout line; false (with error()) if it did not listen.
  // The server listens before its models load; unless set_wait_for_models(false), start
  // then waits until no model is loading any more (/metrics quiver_models_loading 0).
  bool start(const std::string& config_path, const std::vector<std::string>& extra = {},
             const std::map<std::string, std::string>& env = {});
  void set_wait_for_models(bool wait) { wait_for_models_ = wait; }
  // Polls /metrics until quiver_models_loading is 0; false after `timeout_ms`.
  bool wait_for_models(int timeout_ms = 600000) const;
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& first_line() const { return first_line_; }
  std::string error() const;  // the captured stderr
  void signal(int sig) const;
  // Sends SIGTERM and waits; returns the exit status (exit code, or 128 + signal).
  int terminate(int timeout_ms = 20000);

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  bool wait_for_models_ = true;
  std::string first_line_;
  std::string stderr_path_;
};

// Writes `text` to `path`.
void write_text(const std::string& path, const std::string& text);

}  // namespace quiver::testing

#endif  // QUIVER_TESTS_SERVER_HTTP_CLIENT_H_
