// Runs bench/torch/train_step.py (PyTorch, bench-only) as a child process from a virtualenv outside the
// repository, for same-run baselines. The interpreter is $TORCH_PYTHON, else ../venv-torch/bin/python
// beside the checkout; when it is absent or lacks torch the baseline is reported missing, with the reason.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export interface TorchRun {
  torch: string;
  threads: number;
  stepSeconds: number[];
}

export type TorchBaseline = { ok: true; run: TorchRun; python: string } | { ok: false; reason: string };

export function torchPython(): string {
  return process.env['TORCH_PYTHON'] ?? resolve('..', 'venv-torch', 'bin', 'python');
}

export function runTorchStep(args: Record<string, string | number>): TorchBaseline {
  const python = torchPython();
  if (!existsSync(python))
    return { ok: false, reason: `no PyTorch virtualenv at ${python} (set TORCH_PYTHON)` };
  const argv = [
    'bench/torch/train_step.py',
    ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]),
  ];
  try {
    const out = execFileSync(python, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const last = out.trim().split('\n').pop() ?? '';
    return { ok: true, run: JSON.parse(last) as TorchRun, python };
  } catch (error) {
    return { ok: false, reason: `PyTorch baseline failed: ${(error as Error).message.split('\n')[0]}` };
  }
}
