// Merging per-category CSVs, filling / dropping unknown cells, the merged CSV; the
// --group list and config forms; reading a comparison corpus.
#include "multilabel/merge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "multilabel/compare.h"
#include "multilabel/group.h"
#include "testutil.h"

namespace quiver::multilabel {
namespace {

using testutil::TempDir;

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// A: x 1, y 0, z 1, x 0 (a conflicting duplicate); B (no/yes): y yes, w no, x no.
class MergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write(dir_.file("A.csv"), "text,label\nx,1\ny,0\nz,1\nx,0\n");
    write(dir_.file("B.csv"), "text,label\ny,yes\nw,no\n\"x\",no\n");
  }
  Result<MergedSet> merge() {
    return merge_category_csvs({{"A", dir_.file("A.csv")}, {"B", dir_.file("B.csv")}}, {});
  }
  TempDir dir_;
};

TEST_F(MergeTest, LabelsAreTheCategoriesMarkingASentencePositive) {
  auto m = merge();
  ASSERT_OK(m);
  ASSERT_EQ(m->texts, (std::vector<std::string>{"x", "y", "z", "w"}));
  EXPECT_EQ(m->cells[0], (std::vector<int8_t>{1, 0}));   // x: A's first row 1, conflict -> 1
  EXPECT_EQ(m->cells[1], (std::vector<int8_t>{0, 1}));   // y
  EXPECT_EQ(m->cells[2], (std::vector<int8_t>{1, -1}));  // z: not in B
  EXPECT_EQ(m->cells[3], (std::vector<int8_t>{-1, 0}));  // w: not in A
  EXPECT_EQ(m->counts.input_rows, 7);
  EXPECT_EQ(m->counts.sentences, 4);
  EXPECT_EQ(m->counts.complete, 2);
  EXPECT_EQ(m->counts.duplicate_rows, 1);
  EXPECT_EQ(m->counts.conflicting_rows, 1);
  EXPECT_TRUE(m->known[2][0]);
  EXPECT_FALSE(m->known[2][1]);
}

TEST_F(MergeTest, FillThenDropCountsEachSentenceOnce) {
  auto m = merge();
  ASSERT_OK(m);
  ASSERT_EQ(rows_missing(*m, 0), (std::vector<int64_t>{3}));
  fill_unknown(&*m, 0, {3}, {true});
  EXPECT_EQ(m->counts.filled_cells, 1);
  EXPECT_EQ(m->counts.filled_sentences, 1);
  EXPECT_FALSE(m->known[3][0]);  // labelled by a model, not by the CSV
  drop_unknown(&*m);
  EXPECT_EQ(m->counts.dropped, 1);  // z
  EXPECT_EQ(to_csv(*m, "quiver_text"),
            "\"quiver_text\",\"A\",\"B\"\n\"x\",1,0\n\"y\",0,1\n\"w\",1,0\n");
}

TEST_F(MergeTest, ShuffleIsAPermutationFixedBySeed) {
  auto a = merge(), b = merge();
  ASSERT_OK(a);
  ASSERT_OK(b);
  shuffle_rows(&*a, 7);
  shuffle_rows(&*b, 7);
  EXPECT_EQ(a->texts, b->texts);
  std::vector<std::string> sorted = a->texts;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{"w", "x", "y", "z"}));
  for (size_t r = 0; r < a->texts.size(); ++r) {
    const std::string& t = a->texts[r];
    if (t == "y") {
      EXPECT_EQ(a->cells[r], (std::vector<int8_t>{0, 1}));  // rows move whole
    }
  }
}

TEST_F(MergeTest, QuotesInTextsAreDoubled) {
  write(dir_.file("C.csv"), "text,label\n\"say \"\"hi\"\", ok\",1\nb,0\n");
  write(dir_.file("D.csv"), "text,label\n\"say \"\"hi\"\", ok\",0\nb,1\n");
  auto m = merge_category_csvs({{"C", dir_.file("C.csv")}, {"D", dir_.file("D.csv")}}, {});
  ASSERT_OK(m);
  EXPECT_EQ(to_csv(*m, "t"), "\"t\",\"C\",\"D\"\n\"say \"\"hi\"\", ok\",1,0\n\"b\",0,1\n");
}

TEST_F(MergeTest, ErrorsNameTheFileAndCategory) {
  write(dir_.file("three.csv"), "text,label\na,x\nb,y\nc,z\n");
  EXPECT_STATUS(merge_category_csvs({{"A", dir_.file("A.csv")}, {"T", dir_.file("three.csv")}}, {}),
                kInvalidArgument, "three.csv: category 'T' needs a binary CSV (two labels, found 3)");
  EXPECT_STATUS(merge_category_csvs({{"A", dir_.file("A.csv")}, {"A", dir_.file("B.csv")}}, {}),
                kInvalidArgument, "category 'A' given twice");
  EXPECT_STATUS(merge_category_csvs({{"A", dir_.file("A.csv")}}, {}), kInvalidArgument,
                "at least two categories");
  EXPECT_STATUS(merge_category_csvs({{"A", dir_.file("A.csv")}, {"M", dir_.file("missing.csv")}}, {}),
                kNotFound, "missing.csv");
  MergeOptions o;
  o.positive_label = "z";  // a CSV with three labels works once the positive one is named
  auto m = merge_category_csvs({{"A", dir_.file("A.csv")}, {"T", dir_.file("three.csv")}}, o);
  ASSERT_OK(m);
}

TEST(GroupTest, ListFormAndErrors) {
  auto g = resolve_group("A=a.h5,B=dir/b.h5", "");
  ASSERT_OK(g);
  ASSERT_EQ(g->size(), 2u);
  EXPECT_EQ((*g)[1].category, "B");
  EXPECT_EQ((*g)[1].model_path, "dir/b.h5");
  EXPECT_STATUS(resolve_group("A=a.h5,B", ""), kInvalidArgument, "--group 'B': expected CATEGORY=FILE");
  EXPECT_STATUS(resolve_group("A=a.h5,A=b.h5", ""), kInvalidArgument, "'A' given twice");
  EXPECT_STATUS(resolve_group("binaries", ""), kInvalidArgument, "give --config");
}

TEST(GroupTest, GroupNameFromAServeConfig) {
  TempDir dir;
  write(dir.file("serve.yaml"),
        "models:\n  - {name: a, model: m/a.h5}\n  - {name: b, model: /abs/b.h5}\n"
        "  - {name: ab, model: ab.h5}\ngroups:\n  - name: bin\n    members: [a, b]\n"
        "  - {name: ml, model: ab}\n");
  auto g = resolve_group("bin", dir.file("serve.yaml"));
  ASSERT_OK(g);
  ASSERT_EQ(g->size(), 2u);
  EXPECT_EQ((*g)[0].category, "a");
  EXPECT_EQ((*g)[0].model_path, dir.file("m/a.h5"));
  EXPECT_EQ((*g)[1].model_path, "/abs/b.h5");
  EXPECT_STATUS(resolve_group("ml", dir.file("serve.yaml")), kInvalidArgument,
                "group 'ml' is served by the multi-label model 'ab'; compare needs a group of binary members");
  EXPECT_STATUS(resolve_group("zzz", dir.file("serve.yaml")), kNotFound, "no group named 'zzz'");
  // quiver serve's own parser validates the file.
  write(dir.file("bad.yaml"), "models:\n  - {name: a, model: a.h5}\ngroups:\n  - {name: g, members: [a, nope]}\n");
  EXPECT_STATUS(resolve_group("g", dir.file("bad.yaml")), kInvalidArgument, "bad.yaml");
  EXPECT_STATUS(resolve_group("g", dir.file("missing.yaml")), kNotFound, "missing.yaml");
}

TEST(CorpusTest, LabelsFromBarJoinedColumnOrZeroOneColumns) {
  TempDir dir;
  write(dir.file("bar.csv"), "text,label\none,A|B\ntwo,\nthree,B\n");
  auto c = read_corpus(dir.file("bar.csv"), {"A", "B"}, {});
  ASSERT_OK(c);
  EXPECT_EQ(c->truth[0], (std::vector<int8_t>{1, 0, 0}));
  EXPECT_EQ(c->truth[1], (std::vector<int8_t>{1, 0, 1}));
  write(dir.file("cols.csv"), "text,B\none,1\ntwo,\n");
  c = read_corpus(dir.file("cols.csv"), {"A", "B"}, {});
  ASSERT_OK(c);
  EXPECT_TRUE(c->truth[0].empty());  // no column for A, no label column
  EXPECT_EQ(c->truth[1], (std::vector<int8_t>{1, -1}));
  write(dir.file("s.txt"), "first\r\n\n  \nsecond\n");
  c = read_corpus(dir.file("s.txt"), {"A"}, {});
  ASSERT_OK(c);
  EXPECT_EQ(c->texts, (std::vector<std::string>{"first", "second"}));
  EXPECT_TRUE(c->truth[0].empty());
  write(dir.file("bad.csv"), "text,A\none,2\n");
  EXPECT_STATUS(read_corpus(dir.file("bad.csv"), {"A"}, {}), kInvalidArgument,
                "bad.csv:2: column 'A': expected 0 or 1, got '2'");
}

}  // namespace
}  // namespace quiver::multilabel
