// Learning-rate schedules: linear warm-up from 0 to the peak, then linear or cosine decay to 0 at the last
// step (HF's get_linear_schedule_with_warmup / get_cosine_schedule_with_warmup).

export type Decay = 'linear' | 'cosine' | 'constant';

export interface ScheduleOptions {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  decay: Decay;
}

/** The learning rate of optimizer step `step` (0-based, the rate used for the update that makes step+1). */
export function learningRate(step: number, o: ScheduleOptions): number {
  if (step < o.warmupSteps) return (o.peak * step) / Math.max(1, o.warmupSteps);
  if (o.decay === 'constant') return o.peak;
  const progress = (step - o.warmupSteps) / Math.max(1, o.totalSteps - o.warmupSteps);
  if (o.decay === 'linear') return o.peak * Math.max(0, 1 - progress);
  return o.peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}
