// Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_: if ‖g‖₂ over all parameters exceeds
// maxNorm, every gradient is scaled by maxNorm / (‖g‖₂ + 1e-6).

import type { Parameter } from './parameter.js';

/** Clips in place and returns the norm before clipping (non-finite when a gradient is NaN or infinite). */
export function clipGradNorm(params: readonly Parameter[], maxNorm: number): number {
  let sum = 0;
  for (const p of params) {
    const g = p.grad;
    for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
  }
  const norm = Math.sqrt(sum);
  const scale = maxNorm / (norm + 1e-6);
  if (Number.isFinite(norm) && scale < 1)
    for (const p of params) for (let i = 0; i < p.grad.length; i++) p.grad[i]! *= scale;
  return norm;
}
