// Strict reading of JSON objects for the recipe: every field is type- and range-checked, errors
// name the JSON path ("recipe.sampler.step_lr: expected a number, got string"), unknown keys become
// warnings (a newer writer may add fields; a typo should still be visible).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace ebm {

class RecipeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class JsonObject {
 public:
  // Throws RecipeError when `j` is not an object.
  JsonObject(const nlohmann::json& j, std::string path, std::vector<std::string>* warnings);
  // Warns about keys nobody asked for. Call after reading every field.
  void finish();

  bool has(const std::string& key) const;
  const nlohmann::json& raw(const std::string& key);  // marks it used; throws if absent
  std::string path(const std::string& key) const { return path_ + "." + key; }

  std::string str(const std::string& key, const std::string& def, bool required = false, std::size_t max_len = 4096);
  double num(const std::string& key, double def, double lo, double hi, bool required = false);
  std::int64_t integer(const std::string& key, std::int64_t def, std::int64_t lo, std::int64_t hi, bool required = false);
  std::uint64_t uinteger(const std::string& key, std::uint64_t def, bool required = false);
  bool boolean(const std::string& key, bool def);
  std::vector<float> floats(const std::string& key, std::size_t max_len, double lo, double hi);
  std::vector<std::int64_t> ints(const std::string& key, std::size_t max_len, std::int64_t lo, std::int64_t hi);
  // An array (empty when absent); throws when it is present and not an array or longer than max_len.
  const nlohmann::json& array(const std::string& key, std::size_t max_len);

  [[noreturn]] void fail(const std::string& key, const std::string& what) const;

 private:
  const nlohmann::json* find(const std::string& key, bool required);

  const nlohmann::json& j_;
  std::string path_;
  std::vector<std::string>* warnings_;
  std::set<std::string> used_;
};

std::string json_type_name(const nlohmann::json& j);

}  // namespace ebm
