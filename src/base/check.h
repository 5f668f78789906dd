// QUIVER_CHECK: a broken invariant is a bug. Aborts with file and line; never exit().
#ifndef QUIVER_BASE_CHECK_H_
#define QUIVER_BASE_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define QUIVER_CHECK(cond)                                                          \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: QUIVER_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

#endif  // QUIVER_BASE_CHECK_H_
