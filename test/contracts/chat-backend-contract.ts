// The ChatBackend contract (src/judge/types.ts), as one suite every backend runs: a completion with its
// token usage, the same answer twice at temperature 0, an answer the grade schema allows when one is given,
// log probabilities that are log probabilities, a rejection with the signal's reason once aborted, and a
// JudgeFailure (never made-up content) when the model cannot be reached.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  buildJudgeMessages,
  type ChatBackend,
  type ChatMessage,
  type CompletionOptions,
  gradeSchema,
  JudgeFailure,
  loadPolicy,
  type Policy,
} from '../../src/judge/index.js';

export interface ChatBackendContractOptions {
  skip?: string | false;
  /** A backend of the same kind whose model cannot be reached (for the failure path), when it has one. */
  openUnreachable?: () => Promise<ChatBackend>;
}

export function chatBackendContract(
  name: string,
  open: () => Promise<ChatBackend>,
  options: ChatBackendContractOptions = {},
): void {
  describe(`ChatBackend contract: ${name}`, { skip: options.skip }, () => {
    let backend: ChatBackend;
    let policy: Policy;
    let messages: ChatMessage[];
    before(async () => {
      backend = await open();
      policy = await loadPolicy('web-search');
      messages = buildJudgeMessages(policy, 'heat transfer in the laminar boundary layer', {
        title: 'Heat transfer in laminar boundary layers',
        text: 'Measurements of heat transfer rates in the laminar boundary layer of a flat plate at Mach 3.',
      });
    });
    after(() => backend?.close?.());

    const graded = (): CompletionOptions => ({
      maxTokens: 48,
      temperature: 0,
      jsonSchema: gradeSchema(policy),
    });

    it('has a model name', () => {
      assert.equal(typeof backend.model, 'string');
      assert.ok(backend.model.length > 0);
    });

    it('completes with its content and token usage', async () => {
      const completion = await backend.complete(messages, graded());
      assert.equal(typeof completion.content, 'string');
      assert.ok(completion.content.length > 0);
      const { prompt_tokens, completion_tokens } = completion.usage;
      assert.ok(Number.isInteger(prompt_tokens) && prompt_tokens > 0, `prompt_tokens ${prompt_tokens}`);
      assert.ok(Number.isInteger(completion_tokens) && completion_tokens >= 0);
      assert.ok([undefined, 'stop', 'length'].includes(completion.finishReason));
    });

    it('answers the same messages the same way twice at temperature 0', async () => {
      const first = await backend.complete(messages, graded());
      const second = await backend.complete(messages, graded());
      assert.equal(second.content, first.content);
    });

    it('answers with a grade the schema allows when given the grade schema', async () => {
      const { content } = await backend.complete(messages, graded());
      const answer = JSON.parse(content) as { grade?: unknown };
      assert.ok(
        policy.levels.some((level) => level.grade === answer.grade),
        `grade ${String(answer.grade)} is not one of the policy's`,
      );
    });

    it('gives log probabilities (when it has them) that are ≤ 0, with their alternatives', async () => {
      const completion = await backend.complete(messages, { ...graded(), topLogprobs: 5 });
      for (const token of completion.logprobs ?? []) {
        assert.equal(typeof token.token, 'string');
        assert.ok(Number.isFinite(token.logprob) && token.logprob <= 1e-6, `logprob ${token.logprob}`);
        for (const alternative of token.top) assert.ok(alternative.logprob <= 1e-6);
      }
    });

    it('rejects with the signal’s reason when the signal is already aborted', async () => {
      const reason = new Error('caller gave up');
      const controller = new AbortController();
      controller.abort(reason);
      await assert.rejects(
        backend.complete(messages, graded(), controller.signal),
        (error) => error === reason,
      );
    });

    const openUnreachable = options.openUnreachable;
    if (openUnreachable) {
      it('fails with a JudgeFailure, never made-up content, when its model cannot be reached', async () => {
        const unreachable = await openUnreachable();
        try {
          await assert.rejects(
            unreachable.complete(messages, graded()),
            (error) =>
              error instanceof JudgeFailure &&
              (error.code === 'E_JUDGE_HTTP' || error.code === 'E_JUDGE_TIMEOUT'),
          );
        } finally {
          await unreachable.close?.();
        }
      });
    }
  });
}
