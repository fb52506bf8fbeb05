import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSmtpPeer, type SmtpPeer } from '../../../../test/support/smtp-peer.ts';
import { MailerError, createSmtpMailer, type Mailer, type MailMessage } from './index.ts';
import type { SendGuard } from './mailer.ts';

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

/** A guard that records its calls; `answer` decides what accept says. */
function recordingGuard(answer: () => Promise<boolean>): SendGuard & { accepts: number; releases: number } {
  const g = {
    accepts: 0,
    releases: 0,
    accept: async () => {
      g.accepts += 1;
      return answer();
    },
    release: async () => {
      g.releases += 1;
    },
  };
  return g;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SMTP mailer with a send guard', () => {
  let peer: SmtpPeer;
  let mailer: Mailer;
  before(async () => {
    peer = await startSmtpPeer();
    mailer = createSmtpMailer({ url: peer.url, timeoutMs: 2000 });
  });
  after(async () => {
    await mailer.close();
    await peer.close();
  });

  it('runs accept once, while the server holds the body but not yet the message', async () => {
    const count = peer.messages.length;
    let heldDuringAccept = -1;
    const guard = recordingGuard(async () => {
      await sleep(150);
      heldDuringAccept = peer.messages.length - count;
      return true;
    });
    assert.equal(await mailer.send(confirmation('g-1'), guard), true);
    assert.equal(heldDuringAccept, 0, 'the server took the message before accept answered');
    const messages = await peer.waitForMessages(count + 1);
    assert.equal(messages.at(-1)?.messageId, 'order-g-1-confirmed@orderflow');
    assert.deepEqual([guard.accepts, guard.releases], [1, 0]);
  });

  it('abandons the message when accept says no: the server drops it, the next send works', async () => {
    const count = peer.messages.length;
    const guard = recordingGuard(async () => false);
    assert.equal(await mailer.send(confirmation('g-no'), guard), false);
    await sleep(200);
    assert.equal(peer.messages.length, count);
    assert.equal(await mailer.send(confirmation('g-after-no')), true);
    assert.equal((await peer.waitForMessages(count + 1)).at(-1)?.messageId, 'order-g-after-no-confirmed@orderflow');
  });

  it('abandons the message and throws the guard error when accept throws', async () => {
    const count = peer.messages.length;
    const boom = new Error('database is down');
    await assert.rejects(
      mailer.send(
        confirmation('g-throw'),
        recordingGuard(async () => {
          throw boom;
        }),
      ),
      (e) => e === boom,
    );
    await sleep(200);
    assert.equal(peer.messages.length, count);
  });

  it('does not run accept when the server refuses the envelope', async () => {
    peer.setDown(true);
    const guard = recordingGuard(async () => true);
    try {
      await rejectsWith(mailer.send(confirmation('g-down'), guard), 'MAILER_UNAVAILABLE', true);
    } finally {
      peer.setDown(false);
    }
    assert.deepEqual([guard.accepts, guard.releases], [0, 0]);
  });
});

describe('SMTP mailer with a send guard against a failing peer', () => {
  it('releases the record when the server refuses the message after accept', async () => {
    const peer = await startSmtpPeer({ failNext: 1 });
    const mailer = createSmtpMailer({ url: peer.url, timeoutMs: 2000 });
    try {
      const guard = recordingGuard(async () => true);
      const err = await rejectsWith(mailer.send(confirmation('g-451'), guard), 'MAILER_UNAVAILABLE', true);
      assert.equal(err.smtpResponseCode, 451);
      assert.deepEqual([guard.accepts, guard.releases], [1, 1]);
      assert.equal(await mailer.send(confirmation('g-451'), guard), true);
      assert.deepEqual([guard.accepts, guard.releases], [2, 1]);
      assert.deepEqual(
        (await peer.waitForMessages(1)).map((m) => m.messageId),
        ['order-g-451-confirmed@orderflow'],
      );
    } finally {
      await mailer.close();
      await peer.close();
    }
  });
});

describe('a sender killed inside the guard window (SIGKILL of a real process)', () => {
  const child = join(import.meta.dirname, 'fixtures', 'send-and-die.ts');
  const run = (url: string, id: string, when: 'before' | 'after') =>
    new Promise<NodeJS.Signals | null>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', child, url, id, when], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      p.on('error', reject);
      p.on('exit', (code, signal) => (signal ? resolve(signal) : reject(new Error(`exited ${code}: ${stderr}`))));
    });

  it('killed before accept committed: the server keeps nothing; killed after: the server has the mail', async () => {
    const peer = await startSmtpPeer();
    try {
      assert.equal(await run(peer.url, 'die-before@orderflow', 'before'), 'SIGKILL');
      assert.equal(await run(peer.url, 'die-after@orderflow', 'after'), 'SIGKILL');
      const messages = await peer.waitForMessages(1);
      await sleep(300);
      assert.deepEqual(
        messages.map((m) => m.messageId),
        ['die-after@orderflow'],
      );
    } finally {
      await peer.close();
    }
  });
});
