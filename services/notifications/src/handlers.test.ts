import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSmtpMailer, openSqliteDatabase, platformMigrations, type Database, type DeliveredMessage, type Mailer } from '@orderflow/platform';
import { startSmtpPeer, type SmtpPeer } from '../../../test/support/smtp-peer.ts';
import { notificationsMigrations, type NotificationsDb } from './schema.ts';
import { onOrderFinished } from './handlers.ts';

function confirmed(orderId: string, id = `evt-${orderId}`): DeliveredMessage {
  return {
    id,
    type: 'OrderConfirmed',
    version: 1,
    source: 'orders',
    subject: 'orders.OrderConfirmed',
    key: orderId,
    occurredAt: new Date().toISOString(),
    data: { orderId, customerId: 'c1', customerEmail: 'ada@example.test', items: [{ sku: 'tea', quantity: 1, unitPriceCents: 250 }], totalCents: 250, currency: 'eur' },
    headers: {},
    attempt: 1,
  };
}

const openDb = () => openSqliteDatabase<NotificationsDb>({ file: ':memory:', migrations: [...platformMigrations, ...notificationsMigrations] });
const mailsFor = (peer: SmtpPeer, orderId: string) => peer.messages.filter((m) => m.subject.includes(orderId)).length;
const rowOf = (db: Database<NotificationsDb>, orderId: string) => db.db.selectFrom('emails').selectAll().where('order_id', '=', orderId).executeTakeFirst();
const isRetryLater = (e: unknown) => (e as { code?: string }).code === 'DEPENDENCY_UNAVAILABLE';

describe('notifications: one mail per outcome', () => {
  let peer: SmtpPeer;
  let mailer: Mailer;
  let db: Database<NotificationsDb>;
  before(async () => {
    peer = await startSmtpPeer();
    mailer = createSmtpMailer({ url: peer.url, timeoutMs: 2000 });
    db = await openDb();
  });
  after(async () => {
    await mailer.close();
    await peer.close();
    await db.close();
  });

  it('sends once, records it as sent, and a redelivery sends nothing', async () => {
    const handle = onOrderFinished(db, mailer);
    await handle(confirmed('o-1'));
    await handle(confirmed('o-1'));
    await handle(confirmed('o-1', 'evt-o-1-republished'));
    await peer.waitForMessages(1);
    assert.equal(mailsFor(peer, 'o-1'), 1);
    assert.equal((await rowOf(db, 'o-1'))?.status, 'sent');
  });

  it('two deliveries of one event at once (two instances): one mail; the loser retries later and finds it sent', async () => {
    const a = onOrderFinished(db, mailer);
    const b = onOrderFinished(db, mailer);
    const results = await Promise.allSettled([a(confirmed('o-2')), b(confirmed('o-2'))]);
    for (const r of results) if (r.status === 'rejected') assert.ok(isRetryLater(r.reason), String(r.reason));
    await a(confirmed('o-2'));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(mailsFor(peer, 'o-2'), 1);
    assert.equal((await rowOf(db, 'o-2'))?.status, 'sent');
  });

  it('a claim younger than the grace is retried later; an older one is taken as sent, without sending again', async () => {
    const claimedAt = Date.parse('2026-01-01T00:00:00Z');
    await db.db.insertInto('emails').values({ order_id: 'o-3', outcome: 'confirmed', message_id: 'order-o-3-confirmed@orderflow', recipient: 'ada@example.test', status: 'sending', sent_at: new Date(claimedAt).toISOString() }).execute();
    const early = onOrderFinished(db, mailer, { claimGraceMs: 60_000, now: () => claimedAt + 30_000 });
    await assert.rejects(early(confirmed('o-3')), isRetryLater);
    const warned: unknown[] = [];
    const logger = { warn: (obj: unknown) => void warned.push(obj), error: () => undefined };
    const late = onOrderFinished(db, mailer, { claimGraceMs: 60_000, now: () => claimedAt + 61_000, logger });
    await late(confirmed('o-3'));
    assert.equal(mailsFor(peer, 'o-3'), 0);
    assert.deepEqual(warned, [{ order_id: 'o-3', outcome: 'confirmed', message_id: 'order-o-3-confirmed@orderflow', claimed_ms_ago: 61_000 }], 'the operator is told which mail was taken as sent');
    assert.equal((await rowOf(db, 'o-3'))?.status, 'sent');
    const inbox = await db.db.selectFrom('inbox').select('message_id').where('message_id', '=', 'evt-o-3').execute();
    assert.equal(inbox.length, 1);
  });
});

describe('notifications: a mail server that refuses after the claim', () => {
  it('releases the claim, so the retry sends the mail once', async () => {
    const peer = await startSmtpPeer({ failNext: 1 });
    const mailer = createSmtpMailer({ url: peer.url, timeoutMs: 2000 });
    const db = await openDb();
    try {
      const handle = onOrderFinished(db, mailer);
      await assert.rejects(handle(confirmed('o-4')), (e: { code?: string }) => e.code === 'MAILER_UNAVAILABLE');
      assert.equal(await rowOf(db, 'o-4'), undefined);
      await handle(confirmed('o-4'));
      await peer.waitForMessages(1);
      assert.equal(mailsFor(peer, 'o-4'), 1);
      assert.equal((await rowOf(db, 'o-4'))?.status, 'sent');
    } finally {
      await mailer.close();
      await peer.close();
      await db.close();
    }
  });
});
