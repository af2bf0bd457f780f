#include "layers/internal/utf8_locale.h"

#include <locale.h>

#include <initializer_list>

namespace cook::layers::internal {
namespace {

// Created once and never freed: a locale_t is immutable and shared by all
// threads. glibc >= 2.35 builds "C.UTF-8" in, so this does not depend on
// which locales the machine has generated; the other names are fallbacks for
// older systems. If none exists the thread keeps its locale.
locale_t Utf8Locale() {
  static const locale_t locale = [] {
    for (const char* name : {"C.UTF-8", "C.utf8", "en_US.UTF-8"}) {
      locale_t l = newlocale(LC_CTYPE_MASK, name, static_cast<locale_t>(0));
      if (l != static_cast<locale_t>(0)) return l;
    }
    return static_cast<locale_t>(0);
  }();
  return locale;
}

}  // namespace

ScopedUtf8Locale::ScopedUtf8Locale() : previous_(nullptr) {
  locale_t utf8 = Utf8Locale();
  if (utf8 != static_cast<locale_t>(0)) previous_ = uselocale(utf8);
}

ScopedUtf8Locale::~ScopedUtf8Locale() {
  if (previous_ != nullptr) uselocale(static_cast<locale_t>(previous_));
}

}  // namespace cook::layers::internal
