// Checks, before a command does its work, that the file it will write can be written there: a run
// of minutes must not end with "cannot write" (issue #26 item 5). The check creates and removes a
// temporary file beside the target, so it tests what the final atomic write needs — a directory that
// exists (or can be made) and lets us create files — without touching the target itself.
#pragma once

#include <string>

namespace ebm::cli {

// Throws std::runtime_error naming `flag`, the path and the OS's reason when a file cannot be created
// at `path` (its parent directory missing and not creatable, read-only, not a directory …).
void check_output_file(const std::string& path, const std::string& flag);
// The same for a directory the command will create files in (created when missing).
void check_output_dir(const std::string& dir, const std::string& flag);

}  // namespace ebm::cli
