// Boost.Beast stays inside this file. Beast reports errors through error_code overloads,
// which are used throughout, so nothing here throws into callers.
#include "serve/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <thread>

#include "serve/json_codec.h"

namespace quiver::serve {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct HttpServer::Shared {
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  tcp::acceptor acceptor{net::make_strand(ioc)};
  HttpHandler handler;
  HttpServerOptions options;
  std::atomic<int64_t> in_flight{0};
  std::atomic<bool> draining{false};
};

namespace {

using Shared = HttpServer::Shared;

// One connection. Its handlers run on the connection's strand, one at a time.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Shared* shared) : stream_(std::move(socket)), shared_(shared) {}

  void start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::read_header, shared_from_this()));
  }

 private:
  std::chrono::milliseconds timeout() const {
    return std::chrono::milliseconds(shared_->options.request_timeout_ms);
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(64 * 1024);
    parser_->body_limit(static_cast<uint64_t>(shared_->options.max_body_bytes));
    stream_.expires_after(timeout());
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, size_t) {
    if (ec) return fail(ec);
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    auto length = parser_->content_length();
    if (length && *length > static_cast<uint64_t>(shared_->options.max_body_bytes)) {
      return reply_and_close(413, body_limit_message(*length));
    }
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      auto self = shared_from_this();
      http::async_write(stream_, *cont, [self, cont](beast::error_code wec, size_t) {
        if (wec) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  std::string body_limit_message(uint64_t length) const {
    std::string size = length ? " of " + std::to_string(length) + " bytes" : "";
    return "request body" + size + " exceeds the limit of " +
           std::to_string(shared_->options.max_body_bytes) + " bytes";
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, size_t) {
    if (ec == http::error::body_limit) return reply_and_close(413, body_limit_message(0));
    if (ec) return fail(ec);
    auto& req = parser_->get();
    HttpRequest r;
    r.method = std::string(req.method_string());
    std::string_view target(req.target().data(), req.target().size());
    auto q = target.find('?');
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
    r.authorization = std::string(req[http::field::authorization]);
    r.body = std::move(req.body());
    parser_.reset();
    shared_->in_flight++;
    stream_.expires_never();  // the handler may wait for a batch; writing re-arms it
    auto self = shared_from_this();
    shared_->handler(std::move(r), [self](HttpResponse resp) {
      net::post(self->stream_.get_executor(),
                [self, resp = std::move(resp)]() mutable { self->write(std::move(resp), true); });
    });
  }

  void fail(beast::error_code ec) {
    if (ec == http::error::body_limit) {  // a Content-Length over the limit, seen in the header
      auto length = parser_ ? parser_->content_length() : boost::none;
      return reply_and_close(413, body_limit_message(length ? *length : 0));
    }
    const bool http_syntax =
        ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message;
    if (http_syntax) return reply_and_close(400, "malformed HTTP request: " + ec.message());
    close();
  }

  void reply_and_close(int status, const std::string& message) {
    keep_alive_ = false;
    write(HttpResponse{status, "application/json", error_body(message)}, false);
  }

  void write(HttpResponse resp, bool counted) {
    res_ = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(resp.status), 11);
    res_->set(http::field::server, "quiver");
    res_->set(http::field::content_type, resp.content_type);
    for (const auto& [name, value] : resp.headers) res_->set(name, value);
    res_->body() = std::move(resp.body);
    res_->keep_alive(keep_alive_ && !shared_->draining.load());
    res_->prepare_payload();
    stream_.expires_after(timeout());
    auto self = shared_from_this();
    http::async_write(stream_, *res_, [self, counted](beast::error_code ec, size_t) {
      if (counted) self->shared_->in_flight--;
      if (ec || !self->res_->keep_alive()) return self->close();
      self->res_.reset();
      self->read_header();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  Shared* shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> res_;
  bool keep_alive_ = true;
};

void accept_loop(Shared* shared) {
  shared->acceptor.async_accept(net::make_strand(shared->ioc),
                                [shared](beast::error_code ec, tcp::socket socket) {
                                  if (!shared->acceptor.is_open()) return;
                                  if (!ec) {
                                    beast::error_code opt_ec;
                                    socket.set_option(tcp::no_delay(true), opt_ec);
                                    std::make_shared<Session>(std::move(socket), shared)->start();
                                  }
                                  accept_loop(shared);
                                });
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : options_(std::move(options)), shared_(std::make_shared<Shared>()) {
  shared_->handler = std::move(handler);
  shared_->options = options_;
}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  beast::error_code ec;
  auto address = net::ip::make_address(options_.host, ec);
  if (ec) return invalid_argument("server.host: '" + options_.host + "' is not an IP address");
  tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
  auto& acceptor = shared_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return io_error("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                    ": " + ec.message());
  }
  port_ = acceptor.local_endpoint().port();
  shared_->work.emplace(shared_->ioc.get_executor());
  accept_loop(shared_.get());
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    threads_.emplace_back([s = shared_.get()] { s->ioc.run(); });
  }
  return Status();
}

void HttpServer::stop_accepting() {
  shared_->draining = true;
  net::post(shared_->acceptor.get_executor(), [s = shared_.get()] {
    beast::error_code ec;
    s->acceptor.close(ec);
  });
}

bool HttpServer::wait_idle(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (shared_->in_flight.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void HttpServer::stop() {
  if (threads_.empty()) return;
  shared_->work.reset();
  shared_->ioc.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace quiver::serve
