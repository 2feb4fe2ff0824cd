#include "descent/io/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "data/io.hpp"
#include "descent/autograd/grad_mode.hpp"
#include "descent/data/npy.hpp"
#include "descent/error.hpp"
#include "descent/nn/module.hpp"
#include "descent/optim/optimizer.hpp"

namespace descent::io {

namespace {

using Arrays = std::vector<std::pair<std::string, Tensor>>;

// --- writing -------------------------------------------------------------------------------

/// The bytes of an NPZ archive holding `arrays` as "<name>.npy", stored uncompressed like numpy.savez.
std::string build_npz(const Arrays& arrays, const std::string& file) {
  std::unordered_set<std::string> names;
  for (const auto& [name, value] : arrays) {
    DESCENT_CHECK(!name.empty(), "save", file, ": an array has an empty name");
    DESCENT_CHECK(names.insert(name).second, "save", file, ": two arrays are named ", name);
    DESCENT_CHECK(value.defined(), "save", file, ": ", name, " is an undefined tensor");
  }
  // libzip writes nothing at all for an empty archive; numpy.savez writes the end record alone.
  if (arrays.empty()) return std::string("PK\x05\x06", 4) + std::string(18, '\0');

  std::vector<std::string> members;  // must outlive zip_close
  members.reserve(arrays.size());
  for (const auto& [name, value] : arrays) members.push_back(data::serialize_npy(value.detach()));

  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  DESCENT_CHECK(buffer != nullptr, "save", file, ": cannot create the archive (", zip_error_strerror(&error), ")");
  zip_source_keep(buffer);
  std::unique_ptr<zip_source_t, void (*)(zip_source_t*)> owned(buffer, zip_source_free);
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  DESCENT_CHECK(archive != nullptr, "save", file, ": cannot create the archive (", zip_error_strerror(&error), ")");
  const auto fail = [&](const std::string& what) {
    const std::string message = detail::concat("save: ", file, ": ", what, " (", zip_strerror(archive), ")");
    zip_discard(archive);
    throw Error(message);
  };
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    zip_source_t* member = zip_source_buffer(archive, members[i].data(), members[i].size(), 0);
    if (member == nullptr) fail("cannot add " + arrays[i].first);
    const zip_int64_t index = zip_file_add(archive, (arrays[i].first + ".npy").c_str(), member, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(member);
      fail("cannot add " + arrays[i].first);
    }
    if (zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) < 0)
      fail("cannot store " + arrays[i].first);
  }
  if (zip_close(archive) < 0) fail("cannot write the archive");

  // The archive is now the buffer's contents.
  zip_stat_t stat;
  zip_stat_init(&stat);
  std::string bytes;
  bool ok = zip_source_stat(buffer, &stat) == 0 && (stat.valid & ZIP_STAT_SIZE) && zip_source_open(buffer) == 0;
  if (ok) {
    bytes.resize(static_cast<std::size_t>(stat.size));
    ok = zip_source_read(buffer, bytes.data(), stat.size) == static_cast<zip_int64_t>(stat.size);
    zip_source_close(buffer);
  }
  DESCENT_CHECK(ok, "save", file, ": cannot read back the archive built in memory");
  return bytes;
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same folder, written, fsync'ed
/// and renamed over it. On failure the temporary is removed and `path` is left as it was.
void write_atomically(const std::filesystem::path& path, const std::string& bytes) {
  const std::string file = path.string();
  std::string temporary = file + ".tmp-XXXXXX";
  const int fd = mkstemp(temporary.data());
  DESCENT_CHECK(fd >= 0, "save", file, ": cannot create a temporary file next to it (", std::strerror(errno), ")");
  const auto fail = [&](const char* what, int code) {
    ::close(fd);
    ::unlink(temporary.c_str());
    throw Error(detail::concat("save: ", file, ": ", what, " (", std::strerror(code), ")"));
  };
  // mkstemp creates the file with mode 0600; give it the mode an ordinary new file gets.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd, 0666 & ~mask) != 0) fail("cannot set the permissions of the temporary file", errno);
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t wrote = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) fail("cannot write the temporary file", wrote < 0 ? errno : EIO);
    done += static_cast<std::size_t>(wrote);
  }
  if (::fsync(fd) != 0) fail("cannot flush the temporary file to disk", errno);
  if (::close(fd) != 0) {
    const int code = errno;
    ::unlink(temporary.c_str());
    throw Error(detail::concat("save: ", file, ": cannot close the temporary file (", std::strerror(code), ")"));
  }
  if (std::rename(temporary.c_str(), file.c_str()) != 0) {
    const int code = errno;
    ::unlink(temporary.c_str());
    throw Error(detail::concat("save: ", file, ": cannot replace it (", std::strerror(code), ")"));
  }
  // Make the rename itself durable (best effort: some file systems refuse fsync on a folder).
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

// --- reading -------------------------------------------------------------------------------

/// The arrays of an NPZ archive in memory (stored or deflated members), named without ".npy";
/// `file` names the archive in error messages.
Arrays read_npz(std::string_view bytes, const std::string& file) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  DESCENT_CHECK(source != nullptr, "load", file, ": cannot read the archive (", zip_error_strerror(&error), ")");
  zip_t* opened = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (opened == nullptr) {
    zip_source_free(source);
    const std::string message = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw Error(detail::concat("load: ", file, ": not a valid NPZ (zip) archive (", message, ")"));
  }
  std::unique_ptr<zip_t, void (*)(zip_t*)> archive(opened, zip_discard);

  Arrays arrays;
  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    const auto index = static_cast<zip_uint64_t>(i);
    zip_stat_t stat;
    DESCENT_CHECK(zip_stat_index(archive.get(), index, 0, &stat) == 0 && (stat.valid & ZIP_STAT_NAME) &&
                      (stat.valid & ZIP_STAT_SIZE),
                  "load", file, ": cannot read member ", i, " (", zip_strerror(archive.get()), ")");
    const std::string member = stat.name;
    if (!member.empty() && member.back() == '/') continue;  // a folder entry
    DESCENT_CHECK(member.size() > 4 && member.ends_with(".npy"), "load", file, ": member ", member,
                  " is not a .npy array");
    std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> entry(zip_fopen_index(archive.get(), index, 0), zip_fclose);
    DESCENT_CHECK(entry != nullptr, "load", file, ": cannot open member ", member, " (", zip_strerror(archive.get()),
                  ")");
    // The content grows with what the member really holds, up to its stated size: the size
    // field alone could claim gigabytes in a tiny archive.
    std::string content;
    for (;;) {
      const std::size_t done = content.size();
      const std::size_t want = static_cast<std::size_t>(std::min<zip_uint64_t>(stat.size - done, 1u << 20));
      if (want == 0) break;
      content.resize(done + want);
      const zip_int64_t got = zip_fread(entry.get(), content.data() + done, want);
      DESCENT_CHECK(got > 0, "load", file, ": member ", member, " is corrupt or truncated (",
                    got < 0 ? zip_file_strerror(entry.get()) : "unexpected end of data", ")");
      content.resize(done + static_cast<std::size_t>(got));
    }
    char probe;  // reading past the end is when libzip checks the CRC
    const zip_int64_t extra = zip_fread(entry.get(), &probe, 1);
    DESCENT_CHECK(extra == 0, "load", file, ": member ", member, " is corrupt (",
                  extra < 0 ? zip_file_strerror(entry.get()) : "longer than its stated size", ")");
    try {
      arrays.emplace_back(member.substr(0, member.size() - 4), data::parse_npy(content, member));
    } catch (const Error& e) {
      throw Error(detail::concat("load: ", file, ": ", e.what()));
    }
  }
  return arrays;
}

}  // namespace

// --- modules -------------------------------------------------------------------------------

void save(const nn::Module& module, const std::filesystem::path& path) {
  write_atomically(path, build_npz(module.named_parameters(), path.string()));
}

namespace {

/// Copies `arrays` (from the archive `file`) into the parameters of `module`.
void load_arrays(nn::Module& module, const Arrays& arrays, const std::string& file) {
  std::unordered_map<std::string, Tensor> by_name(arrays.begin(), arrays.end());
  auto params = module.named_parameters();

  std::vector<std::string> missing, unexpected, problems;
  std::unordered_set<std::string> known;
  for (const auto& [name, param] : params) {
    known.insert(name);
    const auto found = by_name.find(name);
    if (found == by_name.end()) {
      missing.push_back(name);
      continue;
    }
    const Tensor& value = found->second;
    if (value.shape() != param.shape())
      problems.push_back(detail::concat(name, " has shape ", to_string(value.shape()), " in the file, the model has ",
                                        to_string(param.shape())));
    if (value.dtype() != param.dtype())
      problems.push_back(detail::concat(name, " has dtype ", to_string(value.dtype()), " in the file, the model has ",
                                        to_string(param.dtype())));
  }
  for (const auto& [name, value] : arrays)
    if (!known.count(name)) unexpected.push_back(name);
  std::string message;
  const auto list = [&](const char* what, const std::vector<std::string>& names) {
    if (names.empty()) return;
    message += (message.empty() ? "" : "; ") + std::string(what);
    for (std::size_t i = 0; i < names.size(); ++i) message += (i ? ", " : " ") + names[i];
  };
  list("missing:", missing);
  list("unexpected:", unexpected);
  for (const std::string& problem : problems) message += (message.empty() ? "" : "; ") + problem;
  DESCENT_CHECK(message.empty(), "load", file, ": the checkpoint does not fit the model (", message, ")");

  NoGradGuard no_grad;
  for (auto& [name, param] : params) param.copy_(by_name.at(name));
}

/// Restores `arrays` (from the archive `file`) into `optimizer`.
void load_arrays(optim::Optimizer& optimizer, const Arrays& arrays, const std::string& file) {
  try {
    optimizer.load_state_tensors(arrays);
  } catch (const Error& e) {
    throw Error(detail::concat("load: ", file, ": ", e.what()));
  }
}

}  // namespace

void load(nn::Module& module, const std::filesystem::path& path) {
  const std::string file = path.string();
  load_arrays(module, read_npz(detail::read_bytes(path, "load"), file), file);
}

void load_from_memory(nn::Module& module, std::string_view npz, const std::string& name) {
  load_arrays(module, read_npz(npz, name), name);
}

// --- optimizers ----------------------------------------------------------------------------

void save(const optim::Optimizer& optimizer, const std::filesystem::path& path) {
  Arrays arrays;
  try {
    arrays = optimizer.state_tensors();
  } catch (const Error& e) {
    throw Error(detail::concat("save: ", path.string(), ": ", e.what()));
  }
  write_atomically(path, build_npz(arrays, path.string()));
}

void load(optim::Optimizer& optimizer, const std::filesystem::path& path) {
  const std::string file = path.string();
  load_arrays(optimizer, read_npz(detail::read_bytes(path, "load"), file), file);
}

void load_from_memory(optim::Optimizer& optimizer, std::string_view npz, const std::string& name) {
  load_arrays(optimizer, read_npz(npz, name), name);
}

}  // namespace descent::io
