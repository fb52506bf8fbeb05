import type { FastifyInstance } from 'fastify';

/** Methods that change nothing: they never wait in the write lane. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Reads first on one event loop. A request that changes state (POST, PUT, PATCH, DELETE) is
 * parsed and validated as it arrives, then waits for its turn: the lane starts at most `perTurn`
 * writes per event-loop turn (the first ones at once, the rest from a `setImmediate` callback, in
 * arrival order). Between two turns the loop polls its sockets, and every read that arrived
 * meanwhile is answered before more writes start. Without the lane, a read that arrives with 32
 * orders waits behind all 32 — in embedded mode a write's work is nearly all synchronous (SQLite
 * answers within the call), so the loop does not return to its sockets until each has run; with
 * it, behind `perTurn` at most. The lane adds no work, only turns; `npm run bench -- write-lane`
 * weighs it (GET p99 and orders accepted per second under the same mixed load).
 */
export interface WriteLane {
  /** Runs `go` now if fewer than `perTurn` writes started in this turn, otherwise in a later turn, in arrival order. */
  admit(go: () => void): void;
  /** Writes waiting for a turn. */
  readonly waiting: number;
}

export function createWriteLane(perTurn: number): WriteLane {
  if (!Number.isInteger(perTurn) || perTurn < 1) throw new RangeError(`writes per turn must be a positive integer, got ${perTurn}`);
  const queue: Array<() => void> = [];
  let started = 0;
  let scheduled = false;
  const nextTurn = (): void => {
    started = 0;
    scheduled = false;
    if (queue.length === 0) return;
    // Scheduled before any write runs, so that a throwing one cannot strand the rest. The count
    // carries into the poll phase that follows: one loop iteration starts `perTurn` writes at most.
    scheduled = true;
    setImmediate(nextTurn);
    while (started < perTurn && queue.length > 0) {
      started++;
      queue.shift()!();
    }
  };
  return {
    admit(go) {
      if (started >= perTurn) {
        queue.push(go);
        return;
      }
      started++;
      if (!scheduled) {
        scheduled = true;
        setImmediate(nextTurn);
      }
      go();
    },
    get waiting() {
      return queue.length;
    },
  };
}

/** Puts every state-changing request of `app` through a write lane of `perTurn`, after validation and before its handler. */
export function installWriteLane(app: FastifyInstance, perTurn: number): WriteLane {
  const lane = createWriteLane(perTurn);
  app.addHook('preHandler', (req, _reply, done) => {
    if (READ_METHODS.has(req.method)) return done();
    lane.admit(done);
  });
  return lane;
}
