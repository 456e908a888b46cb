// Bindings of cpp/src/imbalance/: conversion, dtype dispatch, GIL release.
#include "common.hpp"

namespace lossx::binding {

void register_imbalance(py::module_& m) {
  (void)m;
}

}  // namespace lossx::binding
