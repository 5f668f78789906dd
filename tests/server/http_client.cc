#include "http_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

// Before Asio: boost 1.74 awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "testutil.h"

extern char** environ;

namespace quiver::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// A request that got no HTTP answer: status 0, the reason in the body.
HttpResult connection_failed(std::string why) {
  HttpResult r;
  r.body = std::move(why);
  return r;
}

}  // namespace

struct HttpClient::Impl {
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::string host;
  int port = 0;

  beast::error_code connect() {
    beast::error_code ec;
    stream.emplace(ioc);
    buffer.clear();
    stream->expires_after(std::chrono::seconds(60));
    stream->connect(tcp::endpoint(net::ip::make_address(host), static_cast<unsigned short>(port)),
                    ec);
    if (!ec) stream->socket().set_option(tcp::no_delay(true), ec);
    return ec;
  }
};

HttpClient::HttpClient(int port, std::string host) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::get(const std::string& target,
                           const std::map<std::string, std::string>& headers) {
  return request("GET", target, "", headers);
}

HttpResult HttpClient::post(const std::string& target, const std::string& body,
                            const std::map<std::string, std::string>& headers) {
  return request("POST", target, body, headers);
}

HttpResult HttpClient::request(const std::string& method, const std::string& target,
                               const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    beast::error_code ec;
    if (!impl_->stream) ec = impl_->connect();
    if (ec) return connection_failed("connect: " + ec.message());
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, impl_->host);
    req.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.keep_alive(true);
    req.prepare_payload();
    impl_->stream->expires_after(std::chrono::seconds(60));
    http::write(*impl_->stream, req, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    if (!ec) http::read(*impl_->stream, impl_->buffer, parser, ec);
    if (ec) {
      impl_->stream.reset();
      if (attempt == 0) continue;  // the server closed a kept-alive connection: retry once
      return connection_failed("exchange: " + ec.message());
    }
    auto& res = parser.get();
    HttpResult out;
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    out.content_type = std::string(res[http::field::content_type]);
    out.keep_alive = res.keep_alive();
    if (!out.keep_alive) impl_->stream.reset();
    return out;
  }
  return connection_failed("unreachable");
}

std::string raw_exchange(int port, const std::string& bytes, int timeout_ms) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)), ec);
  if (ec) return "connect: " + ec.message();
  net::write(stream.socket(), net::buffer(bytes), ec);
  std::string out;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int fd = stream.socket().native_handle();
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  if (!stderr_path_.empty()) std::remove(stderr_path_.c_str());
}

bool ServerProcess::start(const std::string& config_path, const std::vector<std::string>& extra,
                          const std::map<std::string, std::string>& env) {
  int out_pipe[2];
  if (::pipe(out_pipe) != 0) return false;
  char tmpl[] = "/tmp/quiver_serve_stderr_XXXXXX";
  int err_fd = ::mkstemp(tmpl);
  stderr_path_ = tmpl;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  std::vector<std::string> args = {
      testutil::quiver_binary(), "serve", "--config", config_path, "--port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_fd);
  if (rc != 0) {
    pid_ = -1;
    ::close(out_pipe[0]);
    return false;
  }
  // Read the first line (it appears once the port is bound, before models load).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  char c;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out_pipe[0], POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    if (::read(out_pipe[0], &c, 1) != 1) break;
    if (c == '\n') break;
    first_line_ += c;
  }
  ::close(out_pipe[0]);
  auto colon = first_line_.rfind(':');
  if (first_line_.rfind("listening on http://", 0) != 0 || colon == std::string::npos) return false;
  port_ = std::atoi(first_line_.c_str() + colon + 1);
  if (port_ <= 0) return false;
  return !wait_for_models_ || wait_for_models();
}

double metric_value(const std::string& metrics_body, const std::string& series) {
  const std::string line_start = series + " ";
  for (size_t at = 0; at < metrics_body.size();) {
    if (metrics_body.compare(at, line_start.size(), line_start) == 0) {
      return std::strtod(metrics_body.c_str() + at + line_start.size(), nullptr);
    }
    const size_t end = metrics_body.find('\n', at);
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return -1;
}

double metric_value(HttpClient& client, const std::string& series) {
  return metric_value(client.get("/metrics").body, series);
}

bool ServerProcess::wait_for_models(int timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  HttpClient client(port_);
  while (std::chrono::steady_clock::now() < deadline) {
    HttpResult r = client.get("/metrics");
    if (r.status == 200 && metric_value(r.body, "quiver_models_loading") == 0) {
      return true;
    }
    siginfo_t info{};  // WNOWAIT: a dead child stays for terminate() to reap
    if (r.status == 0 && ::waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid_) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string ServerProcess::error() const {
  std::ifstream in(stderr_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ServerProcess::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

int ServerProcess::terminate(int timeout_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int st = 0;
  while (::waitpid(pid_, &st, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &st, 0);
      pid_ = -1;
      return 128 + SIGKILL;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace quiver::testing
