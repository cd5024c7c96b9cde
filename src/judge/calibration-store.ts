// Where a judge's calibration comes from, and applying it to stored labels. A calibration fitted with
// `sift judge calibrate` is kept in the label store (meta `calibration:<judge id>`); the default judge
// also ships one, fitted on the golden sets of the shown collections and the job corpus
// (assets/calibration/). The store's own wins. Raw grades and scores stay in the store untouched.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { applyCalibration, type Calibration, calibrationFeatures, parseCalibration } from './calibration.js';
import type { LabelStore, StoredLabel } from './label-store.js';
import { SCORING_TEMPLATE_VERSION } from './scoring-prompts.js';

const metaKey = (judgeId: string) => `calibration:${judgeId}`;

/** The shipped calibration file of a judge (judge id with ':' and '/' made file-safe). */
export function shippedCalibrationPath(judgeId: string): string {
  const name = judgeId.replace(/[:/\\]/g, '_');
  return fileURLToPath(new URL(`../../../assets/calibration/${name}.json`, import.meta.url));
}

export async function shippedCalibration(judgeId: string): Promise<Calibration | undefined> {
  const file = shippedCalibrationPath(judgeId);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  return parseCalibration(text, file);
}

export function storedCalibration(store: LabelStore, judgeId: string): Calibration | undefined {
  const text = store.getMeta(metaKey(judgeId));
  return text === undefined ? undefined : parseCalibration(text, `${store.path} (meta ${metaKey(judgeId)})`);
}

export function saveCalibration(store: LabelStore, calibration: Calibration): void {
  store.setMeta(metaKey(calibration.judgeId), JSON.stringify(calibration));
}

/**
 * The calibration in force for `judgeId`: `file` when given, else the store's, else the shipped one;
 * undefined when there is none, or when it was fitted on another scoring template (its scores differ).
 */
export async function resolveCalibration(
  store: LabelStore,
  judgeId: string,
  file?: string,
): Promise<Calibration | undefined> {
  const calibration = file
    ? parseCalibration(await readFile(file, 'utf8'), file)
    : (storedCalibration(store, judgeId) ?? (await shippedCalibration(judgeId)));
  if (!calibration || calibration.judgeId !== judgeId) return undefined;
  return calibration.scoringTemplate === SCORING_TEMPLATE_VERSION ? calibration : undefined;
}

/** Calibrated relevance r ∈ [0, 1] of each label (NaN for labels without the scores it needs). */
export function calibratedRelevance(
  labels: readonly StoredLabel[],
  calibration: Calibration,
  maxGrade: number,
): number[] {
  const scored = labels.map((label) => ({ queryId: label.queryId, scores: label.scores ?? {} }));
  return applyCalibration(calibration.map, calibrationFeatures(scored, maxGrade));
}
