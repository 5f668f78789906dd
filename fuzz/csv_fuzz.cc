// libFuzzer target: arbitrary bytes as CSV training data (text::parse_csv), with and
// without the header-width rule, comma and tab delimited. The first byte picks the options.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "text/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  quiver::text::CsvOptions options;
  options.delimiter = data[0] & 1 ? '\t' : ',';
  options.require_header_width = data[0] & 2;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto table = quiver::text::parse_csv(text, "fuzz.csv", options);
  if (table.ok()) {
    for (const auto& row : table->rows) {
      if (options.require_header_width && row.fields.size() != table->header.size()) {
        __builtin_trap();  // the rule the trainer relies on
      }
    }
    (void)table->column("text", "fuzz.csv");
  }
  return 0;
}
