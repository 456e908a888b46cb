// The entry point of the C++ test binary: runs every LOSSX_TEST linked in.
#include "check.hpp"

int main(int argc, char** argv) { return lossx_test::run_all(argc, argv); }
