#include "descent/train/history.hpp"

#include <charconv>
#include <cstdio>
#include <cmath>
#include <limits>

#include "data/io.hpp"
#include "descent/error.hpp"

namespace descent::train {

namespace fs = std::filesystem;

// --- Metrics -------------------------------------------------------------------------------

Metrics::Metrics(std::initializer_list<std::pair<std::string, double>> items) {
  for (const auto& [name, value] : items) set(name, value);
}

void Metrics::set(const std::string& name, double value) {
  for (auto& item : items_)
    if (item.first == name) {
      item.second = value;
      return;
    }
  items_.emplace_back(name, value);
}

const double* Metrics::find(const std::string& name) const {
  for (const auto& item : items_)
    if (item.first == name) return &item.second;
  return nullptr;
}

double Metrics::at(const std::string& name) const {
  const double* value = find(name);
  DESCENT_CHECK(value, "Metrics", "no metric \"", name, "\" (have: ", names(), ")");
  return *value;
}

std::string Metrics::names() const {
  std::string out;
  for (const auto& item : items_) out += (out.empty() ? "" : ", ") + item.first;
  return out.empty() ? "none" : out;
}

// --- History -------------------------------------------------------------------------------

void History::add(std::size_t epoch, Metrics metrics) { epochs_.push_back({epoch, std::move(metrics)}); }

const EpochRecord& History::back() const {
  DESCENT_CHECK(!epochs_.empty(), "History", "no epochs recorded");
  return epochs_.back();
}

std::vector<std::string> History::names() const {
  std::vector<std::string> names;
  for (const auto& record : epochs_)
    for (const auto& item : record.metrics) {
      bool seen = false;
      for (const auto& name : names) seen = seen || name == item.first;
      if (!seen) names.push_back(item.first);
    }
  return names;
}

std::vector<double> History::values(const std::string& name) const {
  std::vector<double> values;
  for (const auto& record : epochs_) {
    const double* value = record.metrics.find(name);
    values.push_back(value ? *value : std::numeric_limits<double>::quiet_NaN());
  }
  return values;
}

namespace {

/// The shortest text that reads back as the same double.
std::string shortest(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string csv_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return shortest(value);
}

/// A CSV field, quoted if it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string json_number(double value) { return std::isfinite(value) ? shortest(value) : "null"; }

}  // namespace

std::string History::to_csv() const {
  const std::vector<std::string> columns = names();
  std::string out = "epoch";
  for (const auto& name : columns) {
    out += ',';
    out += csv_field(name);
  }
  out += "\n";
  for (const auto& record : epochs_) {
    out += std::to_string(record.epoch);
    for (const auto& name : columns) {
      const double* value = record.metrics.find(name);
      out += ',';
      if (value) out += csv_number(*value);
    }
    out += "\n";
  }
  return out;
}

std::string History::to_json() const {
  std::string out = "{\"epochs\": [";
  for (std::size_t i = 0; i < epochs_.size(); ++i) {
    out += i ? ",\n  {" : "\n  {";
    out += "\"epoch\": " + std::to_string(epochs_[i].epoch);
    for (const auto& [name, value] : epochs_[i].metrics) out += ", " + json_string(name) + ": " + json_number(value);
    out += "}";
  }
  out += epochs_.empty() ? "]}\n" : "\n]}\n";
  return out;
}

void History::write_csv(const fs::path& path) const { detail::write_file(path, to_csv(), "History.write_csv"); }

void History::write_json(const fs::path& path) const { detail::write_file(path, to_json(), "History.write_json"); }

}  // namespace descent::train
