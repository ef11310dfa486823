// Schema → widgets: which controls the Composition panel draws for a model's label (pure logic, so
// the choice is unit-tested without a window). A concept with an "x" and a "y" continuous slot gets a
// 2-D pad, other continuous slots get sliders, one-hot slots with colours get swatches, other one-hot
// slots get radio buttons.
#pragma once

#include "models/label_schema.h"

#include <vector>

namespace ebm::studio {

enum class WidgetKind { Pad2D, Slider, Swatches, Radio };

struct LabelWidget {
  WidgetKind kind = WidgetKind::Slider;
  std::vector<int> slots;  // Pad2D: {x, y}; Slider: {i}; Swatches/Radio: every slot of the group
};

std::vector<LabelWidget> widgets_for(const LabelSchema& schema);

// Sets a one-hot label to exactly `index` (other slots 0). Throws std::out_of_range on a bad index.
void select_one_hot(std::vector<float>& label, int index);
// The slot with the largest value (the "selected" one of a possibly soft one-hot label), -1 if empty.
int one_hot_index(const std::vector<float>& label);

// Parses "#rrggbb" into floats in [0,1]; false on a malformed string.
bool parse_rgb(const std::string& hex, float rgb[3]);

// Pad coordinates: the pad shows y growing upwards like the cubes' label (y = +1 at the top), so a
// click at pad pixel (px, py) in a size×size pad maps to label values within the slots' ranges.
void pad_to_label(float px, float py, float size, const LabelSlot& sx, const LabelSlot& sy, float& x, float& y);
void label_to_pad(float x, float y, float size, const LabelSlot& sx, const LabelSlot& sy, float& px, float& py);

}  // namespace ebm::studio
