// The engine self-test's op checks: every op's GPU forward and gradient against its CPU twin. One
// file per op file, by the same name: ops/NAME.ts (or optim.ts, nn/) is checked by
// selftest/checks/NAME.ts against cpu/NAME.ts (or nn/reference.ts). The KD reference file's cases
// are added by run.ts (selftest/kd-reference.ts).
import type { OpCheck } from './check.ts';
import { checks as activation } from './checks/activation.ts';
import { checks as attention } from './checks/attention.ts';
import { checks as dropout } from './checks/dropout.ts';
import { checks as elementwise } from './checks/elementwise.ts';
import { checks as embedding } from './checks/embedding.ts';
import { checks as kdLoss } from './checks/kd-loss.ts';
import { checks as matmul } from './checks/matmul.ts';
import { checks as norm } from './checks/norm.ts';
import { checks as pooling } from './checks/pooling.ts';
import { checks as rope } from './checks/rope.ts';
import { checks as softmax } from './checks/softmax.ts';
import { checks as split } from './checks/split.ts';
import { checks as optim } from './checks/optim.ts';
import { checks as models } from './checks/models.ts';

/** Every check, by the file it comes from (tests/unit/engine-layout.test.ts checks it is complete). */
export const CHECKS_BY_FILE: Readonly<Record<string, readonly OpCheck[]>> = {
  elementwise,
  embedding,
  pooling,
  rope,
  attention,
  dropout,
  split,
  matmul,
  norm,
  activation,
  softmax,
  'kd-loss': kdLoss,
  optim,
  models,
};

export const OP_CHECKS: OpCheck[] = Object.values(CHECKS_BY_FILE).flat();
