#include "app/studio/shortcuts.h"

#include <GLFW/glfw3.h>

namespace ebm::studio {

const std::vector<Shortcut>& shortcut_table() {
  static const std::vector<Shortcut> kTable = {
      {ShortcutAction::TogglePause, GLFW_KEY_SPACE, false, false, "Space", "pause / resume sampling"},
      {ShortcutAction::Step, GLFW_KEY_S, false, false, "S", "run one step (pauses after it)"},
      {ShortcutAction::Restart, GLFW_KEY_R, false, false, "R", "restart the chain (same seed)"},
      {ShortcutAction::RestartNewSeed, GLFW_KEY_R, false, true, "Shift+R", "restart with a new seed"},
      {ShortcutAction::FitView, GLFW_KEY_F, false, false, "F", "fit the grid into the view"},
      {ShortcutAction::Export, GLFW_KEY_E, true, false, "Ctrl+E", "export the grid (Export panel settings)"},
      {ShortcutAction::SavePreset, GLFW_KEY_S, true, false, "Ctrl+S", "save the recipe as a preset"},
      {ShortcutAction::OpenPreset, GLFW_KEY_O, true, false, "Ctrl+O", "open a preset / recipe"},
      {ShortcutAction::Help, GLFW_KEY_F1, false, false, "F1", "this help"},
      {ShortcutAction::Quit, GLFW_KEY_Q, true, false, "Ctrl+Q", "quit"},
  };
  return kTable;
}

std::optional<ShortcutAction> match_shortcut(int key, bool ctrl, bool shift, bool text_input_active) {
  for (const auto& s : shortcut_table()) {
    if (s.key != key || s.ctrl != ctrl || s.shift != shift) continue;
    // Plain letters and Space belong to a focused text field; Ctrl chords and F-keys do not.
    if (text_input_active && !s.ctrl && key != GLFW_KEY_F1) return std::nullopt;
    return s.action;
  }
  return std::nullopt;
}

}  // namespace ebm::studio
