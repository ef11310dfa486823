// Shortcut table: dispatch, modifiers, and text-field suppression.
#include "app/studio/shortcuts.h"

#include <GLFW/glfw3.h>
#include <gtest/gtest.h>

#include <set>

using namespace ebm::studio;

TEST(Shortcuts, RequiredBindings) {
  EXPECT_EQ(match_shortcut(GLFW_KEY_SPACE, false, false, false), ShortcutAction::TogglePause);
  EXPECT_EQ(match_shortcut(GLFW_KEY_S, false, false, false), ShortcutAction::Step);
  EXPECT_EQ(match_shortcut(GLFW_KEY_R, false, false, false), ShortcutAction::Restart);
  EXPECT_EQ(match_shortcut(GLFW_KEY_R, false, true, false), ShortcutAction::RestartNewSeed);
  EXPECT_EQ(match_shortcut(GLFW_KEY_E, true, false, false), ShortcutAction::Export);
  EXPECT_EQ(match_shortcut(GLFW_KEY_S, true, false, false), ShortcutAction::SavePreset);
  EXPECT_EQ(match_shortcut(GLFW_KEY_O, true, false, false), ShortcutAction::OpenPreset);
  EXPECT_EQ(match_shortcut(GLFW_KEY_F1, false, false, false), ShortcutAction::Help);
  EXPECT_FALSE(match_shortcut(GLFW_KEY_X, false, false, false));
}

TEST(Shortcuts, TypingDoesNotTriggerPlainKeys) {
  EXPECT_FALSE(match_shortcut(GLFW_KEY_S, false, false, true));
  EXPECT_FALSE(match_shortcut(GLFW_KEY_SPACE, false, false, true));
  EXPECT_EQ(match_shortcut(GLFW_KEY_S, true, false, true), ShortcutAction::SavePreset);
  EXPECT_EQ(match_shortcut(GLFW_KEY_F1, false, false, true), ShortcutAction::Help);
}

TEST(Shortcuts, NoKeyIsBoundTwice) {
  std::set<std::tuple<int, bool, bool>> seen;
  for (const auto& s : shortcut_table()) EXPECT_TRUE(seen.insert({s.key, s.ctrl, s.shift}).second) << s.keys;
}
