#include "engine/recipe/json_reader.h"

#include <cmath>

namespace ebm {

namespace {
const nlohmann::json kEmptyArray = nlohmann::json::array();
}

std::string json_type_name(const nlohmann::json& j) {
  if (j.is_boolean()) return "boolean";
  if (j.is_number()) return "number";
  if (j.is_string()) return "string";
  if (j.is_array()) return "array";
  if (j.is_object()) return "object";
  return "null";
}

JsonObject::JsonObject(const nlohmann::json& j, std::string path, std::vector<std::string>* warnings)
    : j_(j), path_(std::move(path)), warnings_(warnings) {
  if (!j.is_object()) throw RecipeError(path_ + ": expected an object, got " + json_type_name(j));
}

void JsonObject::finish() {
  for (auto it = j_.begin(); it != j_.end(); ++it)
    if (!used_.count(it.key()) && warnings_)
      warnings_->push_back(path_ + "." + it.key() + ": unknown key, ignored (check its spelling)");
}

void JsonObject::fail(const std::string& key, const std::string& what) const { throw RecipeError(path(key) + ": " + what); }

bool JsonObject::has(const std::string& key) const { return j_.contains(key); }

const nlohmann::json* JsonObject::find(const std::string& key, bool required) {
  used_.insert(key);
  auto it = j_.find(key);
  if (it == j_.end()) {
    if (required) fail(key, "missing (required)");
    return nullptr;
  }
  return &*it;
}

const nlohmann::json& JsonObject::raw(const std::string& key) { return *find(key, true); }

std::string JsonObject::str(const std::string& key, const std::string& def, bool required, std::size_t max_len) {
  const auto* v = find(key, required);
  if (!v) return def;
  if (!v->is_string()) fail(key, "expected a string, got " + json_type_name(*v));
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_len) fail(key, "longer than " + std::to_string(max_len) + " characters");
  return s;
}

double JsonObject::num(const std::string& key, double def, double lo, double hi, bool required) {
  const auto* v = find(key, required);
  if (!v) return def;
  if (!v->is_number()) fail(key, "expected a number, got " + json_type_name(*v));
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < lo || d > hi)
    fail(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(d));
  return d;
}

std::int64_t JsonObject::integer(const std::string& key, std::int64_t def, std::int64_t lo, std::int64_t hi,
                                 bool required) {
  const auto* v = find(key, required);
  if (!v) return def;
  if (!v->is_number_integer()) fail(key, "expected an integer, got " + (v->is_number() ? std::string("a fraction") : json_type_name(*v)));
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(hi))
    fail(key, "must be at most " + std::to_string(hi));
  const auto i = v->get<std::int64_t>();
  if (i < lo || i > hi) fail(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(i));
  return i;
}

std::uint64_t JsonObject::uinteger(const std::string& key, std::uint64_t def, bool required) {
  const auto* v = find(key, required);
  if (!v) return def;
  if (v->is_number_unsigned()) return v->get<std::uint64_t>();
  if (v->is_number_integer()) fail(key, "must not be negative");
  fail(key, "expected a non-negative integer, got " + json_type_name(*v));
}

bool JsonObject::boolean(const std::string& key, bool def) {
  const auto* v = find(key, false);
  if (!v) return def;
  if (!v->is_boolean()) fail(key, "expected true or false, got " + json_type_name(*v));
  return v->get<bool>();
}

const nlohmann::json& JsonObject::array(const std::string& key, std::size_t max_len) {
  const auto* v = find(key, false);
  if (!v) return kEmptyArray;
  if (!v->is_array()) fail(key, "expected an array, got " + json_type_name(*v));
  if (v->size() > max_len) fail(key, "has " + std::to_string(v->size()) + " entries, at most " + std::to_string(max_len) + " allowed");
  return *v;
}

std::vector<float> JsonObject::floats(const std::string& key, std::size_t max_len, double lo, double hi) {
  const auto& a = array(key, max_len);
  std::vector<float> out;
  out.reserve(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string k = key + "[" + std::to_string(i) + "]";
    if (!a[i].is_number()) fail(k, "expected a number, got " + json_type_name(a[i]));
    const double d = a[i].get<double>();
    if (!std::isfinite(d) || d < lo || d > hi)
      fail(k, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(d));
    out.push_back(static_cast<float>(d));
  }
  return out;
}

std::vector<std::int64_t> JsonObject::ints(const std::string& key, std::size_t max_len, std::int64_t lo, std::int64_t hi) {
  const auto& a = array(key, max_len);
  std::vector<std::int64_t> out;
  out.reserve(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string k = key + "[" + std::to_string(i) + "]";
    if (!a[i].is_number_integer()) fail(k, "expected an integer, got " + json_type_name(a[i]));
    const auto v = a[i].get<std::int64_t>();
    if (v < lo || v > hi) fail(k, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    out.push_back(v);
  }
  return out;
}

}  // namespace ebm
