import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promiseHooks } from 'node:v8';
import SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { openSqliteDatabase } from './sqlite.ts';
import type { Database, Migration } from './database.ts';

interface Notes {
  notes: { id: number; body: string };
}

const notes: Migration = {
  name: 'test-001-notes',
  async up(k: Kysely<any>) {
    await k.schema.createTable('notes').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('body', 'text', (c) => c.notNull()).execute();
  },
};

async function withDb(fn: (db: Database<Notes>) => Promise<void>): Promise<void> {
  const db = await openSqliteDatabase<Notes>({ file: ':memory:', migrations: [notes] });
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

const bodies = (db: Database<Notes>) =>
  db.db
    .selectFrom('notes')
    .select('body')
    .orderBy('id')
    .execute()
    .then((rows) => rows.map((r) => r.body));

test('a statement outside a transaction waits until the open transaction commits, and never runs inside it', async () => {
  await withDb(async (db) => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = db.transaction(async (trx) => {
      await trx.insertInto('notes').values({ id: 1, body: 'in tx' }).execute();
      await held;
      throw new Error('roll back');
    });
    // Issued while the transaction holds the connection: had it run inside, the rollback would undo it.
    const outside = db.db.insertInto('notes').values({ id: 2, body: 'outside' }).execute();
    const seen = db.db.selectFrom('notes').select('body').execute();
    release();
    await assert.rejects(tx, /roll back/);
    await outside;
    assert.deepEqual((await seen).map((r) => r.body), ['outside']);
    assert.deepEqual(await bodies(db), ['outside']);
  });
});

test('on a file, a select that meets a write transaction answers at once from the committed state (reader connection); turned off, it waits for the commit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-reader-'));
  try {
    for (const readerConnection of [true, false]) {
      const db = await openSqliteDatabase<Notes>({ file: join(dir, `notes-${readerConnection}.db`), migrations: [notes], readerConnection });
      try {
        await db.transaction((trx) => trx.insertInto('notes').values({ id: 1, body: 'committed' }).execute());
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        const tx = db.transaction(async (trx) => {
          await trx.insertInto('notes').values({ id: 2, body: 'in tx' }).execute();
          await held;
        });
        let answered = false;
        const seen = bodies(db).then((b) => {
          answered = true;
          return b;
        });
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(answered, readerConnection, readerConnection ? 'the select did not wait' : 'the select waited for the transaction');
        release();
        await tx;
        assert.deepEqual(await seen, readerConnection ? ['committed'] : ['committed', 'in tx']);
        // Writes outside a transaction still queue on the one writing connection.
        assert.deepEqual(await bodies(db), ['committed', 'in tx']);
      } finally {
        await db.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('transactions queued behind each other run one at a time, in arrival order', async () => {
  await withDb(async (db) => {
    const order: string[] = [];
    const one = (name: string, id: number) =>
      db.transaction(async (trx) => {
        order.push(`${name} begin`);
        await new Promise((r) => setTimeout(r, 5));
        await trx.insertInto('notes').values({ id, body: name }).execute();
        order.push(`${name} end`);
      });
    await Promise.all([one('a', 1), one('b', 2), one('c', 3)]);
    assert.deepEqual(order, ['a begin', 'a end', 'b begin', 'b end', 'c begin', 'c end']);
    assert.deepEqual(await bodies(db), ['a', 'b', 'c']);
  });
});

test('a failed statement rejects and leaves the connection usable; a committed transaction object refuses more work', async () => {
  await withDb(async (db) => {
    await db.db.insertInto('notes').values({ id: 1, body: 'x' }).execute();
    await assert.rejects(db.db.insertInto('notes').values({ id: 1, body: 'dup' }).execute(), /UNIQUE constraint failed/);
    let kept: Kysely<Notes> | undefined;
    const r = await db.transaction(async (trx) => {
      kept = trx;
      const res = await trx.insertInto('notes').values({ id: 2, body: 'y' }).executeTakeFirst();
      return Number(res.numInsertedOrUpdatedRows);
    });
    assert.equal(r, 1);
    await assert.rejects(kept!.selectFrom('notes').selectAll().execute(), /already committed or rolled back/);
    assert.deepEqual(await bodies(db), ['x', 'y']);
  });
});

test('Kysely transaction() and commit listeners work on the same connection', async () => {
  await withDb(async (db) => {
    let commits = 0;
    db.onCommit(() => (commits += 1));
    await db.db.transaction().execute(async (trx) => {
      await trx.insertInto('notes').values({ id: 1, body: 'kysely tx' }).execute();
    });
    await db.transaction(async (trx) => {
      await trx.insertInto('notes').values({ id: 2, body: 'port tx' }).execute();
    });
    assert.equal(commits, 1);
    assert.deepEqual(await bodies(db), ['kysely tx', 'port tx']);
  });
});

test('survives a reopen: what was committed is in the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-executor-'));
  try {
    const file = join(dir, 'notes.db');
    const a = await openSqliteDatabase<Notes>({ file, migrations: [notes] });
    await a.transaction((trx) => trx.insertInto('notes').values({ id: 1, body: 'kept' }).execute());
    await a.close();
    const b = await openSqliteDatabase<Notes>({ file, migrations: [notes] });
    assert.deepEqual(await bodies(b), ['kept']);
    await b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a transaction begins IMMEDIATE and, while another connection holds the write lock, waits on a timer with the event loop free', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-executor-'));
  try {
    const file = join(dir, 'notes.db');
    const db = await openSqliteDatabase<Notes>({ file, migrations: [notes] });
    const other = new SQLite(file, { timeout: 0 });
    try {
      other.exec('begin immediate'); // the other thread of embedded mode, mid-commit
      let ticks = 0;
      const timer = setInterval(() => (ticks += 1), 5);
      const tx = db.transaction(async (trx) => {
        await trx.insertInto('notes').values({ id: 1, body: 'after the lock' }).execute();
      });
      await new Promise((r) => setTimeout(r, 60));
      assert.ok(ticks >= 5, `the event loop ran ${ticks} timer ticks while the transaction waited`);
      other.exec('commit');
      await tx;
      clearInterval(timer);
      assert.deepEqual(await bodies(db), ['after the lock']);
      // A read-then-write transaction cannot lose its upgrade to a commit in between: it held the lock from BEGIN.
      other.exec("insert into notes values (2, 'other')");
      await db.transaction(async (trx) => {
        const n = (await trx.selectFrom('notes').selectAll().execute()).length;
        assert.throws(() => other.exec("insert into notes values (9, 'blocked')"), /database is locked/);
        await trx.insertInto('notes').values({ id: 3, body: `after ${n}` }).execute();
      });
      assert.deepEqual(await bodies(db), ['after the lock', 'other', 'after 2']);
    } finally {
      other.close();
      await db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a select creates a handful of promises, not dozens (each one costs an async-context hook when tracing is on)', async () => {
  await withDb(async (db) => {
    await db.db.insertInto('notes').values({ id: 1, body: 'x' }).execute();
    let created = 0;
    const stop = promiseHooks.onInit(() => (created += 1));
    try {
      await db.db.selectFrom('notes').selectAll().where('id', '=', 1).executeTakeFirst();
    } finally {
      stop();
    }
    // Kysely's own SQLite driver makes 26 here, this executor 7 (connection provider, runtime driver, mutex).
    assert.ok(created <= 8, `${created} promises for one select`);
  });
});
