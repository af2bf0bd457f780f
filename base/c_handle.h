#ifndef COOK_BASE_C_HANDLE_H_
#define COOK_BASE_C_HANDLE_H_

// RAII for C library handles: `std::unique_ptr<T, FreeWith<&free_fn>>`.
// Aliases for a specific library live in the .cc (or internal/ header) that
// includes that library, so public headers never pull in C headers.

namespace cook {

template <auto kFree>
struct FreeWith {  // zero-size deleter; unique_ptr skips it for nullptr
  template <typename T>
  void operator()(T* p) const {
    kFree(p);
  }
};

}  // namespace cook

#endif  // COOK_BASE_C_HANDLE_H_
