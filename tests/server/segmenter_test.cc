// Black-box tests of Chinese text through `quiver serve`: a Keras model whose tokenizer
// keras_preprocessing fitted on jieba output (the suite's TextCNN, shop reviews), served with
// `segmenter: jieba`. The ids quiver feeds the model ("return_ids": true) must equal what
// Python does — jieba.cut (Debian's python3-jieba, the reference) joined by spaces, then
// keras_preprocessing's texts_to_sequences + pad_sequences — with and without a user
// dictionary; and the scores must be the model's scores for exactly those ids.
#include <cstdio>

#include "server_fixture.h"

namespace quiver::testing {
namespace {

const char* kZhModel = kZhCnnModel;  // tokenizer.pkl, T=50, one sigmoid unit

const std::vector<std::string> kZhSentences = {
    "这个手机的质量非常好，运行速度很快", "包装很差，物流太慢了，不推荐购买",
    "外观漂亮，性价比高，非常喜欢",     "屏幕有点暗，电池也不耐用，总体一般",
    "我们在北京清华大学学习自然语言处理", "客服态度很好，发货速度快，给五星好评"};

const char* kUserDict = "速度很快 10\n性价比高\n不耐用 5 a\n";

// Writes the pickled tokenizer as Keras JSON to `tokenizer_json` and returns, per mode
// ("none", "jieba", "jieba_user"), Python's padded id rows for kZhSentences.
nlohmann::json python_ids(const testutil::TempDir& dir, const std::string& tokenizer_json,
                          const std::string& user_dict) {
  const std::string script =
      "import json,pickle,sys,logging\n"
      "import jieba\n"
      "jieba.setLogLevel(logging.WARNING)\n"
      "from keras_preprocessing.sequence import pad_sequences\n"
      "t=pickle.load(open(sys.argv[1],'rb'))\n"
      "open(sys.argv[2],'w').write(t.to_json())\n"
      "texts=json.load(open(sys.argv[3]))\n"
      "ids=lambda xs: pad_sequences(t.texts_to_sequences(xs),maxlen=50).tolist()\n"
      "out={'none':ids(texts),'jieba':ids([' '.join(jieba.cut(x)) for x in texts])}\n"
      "jieba.load_userdict(sys.argv[4])\n"
      "out['jieba_user']=ids([' '.join(jieba.cut(x)) for x in texts])\n"
      "print(json.dumps(out))\n";
  write_text(dir.file("ref.py"), script);
  write_text(dir.file("texts.json"), nlohmann::json(kZhSentences).dump());
  const std::string cmd = "/usr/bin/python3 " + dir.file("ref.py") + " " +
                          model_dir(kZhModel) + "/tokenizer.pkl " + tokenizer_json + " " +
                          dir.file("texts.json") + " " + user_dict + " 2>/dev/null";
  return nlohmann::json::parse(testutil::shell(cmd).out, nullptr, false);
}

class SegmenterServeTest : public ServerTest {};

TEST_F(SegmenterServeTest, ChineseIdsMatchJiebaAndKerasPreprocessing) {
  QUIVER_REQUIRE_MODELS(kZhModel);
  const std::string tok = dir_.file("zh.tokenizer.json");
  write_text(dir_.file("user.dict"), kUserDict);
  const nlohmann::json ref = python_ids(dir_, tok, dir_.file("user.dict"));
  ASSERT_TRUE(ref.is_object()) << "python3 jieba / keras_preprocessing failed";
  const std::string common =
      "    model: " + model_file(kZhModel) + "\n    tokenizer: zh.tokenizer.json\n";
  ASSERT_TRUE(start("  - name: zh\n" + common + "    segmenter: jieba\n" +
                    "  - name: zh_user\n" + common +
                    "    segmenter: jieba\n    user_dict: user.dict\n" +
                    "  - name: zh_raw\n" + common + "    maxlen: 50\n"));
  for (const auto& [name, mode] : std::map<std::string, std::string>{
           {"zh", "jieba"}, {"zh_user", "jieba_user"}, {"zh_raw", "none"}}) {
    auto r = client().post("/v1/classify", nlohmann::json{{"category", name},
                                                          {"sentences", kZhSentences},
                                                          {"return_ids", true}}
                                               .dump());
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = json_of(r);
    ASSERT_EQ(j["results"].size(), kZhSentences.size());
    for (size_t i = 0; i < kZhSentences.size(); ++i) {
      EXPECT_EQ(j["results"][i]["ids"], ref[mode][i]) << name << ": " << kZhSentences[i];
    }
    // The scores are the model's own for exactly those ids.
    auto by_ids = json_of(client().post(
        "/v1/models/" + name + ":predict",
        nlohmann::json{{"signature_name", "ids"}, {"instances", ref[mode]}}.dump()));
    for (size_t i = 0; i < kZhSentences.size(); ++i) {
      EXPECT_EQ(j["results"][i]["scores"]["1"].get<double>(),
                by_ids["predictions"][i][0].get<double>())
          << name << ": " << kZhSentences[i];
    }
  }
  // The user dictionary must change something, or the test above proves nothing about it.
  EXPECT_NE(ref["jieba"], ref["jieba_user"]);
}

TEST_F(SegmenterServeTest, ReturnIdsMustBeABoolean) {
  QUIVER_REQUIRE_MODELS(kZhModel);
  ASSERT_TRUE(start(model_entry("zh", kZhCnnModel, "    maxlen: 50\n")));
  auto r = client().post("/v1/classify", R"({"category":"zh","sentences":["很好"],)"
                                         R"("return_ids":"yes"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json_of(r)["error"], "return_ids: expected true or false");
}

TEST_F(SegmenterServeTest, BadSegmenterConfigIsRefusedWithItsKey) {
  QUIVER_REQUIRE_MODELS(kZhModel);
  config_path_ = dir_.file("serve.yaml");
  write_text(config_path_, "models:\n  - name: zh\n    model: " + model_file(kZhModel) +
                               "\n    segmenter: jeiba\n");
  EXPECT_FALSE(server_.start(config_path_));
  EXPECT_NE(server_.error().find("models[0].segmenter: unknown segmenter 'jeiba'"),
            std::string::npos)
      << server_.error();
}

}  // namespace
}  // namespace quiver::testing
