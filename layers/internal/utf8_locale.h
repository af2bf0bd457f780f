#ifndef COOK_LAYERS_INTERNAL_UTF8_LOCALE_H_
#define COOK_LAYERS_INTERNAL_UTF8_LOCALE_H_

// libarchive converts path names between the current locale's charset and
// the UTF-8 of PAX records, so the same name would give different bytes (or
// a "hdrcharset=BINARY" record) depending on the process locale: a hidden
// input. Every libarchive call in layers/ runs inside a ScopedUtf8Locale,
// which switches only the calling thread to a UTF-8 LC_CTYPE (uselocale), so
// names pass through byte for byte and other threads are unaffected.

namespace cook::layers::internal {

class ScopedUtf8Locale {
 public:
  ScopedUtf8Locale();
  ~ScopedUtf8Locale();
  ScopedUtf8Locale(const ScopedUtf8Locale&) = delete;
  ScopedUtf8Locale& operator=(const ScopedUtf8Locale&) = delete;

 private:
  void* previous_;  // locale_t; kept opaque so callers need no <locale.h>
};

}  // namespace cook::layers::internal

#endif  // COOK_LAYERS_INTERNAL_UTF8_LOCALE_H_
