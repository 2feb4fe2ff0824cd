#include "descent/io/checkpoint.hpp"

#include <sys/stat.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "data/io.hpp"
#include "data/npy_format.hpp"
#include "descent/autograd/grad_mode.hpp"
#include "descent/data/dataloader.hpp"
#include "descent/error.hpp"
#include "descent/nn/module.hpp"
#include "descent/optim/optimizer.hpp"

namespace descent::io {

namespace {

using Arrays = std::vector<std::pair<std::string, Tensor>>;

/// Runs `f` for a libzip callback, which must not throw through libzip's C code: the first
/// exception is kept in `failure` to be rethrown after zip_close, and the callback fails.
template <class F> zip_int64_t guarded(std::exception_ptr& failure, zip_error_t& error, int code, F&& f) {
  try {
    return f();
  } catch (...) {
    if (!failure) failure = std::current_exception();
    zip_error_set(&error, code, 0);
    return -1;
  }
}

// --- writing -------------------------------------------------------------------------------
// libzip pulls each member's bytes from a source and pushes the archive's bytes into another, both
// callbacks of ours: the arrays go from their own memory to the file, the archive is never in memory.

/// Where libzip writes the archive: a new temporary file, renamed over the target once complete.
struct Output {
  detail::AtomicFile file;
  zip_error_t error;
  std::exception_ptr failure;  // the first error of a callback (the output's or a member's)

  Output(const std::filesystem::path& path) : file(path, "save") { zip_error_init(&error); }
  ~Output() { zip_error_fini(&error); }
};

zip_int64_t write_output(void* state, void* data, zip_uint64_t length, zip_source_cmd_t command) {
  auto& out = *static_cast<Output*>(state);
  return guarded(out.failure, out.error, ZIP_ER_WRITE, [&]() -> zip_int64_t {
    switch (command) {
      case ZIP_SOURCE_SUPPORTS: return ZIP_SOURCE_SUPPORTS_WRITABLE;
      case ZIP_SOURCE_STAT: {  // a new, empty archive
        auto* stat = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, length, &out.error);
        if (stat == nullptr) return -1;
        zip_stat_init(stat);
        stat->valid |= ZIP_STAT_SIZE;
        stat->size = 0;
        return 0;
      }
      case ZIP_SOURCE_WRITE:
        out.file.write(data, static_cast<std::size_t>(length));
        return static_cast<zip_int64_t>(length);
      case ZIP_SOURCE_SEEK_WRITE: {
        auto* seek = ZIP_SOURCE_GET_ARGS(zip_source_args_seek_t, data, length, &out.error);
        if (seek == nullptr) return -1;
        out.file.seek(seek->offset, seek->whence);
        return 0;
      }
      case ZIP_SOURCE_TELL_WRITE: return static_cast<zip_int64_t>(out.file.tell());
      case ZIP_SOURCE_ERROR: return zip_error_to_data(&out.error, data, length);
      // Nothing to read from a new archive; committing and removing are the AtomicFile's.
      case ZIP_SOURCE_OPEN:
      case ZIP_SOURCE_READ:
      case ZIP_SOURCE_CLOSE:
      case ZIP_SOURCE_SEEK:
      case ZIP_SOURCE_TELL:
      case ZIP_SOURCE_BEGIN_WRITE:
      case ZIP_SOURCE_COMMIT_WRITE:
      case ZIP_SOURCE_ROLLBACK_WRITE:
      case ZIP_SOURCE_REMOVE:
      case ZIP_SOURCE_FREE: return 0;
      default: zip_error_set(&out.error, ZIP_ER_OPNOTSUPP, 0); return -1;
    }
  });
}

/// One array as a member "<name>.npy": its .npy header, then the tensor's own bytes (a copy only
/// while it is written if they are not contiguous).
struct Member {
  Tensor value;
  std::string header;
  std::size_t data_bytes;
  Tensor data;  // while libzip reads the member
  std::size_t at = 0;
  Output* out;
  zip_error_t error;

  Member(const Tensor& v, Output& o)
      : value(v.detach()), header(data::npy_header(value)), data_bytes(value.numel() * element_size(value.dtype())),
        out(&o) {
    zip_error_init(&error);
  }
  ~Member() { zip_error_fini(&error); }
  Member(const Member&) = delete;
  Member& operator=(const Member&) = delete;
};

zip_int64_t read_member(void* state, void* data, zip_uint64_t length, zip_source_cmd_t command) {
  auto& m = *static_cast<Member*>(state);
  return guarded(m.out->failure, m.error, ZIP_ER_READ, [&]() -> zip_int64_t {
    switch (command) {
      case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                              ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
      case ZIP_SOURCE_OPEN:
        m.data = data::npy_data(m.value);
        m.at = 0;
        return 0;
      case ZIP_SOURCE_READ: {  // the header's bytes, then the data's
        const std::size_t total = m.header.size() + m.data_bytes;
        auto* out = static_cast<char*>(data);
        std::size_t n = 0;
        while (n < length && m.at < total) {
          const bool in_header = m.at < m.header.size();
          const char* from = in_header ? m.header.data() + m.at
                                       : static_cast<const char*>(m.data.impl().data) + (m.at - m.header.size());
          const std::size_t piece =
              std::min<std::size_t>((in_header ? m.header.size() : total) - m.at, static_cast<std::size_t>(length) - n);
          std::memcpy(out + n, from, piece);
          n += piece;
          m.at += piece;
        }
        return static_cast<zip_int64_t>(n);
      }
      case ZIP_SOURCE_CLOSE: m.data = Tensor(); return 0;
      case ZIP_SOURCE_STAT: {
        auto* stat = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, length, &m.error);
        if (stat == nullptr) return -1;
        zip_stat_init(stat);
        stat->valid |= ZIP_STAT_SIZE;
        stat->size = m.header.size() + m.data_bytes;
        return 0;
      }
      case ZIP_SOURCE_ERROR: return zip_error_to_data(&m.error, data, length);
      case ZIP_SOURCE_FREE: return 0;
      default: zip_error_set(&m.error, ZIP_ER_OPNOTSUPP, 0); return -1;
    }
  });
}

/// Writes `arrays` to `path` atomically as an NPZ archive, each as "<name>.npy", stored
/// uncompressed like numpy.savez.
void write_npz(const Arrays& arrays, const std::filesystem::path& path) {
  const std::string file = path.string();
  std::unordered_set<std::string> names;
  for (const auto& [name, value] : arrays) {
    DESCENT_CHECK(!name.empty(), "save", file, ": an array has an empty name");
    DESCENT_CHECK(names.insert(name).second, "save", file, ": two arrays are named ", name);
    DESCENT_CHECK(value.defined(), "save", file, ": ", name, " is an undefined tensor");
  }
  Output out(path);
  if (arrays.empty()) {  // libzip writes nothing at all for an empty archive; numpy.savez the end record alone
    const std::string end_record = std::string("PK\x05\x06", 4) + std::string(18, '\0');
    out.file.write(end_record.data(), end_record.size());
    out.file.commit();
    return;
  }
  std::vector<std::unique_ptr<Member>> members;  // must outlive zip_close
  for (const auto& [name, value] : arrays) members.push_back(std::make_unique<Member>(value, out));

  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* sink = zip_source_function_create(write_output, &out, &error);
  zip_t* archive = sink ? zip_open_from_source(sink, ZIP_TRUNCATE, &error) : nullptr;
  if (archive == nullptr) {
    if (sink) zip_source_free(sink);
    const std::string message = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw Error(detail::concat("save: ", file, ": cannot create the archive (", message, ")"));
  }
  const auto fail = [&](const std::string& what) {
    const std::string message = detail::concat("save: ", file, ": ", what, " (", zip_strerror(archive), ")");
    zip_discard(archive);
    if (out.failure) std::rethrow_exception(out.failure);  // what a callback met says more
    throw Error(message);
  };
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    const std::string& name = arrays[i].first;
    zip_source_t* member = zip_source_function(archive, read_member, members[i].get());
    if (member == nullptr) fail("cannot add " + name);
    const zip_int64_t index = zip_file_add(archive, (name + ".npy").c_str(), member, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(member);
      fail("cannot add " + name);
    }
    if (zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) < 0)
      fail("cannot store " + name);
  }
  if (zip_close(archive) < 0) fail("cannot write the archive");
  if (out.failure) std::rethrow_exception(out.failure);
  out.file.commit();
}

// --- reading -------------------------------------------------------------------------------

/// An NPZ archive (stored or deflated members) opened for reading one member at a time: every
/// member's .npy header is read and checked first, the data only when asked for.
class NpzReader {
 public:
  struct Array {
    std::string name;  // without ".npy"
    zip_uint64_t index;
    std::uint64_t size;  // of the .npy file
    data::NpyHeader header;
  };

  /// The archive `source` holds (`bytes` long); the reader takes `source` over. `file` names the
  /// archive in errors.
  NpzReader(zip_source_t* source, std::uint64_t bytes, const std::string& file) : file_(file) {
    zip_error_t error;
    zip_error_init(&error);
    zip_t* opened = bytes == 0 ? nullptr : zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
    if (opened == nullptr) {
      zip_source_free(source);
      const int code = zip_error_code_zip(&error);
      const std::string message = bytes == 0                  ? "it is empty"
                                  : code == ZIP_ER_NOZIP       ? "no end of central directory record"
                                                               : zip_error_strerror(&error);
      zip_error_fini(&error);
      throw Error(detail::concat("load: ", file, ": not a zip archive (", message, ")"));
    }
    archive_.reset(opened);
    const zip_int64_t count = zip_get_num_entries(opened, 0);
    for (zip_int64_t i = 0; i < count; ++i) {
      const auto index = static_cast<zip_uint64_t>(i);
      zip_stat_t stat;
      DESCENT_CHECK(zip_stat_index(opened, index, 0, &stat) == 0 && (stat.valid & ZIP_STAT_NAME) &&
                        (stat.valid & ZIP_STAT_SIZE) && (stat.valid & ZIP_STAT_COMP_SIZE) &&
                        (stat.valid & ZIP_STAT_COMP_METHOD),
                    "load", file, ": cannot read member ", i, " (", zip_strerror(opened), ")");
      const std::string member = stat.name;
      if (!member.empty() && member.back() == '/') continue;  // a folder entry
      DESCENT_CHECK(member.size() > 4 && member.ends_with(".npy"), "load", file, ": member ", member,
                    " is not a .npy array");
      // The sizes must be possible for the archive's length before a tensor of them is allocated:
      // a size field alone could claim gigabytes in a tiny file. (Deflate expands 1032x at most.)
      const bool stored = stat.comp_method == ZIP_CM_STORE, deflated = stat.comp_method == ZIP_CM_DEFLATE;
      DESCENT_CHECK(stored || deflated, "load", file, ": member ", member, " is compressed with method ",
                    stat.comp_method, " (supported: stored or deflated, what numpy.savez writes)");
      DESCENT_CHECK(stat.comp_size <= bytes && (stored ? stat.size == stat.comp_size
                                                       : stat.size / 1032 <= stat.comp_size + 1),
                    "load", file, ": member ", member, " is corrupt (it claims ", stat.size, " bytes, ",
                    stat.comp_size, " compressed, in an archive of ", bytes, ")");
      Array array{member.substr(0, member.size() - 4), index, stat.size, {}};
      const Entry entry = open(array);
      array.header = data::read_npy_header(reader(entry, array), array.size, "load", where(array));
      arrays_.push_back(std::move(array));
    }
  }

  const std::vector<Array>& arrays() const { return arrays_; }

  /// The values of `array`, its CRC checked.
  Tensor read(const Array& array) const {
    const Entry entry = open(array);
    const data::ReadBytes read = reader(entry, array);
    Tensor value = data::read_npy_data(data::read_npy_header(read, array.size, "load", where(array)), read);
    char probe;  // reading past the end is when libzip checks the CRC
    const zip_int64_t extra = zip_fread(entry.get(), &probe, 1);
    DESCENT_CHECK(extra == 0, "load", file_, ": member ", array.name, ".npy is corrupt (",
                  extra < 0 ? zip_file_strerror(entry.get()) : "longer than its stated size", ")");
    return value;
  }

  /// Every array, in the archive's order.
  Arrays read_all() const {
    Arrays out;
    for (const Array& array : arrays_) out.emplace_back(array.name, read(array));
    return out;
  }

  const std::string& file() const { return file_; }

 private:
  using Entry = std::unique_ptr<zip_file_t, int (*)(zip_file_t*)>;

  std::string where(const Array& array) const { return file_ + ": " + array.name + ".npy"; }

  Entry open(const Array& array) const {
    Entry entry(zip_fopen_index(archive_.get(), array.index, 0), zip_fclose);
    DESCENT_CHECK(entry != nullptr, "load", file_, ": cannot open member ", array.name, ".npy (",
                  zip_strerror(archive_.get()), ")");
    return entry;
  }

  /// The member's bytes as they come, each read checked.
  data::ReadBytes reader(const Entry& entry, const Array& array) const {
    return [this, &entry, &array](void* out, std::size_t size) {
      for (auto* at = static_cast<char*>(out); size > 0;) {
        const zip_int64_t got = zip_fread(entry.get(), at, std::min<std::size_t>(size, std::size_t{1} << 30));
        DESCENT_CHECK(got > 0, "load", file_, ": member ", array.name, ".npy is corrupt or truncated (",
                      got < 0 ? zip_file_strerror(entry.get()) : "unexpected end of data", ")");
        at += got;
        size -= static_cast<std::size_t>(got);
      }
    };
  }

  std::string file_;
  std::unique_ptr<zip_t, void (*)(zip_t*)> archive_{nullptr, zip_discard};
  std::vector<Array> arrays_;
};

/// The archive at `path`, read from the file as needed.
NpzReader open_npz(const std::filesystem::path& path) {
  const std::string file = path.string();
  std::error_code ec;
  DESCENT_CHECK(!std::filesystem::is_directory(path, ec), "load", "cannot read ", file, ": it is a directory");
  std::FILE* in = std::fopen(file.c_str(), "rb");
  DESCENT_CHECK(in != nullptr, "load", "cannot open ", file, " (", std::strerror(errno), ")");
  struct stat about;
  if (::fstat(::fileno(in), &about) != 0) {
    const int code = errno;
    std::fclose(in);
    throw Error(detail::concat("load: cannot read ", file, " (", std::strerror(code), ")"));
  }
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_filep_create(in, 0, -1, &error);
  if (source == nullptr) {
    std::fclose(in);
    const std::string message = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw Error(detail::concat("load: ", file, ": cannot read the archive (", message, ")"));
  }
  return NpzReader(source, static_cast<std::uint64_t>(about.st_size), file);
}

/// The archive in `bytes` (which must outlive it).
NpzReader open_npz(std::string_view bytes, const std::string& name) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  DESCENT_CHECK(source != nullptr, "load", name, ": cannot read the archive (", zip_error_strerror(&error), ")");
  return NpzReader(source, bytes.size(), name);
}

}  // namespace

// --- modules -------------------------------------------------------------------------------

void save(const nn::Module& module, const std::filesystem::path& path) { write_npz(module.state_dict(), path); }

namespace {

/// Copies the arrays of `archive` into the parameters and buffers of `module`, once every header fits and
/// every array has been read: a failed load changes nothing.
void load_arrays(nn::Module& module, const NpzReader& archive) {
  std::unordered_map<std::string, const NpzReader::Array*> by_name;
  for (const auto& array : archive.arrays()) by_name.emplace(array.name, &array);
  auto params = module.state_dict();

  std::vector<std::string> missing, unexpected, problems;
  std::unordered_set<std::string> known;
  for (const auto& [name, param] : params) {
    known.insert(name);
    const auto found = by_name.find(name);
    if (found == by_name.end()) {
      missing.push_back(name);
      continue;
    }
    const data::NpyHeader& value = found->second->header;
    if (value.shape != param.shape())
      problems.push_back(detail::concat(name, " has shape ", to_string(value.shape), " in the file, the model has ",
                                        to_string(param.shape())));
    if (value.dtype != param.dtype())
      problems.push_back(detail::concat(name, " has dtype ", to_string(value.dtype), " in the file, the model has ",
                                        to_string(param.dtype())));
  }
  for (const auto& array : archive.arrays())
    if (!known.count(array.name)) unexpected.push_back(array.name);
  std::string message;
  const auto list = [&](const char* what, const std::vector<std::string>& names) {
    if (names.empty()) return;
    message += (message.empty() ? "" : "; ") + std::string(what);
    for (std::size_t i = 0; i < names.size(); ++i) message += (i ? ", " : " ") + names[i];
  };
  list("missing:", missing);
  list("unexpected:", unexpected);
  for (const std::string& problem : problems) message += (message.empty() ? "" : "; ") + problem;
  DESCENT_CHECK(message.empty(), "load", archive.file(), ": the checkpoint does not fit the model (", message, ")");

  // Read into new tensors, so that a corrupt array found late changes nothing either: one more
  // model's worth of memory at most, never the whole archive.
  std::vector<Tensor> values;
  values.reserve(params.size());
  for (const auto& [name, param] : params) values.push_back(archive.read(*by_name.at(name)));
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < params.size(); ++i) params[i].second.copy_(values[i]);
}

/// Restores the arrays of `archive` into an optimizer or a DataLoader (their load_state_tensors).
template <class Stateful> void load_arrays(Stateful& target, const NpzReader& archive) {
  const Arrays arrays = archive.read_all();
  try {
    target.load_state_tensors(arrays);
  } catch (const Error& e) {
    throw Error(detail::concat("load: ", archive.file(), ": ", e.what()));
  }
}

}  // namespace

void load(nn::Module& module, const std::filesystem::path& path) { load_arrays(module, open_npz(path)); }

void load_from_memory(nn::Module& module, std::string_view npz, const std::string& name) {
  load_arrays(module, open_npz(npz, name));
}

// --- optimizers ----------------------------------------------------------------------------

void save(const optim::Optimizer& optimizer, const std::filesystem::path& path) {
  Arrays arrays;
  try {
    arrays = optimizer.state_tensors();
  } catch (const Error& e) {
    throw Error(detail::concat("save: ", path.string(), ": ", e.what()));
  }
  write_npz(arrays, path);
}

void load(optim::Optimizer& optimizer, const std::filesystem::path& path) { load_arrays(optimizer, open_npz(path)); }

void load_from_memory(optim::Optimizer& optimizer, std::string_view npz, const std::string& name) {
  load_arrays(optimizer, open_npz(npz, name));
}

// --- data loaders --------------------------------------------------------------------------

void save(const data::DataLoader& loader, const std::filesystem::path& path) { write_npz(loader.state_tensors(), path); }

void load(data::DataLoader& loader, const std::filesystem::path& path) { load_arrays(loader, open_npz(path)); }

void load_from_memory(data::DataLoader& loader, std::string_view npz, const std::string& name) {
  load_arrays(loader, open_npz(npz, name));
}

}  // namespace descent::io
