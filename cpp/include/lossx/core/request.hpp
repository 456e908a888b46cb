// lossx/core/request.hpp — what one call of a loss kernel computes.
//
// Every loss has one kernel, `NAME_run(inputs..., options, request)`, that can produce
// any mix of: the loss, the gradient of sum(grad_output · loss) with respect to its
// prediction inputs, the partial sums of its reduction, or the gradient of a scaled
// partial total. The convenience functions of each loss (NAME, NAME_backward,
// NAME_with_grad, NAME_partial, NAME_partial_backward) fill in a Request and call it.
#pragma once

#include "lossx/core/view.hpp"

namespace lossx {

template <class T>
struct Request {
  T* loss = nullptr;            ///< the loss: one value if reduced, else the 'none' shape; nullptr: not wanted
  T* grad = nullptr;            ///< gradient w.r.t. the first prediction input (its shape); nullptr: not wanted
  T* grad2 = nullptr;           ///< the second prediction input's (input2, positive, var), when the loss has one
  T* grad3 = nullptr;           ///< the third's (negative), when the loss has one
  /// With a gradient: shape () if reduced. For reduction 'none', either the 'none' shape (one
  /// coefficient per term) or shape () — a *uniform* grad_output: its one value multiplies every
  /// term's gradient (what NAME_with_grad(grad_output=None) wants: 1 everywhere, with no array of
  /// ones to fill and read). Both give bitwise the same gradient when the values are equal.
  /// (A loss whose 'none' shape is () sees no difference.)
  View<const T> grad_output{};
  Partial* partial = nullptr;   ///< receives the partial sums (total, denominator) instead of a loss
  bool partial_grad = false;    ///< the gradients are of `scale · total` (grad_output is not used)
  double scale = 0.0;           ///< the scale of a partial gradient

  /// The loss and/or the gradients of sum(grad_output · loss) (pass nullptr for what you do not need).
  /// For reduction 'none', grad_output may be 0-d (the same value for every term): see grad_output.
  static Request value(View<const T> grad_output, T* loss, T* grad, T* grad2 = nullptr, T* grad3 = nullptr) {
    Request r;
    r.loss = loss;
    r.grad = grad;
    r.grad2 = grad2;
    r.grad3 = grad3;
    r.grad_output = grad_output;
    return r;
  }
  /// The partial sums of the reduction, into *p.
  static Request partial_sums(Partial* p) {
    Request r;
    r.partial = p;
    return r;
  }
  /// The gradients of scale · total, where total is what partial_sums reports.
  static Request partial_backward(double scale, T* grad, T* grad2 = nullptr, T* grad3 = nullptr) {
    Request r;
    r.grad = grad;
    r.grad2 = grad2;
    r.grad3 = grad3;
    r.partial_grad = true;
    r.scale = scale;
    return r;
  }
};

}  // namespace lossx
