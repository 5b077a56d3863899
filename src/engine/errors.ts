// Engine failures a user can act on, each with a message that says what happened and what to do.

export class EngineError extends Error {
  override name = 'EngineError';
}

/** The GPU device was lost (driver reset, tab in background too long, GPU removed). */
export class DeviceLostError extends EngineError {
  override name = 'DeviceLostError';
  constructor(readonly reason: string, message: string) {
    super(`The GPU device was lost (${reason}: ${message || 'no message'}). The run can resume from its last checkpoint on a new device.`);
  }
}

/** Allocation beyond the device's memory or buffer limits. */
export class GpuMemoryError extends EngineError {
  override name = 'GpuMemoryError';
}

/** Shapes or arguments that do not fit an op. */
export class ShapeError extends EngineError {
  override name = 'ShapeError';
}
