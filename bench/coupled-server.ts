/**
 * The coupled baseline as a child process (`node --import tsx bench/coupled-server.ts`): the
 * coupled OrderService, the payment-provider simulator (latency from COUPLED_PROVIDER_LATENCY_MS,
 * default 0) and an SMTP peer, all on 127.0.0.1, in one process as orderflow's embedded mode
 * runs its simulator and mail sink. Prints one JSON line with the url; SIGTERM/SIGINT stop it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPaymentSimulator } from '@orderflow/provider-simulator';
import { startSmtpPeer } from '../test/support/smtp-peer.ts';
import { createCoupledOrderService } from './coupled/order-service.ts';

const dir = mkdtempSync(join(tmpdir(), 'orderflow-coupled-'));
const simulator = await startPaymentSimulator({ latencyMs: Number(process.env.COUPLED_PROVIDER_LATENCY_MS ?? '0') });
const smtp = await startSmtpPeer();
const service = createCoupledOrderService({ dbFile: join(dir, 'coupled.db'), paymentUrl: simulator.url, smtpUrl: smtp.url });
// The peer keeps every message for tests; a bench run would grow it without end.
setInterval(() => smtp.messages.splice(0), 1000).unref();
service.server.listen(0, '127.0.0.1', () => {
  const address = service.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'coupled started', url: `http://127.0.0.1:${port}`, paymentUrl: simulator.url })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void Promise.allSettled([service.close(), simulator.close(), smtp.close()]).finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}
