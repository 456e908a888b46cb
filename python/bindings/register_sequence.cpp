// Bindings of cpp/src/sequence/: conversion, dtype dispatch, GIL release.
#include "common.hpp"

namespace lossx::binding {

void register_sequence(py::module_& m) {
  (void)m;
}

}  // namespace lossx::binding
