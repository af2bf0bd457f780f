// The manual cannot rot: every command and every option that `cook --help`
// and `cook COMMAND --help` list appear in docs/cook.1 as groff renders it, each
// option in its command's section or a section that one names ("See also
// CARGO OPTIONS"), and groff renders the page without a warning.

#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/docs/docs_testing.h"
#include "tests/testing/subprocess.h"

namespace cook {
namespace {

using ::cook::testing::RunProgram;
using ::cook::testing::RunResult;

std::string ManPage() { return testing::RunfilePath("docs/cook.1"); }

// What `cook ARGS... --help` prints.
std::string Help(std::vector<std::string> args) {
  args.insert(args.begin(), testing::CookBinary());
  args.push_back("--help");
  RunResult r = RunProgram(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// The names in a CLI11 help listing: the first word of each line indented by
// two spaces under `heading` ("Options:", "Subcommands:"), split at commas
// ("-h,--help" is two names).
std::vector<std::string> Listed(const std::string& help, const std::string& heading) {
  std::vector<std::string> names;
  bool inside = false;
  for (absl::string_view line : absl::StrSplit(help, '\n')) {
    if (!line.empty() && line[0] != ' ') {
      inside = line == heading;
      continue;
    }
    if (!inside || !absl::StartsWith(line, "  ") || absl::StartsWith(line, "   ")) continue;
    absl::string_view first = line.substr(2, line.find(' ', 2) - 2);
    for (absl::string_view name : absl::StrSplit(first, ',')) names.emplace_back(name);
  }
  return names;
}

// The rendered page by heading: sections ("COMMON OPTIONS", at column 0) and
// subsections ("cook build", indented by three spaces), each with its text.
std::map<std::string, std::string> Sections(const std::string& rendered) {
  std::map<std::string, std::string> sections;
  std::string* current = nullptr;
  for (absl::string_view line : absl::StrSplit(rendered, '\n')) {
    const bool section = !line.empty() && line[0] != ' ';
    const bool subsection = absl::StartsWith(line, "   ") && line.size() > 3 && line[3] != ' ';
    if (section || subsection) {
      current = &sections[std::string(absl::StripAsciiWhitespace(line))];
    } else if (current != nullptr) {
      absl::StrAppend(current, line, "\n");
    }
  }
  return sections;
}

// Whether `option` ("--bin", "-p") is in `text` as a whole word: "--bins"
// and "--pass-env" do not hold "--bin" and "-p".
bool Mentions(const std::string& text, const std::string& option) {
  auto part_of_name = [](char c) { return absl::ascii_isalnum(c) || c == '-' || c == '_'; };
  for (size_t at = text.find(option); at != std::string::npos; at = text.find(option, at + 1)) {
    const size_t end = at + option.size();
    if ((at == 0 || !part_of_name(text[at - 1])) &&
        (end == text.size() || !part_of_name(text[end]))) {
      return true;
    }
  }
  return false;
}

// A command's text: its subsection and every section it names.
std::string CommandText(const std::map<std::string, std::string>& sections,
                        const std::string& command) {
  auto own = sections.find("cook " + command);
  if (own == sections.end()) return "";
  std::string text = own->second;
  for (const auto& [heading, body] : sections) {
    if (heading.size() > 3 && heading == absl::AsciiStrToUpper(heading) &&
        absl::StrContains(own->second, heading)) {
      absl::StrAppend(&text, body);
    }
  }
  return text;
}

TEST(ManPageTest, DocumentsEveryCommandAndItsOptions) {
  const std::string top = Help({});
  const std::vector<std::string> commands = Listed(top, "Subcommands:");
  // What the listing should find, so that a change of CLI11's layout cannot
  // pass this test by finding nothing.
  ASSERT_THAT(commands, ::testing::IsSupersetOf({"prepare", "skeleton", "build", "restore",
                                                 "assemble", "inspect", "copy"}));
  const std::string page = testing::RenderedManPage();
  const std::map<std::string, std::string> sections = Sections(page);
  for (const std::string& option : Listed(top, "Options:")) {
    EXPECT_TRUE(Mentions(page, option)) << "cook " << option << " is not in docs/cook.1";
  }
  EXPECT_TRUE(Mentions(page, "--version")) << "cook --version is not in docs/cook.1";
  for (const std::string& command : commands) {
    const std::string text = CommandText(sections, command);
    EXPECT_FALSE(text.empty()) << "docs/cook.1 has no subsection \"cook " << command << "\"";
    const std::vector<std::string> options = Listed(Help({command}), "Options:");
    EXPECT_THAT(options, ::testing::Contains("--json"));
    for (const std::string& option : options) {
      EXPECT_TRUE(Mentions(text, option))
          << "cook " << command << " " << option
          << " is not in docs/cook.1's \"cook " << command
          << "\" subsection nor in a section it names";
    }
  }
}

TEST(ManPageTest, NamesTheSectionsAManPageHas) {
  const std::map<std::string, std::string> sections = Sections(testing::RenderedManPage());
  for (const char* heading : {"NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "REFERENCES",
                              "SIGNING", "ENVIRONMENT", "EXIT STATUS", "FILES", "EXAMPLES",
                              "SEE ALSO"}) {
    EXPECT_TRUE(sections.contains(heading)) << "docs/cook.1 has no " << heading << " section";
  }
}

TEST(ManPageTest, GroffRendersItWithoutWarnings) {
  RunResult r = RunProgram({"groff", "-man", "-Tutf8", "-ww", "-z", ManPage()});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
}

}  // namespace
}  // namespace cook
