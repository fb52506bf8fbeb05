import { orderBody } from '../scenarios.ts';
import { ChildExitedError } from './child.ts';
import { cpuWindow, type CpuSplit } from './cpu.ts';
import type { DrainResult } from './drain.ts';
import { watchOrders, type OrdersWatch } from './drain.ts';
import { runLoad, type LoadResult } from './load.ts';
import { setupFixture, startSystem, type Fixture, type System } from './system.ts';

/** A started orderflow with the bench fixture in place and a read-only view of its orders. */
export interface Session {
  readonly system: System;
  readonly fixture: Fixture;
  readonly watch: OrdersWatch;
  /** From spawn to "orderflow started". */
  readonly startupMs: number;
  /** From "started" to the first accepted order (customer, product, product event). */
  readonly setupMs: number;
  close(): Promise<void>;
}

/** End-to-end figures for one load run: from load start until every order is final. */
export interface EndToEnd {
  readonly drained: boolean;
  /** 202 responses: the numerator of `perS`. */
  readonly accepted: number;
  /** Orders the load created in the database (can exceed `accepted` by requests cut off at the end). */
  readonly created: number;
  readonly final: number;
  /** Orders per status at the end of the wait (shows where undrained orders are stuck). */
  readonly byStatus: Readonly<Record<string, number>>;
  /** Last final order minus load start, seconds. */
  readonly seconds: number;
  /** accepted / seconds; NaN if the orders did not drain. */
  readonly perS: number;
  /** How long after the load stopped the last order became final, seconds (the backlog). */
  readonly tailS: number;
}

export interface OrdersMeasurement {
  readonly intake: LoadResult;
  readonly e2e: EndToEnd;
  /** CPU while the load ran, and while the backlog drained afterwards. */
  readonly cpuLoad: CpuSplit;
  readonly cpuDrain: CpuSplit;
}

/**
 * Starts a fresh orderflow (new data dir) and sets up the fixture; stops it again on failure.
 * With `profileDir`, the child runs under --cpu-prof and writes its profile there on exit; `env`
 * adds to its environment (e.g. a slow payment provider); `nodeArgs` are node flags (e.g. V8 heap sizes).
 */
export async function openSession(
  opts: { profileDir?: string | undefined; env?: Readonly<Record<string, string>>; nodeArgs?: readonly string[] } = {},
): Promise<Session> {
  const t0 = Date.now();
  const system = await startSystem({
    nodeArgs: [...(opts.nodeArgs ?? []), ...(opts.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`])],
    ...(opts.env ? { env: opts.env } : {}),
  });
  const t1 = Date.now();
  try {
    const fixture = await setupFixture(system.url);
    const watch = watchOrders(system.dataDir);
    const close = async (): Promise<void> => {
      watch.close();
      await system.stop();
    };
    return { system, fixture, watch, startupMs: t1 - t0, setupMs: Date.now() - t1, close };
  } catch (err) {
    await system.stop();
    throw err;
  }
}

/** POST /v1/orders load as the bench customer, each request with its own Idempotency-Key. */
export function ordersLoad(session: Session, connections: number, durationS: number, overallRate?: number): Promise<LoadResult> {
  return runLoad({
    url: session.system.url,
    path: '/v1/orders',
    connections,
    durationS,
    headers: { authorization: `Bearer ${session.fixture.apiKey}` },
    body: orderBody,
    uniqueHeader: 'Idempotency-Key',
    okStatus: 202,
    ...(overallRate === undefined ? {} : { overallRate }),
  });
}

/** Waits until every order so far is final and returns how many there are. Throws if they do not drain. */
export async function settle(session: Session, timeoutS: number, pollMs: number): Promise<number> {
  const res = await session.watch.waitUntilDrained({ minFinal: 0, timeoutMs: timeoutS * 1000, pollMs, abortIf: session.system.child.unexpectedExit });
  throwIfAborted(session, res);
  if (!res.drained) {
    throw new Error(
      `orders from before the measurement did not drain in ${timeoutS} s: ${JSON.stringify(res.byStatus)}` +
        `\n--- orderflow output tail ---\n${session.system.child.tail()}`,
    );
  }
  return res.counts.final;
}

/**
 * One measured run on a settled system: load, then wait (bounded) until every order is final.
 * e2e/s = accepted / (last final − load start).
 */
export async function measureOrders(
  session: Session,
  opts: { connections: number; durationS: number; overallRate?: number; drainTimeoutS: number; drainPollMs: number },
): Promise<OrdersMeasurement> {
  const baseline = await settle(session, opts.drainTimeoutS, opts.drainPollMs);
  const endLoad = cpuWindow(session.system.child.pid);
  const intake = await ordersLoad(session, opts.connections, opts.durationS, opts.overallRate);
  const cpuLoad = endLoad();
  const gone = session.system.child.unexpectedExit();
  if (gone !== undefined) throw new ChildExitedError(`orderflow ended during the load: ${gone}\n--- orderflow output tail ---\n${session.system.child.tail()}`);
  const endDrain = cpuWindow(session.system.child.pid);
  const drain = await session.watch.waitUntilDrained({
    minFinal: baseline + intake.ok,
    timeoutMs: opts.drainTimeoutS * 1000,
    pollMs: opts.drainPollMs,
    abortIf: session.system.child.unexpectedExit,
  });
  throwIfAborted(session, drain);
  const cpuDrain = endDrain();
  const seconds = (drain.lastFinalAt - intake.startedAt) / 1000;
  return {
    intake,
    cpuLoad,
    cpuDrain,
    e2e: {
      drained: drain.drained,
      accepted: intake.ok,
      created: drain.counts.total - baseline,
      final: drain.counts.final - baseline,
      seconds,
      perS: drain.drained && seconds > 0 ? intake.ok / seconds : NaN,
      tailS: Math.max(0, (drain.lastFinalAt - intake.finishedAt) / 1000),
      byStatus: drain.byStatus,
    },
  };
}

function throwIfAborted(session: Session, res: DrainResult): void {
  if (res.aborted === undefined) return;
  throw new ChildExitedError(
    `orderflow ended while orders were draining: ${res.aborted}; orders ${JSON.stringify(res.byStatus)}` +
      `\n--- orderflow output tail ---\n${session.system.child.tail()}`,
  );
}
