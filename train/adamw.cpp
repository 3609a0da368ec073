// AdamW, step for step as torch.optim.AdamW (PyTorch 1.13, foreach=False, amsgrad=False).
#include "train/train.hpp"

#include <cmath>

namespace sonnet::train {

void adamw_step(float* p, const float* g, float* m, float* v, std::size_t n, int64_t step,
                double lr, double beta1, double beta2, double eps, double weight_decay) {
  // torch computes the bias corrections and the step size in double, the update in float.
  const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(step));
  const float step_size = static_cast<float>(lr / bc1);
  const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  const float decay = static_cast<float>(1.0 - lr * weight_decay);
  // Python scalars: 1 - beta is computed in double and rounded once.
  const float b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2);
  const float a1 = static_cast<float>(1.0 - beta1), a2 = static_cast<float>(1.0 - beta2);
  const float e = static_cast<float>(eps);
  for (std::size_t i = 0; i < n; ++i) {
    p[i] *= decay;
    m[i] = m[i] * b1 + a1 * g[i];
    v[i] = v[i] * b2 + a2 * g[i] * g[i];
    const float denom = std::sqrt(v[i]) / bc2_sqrt + e;
    p[i] -= step_size * m[i] / denom;
  }
}

} // namespace sonnet::train
