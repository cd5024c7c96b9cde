// Buffered line output to a new file: lines gathered into ~1 MiB writes, synced before the file is closed.

import { type FileHandle, open } from 'node:fs/promises';

/** Lines gathered into ~1 MiB writes: few syscalls, and never more than one chunk held. */
export class LineWriter {
  bytes = 0;
  private buffer: string[] = [];
  private pending = 0;

  private constructor(private readonly handle: FileHandle) {}

  static async open(path: string): Promise<LineWriter> {
    return new LineWriter(await open(path, 'wx'));
  }

  /** Buffers a line; true when the buffer is full and the caller should `await flush()` before going on. */
  line(text: string): boolean {
    this.buffer.push(text, '\n');
    this.pending += text.length + 1;
    return this.pending >= 1 << 20;
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = Buffer.from(this.buffer.join(''), 'utf8');
    this.buffer = [];
    this.pending = 0;
    this.bytes += chunk.length;
    // A write may take less than the whole chunk; keep going until it is all out.
    for (let offset = 0; offset < chunk.length; ) {
      const { bytesWritten } = await this.handle.write(chunk, offset);
      offset += bytesWritten;
    }
  }

  async close(): Promise<void> {
    try {
      await this.flush();
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
  }
}

/** Opens a new file (failing if it exists), lets `write` fill it, then syncs and closes it; returns its size. */
export async function withLines(path: string, write: (out: LineWriter) => Promise<void>): Promise<number> {
  const out = await LineWriter.open(path);
  try {
    await write(out);
  } finally {
    await out.close();
  }
  return out.bytes;
}
