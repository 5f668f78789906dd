#include "keras_io/zip_archive.h"

#include <zip.h>

#include <algorithm>

#include "quiver/limits.h"

namespace quiver::keras_io {
namespace {

std::string normalise_member(std::string name) {
  for (char& c : name) {
    if (c == '\\') c = '/';
  }
  while (name.starts_with("./")) name.erase(0, 2);
  while (name.starts_with("/")) name.erase(0, 1);
  return name;
}

// "../x", "a/../../x": a name that would leave the folder it is extracted to. quiver never
// extracts, but no tool writes such entries into a .keras file: the archive is hostile.
bool escapes(const std::string& normalised) {
  size_t start = 0;
  while (start <= normalised.size()) {
    size_t end = normalised.find('/', start);
    if (end == std::string::npos) end = normalised.size();
    if (normalised.compare(start, end - start, "..") == 0 && end - start == 2) return true;
    start = end + 1;
  }
  return false;
}

std::string zip_message(zip_error_t* error) {
  std::string text = zip_error_strerror(error);
  zip_error_fini(error);
  return text;
}

}  // namespace

void ZipArchive::Closer::operator()(zip* archive) const { zip_discard(archive); }

Result<ZipArchive> ZipArchive::open(std::string bytes) {
  ZipArchive out;
  out.bytes_ = std::make_unique<std::string>(std::move(bytes));
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source =
      zip_source_buffer_create(out.bytes_->data(), out.bytes_->size(), /*freep=*/0, &error);
  if (!source) return corruption("zip: " + zip_message(&error));
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (!archive) {
    zip_source_free(source);
    return corruption("not a readable zip archive (" + zip_message(&error) + ")");
  }
  zip_error_fini(&error);
  out.archive_.reset(archive);
  zip_int64_t count = zip_get_num_entries(archive, 0);
  if (count > limits::kMaxZipEntries) {
    return resource_exhausted("zip archive of " + std::to_string(count) +
                              " entries, more than the limit of " +
                              std::to_string(limits::kMaxZipEntries));
  }
  for (zip_int64_t i = 0; i < count; ++i) {
    const char* name = zip_get_name(archive, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS);
    if (!name) return corruption("zip entry #" + std::to_string(i) + " has no readable name");
    std::string normalised = normalise_member(name);
    if (escapes(normalised)) {
      return corruption("zip entry '" + std::string(name) + "' points outside the archive (..)");
    }
    if (out.index_.emplace(normalised, static_cast<uint64_t>(i)).second) {
      out.order_.push_back(normalised);
    }
  }
  return out;
}

std::vector<std::string> ZipArchive::names() const { return order_; }

bool ZipArchive::contains(const std::string& name) const {
  return index_.count(normalise_member(name)) > 0;
}

Result<std::string> ZipArchive::read(const std::string& name, uint64_t max_bytes) const {
  auto it = index_.find(normalise_member(name));
  if (it == index_.end()) return not_found("'" + name + "' missing from the archive");
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(archive_.get(), it->second, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
    return corruption("'" + name + "': unreadable zip entry");
  }
  if (st.size > max_bytes) {
    return resource_exhausted("'" + name + "': " + std::to_string(st.size) + " bytes exceeds " +
                              std::to_string(max_bytes));
  }
  // A zip bomb: more than deflate's ~1030:1 can honestly give (plus slack for tiny entries).
  constexpr uint64_t kSlackBytes = 1 << 20;
  const uint64_t compressed = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : bytes_->size();
  if (st.size > std::min<uint64_t>(compressed, bytes_->size()) * limits::kMaxZipRatio +
                    kSlackBytes) {
    return resource_exhausted("'" + name + "': declares " + std::to_string(st.size) +
                              " bytes from " + std::to_string(compressed) +
                              " compressed, more than " + std::to_string(limits::kMaxZipRatio) +
                              " times (a zip bomb?)");
  }
  zip_file_t* file = zip_fopen_index(archive_.get(), it->second, 0);
  if (!file) {
    return corruption("'" + name + "': " + zip_strerror(archive_.get()));
  }
  // Grown as bytes arrive (never more than declared), so a size the entry does not hold
  // is never allocated up front.
  constexpr uint64_t kChunk = uint64_t{1} << 24;
  std::string data;
  uint64_t got = 0;
  while (got < st.size) {
    data.resize(std::min(st.size, got + kChunk));
    zip_int64_t n = zip_fread(file, data.data() + got, data.size() - got);
    if (n <= 0) break;
    got += static_cast<uint64_t>(n);
  }
  data.resize(got);
  // A short read or a CRC mismatch (reported by the final zip_fread) is damage.
  char extra;
  bool trailing = got == st.size && st.size > 0 && zip_fread(file, &extra, 1) != 0;
  std::string why = zip_file_strerror(file);
  zip_fclose(file);
  if (got != st.size || trailing) {
    return corruption("'" + name + "': damaged zip entry (" + why + ")");
  }
  return data;
}

}  // namespace quiver::keras_io
