// Black-box tests: every kind of bad input gets a 4xx with a clear message, overload gets
// 429 at once, and the server keeps serving afterwards.
#include <thread>

#include "server_fixture.h"

namespace quiver::testing {
namespace {

class BadInputTest : public ServerTest {
 protected:
  void SetUp() override {
    QUIVER_REQUIRE_MODELS(kTextModel, kIdsModel);
    ASSERT_TRUE(start(model_entry("B", kTextModel) + model_entry("a", kIdsModel),
                      "  limits: {max_body_bytes: 4096, max_instances: 8, max_text_bytes: 200}\n"));
  }
  void expect_error(const HttpResult& r, int status, const std::string& message) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(json_of(r)["error"], message) << r.body;
  }
  void expect_still_serving() {
    auto r = client().post("/v1/classify", R"({"category":"B","sentences":["vaksin aman"]})");
    EXPECT_EQ(r.status, 200) << r.body;
  }
  HttpResult classify(const std::string& body) { return client().post("/v1/classify", body); }
};

TEST_F(BadInputTest, MalformedJsonAndWrongTypes) {
  auto r = classify(R"({"category": "B", )");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json_of(r)["error"].get<std::string>().rfind("malformed JSON: ", 0), 0u) << r.body;
  expect_error(classify("[1]"), 400, "expected a JSON object");
  expect_error(classify(R"({"category": 3, "sentences": []})"), 400,
               "category: expected a string (the model name)");
  expect_error(classify(R"({"category": "B", "sentences": "hi"})"), 400,
               "sentences: expected an array of strings");
  expect_error(classify(R"({"category": "B", "sentences": ["ok", 7]})"), 400,
               "sentences[1]: expected a string, got number");
  expect_error(classify(R"({"category": "B", "sentences": ["ok"], "x": 1})"), 400,
               "unknown field 'x'");
  expect_still_serving();
}

TEST_F(BadInputTest, UnknownModelsAndRoutes) {
  expect_error(classify(R"({"category": "Z", "sentences": ["hi"]})"), 404, "model 'Z' not found");
  expect_error(classify(R"({"category": "../etc/passwd", "sentences": ["hi"]})"), 404,
               "model '../etc/passwd' not found");
  expect_error(client().post("/v1/models/Z:predict", R"({"instances": [[1]]})"), 404,
               "model 'Z' not found");
  expect_error(client().get("/nowhere"), 404, "no route for GET /nowhere");
  expect_error(client().get("/v1/classify"), 405, "use POST for /v1/classify");
  expect_still_serving();
}

TEST_F(BadInputTest, EmptyBlankTooLongAndTooManySentences) {
  expect_error(classify(R"({"category": "B", "sentences": []})"), 400, "sentences: no texts given");
  expect_error(classify(R"({"category": "B", "sentences": ["ok", ""]})"), 400,
               "sentences[1]: empty or whitespace-only text");
  expect_error(classify(R"({"category": "B", "sentences": [" \t\n\u3000 "]})"), 400,
               "sentences[0]: empty or whitespace-only text");
  nlohmann::json long_text = {{"category", "B"}, {"sentences", {std::string(300, 'a')}}};
  expect_error(classify(long_text.dump()), 400, "sentences[0]: 300 bytes exceed the limit of 200");
  nlohmann::json nine = {{"category", "B"}, {"sentences", std::vector<std::string>(9, "vaksin")}};
  expect_error(classify(nine.dump()), 400, "sentences: 9 texts exceed the limit of 8 per request");
  nlohmann::json nine_rows = {
      {"instances", std::vector<std::vector<int>>(9, std::vector<int>(40, 1))}};
  expect_error(client().post("/v1/models/a:predict", nine_rows.dump()), 400,
               "instances: 9 instances exceed the limit of 8 per request");
  expect_still_serving();
}

TEST_F(BadInputTest, BodyOverTheLimitIs413) {
  std::string big = R"({"category": "B", "sentences": [")" + std::string(5000, 'a') + R"("]})";
  auto r = classify(big);
  expect_error(
      r, 413,
      "request body of " + std::to_string(big.size()) + " bytes exceeds the limit of 4096 bytes");
  // Chunked bodies have no Content-Length: the limit still holds.
  std::string chunk(5000, 'a');
  char size[16];
  std::snprintf(size, sizeof size, "%zx", chunk.size());
  std::string raw = "POST /v1/classify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                    std::string(size) + "\r\n" + chunk + "\r\n0\r\n\r\n";
  EXPECT_NE(raw_exchange(server_.port(), raw).find("413"), std::string::npos);
  expect_still_serving();
}

TEST_F(BadInputTest, InvalidUtf8AndMalformedHttp) {
  expect_error(classify("{\"category\": \"B\", \"sentences\": [\"caf\xC3\"]}"), 400,
               "request body is not valid UTF-8");
  expect_error(classify("{\"category\": \"B\", \"sentences\": [\"\xED\xA0\x80\"]}"), 400,
               "request body is not valid UTF-8");
  std::string answer = raw_exchange(server_.port(), "GARBAGE / HTTP/9.9\r\n\r\n");
  EXPECT_NE(answer.find("400 Bad Request"), std::string::npos) << answer;
  EXPECT_NE(answer.find("malformed HTTP request"), std::string::npos) << answer;
  expect_still_serving();
}

TEST_F(BadInputTest, IdsOutOfRangeWrongLengthOrNotIntegers) {
  std::vector<int> row(40, 1);
  row[5] = 5000;
  expect_error(client().post("/v1/models/a:predict", nlohmann::json{{"instances", {row}}}.dump()),
               400, "instances[0]: id 5000 is outside the vocabulary of model 'a' (ids 0..4999)");
  row[5] = -1;
  expect_error(client().post("/v1/models/a:predict", nlohmann::json{{"instances", {row}}}.dump()),
               400, "instances[0]: id -1 is outside the vocabulary of model 'a' (ids 0..4999)");
  expect_error(client().post("/v1/models/a:predict", R"({"instances": [[1, 2, 3], [1, 2]]})"), 400,
               "instances[1]: 2 ids, expected 3 (as row 0)");
  expect_error(client().post("/v1/models/a:predict", R"({"instances": [[1.5]]})"), 400,
               "instances[0]: expected integer ids, got number");
  expect_error(client().post("/v1/models/a:predict", R"({"instances": [true]})"), 400,
               "instances[0]: input 'input_ids' is DT_INT32: expected a list of integer ids, got "
               "boolean");
  expect_error(client().post("/v1/models/a:predict", R"({"instances": ["text"]})"), 400,
               "instances[0]: input 'input_ids' is DT_INT32: expected a list of integer ids, got "
               "string");
  expect_still_serving();
}

TEST(BadInputOverloadTest, FullQueueAnswers429AtOnce) {
  QUIVER_REQUIRE_MODELS(kTextModel);
  testutil::TempDir dir;
  write_text(dir.file("serve.yaml"),
             "server: {threads: 4, max_batch_size: 8, max_queue_delay_us: 0}\n"
             "models:\n" +
                 model_entry("B", kTextModel, "    max_queue: 1\n"));
  ServerProcess server;
  ASSERT_TRUE(server.start(dir.file("serve.yaml"))) << server.error();
  std::vector<std::string> sentences(8, "vaksin covid aman untuk semua orang di indonesia");
  const std::string body = nlohmann::json{{"category", "B"}, {"sentences", sentences}}.dump();
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&] {
      HttpClient c(server.port());
      for (int i = 0; i < 6; ++i) {
        auto r = c.post("/v1/classify", body);
        if (r.status == 200)
          ++ok;
        else if (r.status == 429 && r.body.find("queue full") != std::string::npos)
          ++refused;
        else
          ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(ok.load(), 0);
  EXPECT_GT(refused.load(), 0);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(server.terminate(), 0);
}

}  // namespace
}  // namespace quiver::testing
