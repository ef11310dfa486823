#include "models/label_schema.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace ebm {

namespace {
// The 20 fixed colours of our procedural cubes (engine/data). The original drew 20 names from an
// unseeded shuffle of pygame's colours, so its index→colour mapping cannot be recovered; ours is fixed.
struct NamedColor { const char* name; const char* rgb; };
constexpr NamedColor kCubesColors[20] = {
    {"red", "#e6194b"},    {"green", "#3cb44b"},  {"yellow", "#ffe119"}, {"blue", "#4363d8"},
    {"orange", "#f58231"}, {"purple", "#911eb4"}, {"cyan", "#42d4f4"},   {"magenta", "#f032e6"},
    {"lime", "#bfef45"},   {"pink", "#fabed4"},   {"teal", "#469990"},   {"lavender", "#dcbeff"},
    {"brown", "#9a6324"},  {"beige", "#fffac8"},  {"maroon", "#800000"}, {"mint", "#aaffc3"},
    {"olive", "#808000"},  {"apricot", "#ffd8b1"}, {"navy", "#000075"},  {"grey", "#a9a9a9"}};

LabelSlot continuous(std::string name, float lo, float hi) { return {std::move(name), SlotKind::Continuous, lo, hi, {}}; }
LabelSlot one_hot_slot(std::string name, std::string rgb = {}) { return {std::move(name), SlotKind::OneHot, 0.f, 1.f, std::move(rgb)}; }
}  // namespace

void LabelSchema::validate(const std::vector<float>& label) const {
  if (static_cast<int>(label.size()) != size()) {
    std::ostringstream os;
    os << "label has " << label.size() << " values but the " << concept_name << " schema has " << size()
       << " slots";
    throw std::invalid_argument(os.str());
  }
  for (size_t i = 0; i < label.size(); ++i) {
    if (!std::isfinite(label[i]))
      throw std::invalid_argument("label slot '" + slots[i].name + "' is not a finite number");
  }
  if (one_hot()) {
    float sum = 0.f;
    for (float v : label) {
      if (v < 0.f || v > 1.f)
        throw std::invalid_argument("one-hot " + concept_name + " label values must be in [0, 1]");
      sum += v;
    }
    // Soft mixtures (e.g. 0.5 red + 0.5 blue) are a legitimate thing to explore; only their mass is fixed.
    if (std::fabs(sum - 1.f) > 1e-3f)
      throw std::invalid_argument("one-hot " + concept_name + " label must sum to 1 (pick one slot), got " +
                                  std::to_string(sum));
  }
}

std::vector<float> LabelSchema::default_label() const {
  std::vector<float> out(slots.size(), 0.f);
  if (one_hot()) {
    if (!out.empty()) out[static_cast<size_t>(default_slot >= 0 && default_slot < size() ? default_slot : 0)] = 1.f;
    return out;
  }
  for (size_t i = 0; i < slots.size(); ++i) out[i] = 0.5f * (slots[i].min + slots[i].max);
  return out;
}

LabelSchema LabelSchema::cubes_position() { return {"position", {continuous("x", -1, 1), continuous("y", -1, 1)}}; }
LabelSchema LabelSchema::cubes_size() { return {"size", {continuous("size", 0.3f, 0.7f)}}; }
LabelSchema LabelSchema::cubes_shape() { return {"shape", {one_hot_slot("box"), one_hot_slot("sphere"), one_hot_slot("cylinder")}}; }
LabelSchema LabelSchema::cubes_count() {
  LabelSchema s{"count", {one_hot_slot("no object"), one_hot_slot("one object"), one_hot_slot("two objects")}};
  s.default_slot = 1;
  return s;
}
LabelSchema LabelSchema::cubes_color() {
  LabelSchema s{"color", {}};
  for (const auto& c : kCubesColors) s.slots.push_back(one_hot_slot(c.name, c.rgb));
  return s;
}
LabelSchema LabelSchema::celeba_attribute(const std::string& attr) {
  return {"attribute", {one_hot_slot("not " + attr), one_hot_slot(attr)}};
}
LabelSchema LabelSchema::generic(int size) {
  LabelSchema s{"custom", {}};
  for (int i = 0; i < size; ++i) s.slots.push_back(continuous("l" + std::to_string(i), -1, 1));
  return s;
}
LabelSchema LabelSchema::for_label_size(int size) {
  switch (size) {
    case 1: return cubes_size();
    case 2: return cubes_position();
    case 3: return cubes_shape();
    case 20: return cubes_color();
    default: return generic(size);
  }
}

void to_json(nlohmann::json& j, const LabelSchema& s) {
  j = nlohmann::json{{"concept", s.concept_name}, {"slots", nlohmann::json::array()}};
  for (const auto& sl : s.slots) {
    nlohmann::json o{{"name", sl.name}, {"kind", sl.kind == SlotKind::OneHot ? "one_hot" : "continuous"}};
    if (sl.kind == SlotKind::Continuous) {
      o["min"] = sl.min;
      o["max"] = sl.max;
    }
    if (!sl.rgb.empty()) o["rgb"] = sl.rgb;
    j["slots"].push_back(o);
  }
  if (s.default_slot != 0) j["default"] = s.default_slot;
}

void from_json(const nlohmann::json& j, LabelSchema& s) {
  if (!j.is_object() || !j.contains("slots") || !j.at("slots").is_array())
    throw std::invalid_argument("label schema must be an object with a 'slots' array");
  s.concept_name = j.value("concept", std::string("custom"));
  s.slots.clear();
  if (j.at("slots").size() > 4096) throw std::invalid_argument("label schema has more than 4096 slots");
  for (const auto& o : j.at("slots")) {
    LabelSlot sl;
    sl.name = o.value("name", std::string("l") + std::to_string(s.slots.size()));
    const std::string kind = o.value("kind", std::string("continuous"));
    if (kind == "one_hot") sl.kind = SlotKind::OneHot;
    else if (kind == "continuous") sl.kind = SlotKind::Continuous;
    else throw std::invalid_argument("label slot kind must be 'continuous' or 'one_hot', got '" + kind + "'");
    sl.min = o.value("min", sl.kind == SlotKind::OneHot ? 0.f : -1.f);
    sl.max = o.value("max", 1.f);
    if (!(sl.min <= sl.max)) throw std::invalid_argument("label slot '" + sl.name + "' has min > max");
    sl.rgb = o.value("rgb", std::string());
    s.slots.push_back(std::move(sl));
  }
  s.default_slot = j.value("default", 0);
  if (s.default_slot < 0 || (s.default_slot > 0 && (s.default_slot >= s.size() || !s.one_hot())))
    throw std::invalid_argument("label schema 'default' must name one of its one-hot slots (0 … " +
                                std::to_string(s.size() - 1) + "), got " + std::to_string(s.default_slot));
}

}  // namespace ebm
