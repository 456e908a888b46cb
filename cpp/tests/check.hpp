// A minimal test harness for the C++ tests (no third-party framework, nothing downloaded):
// LOSSX_TEST(name) { ... } registers a test; CHECK(cond), CHECK_NEAR(a, b, tol) and
// CHECK_THROWS(Exception, statement, "substring") record failures with file and line;
// LOSSX_TEST_XFAIL(name, "reason") is a known defect that must fail (strict);
// main() runs every test (or those whose name or source file contains argv[1]) and exits
// non-zero on a failure or when nothing ran.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace lossx_test {

struct Test {
  const char* name;
  const char* file;
  std::function<void()> body;
  const char* xfail = nullptr;  // a known defect: the test must fail (strict: a pass is a failure)
};

inline std::vector<Test>& registry() {
  static std::vector<Test> tests;
  return tests;
}

inline int& failures() {
  static int n = 0;
  return n;
}

struct Register {
  Register(const char* name, const char* file, std::function<void()> body, const char* xfail = nullptr) {
    registry().push_back({name, file, std::move(body), xfail});
  }
};

inline void fail(const char* file, int line, const std::string& what) {
  ++failures();
  std::fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what.c_str());
}

inline int run_all(int argc, char** argv) {
  int ran = 0, failed_tests = 0;
  for (const Test& t : registry()) {
    if (argc > 1 && std::strstr(t.name, argv[1]) == nullptr && std::strstr(t.file, argv[1]) == nullptr) continue;
    const int before = failures();
    try {
      t.body();
    } catch (const std::exception& e) {
      fail(__FILE__, __LINE__, std::string("uncaught exception in ") + t.name + ": " + e.what());
    }
    ++ran;
    bool ok = failures() == before;
    if (t.xfail) {  // strict expected failure: its failures are expected, a pass is not
      failures() = before;
      if (ok) std::fprintf(stderr, "%s: XPASS (the defect is fixed: make it a plain LOSSX_TEST): %s\n", t.name, t.xfail);
      ok = !ok;
      std::printf("%s %s (%s)\n", ok ? "xfail " : "XPASS ", t.name, t.xfail);
    } else {
      std::printf("%s %s\n", ok ? "ok    " : "FAILED", t.name);
    }
    failed_tests += !ok;
  }
  std::printf("%d passed, %d failed\n", ran - failed_tests, failed_tests);
  return failed_tests == 0 && ran > 0 ? 0 : 1;
}

}  // namespace lossx_test

#define LOSSX_TEST_CAT2(a, b) a##b
#define LOSSX_TEST_CAT(a, b) LOSSX_TEST_CAT2(a, b)
#define LOSSX_TEST(name)                                                                        \
  static void name();                                                                           \
  static const lossx_test::Register LOSSX_TEST_CAT(register_, name){#name, __FILE__, name};     \
  static void name()

// A test of a known defect whose fix is elsewhere: it must fail until the fix lands.
#define LOSSX_TEST_XFAIL(name, reason)                                                          \
  static void name();                                                                           \
  static const lossx_test::Register LOSSX_TEST_CAT(register_, name){#name, __FILE__, name, reason}; \
  static void name()

#define CHECK(cond)                                                                             \
  do {                                                                                          \
    if (!(cond)) lossx_test::fail(__FILE__, __LINE__, #cond);                                   \
  } while (0)

#define CHECK_NEAR(a, b, tol)                                                                   \
  do {                                                                                          \
    const double lossx_a = (a), lossx_b = (b);                                                  \
    if (!(std::fabs(lossx_a - lossx_b) <= (tol)))                                               \
      lossx_test::fail(__FILE__, __LINE__,                                                      \
                       std::string(#a " == " #b ": ") + std::to_string(lossx_a) + " vs " +      \
                           std::to_string(lossx_b));                                            \
  } while (0)

#define CHECK_THROWS(Exception, statement, substring)                                           \
  do {                                                                                          \
    bool lossx_thrown = false;                                                                  \
    try {                                                                                       \
      statement;                                                                                \
    } catch (const Exception& lossx_e) {                                                        \
      lossx_thrown = true;                                                                      \
      if (std::strstr(lossx_e.what(), substring) == nullptr)                                    \
        lossx_test::fail(__FILE__, __LINE__, std::string("message lacks '") + (substring) +     \
                                                 "': " + lossx_e.what());                       \
    } catch (...) {                                                                             \
      lossx_test::fail(__FILE__, __LINE__, "wrong exception type from " #statement);            \
    }                                                                                           \
    if (!lossx_thrown) lossx_test::fail(__FILE__, __LINE__, "no " #Exception " from " #statement); \
  } while (0)
