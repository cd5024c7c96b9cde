// `sift serve`: the HTTP service and its web page, over an index or (by default) the synthetic job corpus.

import type { Command } from 'commander';
import { ensureDemoCollection } from '../demo/index.js';
import { resolveServeConfig, SERVE_OPTIONS, startServer } from '../serve/index.js';

export function registerServeCommand(program: Command): void {
  const command = program
    .command('serve')
    .description(
      'serve search over HTTP with a web page (default: the synthetic job corpus, built on first start)',
    )
    .option(
      '--config <file>',
      'JSON config file (default $SIFT_HOME/serve.json); flags and environment win over it',
    );
  // Every setting is a flag and an environment variable; no commander defaults, so that a flag that was
  // not given falls through to the environment, then the config file, then the documented default.
  for (const spec of Object.values(SERVE_OPTIONS)) command.option(spec.flag, `${spec.help} [${spec.env}]`);
  command.addHelpText(
    'after',
    `
Write routes (POST /v1/documents, DELETE /v1/documents/:id) need the key in SIFT_API_KEY, sent as
"Authorization: Bearer <key>". The API is described at /openapi.json.`,
  );
  command.action(async (opts: Record<string, unknown>) => {
    const config = await resolveServeConfig({
      flags: opts,
      ...(typeof opts.config === 'string' ? { configFile: opts.config } : {}),
    });
    const server = await startServer(config, { demoCollection: ensureDemoCollection });
    console.log(`sift serve: ${server.indexName} at ${server.url}  (Ctrl-C stops)`);
    const started = Date.now();
    void server.ready.then((ready) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (!ready) {
        console.log(`sift serve: not ready: a ranker failed to load (see above); /healthz answers 503`);
      } else if (config.rankers.length > 0) {
        console.log(`sift serve: ready (rankers ${config.rankers.join(', ')} built in ${seconds} s)`);
      } else console.log('sift serve: ready');
    });
    let signals = 0;
    const stop = (signal: string) => {
      if (++signals > 1) process.exit(1); // a second Ctrl-C does not wait
      console.error(`sift serve: ${signal}, finishing in-flight requests…`);
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`sift serve: shutdown failed: ${(error as Error).message}`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
