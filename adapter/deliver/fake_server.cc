#include "adapter/deliver/fake_server.h"

#include <Poco/DeflatingStream.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <sstream>

#include "adapter/deliver/text.h"

namespace adapter::deliver::testing {

std::string RecordedRequest::header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (text::iequals(field, name)) return value;
  }
  return {};
}

struct FakeServerState {
  Script script;
  mutable std::mutex mutex;
  std::condition_variable released_signal;
  bool released = false;  // the server is going away: stop all delays
  std::vector<RecordedRequest> requests;
  std::set<std::string> peers;

  ScriptedResponse answer(RecordedRequest request) {
    const std::lock_guard lock(mutex);
    peers.insert(request.peer);
    requests.push_back(request);
    return script(request);
  }

  void wait(std::chrono::milliseconds delay) {
    std::unique_lock lock(mutex);
    released_signal.wait_for(lock, delay, [this] { return released; });
  }

  void release() {
    {
      const std::lock_guard lock(mutex);
      released = true;
    }
    released_signal.notify_all();
  }
};

namespace {

std::string gzip(const std::string& body) {
  std::ostringstream compressed;
  {
    Poco::DeflatingOutputStream deflate(compressed, Poco::DeflatingStreamBuf::STREAM_GZIP);
    deflate << body;
    deflate.close();
  }
  return compressed.str();
}

class ScriptedHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit ScriptedHandler(std::shared_ptr<FakeServerState> state) : state_(std::move(state)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    RecordedRequest recorded;
    recorded.method = request.getMethod();
    recorded.target = request.getURI();
    for (const auto& [name, value] : request) {
      recorded.headers.emplace_back(text::to_lower(name), value);
    }
    Poco::StreamCopier::copyToString(request.stream(), recorded.body);
    recorded.peer = request.clientAddress().toString();

    ScriptedResponse answer = state_->answer(std::move(recorded));
    if (answer.delay.count() > 0) state_->wait(answer.delay);

    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    for (const auto& [name, value] : answer.headers)
      response.add(name, value);
    std::string body = answer.gzip ? gzip(answer.body) : std::move(answer.body);
    if (answer.gzip) response.set("Content-Encoding", "gzip");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.sendBuffer(body.data(), body.size());
  }

 private:
  std::shared_ptr<FakeServerState> state_;
};

class ScriptedHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit ScriptedHandlerFactory(std::shared_ptr<FakeServerState> state)
      : state_(std::move(state)) {}

  // Poco takes ownership of the handler it asks for.
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& /*request*/) override {
    return new ScriptedHandler(state_);
  }

 private:
  std::shared_ptr<FakeServerState> state_;
};

Poco::Net::ServerSocket listen(const std::optional<ServerTls>& tls) {
  const Poco::Net::SocketAddress address("127.0.0.1", 0);
  if (!tls) return Poco::Net::ServerSocket(address);
  const bool demand_client_certificate = !tls->client_ca_file.empty();
  // Poco's reference-counted pointer takes ownership of the new Context.
  Poco::Net::Context::Ptr context = new Poco::Net::Context(
      Poco::Net::Context::TLS_SERVER_USE, tls->key_file, tls->certificate_file, tls->client_ca_file,
      demand_client_certificate ? Poco::Net::Context::VERIFY_STRICT
                                : Poco::Net::Context::VERIFY_NONE);
  // Poco's "extended verification" would match the client certificate against the client's
  // address as if it were a server name; OpenSSL's chain verification is what mTLS needs.
  context->enableExtendedCertificateVerification(false);
  context->enableSessionCache(true, "deliver-test");
  return Poco::Net::SecureServerSocket(address, 64, context);
}

}  // namespace

struct FakeServer::Engine {
  Poco::ThreadPool threads{2, 16};
  std::unique_ptr<Poco::Net::HTTPServer> server;
};

FakeServer::FakeServer(Script script, std::optional<ServerTls> tls)
    : state_(std::make_shared<FakeServerState>()),
      engine_(std::make_unique<Engine>()),
      tls_(tls.has_value()) {
  state_->script = std::move(script);
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(30, 0));
  engine_->server = std::make_unique<Poco::Net::HTTPServer>(new ScriptedHandlerFactory(state_),
                                                            engine_->threads, listen(tls), params);
  engine_->server->start();
}

FakeServer::~FakeServer() {
  state_->release();
  engine_->server->stopAll(true);
  engine_->server.reset();
  engine_->threads.joinAll();
}

std::uint16_t FakeServer::port() const {
  return engine_->server->port();
}

std::string FakeServer::url() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
}

std::vector<RecordedRequest> FakeServer::requests() const {
  const std::lock_guard lock(state_->mutex);
  return state_->requests;
}

std::size_t FakeServer::connections() const {
  const std::lock_guard lock(state_->mutex);
  return state_->peers.size();
}

std::uint16_t unused_port() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::uint16_t port = socket.address().port();
  socket.close();
  return port;
}

}  // namespace adapter::deliver::testing
