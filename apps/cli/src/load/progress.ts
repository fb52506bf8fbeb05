import cliProgress from 'cli-progress';
import type { Progress } from './open-loop.ts';
import { ms } from './format.ts';

/** A live progress bar on stderr when it is a terminal; otherwise nothing. */
export function progressBar(label: string): { update(p: Progress): void; stop(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {elapsed}/{total} s | sent {sent} | ok {ok} | failed {failed} | in flight {outstanding} | p50 {p50} ms p99 {p99} ms`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const payload = { elapsed: Math.min(p.durationS, p.elapsedS).toFixed(0), sent: p.sent, ok: p.ok, failed: p.failed, outstanding: p.outstanding, p50: ms(p.p50Ms), p99: ms(p.p99Ms) };
      if (!started) {
        started = true;
        bar.start(Math.round(p.durationS), 0, payload);
      }
      bar.update(Math.min(Math.round(p.durationS), Math.round(p.elapsedS)), payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
