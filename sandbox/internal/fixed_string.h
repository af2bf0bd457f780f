#ifndef COOK_SANDBOX_INTERNAL_FIXED_STRING_H_
#define COOK_SANDBOX_INTERNAL_FIXED_STRING_H_

// A bounded string built without allocating, for the cloned processes
// (async-signal-safe). Text past N-1 characters is dropped and overflow()
// turns true.

#include <cstddef>

namespace cook::sandbox::internal {

template <size_t N>
class FixedString {
 public:
  FixedString& Append(const char* s) {
    while (*s != '\0' && size_ + 1 < N) data_[size_++] = *s++;
    if (*s != '\0') overflow_ = true;
    data_[size_] = '\0';
    return *this;
  }
  FixedString& Append(long value) {
    char digits[24];
    int n = 0;
    unsigned long v = value < 0 ? 0UL - static_cast<unsigned long>(value)
                                : static_cast<unsigned long>(value);
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    if (value < 0) digits[n++] = '-';
    char text[24];
    for (int i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
    text[n] = '\0';
    return Append(text);
  }
  const char* c_str() const { return data_; }
  char* data() { return data_; }
  bool overflow() const { return overflow_; }

 private:
  char data_[N] = {};
  size_t size_ = 0;
  bool overflow_ = false;
};

}  // namespace cook::sandbox::internal

#endif  // COOK_SANDBOX_INTERNAL_FIXED_STRING_H_
