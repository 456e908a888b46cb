// Bindings of cpp/src/embedding/: conversion, dtype dispatch, GIL release.
#include "common.hpp"

namespace lossx::binding {

void register_embedding(py::module_& m) {
  (void)m;
}

}  // namespace lossx::binding
