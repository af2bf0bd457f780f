#include "oci/tar_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/files.h"
#include "base/status_macros.h"

namespace cook::oci::internal {
namespace {

constexpr size_t kBlock = 512;
// pax and GNU long-name records are small; anything larger is corrupt.
constexpr uint64_t kMaxMetaSize = 1 << 20;

absl::Status ReadAt(int fd, uint64_t offset, char* buffer, size_t n,
                    const std::filesystem::path& path, bool* eof) {
  size_t done = 0;
  while (done < n) {
    ssize_t got =
        ::pread(fd, buffer + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, absl::StrFormat("reading %s", path.string()));
    }
    if (got == 0) {
      if (eof != nullptr && done == 0) {
        *eof = true;
        return absl::OkStatus();
      }
      return absl::DataLossError(
          absl::StrFormat("reading %s: truncated tar archive", path.string()));
    }
    done += static_cast<size_t>(got);
  }
  return absl::OkStatus();
}

std::string_view CString(const char* field, size_t n) {
  return std::string_view(field, strnlen(field, n));
}

// Octal, or base-256 when the top bit of the first byte is set (GNU/star).
bool ParseNumber(const char* field, size_t n, uint64_t* out) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(field);
  if (bytes[0] & 0x80) {
    uint64_t v = bytes[0] & 0x7f;
    for (size_t i = 1; i < n; ++i) {
      if (v >> 56) return false;
      v = (v << 8) | bytes[i];
    }
    *out = v;
    return true;
  }
  uint64_t v = 0;
  size_t i = 0;
  while (i < n && (field[i] == ' ' || field[i] == '\0')) ++i;
  bool any = false;
  for (; i < n && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (v >> 60) return false;
    v = v * 8 + static_cast<uint64_t>(field[i] - '0');
    any = true;
  }
  for (; i < n; ++i) {
    if (field[i] != ' ' && field[i] != '\0') return false;
  }
  *out = any ? v : 0;
  return true;
}

bool ChecksumOk(const char* h) {
  uint64_t expected;
  if (!ParseNumber(h + 148, 8, &expected)) return false;
  uint64_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  }
  return sum == expected;
}

// pax records: "<len> <key>=<value>\n".
bool ParsePax(std::string_view data, std::map<std::string, std::string>* out) {
  while (!data.empty()) {
    size_t space = data.find(' ');
    if (space == std::string_view::npos) return false;
    size_t len;
    if (!absl::SimpleAtoi(absl::string_view(data.data(), space), &len) ||
        len <= space + 1 || len > data.size() || data[len - 1] != '\n') {
      return false;
    }
    std::string_view record = data.substr(space + 1, len - space - 2);
    size_t eq = record.find('=');
    if (eq == std::string_view::npos) return false;
    (*out)[std::string(record.substr(0, eq))] =
        std::string(record.substr(eq + 1));
    data.remove_prefix(len);
  }
  return true;
}

// What the records before an entry (pax 'x', GNU 'L' and 'K') say about
// it; they override its header.
struct Meta {
  std::map<std::string, std::string> pax;
  std::string long_name;
  std::string long_link;

  std::string Name(const char* h) const {
    if (auto it = pax.find("path"); it != pax.end()) return it->second;
    if (!long_name.empty()) return long_name;
    std::string name(CString(h, 100));
    // POSIX ustar ("ustar\0") has a prefix field; GNU ("ustar  ") does not.
    if (std::memcmp(h + 257, "ustar\0", 6) == 0) {
      std::string_view prefix = CString(h + 345, 155);
      if (!prefix.empty()) name = absl::StrFormat("%s/%s", prefix, name);
    }
    return name;
  }

  std::string LinkName(const char* h) const {
    if (auto it = pax.find("linkpath"); it != pax.end()) return it->second;
    if (!long_link.empty()) return long_link;
    return std::string(CString(h + 157, 100));
  }
};

}  // namespace

std::string NormalizeTarName(std::string_view name) {
  std::vector<std::string> parts;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(name.data(), name.size()), '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.emplace_back(part);
  }
  return absl::StrJoin(parts, "/");
}

absl::StatusOr<TarIndex> TarIndex::Build(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ErrnoError(errno, absl::StrFormat("opening %s", path.string()));
  absl::Cleanup closer = [fd] { ::close(fd); };
  auto corrupt = [&](std::string_view why) {
    return absl::DataLossError(absl::StrFormat(
        "reading %s: corrupt tar archive: %s", path.string(), why));
  };

  TarIndex index;
  Meta meta;
  uint64_t pos = 0;
  char h[kBlock];
  while (true) {
    bool eof = false;
    RETURN_IF_ERROR(ReadAt(fd, pos, h, kBlock, path, &eof));
    if (eof) break;  // tolerated: no end-of-archive blocks
    if (std::all_of(h, h + kBlock, [](char c) { return c == '\0'; })) break;
    if (!ChecksumOk(h)) {
      return corrupt(absl::StrFormat("bad header checksum at offset %d", pos));
    }
    uint64_t size;
    if (!ParseNumber(h + 124, 12, &size)) {
      return corrupt(absl::StrFormat("bad size at offset %d", pos));
    }
    const char type = h[156];
    const uint64_t data = pos + kBlock;
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
      if (size > kMaxMetaSize) {
        return corrupt(absl::StrFormat("oversized '%c' record", type));
      }
      std::string record(size, '\0');
      RETURN_IF_ERROR(ReadAt(fd, data, record.data(), size, path, nullptr));
      if (type == 'x') {
        if (!ParsePax(record, &meta.pax)) return corrupt("bad pax record");
      } else if (type == 'L') {
        meta.long_name = std::string(CString(record.data(), record.size()));
      } else if (type == 'K') {
        meta.long_link = std::string(CString(record.data(), record.size()));
      }
      pos = data + (size + kBlock - 1) / kBlock * kBlock;
      continue;
    }

    TarMember member;
    member.type = type == '\0' || type == '7' ? '0' : type;
    if (auto it = meta.pax.find("size"); it != meta.pax.end()) {
      if (!absl::SimpleAtoi(it->second, &size)) return corrupt("bad pax size");
    }
    member.linkname = meta.LinkName(h);
    // Links, directories and devices carry no data whatever the size says.
    if (member.type == '1' || member.type == '2' || member.type == '3' ||
        member.type == '4' || member.type == '5' || member.type == '6') {
      size = 0;
    }
    member.offset = data;
    member.size = size;
    index.members_[NormalizeTarName(meta.Name(h))] = std::move(member);
    meta = Meta();
    pos = data + (size + kBlock - 1) / kBlock * kBlock;
  }
  return index;
}

absl::StatusOr<TarMember> TarIndex::Find(std::string_view name) const {
  std::string current = NormalizeTarName(name);
  for (int hops = 0; hops < 16; ++hops) {
    auto it = members_.find(current);
    if (it == members_.end()) break;
    const TarMember& m = it->second;
    if (m.type == '0') return m;
    if (m.type == '1') {
      current = NormalizeTarName(m.linkname);
    } else if (m.type == '2') {
      if (!m.linkname.empty() && m.linkname[0] == '/') {
        current = NormalizeTarName(m.linkname);
      } else {
        size_t slash = current.rfind('/');
        std::string dir =
            slash == std::string::npos ? "" : current.substr(0, slash);
        current = NormalizeTarName(absl::StrFormat("%s/%s", dir, m.linkname));
      }
    } else {
      break;
    }
  }
  return absl::NotFoundError(
      absl::StrFormat("no file \"%s\" in the archive", name));
}

}  // namespace cook::oci::internal
