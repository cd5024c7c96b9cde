// Remembers which line first used each id in one file, so a repeat can be reported with both lines.

import { SiftError } from '../errors.js';

export class DuplicateIds {
  readonly #firstLine = new Map<string, number>();
  readonly #file: string;
  readonly #field: string;

  /** `field` names the id column or key in errors (`_id`, `id`, or `query-id/corpus-id` for qrels pairs). */
  constructor(file: string, field: string) {
    this.#file = file;
    this.#field = field;
  }

  /**
   * Records `id` as seen on `line`, or throws E_DUPLICATE_ID naming the earlier line (`label` describes
   * the id in the message). Under `skip`
   * the first occurrence is the one kept, since later lines are the ones that fail.
   */
  claim(id: string, line: number, label = `id ${JSON.stringify(id)}`): void {
    const firstLine = this.#firstLine.get(id);
    if (firstLine !== undefined) {
      throw new SiftError('E_DUPLICATE_ID', `${label} already on line ${firstLine}`, {
        file: this.#file,
        line,
        field: this.#field,
        id,
        firstLine,
      });
    }
    this.#firstLine.set(id, line);
  }
}
