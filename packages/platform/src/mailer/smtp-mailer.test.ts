import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSmtpPeer, type SmtpPeer } from '../../../../test/support/smtp-peer.ts';
import { MailerError, createSmtpMailer, type Mailer, type MailMessage } from './index.ts';

function confirmation(orderId: string): MailMessage {
  return {
    messageId: `order-${orderId}-confirmed@orderflow`,
    to: 'ada@example.test',
    subject: `Order ${orderId} confirmed`,
    text: `Your order ${orderId} is confirmed.\n`,
    headers: { 'X-Order-Id': orderId },
  };
}

async function rejectsWith(p: Promise<unknown>, code: string, retryable: boolean): Promise<MailerError> {
  const err = await p.then(
    () => assert.fail('expected a MailerError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof MailerError, `not a MailerError: ${String(err)}`);
  assert.equal(err.name, 'MailerError');
  assert.equal(err.code, code);
  assert.equal(err.retryable, retryable);
  return err;
}

describe('SMTP mailer', () => {
  let peer: SmtpPeer;
  let mailer: Mailer;
  before(async () => {
    peer = await startSmtpPeer({ failNext: 0 });
    mailer = createSmtpMailer({ url: peer.url, timeoutMs: 2000 });
  });
  after(async () => {
    await mailer.close();
    await peer.close();
  });

  it('delivers to the peer with the Message-ID, subject, sender and extra headers', async () => {
    await mailer.send(confirmation('o-1'));
    const [msg] = await peer.waitForMessages(1);
    assert.ok(msg);
    assert.equal(msg.messageId, 'order-o-1-confirmed@orderflow');
    assert.equal(msg.subject, 'Order o-1 confirmed');
    assert.deepEqual(msg.to, ['ada@example.test']);
    assert.match(msg.raw, /^From: orderflow <orders@orderflow\.local>\r$/m);
    assert.match(msg.raw, /^X-Order-Id: o-1\r$/im);
    assert.match(msg.raw, /Your order o-1 is confirmed\./);
  });

  it('keeps a non-ASCII subject intact', async () => {
    const count = peer.messages.length;
    await mailer.send({ ...confirmation('o-2'), subject: 'Bestellung o-2 bestätigt – danke' });
    const messages = await peer.waitForMessages(count + 1);
    assert.equal(messages.at(-1)?.subject, 'Bestellung o-2 bestätigt – danke');
  });

  it('throws a retryable MAILER_UNAVAILABLE while the server is down, and sends once it is back', async () => {
    const count = peer.messages.length;
    peer.setDown(true);
    const err = await rejectsWith(mailer.send(confirmation('o-down')), 'MAILER_UNAVAILABLE', true);
    assert.equal(err.smtpResponseCode, 421);
    peer.setDown(false);
    await mailer.send(confirmation('o-down'));
    const messages = await peer.waitForMessages(count + 1);
    assert.equal(messages.length, count + 1);
    assert.equal(messages.at(-1)?.messageId, 'order-o-down-confirmed@orderflow');
  });

  it('throws MAILER_INVALID_MESSAGE and sends nothing for a messageId in angle brackets', async () => {
    const count = peer.messages.length;
    await rejectsWith(mailer.send({ ...confirmation('o-bad'), messageId: '<x@orderflow>' }), 'MAILER_INVALID_MESSAGE', false);
    await rejectsWith(mailer.send({ ...confirmation('o-bad'), headers: { 'Message-ID': '<y@z>' } }), 'MAILER_INVALID_MESSAGE', false);
    assert.equal(peer.messages.length, count);
  });
});

describe('SMTP mailer against a failing peer', () => {
  it('throws a retryable error on a transient 451 and delivers the retry', async () => {
    const peer = await startSmtpPeer({ failNext: 1 });
    const mailer = createSmtpMailer({ url: peer.url, timeoutMs: 2000 });
    try {
      const err = await rejectsWith(mailer.send(confirmation('o-451')), 'MAILER_UNAVAILABLE', true);
      assert.equal(err.smtpResponseCode, 451);
      await mailer.send(confirmation('o-451'));
      const messages = await peer.waitForMessages(1);
      assert.deepEqual(
        messages.map((m) => m.messageId),
        ['order-o-451-confirmed@orderflow'],
      );
    } finally {
      await mailer.close();
      await peer.close();
    }
  });

  it('throws MAILER_CLOSED after close', async () => {
    const mailer = createSmtpMailer({ url: 'smtp://127.0.0.1:1' });
    await mailer.close();
    await rejectsWith(mailer.send(confirmation('o-closed')), 'MAILER_CLOSED', true);
  });

  it('refuses a url that is not smtp:// or smtps://', () => {
    assert.throws(() => createSmtpMailer({ url: 'http://127.0.0.1:25' }), TypeError);
  });
});
