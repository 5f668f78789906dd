// A small RFC 4180 CSV reader on libcsv: UTF-8 text with an optional BOM, a header row,
// quoted fields holding commas, doubled quotes and newlines, LF or CRLF line ends. Spaces
// around fields are kept (libcsv would trim them by default; RFC 4180 and Python's csv
// module keep them). Blank lines are skipped. Every record remembers the line it starts on,
// so callers can name it in errors. Pure functions; thread-safe.
#ifndef QUIVER_TEXT_CSV_H_
#define QUIVER_TEXT_CSV_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "quiver/status.h"

namespace quiver::text {

struct CsvRow {
  std::vector<std::string> fields;
  int64_t line = 0;  // 1-based line of the source where the record starts
};

struct CsvTable {
  std::vector<std::string> header;
  std::vector<CsvRow> rows;  // the records after the header

  // Index of the first column named `name`; NotFound (listing the columns) otherwise.
  // `source` names the data in the message.
  Result<size_t> column(std::string_view name, std::string_view source) const;
};

struct CsvOptions {
  unsigned char delimiter = ',';
  // Every record must have as many fields as the header (else InvalidArgument).
  bool require_header_width = true;
  size_t max_bytes = size_t{1} << 30;  // read_csv_file refuses larger files
};

// Parses CSV text. Errors (InvalidArgument unless noted) name `source` and the line:
//   "data.csv:12: unterminated quoted field", "data.csv:5: record has 3 fields, header has 2",
//   "data.csv:7: ill-formed UTF-8 in field 2", "data.csv: empty file (no header row)".
Result<CsvTable> parse_csv(std::string_view data, const std::string& source,
                           const CsvOptions& options = {});

// Reads and parses a CSV file (NotFound / IOError / ResourceExhausted from the file layer).
Result<CsvTable> read_csv_file(const std::string& path, const CsvOptions& options = {});

}  // namespace quiver::text

#endif  // QUIVER_TEXT_CSV_H_
