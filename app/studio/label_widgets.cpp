#include "app/studio/label_widgets.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>

namespace ebm::studio {

std::vector<LabelWidget> widgets_for(const LabelSchema& schema) {
  std::vector<LabelWidget> out;
  if (schema.slots.empty()) return out;
  if (schema.one_hot()) {
    LabelWidget w;
    // Swatches only when every slot has a colour; a partly coloured group reads better as radios.
    const bool all_coloured = std::all_of(schema.slots.begin(), schema.slots.end(),
                                          [](const LabelSlot& s) { return !s.rgb.empty(); });
    w.kind = all_coloured ? WidgetKind::Swatches : WidgetKind::Radio;
    for (int i = 0; i < schema.size(); ++i) w.slots.push_back(i);
    out.push_back(std::move(w));
    return out;
  }
  int ix = -1, iy = -1;
  for (int i = 0; i < schema.size(); ++i) {
    if (schema.slots[i].kind != SlotKind::Continuous) continue;
    if (schema.slots[i].name == "x" && ix < 0) ix = i;
    if (schema.slots[i].name == "y" && iy < 0) iy = i;
  }
  const bool pad = ix >= 0 && iy >= 0;
  if (pad) out.push_back({WidgetKind::Pad2D, {ix, iy}});
  for (int i = 0; i < schema.size(); ++i) {
    if (pad && (i == ix || i == iy)) continue;
    out.push_back({WidgetKind::Slider, {i}});
  }
  return out;
}

void select_one_hot(std::vector<float>& label, int index) {
  if (index < 0 || index >= static_cast<int>(label.size()))
    throw std::out_of_range("one-hot index " + std::to_string(index) + " is outside the label's " +
                            std::to_string(label.size()) + " slots");
  std::fill(label.begin(), label.end(), 0.f);
  label[static_cast<size_t>(index)] = 1.f;
}

int one_hot_index(const std::vector<float>& label) {
  if (label.empty()) return -1;
  return static_cast<int>(std::max_element(label.begin(), label.end()) - label.begin());
}

bool parse_rgb(const std::string& hex, float rgb[3]) {
  if (hex.size() != 7 || hex[0] != '#') return false;
  for (size_t i = 1; i < 7; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(hex[i]))) return false;
  for (int c = 0; c < 3; ++c) rgb[c] = static_cast<float>(std::stoi(hex.substr(1 + 2 * c, 2), nullptr, 16)) / 255.f;
  return true;
}

void pad_to_label(float px, float py, float size, const LabelSlot& sx, const LabelSlot& sy, float& x, float& y) {
  const float u = std::clamp(px / std::max(size, 1.f), 0.f, 1.f);
  const float v = std::clamp(py / std::max(size, 1.f), 0.f, 1.f);
  x = sx.min + u * (sx.max - sx.min);
  y = sy.max - v * (sy.max - sy.min);  // screen y grows downwards, label y upwards
}

void label_to_pad(float x, float y, float size, const LabelSlot& sx, const LabelSlot& sy, float& px, float& py) {
  const float u = sx.max > sx.min ? (x - sx.min) / (sx.max - sx.min) : 0.5f;
  const float v = sy.max > sy.min ? (sy.max - y) / (sy.max - sy.min) : 0.5f;
  px = std::clamp(u, 0.f, 1.f) * size;
  py = std::clamp(v, 0.f, 1.f) * size;
}

}  // namespace ebm::studio
