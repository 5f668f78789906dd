// The RFC 4180 CSV reader (src/text/csv.h) on libcsv.
#include "text/csv.h"

#include <gtest/gtest.h>

#include "testutil.h"

namespace quiver::text {
namespace {

using Strings = std::vector<std::string>;

TEST(CsvTest, ReadsQuotedFieldsWithCommasQuotesAndNewlines) {
  auto table = parse_csv(
      "\xEF\xBB\xBFid,text\r\n"
      "1,plain\r\n"
      "2,\"with, comma\"\r\n"
      "\n"
      "3,\"say \"\"hi\"\"\nsecond line\"\n"
      "4,  spaced  \n"
      "5,",
      "data.csv");
  ASSERT_OK(table);
  EXPECT_EQ(table->header, (Strings{"id", "text"}));
  ASSERT_EQ(table->rows.size(), 5u);
  EXPECT_EQ(table->rows[0].fields, (Strings{"1", "plain"}));
  EXPECT_EQ(table->rows[1].fields, (Strings{"2", "with, comma"}));
  EXPECT_EQ(table->rows[2].fields, (Strings{"3", "say \"hi\"\nsecond line"}));
  EXPECT_EQ(table->rows[3].fields, (Strings{"4", "  spaced  "}));
  EXPECT_EQ(table->rows[4].fields, (Strings{"5", ""}));
  EXPECT_EQ(table->rows[0].line, 2);
  EXPECT_EQ(table->rows[2].line, 5);  // after the blank line 4
  EXPECT_EQ(table->rows[3].line, 7);  // record 3 spans lines 5-6
  EXPECT_EQ(table->rows[4].line, 8);
  EXPECT_EQ(table->column("text", "data.csv").value(), 1u);
  EXPECT_STATUS(table->column("label", "data.csv"), kNotFound,
                "data.csv: no column 'label' (columns: id, text)");
}

TEST(CsvTest, ErrorsNameTheLine) {
  EXPECT_STATUS(parse_csv("a,b\n1,\"open\n2,3\n", "d.csv"), kInvalidArgument,
                "d.csv:2: unterminated quoted field");
  EXPECT_STATUS(parse_csv("a,b\n1,2\n3,x\"y\n", "d.csv"), kInvalidArgument, "d.csv:3: malformed CSV");
  EXPECT_STATUS(parse_csv("a,b\n1,\"q\"x\n", "d.csv"), kInvalidArgument, "d.csv:2: malformed CSV");
  EXPECT_STATUS(parse_csv("a,b\n1,2\n3\n", "d.csv"), kInvalidArgument,
                "d.csv:3: record has 1 fields, header has 2");
  EXPECT_STATUS(parse_csv("a,b\n1,\"\xC3\x28\"\n", "d.csv"), kInvalidArgument,
                "d.csv:2: ill-formed UTF-8 in field 2 at byte 0");
  EXPECT_STATUS(parse_csv("", "d.csv"), kInvalidArgument, "d.csv: empty file (no header row)");
  EXPECT_STATUS(parse_csv("\n\n", "d.csv"), kInvalidArgument, "empty file");
  EXPECT_STATUS(read_csv_file("/nonexistent/x.csv"), kNotFound, "/nonexistent/x.csv");
}

TEST(CsvTest, ReadsFilesAndOtherDelimiters) {
  testutil::TempDir dir;
  std::string path = dir.file("t.tsv");
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    std::fputs("text\tlabel\n\"a\tb\"\t1\n", f);
    std::fclose(f);
  }
  CsvOptions options;
  options.delimiter = '\t';
  auto table = read_csv_file(path, options);
  ASSERT_OK(table);
  EXPECT_EQ(table->rows.at(0).fields, (Strings{"a\tb", "1"}));
  options.max_bytes = 4;
  EXPECT_STATUS(read_csv_file(path, options), kResourceExhausted, "exceeds the limit");
}

}  // namespace
}  // namespace quiver::text
