import { runSeed, type SeedEnv } from './runSeed.js';
import type { SimProfile } from './scenario.js';

/** A campaign worker process: runs the seeds its parent sends, answers with each result. */
interface SeedMessage {
  readonly type: 'seed';
  readonly seed: number;
  readonly profile: SimProfile;
  readonly env: SeedEnv;
}

process.on('message', (message: SeedMessage) => {
  if (message.type !== 'seed') return;
  runSeed(message.seed, message.profile, message.env).then(
    ({ report: _report, ...result }) => process.send?.({ type: 'result', result }),
    (error: unknown) =>
      process.send?.({ type: 'crash', seed: message.seed, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
