/**
 * Named points where fault tests stop the process: `ORDERFLOW_FAULT_KILL_AT=<point>[:<n>]` makes the
 * n-th pass (default 1st) through `<point>` SIGKILL the process, and `ORDERFLOW_FAULT_STOP_AT`
 * SIGSTOPs it there instead (the test sends SIGCONT). Unset (always, outside tests): a no-op.
 *
 * Points: `relay.after-commit-before-publish` (rows committed, not yet on the broker),
 * `broker.after-handle-before-ack` (a handler finished, its delivery not yet acknowledged),
 * `mail.before-claim` (the mail server holds a message body, the sender's claim not yet written),
 * `mail.after-reply-before-record` (the mail server took the message, the sender has not recorded it).
 */
export type FaultPoint = 'relay.after-commit-before-publish' | 'broker.after-handle-before-ack' | 'mail.before-claim' | 'mail.after-reply-before-record';

function parse(raw: string | undefined): { point: string; n: number } | undefined {
  if (!raw) return undefined;
  const [point, n] = raw.split(':');
  return { point: point!, n: n ? Number(n) : 1 };
}

const kill = parse(process.env.ORDERFLOW_FAULT_KILL_AT);
const stop = parse(process.env.ORDERFLOW_FAULT_STOP_AT);
const hits = new Map<string, number>();

export function faultPoint(point: FaultPoint): void {
  if (!kill && !stop) return;
  const n = (hits.get(point) ?? 0) + 1;
  hits.set(point, n);
  if (kill?.point === point && kill.n === n) process.kill(process.pid, 'SIGKILL');
  if (stop?.point === point && stop.n === n) process.kill(process.pid, 'SIGSTOP');
}
