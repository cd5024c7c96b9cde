// The teacher scoring of `sift prune --recover --queue` and `sift train --preset student --queue`: the
// candidate lists go to `sift worker` processes in chunks, their result files land in a folder under
// SIFT_HOME (which every worker must see at the same path), and the caller removes the folder once the
// model the scores taught is installed.

import type { Command } from 'commander';
import {
  checkQueueReachable,
  DEFAULT_CHUNK_LISTS,
  DEFAULT_QUEUE_PREFIX,
  type QueueTarget,
  queueTarget,
  scoreListsOnQueue,
} from '../jobs/index.js';
import type { TeacherListScorer } from '../train/index.js';
import { parsePositiveInt } from './options.js';

export interface QueueOptions {
  queue?: string;
  prefix: string;
  chunk: number;
}

/** Adds --queue, --prefix and --chunk, for the teacher-scoring step `what` names. */
export function addTeacherQueueOptions(command: Command, what: string): Command {
  return command
    .option(
      '--queue <url>',
      `${what}: the teacher's scoring of the candidate lists runs on \`sift worker\` processes through this Redis (they must see SIFT_HOME at the same path)`,
    )
    .option('--prefix <prefix>', 'queue key prefix, as given to the workers', DEFAULT_QUEUE_PREFIX)
    .option(
      '--chunk <n>',
      'with --queue: candidate lists per queued chunk',
      parsePositiveInt,
      DEFAULT_CHUNK_LISTS,
    );
}

/** The queue these options name, checked reachable (before any long work starts), or undefined. */
export async function teacherQueue(opts: QueueOptions): Promise<QueueTarget | undefined> {
  if (opts.queue === undefined) return undefined;
  const target = queueTarget(opts.queue, opts.prefix);
  await checkQueueReachable(target);
  return target;
}

/** Scores the lists on the workers, printing how many chunks ran there and how many an earlier run left. */
export function queuedScorer(
  target: QueueTarget,
  out: string,
  opts: QueueOptions & { quiet: boolean },
): TeacherListScorer {
  console.error(
    `queueing the teacher's scoring on ${target.display}; start workers with: sift worker --queue ${opts.queue}`,
  );
  return async (teacher, lists) => {
    const outcome = await scoreListsOnQueue({
      target,
      model: teacher.folder,
      modelId: teacher.id,
      maxLength: teacher.maxLength,
      lists: lists.map((list) => ({ query: list.query, docs: [...list.docs] })),
      out,
      chunkLists: opts.chunk,
      quiet: opts.quiet,
    });
    console.log(
      `teacher ${teacher.id} scored ${lists.length} candidate lists on workers in ${outcome.seconds.toFixed(1)} s (${outcome.chunks} chunks, ${outcome.reused} already done)`,
    );
    return outcome.scores;
  };
}
