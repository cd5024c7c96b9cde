// --queue URLs and --prefix hash tags, and the reachability check's error (no Redis needed).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSiftError } from '../errors.js';
import { checkQueueReachable, DEFAULT_QUEUE_PREFIX, queueTarget } from './queue-connection.js';

test('a redis:// URL becomes connection fields; the password never reaches the display form', () => {
  assert.deepEqual(queueTarget('redis://127.0.0.1:6390'), {
    connection: { host: '127.0.0.1', port: 6390 },
    prefix: DEFAULT_QUEUE_PREFIX,
    display: 'redis://127.0.0.1:6390',
  });
  const secret = queueTarget('redis://sift:s%40cret@queue.internal/2', '{labels}');
  assert.deepEqual(secret.connection, {
    host: 'queue.internal',
    port: 6379,
    username: 'sift',
    password: 's@cret',
    db: 2,
  });
  assert.equal(secret.display, 'redis://queue.internal:6379/2');
  assert.equal(secret.prefix, '{labels}');
});

test('a redis+cluster:// URL lists seed nodes; a database or a node without a port is refused', () => {
  const target = queueTarget('redis+cluster://sift:pw@10.0.0.1:7000,10.0.0.2:7001');
  assert.deepEqual(target.cluster, [
    { host: '10.0.0.1', port: 7000, username: 'sift', password: 'pw' },
    { host: '10.0.0.2', port: 7001, username: 'sift', password: 'pw' },
  ]);
  assert.deepEqual(target.connection, target.cluster?.[0]);
  assert.equal(target.display, 'redis+cluster://10.0.0.1:7000,10.0.0.2:7001');
  for (const url of ['redis+cluster://10.0.0.1:7000/2', 'redis+cluster://10.0.0.1', 'redis+cluster://']) {
    assert.throws(
      () => queueTarget(url),
      (e) => isSiftError(e, 'E_BAD_URL') && e.context.field === 'queue',
      url,
    );
  }
});

test('bad URLs and prefixes without a hash tag are refused, naming the option', () => {
  for (const url of ['127.0.0.1:6379', 'http://127.0.0.1:6379', 'redis://h/x']) {
    assert.throws(
      () => queueTarget(url),
      (e) => isSiftError(e, 'E_BAD_URL') && e.context.field === 'queue',
    );
  }
  for (const prefix of ['sift', '{}', '{a}{b}', '{si:ft}', 'bull:{sift}']) {
    assert.throws(
      () => queueTarget('redis://127.0.0.1', prefix),
      (e) => isSiftError(e, 'E_BAD_ARGUMENT') && e.context.field === 'prefix',
      prefix,
    );
  }
  assert.equal(queueTarget('redis://127.0.0.1', 'team-{sift}').prefix, 'team-{sift}');
});

test('an unreachable Redis is E_QUEUE_UNREACHABLE naming the URL', async () => {
  await assert.rejects(
    checkQueueReachable(queueTarget('redis://127.0.0.1:1')),
    (e) => isSiftError(e, 'E_QUEUE_UNREACHABLE') && e.message.includes('redis://127.0.0.1:1'),
  );
});
