// Bindings of cpp/src/margin/: conversion, dtype dispatch, GIL release.
#include "common.hpp"

namespace lossx::binding {

void register_margin(py::module_& m) {
  (void)m;
}

}  // namespace lossx::binding
