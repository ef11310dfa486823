// Keyboard shortcuts: one table drives both dispatch and the F1 help window, so the help can never
// list a shortcut that does not exist. Key codes are GLFW's (ImGui 1.86 indexes io.KeysDown by them).
#pragma once

#include <optional>
#include <vector>

namespace ebm::studio {

enum class ShortcutAction {
  TogglePause,  // Space
  Step,         // S
  Restart,      // R
  RestartNewSeed,  // Shift+R
  FitView,      // F
  Export,       // Ctrl+E
  SavePreset,   // Ctrl+S
  OpenPreset,   // Ctrl+O
  Help,         // F1
  Quit,         // Ctrl+Q
};

struct Shortcut {
  ShortcutAction action;
  int key;  // GLFW_KEY_*
  bool ctrl;
  bool shift;
  const char* keys;         // "Ctrl+S"
  const char* description;  // "save the recipe as a preset"
};

const std::vector<Shortcut>& shortcut_table();

// The action bound to a key press with these modifiers, if any. `text_input_active` suppresses the
// unmodified keys (typing "s" into a path field must not step the sampler).
std::optional<ShortcutAction> match_shortcut(int key, bool ctrl, bool shift, bool text_input_active);

}  // namespace ebm::studio
