import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseHeaders } from '../../../../test/support/smtp-peer.ts';
import { MailerError, createFileSinkMailer, emlFileName, type MailMessage } from './index.ts';

const message: MailMessage = {
  messageId: 'order-o-7-confirmed@orderflow',
  to: 'ada@example.test',
  subject: 'Order o-7 confirmed',
  text: 'Your order o-7 is confirmed.\n',
};

describe('file sink mailer', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'mail-sink-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('writes one RFC 5322 .eml file named after the Message-ID, creating the directory', async () => {
    const dir = join(root, 'one', 'outbox');
    const mailer = createFileSinkMailer({ dir });
    await mailer.send(message);
    await mailer.close();
    assert.deepEqual(await readdir(dir), ['order-o-7-confirmed@orderflow.eml']);
    const raw = await readFile(join(dir, 'order-o-7-confirmed@orderflow.eml'), 'utf8');
    const headers = parseHeaders(raw);
    assert.equal(headers.get('message-id'), '<order-o-7-confirmed@orderflow>');
    assert.equal(headers.get('subject'), 'Order o-7 confirmed');
    assert.equal(headers.get('from'), 'orderflow <orders@orderflow.local>');
    assert.equal(headers.get('to'), 'ada@example.test');
    assert.ok(headers.has('date'));
    assert.match(raw, /\r\n\r\nYour order o-7 is confirmed\.\r\n/);
    assert.doesNotMatch(raw.replace(/\r\n/g, ''), /\n/, 'every line ends in CRLF');
  });

  it('with a guard: writes nothing when accept says no or throws, the file once it says yes', async () => {
    const dir = join(root, 'guarded');
    const mailer = createFileSinkMailer({ dir });
    let fileDuringAccept: string[] = ['unset'];
    assert.equal(await mailer.send(message, { accept: async () => false, release: async () => undefined }), false);
    assert.deepEqual(await readdir(dir), []);
    const boom = new Error('database is down');
    await assert.rejects(
      mailer.send(message, {
        accept: async () => {
          throw boom;
        },
        release: async () => undefined,
      }),
      (e) => e === boom,
    );
    assert.deepEqual(await readdir(dir), []);
    const ok = await mailer.send(message, {
      accept: async () => {
        fileDuringAccept = (await readdir(dir)).filter((f) => f.endsWith('.eml'));
        return true;
      },
      release: async () => undefined,
    });
    await mailer.close();
    assert.equal(ok, true);
    assert.deepEqual(fileDuringAccept, [], 'the .eml appeared before accept answered');
    assert.deepEqual(await readdir(dir), ['order-o-7-confirmed@orderflow.eml']);
  });

  it('leaves one file when the same messageId is sent again', async () => {
    const dir = join(root, 'resend');
    const mailer = createFileSinkMailer({ dir, from: 'shop <shop@example.test>' });
    await mailer.send(message);
    await Promise.all([mailer.send({ ...message, text: 'second\n' }), mailer.send({ ...message, text: 'third\n' })]);
    await mailer.send({ ...message, messageId: 'order-o-8-cancelled@orderflow' });
    await mailer.close();
    assert.deepEqual((await readdir(dir)).sort(), ['order-o-7-confirmed@orderflow.eml', 'order-o-8-cancelled@orderflow.eml']);
    const raw = await readFile(join(dir, 'order-o-7-confirmed@orderflow.eml'), 'utf8');
    assert.equal(parseHeaders(raw).get('from'), 'shop <shop@example.test>');
  });

  it('gives ids that need sanitising distinct, safe file names', () => {
    const a = emlFileName('a/b@x');
    const b = emlFileName('a_b@x');
    assert.notEqual(a, b);
    assert.match(a, /^a_b@x-[0-9a-f]{10}\.eml$/);
    assert.equal(b, 'a_b@x.eml');
    assert.doesNotMatch(emlFileName('../../etc/passwd@x'), /\//);
  });

  it('throws MAILER_INVALID_MESSAGE and writes nothing for a subject with a line break', async () => {
    const dir = join(root, 'invalid');
    const mailer = createFileSinkMailer({ dir });
    await assert.rejects(mailer.send({ ...message, subject: 'a\r\nBcc: x@y' }), (err: unknown) => {
      assert.ok(err instanceof MailerError);
      assert.equal(err.code, 'MAILER_INVALID_MESSAGE');
      assert.equal(err.retryable, false);
      return true;
    });
    await assert.rejects(readdir(dir), { code: 'ENOENT' });
  });
});
