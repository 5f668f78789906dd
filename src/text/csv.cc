// CSV on libcsv 3.0 (Debian libcsv-dev). libcsv is fed one physical line at a time so that
// each record's first line is known: a record starts on the line at whose beginning the
// parser is between records (csv_parser::pstate == 0, ROW_NOT_BEGUN in libcsv.c) and that
// is not blank. libcsv keeps no global state; each parse owns its parser.
#include "text/csv.h"

#include <csv.h>

#include <memory>

#include "base/file.h"
#include "text/unicode.h"

namespace quiver::text {
namespace {

constexpr int kRowNotBegun = 0;  // libcsv.c: ROW_NOT_BEGUN

int keep_spaces(unsigned char) { return 0; }

struct Collector {
  std::vector<CsvRow> records;
  CsvRow current;
  int64_t line = 0;        // the line being fed
  int64_t start_line = 0;  // where the record in progress started

  static void on_field(void* field, size_t len, void* self) {
    auto* c = static_cast<Collector*>(self);
    c->current.fields.emplace_back(static_cast<const char*>(field), len);
  }
  static void on_record(int, void* self) {
    auto* c = static_cast<Collector*>(self);
    c->current.line = c->start_line;
    c->records.push_back(std::move(c->current));
    c->current = CsvRow{};
    c->start_line = c->line;  // a CR-separated record may start on this same line
  }
};

struct ParserDeleter {
  void operator()(csv_parser* p) const {
    csv_free(p);
    delete p;
  }
};

Status parse_records(std::string_view data, const std::string& source, const CsvOptions& options,
                     Collector* out) {
  std::unique_ptr<csv_parser, ParserDeleter> parser(new csv_parser{});
  if (csv_init(parser.get(), CSV_STRICT | CSV_STRICT_FINI) != 0) {
    return internal_error(source + ": csv_init failed");
  }
  csv_set_space_func(parser.get(), keep_spaces);
  csv_set_delim(parser.get(), options.delimiter);
  while (!data.empty()) {
    size_t nl = data.find('\n');
    std::string_view chunk = data.substr(0, nl == std::string_view::npos ? data.size() : nl + 1);
    data.remove_prefix(chunk.size());
    ++out->line;
    if (parser->pstate == kRowNotBegun) out->start_line = out->line;
    if (csv_parse(parser.get(), chunk.data(), chunk.size(), Collector::on_field,
                  Collector::on_record, out) != chunk.size()) {
      return invalid_argument(source + ":" + std::to_string(out->line) + ": malformed CSV (" +
                              csv_strerror(csv_error(parser.get())) +
                              "; a quote inside an unquoted field or after a closing quote)");
    }
  }
  if (csv_fini(parser.get(), Collector::on_field, Collector::on_record, out) != 0) {
    return invalid_argument(source + ":" + std::to_string(out->start_line) +
                            ": unterminated quoted field");
  }
  return {};
}

Status check_record(const CsvRow& row, size_t width, const std::string& source,
                    const CsvOptions& options) {
  std::string where = source + ":" + std::to_string(row.line);
  for (size_t i = 0; i < row.fields.size(); ++i) {
    size_t bad = find_invalid_utf8(row.fields[i]);
    if (bad != std::string::npos) {
      return invalid_argument(where + ": ill-formed UTF-8 in field " + std::to_string(i + 1) +
                              " at byte " + std::to_string(bad));
    }
  }
  if (options.require_header_width && row.fields.size() != width) {
    return invalid_argument(where + ": record has " + std::to_string(row.fields.size()) +
                            " fields, header has " + std::to_string(width));
  }
  return {};
}

}  // namespace

Result<size_t> CsvTable::column(std::string_view name, std::string_view source) const {
  std::string names;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
    names += (i ? ", " : "") + header[i];
  }
  return not_found(std::string(source) + ": no column '" + std::string(name) + "' (columns: " +
                   names + ")");
}

Result<CsvTable> parse_csv(std::string_view data, const std::string& source,
                           const CsvOptions& options) {
  if (data.substr(0, 3) == "\xEF\xBB\xBF") data.remove_prefix(3);
  Collector collector;
  QUIVER_RETURN_IF_ERROR(parse_records(data, source, options, &collector));
  if (collector.records.empty()) return invalid_argument(source + ": empty file (no header row)");
  CsvTable table;
  table.header = std::move(collector.records.front().fields);
  QUIVER_RETURN_IF_ERROR(check_record(CsvRow{table.header, collector.records.front().line},
                                      table.header.size(), source, options));
  table.rows.reserve(collector.records.size() - 1);
  for (size_t i = 1; i < collector.records.size(); ++i) {
    QUIVER_RETURN_IF_ERROR(check_record(collector.records[i], table.header.size(), source, options));
    table.rows.push_back(std::move(collector.records[i]));
  }
  return table;
}

Result<CsvTable> read_csv_file(const std::string& path, const CsvOptions& options) {
  QUIVER_ASSIGN_OR_RETURN(std::string data, base::read_file(path, options.max_bytes));
  return parse_csv(data, path, options);
}

}  // namespace quiver::text
