// LabelSchema: what each slot of a model's label vector means, so tools can build widgets for it
// (a 2-D pad for position, sliders for continuous slots, swatches for one-hot colour) and validate
// labels typed on the command line.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace ebm {

enum class SlotKind { Continuous, OneHot };

struct LabelSlot {
  std::string name;   // "x", "y", "size", "box", "red" …
  SlotKind kind = SlotKind::Continuous;
  float min = 0.f, max = 1.f;  // range of a continuous slot; one-hot slots are 0/1
  std::string rgb;             // optional "#rrggbb" swatch for colour one-hot slots
};

struct LabelSchema {
  std::string concept_name;  // "position", "size", "shape", "color", "attribute", "custom"
  std::vector<LabelSlot> slots;
  // One-hot schemas: the slot a new term starts on (the count concept's is "one object", what a
  // composition asks of it); stored as "default" in the schema JSON when not 0.
  int default_slot = 0;

  int size() const { return static_cast<int>(slots.size()); }
  bool one_hot() const { return !slots.empty() && slots.front().kind == SlotKind::OneHot; }
  // Throws std::invalid_argument when `label` does not fit (wrong length, out of range, not one-hot).
  void validate(const std::vector<float>& label) const;
  std::vector<float> default_label() const;  // one-hot: default_slot; continuous: each slot's midpoint

  // The original cubes concepts (spec §6 "Cubes labels").
  static LabelSchema cubes_position();  // [x, y] in [-1, 1]
  static LabelSchema cubes_size();      // [size] in [0.3, 0.7]
  static LabelSchema cubes_shape();     // one-hot box, sphere, cylinder
  static LabelSchema cubes_color();     // one-hot over the 20 fixed colours
  // Ours, not the original's: how many objects a scene holds, one-hot none, one, two (a model of
  // it, ANDed into a composition, asks for exactly one object: docs/training.md "The count concept").
  static LabelSchema cubes_count();
  static LabelSchema celeba_attribute(const std::string& attr);  // one-hot [absent, present]
  static LabelSchema generic(int size);  // continuous slots l0..l{n-1} in [-1, 1]
  // The schema the original would use for a cubes label size (2→position, 1→size, 3→shape, 20→color).
  static LabelSchema for_label_size(int size);
};

void to_json(nlohmann::json& j, const LabelSchema& s);
void from_json(const nlohmann::json& j, LabelSchema& s);

}  // namespace ebm
