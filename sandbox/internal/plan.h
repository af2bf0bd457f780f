#ifndef COOK_SANDBOX_INTERNAL_PLAN_H_
#define COOK_SANDBOX_INTERNAL_PLAN_H_

// What cook prepares before it clones the supervisor: the cloned processes
// may not allocate, so every string and array they use is built here.

#include <string>
#include <vector>

namespace cook::sandbox::internal {

struct Plan {
  bool isolate = false;
  bool run_command = true;  // false: only set up, for the probe
  std::vector<char*> argv;  // null-terminated, pointing into the spec
  std::vector<char*> envp;
  std::string cwd;
  int stdout_fd = -1;          // -1: cook's stderr
  int control_fd = -1;         // read end; closed write end: cook wants the end
  int report_fd = -1;          // write end
  int cook_fds[2] = {-1, -1};  // cook's ends of both pipes
  // With `isolate`:
  std::string uid_map;
  std::string gid_map;
  std::vector<std::string> mount_points;
  std::vector<std::string> writable;  // canonical, parents before children
  std::vector<char> writable_is_dir;
  std::vector<char> writable_read_only;  // a SandboxSpec::visible path
  std::vector<int> writable_fds;         // filled in by the supervisor
};

}  // namespace cook::sandbox::internal

#endif  // COOK_SANDBOX_INTERNAL_PLAN_H_
