// A Judge that reads probabilities instead of parsing generated text: for each pair it evaluates the
// document once after the cached policy prefix, then each scoring form (scoring-prompts.ts) appends
// its question, reads the next-token distribution(s) and is cut off again. The grade is the most likely
// valid digit (what grammar-constrained greedy decoding would answer); the soft label is the digit
// distribution; every form's raw score is kept in `scores` for calibration (calibration.ts).

import { SiftError } from '../errors.js';
import type { LlamaScorer, TokenDistribution } from '../runtime/index.js';
import type { Policy } from './policy.js';
import {
  afterRationale,
  queryLikelihoodLead,
  queryPart,
  questionLead,
  rationaleLead,
  SCORING_FORMS,
  type ScoringForm,
  type ScoringPromptOptions,
  scoringDocumentPart,
  scoringPromptHash,
  scoringSystemTurn,
} from './scoring-prompts.js';
import { type Judge, JudgeFailure, type Judgement, type JudgeRequest, type JudgeScores } from './types.js';

export interface ScoringJudgeOptions {
  /** The judge's identity in the store, e.g. `llama:qwen2.5-coder-1.5b-instruct-q4`. */
  id: string;
  /** Which forms to compute. Default: all (grade, yesno, ql); `grade` is always computed. */
  forms?: readonly ScoringForm[];
  prompt?: ScoringPromptOptions;
  /** Called once per pair whose document had to be cut to fit the context window. */
  onTruncated?: (request: JudgeRequest, keptTokens: number) => void;
}

const YES_VARIANTS = ['yes', 'Yes', 'YES', ' yes', ' Yes'];
const NO_VARIANTS = ['no', 'No', 'NO', ' no', ' No'];
/**
 * Query tokens whose likelihood is read. Each read costs a full-vocabulary distribution through
 * node-llama-cpp's public API (about as much as evaluating a dozen tokens), so long questions are
 * scored on their first 8 tokens; short queries (most web and job queries) are scored whole.
 */
const QL_MAX_TOKENS = 8;
/** Tokens kept free for the longest form's question and answer. */
const FORM_RESERVE_TOKENS = 160;

export function createScoringJudge(scorer: LlamaScorer, options: ScoringJudgeOptions): Judge {
  const forms = [...new Set<ScoringForm>(['grade', ...(options.forms ?? SCORING_FORMS)])];
  const yesTokens = singleTokens(scorer, YES_VARIANTS);
  const noTokens = singleTokens(scorer, NO_VARIANTS);
  let prefixPolicy: string | undefined;
  let prefixLength = 0;
  // One sequence: pairs are scored one at a time, in call order.
  let queue: Promise<unknown> = Promise.resolve();

  /** Makes the sequence hold exactly the policy prefix; returns the tokens it had to evaluate. */
  const ensurePrefix = async (policy: Policy): Promise<number> => {
    if (prefixPolicy === policy.hash && scorer.length >= prefixLength) {
      await scorer.truncate(prefixLength);
      return 0;
    }
    await scorer.truncate(0);
    const tokens = scorer.tokenize(scoringSystemTurn(policy));
    await scorer.append(tokens);
    prefixPolicy = policy.hash;
    prefixLength = tokens.length;
    return tokens.length;
  };

  const scorePair = async (request: JudgeRequest, signal?: AbortSignal): Promise<Judgement> => {
    const started = performance.now();
    const { policy } = request;
    if (policy.maxGrade > 9) {
      throw new SiftError(
        'E_POLICY_INVALID',
        `a scoring judge reads one digit; grades go to ${policy.maxGrade}`,
        {
          field: 'levels',
        },
      );
    }
    const gradeTokens = policy.levels.map(
      (level) => singleTokens(scorer, [String(level.grade)])[0] as number,
    );
    const prefixTokens = await ensurePrefix(policy);
    let documentTokens = scorer.tokenizePlain(scoringDocumentPart(request.document, options.prompt));
    const room = scorer.contextSize - prefixLength - FORM_RESERVE_TOKENS;
    if (documentTokens.length > room) {
      // The document side gives way; the policy and the question never do.
      const ending = scorer.tokenizePlain(' …\n\n');
      documentTokens = [...documentTokens.slice(0, Math.max(0, room - ending.length)), ...ending];
      options.onTruncated?.(request, documentTokens.length);
    }
    await scorer.append(documentTokens);
    const afterDocument = scorer.length;
    // Tokens evaluated for this pair: the policy prefix only when this call had to (re)build it.
    let promptTokens = prefixTokens + documentTokens.length;
    const checkAborted = () => {
      if (signal?.aborted) throw new JudgeFailure('E_JUDGE_TIMEOUT', 'aborted', { attempts: 1 });
    };

    const scores: JudgeScores = {};
    if (forms.includes('ql')) {
      checkAborted();
      const lead = scorer.tokenize(queryLikelihoodLead());
      const query = scorer.tokenizePlain(request.query.trim()).slice(0, QL_MAX_TOKENS);
      // The distribution after the lead's last token predicts the first query token, and each query
      // token but the last predicts the next one.
      const at = [lead.length - 1, ...query.slice(0, -1).map((_, i) => lead.length + i)];
      const distributions = await scorer.appendAndRead([...lead, ...query], at);
      promptTokens += lead.length + query.length;
      let logSum = 0;
      query.forEach((token, i) => {
        logSum += Math.log(Math.max((distributions[i] as TokenDistribution).get(token) ?? 0, 1e-30));
      });
      scores.queryLogLikelihood = query.length > 0 ? logSum / query.length : 0;
      await scorer.truncate(afterDocument);
    }

    const queryTokens = scorer.tokenizePlain(queryPart(request.query, options.prompt));
    await scorer.append(queryTokens);
    promptTokens += queryTokens.length;
    const afterQuery = scorer.length;
    const answer = async (form: 'grade' | 'yesno'): Promise<TokenDistribution> => {
      checkAborted();
      const lead = scorer.tokenize(questionLead(form, policy));
      const [distribution] = await scorer.appendAndRead(lead, [lead.length - 1]);
      promptTokens += lead.length;
      await scorer.truncate(afterQuery);
      return distribution as TokenDistribution;
    };

    let rationale: string | undefined;
    let completionTokens = 0;
    /**
     * The grade after a generated reason: the reason ends at its closing quote (or a line break, or the
     * token budget); the answer is then rebuilt as text, so a token that merged the quote with what
     * follows cannot leave the JSON malformed before the digit is read.
     */
    const answerWithReason = async (budget: number): Promise<TokenDistribution> => {
      checkAborted();
      const lead = scorer.tokenize(rationaleLead(policy));
      const reasonOf = (tokens: readonly number[]) => scorer.detokenize(tokens).split(/["\n]/)[0] as string;
      const ended = (tokens: readonly number[]) => /["\n]/.test(scorer.detokenize(tokens));
      const generated = await scorer.appendAndGenerate(lead, budget, ended);
      completionTokens += generated.length;
      promptTokens += lead.length;
      rationale = reasonOf(generated).trim();
      await scorer.truncate(afterQuery);
      const answerTokens = [...lead, ...scorer.tokenizePlain(afterRationale(rationale))];
      const [distribution] = await scorer.appendAndRead(answerTokens, [answerTokens.length - 1]);
      promptTokens += answerTokens.length;
      await scorer.truncate(afterQuery);
      return distribution as TokenDistribution;
    };

    const gradeDistribution = options.prompt?.rationaleTokens
      ? await answerWithReason(options.prompt.rationaleTokens)
      : await answer('grade');
    const mass = gradeTokens.map((token) => gradeDistribution.get(token) ?? 0);
    const total = mass.reduce((sum, p) => sum + p, 0);
    if (!(total > 0)) {
      throw new JudgeFailure('E_JUDGE_OUTPUT', 'the model put no probability on any valid grade', {
        attempts: 1,
      });
    }
    const softLabel = mass.map((p) => p / total);
    scores.expectedGrade = softLabel.reduce((sum, p, grade) => sum + p * grade, 0);
    scores.answerMass = total;

    if (forms.includes('yesno')) {
      const first = await answer('yesno');
      const yes = yesTokens.reduce((sum, token) => sum + (first.get(token) ?? 0), 0);
      const no = noTokens.reduce((sum, token) => sum + (first.get(token) ?? 0), 0);
      scores.pYes = yes + no > 0 ? yes / (yes + no) : 0.5;
    }
    await scorer.truncate(prefixLength);
    const grade = softLabel.indexOf(Math.max(...softLabel));
    return {
      grade,
      softLabel,
      scores,
      ...(rationale !== undefined ? { rationale } : {}),
      usage: { promptTokens, completionTokens },
      latencyMs: performance.now() - started,
      attempts: 1,
      promptHash: scoringPromptHash(policy, forms, options.prompt),
    };
  };

  return {
    id: options.id,
    judge(request, signal) {
      const run = queue.then(() => scorePair(request, signal));
      queue = run.catch(() => undefined);
      return run;
    },
    async close() {
      await queue;
      await scorer.close();
    },
  };
}

/** The ids of those variants that are one token each (e.g. "Yes" but not "YES" in some vocabularies). */
function singleTokens(scorer: LlamaScorer, variants: readonly string[]): number[] {
  const ids = new Set<number>();
  for (const variant of variants) {
    const tokens = scorer.tokenizePlain(variant);
    if (tokens.length === 1) ids.add(tokens[0] as number);
  }
  if (ids.size === 0) {
    throw new SiftError('E_RANKER_LABEL', `none of ${variants.join(', ')} is one token of ${scorer.file}`, {
      file: scorer.file,
    });
  }
  return [...ids];
}
