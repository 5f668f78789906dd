// An outside program on the installed public API only (include/quiver): prints the version
// with --version; else loads MODEL and answers like `quiver predict --model MODEL
// --input-ids`: JSON lines of padded ids in, one line of outputs per row out (%.9g).
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "quiver/model.h"
#include "quiver/version.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer --version | MODEL < ids.jsonl\n");
    return 2;
  }
  if (std::string(argv[1]) == "--version") {
    std::printf("%s\n", QUIVER_VERSION);
    return 0;
  }
  auto model = quiver::Model::load(argv[1]);
  if (!model.ok()) {
    std::fprintf(stderr, "consumer: %s\n", model.status().to_string().c_str());
    return 1;
  }
  std::vector<int32_t> ids;
  int64_t rows = 0, seq_len = 0;
  for (std::string line; std::getline(std::cin, line);) {
    int64_t n = 0;
    for (size_t i = 0; i < line.size();) {
      if (line[i] >= '0' && line[i] <= '9') {
        size_t used = 0;
        ids.push_back(std::stoi(line.substr(i), &used));
        i += used;
        ++n;
      } else {
        ++i;
      }
    }
    seq_len = n;
    ++rows;
  }
  auto out = (*model)->predict(ids, rows, seq_len);
  if (!out.ok()) {
    std::fprintf(stderr, "consumer: %s\n", out.status().to_string().c_str());
    return 1;
  }
  const quiver::Tensor& t = (*out)[0];
  const int64_t units = t.size() / rows;
  for (int64_t r = 0; r < rows; ++r) {
    std::printf("[");
    for (int64_t k = 0; k < units; ++k) std::printf("%s%.9g", k ? "," : "", t.data[r * units + k]);
    std::printf("]\n");
  }
  return 0;
}
